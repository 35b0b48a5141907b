import { existsSync, mkdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { open } from 'lmdb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { storeError } from '../../src/store/lmdb-layout.js';
import { genesisHash, LmdbStore, verifyChain, type RunRecord } from '../../src/store/index.js';
import { storeConformance } from './conformance.js';
import { spawnFixture, tempDir } from './helpers.js';
import { makeEntries, makeRun } from './records.js';

for (const durability of ['flush', 'commit', 'memory'] as const) {
  storeConformance(`LmdbStore (${durability})`, async () => {
    const tmp = tempDir();
    const store = await LmdbStore.open({ dir: tmp.dir, durability });
    return {
      store,
      cleanup: async () => {
        await store.close();
        tmp.remove();
      },
    };
  });
}

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return undefined;
}

function chainOf(run: RunRecord) {
  return genesisHash(run.definitionHash, run.input);
}

describe('LmdbStore', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(() => tmp.remove());

  it('keeps runs, logs and snapshots across close and reopen', async () => {
    const store = await LmdbStore.open({ dir: tmp.dir });
    const run = makeRun('r1', { input: { alert: 'cpu' } });
    await store.createRun(run);
    const entries = makeEntries(run, 4);
    for (const e of entries) await store.append('r1', e);
    await store.saveSnapshot({ runId: 'r1', seq: 4, state: { at: 'd' } });
    await store.close();
    expect(await codeOf(store.getRun('r1'))).toBe('TROUPE_RUNTIME_STOPPED');

    const again = await LmdbStore.open({ dir: tmp.dir });
    const head = (await again.getRun('r1'))!;
    expect(head).toMatchObject({ headSeq: 4, headHash: entries[3]!.hash });
    expect(await again.read('r1')).toEqual(entries);
    expect(verifyChain(chainOf(head), await again.read('r1'), head).ok).toBe(true);
    expect(await again.loadSnapshot('r1')).toEqual({ runId: 'r1', seq: 4, state: { at: 'd' } });
    expect((await again.recover()).map((r) => r.id)).toEqual(['r1']);
    await again.close();
  });

  describe('the lock', () => {
    it('refuses a second open in the same process with TROUPE_STORE_LOCKED naming the directory', async () => {
      const store = await LmdbStore.open({ dir: tmp.dir });
      const err = await LmdbStore.open({ dir: tmp.dir }).catch((e: unknown) => e as { code: string; message: string });
      expect(err).toMatchObject({ code: 'TROUPE_STORE_LOCKED' });
      expect((err as { message: string }).message).toContain(tmp.dir);
      await store.close();
      const after = await LmdbStore.open({ dir: tmp.dir });
      await after.close();
    });

    it('refuses another process, while openReadOnly reads and refuses writes', async () => {
      const child = spawnFixture('writer.ts', [tmp.dir, 'hold']);
      try {
        await child.line((l) => l === 'ready');
        const err = await LmdbStore.open({ dir: tmp.dir }).catch((e: unknown) => e as { code: string; message: string });
        expect(err).toMatchObject({ code: 'TROUPE_STORE_LOCKED' });
        expect((err as { message: string }).message).toContain(`process ${child.proc.pid}`);

        const ro = await LmdbStore.openReadOnly({ dir: tmp.dir });
        const run = (await ro.getRun('held'))!;
        expect(run.headSeq).toBe(1);
        expect(verifyChain(chainOf(run), await ro.read('held'), run).ok).toBe(true);
        expect(await codeOf(ro.updateRun('held', { status: 'paused' }))).toBe('TROUPE_STORE_READ_ONLY');
        expect(await codeOf(ro.append('held', makeEntries(run, 1)[0]!))).toBe('TROUPE_STORE_READ_ONLY');
        await ro.close();
      } finally {
        child.proc.kill('SIGKILL');
        await child.exited;
      }
    });

    it('takes over a stale lock whose process is dead', async () => {
      const child = spawnFixture('writer.ts', [tmp.dir, 'hold']);
      await child.line((l) => l === 'ready');
      const pid = child.proc.pid!;
      child.proc.kill('SIGKILL');
      await child.exited;
      expect(readFileSync(join(tmp.dir, 'troupe.lock'), 'utf8').trim()).toBe(String(pid));
      const store = await LmdbStore.open({ dir: tmp.dir });
      expect(readFileSync(join(tmp.dir, 'troupe.lock'), 'utf8').trim()).toBe(String(process.pid));
      expect((await store.getRun('held'))!.headSeq).toBe(1);
      await store.close();
      expect(existsSync(join(tmp.dir, 'troupe.lock'))).toBe(false);
    });
  });

  describe('a corrupt or foreign directory', () => {
    async function corruptFile(): Promise<string | undefined> {
      const err = await LmdbStore.open({ dir: tmp.dir }).catch((e: unknown) => e as { code: string; data: { file: string } });
      expect(err).toMatchObject({ code: 'TROUPE_STORE_CORRUPT' });
      return (err as { data: { file: string } }).data.file;
    }

    it('rejects a data file that is not LMDB with TROUPE_STORE_CORRUPT naming it', async () => {
      writeFileSync(join(tmp.dir, 'data.mdb'), Buffer.alloc(20_000, 7));
      expect(await corruptFile()).toBe(join(tmp.dir, 'data.mdb'));
      expect(existsSync(join(tmp.dir, 'troupe.lock'))).toBe(false);
    });

    it('rejects a truncated data file', async () => {
      const store = await LmdbStore.open({ dir: tmp.dir });
      const run = makeRun('r1');
      await store.createRun(run);
      for (const e of makeEntries(run, 200, Array.from({ length: 200 }, (_, i) => 'x'.repeat(i * 10)))) await store.append('r1', e);
      await store.close();
      truncateSync(join(tmp.dir, 'data.mdb'), 12_288);
      expect(await corruptFile()).toBe(join(tmp.dir, 'data.mdb'));
    });

    it('rejects an LMDB environment that is not a troupe store', async () => {
      const foreign = open({ path: tmp.dir });
      await foreign.openDB({ name: 'theirs' }).put('k', 'v');
      await foreign.close();
      expect(await corruptFile()).toBe(join(tmp.dir, 'data.mdb'));
    });

    it('rejects a data directory that is a file', async () => {
      const file = join(tmp.dir, 'plain');
      writeFileSync(file, 'x');
      await expect(LmdbStore.open({ dir: file })).rejects.toMatchObject({ code: 'TROUPE_STORE_CORRUPT' });
    });

    it('openReadOnly of an empty directory is TROUPE_STORE_NOT_FOUND', async () => {
      mkdirSync(join(tmp.dir, 'empty'));
      await expect(LmdbStore.openReadOnly({ dir: join(tmp.dir, 'empty') })).rejects.toMatchObject({ code: 'TROUPE_STORE_NOT_FOUND' });
    });
  });

  describe('tampering, found by verifyChain with the run record head', () => {
    async function seeded(): Promise<RunRecord> {
      const store = await LmdbStore.open({ dir: tmp.dir });
      const run = makeRun('r1');
      await store.createRun(run);
      for (const e of makeEntries(run, 5, [{ v: 'one' }, { v: 'two' }, { v: 'three' }, { v: 'four' }, { v: 'five' }])) await store.append('r1', e);
      await store.close();
      return run;
    }

    async function check(): Promise<ReturnType<typeof verifyChain>> {
      const store = await LmdbStore.openReadOnly({ dir: tmp.dir });
      const head = (await store.getRun('r1'))!;
      const result = verifyChain(chainOf(head), await store.read('r1'), head);
      await store.close();
      return result;
    }

    /** Change the raw log through lmdb itself, as an attacker with file access could. */
    async function raw(edit: (log: ReturnType<ReturnType<typeof open>['openDB']>) => Promise<unknown>): Promise<void> {
      const env = open({ path: tmp.dir });
      await edit(env.openDB({ name: 'log' }));
      await env.close();
    }

    it('verifies when untouched', async () => {
      await seeded();
      expect(await check()).toMatchObject({ ok: true, entries: 5 });
    });

    it('finds a flipped byte in an entry output', async () => {
      await seeded();
      await raw(async (log) => {
        const bytes = Buffer.from(log.getBinary(['r1', 3])!);
        const at = bytes.indexOf('three');
        bytes[at] = 'T'.charCodeAt(0);
        await log.put(['r1', 3], (await import('lmdb')).asBinary(bytes));
      });
      expect(await check()).toMatchObject({ ok: false, seq: 3, reason: 'content does not match its hash' });
    });

    it('finds a deleted entry', async () => {
      await seeded();
      await raw((log) => log.remove(['r1', 2]));
      expect(await check()).toMatchObject({ ok: false, index: 1 });
    });

    it('finds reordered entries', async () => {
      await seeded();
      await raw(async (log) => {
        const [a, b] = [log.getBinary(['r1', 2])!, log.getBinary(['r1', 3])!].map((x) => Buffer.from(x));
        const { asBinary } = await import('lmdb');
        await log.put(['r1', 2], asBinary(b!));
        await log.put(['r1', 3], asBinary(a!));
      });
      expect(await check()).toMatchObject({ ok: false, index: 1 });
    });

    it('finds a truncated tail', async () => {
      await seeded();
      await raw(async (log) => {
        await log.remove(['r1', 5]);
        await log.remove(['r1', 4]);
      });
      expect(await check()).toMatchObject({ ok: false, index: 3, seq: 5 });
    });
  });

  it('maps a full map to TROUPE_STORE_FULL and other engine failures to typed errors', () => {
    expect(storeError(new Error('MDB_MAP_FULL: Environment mapsize limit reached'), '/d', 'append(r)').code).toBe('TROUPE_STORE_FULL');
    expect(storeError(new Error('MDB_CORRUPTED: Located page was wrong type'), '/d', 'read').code).toBe('TROUPE_STORE_CORRUPT');
    expect(storeError(new Error('EIO'), '/d', 'read').code).toBe('TROUPE_STORE_FAILED');
  });

  it('grows a small map instead of failing', async () => {
    const store = await LmdbStore.open({ dir: tmp.dir, mapSize: 64 * 1024 });
    const run = makeRun('big');
    await store.createRun(run);
    const entries = makeEntries(run, 40, Array.from({ length: 40 }, () => 'x'.repeat(100_000)));
    for (const e of entries) await store.append('big', e);
    expect(await store.read('big')).toHaveLength(40);
    await store.close();
  });

  it('batches concurrent flush-mode appends from many runs into shared transactions', async () => {
    const store = await LmdbStore.open({ dir: tmp.dir, durability: 'flush' });
    const runs = Array.from({ length: 2_000 }, (_, i) => makeRun(`r${i}`));
    await Promise.all(runs.map((r) => store.createRun(r)));
    const seqRuns = runs.slice(0, 1_000);
    const parRuns = runs.slice(1_000);
    let t = performance.now();
    for (const r of seqRuns.slice(0, 200)) await store.append(r.id, makeEntries(r, 1)[0]!);
    const sequentialPer = (performance.now() - t) / 200;
    t = performance.now();
    await Promise.all(parRuns.map((r) => store.append(r.id, makeEntries(r, 1)[0]!)));
    const concurrentPer = (performance.now() - t) / 1_000;
    const ratio = sequentialPer / concurrentPer;
    console.log(`flush mode: ${(sequentialPer * 1000).toFixed(0)} us/append awaited one at a time, ${(concurrentPer * 1000).toFixed(1)} us/append with 1,000 in flight (${ratio.toFixed(1)}x)`);
    expect(ratio).toBeGreaterThanOrEqual(3);
    await store.close();
  });

  it('keeps every append that resolved before the process was killed (SIGKILL)', async () => {
    for (const after of [1, 150]) {
      const dir = join(tmp.dir, `kill-${after}`);
      const child = spawnFixture('writer.ts', [dir, 'append', '8']);
      const resolved = new Map<string, number>();
      let lines = 0;
      await child.line((l) => {
        const m = /^appended (\S+) (\d+)$/.exec(l);
        if (m) resolved.set(m[1]!, Math.max(resolved.get(m[1]!) ?? 0, Number(m[2])));
        return m !== null && ++lines >= after;
      });
      child.proc.kill('SIGKILL');
      expect((await child.exited).signal).toBe('SIGKILL');

      const store = await LmdbStore.open({ dir });
      for (const [runId, seq] of resolved) {
        const head = (await store.getRun(runId))!;
        expect(head.headSeq).toBeGreaterThanOrEqual(seq);
        const log = await store.read(runId);
        expect(verifyChain(chainOf(head), log, head)).toMatchObject({ ok: true, entries: head.headSeq });
      }
      await store.close();
    }
  });
});


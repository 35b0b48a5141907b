import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createRuntime, defineAgent, LmdbStore, type TroupeRuntime, type WorkflowDefinition } from '../../src/index.js';

const dirs: string[] = [];
const runtimes: TroupeRuntime[] = [];
afterEach(async () => {
  for (const rt of runtimes.splice(0)) await rt.stop({ timeoutMs: 10 });
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const tempDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'troupe-data-'));
  dirs.push(d);
  return d;
};

const wf: WorkflowDefinition = { name: 'two', steps: { a: { agent: 'inc', input: '{ "n": input.n }', next: 'b' }, b: { agent: 'gate', input: '{ "n": a.n }' } } };
const inc = defineAgent({ id: 'inc', execute: (i: { n: number }) => ({ n: i.n + 1 }) });

describe('a runtime with a data directory', () => {
  it('persists runs in LMDB, and a new runtime on the directory resumes the interrupted ones', async () => {
    const dir = tempDir();
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const slow = defineAgent({ id: 'gate', execute: async (i: { n: number }) => (await held, { n: i.n * 2 }) });
    const rt1 = await createRuntime({ agents: [inc, slow], workflows: [wf], dataDir: dir });
    runtimes.push(rt1);
    await rt1.start('two', { n: 1 }, { runId: 'd1' });
    for (let i = 0; i < 200 && (await rt1.store.read('d1')).length < 1; i++) await new Promise((r) => setTimeout(r, 5));
    await rt1.stop({ timeoutMs: 5 });
    release();

    const fast = defineAgent({ id: 'gate', execute: (i: { n: number }) => ({ n: i.n * 2 }) });
    const rt2 = await createRuntime({ agents: [inc, fast], workflows: [wf], dataDir: dir });
    runtimes.push(rt2);
    const [outcome] = await rt2.recover();
    expect(outcome).toMatchObject({ runId: 'd1', resumed: true });
    expect(await rt2.getRun('d1').result()).toEqual({ n: 4 });
    expect((await rt2.store.read('d1')).map((e) => e.step)).toEqual(['a', 'b']);
    expect(await rt2.verify('d1')).toMatchObject({ runId: 'd1', ok: true, entries: 2 });
  });

  it('resumes the directory\'s unfinished runs on start with recover: true', async () => {
    const dir = tempDir();
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const slow = defineAgent({ id: 'gate', execute: async (i: { n: number }) => (await held, i) });
    const rt1 = await createRuntime({ agents: [inc, slow], workflows: [wf], dataDir: dir });
    await rt1.start('two', { n: 5 }, { runId: 'auto' });
    for (let i = 0; i < 200 && (await rt1.store.read('auto')).length < 1; i++) await new Promise((r) => setTimeout(r, 5));
    await rt1.stop({ timeoutMs: 5 });
    release();
    const fast = defineAgent({ id: 'gate', execute: (i: unknown) => i });
    const rt2 = await createRuntime({ agents: [inc, fast], workflows: [wf], dataDir: dir, recover: true });
    runtimes.push(rt2);
    expect(await rt2.getRun('auto').result()).toEqual({ n: 6 });
  });

  it('refuses a second runtime on the same directory with TROUPE_STORE_LOCKED, while a read-only open works', async () => {
    const dir = tempDir();
    const rt1 = await createRuntime({ agents: [inc], dataDir: dir });
    runtimes.push(rt1);
    await expect(createRuntime({ agents: [inc], dataDir: dir })).rejects.toMatchObject({ code: 'TROUPE_STORE_LOCKED' });
    const ro = await LmdbStore.openReadOnly({ dir });
    expect(await ro.listRuns()).toEqual([]);
    await ro.close();
  });

  it('works in a directory whose name has a dot (regression: lmdb-js took it for a file)', async () => {
    const dir = join(tempDir(), 'runs.v2');
    const rt = await createRuntime({ agents: [inc, defineAgent({ id: 'gate', execute: (i: unknown) => i })], workflows: [wf], dataDir: dir });
    runtimes.push(rt);
    expect(await (await rt.start('two', { n: 1 })).result()).toEqual({ n: 2 });
  });

  it('reports a tampered head through verify', async () => {
    const dir = tempDir();
    const rt = await createRuntime({ agents: [inc, defineAgent({ id: 'gate', execute: (i: unknown) => i })], workflows: [wf], dataDir: dir, durability: 'commit' });
    runtimes.push(rt);
    const run = await rt.start('two', { n: 1 }, { runId: 't1' });
    await run.result();
    await rt.store.updateRun('t1', { headHash: '0'.repeat(64) });
    expect(await rt.verify('t1')).toMatchObject({ ok: false, seq: 2 });
  });
});

describe('a workflow durability override', () => {
  it('commits its steps without waiting for the flush when it says durability: commit (the log is the same)', async () => {
    const dir = tempDir();
    const gate = defineAgent({ id: 'gate', execute: (i: unknown) => i });
    const rt = await createRuntime({ agents: [inc, gate], workflows: [{ ...wf, name: 'fast', durability: 'commit' }, wf], dataDir: dir });
    runtimes.push(rt);
    const fast = await rt.start('fast', { n: 1 });
    const safe = await rt.start('two', { n: 1 });
    expect(await fast.result()).toEqual(await safe.result());
    expect(await rt.verify(fast.id)).toMatchObject({ ok: true, entries: 2 });
  });
});

describe("a live run's context on a store that commits later", () => {
  it('includes every entry appended before the call (an inspector following the run misses none)', async () => {
    const rt = await createRuntime({ agents: [inc, defineAgent({ id: 'gate', execute: (i: { n: number }) => i })], workflows: [wf], dataDir: tempDir() });
    runtimes.push(rt);
    const run = await rt.start('two', { n: 1 });
    const seen: Promise<number[]>[] = [];
    // Asked the moment each entry is appended: before LMDB has committed it.
    run.on((e) => void (e.type === 'entry.appended' && seen.push(run.context().then((es) => es.map((x) => x.seq)))));
    await run.result();
    expect(await Promise.all(seen)).toEqual([[1], [1, 2]]);
  });
});

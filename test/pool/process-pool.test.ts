import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { normalizePoolOptions } from '../../src/pool/options.js';
import { createProcessPool } from '../../src/pool/process-pool.js';
import { STARTUP_FAILURE_LIMIT } from '../../src/pool/thread-pool.js';
import type { PoolOptions, PoolTask, TaskPool, TaskResult } from '../../src/pool/types.js';
import { heapFlags } from '../../src/pool/worker-process.js';

const fixture = (name: string): string => new URL(`./fixtures/${name}.ts`, import.meta.url).href;
const ECHO = fixture('echo');
const SLEEP = fixture('sleep');
const SPIN = fixture('spin');
const HEAP_HOG = fixture('heap-hog');
const EXIT = fixture('exit');
const THROW_VALUE = fixture('throw-value');

const pools: TaskPool[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close(50)));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function pool(options: Omit<PoolOptions, 'isolation'>, preload: string[] = [ECHO]): TaskPool {
  const o = normalizePoolOptions({ isolation: 'process', ...options }, (f, e, g) => {
    throw new Error(`${f}: ${e}, got ${String(g)}`);
  });
  const p = createProcessPool('test', o, preload);
  pools.push(p);
  return p;
}

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'troupe-process-pool-'));
  dirs.push(d);
  return d;
}

let seq = 0;
function task(module: string, input: unknown, extra: Partial<PoolTask> = {}): PoolTask {
  const n = ++seq;
  return { module, exportName: 'execute', input, timeoutMs: 10_000, signal: undefined, runId: `r${n}`, stepId: 's', idempotencyKey: `k${n}`, attempt: 1, feedback: undefined, describe: () => `task ${n}`, ...extra };
}

function run(p: TaskPool, t: PoolTask): Promise<TaskResult> {
  return new Promise((resolve) => p.run(t, resolve));
}

function output(r: TaskResult): Record<string, unknown> {
  if (!r.ok) throw new Error(`expected success, got ${r.error.code}: ${r.error.message}`);
  return r.output as Record<string, unknown>;
}

async function pidOf(p: TaskPool): Promise<number> {
  return output(await run(p, task(ECHO, null)))['pid'] as number;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/** Wait (polling) until `check` holds, for a state another process reaches on its own time. */
async function until(check: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check() && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
  expect(check()).toBe(true);
}

describe('process pool', () => {
  it('runs a task in a child process and returns its output', async () => {
    const p = pool({ maxThreads: 1 });
    const out = output(await run(p, task(ECHO, { deep: [1, 'two', null], when: new Date(0), big: 10n })));
    expect(out['input']).toEqual({ deep: [1, 'two', null], when: new Date(0), big: 10n });
    expect(out['pid']).not.toBe(process.pid);
    expect(p.stats()).toMatchObject({ isolation: 'process', completed: 1, workers: 1 });
  });

  it('sends a large input and output as msgpack bytes and gets them back intact', async () => {
    const p = pool({ maxThreads: 1 });
    const records = Array.from({ length: 5_000 }, (_, i) => ({ id: i, level: i % 3 === 0 ? 'error' : 'info', tags: ['a', 'b'] }));
    expect(output(await run(p, task(ECHO, records)))['input']).toEqual(records);
  });

  it('never calls done synchronously, even for an input that cannot be sent', async () => {
    const p = pool({ maxThreads: 1 });
    let sync = true;
    const r = new Promise<TaskResult>((resolve) => p.run(task(ECHO, { f: () => 1 }), resolve));
    sync = false;
    const result = await r;
    expect(sync).toBe(false);
    expect(result).toMatchObject({ ok: false, error: { code: 'TROUPE_AGENT_INPUT_INVALID' } });
    expect(output(await run(p, task(ECHO, 1)))['input']).toBe(1);
  });

  it('reports an output that cannot be sent back as TROUPE_AGENT_OUTPUT_INVALID, and keeps the child', async () => {
    const p = pool({ maxThreads: 1 });
    const before = await pidOf(p);
    expect(await run(p, task(fixture('unsendable-output'), null))).toMatchObject({ ok: false, error: { code: 'TROUPE_AGENT_OUTPUT_INVALID' } });
    expect(await pidOf(p)).toBe(before);
  });

  describe('timeouts', () => {
    it('measures a timeout from when the task starts, not from when it waited in the queue', async () => {
      const p = pool({ maxThreads: 1, terminateAfter: 100 });
      const slow = run(p, task(SLEEP, { ms: 600 }, { timeoutMs: 5_000 }));
      const queued = run(p, task(SLEEP, { ms: 10 }, { timeoutMs: 300 }));
      expect((await slow).ok).toBe(true);
      expect(output(await queued)['slept']).toBe(10);
    });

    it('does not count the time a child takes to start', async () => {
      // Starting a child (node + tsx + the module) takes far longer than 150 ms.
      const p = pool({ maxThreads: 1, terminateAfter: 100 });
      expect(output(await run(p, task(SLEEP, { ms: 5 }, { timeoutMs: 150 })))['slept']).toBe(5);
    });

    it('kills an infinite loop that ignores its signal, reports TROUPE_AGENT_TIMEOUT, and the next task works', async () => {
      const p = pool({ maxThreads: 1, terminateAfter: 200 });
      const before = await pidOf(p);
      const r = await run(p, task(SPIN, null, { timeoutMs: 200 }));
      expect(r).toMatchObject({ ok: false, error: { code: 'TROUPE_AGENT_TIMEOUT', data: { terminated: true } } });
      await until(() => !alive(before));
      const after = await pidOf(p);
      expect(after).not.toBe(before);
      expect(p.stats()).toMatchObject({ timeouts: 1, terminated: 1 });
    });
  });

  describe('when a task kills its child', () => {
    it('reports heap exhaustion as TROUPE_AGENT_OUT_OF_MEMORY and the pool works afterwards', async () => {
      const p = pool({ maxThreads: 1, resourceLimits: { maxOldGenerationSizeMb: 64 } });
      const before = await pidOf(p);
      const r = await run(p, task(HEAP_HOG, null, { timeoutMs: 25_000 }));
      expect(r).toMatchObject({ ok: false, error: { code: 'TROUPE_AGENT_OUT_OF_MEMORY' } });
      expect(await pidOf(p)).not.toBe(before);
    });

    it('reports process.exit(3) as TROUPE_WORKER_EXITED with exit code 3', async () => {
      const p = pool({ maxThreads: 1 });
      const r = await run(p, task(EXIT, null));
      expect(r).toMatchObject({ ok: false, error: { code: 'TROUPE_WORKER_EXITED', data: { exitCode: 3 } } });
      expect(output(await run(p, task(ECHO, 'again')))['input']).toBe('again');
    });
  });

  it('reports a thrown non-Error value as a typed error naming the value, and keeps the child', async () => {
    const p = pool({ maxThreads: 1 }, [ECHO, THROW_VALUE]);
    const before = await pidOf(p);
    const r = await run(p, task(THROW_VALUE, null));
    expect(r).toMatchObject({ ok: false, error: { code: 'TROUPE_AGENT_FAILED' } });
    expect(!r.ok && r.error.message).toContain('42');
    expect(await pidOf(p)).toBe(before);
  });

  describe('when children fail to start', () => {
    it(`gives up with TROUPE_POOL_WORKER_FAILED after ${STARTUP_FAILURE_LIMIT} failures in a row and stops spawning`, async () => {
      const log = join(tempDir(), 'spawns.log');
      const crash = `${fixture('startup-crash')}?log=${encodeURIComponent(log)}`;
      const p = pool({ maxThreads: 2 }, [crash]);
      const r = await run(p, task(crash, null));
      expect(r).toMatchObject({ ok: false, error: { code: 'TROUPE_POOL_WORKER_FAILED', data: { failures: STARTUP_FAILURE_LIMIT } } });
      expect(!r.ok && r.error.message).toContain('startup-crash fixture fails on import');
      const spawns = (): number => readFileSync(log, 'utf8').trim().split('\n').length;
      expect(spawns()).toBe(STARTUP_FAILURE_LIMIT);
      // Later tasks fail at once; no child is started for them.
      expect(await run(p, task(crash, null))).toMatchObject({ ok: false, error: { code: 'TROUPE_POOL_WORKER_FAILED' } });
      expect(spawns()).toBe(STARTUP_FAILURE_LIMIT);
      expect(p.stats()).toMatchObject({ startupFailures: STARTUP_FAILURE_LIMIT, failedPermanently: true, workers: 0 });
    });

    it('runs the task on a new child when one fails to start below the bound', async () => {
      const marker = join(tempDir(), 'failed-once');
      const flaky = `${fixture('flaky-start')}?marker=${encodeURIComponent(marker)}`;
      const p = pool({ maxThreads: 1 }, [flaky]);
      const out = output(await run(p, task(flaky, null)));
      expect(out['pid']).not.toBe(Number(readFileSync(marker, 'utf8')));
      expect(p.stats()).toMatchObject({ startupFailures: 1, failedPermanently: false });
    });
  });

  describe('worker lifecycle', () => {
    it('replaces a child after recycleAfter tasks', async () => {
      const p = pool({ maxThreads: 1, recycleAfter: 2 });
      const pids: number[] = [];
      for (let i = 0; i < 4; i++) pids.push(await pidOf(p));
      expect(pids[0]).toBe(pids[1]);
      expect(pids[2]).toBe(pids[3]);
      expect(pids[2]).not.toBe(pids[0]);
      expect(p.stats().recycled).toBe(2);
      await until(() => !alive(pids[0]!));
    });

    it('stops an idle child above minThreads after idleTimeout', async () => {
      const p = pool({ minThreads: 1, maxThreads: 2, idleTimeout: 100 });
      const both = await Promise.all([run(p, task(SLEEP, { ms: 300 })), run(p, task(SLEEP, { ms: 300 }))]);
      const pids = both.map((r) => output(r)['pid'] as number);
      expect(new Set(pids).size).toBe(2);
      await until(() => p.stats().workers === 1 && pids.filter(alive).length === 1);
    });
  });

  describe('cancellation', () => {
    it('aborts the signal of a task that honours it, without killing its child', async () => {
      const p = pool({ maxThreads: 1, terminateAfter: 5_000 });
      const before = await pidOf(p);
      const ac = new AbortController();
      const startedFile = join(tempDir(), 'started');
      const r = run(p, task(SLEEP, { ms: 30_000, startedFile }, { signal: ac.signal }));
      await until(() => existsSync(startedFile));
      ac.abort();
      expect(await r).toMatchObject({ ok: false, error: { code: 'TROUPE_RUN_CANCELLED' } });
      expect(p.stats().terminated).toBe(0);
      expect(await pidOf(p)).toBe(before);
    });

    it('kills the child of a cancelled task that ignores its signal', async () => {
      const p = pool({ maxThreads: 1, terminateAfter: 150 });
      const before = await pidOf(p);
      const ac = new AbortController();
      const startedFile = join(tempDir(), 'started');
      const r = run(p, task(SPIN, { startedFile }, { signal: ac.signal }));
      await until(() => existsSync(startedFile));
      ac.abort();
      expect(await r).toMatchObject({ ok: false, error: { code: 'TROUPE_RUN_CANCELLED' } });
      expect(p.stats().terminated).toBe(1);
      await until(() => !alive(before));
    });
  });

  describe('when 10x more tasks arrive than it can hold', () => {
    it('answers requeue beyond maxQueue, holds at most maxQueue, and runs everything when resubmitted', async () => {
      const p = pool({ maxThreads: 2, maxQueue: 4 });
      const total = 10 * (2 + 4);
      let requeues = 0;
      let maxQueued = 0;
      const submit = (t: PoolTask): Promise<TaskResult> =>
        new Promise((resolve) => {
          const attempt = (): void => {
            p.run(t, (r) => {
              if (r.ok || !r.requeue) return resolve(r);
              requeues++;
              const off = p.onRoom(() => {
                if (!p.hasRoom()) return;
                off();
                attempt();
              });
            });
            maxQueued = Math.max(maxQueued, p.stats().queued);
          };
          attempt();
        });
      const results = await Promise.all(Array.from({ length: total }, (_, i) => submit(task(SLEEP, { ms: 5, i }))));
      expect(results.every((r) => r.ok)).toBe(true);
      expect(requeues).toBeGreaterThanOrEqual(total - 6);
      expect(maxQueued).toBeLessThanOrEqual(4);
      expect(p.stats()).toMatchObject({ completed: total, queued: 0, running: 0 });
    });
  });

  describe('close()', () => {
    it('leaves no child process behind', async () => {
      const p = pool({ minThreads: 1, maxThreads: 2 });
      const both = await Promise.all([run(p, task(SLEEP, { ms: 200 })), run(p, task(SLEEP, { ms: 200 }))]);
      const pids = both.map((r) => output(r)['pid'] as number);
      expect(pids.every(alive)).toBe(true);
      await p.close();
      expect(pids.filter(alive)).toEqual([]);
      expect(p.stats().workers).toBe(0);
    });

    it('fails a task still running after the grace with TROUPE_RUNTIME_STOPPED and kills its child', async () => {
      const p = pool({ maxThreads: 1 });
      const pid = await pidOf(p);
      const startedFile = join(tempDir(), 'started');
      const r = run(p, task(SPIN, { startedFile }));
      await until(() => existsSync(startedFile));
      await p.close(100);
      expect(await r).toMatchObject({ ok: false, error: { code: 'TROUPE_RUNTIME_STOPPED' } });
      expect(alive(pid)).toBe(false);
    });
  });
});

describe('heapFlags', () => {
  it('maps resourceLimits to V8 flags (young generation = 3 semi-spaces, stack in KiB)', () => {
    expect(heapFlags(undefined)).toEqual([]);
    expect(heapFlags({ maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 48, stackSizeMb: 4, codeRangeSizeMb: 16 })).toEqual([
      '--max-old-space-size=64',
      '--max-semi-space-size=16',
      '--stack-size=4096',
    ]);
  });
});

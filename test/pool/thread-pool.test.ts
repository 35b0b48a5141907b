import { afterEach, describe, expect, it } from 'vitest';
import { createThreadPool, STARTUP_FAILURE_LIMIT } from '../../src/pool/thread-pool.js';
import { normalizePoolOptions } from '../../src/pool/options.js';
import type { PoolOptions, PoolTask, TaskPool, TaskResult } from '../../src/pool/types.js';

const ECHO = new URL('./workers/echo.ts', import.meta.url).href;
const HOSTILE = new URL('./workers/hostile.ts', import.meta.url).href;
const CRASH = new URL('./workers/crash-on-load.ts', import.meta.url).href;

const pools: TaskPool[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close(50)));
});

function pool(options: PoolOptions, preload: string[] = [ECHO]): TaskPool {
  const o = normalizePoolOptions(options, (f, e, g) => {
    throw new Error(`${f}: ${e}, got ${String(g)}`);
  });
  const p = createThreadPool('test', o, preload);
  pools.push(p);
  return p;
}

let seq = 0;
function task(module: string, exportName: string, input: unknown, extra: Partial<PoolTask> = {}): PoolTask {
  const n = ++seq;
  return { module, exportName, input, timeoutMs: 5_000, signal: undefined, runId: `r${n}`, stepId: 's', idempotencyKey: `k${n}`, attempt: 1, feedback: undefined, describe: () => `task ${n}`, ...extra };
}

function run(p: TaskPool, t: PoolTask): Promise<TaskResult> {
  return new Promise((resolve) => p.run(t, resolve));
}

function output(r: TaskResult): Record<string, unknown> {
  if (!r.ok) throw new Error(`expected success, got ${r.error.code}: ${r.error.message}`);
  return r.output as Record<string, unknown>;
}

describe('thread pool', () => {
  it('runs a task in a worker thread and returns its output', async () => {
    const p = pool({ maxThreads: 1 });
    const out = output(await run(p, task(ECHO, 'execute', { value: { deep: [1, 'two', null] } })));
    expect(out['value']).toEqual({ deep: [1, 'two', null] });
    expect(out['threadId']).toBeGreaterThan(0);
    expect(out['pid']).toBe(process.pid);
  });

  it('measures a timeout from when the task starts, not from when it was queued', async () => {
    const p = pool({ maxThreads: 1, terminateAfter: 100 });
    // Each task runs 300 ms of a 500 ms timeout; the second waits ~300 ms in the queue first.
    const a = run(p, task(ECHO, 'execute', { sleepMs: 300 }, { timeoutMs: 500 }));
    const b = run(p, task(ECHO, 'execute', { sleepMs: 300 }, { timeoutMs: 500 }));
    expect((await a).ok).toBe(true);
    expect((await b).ok).toBe(true);
  });

  it('a task that honours its signal times out without losing its worker', async () => {
    const p = pool({ maxThreads: 1, terminateAfter: 5_000 });
    const r = await run(p, task(HOSTILE, 'waitForAbort', null, { timeoutMs: 100 }));
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error.code).toBe('TROUPE_AGENT_TIMEOUT');
    expect(p.stats().terminated).toBe(0);
  });

  it('a CPU loop that checks throwIfAborted stops at its deadline', async () => {
    const p = pool({ maxThreads: 1, terminateAfter: 5_000 });
    const r = await run(p, task(ECHO, 'execute', { spinMs: 10_000 }, { timeoutMs: 100 }));
    expect(!r.ok && r.error.code).toBe('TROUPE_AGENT_TIMEOUT');
    expect(p.stats().terminated).toBe(0);
  });

  it('terminates the worker of an infinite loop that ignores its signal; the pool goes on', async () => {
    const p = pool({ maxThreads: 1, terminateAfter: 50 });
    const stuck = run(p, task(HOSTILE, 'spin', null, { timeoutMs: 100 }));
    const next = run(p, task(ECHO, 'execute', { value: 'after' }));
    const r = await stuck;
    expect(!r.ok && r.error.code).toBe('TROUPE_AGENT_TIMEOUT');
    expect(!r.ok && (r.error.data as { terminated?: boolean }).terminated).toBe(true);
    expect(output(await next)['value']).toBe('after');
    expect(p.stats().terminated).toBe(1);
  });

  it('a task that exhausts its heap fails with TROUPE_AGENT_OUT_OF_MEMORY and the pool recovers', async () => {
    const p = pool({ maxThreads: 1, resourceLimits: { maxOldGenerationSizeMb: 32, maxYoungGenerationSizeMb: 8 } });
    const r = await run(p, task(HOSTILE, 'hog', null, { timeoutMs: 60_000 }));
    expect(!r.ok && r.error.code).toBe('TROUPE_AGENT_OUT_OF_MEMORY');
    expect(output(await run(p, task(ECHO, 'execute', { value: 1 })))['value']).toBe(1);
  }, 60_000);

  it('process.exit() inside a task ends only its worker: TROUPE_WORKER_EXITED with the code', async () => {
    const p = pool({ maxThreads: 1 });
    const r = await run(p, task(HOSTILE, 'exit', { code: 3 }));
    expect(!r.ok && r.error.code).toBe('TROUPE_WORKER_EXITED');
    expect(!r.ok && r.error.data).toMatchObject({ exitCode: 3 });
    expect(output(await run(p, task(ECHO, 'execute', { value: 2 })))['value']).toBe(2);
  });

  it('a thrown non-Error value becomes a typed error naming the value', async () => {
    const p = pool({ maxThreads: 1 });
    const r = await run(p, task(HOSTILE, 'throwValue', null));
    expect(!r.ok && r.error.code).toBe('TROUPE_AGENT_FAILED');
    expect(!r.ok && r.error.message).toContain('42');
    const typed = await run(p, task(HOSTILE, 'throwTyped', null));
    expect(!typed.ok && typed.error).toEqual({ code: 'TROUPE_AGENT_FAILED', message: 'policy says no', data: { rule: 7 } });
  });

  it('an output that cannot cross the thread boundary is a typed error, and the worker survives', async () => {
    const p = pool({ maxThreads: 1 });
    const r = await run(p, task(HOSTILE, 'unclonable', null));
    expect(!r.ok && r.error.code).toBe('TROUPE_AGENT_OUTPUT_INVALID');
    expect(output(await run(p, task(ECHO, 'execute', { value: 3 })))['value']).toBe(3);
  });

  it('a module that crashes at start-up is not respawned forever: TROUPE_POOL_WORKER_FAILED after the bound', async () => {
    const p = pool({ maxThreads: 1 }, [CRASH]);
    const r = await run(p, task(CRASH, 'execute', null));
    expect(!r.ok && r.error.code).toBe('TROUPE_POOL_WORKER_FAILED');
    expect(!r.ok && r.error.message).toContain('missing licence file');
    expect(p.stats().startupFailures).toBe(STARTUP_FAILURE_LIMIT);
    expect(p.stats().failedPermanently).toBe(true);
    const again = await run(p, task(CRASH, 'execute', null));
    expect(!again.ok && again.error.code).toBe('TROUPE_POOL_WORKER_FAILED');
    await new Promise((r) => setTimeout(r, 200));
    expect(p.stats().startupFailures).toBe(STARTUP_FAILURE_LIMIT); // no respawn loop behind our back
  });

  it('a worker that exits while loading its module counts as a start-up failure, bounded too', async () => {
    const EXIT = new URL('./workers/exit-on-load.ts', import.meta.url).href;
    const p = pool({ maxThreads: 1 }, [EXIT]);
    const r = await run(p, task(EXIT, 'execute', null));
    expect(!r.ok && r.error.code).toBe('TROUPE_POOL_WORKER_FAILED');
    expect(p.stats().startupFailures).toBe(STARTUP_FAILURE_LIMIT);
  });

  it('recycles a worker after recycleAfter tasks', async () => {
    const p = pool({ maxThreads: 1, recycleAfter: 2 });
    const ids: unknown[] = [];
    for (let i = 0; i < 5; i++) ids.push(output(await run(p, task(ECHO, 'execute', {})))['threadId']);
    expect(ids[0]).toBe(ids[1]);
    expect(ids[2]).not.toBe(ids[1]);
    expect(ids[2]).toBe(ids[3]);
    expect(ids[4]).not.toBe(ids[3]);
    expect(p.stats().recycled).toBeGreaterThanOrEqual(2);
  });

  it('cancels queued and running tasks aborted in mixed order; the pool keeps working (piscina#805)', async () => {
    const p = pool({ maxThreads: 2, terminateAfter: 50 });
    const acs = Array.from({ length: 6 }, () => new AbortController());
    const results = acs.map((ac, i) => run(p, task(i % 2 ? HOSTILE : ECHO, i % 2 ? 'spin' : 'execute', { sleepMs: 10_000 }, { signal: ac.signal, timeoutMs: 60_000 })));
    await new Promise((r) => setTimeout(r, 100));
    for (const i of [3, 0, 5, 1, 4, 2]) acs[i]!.abort(Object.assign(new Error('cancelled by test'), { code: 'TROUPE_RUN_CANCELLED' }));
    for (const r of await Promise.all(results)) expect(!r.ok && r.error.code).toBe('TROUPE_RUN_CANCELLED');
    expect(output(await run(p, task(ECHO, 'execute', { value: 'still here' })))['value']).toBe('still here');
    expect(p.stats().running).toBe(0);
  });

  it('a full queue answers requeue instead of growing; every task completes when resubmitted', async () => {
    const p = pool({ maxThreads: 2, maxQueue: 4 });
    const total = 60; // 10x the pool's capacity of 6
    let refused = 0;
    let maxQueued = 0;
    const submit = (i: number): Promise<TaskResult> =>
      new Promise((resolve) => {
        const attempt = (): void =>
          p.run(task(ECHO, 'execute', { value: i, spinMs: 2 }), (r) => {
            if (!r.ok && r.requeue) {
              refused++;
              // back off until the pool says it has room
              const off = p.onRoom(() => {
                off();
                attempt();
              });
              return;
            }
            resolve(r);
          });
        attempt();
        maxQueued = Math.max(maxQueued, p.stats().queued);
      });
    const results = await Promise.all(Array.from({ length: total }, (_, i) => submit(i)));
    expect(results.map((r) => output(r)['value'])).toEqual(Array.from({ length: total }, (_, i) => i));
    expect(refused).toBeGreaterThan(0);
    expect(maxQueued).toBeLessThanOrEqual(4);
  });

  it('close() fails queued tasks, ends running ones and stops every worker', async () => {
    const p = pool({ maxThreads: 1, terminateAfter: 50 });
    const running = run(p, task(HOSTILE, 'spin', null, { timeoutMs: 60_000 }));
    const queued = run(p, task(ECHO, 'execute', {}));
    await new Promise((r) => setTimeout(r, 100));
    await p.close(50);
    expect((await queued).ok).toBe(false);
    const r = await running;
    expect(!r.ok && r.error.code).toBe('TROUPE_RUNTIME_STOPPED');
    expect(p.stats().workers).toBe(0);
  });
});

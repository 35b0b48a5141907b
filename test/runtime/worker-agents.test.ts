import { afterEach, describe, expect, it } from 'vitest';
import { createRuntime, defineAgent, type RunEvent, type TroupeRuntime } from '../../src/index.js';
import { failureOf } from '../workflow/run-helpers.js';

const ECHO = new URL('../pool/workers/echo.ts', import.meta.url);
const HOSTILE = new URL('../pool/workers/hostile.ts', import.meta.url);

let rt: TroupeRuntime | undefined;
afterEach(async () => {
  await rt?.stop({ timeoutMs: 100 });
  rt = undefined;
});

/** Wait (bounded) until `cond` holds: an event in another thread, not a fixed sleep. */
async function until(cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const quick = defineAgent({ id: 'quick', execute: (i: { n: number }) => ({ n: i.n + 1 }) });

describe('worker agents in the runtime', () => {
  it('a worker agent step runs in another thread and its output enters the context', async () => {
    const scan = defineAgent({ kind: 'worker', id: 'scan', module: ECHO, output: { type: 'object', required: ['value'] }, pool: { maxThreads: 1 } });
    rt = await createRuntime({ agents: [scan, quick], workflows: [{ name: 'w', steps: { a: { agent: 'quick', input: '{ "n": input.n }', next: 'b' }, b: { agent: 'scan', input: '{ "value": a.n }' } } }] });
    const out = (await (await rt.start('w', { n: 41 })).result()) as { value: number; threadId: number };
    expect(out.value).toBe(42);
    expect(out.threadId).toBeGreaterThan(0);
    expect(rt.poolStats()).toEqual([expect.objectContaining({ name: 'agent:scan', completed: 1, failed: 0 })]);
  });

  it('creates a worker agent pool lazily, on its first call', async () => {
    const scan = defineAgent({ kind: 'worker', id: 'scan', module: ECHO });
    rt = await createRuntime({ agents: [scan] });
    expect(rt.poolStats()).toEqual([]);
  });

  it('10x the pool capacity: every step completes, the pool queue never passes maxQueue', async () => {
    const scan = defineAgent({ kind: 'worker', id: 'scan', module: ECHO, pool: { maxThreads: 2, maxQueue: 4 } });
    rt = await createRuntime({ agents: [scan], workflows: [{ name: 'w', steps: { s: { agent: 'scan', input: '{ "value": input.n, "spinMs": 3 }' } } }] });
    const runs = await Promise.all(Array.from({ length: 60 }, (_, n) => rt!.start('w', { n })));
    const outs = (await Promise.all(runs.map((r) => r.result()))) as { value: number }[];
    expect(outs.map((o) => o.value)).toEqual(Array.from({ length: 60 }, (_, n) => n));
    const [stats] = rt.poolStats();
    expect(stats!.completed).toBe(60);
    expect(stats!.peakQueued).toBeLessThanOrEqual(4);
    expect(stats!.failed).toBe(0);
  });

  it('an infinite loop times out, is retried by policy, and other runs go on meanwhile', async () => {
    const spin = defineAgent({ kind: 'worker', id: 'spin', module: HOSTILE, export: 'spin', timeout: '100ms', retry: { max: 1, base: '1ms' }, circuitBreaker: false, pool: { maxThreads: 1, terminateAfter: 50 } });
    rt = await createRuntime({ agents: [spin, quick], workflows: [{ name: 'stuck', steps: { s: { agent: 'spin' } } }, { name: 'ok', steps: { s: { agent: 'quick', input: '{ "n": input.n }' } } }] });
    const events: RunEvent[] = [];
    rt.on((e) => events.push(e));
    const stuck = await rt.start('stuck', {});
    const others = await Promise.all(Array.from({ length: 20 }, (_, n) => rt!.start('ok', { n })));
    expect(await Promise.all(others.map((r) => r.result()))).toEqual(Array.from({ length: 20 }, (_, n) => ({ n: n + 1 })));
    const f = await failureOf(stuck);
    expect(f.code).toBe('TROUPE_AGENT_TIMEOUT');
    const failed = events.find((e) => e.type === 'step.failed' && e.runId === stuck.id);
    expect(failed).toMatchObject({ attempts: 2 });
    expect(rt.poolStats()[0]).toMatchObject({ terminated: 2, timeouts: 2 });
  });

  it('cancelling a run stops its task in the worker', async () => {
    const wait = defineAgent({ kind: 'worker', id: 'wait', module: HOSTILE, export: 'waitForAbort', pool: { maxThreads: 1 } });
    rt = await createRuntime({ agents: [wait], workflows: [{ name: 'w', steps: { s: { agent: 'wait' } } }] });
    const run = await rt.start('w', {});
    await new Promise((r) => setTimeout(r, 100));
    run.cancel('operator said so');
    const f = await failureOf(run);
    expect(f.runCode).toBe('TROUPE_RUN_CANCELLED');
    // The task ends cooperatively (its signal aborts in the worker), without terminating the worker.
    await until(() => rt!.poolStats()[0]!.running === 0);
    expect(rt.poolStats()[0]).toMatchObject({ running: 0, terminated: 0, failed: 1 });
  });

  it('rejects a worker agent definition with a missing module or an inline execute, naming the field', () => {
    expect(() => defineAgent({ kind: 'worker', id: 'x', module: '/nowhere/scan.ts' })).toThrow(/agent "x": module: no such file/);
    expect(() => defineAgent({ kind: 'worker', id: 'x', module: 'relative.ts' })).toThrow(/module: expected an absolute path or a file: URL/);
    expect(() => defineAgent({ kind: 'worker', id: 'x', module: ECHO, execute: () => 1 } as never)).toThrow(/execute: not allowed on a worker agent/);
    expect(() => defineAgent({ kind: 'worker', id: 'x', module: ECHO, pool: { maxQueue: -1 } })).toThrow(/pool.maxQueue: expected an integer >= 0/);
    expect(() => defineAgent({ kind: 'worker', id: 'x', module: ECHO, pool: { maxThreads: 2, minThreads: 3 } })).toThrow(/pool.minThreads: expected at most maxThreads/);
    expect(() => defineAgent({ kind: 'worker', id: 'x', module: ECHO, pool: { queue: 3 } as never })).toThrow(/pool.queue: unknown option/);
  });
});

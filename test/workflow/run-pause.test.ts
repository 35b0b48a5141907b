import { afterEach, describe, expect, it } from 'vitest';
import { createRuntime, defineAgent, MemoryStore, type TroupeRuntime } from '../../src/index.js';

const runtimes: TroupeRuntime[] = [];
afterEach(async () => {
  for (const rt of runtimes.splice(0)) await rt.stop({ timeoutMs: 10 });
});

async function until(check: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 500 && !(await check()); i++) await new Promise((r) => setTimeout(r, 2));
  expect(await check()).toBe(true);
}

const steps = { a: { agent: 'slow', next: 'b' }, b: { agent: 'count' } };

describe('pausing a run', () => {
  it('lets the step in flight finish and be recorded, starts nothing after it until resumed', async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const ran: string[] = [];
    const slow = defineAgent({ id: 'slow', execute: async (_i: unknown, ctx) => (ran.push(ctx.stepId), await held, 'A') });
    const count = defineAgent({ id: 'count', execute: (_i: unknown, ctx) => (ran.push(ctx.stepId), 'B') });
    const rt = await createRuntime({ agents: [slow, count] });
    runtimes.push(rt);
    const run = await rt.start({ name: 'p', steps }, {});
    await until(() => ran.length === 1);
    run.pause({ by: 'alice', comment: 'checking a' });
    expect(run.status().status).toBe('paused');
    release();
    await until(async () => (await run.context()).length === 2);
    await new Promise((r) => setTimeout(r, 20));
    expect(ran).toEqual(['a']);
    expect(run.status().status).toBe('paused');
    run.resume();
    expect(await run.result()).toBe('B');
    expect(ran).toEqual(['a', 'b']);
    // Who paused and resumed is in the log; the view and the path are untouched.
    const log = await run.context();
    expect(log.map((e) => [e.kind, e.step])).toEqual([['operator', ''], ['step', 'a'], ['operator', ''], ['step', 'b']]);
    expect(log[0]!.output).toEqual({ command: 'pause', by: 'alice', comment: 'checking a' });
    expect(log[2]!.output).toEqual({ command: 'resume', by: 'api' });
  });

  it('stays paused across a restart, and resumes on request', async () => {
    const store = new MemoryStore();
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const slow = defineAgent({ id: 'slow', execute: async () => (await held, 'A') });
    const count = defineAgent({ id: 'count', execute: () => 'B' });
    const wf = { name: 'p2', steps };
    const rt1 = await createRuntime({ agents: [slow, count], workflows: [wf], store });
    runtimes.push(rt1);
    const run = await rt1.start('p2', {}, { runId: 'pp' });
    run.pause();
    release();
    await until(async () => (await store.read('pp')).length === 2);
    await rt1.stop({ timeoutMs: 5 });
    expect((await store.getRun('pp'))!.status).toBe('paused');

    const rt2 = await createRuntime({ agents: [slow, count], workflows: [wf], store });
    runtimes.push(rt2);
    await rt2.recover();
    const again = rt2.getRun('pp');
    await new Promise((r) => setTimeout(r, 20));
    expect(again.status().status).toBe('paused');
    expect((await store.read('pp')).map((e) => e.kind)).toEqual(['operator', 'step']);
    again.resume({ by: 'bob' });
    expect(await again.result()).toBe('B');
    expect((await store.read('pp')).map((e) => e.kind)).toEqual(['operator', 'step', 'operator', 'step']);
    expect((await rt2.verify('pp')).ok).toBe(true);
  });
});

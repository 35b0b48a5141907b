import { afterEach, describe, expect, it } from 'vitest';
import { createRuntime, defineAgent, MemoryStore, type ContextEntry, type TroupeRuntime, type WorkflowDefinition } from '../../src/index.js';

const runtimes: TroupeRuntime[] = [];
afterEach(async () => {
  for (const rt of runtimes.splice(0)) await rt.stop({ timeoutMs: 10 });
});

function deferred<T = void>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** What must be identical between an interrupted-and-recovered run and an uninterrupted one. */
const essence = (entries: ContextEntry[]) => entries.map((e) => ({ seq: e.seq, kind: e.kind, step: e.step, agent: e.agent, inputHash: e.inputHash, output: e.output }));

async function untilTrue(check: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 2));
  expect(check()).toBe(true);
}

const flow: WorkflowDefinition = {
  name: 'flow',
  steps: {
    a: { agent: 'count', input: '{ "n": input.n }', next: 'b' },
    b: { agent: 'slow', input: '{ "n": a.n }', next: 'c' },
    c: { agent: 'count', input: '{ "n": b.n }' },
  },
};

describe('recovery', () => {
  it('resumes a run interrupted mid-step: committed steps are not re-executed, the step in flight runs again with the same idempotency key', async () => {
    const store = new MemoryStore();
    const calls: string[] = [];
    const keys: string[] = [];
    const count = defineAgent({ id: 'count', execute: (i: { n: number }, ctx) => (calls.push(ctx.stepId), { n: i.n + 1 }) });
    const hang = deferred();
    const first = defineAgent({ id: 'slow', execute: async (i: { n: number }, ctx) => (keys.push(ctx.idempotencyKey), await hang.promise, { n: i.n * 10 }) });
    const rt1 = await createRuntime({ agents: [count, first], workflows: [flow], store });
    runtimes.push(rt1);
    const run = await rt1.start('flow', { n: 1 }, { runId: 'r1' });
    await untilTrue(() => keys.length === 1);
    await rt1.stop({ timeoutMs: 5 }); // interrupted: the record still says running
    expect((await store.getRun('r1'))!.status).toBe('running');
    await expect(run.result()).rejects.toMatchObject({ code: 'TROUPE_RUNTIME_STOPPED' });

    const second = defineAgent({ id: 'slow', execute: (i: { n: number }, ctx) => (keys.push(ctx.idempotencyKey), { n: i.n * 10 }) });
    const rt2 = await createRuntime({ agents: [count, second], workflows: [flow], store });
    runtimes.push(rt2);
    const [outcome] = await rt2.recover();
    expect(outcome).toMatchObject({ runId: 'r1', resumed: true });
    expect(await rt2.getRun('r1').result()).toEqual({ n: 21 });
    expect(calls).toEqual(['a', 'c']); // a ran once, before the crash; never again
    expect(keys).toEqual(['r1:b:1', 'r1:b:1']);

    // The same log as a run that was never interrupted.
    const rt3 = await createRuntime({ agents: [count, second], workflows: [flow] });
    runtimes.push(rt3);
    const clean = await rt3.start('flow', { n: 1 });
    await clean.result();
    expect(essence(await store.read('r1'))).toEqual(essence(await clean.context()));
  });

  it('keeps a run that waits for approval waiting across a restart; approving it then completes it', async () => {
    const store = new MemoryStore();
    const echo = defineAgent({ id: 'echo', execute: (i: unknown) => i });
    const wf: WorkflowDefinition = { name: 'gate', steps: { draft: { agent: 'echo', input: '{ "plan": input.plan }', approval: { required: true }, next: 'done' }, done: { agent: 'echo', input: '{ "plan": draft.plan, "ok": approvals.draft.approved }' } } };
    const rt1 = await createRuntime({ agents: [echo], workflows: [wf], store });
    runtimes.push(rt1);
    const run = await rt1.start('gate', { plan: 'x' }, { runId: 'g1' });
    await untilTrue(() => run.pendingApprovals().length === 1);
    await rt1.stop({ timeoutMs: 5 });

    const rt2 = await createRuntime({ agents: [echo], workflows: [wf], store });
    runtimes.push(rt2);
    await rt2.recover();
    const resumed = rt2.getRun('g1');
    expect(resumed.pendingApprovals()).toEqual(['draft']);
    expect(resumed.status().status).toBe('waiting-approval');
    resumed.approve('draft', { by: 'ops' });
    expect(await resumed.result()).toEqual({ plan: 'x', ok: true });
    expect((await resumed.context()).map((e) => `${e.kind}:${e.step}`)).toEqual(['step:draft', 'approval:draft', 'step:done']);
  });

  it('re-runs only the branches of a parallel step that were not recorded', async () => {
    const store = new MemoryStore();
    const ran: string[] = [];
    const fast = defineAgent({ id: 'fast', execute: (_i: unknown, ctx) => (ran.push(ctx.stepId), 'F') });
    const hang = deferred();
    const slow1 = defineAgent({ id: 'slowb', execute: async (_i: unknown, ctx) => (ran.push(ctx.stepId), await hang.promise, 'S') });
    const wf: WorkflowDefinition = { name: 'par', steps: { fan: { parallel: { x: { agent: 'fast' }, y: { agent: 'slowb' } }, next: 'end' }, end: { agent: 'fast', input: 'fan' } } };
    const rt1 = await createRuntime({ agents: [fast, slow1], workflows: [wf], store });
    runtimes.push(rt1);
    await rt1.start('par', {}, { runId: 'p1' });
    await untilTrue(() => ran.length === 2);
    await untilTrue(() => store.read('p1') !== undefined);
    await new Promise((r) => setTimeout(r, 5));
    await rt1.stop({ timeoutMs: 5 });
    expect((await store.read('p1')).map((e) => e.step)).toEqual(['fan.x']);

    ran.length = 0;
    const slow2 = defineAgent({ id: 'slowb', execute: (_i: unknown, ctx) => (ran.push(ctx.stepId), 'S') });
    const rt2 = await createRuntime({ agents: [fast, slow2], workflows: [wf], store });
    runtimes.push(rt2);
    await rt2.recover();
    expect(await rt2.getRun('p1').result()).toBe('F');
    expect(ran).toEqual(['fan.y', 'end']);
    expect((await store.read('p1')).map((e) => e.step)).toEqual(['fan.x', 'fan.y', 'end']);
  });

  it('reports, and leaves alone, a run whose workflow is not registered', async () => {
    const store = new MemoryStore();
    const hang = deferred();
    const wait = defineAgent({ id: 'wait', execute: async () => hang.promise });
    const rt1 = await createRuntime({ agents: [wait], workflows: [{ name: 'lost', steps: { a: { agent: 'wait' } } }], store });
    runtimes.push(rt1);
    await rt1.start('lost', {}, { runId: 'l1' });
    await rt1.stop({ timeoutMs: 5 });
    const rt2 = await createRuntime({ agents: [wait], store });
    runtimes.push(rt2);
    const [outcome] = await rt2.recover();
    expect(outcome).toMatchObject({ runId: 'l1', resumed: false, error: { code: 'TROUPE_WORKFLOW_NOT_FOUND' } });
    expect((await store.getRun('l1'))!.status).toBe('running');
  });
});

describe('a decision recorded while no process ran the run', () => {
  it('is applied when the run resumes', async () => {
    const store = new MemoryStore();
    const echo = defineAgent({ id: 'echo', execute: (i: unknown) => i });
    const wf: WorkflowDefinition = { name: 'gate2', steps: { draft: { agent: 'echo', input: '{ "plan": input.plan }', approval: { required: true, reject: 'undo' }, next: 'done' }, done: { agent: 'echo', input: '"applied"' }, undo: { agent: 'echo', input: '"rejected"' } } };
    const rt1 = await createRuntime({ agents: [echo], workflows: [wf], store });
    runtimes.push(rt1);
    const run = await rt1.start('gate2', { plan: 'x' }, { runId: 'o1' });
    await untilTrue(() => run.pendingApprovals().length === 1);
    await rt1.stop({ timeoutMs: 5 });
    await store.putDecision('o1', 'draft', { approved: false, by: 'ops', comment: 'too risky', at: 1 });

    const rt2 = await createRuntime({ agents: [echo], workflows: [wf], store });
    runtimes.push(rt2);
    await rt2.recover();
    expect(await rt2.getRun('o1').result()).toBe('rejected');
    expect((await store.read('o1')).find((e) => e.kind === 'approval')?.output).toEqual({ approved: false, by: 'ops', comment: 'too risky' });
  });
});

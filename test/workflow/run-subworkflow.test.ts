import { afterEach, describe, expect, it } from 'vitest';
import { createRuntime, defineAgent, type AgentContext, type TroupeRuntime, type WorkflowDefinition } from '../../src/index.js';
import { deferred, failureOf, until } from './run-helpers.js';

let rt: TroupeRuntime | undefined;
afterEach(async () => {
  await rt?.stop();
  rt = undefined;
});

const inner: WorkflowDefinition = {
  name: 'inner',
  output: '{ "total": add.sum, "from": input.label }',
  steps: { add: { agent: 'adder', input: '{ "a": input.a, "b": input.b }' } },
};

const outer = (onError?: string): WorkflowDefinition => ({
  name: 'outer',
  steps: {
    prepare: { agent: 'echo', input: '{ "a": input.x, "b": 10 }', next: 'delegate' },
    delegate: { workflow: 'inner', input: '{ "a": prepare.a, "b": prepare.b, "label": "child" }', next: 'finish', ...(onError ? { onError } : {}) },
    finish: { agent: 'echo', input: '{ "result": delegate }' },
    ...(onError ? { [onError]: { agent: 'echo', input: '{ "handled": delegate.error.code }' } } : {}),
  },
});

describe('a sub-workflow step', () => {
  it('runs the child as its own run (parentRunId) and takes its output as the step output', async () => {
    const adder = defineAgent({ id: 'adder', execute: (i: { a: number; b: number }) => ({ sum: i.a + i.b }) });
    const echo = defineAgent({ id: 'echo', execute: (i: unknown) => i });
    rt = await createRuntime({ agents: [adder, echo], workflows: [inner, outer()] });
    const run = await rt.start('outer', { x: 5 });
    expect(await run.result()).toEqual({ result: { total: 15, from: 'child' } });

    const children = await rt.store.listRuns({ workflow: 'inner' });
    expect(children).toHaveLength(1);
    const child = children[0]!;
    expect(child.parentRunId).toBe(run.id);
    expect(child.id).not.toBe(run.id);
    expect(child.status).toBe('completed');
    expect(child.input).toEqual({ a: 5, b: 10, label: 'child' });
    expect(child.output).toEqual({ total: 15, from: 'child' });
    const childLog = await rt.store.read(child.id);
    expect(childLog.map((e) => e.step)).toEqual(['add']);

    const log = await run.context();
    expect(log.map((e) => [e.step, e.agent])).toEqual([
      ['prepare', 'echo'],
      ['delegate', 'workflow:inner'],
      ['finish', 'echo'],
    ]);
  });

  it('fails the step when the child fails, which onError can route', async () => {
    const adder = defineAgent({
      id: 'adder',
      circuitBreaker: false,
      execute: () => {
        throw new Error('cannot add');
      },
    });
    const echo = defineAgent({ id: 'echo', execute: (i: unknown) => i });
    rt = await createRuntime({ agents: [adder, echo], workflows: [inner, outer('recover')] });
    const run = await rt.start('outer', { x: 1 });
    expect(await run.result()).toEqual({ handled: 'TROUPE_RUN_FAILED' });
    const [child] = await rt.store.listRuns({ workflow: 'inner' });
    expect(child!.status).toBe('failed');
    expect(child!.error?.code).toBe('TROUPE_AGENT_FAILED');
  });

  it('fails the parent run when the child fails and the step has no onError', async () => {
    const adder = defineAgent({
      id: 'adder',
      circuitBreaker: false,
      execute: () => {
        throw new Error('cannot add');
      },
    });
    const echo = defineAgent({ id: 'echo', execute: (i: unknown) => i });
    rt = await createRuntime({ agents: [adder, echo], workflows: [inner, outer()] });
    const run = await rt.start('outer', { x: 1 });
    const f = await failureOf(run);
    expect(f.code).toBe('TROUPE_RUN_FAILED');
    expect(f.message).toContain('cannot add');
  });

  it('cancels the child (and aborts its agent) when the parent is cancelled', async () => {
    const childStarted = deferred<AgentContext>();
    const adder = defineAgent({
      id: 'adder',
      execute: (_i: unknown, ctx: AgentContext) =>
        new Promise((_res, rej) => {
          ctx.signal.addEventListener('abort', () => rej(ctx.signal.reason));
          childStarted.resolve(ctx);
        }),
    });
    const echo = defineAgent({ id: 'echo', execute: (i: unknown) => i });
    rt = await createRuntime({ agents: [adder, echo], workflows: [inner, outer()] });
    const run = await rt.start('outer', { x: 1 });
    const ctx = await childStarted.promise;
    const childId = ctx.runId;
    expect(childId).not.toBe(run.id);
    expect(rt.getRun(childId).status().parentRunId).toBe(run.id);

    run.cancel('user asked');
    expect((await failureOf(run)).runCode).toBe('TROUPE_RUN_CANCELLED');
    expect(ctx.signal.aborted).toBe(true);
    const child = rt.getRun(childId);
    expect((await failureOf(child)).runCode).toBe('TROUPE_RUN_CANCELLED');
    expect(child.status().status).toBe('cancelled');
    await until(() => rt!.activeRuns().length === 0, 'no active runs');
    expect(run.status().status).toBe('cancelled');
  });
});

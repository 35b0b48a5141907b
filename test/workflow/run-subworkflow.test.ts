import { afterEach, describe, expect, it } from 'vitest';
import { createRuntime, defineAgent, type AgentContext, type RunHandle, type TroupeRuntime, type WorkflowDefinition } from '../../src/index.js';
import { deferred, failureOf, turn, until } from './run-helpers.js';

/*
 * Regression: RunCore#finish and #interrupt used to call `this.actor.stop()` on a sub-run's actor,
 * which the parent's machine invoked; XState throws "A non-root actor cannot be stopped directly."
 * for it, so a sub-run never settled, its parent's step waited forever, and rt.stop() rejected.
 * (Fixed in 5ba804f while these tests were written: they failed before it.)
 */

let rt: TroupeRuntime | undefined;
afterEach(async () => {
  const r = rt;
  rt = undefined;
  // A short drain: with the bug above, parents of sub-runs never finished.
  await r?.stop({ timeoutMs: 100 }).catch(() => r.tree.root.stop());
});

/** Waits (bounded) for a run to finish, then returns its outcome: fails fast instead of hanging. */
async function settled(run: RunHandle, maxMs = 1_000): Promise<{ ok: boolean; value: unknown }> {
  let outcome: { ok: boolean; value: unknown } | undefined;
  run.result().then(
    (value) => (outcome = { ok: true, value }),
    (value: unknown) => (outcome = { ok: false, value }),
  );
  await until(() => outcome !== undefined, `run ${run.workflow} to settle`, maxMs);
  return outcome!;
}

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

const echo = defineAgent({ id: 'echo', execute: (i: unknown) => i });
const goodAdder = () => defineAgent({ id: 'adder', execute: (i: { a: number; b: number }) => ({ sum: i.a + i.b }) });
const badAdder = () =>
  defineAgent({
    id: 'adder',
    circuitBreaker: false,
    execute: () => {
      throw new Error('cannot add');
    },
  });

describe('a sub-workflow step', () => {
  it('starts the child as its own run, with parentRunId and the mapped input, which runs its steps', async () => {
    rt = await createRuntime({ agents: [goodAdder(), echo], workflows: [inner, outer()] });
    const run = await rt.start('outer', { x: 5 });
    const adds = deferred();
    rt.on((e) => e.type === 'step.completed' && e.entry.step === 'add' && adds.resolve());
    await adds.promise;
    const children = await rt.store.listRuns({ workflow: 'inner' });
    expect(children).toHaveLength(1);
    const child = children[0]!;
    expect(child.parentRunId).toBe(run.id);
    expect(child.id).not.toBe(run.id);
    expect(child.input).toEqual({ a: 5, b: 10, label: 'child' });
    expect((await rt.store.read(child.id)).map((e) => [e.step, e.output])).toEqual([['add', { sum: 15 }]]);
  });

  it('takes the child run output as the step output and continues', async () => {
    rt = await createRuntime({ agents: [goodAdder(), echo], workflows: [inner, outer()] });
    const run = await rt.start('outer', { x: 5 });
    expect(await settled(run)).toEqual({ ok: true, value: { result: { total: 15, from: 'child' } } });
    const [child] = await rt.store.listRuns({ workflow: 'inner' });
    expect(child!.status).toBe('completed');
    expect(child!.output).toEqual({ total: 15, from: 'child' });
    expect((await run.context()).map((e) => [e.step, e.agent])).toEqual([
      ['prepare', 'echo'],
      ['delegate', 'workflow:inner'],
      ['finish', 'echo'],
    ]);
  });

  it('fails the step when the child fails, which onError can route', async () => {
    rt = await createRuntime({ agents: [badAdder(), echo], workflows: [inner, outer('recover')] });
    const run = await rt.start('outer', { x: 1 });
    expect(await settled(run)).toEqual({ ok: true, value: { handled: 'TROUPE_RUN_FAILED' } });
    const [child] = await rt.store.listRuns({ workflow: 'inner' });
    expect(child!.status).toBe('failed');
    expect(child!.error?.code).toBe('TROUPE_AGENT_FAILED');
  });

  it('fails the parent run when the child fails and the step has no onError', async () => {
    rt = await createRuntime({ agents: [badAdder(), echo], workflows: [inner, outer()] });
    const run = await rt.start('outer', { x: 1 });
    const s = await settled(run);
    expect(s.ok).toBe(false);
    expect((await failureOf(run)).code).toBe('TROUPE_RUN_FAILED');
  });

  describe('when the parent is cancelled', () => {
    async function startBlocked() {
      const childStarted = deferred<AgentContext>();
      const adder = defineAgent({
        id: 'adder',
        execute: (_i: unknown, ctx: AgentContext) =>
          new Promise((_res, rej) => {
            ctx.signal.addEventListener('abort', () => rej(ctx.signal.reason));
            childStarted.resolve(ctx);
          }),
      });
      rt = await createRuntime({ agents: [adder, echo], workflows: [inner, outer()] });
      const run = await rt.start('outer', { x: 1 });
      const ctx = await childStarted.promise;
      return { run, ctx, child: rt.getRun(ctx.runId) };
    }

    /** Run `fn` with Node's unhandled rejections captured (they are what this bug produces). */
    async function capturingUnhandled(fn: () => Promise<void>): Promise<unknown[]> {
      const saved = process.listeners('unhandledRejection');
      const caught: unknown[] = [];
      process.removeAllListeners('unhandledRejection');
      process.on('unhandledRejection', (e) => caught.push(e));
      try {
        await fn();
        await turn(3);
      } finally {
        process.removeAllListeners('unhandledRejection');
        for (const l of saved) process.on('unhandledRejection', l);
      }
      return caught;
    }

    it('cancels the parent and the child, aborting the agent the child is running', async () => {
      const { run, ctx, child } = await startBlocked();
      expect(child.status().parentRunId).toBe(run.id);
      await capturingUnhandled(async () => {
        run.cancel('user asked');
        expect((await failureOf(run)).runCode).toBe('TROUPE_RUN_CANCELLED');
      });
      expect(run.status().status).toBe('cancelled');
      expect(ctx.signal.aborted).toBe(true);
      expect(child.status().status).toBe('cancelled');
    });

    it('settles the cancelled child run without an unhandled rejection, and it leaves activeRuns', async () => {
      const { run, child } = await startBlocked();
      const caught = await capturingUnhandled(async () => {
        run.cancel('user asked');
        await failureOf(run);
      });
      // What the bug produced: "A non-root actor cannot be stopped directly." escaping RunCore#finish.
      expect(caught.map((e) => (e as Error).message)).toEqual([]);
      expect(await settled(child, 300)).toMatchObject({ ok: false });
      expect(rt!.activeRuns()).toEqual([]);
    });
  });

  it('lets rt.stop() resolve while a sub-run is in flight', async () => {
    const childStarted = deferred();
    const adder = defineAgent({
      id: 'adder',
      execute: (_i: unknown, ctx: AgentContext) =>
        new Promise((_res, rej) => {
          ctx.signal.addEventListener('abort', () => rej(ctx.signal.reason));
          childStarted.resolve();
        }),
    });
    const local = await createRuntime({ agents: [adder, echo], workflows: [inner, outer()] });
    try {
      await local.start('outer', { x: 1 });
      await childStarted.promise;
      await local.stop({ timeoutMs: 10 }); // rejected with "A non-root actor cannot be stopped directly."
    } finally {
      local.tree.root.stop();
    }
  });
});

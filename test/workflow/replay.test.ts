import fc from 'fast-check';
import { createActor } from 'xstate';
import { afterEach, describe, expect, it } from 'vitest';
import { createRuntime, defineAgent, MemoryStore, type AgentContext, type ContextEntry, type RunHandle, type TroupeRuntime, type WorkflowDefinition } from '../../src/index.js';
import { compileWorkflow, definitionHash, replayRun, viewOf, type CompiledWorkflow, type MachineCore, type ReplayState } from '../../src/workflow/index.js';
import { deferred, rejectionOf, turn, until } from './run-helpers.js';

let rt: TroupeRuntime | undefined;
afterEach(async () => {
  const r = rt;
  rt = undefined;
  await r?.stop({ timeoutMs: 100 }).catch(() => r.tree.root.stop());
});

/** An agent call held until the test releases it: how a run is paused at a chosen point. */
interface Held {
  readonly runId: string;
  readonly step: string;
  readonly key: string;
  release(): void;
}

const workflows: WorkflowDefinition[] = [
  {
    name: 'seq',
    output: '{ "sum": c.n }',
    steps: {
      a: { agent: 'inc', input: '{ "n": input.n }', next: 'b' },
      b: { agent: 'inc', input: '{ "n": a.n }', next: 'c' },
      c: { agent: 'inc', input: '{ "n": b.n }' },
    },
  },
  {
    name: 'incident',
    steps: {
      triage: { agent: 'echo', input: '{ "severity": input.severity }', next: [{ when: 'triage.severity = "low"', to: 'report' }, { to: 'investigate' }] },
      investigate: { parallel: { logs: { agent: 'echo', input: '{ "q": "logs" }' }, intel: { agent: 'echo', input: '{ "q": "intel" }' }, geo: { agent: 'inc', input: '{ "n": 1 }' } }, next: 'remediate' },
      remediate: { agent: 'echo', input: '{ "fix": investigate.logs.q }', approval: { required: 'triage.severity = "high"', reject: 'report' }, compensate: 'undo', next: 'report' },
      report: { agent: 'echo', input: '{ "fixed": remediate.fix, "approved": approvals.remediate.approved }' },
    },
  },
  {
    name: 'fanmap',
    steps: {
      split: { agent: 'echo', input: '{ "items": input.items }', next: 'each' },
      each: { map: { agent: 'inc', items: 'split.items', input: '{ "n": item }', concurrency: 2 }, next: 'join' },
      join: { agent: 'echo', input: '{ "all": each.n }' },
    },
  },
  {
    name: 'loop',
    steps: {
      draft: { agent: 'inc', input: '{ "n": 1 }', maxVisits: 3, next: 'review', onError: [{ when: 'error.code = "TROUPE_LOOP_LIMIT"', to: 'giveup' }] },
      review: { agent: 'echo', input: '{ "ok": false }', next: [{ when: '$not(review.ok)', to: 'draft' }] },
      giveup: { agent: 'echo', input: '{ "code": draft.error.code }' },
    },
  },
  {
    name: 'saga',
    steps: {
      book: { agent: 'echo', input: '{ "booked": input.n }', compensate: 'undo', maxVisits: 2, next: 'pay' },
      pay: { agent: 'echo', input: '{ "paid": book.booked }', compensate: { agent: 'undo', input: '{ "refund": pay.paid }' }, next: 'ship' },
      ship: { agent: 'boom', onError: [{ when: 'error.code = "NOPE"', to: 'book' }] },
    },
  },
  {
    name: 'signoff',
    steps: {
      prep: { agent: 'echo', input: '{ "plan": input.plan }', compensate: 'undo', next: 'approve' },
      approve: { approval: { required: true }, next: 'done' },
      done: { agent: 'echo', input: '{ "ok": approve.approved }' },
    },
  },
  { name: 'inner', output: '{ "total": add.n }', steps: { add: { agent: 'inc', input: '{ "n": input.n }' } } },
  {
    name: 'outer',
    steps: {
      prepare: { agent: 'echo', input: '{ "n": input.n }', next: 'delegate' },
      delegate: { workflow: 'inner', input: '{ "n": prepare.n }', compensate: 'undo', next: 'finish' },
      finish: { agent: 'echo', input: '{ "result": delegate.total }' },
    },
  },
];

type Decide = 'approve' | 'reject';
const scenarios: { name: string; workflow: string; input: unknown; decide?: Decide }[] = [
  { name: 'a sequence', workflow: 'seq', input: { n: 1 } },
  { name: 'a rule routing past the fan-out', workflow: 'incident', input: { severity: 'low' } },
  { name: 'a parallel step and an approved gate', workflow: 'incident', input: { severity: 'high' }, decide: 'approve' },
  { name: 'a gate rejected to its reject step', workflow: 'incident', input: { severity: 'high' }, decide: 'reject' },
  { name: 'a gate whose condition is false', workflow: 'incident', input: { severity: 'medium' } },
  { name: 'a map step', workflow: 'fanmap', input: { items: [1, 2, 3, 4] } },
  { name: 'an empty map step', workflow: 'fanmap', input: { items: [] } },
  { name: 'a loop past maxVisits, routed by onError', workflow: 'loop', input: {} },
  { name: 'a failure with compensations', workflow: 'saga', input: { n: 7 } },
  { name: 'a pure approval step, approved', workflow: 'signoff', input: { plan: 'p' }, decide: 'approve' },
  { name: 'a pure approval step, rejected without reject', workflow: 'signoff', input: { plan: 'p' }, decide: 'reject' },
  { name: 'a sub-workflow step', workflow: 'outer', input: { n: 4 } },
];

async function setup(): Promise<{ rt: TroupeRuntime; held: Held[] }> {
  const held: Held[] = [];
  const agent = (id: string, f: (i: { n?: number }) => unknown) =>
    defineAgent({
      id,
      circuitBreaker: false,
      execute: async (i: { n?: number }, ctx: AgentContext) => {
        const d = deferred();
        held.push({ runId: ctx.runId, step: ctx.stepId, key: ctx.idempotencyKey, release: () => d.resolve() });
        await d.promise;
        return f(i);
      },
    });
  const agents = [
    agent('echo', (i) => i),
    agent('inc', (i) => ({ n: (i.n ?? 0) + 1 })),
    agent('undo', (i) => ({ undone: i })),
    agent('boom', () => {
      throw new Error('out of stock');
    }),
  ];
  rt = await createRuntime({ agents, workflows, store: new MemoryStore() });
  return { rt, held };
}

const wfOf = (run: RunHandle): CompiledWorkflow => (run as unknown as { wf: CompiledWorkflow }).wf;
const finished = (run: RunHandle): boolean => ['completed', 'failed', 'cancelled'].includes(run.status().status);

/** Replay the run's log as it is now and check that it agrees with where RunCore actually is. */
async function expectAgrees(run: RunHandle, held: readonly Held[]): Promise<ReplayState> {
  const entries = await run.context();
  const state = await replayRun(wfOf(run), run.status().input, entries);
  expect(state.view).toEqual(viewOf(run.status().input, entries));
  const s = run.status();
  const mine = held.filter((h) => h.runId === run.id);
  if (s.status === 'completed') expect(state.position).toEqual({ kind: 'completed', output: await run.result() });
  else if (s.status === 'failed') expect(state.position).toEqual({ kind: 'failed', error: s.error });
  else if (s.status === 'waiting-approval') expect(state.position).toEqual({ kind: 'awaiting-approval', step: run.pendingApprovals()[0] });
  else if (mine.some((h) => h.step.endsWith('.compensate'))) {
    expect(state.position.kind).toBe('compensating');
    // The compensation in flight is not recorded yet: its step is still on top of the stack.
    expect(`${state.compensations.at(-1)?.step}.compensate`).toBe(mine[0]!.step);
  } else {
    const step = s.currentSteps[0]!;
    expect(state.position).toMatchObject({ kind: 'step', step });
    if (state.position.kind !== 'step') return state;
    const done = [...state.position.done.branches.map((b) => `${step}.${b}`), ...state.position.done.items.map((i) => `${step}[${i}]`)];
    // This visit's branch or item entries are the log's tail (nothing else is appended while a step runs).
    const tail: string[] = [];
    for (let i = entries.length - 1; i >= 0 && /^[.[]/.test(entries[i]!.step.slice(step.length)) && entries[i]!.step.startsWith(step); i--) tail.push(entries[i]!.step);
    expect(done.sort()).toEqual(tail.sort());
    for (const h of mine) {
      expect(done).not.toContain(h.step);
      expect(h.key).toBe(`${run.id}:${h.step}:${state.visits.get(step)}`); // RunCore's visit count
    }
  }
  return state;
}

/** Drive a run to its end, one held call or decision at a time, checking the replay at every stop. */
async function drive(run: RunHandle, held: Held[], decide: Decide = 'approve'): Promise<ContextEntry[]> {
  for (;;) {
    await until(() => finished(run) || held.length > 0 || run.pendingApprovals().length > 0, `run ${run.workflow} to stop`);
    await turn(5);
    await expectAgrees(run, held);
    if (finished(run)) return run.context();
    const pending = run.pendingApprovals()[0];
    if (pending !== undefined) (decide === 'approve' ? run.approve : run.reject).call(run, pending, { by: 'ops' });
    else held.pop()!.release(); // the newest first: branches and items complete out of order
  }
}

describe('replayRun', () => {
  describe('against RunCore, paused at every agent call and approval', () => {
    for (const sc of scenarios) {
      it(`agrees on the position for ${sc.name}`, async () => {
        const { rt, held } = await setup();
        const run = await rt.start(sc.workflow, sc.input);
        await drive(run, held, sc.decide);
      });
    }
  });

  describe('on a completed or failed log', () => {
    it('rebuilds visits, the compensation stack and the last completed step', async () => {
      const { rt, held } = await setup();
      const loop = await rt.start('loop', {});
      const loopState = await replayRun(wfOf(loop), {}, await drive(loop, held));
      expect(loopState.visits).toEqual(new Map([['draft', 4], ['review', 3], ['giveup', 1]]));
      expect(loopState).toMatchObject({ lastCompleted: 'giveup', position: { kind: 'completed', output: { code: 'TROUPE_LOOP_LIMIT' } } });

      const saga = await rt.start('saga', { n: 7 });
      const log = await drive(saga, held);
      expect(log.map((e) => `${e.kind}:${e.step}`)).toEqual(['step:book', 'step:pay', 'error:ship', 'compensation:pay', 'compensation:book']);
      const at = async (n: number) => replayRun(wfOf(saga), { n: 7 }, log.slice(0, n));
      expect(await at(3)).toMatchObject({ compensations: [{ step: 'book', output: { booked: 7 } }, { step: 'pay', output: { paid: 7 } }], position: { kind: 'compensating' } });
      expect(await at(4)).toMatchObject({ compensations: [{ step: 'book' }], position: { kind: 'compensating', error: { code: 'TROUPE_AGENT_FAILED' } } });
      expect(await at(5)).toMatchObject({ compensations: [], lastCompleted: 'pay', position: { kind: 'failed', error: { code: 'TROUPE_AGENT_FAILED' } } });
    });

    it('names the rejection, and an empty map step waits for its [] entry', async () => {
      const { rt, held } = await setup();
      const signoff = await rt.start('signoff', { plan: 'p' });
      const state = await replayRun(wfOf(signoff), { plan: 'p' }, await drive(signoff, held, 'reject'));
      expect(state.position).toEqual({ kind: 'failed', error: { code: 'TROUPE_APPROVAL_REJECTED', message: 'step approve was rejected by ops', data: { step: 'approve' } } });

      const empty = await rt.start('fanmap', { items: [] });
      const log = await drive(empty, held);
      expect(log.map((e) => `${e.step}=${JSON.stringify(e.output)}`)).toEqual(['split={"items":[]}', 'each=[]', 'join={}']);
      const before = await replayRun(wfOf(empty), { items: [] }, log.slice(0, 1));
      expect(before.position).toEqual({ kind: 'step', step: 'each', done: { branches: [], items: [] } });
    });
  });

  describe('on any prefix of a finished run’s log', () => {
    it('never throws, and its view is viewOf the prefix (and fan-out entries may come in any order)', async () => {
      const { rt, held } = await setup();
      const logs: { wf: CompiledWorkflow; input: unknown; log: ContextEntry[]; end: ReplayState['position'] }[] = [];
      for (const sc of scenarios) {
        const run = await rt.start(sc.workflow, sc.input);
        const log = await drive(run, held, sc.decide);
        logs.push({ wf: wfOf(run), input: sc.input, log, end: (await replayRun(wfOf(run), sc.input, log)).position });
      }
      await fc.assert(
        fc.asyncProperty(fc.nat(logs.length - 1), fc.nat(), fc.array(fc.nat()), async (which, cut, swaps) => {
          const { wf, input, log, end } = logs[which]!;
          // Swap adjacent entries of one fan-out step (`s.x` / `s[i]`): RunCore records them as they complete.
          const shuffled = log.slice();
          for (const s of swaps) {
            const i = s % Math.max(1, shuffled.length - 1);
            const [x, y] = [shuffled[i], shuffled[i + 1]];
            if (x && y && /[.[]/.test(x.step) && /[.[]/.test(y.step) && x.step.split(/[.[]/)[0] === y.step.split(/[.[]/)[0]) [shuffled[i], shuffled[i + 1]] = [y, x];
          }
          const prefix = shuffled.slice(0, cut % (shuffled.length + 1));
          const state = await replayRun(wf, input, prefix);
          expect(state.view).toEqual(viewOf(input, prefix));
          if (prefix.length === log.length) expect(state.position).toEqual(end);
        }),
        { numRuns: 300, seed: 42 },
      );
    });
  });

  describe('when the workflow changed after the run started', () => {
    const compile = (def: WorkflowDefinition): CompiledWorkflow => compileWorkflow(def, definitionHash(def), () => { throw new Error('no children'); });

    it('throws TROUPE_REPLAY_DIVERGED naming the seq, the logged step and the expected step', async () => {
      const { rt, held } = await setup();
      const run = await rt.start('seq', { n: 1 });
      const log = await drive(run, held);
      const edited = compile({ ...workflows[0]!, steps: { a: { agent: 'inc', next: 'b2' }, b2: { agent: 'inc', next: 'c' }, c: { agent: 'inc' } } });
      const e = await rejectionOf(replayRun(edited, { n: 1 }, log));
      expect(e).toMatchObject({ code: 'TROUPE_REPLAY_DIVERGED', data: { seq: 2, step: 'b', expected: 'b2' } });
      expect(e.message).toContain('seq 2');

      const shorter = compile({ name: 'seq', steps: { a: { agent: 'inc', next: 'b' }, b: { agent: 'inc' } } });
      expect(await rejectionOf(replayRun(shorter, { n: 1 }, log))).toMatchObject({ code: 'TROUPE_REPLAY_DIVERGED', data: { seq: 3, step: 'c', expected: null } });

      const gated = compile({ name: 'seq', steps: { a: { agent: 'inc', next: 'b', approval: { required: true } }, b: { agent: 'inc', next: 'c' }, c: { agent: 'inc' } } });
      expect(await rejectionOf(replayRun(gated, { n: 1 }, log))).toMatchObject({ code: 'TROUPE_REPLAY_DIVERGED', data: { seq: 2, step: 'b', expected: 'a' } });
    });
  });

  describe('resuming the machine at a replayed position', () => {
    it('restores a step state (and an approval gate’s substate) without running entry actions or the context factory', async () => {
      const { rt } = await setup();
      const wf = wfOf(await rt.start('incident', { severity: 'low' }));
      const entered: string[] = [];
      const core: MachineCore = { enter: (s) => void entered.push(s), attach: () => void entered.push('attach'), childInput: () => ({}) };
      const actor = createActor(wf.machine, { snapshot: wf.machine.resolveState({ value: { remediate: 'awaiting' }, context: { core } }) }).start();
      expect(entered).toEqual([]);
      expect(actor.getSnapshot().value).toEqual({ remediate: 'awaiting' });
      actor.send({ type: 'to.report' });
      expect(entered).toEqual(['report']);
      actor.send({ type: 'run.complete' });
      expect(actor.getSnapshot().status).toBe('done');
    });

    it('restores a sub-workflow step without invoking its child (recovery resumes the child run itself)', async () => {
      const { rt } = await setup();
      const wf = wfOf(await rt.start('outer', { n: 1 }));
      const calls: string[] = [];
      const core: MachineCore = { enter: (s) => void calls.push(`enter:${s}`), attach: () => undefined, childInput: (s) => (calls.push(`child:${s}`), {}) };
      const actor = createActor(wf.machine, { snapshot: wf.machine.resolveState({ value: 'delegate', context: { core } }) }).start();
      expect(Object.keys(actor.getSnapshot().children)).toEqual([]);
      actor.send({ type: 'to.finish' });
      expect(calls).toEqual(['enter:finish']);
      expect(actor.getSnapshot().value).toBe('finish');
    });
  });
});

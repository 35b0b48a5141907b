import { afterEach, describe, expect, it } from 'vitest';
import { createRuntime, defineAgent, type AgentContext, type CorrectionFeedback, type TroupeRuntime, type WorkflowDefinition } from '../../src/index.js';
import { failureOf } from './run-helpers.js';

let rt: TroupeRuntime | undefined;
afterEach(async () => {
  await rt?.stop();
  rt = undefined;
});

describe('a bounded loop', () => {
  const loop = (withOnError: boolean): WorkflowDefinition => ({
    name: withOnError ? 'loop-routed' : 'loop',
    steps: {
      draft: { agent: 'writer', maxVisits: 3, next: 'review', ...(withOnError ? { onError: [{ when: 'error.code = "TROUPE_LOOP_LIMIT"', to: 'giveup' }] } : {}) },
      review: { agent: 'reviewer', next: [{ when: '$not(review.ok)', to: 'draft' }] },
      ...(withOnError ? { giveup: { agent: 'giveup', input: '{ "code": draft.error.code, "drafts": input.n }' } } : {}),
    },
  });
  const agents = (counts: { writer: number; reviewer: number }) => [
    defineAgent({ id: 'writer', execute: () => ({ text: `draft ${++counts.writer}` }) }),
    defineAgent({ id: 'reviewer', execute: () => ({ ok: ++counts.reviewer > 100 }) }),
    defineAgent({ id: 'giveup', execute: (i: unknown) => ({ gaveUp: i }) }),
  ];

  it('ends with TROUPE_LOOP_LIMIT when a step is entered more than maxVisits times', async () => {
    const counts = { writer: 0, reviewer: 0 };
    rt = await createRuntime({ agents: agents(counts), workflows: [loop(false)] });
    const run = await rt.start('loop', {});
    const f = await failureOf(run);
    expect(f.code).toBe('TROUPE_LOOP_LIMIT');
    expect(f.error.data).toMatchObject({ step: 'draft', maxVisits: 3 });
    expect(counts).toEqual({ writer: 3, reviewer: 3 });
    const log = await run.context();
    expect(log.map((e) => `${e.kind}:${e.step}`)).toEqual([
      'step:draft',
      'step:review',
      'step:draft',
      'step:review',
      'step:draft',
      'step:review',
      'error:draft',
    ]);
  });

  it('lets onError route TROUPE_LOOP_LIMIT to another step', async () => {
    const counts = { writer: 0, reviewer: 0 };
    rt = await createRuntime({ agents: agents(counts), workflows: [loop(true)] });
    const run = await rt.start('loop-routed', {});
    expect(await run.result()).toEqual({ gaveUp: { code: 'TROUPE_LOOP_LIMIT' } });
    expect(counts.writer).toBe(3);
  });

  it('leaves the loop as soon as the exit condition holds', async () => {
    let reviews = 0;
    rt = await createRuntime({
      agents: [
        defineAgent({ id: 'writer', execute: (_i: unknown, ctx: AgentContext) => ({ key: ctx.idempotencyKey }) }),
        defineAgent({ id: 'reviewer', execute: () => ({ ok: ++reviews === 2 }) }),
      ],
      workflows: [loop(false)],
    });
    const run = await rt.start('loop', {});
    await run.result();
    const log = await run.context();
    expect(log.map((e) => e.step)).toEqual(['draft', 'review', 'draft', 'review']);
    // Each visit of a step gets its own idempotency key.
    const keys = log.filter((e) => e.step === 'draft').map((e) => (e.output as { key: string }).key);
    expect(new Set(keys).size).toBe(2);
  });
});

describe('self-correction (`correct`)', () => {
  const schema = { type: 'object', required: ['answer'], properties: { answer: { type: 'number' } } };

  it('hands the rejected output and its errors to the agent as ctx.feedback, which fixes it on the 2nd try', async () => {
    const feedbacks: (CorrectionFeedback | undefined)[] = [];
    const solver = defineAgent({
      id: 'solver',
      output: schema,
      execute: (_i: unknown, ctx: AgentContext) => {
        feedbacks.push(ctx.feedback);
        return ctx.feedback ? { answer: 42 } : { answer: 'forty-two' };
      },
    });
    rt = await createRuntime({ agents: [solver] });
    const run = await rt.start({ name: 'fix', steps: { solve: { agent: 'solver', correct: { max: 3 } } } }, {});
    expect(await run.result()).toEqual({ answer: 42 });
    expect(feedbacks).toHaveLength(2);
    expect(feedbacks[0]).toBeUndefined();
    expect(feedbacks[1]).toMatchObject({ attempt: 1, previousOutput: { answer: 'forty-two' } });
    expect(feedbacks[1]!.errors.map((e) => e.path)).toEqual(['/answer']);
    // The rejected output never entered the context log.
    const log = await run.context();
    expect(log.map((e) => [e.kind, e.step, e.output])).toEqual([['step', 'solve', { answer: 42 }]]);
  });

  it('re-runs while the `check` expression is false, with the candidate output under the step id', async () => {
    const seen: (CorrectionFeedback | undefined)[] = [];
    const guess = defineAgent({
      id: 'guess',
      execute: (_i: unknown, ctx: AgentContext) => {
        seen.push(ctx.feedback);
        return { n: ctx.attempt + seen.length * 5 };
      },
    });
    rt = await createRuntime({ agents: [guess] });
    const run = await rt.start({ name: 'check', steps: { g: { agent: 'guess', correct: { max: 5, check: 'g.n > 12' } } } }, {});
    expect(await run.result()).toEqual({ n: 16 });
    expect(seen).toHaveLength(3);
    expect(seen[1]!.errors[0]!.message).toContain('g.n > 12');
    expect(seen[2]).toMatchObject({ attempt: 2, previousOutput: { n: 11 } });
    const log = await run.context();
    expect(log.map((e) => e.output)).toEqual([{ n: 16 }]);
  });

  it('gives up after `max` attempts with TROUPE_AGENT_OUTPUT_INVALID, recording no rejected output', async () => {
    let calls = 0;
    const stubborn = defineAgent({ id: 'stubborn', output: schema, execute: () => ({ answer: `no ${++calls}` }) });
    rt = await createRuntime({ agents: [stubborn] });
    const run = await rt.start({ name: 'giveup', steps: { s: { agent: 'stubborn', correct: { max: 3 } } } }, {});
    const f = await failureOf(run);
    expect(f.code).toBe('TROUPE_AGENT_OUTPUT_INVALID');
    expect(f.message).toContain('/answer');
    expect(f.error.data).toMatchObject({ rounds: 3, output: { answer: 'no 3' } });
    expect(calls).toBe(3);
    const log = await run.context();
    expect(log.map((e) => e.kind)).toEqual(['error']);
    expect(log.some((e) => e.kind === 'step')).toBe(false);
  });

  it('without `correct`, an invalid output is not retried even with a retry policy', async () => {
    let calls = 0;
    const bad = defineAgent({ id: 'bad', output: schema, retry: { max: 3, base: 1 }, execute: () => ({ answer: String(++calls) }) });
    rt = await createRuntime({ agents: [bad] });
    const run = await rt.start({ name: 'noretry', steps: { s: { agent: 'bad' } } }, {});
    expect((await failureOf(run)).code).toBe('TROUPE_AGENT_OUTPUT_INVALID');
    expect(calls).toBe(1);
  });

  // Regression test (was a bug found by this suite).
  it('puts `feedback` in the view of the input mapping on a correction round', async () => {
    const inputs: unknown[] = [];
    const solver = defineAgent({
      id: 'solver',
      output: schema,
      execute: (i: { hint?: unknown }) => {
        inputs.push(i);
        return i.hint === undefined ? { answer: 'x' } : { answer: 1 };
      },
    });
    rt = await createRuntime({ agents: [solver] });
    const run = await rt.start({ name: 'fb-view', steps: { s: { agent: 'solver', input: '{ "q": input.q, "hint": feedback.errors[0].path }', correct: { max: 2 } } } }, { q: 1 });
    await run.result();
    expect(inputs).toEqual([{ q: 1 }, { q: 1, hint: '/answer' }]);
  });
});

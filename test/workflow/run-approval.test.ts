import { afterEach, describe, expect, it } from 'vitest';
import { createRuntime, defineAgent, type RunEvent, type RunHandle, type TroupeRuntime, type WorkflowDefinition } from '../../src/index.js';
import { deferred, failureOf, rejectionOf } from './run-helpers.js';

let rt: TroupeRuntime | undefined;
afterEach(async () => {
  await rt?.stop();
  rt = undefined;
});

/** Resolves when the run asks for approval of `step`. */
function approvalRequested(run: RunHandle, step: string): Promise<RunEvent> {
  const d = deferred<RunEvent>();
  if (run.pendingApprovals().includes(step)) d.resolve({ type: 'approval.requested', runId: run.id, step });
  const off = run.on((e) => {
    if (e.type === 'approval.requested' && e.step === step) {
      off();
      d.resolve(e);
    }
  });
  return d.promise;
}

const agents = (calls: string[]) => [
  defineAgent({ id: 'remediate', execute: (i: { host?: string }) => (calls.push('remediate'), { contained: i.host ?? 'all' }) }),
  defineAgent({ id: 'report', execute: (i: unknown) => (calls.push('report'), { report: i }) }),
  defineAgent({ id: 'review', execute: (i: unknown) => (calls.push('review'), { reviewed: i }) }),
];

const gated = (extra: Record<string, unknown> = {}): WorkflowDefinition => ({
  name: 'gated',
  steps: {
    remediate: { agent: 'remediate', input: '{ "host": input.host }', approval: { prompt: 'Contain?', ...extra }, next: 'report' },
    report: { agent: 'report', input: '{ "r": remediate }' },
    ...(extra.reject ? { review: { agent: 'review', input: '{ "r": remediate }' } } : {}),
  },
});

describe('an approval on a task step', () => {
  it('runs the agent, then waits with status waiting-approval and the step pending', async () => {
    const calls: string[] = [];
    rt = await createRuntime({ agents: agents(calls), workflows: [gated({ reject: 'review' })] });
    const run = await rt.start('gated', { host: 'h1' });
    const ev = await approvalRequested(run, 'remediate');
    expect(ev).toMatchObject({ prompt: 'Contain?', output: { contained: 'h1' } });
    expect(run.status().status).toBe('waiting-approval');
    expect(run.pendingApprovals()).toEqual(['remediate']);
    expect(calls).toEqual(['remediate']);
    expect((await rt.store.getRun(run.id))?.status).toBe('waiting-approval');
  });

  it('continues along `next` when approved, recording the decision without replacing the output', async () => {
    const calls: string[] = [];
    rt = await createRuntime({ agents: agents(calls), workflows: [gated({ reject: 'review' })] });
    const run = await rt.start('gated', { host: 'h1' });
    await approvalRequested(run, 'remediate');
    run.approve('remediate', { by: 'ops', comment: 'go' });
    expect(await run.result()).toEqual({ report: { r: { contained: 'h1' } } });
    expect(run.pendingApprovals()).toEqual([]);
    expect(calls).toEqual(['remediate', 'report']);
    const log = await run.context();
    expect(log.map((e) => [e.kind, e.step])).toEqual([
      ['step', 'remediate'],
      ['approval', 'remediate'],
      ['step', 'report'],
    ]);
    expect(log[1]!.output).toEqual({ approved: true, by: 'ops', comment: 'go' });
  });

  it('takes the `reject` branch when rejected', async () => {
    const calls: string[] = [];
    rt = await createRuntime({ agents: agents(calls), workflows: [gated({ reject: 'review' })] });
    const run = await rt.start('gated', { host: 'h1' });
    await approvalRequested(run, 'remediate');
    run.reject('remediate', { by: 'ops' });
    await run.result();
    expect(calls).toEqual(['remediate', 'review']);
    const log = await run.context();
    expect(log[1]).toMatchObject({ kind: 'approval', step: 'remediate', output: { approved: false, by: 'ops' } });
  });

  // docs/workflow-format.md:215-217 still says "on rejection the output is discarded", but the
  // code (and the `approvals` row of the same page) keep the agent's output in the view and put
  // the decision under `approvals.<step>`: this test pins the code's behaviour; the docs are stale.
  it('keeps the gated output in the view and puts the decision under approvals.<step>', async () => {
    const calls: string[] = [];
    rt = await createRuntime({
      agents: agents(calls),
      workflows: [
        {
          name: 'gated-view',
          steps: {
            remediate: { agent: 'remediate', input: '{ "host": input.host }', approval: { reject: 'review' }, next: 'report' },
            report: { agent: 'report', input: '{ "r": remediate, "ok": approvals.remediate.approved }' },
            review: { agent: 'review', input: '{ "r": remediate, "ok": approvals.remediate.approved, "by": approvals.remediate.by }' },
          },
        },
      ],
    });
    const rejected = await rt.start('gated-view', { host: 'h1' });
    await approvalRequested(rejected, 'remediate');
    rejected.reject('remediate', { by: 'ops' });
    expect(await rejected.result()).toEqual({ reviewed: { r: { contained: 'h1' }, ok: false, by: 'ops' } });
    const approved = await rt.start('gated-view', { host: 'h2' });
    await approvalRequested(approved, 'remediate');
    approved.approve('remediate');
    expect(await approved.result()).toEqual({ report: { r: { contained: 'h2' }, ok: true } });
  });

  it('fails the run with TROUPE_APPROVAL_REJECTED when rejected without a `reject` branch', async () => {
    const calls: string[] = [];
    rt = await createRuntime({ agents: agents(calls), workflows: [gated()] });
    const run = await rt.start('gated', { host: 'h1' });
    await approvalRequested(run, 'remediate');
    run.reject('remediate', { comment: 'too risky' });
    const f = await failureOf(run);
    expect(f.code).toBe('TROUPE_APPROVAL_REJECTED');
    expect(f.message).toContain('too risky');
    expect(run.status().status).toBe('failed');
    expect(calls).toEqual(['remediate']);
  });

  it('throws TROUPE_APPROVAL_NOT_PENDING for a step that is not waiting, and for a second decision', async () => {
    const calls: string[] = [];
    rt = await createRuntime({ agents: agents(calls), workflows: [gated({ reject: 'review' })] });
    const run = await rt.start('gated', { host: 'h1' });
    await approvalRequested(run, 'remediate');
    expect((await rejectionOf(() => run.approve('report'))).code).toBe('TROUPE_APPROVAL_NOT_PENDING');
    expect((await rejectionOf(() => run.reject('nope'))).code).toBe('TROUPE_APPROVAL_NOT_PENDING');
    run.approve('remediate');
    expect((await rejectionOf(() => run.approve('remediate'))).code).toBe('TROUPE_APPROVAL_NOT_PENDING');
    await run.result();
    expect(calls).toEqual(['remediate', 'report']);
  });

  it('is skipped when `required` is an expression that is false, and applies when it is true', async () => {
    const calls: string[] = [];
    rt = await createRuntime({ agents: agents(calls), workflows: [gated({ required: 'input.severity != "low"' })] });
    const low = await rt.start('gated', { host: 'h1', severity: 'low' });
    expect(await low.result()).toEqual({ report: { r: { contained: 'h1' } } });
    expect((await low.context()).some((e) => e.kind === 'approval')).toBe(false);

    const high = await rt.start('gated', { host: 'h2', severity: 'high' });
    await approvalRequested(high, 'remediate');
    expect(high.status().status).toBe('waiting-approval');
    high.approve('remediate');
    expect(await high.result()).toEqual({ report: { r: { contained: 'h2' } } });
  });

  it('is approved at once with the autoApprove option', async () => {
    const calls: string[] = [];
    rt = await createRuntime({ agents: agents(calls), workflows: [gated()], autoApprove: true });
    const run = await rt.start('gated', { host: 'h1' });
    expect(await run.result()).toEqual({ report: { r: { contained: 'h1' } } });
    const log = await run.context();
    expect(log[1]).toMatchObject({ kind: 'approval', output: { approved: true, by: 'auto-approve' } });
  });
});

describe('a pure approval step', () => {
  const signOff: WorkflowDefinition = {
    name: 'sign-off',
    steps: {
      prepare: { agent: 'report', input: '{ "v": input.v }', next: 'sign' },
      sign: { approval: { prompt: 'Ship it?', reject: 'rework' }, next: 'ship' },
      ship: { agent: 'remediate', input: '{ "host": $string(sign.approved) & ":" & sign.by }' },
      rework: { agent: 'review', input: '{ "decision": sign }' },
    },
  };

  it('waits, then outputs the decision {approved, by, comment} as the step output', async () => {
    const calls: string[] = [];
    rt = await createRuntime({ agents: agents(calls), workflows: [signOff] });
    const run = await rt.start('sign-off', { v: 1 });
    await approvalRequested(run, 'sign');
    expect(run.status().status).toBe('waiting-approval');
    expect(calls).toEqual(['report']);
    run.approve('sign', { by: 'lead', comment: 'ok' });
    expect(await run.result()).toEqual({ contained: 'true:lead' });
    const log = await run.context();
    expect(log.map((e) => [e.kind, e.step])).toEqual([
      ['step', 'prepare'],
      ['step', 'sign'],
      ['step', 'ship'],
    ]);
    expect(log[1]!.output).toEqual({ approved: true, by: 'lead', comment: 'ok' });
  });

  it('goes to its reject branch with the rejection as its output', async () => {
    const calls: string[] = [];
    rt = await createRuntime({ agents: agents(calls), workflows: [signOff] });
    const run = await rt.start('sign-off', { v: 1 });
    await approvalRequested(run, 'sign');
    run.reject('sign', { by: 'lead' });
    expect(await run.result()).toEqual({ reviewed: { decision: { approved: false, by: 'lead' } } });
  });

  it('is approved by autoApprove', async () => {
    const calls: string[] = [];
    rt = await createRuntime({ agents: agents(calls), workflows: [signOff], autoApprove: true });
    const run = await rt.start('sign-off', { v: 1 });
    expect(await run.result()).toEqual({ contained: 'true:auto-approve' });
  });

  it('is not waited for by stop(): a run waiting for a human is interrupted, not drained', async () => {
    const calls: string[] = [];
    rt = await createRuntime({ agents: agents(calls), workflows: [signOff] });
    const run = await rt.start('sign-off', { v: 1 });
    await approvalRequested(run, 'sign');
    await rt.stop();
    expect((await rejectionOf(run.result())).code).toBe('TROUPE_RUNTIME_STOPPED');
  });
});

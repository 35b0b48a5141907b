import { afterEach, describe, expect, it } from 'vitest';
import { createRuntime, defineAgent, MemoryStore, type TroupeRuntime, type WorkflowDefinition } from '../../src/index.js';

const runtimes: TroupeRuntime[] = [];
afterEach(async () => {
  for (const rt of runtimes.splice(0)) await rt.stop({ timeoutMs: 10 });
});

const echo = defineAgent({ id: 'echo', execute: (i: unknown) => i });
const wf: WorkflowDefinition = {
  name: 'deadline',
  steps: {
    draft: { agent: 'echo', input: '"plan"', approval: { timeout: '80ms', reject: 'fallback' }, next: 'apply' },
    apply: { agent: 'echo', input: '"applied"' },
    fallback: { agent: 'echo', input: '{ "decision": approvals.draft }' },
  },
};

describe('an approval deadline (a durable timer)', () => {
  it('counts the step as rejected by "timeout" when nobody decides in time', async () => {
    const rt = await createRuntime({ agents: [echo], workflows: [wf] });
    runtimes.push(rt);
    const run = await rt.start('deadline', {});
    expect(await run.result()).toEqual({ decision: { approved: false, by: 'timeout', comment: 'no decision before the approval deadline' } });
  });

  it('is disarmed by a decision in time', async () => {
    const rt = await createRuntime({ agents: [echo], workflows: [wf] });
    runtimes.push(rt);
    const run = await rt.start('deadline', {});
    for (let i = 0; i < 100 && run.pendingApprovals().length === 0; i++) await new Promise((r) => setTimeout(r, 1));
    run.approve('draft');
    expect(await run.result()).toBe('applied');
    await new Promise((r) => setTimeout(r, 120));
    expect((await run.context()).filter((e) => e.kind === 'approval')).toHaveLength(1);
  });

  it('survives a restart: re-armed from its recorded deadline, it still fires', async () => {
    const store = new MemoryStore();
    const rt1 = await createRuntime({ agents: [echo], workflows: [wf], store });
    runtimes.push(rt1);
    const run = await rt1.start('deadline', {}, { runId: 'dl' });
    for (let i = 0; i < 100 && run.pendingApprovals().length === 0; i++) await new Promise((r) => setTimeout(r, 1));
    await rt1.stop({ timeoutMs: 5 });
    expect(await store.getTimer('dl', 'approval:draft')).toBeGreaterThan(0);

    const rt2 = await createRuntime({ agents: [echo], workflows: [wf], store, recover: true });
    runtimes.push(rt2);
    expect(await rt2.getRun('dl').result()).toMatchObject({ decision: { approved: false, by: 'timeout' } });
    expect(await store.getTimer('dl', 'approval:draft')).toBeUndefined();
  });
});

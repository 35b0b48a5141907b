import { afterEach, describe, expect, it } from 'vitest';
import { createRuntime, defineAgent, type TroupeRuntime, type WorkflowDefinition } from '../../src/index.js';

let rt: TroupeRuntime | undefined;
afterEach(async () => {
  await rt?.stop();
  rt = undefined;
});

const calls: string[] = [];
const tag = defineAgent({ id: 'tag', execute: (i: { v: string }, ctx) => (calls.push(ctx.stepId), { v: `${i.v}>${ctx.stepId}` }) });
const shout = defineAgent({ id: 'shout', execute: (i: { v: string }) => ({ v: i.v.toUpperCase() }) });
const wf: WorkflowDefinition = {
  name: 'chain',
  steps: {
    a: { agent: 'tag', input: '{ "v": input.v }', next: 'b' },
    b: { agent: 'tag', input: '{ "v": a.v & "+" & input.v }', next: 'c' },
    c: { agent: 'tag', input: '{ "v": b.v }' },
  },
};

describe('forking a run (time travel)', () => {
  it('keeps the first N recorded steps, runs the rest with the changed input, and leaves the original intact', async () => {
    rt = await createRuntime({ agents: [tag, shout], workflows: [wf] });
    const original = await rt.start('chain', { v: 'x' }, { runId: 'orig' });
    expect(await original.result()).toEqual({ v: 'x>a+x>b>c' });
    const before = await original.context();
    calls.length = 0;

    const fork = await rt.fork('orig', { version: 1, input: { v: 'y' } });
    expect(await fork.result()).toEqual({ v: 'x>a+y>b>c' }); // a's recorded output kept, b and c re-run
    expect(calls).toEqual(['b', 'c']);
    expect(await original.context()).toEqual(before);
    expect(await rt.verify('orig')).toMatchObject({ ok: true });
    expect(await rt.verify(fork.id)).toMatchObject({ ok: true, entries: 3 });
    expect(await rt.store.read('orig', 1)).toEqual(before.slice(0, 1)); // reading at a version
  });

  it('continues with a changed workflow from version N', async () => {
    rt = await createRuntime({ agents: [tag, shout], workflows: [wf] });
    const original = await rt.start('chain', { v: 'x' }, { runId: 'o2' });
    await original.result();
    const changed: WorkflowDefinition = { ...wf, name: 'chain', steps: { ...wf.steps, c: { agent: 'shout', input: '{ "v": b.v }' } } };
    const fork = await rt.fork('o2', { version: 2, workflow: changed });
    expect(await fork.result()).toEqual({ v: 'X>A+X>B' });
  });

  it('refuses a version outside the log, and a workflow the kept entries do not fit', async () => {
    rt = await createRuntime({ agents: [tag, shout], workflows: [wf] });
    await (await rt.start('chain', { v: 'x' }, { runId: 'o3' })).result();
    await expect(rt.fork('o3', { version: 9 })).rejects.toMatchObject({ code: 'TROUPE_RUNTIME_OPTIONS_INVALID' });
    const other: WorkflowDefinition = { name: 'other', steps: { z: { agent: 'tag', input: '{ "v": "z" }' } } };
    await expect(rt.fork('o3', { version: 2, workflow: other })).rejects.toMatchObject({ code: 'TROUPE_REPLAY_DIVERGED' });
    await expect(rt.fork('nope')).rejects.toMatchObject({ code: 'TROUPE_RUN_NOT_FOUND' });
  });
});

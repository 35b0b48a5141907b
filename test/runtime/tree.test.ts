import { afterEach, describe, expect, it } from 'vitest';
import { createRuntime, defineAgent, type TroupeRuntime } from '../../src/index.js';

let rt: TroupeRuntime | undefined;
afterEach(async () => {
  await rt?.stop();
  rt = undefined;
});

describe('the actor tree', () => {
  it('is one XState system: runtime over agents (a supervisor per agent) and workflows (a child actor per run)', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const wait = defineAgent({ id: 'wait', instances: 2, execute: async () => gate });
    rt = await createRuntime({ agents: [wait] });
    const system = rt.tree.root.system;
    expect(system.get('agents')).toBe(rt.tree.agents);
    expect(system.get('workflows')).toBe(rt.tree.workflows);

    const agents = rt.tree.agents.getSnapshot().children;
    expect([...agents.keys()]).toEqual(['agent:wait']);
    const perAgent = agents.get('agent:wait')!.ref!.getSnapshot() as { children: Map<string, unknown> };
    expect([...perAgent.children.keys()]).toEqual(['wait#0', 'wait#1']);

    const run = await rt.start({ name: 'w', steps: { a: { agent: 'wait' } } }, {});
    const runActor = (run as unknown as { actor: { _parent: unknown; system: unknown } }).actor;
    expect(runActor._parent).toBe(rt.tree.workflows);
    expect(runActor.system).toBe(system);
    release();
    await run.result();
  });

  it('stops every actor when the runtime stops', async () => {
    rt = await createRuntime({ agents: [defineAgent({ id: 'a', execute: () => 1 })] });
    const { root, agents, workflows } = rt.tree;
    await rt.stop();
    rt = undefined;
    expect(root.getSnapshot().status).toBe('stopped');
    expect(agents.getSnapshot().status).toBe('stopped');
    expect(workflows.getSnapshot().status).toBe('stopped');
  });
});

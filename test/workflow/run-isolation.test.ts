import { afterEach, describe, expect, it } from 'vitest';
import { createRuntime, defineAgent, type AgentContext, type TroupeRuntime, type WorkflowDefinition } from '../../src/index.js';
import { seeded } from './run-helpers.js';

let rt: TroupeRuntime | undefined;
afterEach(async () => {
  await rt?.stop();
  rt = undefined;
});

const RUNS = 1_000;

const wf: WorkflowDefinition = {
  name: 'iso',
  output: '{ "id": input.id, "value": finish.value, "path": finish.path, "seen": finish.seen }',
  steps: {
    double: { agent: 'double', input: '{ "id": input.id, "v": input.v }', next: [{ when: 'double.v % 2 = 0', to: 'even' }, { to: 'odd' }] },
    even: { capability: 'transform', input: '{ "id": double.id, "v": double.v, "path": "even" }', next: 'finish' },
    odd: { capability: 'transform', input: '{ "id": double.id, "v": double.v + 1, "path": "odd" }', next: 'finish' },
    finish: { agent: 'finish' },
  },
};

describe('1,000 concurrent runs', () => {
  it('each produce a result that depends only on their own input, with no context leaking between them', async () => {
    const rand = seeded(42);
    const delays = Array.from({ length: 4096 }, () => Math.floor(rand() * 3));
    let d = 0;
    const later = <T>(v: T): Promise<T> => new Promise((res) => setTimeout(() => res(v), delays[d++ % delays.length]));
    const agents = [
      defineAgent({ id: 'double', execute: (i: { id: number; v: number }) => later({ id: i.id, v: i.v * 2 }) }),
      // Two agents share the capability, so runs are interleaved across actors by the router.
      defineAgent({ id: 'plus', capabilities: ['transform'], instances: 2, execute: (i: { id: number; v: number; path: string }) => ({ ...i, v: i.v + 1000 }) }),
      defineAgent({ id: 'plus2', capabilities: ['transform'], execute: (i: { id: number; v: number; path: string }) => later({ ...i, v: i.v + 1000 }) }),
      defineAgent({
        id: 'finish',
        // No mapping: the whole view. It must contain only this run's steps and input.
        execute: (view: Record<string, any>, ctx: AgentContext) =>
          later({
            value: (view.even ?? view.odd).v,
            path: (view.even ?? view.odd).path,
            seen: Object.keys(view).sort().join(','),
            mine: view.input.id === view.double.id && ctx.runId === `run-${view.input.id}`,
          }),
      }),
    ];
    rt = await createRuntime({ agents, workflows: [wf], random: seeded(7) });
    const inputs = Array.from({ length: RUNS }, (_, id) => ({ id, v: Math.floor(rand() * 1_000_000) - 500_000 }));
    const runs = await Promise.all(inputs.map((input) => rt!.start('iso', input, { runId: `run-${input.id}` })));
    const results = await Promise.all(runs.map((r) => r.result()));

    const expected = (input: { id: number; v: number }) => {
      const doubled = input.v * 2; // always even
      return { id: input.id, value: doubled + 1000, path: 'even', seen: 'double,even,input' };
    };
    for (let i = 0; i < RUNS; i++) expect(results[i]).toEqual(expected(inputs[i]!));
    // Every finish step saw its own run's input and step outputs.
    for (const run of runs.filter((_, i) => i % 97 === 0)) {
      const log = await run.context();
      expect(log.map((e) => e.step)).toEqual(['double', 'even', 'finish']);
      expect(log.at(-1)!.output).toMatchObject({ mine: true });
      expect(run.status().input).toEqual(inputs[Number(run.id.slice(4))]);
    }
  });

  it('routes each run by its own data: odd and even inputs take different branches', async () => {
    const agents = [
      defineAgent({ id: 'double', execute: (i: { id: number; v: number }) => ({ id: i.id, v: i.id % 2 === 0 ? i.v : i.v + 1 }) }),
      defineAgent({ id: 'plus', capabilities: ['transform'], execute: async (i: { v: number; path: string }) => ({ ...i }) }),
      defineAgent({ id: 'finish', execute: (view: Record<string, any>) => ({ value: (view.even ?? view.odd).v, path: (view.even ?? view.odd).path, seen: Object.keys(view).sort().join(',') }) }),
    ];
    rt = await createRuntime({ agents, workflows: [wf] });
    const runs = await Promise.all(Array.from({ length: 200 }, (_, id) => rt!.start('iso', { id, v: 2 * id })));
    const results = (await Promise.all(runs.map((r) => r.result()))) as { id: number; path: string; value: number; seen: string }[];
    results.forEach((r, id) => {
      // even ids: v = 2id (even) -> "even"; odd ids: v = 2id + 1 (odd) -> "odd", v + 1.
      expect(r).toEqual(id % 2 === 0 ? { id, value: 2 * id, path: 'even', seen: 'double,even,input' } : { id, value: 2 * id + 2, path: 'odd', seen: 'double,input,odd' });
    });
  });
});

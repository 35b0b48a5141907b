import { describe, expect, it } from 'vitest';
import { createRuntime, defineAgent } from '../../src/index.js';

describe('smoke', () => {
  it('runs a 3-step workflow', async () => {
    const inc = defineAgent({ id: 'inc', execute: (i: any) => ({ n: (i?.n ?? 0) + 1 }) });
    const rt = await createRuntime({ agents: [inc] });
    const run = await rt.start({ name: 'seq', steps: { a: { agent: 'inc', input: '{ "n": input.n }', next: 'b' }, b: { agent: 'inc', input: '{ "n": a.n }', next: 'c' }, c: { agent: 'inc', input: '{"n": b.n}' } } }, { n: 1 });
    expect(await run.result()).toEqual({ n: 4 });
    const ctx = await run.context();
    expect(ctx.map((e) => e.step)).toEqual(['a', 'b', 'c']);
    await rt.stop();
  });
});

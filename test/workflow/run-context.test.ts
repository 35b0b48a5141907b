import { afterEach, describe, expect, it } from 'vitest';
import { createRuntime, defineAgent, verifyChain, type ContextEntry, type TroupeRuntime, type WorkflowDefinition } from '../../src/index.js';
import { genesisHash } from '../../src/store/chain.js';
import { failureOf } from './run-helpers.js';

let rt: TroupeRuntime | undefined;
afterEach(async () => {
  await rt?.stop();
  rt = undefined;
});

const chainWf: WorkflowDefinition = {
  name: 'chain',
  steps: {
    a: { agent: 'inc', input: '{ "n": input.n }', next: 'fan' },
    fan: { parallel: { x: { agent: 'inc', input: '{ "n": a.n }' }, y: { agent: 'inc', input: '{ "n": a.n * 10 }' } }, next: 'm' },
    m: { map: { agent: 'inc', items: '[fan.x.n, fan.y.n]', input: '{ "n": item }' }, next: 'z' },
    z: { agent: 'inc', input: '{ "n": $sum(m.n) }' },
  },
};
const inc = () => defineAgent({ id: 'inc', execute: async (i: { n: number }) => ({ n: i.n + 1 }) });

async function finishedRun(input: unknown = { n: 1 }) {
  rt = await createRuntime({ agents: [inc()], workflows: [chainWf] });
  const run = await rt.start('chain', input);
  await run.result();
  return { run, log: await run.context(), record: run.status() };
}

describe('the context log of a run', () => {
  it('numbers entries 1..n and chains each prevHash to the previous hash, from the genesis hash', async () => {
    const { log, record } = await finishedRun();
    expect(log.map((e) => e.step).sort()).toEqual(['a', 'fan.x', 'fan.y', 'm[0]', 'm[1]', 'z']);
    expect(log.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(log[0]!.prevHash).toBe(genesisHash(record.definitionHash, record.input));
    for (let i = 1; i < log.length; i++) expect(log[i]!.prevHash).toBe(log[i - 1]!.hash);
    expect(record.headSeq).toBe(log.length);
    expect(record.headHash).toBe(log.at(-1)!.hash);
  });

  it('verifies with verifyChain from its genesis, up to the run head', async () => {
    const { log, record } = await finishedRun();
    const genesis = genesisHash(record.definitionHash, record.input);
    expect(verifyChain(genesis, log, { headSeq: record.headSeq, headHash: record.headHash })).toEqual({ ok: true, entries: log.length, head: record.headHash });
    // Another input means another genesis: the same entries do not verify against it.
    expect(verifyChain(genesisHash(record.definitionHash, { n: 2 }), log).ok).toBe(false);
  });

  it('makes verifyChain detect a modified entry, a removed entry and a truncated log', async () => {
    const { log, record } = await finishedRun();
    const genesis = genesisHash(record.definitionHash, record.input);
    const tampered: ContextEntry[] = log.map((e, i) => (i === 2 ? { ...e, output: { n: 999 } } : e));
    expect(verifyChain(genesis, tampered)).toMatchObject({ ok: false, index: 2, seq: 3, reason: expect.stringContaining('hash') });
    const removed = log.filter((_, i) => i !== 1);
    expect(verifyChain(genesis, removed)).toMatchObject({ ok: false, index: 1 });
    const truncated = log.slice(0, -1);
    expect(verifyChain(genesis, truncated).ok).toBe(true);
    expect(verifyChain(genesis, truncated, { headSeq: record.headSeq, headHash: record.headHash }).ok).toBe(false);
  });

  it('returns the prefix up to a version with context(version) (time travel)', async () => {
    const { run, log } = await finishedRun();
    expect(await run.context(0)).toEqual([]);
    for (let v = 1; v <= log.length; v++) expect(await run.context(v)).toEqual(log.slice(0, v));
    expect(await run.context(log.length + 5)).toEqual(log);
  });

  it('records each step output as the agent returned it, and the view shows a parallel step as {branch: output}', async () => {
    const seen: unknown[] = [];
    const probe = defineAgent({ id: 'probe', execute: (i: unknown) => (seen.push(i), 'ok') });
    rt = await createRuntime({ agents: [inc(), probe] });
    const run = await rt.start(
      { name: 'view', steps: { fan: { parallel: { x: { agent: 'inc', input: '{ "n": 1 }' }, y: { agent: 'inc', input: '{ "n": 2 }' } }, next: 'p' }, p: { agent: 'probe' } } },
      {},
    );
    await run.result();
    expect(seen).toEqual([{ input: {}, fan: { x: { n: 2 }, y: { n: 3 } } }]);
  });

  describe('frozen outputs', () => {
    it('refuses an agent mutating the view it received (strict mode throws), leaving the log as it was', async () => {
      const first = defineAgent({ id: 'first', execute: () => ({ list: [1, 2], nested: { v: 1 } }) });
      const vandal = defineAgent({
        id: 'vandal',
        circuitBreaker: false,
        execute: (view: { first: { list: number[]; nested: { v: number } }; input: { k: number } }) => {
          view.first.nested.v = 666;
          return 'mutated';
        },
      });
      const vandal2 = defineAgent({
        id: 'vandal2',
        circuitBreaker: false,
        execute: (view: { first: { list: number[] } }) => {
          view.first.list.push(3);
          return 'mutated';
        },
      });
      rt = await createRuntime({ agents: [first, vandal, vandal2] });
      for (const agent of ['vandal', 'vandal2']) {
        const run = await rt.start({ name: `frozen-${agent}`, steps: { first: { agent: 'first', next: 'v' }, v: { agent } } }, { k: 1 });
        const f = await failureOf(run);
        expect(f.code).toBe('TROUPE_AGENT_FAILED');
        expect(f.message).toMatch(/read only|not extensible|frozen/i);
        const log = await run.context();
        expect(log[0]!.output).toEqual({ list: [1, 2], nested: { v: 1 } });
      }
    });

    it('refuses an agent mutating the run input it received', async () => {
      const vandal = defineAgent({
        id: 'vandal',
        circuitBreaker: false,
        execute: (view: { input: { k: number } }) => {
          view.input.k = 2;
          return 'x';
        },
      });
      rt = await createRuntime({ agents: [vandal] });
      const run = await rt.start({ name: 'frozen-input', steps: { v: { agent: 'vandal' } } }, { k: 1 });
      expect((await failureOf(run)).code).toBe('TROUPE_AGENT_FAILED');
      expect(run.status().input).toEqual({ k: 1 });
    });

    it('gives a mapped input as a copy: mutating it never changes the context', async () => {
      const first = defineAgent({ id: 'first', execute: () => ({ nested: { v: 1 }, list: [1] }) });
      const mutator = defineAgent({
        id: 'mutator',
        execute: (i: { nested: { v: number }; list: number[] }) => {
          i.nested.v = 2;
          i.list.push(2);
          return i;
        },
      });
      const reader = defineAgent({ id: 'reader', execute: (i: unknown) => i });
      rt = await createRuntime({ agents: [first, mutator, reader] });
      const run = await rt.start(
        {
          name: 'copy',
          steps: { first: { agent: 'first', next: 'm' }, m: { agent: 'mutator', input: '{ "nested": first.nested, "list": first.list }', next: 'r' }, r: { agent: 'reader', input: 'first' } },
        },
        {},
      );
      expect(await run.result()).toEqual({ nested: { v: 1 }, list: [1] });
      const log = await run.context();
      expect(log[0]!.output).toEqual({ nested: { v: 1 }, list: [1] });
      expect(log[1]!.output).toEqual({ nested: { v: 2 }, list: [1, 2] });
    });

    it('freezes a recorded output, so an agent cannot change it after returning it', async () => {
      let kept: { v: number } | undefined;
      const keeper = defineAgent({ id: 'keeper', execute: () => (kept = { v: 1 }) });
      rt = await createRuntime({ agents: [keeper] });
      const run = await rt.start({ name: 'keep', steps: { k: { agent: 'keeper' } } }, {});
      await run.result();
      expect(() => {
        kept!.v = 2;
      }).toThrow(TypeError);
      expect((await run.context())[0]!.output).toEqual({ v: 1 });
    });
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { createRuntime, defineAgent, type TroupeRuntime } from '../../src/index.js';
import { deferred, failureOf, type Deferred } from './run-helpers.js';

let rt: TroupeRuntime | undefined;
afterEach(async () => {
  await rt?.stop();
  rt = undefined;
});

describe('a parallel step', () => {
  it('runs its branches at once and joins their outputs as {branch: output}', async () => {
    const bothStarted = deferred();
    let started = 0;
    const gate = deferred();
    const branch = (id: string) =>
      defineAgent({
        id,
        execute: async (i: { q: string }) => {
          if (++started === 2) bothStarted.resolve();
          await gate.promise; // neither finishes before both have started: they run at once
          return `${id}:${i.q}`;
        },
      });
    const report = defineAgent({ id: 'report', execute: (i: unknown) => i });
    rt = await createRuntime({ agents: [branch('logs'), branch('intel'), report] });
    const run = await rt.start(
      {
        name: 'par',
        steps: {
          investigate: {
            parallel: { l: { agent: 'logs', input: '{ "q": input.host }' }, i: { agent: 'intel', input: '{ "q": input.ip }' } },
            next: 'report',
          },
          report: { agent: 'report', input: '{ "logs": investigate.l, "intel": investigate.i }' },
        },
      },
      { host: 'h1', ip: '10.0.0.1' },
    );
    await bothStarted.promise;
    gate.resolve();
    expect(await run.result()).toEqual({ logs: 'logs:h1', intel: 'intel:10.0.0.1' });
    const log = await run.context();
    expect(log.map((e) => e.step).sort()).toEqual(['investigate.i', 'investigate.l', 'report']);
  });

  it('aborts every branch in flight, through its signal, when the run is cancelled', async () => {
    const started = deferred();
    const reasons: unknown[] = [];
    let running = 0;
    const blocking = defineAgent({
      id: 'blocking',
      concurrency: 4,
      execute: (_i: unknown, ctx) =>
        new Promise((_res, rej) => {
          if (++running === 3) started.resolve();
          ctx.signal.addEventListener('abort', () => {
            reasons.push(ctx.signal.reason);
            rej(ctx.signal.reason);
          });
        }),
    });
    rt = await createRuntime({ agents: [blocking] });
    const run = await rt.start({ name: 'par-cancel', steps: { fan: { parallel: { a: { agent: 'blocking' }, b: { agent: 'blocking' }, c: { agent: 'blocking' } } } } }, {});
    await started.promise;
    run.cancel('operator said so');
    expect(await failureOf(run)).toMatchObject({ code: 'TROUPE_RUN_CANCELLED' });
    expect(reasons).toHaveLength(3);
    for (const r of reasons) expect(r).toMatchObject({ code: 'TROUPE_RUN_CANCELLED' });
  });

  it('fails the step when a branch fails, aborting the sibling branches through their signal', async () => {
    const siblingAborted = deferred<unknown>();
    const siblingRunning = deferred();
    const slow = defineAgent({
      id: 'slow',
      execute: (_i: unknown, ctx) =>
        new Promise((_res, rej) => {
          siblingRunning.resolve();
          ctx.signal.addEventListener('abort', () => {
            siblingAborted.resolve(ctx.signal.reason);
            rej(ctx.signal.reason);
          });
        }),
    });
    const failing = defineAgent({
      id: 'failing',
      circuitBreaker: false,
      execute: async () => {
        await siblingRunning.promise;
        throw new Error('branch broke');
      },
    });
    const handler = defineAgent({ id: 'handler', execute: (i: unknown) => i });
    rt = await createRuntime({ agents: [slow, failing, handler] });
    const run = await rt.start(
      {
        name: 'par-fail',
        steps: {
          fan: { parallel: { s: { agent: 'slow' }, f: { agent: 'failing' } }, onError: 'handle' },
          handle: { agent: 'handler', input: '{ "code": fan.error.code }' },
        },
      },
      {},
    );
    expect(await run.result()).toEqual({ code: 'TROUPE_AGENT_FAILED' });
    const reason = (await siblingAborted.promise) as { code?: string };
    expect(reason.code).toBe('TROUPE_AGENT_FAILED');
    const log = await run.context();
    expect(log.map((e) => [e.kind, e.step])).toEqual([
      ['error', 'fan'],
      ['step', 'handle'],
    ]);
  });

  // Regression test (was a bug found by this suite).
  it('is the run output ({branch: output}) when it is the last step and the workflow sets no `output`', async () => {
    const a = defineAgent({ id: 'a', execute: () => 'A' });
    const b = defineAgent({ id: 'b', execute: () => 'B' });
    rt = await createRuntime({ agents: [a, b] });
    const run = await rt.start({ name: 'par-last', steps: { fan: { parallel: { x: { agent: 'a' }, y: { agent: 'b' } } } } }, {});
    expect(await run.result()).toEqual({ x: 'A', y: 'B' });
  });

  it('fails the run with the branch error when the step has no onError', async () => {
    const ok = defineAgent({ id: 'ok', execute: () => 1 });
    const bad = defineAgent({ id: 'bad', output: { type: 'number' }, execute: () => 'not a number' });
    rt = await createRuntime({ agents: [ok, bad] });
    const run = await rt.start({ name: 'par-fail2', steps: { fan: { parallel: { a: { agent: 'ok' }, b: { agent: 'bad' } } } } }, {});
    const f = await failureOf(run);
    expect(f.code).toBe('TROUPE_AGENT_OUTPUT_INVALID');
    expect(run.status().status).toBe('failed');
  });
});

describe('a map step', () => {
  it('calls the agent once per item, keeps item order, and never exceeds its concurrency bound', async () => {
    let running = 0;
    let peak = 0;
    const gates: Deferred[] = [];
    const enrich = defineAgent({
      id: 'enrich',
      execute: async (i: { hit: number; position: number }) => {
        running++;
        peak = Math.max(peak, running);
        const g = deferred();
        gates.push(g);
        await g.promise;
        running--;
        return { v: i.hit * 2, at: i.position };
      },
    });
    rt = await createRuntime({ agents: [enrich] });
    const items = Array.from({ length: 20 }, (_, k) => k + 1);
    const run = await rt.start(
      { name: 'map', output: 'e', steps: { e: { map: { agent: 'enrich', items: 'input.items', input: '{ "hit": item, "position": index }', concurrency: 3 } } } },
      { items },
    );
    // Release calls one at a time, newest last, so completions happen out of item order.
    let released = 0;
    while (released < items.length) {
      await new Promise((r) => setImmediate(r));
      const g = gates.pop();
      if (g) {
        g.resolve();
        released++;
      }
    }
    const out = (await run.result()) as { v: number; at: number }[];
    expect(out).toEqual(items.map((n, k) => ({ v: n * 2, at: k })));
    expect(peak).toBe(3);
    const log = await run.context();
    expect(log).toHaveLength(20);
    expect(new Set(log.map((e) => e.step))).toEqual(new Set(items.map((_, k) => `e[${k}]`)));
  });

  it('passes each item itself when it has no input mapping', async () => {
    const seen: unknown[] = [];
    const up = defineAgent({ id: 'up', execute: (s: string) => (seen.push(s), s.toUpperCase()) });
    rt = await createRuntime({ agents: [up] });
    const run = await rt.start({ name: 'map-item', output: 'm', steps: { m: { map: { agent: 'up', items: 'input.words' } } } }, { words: ['a', 'b'] });
    expect(await run.result()).toEqual(['A', 'B']);
    expect(seen).toEqual(['a', 'b']);
  });

  // Regression test (was a bug found by this suite).
  it('is the run output (the list) when it is the last step and the workflow sets no `output`', async () => {
    const up = defineAgent({ id: 'up', execute: (s: string) => s.toUpperCase() });
    rt = await createRuntime({ agents: [up] });
    const run = await rt.start({ name: 'map-last', steps: { m: { map: { agent: 'up', items: 'input.words' } } } }, { words: ['a', 'b'] });
    expect(await run.result()).toEqual(['A', 'B']);
  });

  it('outputs an empty list for an empty list of items and continues', async () => {
    let calls = 0;
    const never = defineAgent({ id: 'never', execute: () => ++calls });
    const after = defineAgent({ id: 'after', execute: (i: unknown) => ({ got: i }) });
    rt = await createRuntime({ agents: [never, after] });
    const run = await rt.start({ name: 'map-empty', steps: { m: { map: { agent: 'never', items: 'input.items' }, next: 'n' }, n: { agent: 'after', input: '{ "list": m }' } } }, { items: [] });
    expect(await run.result()).toEqual({ got: { list: [] } });
    expect(calls).toBe(0);
    const log = await run.context();
    expect(log.map((e) => [e.step, e.output])).toEqual([
      ['m', []],
      ['n', { got: { list: [] } }],
    ]);
  });

  it('fails the step with TROUPE_EXPRESSION_FAILED when items is not an array', async () => {
    const a = defineAgent({ id: 'a', execute: () => 1 });
    rt = await createRuntime({ agents: [a] });
    const run = await rt.start({ name: 'map-bad', steps: { m: { map: { agent: 'a', items: 'input.notalist' } } } }, { notalist: 5 });
    const f = await failureOf(run);
    expect(f.code).toBe('TROUPE_EXPRESSION_FAILED');
  });

  it('fails the step when one item fails and stops starting new items', async () => {
    let calls = 0;
    const picky = defineAgent({
      id: 'picky',
      circuitBreaker: false,
      execute: (n: number) => {
        calls++;
        if (n === 2) throw new Error('no twos');
        return n;
      },
    });
    rt = await createRuntime({ agents: [picky] });
    const run = await rt.start({ name: 'map-fail', steps: { m: { map: { agent: 'picky', items: 'input.items', concurrency: 1 } } } }, { items: [1, 2, 3, 4, 5] });
    const f = await failureOf(run);
    expect(f.code).toBe('TROUPE_AGENT_FAILED');
    expect(calls).toBe(2);
  });
});

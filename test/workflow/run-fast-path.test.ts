import { afterEach, describe, expect, it } from 'vitest';
import { createRuntime, defineAgent, verifyChain, type TroupeRuntime } from '../../src/index.js';
import { genesisHash } from '../../src/store/chain.js';
import type { RunCore } from '../../src/workflow/index.js';
import { deferred, failureOf } from './run-helpers.js';

let rt: TroupeRuntime | undefined;
afterEach(async () => {
  await rt?.stop();
  rt = undefined;
});

// The per-step path of a task step with no input mapping runs on callbacks (startTask → dispatch);
// these pin what it must keep doing.
describe('the per-step path of task steps', () => {
  it('records each step (a verifiable chain) before the next one starts', async () => {
    const seen: number[] = [];
    const probe = defineAgent({
      id: 'probe',
      execute: (_i: unknown, ctx) => {
        seen.push((rt!.getRun(ctx.runId) as RunCore).log.seq); // entries recorded when this step starts
        return { ok: true };
      },
    });
    rt = await createRuntime({ agents: [probe] });
    const seq = { name: 'seq', steps: { a: { agent: 'probe', next: 'b' }, b: { agent: 'probe', next: 'c' }, c: { agent: 'probe' } } };
    const run = await rt.start(seq, { n: 1 });
    expect(await run.result()).toEqual({ ok: true });
    expect(seen).toEqual([0, 1, 2]);
    const log = await run.context();
    const record = run.status();
    expect(verifyChain(genesisHash(record.definitionHash, record.input), log, record).ok).toBe(true);
  });

  it('retries a failing synchronous agent and then uses its fallback', async () => {
    let calls = 0;
    const flaky = defineAgent({
      id: 'flaky',
      retry: { max: 2, base: 1 },
      circuitBreaker: false,
      fallback: { agent: 'backup' },
      execute: () => {
        calls++;
        throw new Error('nope');
      },
    });
    const backup = defineAgent({ id: 'backup', execute: () => 'saved' });
    rt = await createRuntime({ agents: [flaky, backup] });
    const run = await rt.start({ name: 'fb', steps: { a: { agent: 'flaky' } } }, {});
    expect(await run.result()).toBe('saved');
    expect(calls).toBe(3); // the first try and `max` retries
    const [entry] = await run.context();
    expect(entry).toMatchObject({ step: 'a', agent: 'backup', attempts: 4 }); // every call the step made: 3 on the primary, 1 on its fallback
  });

  it('aborts an in-flight call when the run is cancelled', async () => {
    const aborted = deferred<unknown>();
    const started = deferred();
    const slow = defineAgent({
      id: 'slow',
      execute: (_i: unknown, ctx) =>
        new Promise((_res, rej) => {
          ctx.signal.addEventListener('abort', () => {
            aborted.resolve(ctx.signal.reason);
            rej(ctx.signal.reason);
          });
          started.resolve();
        }),
    });
    rt = await createRuntime({ agents: [slow] });
    const run = await rt.start({ name: 'c', steps: { a: { agent: 'slow' } } }, {});
    await started.promise;
    run.cancel('test');
    expect(await aborted.promise).toMatchObject({ code: 'TROUPE_RUN_CANCELLED' });
    expect((await failureOf(run)).code).toBe('TROUPE_RUN_CANCELLED');
  });

  it("stops a root run's actor when the runtime interrupts it", async () => {
    const started = deferred();
    const hang = defineAgent({ id: 'hang', execute: () => (started.resolve(), new Promise(() => undefined)) });
    rt = await createRuntime({ agents: [hang] });
    const run = (await rt.start({ name: 'h', steps: { a: { agent: 'hang' } } }, {})) as RunCore;
    await started.promise;
    await rt.stop({ timeoutMs: 5 });
    rt = undefined;
    expect(run.actor.getSnapshot().status).toBe('stopped');
    expect((await failureOf(run)).code).toBe('TROUPE_RUNTIME_STOPPED');
  });

  it('on the in-memory store, goes on from step to step without waiting: 1,000 steps that answer at once run in one go, every entry recorded in order', async () => {
    const count = 1_000; // the most steps a workflow may have
    const step = defineAgent({ id: 'step', execute: () => 1 });
    rt = await createRuntime({ agents: [step] });
    const steps = Object.fromEntries(Array.from({ length: count }, (_, i) => [`s${i}`, i + 1 < count ? { agent: 'step', next: `s${i + 1}` } : { agent: 'step' }]));
    const run = await rt.start({ name: 'long', steps }, {});
    expect(await run.result()).toBe(1);
    const log = await run.context();
    expect(log.map((e) => e.step)).toEqual(Array.from({ length: count }, (_, i) => `s${i}`));
    const record = run.status();
    expect(verifyChain(genesisHash(record.definitionHash, record.input), log, record).ok).toBe(true);
  });

  it('a run that ends within a step that answered at once ends its actor as done, not stopped', async () => {
    const quick = defineAgent({ id: 'quick', execute: () => 'ok' });
    rt = await createRuntime({ agents: [quick] });
    const run = await rt.start({ name: 'q', steps: { a: { agent: 'quick', next: 'b' }, b: { parallel: { x: { agent: 'quick' }, y: { agent: 'quick' } } } } }, {});
    await run.result();
    expect((rt.getRun(run.id) as RunCore).actor.getSnapshot().status).toBe('done');
  });
});

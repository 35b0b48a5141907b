import { afterEach, describe, expect, it } from 'vitest';
import { createRuntime, defineAgent, TroupeError, type AgentContext, type Agent, type AgentDefinition, type InlineAgentDefinition, type RunHandle, type RuntimeOptions, type TroupeRuntime } from '../../src/index.js';
import { deferred, failureOf, seeded, until } from '../workflow/run-helpers.js';

let rt: TroupeRuntime | undefined;
afterEach(async () => {
  await rt?.stop({ timeoutMs: 200 });
  rt = undefined;
});

/** A runtime with `agents`, and a one-step run of `target` (an agent id or `{capability}`). */
async function setup(agents: (Agent | AgentDefinition)[], options: RuntimeOptions = {}) {
  rt = await createRuntime({ agents, ...options });
  const runtime = rt;
  const step = (target: string | { capability: string }, extra: Record<string, unknown> = {}, input: unknown = {}): Promise<RunHandle> =>
    runtime.start({ name: 'one', steps: { s: { ...(typeof target === 'string' ? { agent: target } : target), input: 'input', ...extra } as never } }, input);
  return { rt: runtime, step };
}

describe('the dispatcher', () => {
  describe('timeout', () => {
    it('fails the call with TROUPE_AGENT_TIMEOUT and aborts the agent ctx.signal', async () => {
      const aborted = deferred<unknown>();
      const slow = defineAgent({
        id: 'slow',
        timeout: 20,
        execute: (_i: unknown, ctx: AgentContext) =>
          new Promise((_res, rej) =>
            ctx.signal.addEventListener('abort', () => {
              aborted.resolve(ctx.signal.reason);
              rej(ctx.signal.reason);
            }),
          ),
      });
      const { step } = await setup([slow]);
      const run = await step('slow');
      const f = await failureOf(run);
      expect(f.code).toBe('TROUPE_AGENT_TIMEOUT');
      expect(f.message).toContain('20ms');
      expect(((await aborted.promise) as TroupeError).code).toBe('TROUPE_AGENT_TIMEOUT');
    });

    it("uses the step's timeout over the agent's own", async () => {
      const slow = defineAgent({ id: 'slow', timeout: '1h', execute: (_i: unknown, ctx: AgentContext) => new Promise((_r, rej) => ctx.signal.addEventListener('abort', () => rej(ctx.signal.reason))) });
      const { step } = await setup([slow]);
      const f = await failureOf(await step('slow', { timeout: '15ms' }));
      expect(f.code).toBe('TROUPE_AGENT_TIMEOUT');
    });
  });

  describe('retries', () => {
    it('retries a failing call up to retry.max with growing (exponential) delays, then succeeds', async () => {
      const at: number[] = [];
      const flaky = defineAgent({
        id: 'flaky',
        retry: { max: 3, base: 8, jitter: false },
        circuitBreaker: false,
        execute: (_i: unknown, ctx: AgentContext) => {
          at.push(performance.now());
          if (ctx.attempt < 4) throw new Error(`attempt ${ctx.attempt}`);
          return { attempt: ctx.attempt };
        },
      });
      const { step } = await setup([flaky]);
      const run = await step('flaky');
      expect(await run.result()).toEqual({ attempt: 4 });
      expect(at).toHaveLength(4);
      const gaps = at.slice(1).map((t, i) => t - at[i]!);
      expect(gaps[0]).toBeGreaterThanOrEqual(7); // 8ms
      expect(gaps[1]).toBeGreaterThanOrEqual(15); // 16ms
      expect(gaps[2]).toBeGreaterThanOrEqual(31); // 32ms
      expect((await run.context())[0]).toMatchObject({ attempts: 4, agent: 'flaky' });
    });

    it('gives up after 1 + retry.max attempts with the last error', async () => {
      let calls = 0;
      const broken = defineAgent({
        id: 'broken',
        retry: { max: 2, base: 1 },
        circuitBreaker: false,
        execute: () => {
          throw new Error(`fail ${++calls}`);
        },
      });
      const { step } = await setup([broken]);
      const f = await failureOf(await step('broken'));
      expect(f.code).toBe('TROUPE_AGENT_FAILED');
      expect(f.message).toBe('fail 3');
      expect(calls).toBe(3);
    });

    it("uses the step's retry policy over the agent's own", async () => {
      let calls = 0;
      const broken = defineAgent({
        id: 'broken',
        retry: { max: 5, base: 1 },
        circuitBreaker: false,
        execute: () => {
          throw new Error(`fail ${++calls}`);
        },
      });
      const { step } = await setup([broken]);
      await failureOf(await step('broken', { retry: { max: 1, base: 1 } }));
      expect(calls).toBe(2);
    });

    it('never retries a non-retryable code, but does retry the others', async () => {
      let plain = 0;
      let timeouts = 0;
      const a = defineAgent({
        id: 'plain',
        retry: { max: 3, base: 1, nonRetryable: ['TROUPE_AGENT_FAILED'] },
        circuitBreaker: false,
        execute: () => {
          plain++;
          throw new Error('no');
        },
      });
      const b = defineAgent({
        id: 'times-out',
        retry: { max: 2, base: 1, nonRetryable: ['TROUPE_AGENT_FAILED'] },
        circuitBreaker: false,
        timeout: 5,
        execute: (_i: unknown, ctx: AgentContext) => {
          timeouts++;
          return new Promise((_r, rej) => ctx.signal.addEventListener('abort', () => rej(ctx.signal.reason)));
        },
      });
      const { step } = await setup([a, b]);
      expect((await failureOf(await step('plain'))).code).toBe('TROUPE_AGENT_FAILED');
      expect(plain).toBe(1);
      expect((await failureOf(await step('times-out'))).code).toBe('TROUPE_AGENT_TIMEOUT');
      expect(timeouts).toBe(3);
    });

    it('does not retry an input that fails validation', async () => {
      let calls = 0;
      const strict = defineAgent({ id: 'strict', retry: { max: 3, base: 1 }, input: { type: 'object', required: ['q'] }, execute: () => ++calls });
      const { step } = await setup([strict]);
      expect((await failureOf(await step('strict', {}, {}))).code).toBe('TROUPE_AGENT_INPUT_INVALID');
      expect(calls).toBe(0);
    });
  });

  describe('circuit breaker', () => {
    it('opens after failureThreshold consecutive failures: later calls fail fast with TROUPE_CIRCUIT_OPEN', async () => {
      let calls = 0;
      const broken = defineAgent({
        id: 'broken',
        circuitBreaker: { failureThreshold: 3, resetTimeout: '1h' },
        execute: () => {
          calls++;
          throw new Error('down');
        },
      });
      const { step, rt } = await setup([broken]);
      for (let i = 0; i < 3; i++) expect((await failureOf(await step('broken'))).code).toBe('TROUPE_AGENT_FAILED');
      expect(rt.dispatcher.breaker(rt.agents.agent('broken')!)?.status).toBe('open');
      for (let i = 0; i < 3; i++) expect((await failureOf(await step('broken'))).code).toBe('TROUPE_CIRCUIT_OPEN');
      expect(calls).toBe(3);
    });

    it('half-opens after resetTimeout (injected clock): one trial passes, and a success closes it', async () => {
      let now = 1_000_000;
      let fail = true;
      let calls = 0;
      const flaky = defineAgent({
        id: 'flaky',
        circuitBreaker: { failureThreshold: 2, resetTimeout: '10s' },
        execute: () => {
          calls++;
          if (fail) throw new Error('down');
          return 'up';
        },
      });
      const { step, rt } = await setup([flaky], { now: () => now });
      await failureOf(await step('flaky'));
      await failureOf(await step('flaky'));
      expect((await failureOf(await step('flaky'))).code).toBe('TROUPE_CIRCUIT_OPEN');
      expect(calls).toBe(2);
      now += 10_000;
      fail = false;
      expect(await (await step('flaky')).result()).toBe('up');
      expect(rt.dispatcher.breaker(rt.agents.agent('flaky')!)?.status).toBe('closed');
      expect(await (await step('flaky')).result()).toBe('up');
      expect(calls).toBe(4);
    });

    it('sends calls to the fallback while it is open', async () => {
      let primary = 0;
      const broken = defineAgent({
        id: 'broken',
        circuitBreaker: { failureThreshold: 2, resetTimeout: '1h' },
        fallback: { agent: 'backup' },
        execute: () => {
          primary++;
          throw new Error('down');
        },
      });
      const backup = defineAgent({ id: 'backup', execute: () => 'from backup' });
      const { step } = await setup([broken, backup]);
      for (let i = 0; i < 5; i++) {
        const run = await step('broken');
        expect(await run.result()).toBe('from backup');
        expect((await run.context())[0]!.agent).toBe('backup');
      }
      expect(primary).toBe(2);
    });
  });

  describe('fallback', () => {
    it('calls the fallback agent after the last retry of the primary', async () => {
      const order: string[] = [];
      const primary = defineAgent({
        id: 'primary',
        retry: { max: 2, base: 1 },
        circuitBreaker: false,
        fallback: { agent: 'secondary' },
        execute: (_i: unknown, ctx: AgentContext) => {
          order.push(`primary#${ctx.attempt}`);
          throw new Error('nope');
        },
      });
      const secondary = defineAgent({ id: 'secondary', execute: (_i: unknown, ctx: AgentContext) => (order.push(`secondary#${ctx.attempt}`), 'ok') });
      const { step } = await setup([primary, secondary]);
      const run = await step('primary');
      expect(await run.result()).toBe('ok');
      expect(order).toEqual(['primary#1', 'primary#2', 'primary#3', 'secondary#1']);
      // Note: on success the entry counts only the fallback's attempts (1); on failure the
      // dispatcher sums both (Dispatcher#fallback). Only the agent is asserted here.
      expect((await run.context())[0]).toMatchObject({ agent: 'secondary' });
    });

    it('can fall back to a capability', async () => {
      const primary = defineAgent({
        id: 'primary',
        circuitBreaker: false,
        fallback: { capability: 'spare' },
        execute: () => {
          throw new Error('nope');
        },
      });
      const spare = defineAgent({ id: 'spare-1', capabilities: ['spare'], execute: () => 'spare' });
      const { step } = await setup([primary, spare]);
      expect(await (await step('primary')).result()).toBe('spare');
    });

    it('fails with the fallback error when the fallback fails too', async () => {
      const primary = defineAgent({
        id: 'primary',
        circuitBreaker: false,
        fallback: { agent: 'secondary' },
        execute: () => {
          throw new Error('primary down');
        },
      });
      const secondary = defineAgent({ id: 'secondary', circuitBreaker: false, output: { type: 'number' }, execute: () => 'not a number' });
      const { step } = await setup([primary, secondary]);
      const f = await failureOf(await step('primary'));
      expect(f.code).toBe('TROUPE_AGENT_OUTPUT_INVALID');
    });
  });

  describe('routing by capability', () => {
    const pool = (ids: string[], log: string[], opts: Partial<InlineAgentDefinition> = {}) =>
      ids.map((id) => defineAgent({ id, capabilities: ['work'], ...opts, execute: () => (log.push(id), id) }));

    it('alternates between agents with round-robin', async () => {
      const log: string[] = [];
      const { step } = await setup(pool(['a', 'b', 'c'], log), { policy: 'round-robin' });
      for (let i = 0; i < 7; i++) await (await step({ capability: 'work' })).result();
      expect(log).toEqual(['a', 'b', 'c', 'a', 'b', 'c', 'a']);
    });

    it('prefers an idle agent with least-loaded (and not with round-robin)', async () => {
      for (const policy of ['least-loaded', 'round-robin'] as const) {
        const gate = deferred();
        const log: string[] = [];
        const mk = (id: string) =>
          defineAgent({
            id,
            capabilities: ['work'],
            execute: async (i: { hold?: boolean }) => {
              log.push(id);
              if (i.hold) await gate.promise;
              return id;
            },
          });
        const { step, rt } = await setup([mk('a'), mk('b')], { policy });
        const held = await step({ capability: 'work' }, {}, { hold: true });
        await until(() => log.length === 1, 'the held call to start');
        for (let i = 0; i < 4; i++) await (await step({ capability: 'work' }, {}, {})).result();
        gate.resolve();
        await held.result();
        if (policy === 'least-loaded') expect(log).toEqual(['a', 'b', 'b', 'b', 'b']);
        else expect(log).toEqual(['a', 'b', 'a', 'b', 'a']);
        await rt.stop();
      }
    });

    it('chooses by weight with the weighted policy; setWeight changes it and weight 0 is never chosen', async () => {
      const log: string[] = [];
      const { step, rt } = await setup(pool(['a', 'b', 'c'], log), { policy: 'weighted', random: seeded(1) });
      rt.setWeight('a', 0);
      rt.setWeight('b', 3);
      rt.setWeight('c', 1);
      const runs = await Promise.all(Array.from({ length: 400 }, () => step({ capability: 'work' })));
      await Promise.all(runs.map((r) => r.result()));
      const count = (id: string) => log.filter((x) => x === id).length;
      expect(count('a')).toBe(0);
      expect(count('b') + count('c')).toBe(400);
      expect(count('b')).toBeGreaterThan(250); // ~300 expected
      expect(count('c')).toBeGreaterThan(50); // ~100 expected

      log.length = 0;
      rt.setWeight('a', 1);
      rt.setWeight('b', 0);
      rt.setWeight('c', 0);
      for (let i = 0; i < 20; i++) await (await step({ capability: 'work' })).result();
      expect(log).toEqual(Array.from({ length: 20 }, () => 'a'));
    });

    it('uses the policy a run is started with', async () => {
      const log: string[] = [];
      const { rt } = await setup(pool(['a', 'b'], log), { policy: 'round-robin', random: seeded(3) });
      rt.setWeight('a', 0);
      for (let i = 0; i < 10; i++) {
        const run = await rt.start({ name: 'p', steps: { s: { capability: 'work' } } }, {}, { policy: 'weighted' });
        await run.result();
      }
      expect(log).toEqual(Array.from({ length: 10 }, () => 'b'));
    });

    // Regression test (was a bug found by this suite).
    it('fails with TROUPE_AGENT_UNAVAILABLE (not wait forever) when every candidate has weight 0', async () => {
      const log: string[] = [];
      const { step, rt } = await setup(pool(['a', 'b'], log), { policy: 'weighted' });
      rt.setWeight('a', 0);
      rt.setWeight('b', 0);
      const run = await step({ capability: 'work' });
      try {
        await until(() => run.status().status !== 'running', 'the run to end', 500);
        expect((await failureOf(run)).code).toBe('TROUPE_AGENT_UNAVAILABLE');
      } finally {
        run.cancel();
      }
    });
  });

  describe('validation', () => {
    it('fails with TROUPE_AGENT_INPUT_INVALID naming the schema path of the bad input', async () => {
      const typed = defineAgent({
        id: 'typed',
        input: { type: 'object', required: ['alert'], properties: { alert: { type: 'object', properties: { level: { type: 'integer' } } } } },
        execute: () => 'ran',
      });
      const { step } = await setup([typed]);
      const f = await failureOf(await step('typed', {}, { alert: { level: 'high' } }));
      expect(f.code).toBe('TROUPE_AGENT_INPUT_INVALID');
      expect(f.message).toContain('/alert/level');
      expect(f.error.data).toMatchObject({ agent: 'typed', issues: [{ path: '/alert/level' }] });
    });

    it('fails with TROUPE_AGENT_OUTPUT_INVALID naming the schema path of the bad output', async () => {
      const typed = defineAgent({
        id: 'typed',
        output: { type: 'object', required: ['items'], properties: { items: { type: 'array', items: { type: 'string' } } } },
        execute: () => ({ items: ['ok', 42] }),
      });
      const { step } = await setup([typed]);
      const f = await failureOf(await step('typed'));
      expect(f.code).toBe('TROUPE_AGENT_OUTPUT_INVALID');
      expect(f.message).toContain('/items/1');
      expect(f.error.data).toMatchObject({ agent: 'typed', issues: [{ path: '/items/1' }] });
    });
  });
});

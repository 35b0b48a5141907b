import { afterEach, describe, expect, it } from 'vitest';
import { createRuntime, defineAgent, TroupeError, type Agent, type AgentDefinition, type TroupeRuntime } from '../../src/index.js';
import type { SupervisionEvent } from '../../src/runtime/supervision/index.js';
import { deferred, failureOf } from '../workflow/run-helpers.js';

let rt: TroupeRuntime | undefined;
afterEach(async () => {
  await rt?.stop({ timeoutMs: 500 });
  rt = undefined;
});

const healthy = () => defineAgent({ id: 'healthy', execute: async (i: { n: number }) => ({ n: i.n + 1 }) });

async function setup(agents: (Agent | AgentDefinition)[]) {
  rt = await createRuntime({ agents: [...agents, healthy()] });
  const runtime = rt;
  const events: SupervisionEvent[] = [];
  const down = deferred<SupervisionEvent>();
  runtime.agents.onEvent((e) => {
    events.push(e);
    if (e.type === 'child.failed' && e.supervisor === 'agents') down.resolve(e);
  });
  const step = (agent: string, n = 0) => runtime.start({ name: `one-${agent}`, steps: { s: { agent, input: '{ "n": input.n }' } } }, { n });
  /** Steps to the healthy sibling, started now and awaited: it must keep serving. */
  const sibling = async (count: number) => {
    const runs = await Promise.all(Array.from({ length: count }, (_, n) => step('healthy', n)));
    return Promise.all(runs.map((r) => r.result()));
  };
  return { rt: runtime, events, down: down.promise, step, sibling };
}

describe('agent supervision', () => {
  describe('an agent whose setup throws', () => {
    it('is restarted by its supervisor (slot.restarts grows) and serves once setup succeeds', async () => {
      let lives = 0;
      const flaky = defineAgent({
        id: 'flaky',
        setup: () => {
          if (++lives < 3) throw new Error(`setup ${lives} failed`);
          return { life: lives };
        },
        execute: (_i: unknown, ctx) => ctx.state,
      });
      const { rt, step } = await setup([flaky]);
      const run = await step('flaky');
      expect(await run.result()).toEqual({ life: 3 });
      expect(rt.agents.slots('flaky')[0]!.restarts).toBe(2);
      expect(rt.agents.isUp('flaky')).toBe(true);
    });

    it('is taken out of service past the restart intensity, while a healthy sibling keeps serving throughout', async () => {
      let lives = 0;
      const broken = defineAgent({
        id: 'broken',
        setup: () => {
          lives++;
          throw new Error('no config');
        },
        execute: () => 'never',
      });
      const { rt, step, sibling, down, events } = await setup([broken]);
      // A step sent while the agent is restarting waits (backpressure), then fails once it is down.
      const early = await step('broken');
      const during = sibling(20);
      const failed = await down;
      expect(failed).toMatchObject({ child: 'agent:broken' });
      expect(rt.agents.isUp('broken')).toBe(false);
      expect(rt.agents.registry.status('broken')).toMatchObject({ state: 'down' });
      // 5 restarts in 10 s are allowed (DEFAULT_AGENT_SUPERVISION): the 6th failure escalates.
      expect(rt.agents.slots('broken')[0]!.restarts).toBe(5);
      expect(lives).toBe(6);
      expect(events.filter((e) => e.type === 'child.restarted' && e.supervisor === 'agent:broken')).toHaveLength(5);
      expect((await failureOf(early)).code).toBe('TROUPE_AGENT_UNAVAILABLE');
      expect((await failureOf(await step('broken'))).code).toBe('TROUPE_AGENT_UNAVAILABLE');
      expect(await during).toEqual(Array.from({ length: 20 }, (_, n) => ({ n: n + 1 })));
      expect(await sibling(5)).toHaveLength(5);
      expect(rt.agents.isUp('healthy')).toBe(true);
      expect(rt.agents.slots('healthy')[0]!.restarts).toBe(0);
    });

    it('sends later steps to its fallback once it is out of service', async () => {
      const broken = defineAgent({
        id: 'broken',
        fallback: { agent: 'healthy' },
        setup: () => {
          throw new Error('no config');
        },
        execute: () => 'never',
      });
      const { rt, step, down } = await setup([broken]);
      await down;
      const run = await step('broken', 41);
      expect(await run.result()).toEqual({ n: 42 });
      expect((await run.context())[0]!.agent).toBe('healthy');
      expect(rt.agents.isUp('broken')).toBe(false);
    });
  });

  describe('an agent whose execute throws TROUPE_AGENT_CRASHED', () => {
    it('fails that call, is restarted with a fresh setup, and serves the next steps', async () => {
      let setups = 0;
      let calls = 0;
      const crashy = defineAgent({
        id: 'crashy',
        setup: () => ({ life: ++setups }),
        execute: (_i: unknown, ctx) => {
          if (++calls <= 2) throw new TroupeError('TROUPE_AGENT_CRASHED', `corrupted state ${calls}`);
          return ctx.state;
        },
      });
      const { rt, step } = await setup([crashy]);
      expect((await failureOf(await step('crashy'))).code).toBe('TROUPE_AGENT_CRASHED');
      expect((await failureOf(await step('crashy'))).code).toBe('TROUPE_AGENT_CRASHED');
      expect(await (await step('crashy')).result()).toEqual({ life: 3 });
      expect(rt.agents.slots('crashy')[0]!.restarts).toBe(2);
      expect(rt.agents.isUp('crashy')).toBe(true);
    });

    it('is taken out of service past the intensity; siblings never notice', async () => {
      const crashy = defineAgent({
        id: 'crashy',
        circuitBreaker: false,
        execute: () => {
          throw new TroupeError('TROUPE_AGENT_CRASHED', 'always');
        },
      });
      const { rt, step, sibling, down } = await setup([crashy]);
      let crashes = 0;
      let isDown = false;
      void down.then(() => (isDown = true));
      while (!isDown) {
        const f = await failureOf(await step('crashy'));
        if (f.code === 'TROUPE_AGENT_CRASHED') crashes++;
        else expect(f.code).toBe('TROUPE_AGENT_UNAVAILABLE');
        expect(await sibling(3)).toHaveLength(3);
      }
      expect(crashes).toBe(6);
      expect(rt.agents.isUp('crashy')).toBe(false);
      expect((await failureOf(await step('crashy'))).code).toBe('TROUPE_AGENT_UNAVAILABLE');
      expect(await sibling(10)).toHaveLength(10);
    });
  });

  describe('an agent that throws a plain error on every call', () => {
    it('is never restarted; its breaker opens; siblings are unaffected', async () => {
      let calls = 0;
      const failing = defineAgent({
        id: 'failing',
        circuitBreaker: { failureThreshold: 3, resetTimeout: '1h' },
        execute: () => {
          calls++;
          throw new Error('bad day');
        },
      });
      const { rt, step, sibling, events } = await setup([failing]);
      const codes: string[] = [];
      for (let i = 0; i < 6; i++) {
        codes.push((await failureOf(await step('failing'))).code);
        expect(await sibling(2)).toHaveLength(2);
      }
      expect(codes).toEqual(['TROUPE_AGENT_FAILED', 'TROUPE_AGENT_FAILED', 'TROUPE_AGENT_FAILED', 'TROUPE_CIRCUIT_OPEN', 'TROUPE_CIRCUIT_OPEN', 'TROUPE_CIRCUIT_OPEN']);
      expect(calls).toBe(3);
      expect(rt.agents.slots('failing')[0]!.restarts).toBe(0);
      expect(rt.agents.isUp('failing')).toBe(true);
      expect(events.filter((e) => e.type === 'child.failed')).toEqual([]);
    });
  });
});

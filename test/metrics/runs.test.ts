import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime, defineAgent, ErrorCodes, type AgentContext, type TroupeRuntime } from '../../src/index.js';
import { scrape, type Scrape } from './scrape.js';

const ECHO = new URL('../pool/workers/echo.ts', import.meta.url);

/** Wait (bounded) until `cond` holds: polling live state, not a fixed sleep. */
async function until(cond: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

const never = (ctx: AgentContext): Promise<never> => new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason), { once: true }));
let release: () => void = () => undefined;
const held = new Promise<void>((resolve) => (release = resolve));

const agents = [
  defineAgent({ id: 'echo', capabilities: ['repeat'], execute: (i: unknown) => i }),
  defineAgent({ id: 'flaky', retry: { max: 2, base: '1ms' }, circuitBreaker: false, execute: () => { throw new Error('boom'); } }),
  defineAgent({ id: 'sleepy', timeout: '20ms', circuitBreaker: false, execute: (_i: unknown, ctx: AgentContext) => never(ctx) }),
  defineAgent({ id: 'strict', output: { type: 'object', required: ['x'] }, execute: () => ({}) }),
  defineAgent({ id: 'picky', input: { type: 'object', required: ['y'] }, execute: (i: unknown) => i }),
  defineAgent({ id: 'fuse', circuitBreaker: { failureThreshold: 1, resetTimeout: '1h' }, execute: () => { throw new Error('blown'); } }),
  defineAgent({ id: 'held', concurrency: 1, mailbox: 8, execute: () => held.then(() => ({ done: true })) }),
  defineAgent({ kind: 'worker', id: 'wecho', module: ECHO, pool: { maxThreads: 1 } }),
];
const one = (name: string, step: Record<string, unknown>) => ({ name, steps: { s: step } });
const workflows = [
  one('ok', { agent: 'echo' }),
  one('by-capability', { capability: 'repeat' }),
  one('failing', { agent: 'flaky' }),
  one('slow', { agent: 'sleepy' }),
  one('bad-output', { agent: 'strict' }),
  one('bad-input', { agent: 'picky', input: '{ "z": 1 }' }),
  one('tripped', { agent: 'fuse' }),
  one('hold', { agent: 'held' }),
  one('worker', { agent: 'wecho', input: '{ "value": input.n }' }),
  { name: 'gate', steps: { g: { approval: { prompt: 'never answered here' } } } },
];

describe('runtime metrics, read by a Prometheus text-format parser', () => {
  let rt: TroupeRuntime;
  let m: Scrape;

  beforeAll(async () => {
    rt = await createRuntime({ agents, workflows });
    const settle = async (name: string, n = 1): Promise<void> => {
      const runs = await Promise.all(Array.from({ length: n }, (_, i) => rt.start(name, { n: i })));
      await Promise.allSettled(runs.map((r) => r.result()));
    };
    await settle('ok', 3);
    await settle('by-capability', 2);
    for (const name of ['failing', 'slow', 'bad-output', 'bad-input', 'tripped', 'worker']) await settle(name);
    m = await scrape(rt.metrics);
  });
  afterAll(() => rt.stop({ timeoutMs: 100 }));

  describe('troupe_step_duration_seconds', () => {
    it('counts successful steps by agent, with capability empty when the step names the agent', () => {
      expect(m.count('troupe_step_duration_seconds', { agent: 'echo', capability: '', outcome: 'ok' })).toBe(3);
    });

    it('labels a step routed by capability with that capability', () => {
      expect(m.count('troupe_step_duration_seconds', { agent: 'echo', capability: 'repeat', outcome: 'ok' })).toBe(2);
    });

    it('counts a failed step once, after its retries, with the error code as outcome', () => {
      expect(m.count('troupe_step_duration_seconds', { agent: 'flaky' })).toBe(1);
      expect(m.count('troupe_step_duration_seconds', { agent: 'flaky', outcome: 'TROUPE_AGENT_FAILED' })).toBe(1);
      expect(m.count('troupe_step_duration_seconds', { agent: 'sleepy', outcome: 'TROUPE_AGENT_TIMEOUT' })).toBe(1);
      expect(m.count('troupe_step_duration_seconds', { agent: 'strict', outcome: 'TROUPE_AGENT_OUTPUT_INVALID' })).toBe(1);
      expect(m.count('troupe_step_duration_seconds', { agent: 'picky', outcome: 'TROUPE_AGENT_INPUT_INVALID' })).toBe(1);
    });

    it("times a worker agent's step like any other", () => {
      expect(m.count('troupe_step_duration_seconds', { agent: 'wecho', outcome: 'ok' })).toBe(1);
    });

    it('has cumulative buckets that end at the count, and a sum in seconds', () => {
      const [s] = m.histogram('troupe_step_duration_seconds', { agent: 'sleepy' });
      const counts = Object.entries(s!.buckets).sort(([a], [b]) => Number(a) - Number(b)).map(([, v]) => v);
      expect(counts).toEqual([...counts].sort((a, b) => a - b));
      expect(s!.buckets['+Inf']).toBe(s!.count);
      expect(s!.sum).toBeGreaterThanOrEqual(0.015); // a 20 ms timeout, in seconds
      expect(s!.sum).toBeLessThan(10);
    });

    it("has outcomes only from a closed set: 'ok' or an error code of the catalog", () => {
      const allowed = new Set<string>(['ok', 'error', ...Object.values(ErrorCodes)]);
      for (const s of m.histogram('troupe_step_duration_seconds')) expect(allowed).toContain(s.labels.outcome);
    });
  });

  it('counts retries (attempts that are retried) per agent', () => {
    expect(m.value('troupe_step_retries_total', { agent: 'flaky' })).toBe(2);
    expect(m.value('troupe_step_retries_total', { agent: 'sleepy' })).toBe(0);
  });

  it('counts timeouts per agent', () => {
    expect(m.value('troupe_step_timeouts_total', { agent: 'sleepy' })).toBe(1);
    expect(m.value('troupe_step_timeouts_total', { agent: 'flaky' })).toBe(0);
  });

  it('counts validation rejections per agent and direction', () => {
    expect(m.value('troupe_validation_rejections_total', { agent: 'strict', direction: 'output' })).toBe(1);
    expect(m.value('troupe_validation_rejections_total', { agent: 'picky', direction: 'input' })).toBe(1);
    expect(m.series('troupe_validation_rejections_total')).toHaveLength(2);
  });

  it('counts finished runs by workflow and final status', () => {
    expect(m.count('troupe_run_duration_seconds', { workflow: 'ok', status: 'completed' })).toBe(3);
    expect(m.count('troupe_run_duration_seconds', { workflow: 'failing', status: 'failed' })).toBe(1);
    expect(m.count('troupe_run_duration_seconds', { workflow: 'worker', status: 'completed' })).toBe(1);
  });

  it('reports each circuit breaker: open (2) after its threshold, closed (0) otherwise; none for agents without one', () => {
    expect(m.value('troupe_circuit_state', { agent: 'fuse' })).toBe(2);
    expect(m.value('troupe_circuit_state', { agent: 'echo' })).toBe(0);
    expect(m.series('troupe_circuit_state', { agent: 'flaky' })).toEqual([]);
  });

  it("reports the worker agent's pool queue depth, running tasks and workers", () => {
    expect(m.value('troupe_pool_queue_depth', { pool: 'agent:wecho' })).toBe(0);
    expect(m.value('troupe_pool_running', { pool: 'agent:wecho' })).toBe(0);
    expect(m.value('troupe_pool_workers', { pool: 'agent:wecho' })).toBeGreaterThanOrEqual(1);
  });

  it('reports mailbox depth and calls in flight per agent as calls queue and drain', async () => {
    for (const agent of agents) expect(m.series('troupe_agent_mailbox_depth', { agent: agent.id })).toHaveLength(1);
    const runs = await Promise.all([0, 1, 2].map((n) => rt.start('hold', { n })));
    await until(async () => (await scrape(rt.metrics)).value('troupe_agent_mailbox_depth', { agent: 'held' }) === 2);
    expect((await scrape(rt.metrics)).value('troupe_agent_in_flight', { agent: 'held' })).toBe(1);
    release();
    await Promise.all(runs.map((r) => r.result()));
    const after = await scrape(rt.metrics);
    expect(after.value('troupe_agent_mailbox_depth', { agent: 'held' })).toBe(0);
    expect(after.value('troupe_agent_in_flight', { agent: 'held' })).toBe(0);
  });

  it('reports runs in progress by state', async () => {
    const before = await scrape(rt.metrics);
    expect(before.value('troupe_runs', { state: 'waiting-approval' })).toBe(0);
    const gate = await rt.start('gate', {});
    await until(() => gate.status().status === 'waiting-approval');
    expect((await scrape(rt.metrics)).value('troupe_runs', { state: 'waiting-approval' })).toBe(1);
    gate.cancel();
    await gate.result().catch(() => undefined);
    const after = await scrape(rt.metrics);
    expect(after.value('troupe_runs', { state: 'waiting-approval' })).toBe(0);
    expect(after.count('troupe_run_duration_seconds', { workflow: 'gate', status: 'cancelled' })).toBe(1);
  });
});

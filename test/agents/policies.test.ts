import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { getPolicy, leastLoaded, policies, roundRobin, weighted, type InstanceLoad } from '../../src/agents/index.js';
import { seeded } from '../workflow/run-helpers.js';

function load(over: Partial<InstanceLoad> = {}): InstanceLoad {
  return { agentId: 'a', instance: 0, inFlight: 0, queued: 0, concurrency: 1, mailbox: 10, weight: 1, available: true, ...over };
}


const loadArb = fc.record({
  agentId: fc.constant('a'),
  instance: fc.nat(10),
  inFlight: fc.nat(100),
  queued: fc.nat(100),
  concurrency: fc.integer({ min: 1, max: 64 }),
  mailbox: fc.nat(100),
  weight: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 100, noNaN: true })),
  available: fc.constant(true),
});
const randomArb = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });

describe('every policy', () => {
  it.each(Object.entries(policies))('%s returns -1 for no candidates', (_name, policy) => {
    expect(policy([], { cursor: 0 }, Math.random)).toBe(-1);
  });

  it.each(Object.entries(policies))('%s returns an index in range or -1', (_name, policy) => {
    fc.assert(
      fc.property(fc.array(loadArb, { maxLength: 12 }), fc.integer(), randomArb, (cs, cursor, r) => {
        const i = policy(cs, { cursor }, () => r);
        return i === -1 || (Number.isInteger(i) && i >= 0 && i < cs.length);
      }),
    );
  });
});

describe('roundRobin', () => {
  it('cycles through the candidates in order', () => {
    const cs = [load(), load(), load()];
    const state = { cursor: 0 };
    expect(Array.from({ length: 7 }, () => roundRobin(cs, state, Math.random))).toEqual([0, 1, 2, 0, 1, 2, 0]);
  });

  it('survives the candidate list shrinking under the cursor', () => {
    const state = { cursor: 5 };
    expect(roundRobin([load(), load()], state, Math.random)).toBe(1);
    expect(roundRobin([load(), load()], state, Math.random)).toBe(0);
  });

  it('recovers from a negative or NaN cursor', () => {
    expect(roundRobin([load(), load()], { cursor: -3 }, Math.random)).toBe(0);
    expect(roundRobin([load(), load()], { cursor: Number.NaN }, Math.random)).toBe(0);
  });
});

describe('leastLoaded', () => {
  it('picks the smallest load relative to concurrency', () => {
    const cs = [load({ inFlight: 3, concurrency: 4 }), load({ inFlight: 2, queued: 2, concurrency: 8 }), load({ inFlight: 1, concurrency: 1 })];
    expect(leastLoaded(cs, { cursor: 0 }, Math.random)).toBe(1);
  });

  it('rotates between equally loaded candidates', () => {
    const cs = [load(), load(), load()];
    const state = { cursor: 0 };
    expect(Array.from({ length: 4 }, () => leastLoaded(cs, state, Math.random))).toEqual([0, 1, 2, 0]);
  });

  it('always returns a candidate with the minimum load', () => {
    fc.assert(
      fc.property(fc.array(loadArb, { minLength: 1, maxLength: 12 }), fc.integer(), (cs, cursor) => {
        const loads = cs.map((c) => (c.inFlight + c.queued) / c.concurrency);
        return loads[leastLoaded(cs, { cursor }, Math.random)] === Math.min(...loads);
      }),
    );
  });
});

describe('weighted', () => {
  it('never picks a weight-0 candidate', () => {
    fc.assert(
      fc.property(fc.array(loadArb, { maxLength: 12 }), randomArb, (cs, r) => {
        const i = weighted(cs, { cursor: 0 }, () => r);
        return i === -1 ? cs.every((c) => !(c.weight > 0)) : cs[i]!.weight > 0;
      }),
    );
  });

  it('returns -1 when every weight is 0', () => {
    expect(weighted([load({ weight: 0 }), load({ weight: 0 })], { cursor: 0 }, Math.random)).toBe(-1);
  });

  it('picks the last positive weight when random() is just below 1', () => {
    expect(weighted([load({ weight: 1 }), load({ weight: 2 }), load({ weight: 0 })], { cursor: 0 }, () => 0.9999999999)).toBe(1);
  });

  it('chooses in proportion to the weights over many seeded draws', () => {
    const weights = [1, 3, 0, 6];
    const cs = weights.map((weight, instance) => load({ weight, instance }));
    const random = seeded(42);
    const counts = [0, 0, 0, 0];
    const draws = 100_000;
    for (let k = 0; k < draws; k++) counts[weighted(cs, { cursor: 0 }, random)]!++;
    expect(counts[2]).toBe(0);
    weights.forEach((w, i) => expect(counts[i]! / draws).toBeCloseTo(w / 10, 2));
  });
});

describe('getPolicy', () => {
  it('returns the built-in policies by name', () => {
    expect(getPolicy('round-robin')).toBe(roundRobin);
    expect(getPolicy('least-loaded')).toBe(leastLoaded);
    expect(getPolicy('weighted')).toBe(weighted);
  });

  it.each(['random', 'constructor', '__proto__', ''])('throws TROUPE_ROUTING_POLICY_UNKNOWN for %j', (name) => {
    expect(() => getPolicy(name)).toThrow(
      expect.objectContaining({ code: 'TROUPE_ROUTING_POLICY_UNKNOWN', message: expect.stringContaining('round-robin, least-loaded, weighted') }),
    );
  });
});

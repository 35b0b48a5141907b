import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ContextEntry } from '../../src/index.js';
import { applyEntries, applyEntry, type ContextView } from '../../src/workflow/index.js';

const entry = fc.record({
  kind: fc.constantFrom('step', 'error', 'approval', 'compensation', 'operator'),
  step: fc.constantFrom('a', 'b', 'fan', 'fan.x', 'fan.y', 'm', 'm[0]', 'm[2]', 'approvals'),
  output: fc.jsonValue(),
});

function frozenDeep(v: unknown, seen = new Set<unknown>()): boolean {
  if (v === null || typeof v !== 'object' || seen.has(v)) return true;
  seen.add(v);
  return Object.isFrozen(v) && Object.values(v).every((x) => frozenDeep(x, seen));
}

const freeze = (x: unknown): unknown =>
  x !== null && typeof x === 'object' ? Object.freeze(Array.isArray(x) ? x.map(freeze) : Object.fromEntries(Object.entries(x).map(([k, v]) => [k, freeze(v)]))) : x;

describe("a run's context view", () => {
  it('is the same whether entries are applied one by one or together (a fan-out lands at its join, a map at its end)', () => {
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 12 }), fc.array(entry, { maxLength: 6 }), (before, batch) => {
        const es = [...before, ...batch].map((e, i) => ({ ...e, seq: i + 1, output: freeze(e.output) }) as unknown as ContextEntry);
        const start = es.slice(0, before.length).reduce(applyEntry, Object.freeze({ input: 1 }) as ContextView);
        const held = JSON.stringify(start);
        const oneByOne = es.slice(before.length).reduce(applyEntry, start);
        const together = batch.length === 0 ? start : applyEntries(start, es.slice(before.length));
        expect(together).toEqual(oneByOne);
        expect(frozenDeep(together)).toBe(true);
        expect(JSON.stringify(start)).toBe(held); // a view a step already holds never changes
      }),
      { numRuns: 3000 },
    );
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/util/index.js';
import { definitionHash } from '../../src/workflow/index.js';

/** The same value with every object's keys in reverse, then shuffled, insertion order. */
function reorder(value: unknown, seed: number): unknown {
  if (Array.isArray(value)) return value.map((v) => reorder(v, seed));
  if (typeof value !== 'object' || value === null) return value;
  const keys = Object.keys(value);
  const shuffled = keys.map((k, i) => [k, (i * 7919 + seed) % (keys.length + 1)] as const).sort((a, b) => a[1] - b[1]);
  const out: Record<string, unknown> = {};
  // defineProperty, not assignment: fast-check generates own `__proto__` keys, which `out[k] =` would drop.
  for (const [k] of shuffled.reverse()) Object.defineProperty(out, k, { value: reorder((value as Record<string, unknown>)[k], seed), enumerable: true, writable: true, configurable: true });
  return out;
}

describe('canonical JSON (definition hash)', () => {
  it('does not depend on key order', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.nat(), (value, seed) => {
        expect(canonicalJson(reorder(value, seed))).toBe(canonicalJson(value));
      }),
      { numRuns: 300 },
    );
  });

  it('round-trips through JSON.parse to an equal value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(JSON.parse(canonicalJson(value))).toEqual(JSON.parse(JSON.stringify(value)));
      }),
      { numRuns: 300 },
    );
  });

  it('has sorted keys and no whitespace', () => {
    expect(canonicalJson({ b: 1, a: [true, null, 'x'], c: { z: 1, y: undefined } })).toBe('{"a":[true,null,"x"],"b":1,"c":{"z":1}}');
  });

  it('gives definitions that differ only in key order the same hash', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), fc.jsonValue()), fc.nat(), (extra, seed) => {
        const def = { name: 'w', steps: { a: { agent: 'x' } }, input: extra };
        expect(definitionHash(reorder(def, seed) as typeof def)).toBe(definitionHash(def));
      }),
      { numRuns: 100 },
    );
  });
});

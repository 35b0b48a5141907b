import fc from 'fast-check';
import jsonata from 'jsonata';
import { describe, expect, it } from 'vitest';
import { compileDirect, UNHANDLED } from '../../src/workflow/direct-expressions.js';
import { compileExpression } from '../../src/workflow/index.js';

/**
 * Simple expressions skip JSONata's evaluator (compileDirect). Whatever the view holds, the
 * result must be JSONata's own: for random expressions of the subset and random views, the
 * compiled expression (direct where it can) and JSONata itself agree.
 */

const names = ['input', 'item', 'triage', 'severity', 'ok', 'a', 'b'];
const literal = fc.oneof(
  fc.string({ maxLength: 4 }).map((s) => JSON.stringify(s)),
  fc.integer({ min: -3, max: 3 }).map(String),
  fc.constantFrom('true', 'false', 'null', '"low"', '0', '1.5'),
);
const path = fc.array(fc.constantFrom(...names, 'constructor', '__proto__', 'toString'), { minLength: 1, maxLength: 3 }).map((p) => p.join('.'));
const { expr } = fc.letrec<{ expr: string; atom: string }>((tie) => ({
  atom: fc.oneof(path, literal),
  expr: fc.oneof(
    { depthSize: 'small' },
    tie('atom'),
    fc.tuple(tie('atom'), fc.constantFrom('=', '!=', 'and', 'or'), tie('atom')).map(([a, op, b]) => `${a} ${op} ${b}`),
    fc.tuple(tie('atom'), fc.constantFrom('=', '!=', 'and', 'or'), tie('expr')).map(([a, op, b]) => `${a} ${op} ${b}`),
    fc.array(fc.tuple(fc.constantFrom('x', 'y', 'z'), tie('expr')), { maxLength: 3 }).map((kv) => `{ ${kv.map(([k, v]) => `"${k}": ${v}`).join(', ')} }`),
  ),
}));
const value: fc.Arbitrary<unknown> = fc.letrec<{ v: unknown }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small' },
    fc.jsonValue({ maxDepth: 1 }),
    fc.constantFrom('low', 1, 0, true, false, null),
    fc.dictionary(fc.constantFrom(...names), tie('v'), { maxKeys: 4 }),
    fc.array(tie('v'), { maxLength: 3 }),
  ),
})).v;
const view = fc.dictionary(fc.constantFrom(...names), value, { maxKeys: 6 });

/** A result as plain JSON, or the JSONata error code it failed with. */
async function outcome(evaluate: () => Promise<unknown>): Promise<unknown> {
  try {
    const r = await evaluate();
    return { value: r === undefined ? undefined : JSON.parse(JSON.stringify(r)) }; // sequences to plain arrays
  } catch (e) {
    const err = e as { code?: string; data?: { jsonataCode?: string } };
    return { error: err.data?.jsonataCode ?? err.code };
  }
}

describe('simple expressions evaluated without JSONata', () => {
  it('give JSONata’s result for any view', async () => {
    let direct = 0;
    await fc.assert(
      fc.asyncProperty(expr, view, async (source, v) => {
        const fast = compileDirect(jsonata(source).ast());
        if (fast !== null && fast(v) !== UNHANDLED) direct++;
        const compiled = compileExpression(source, '/x');
        expect(await outcome(() => compiled.evaluate(v))).toEqual(await outcome(() => jsonata(source).evaluate(v)));
      }),
      { numRuns: 3000 },
    );
    expect(direct).toBeGreaterThan(1500); // most of the generated expressions took the direct path
  });

  it('take the direct path for the shapes workflows use, and leave the rest to JSONata', () => {
    for (const s of ['triage.severity', 'triage.severity = "low"', '{ "i": item, "n": 1 }', 'a and b.ok', 'x != null']) expect(compileDirect(jsonata(s).ast()), s).not.toBeNull();
    for (const s of ['items[0]', '$count(input.items)', 'a < b', 'a.b[c = 1]', '{ "k": v } ~> $keys()', 'a & b']) expect(compileDirect(jsonata(s).ast()), s).toBeNull();
    expect(compileDirect(jsonata('input.items').ast())!({ input: { items: [1] } })).toBe(UNHANDLED); // a sequence: JSONata's
  });
});

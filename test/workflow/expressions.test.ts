import { describe, expect, it } from 'vitest';
import { isTroupeError } from '../../src/errors/index.js';
import {
  compileExpression,
  compileInputMapping,
  compileNext,
  evaluateCondition,
  isTruthy,
  referencedNames,
} from '../../src/workflow/index.js';

const view = { input: { alert: { host: 'web-1', tags: ['a', 'b'] } }, triage: { severity: 'high', score: 7 } };

function thrown(fn: () => unknown): any {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}

describe('compileExpression', () => {
  it('evaluates against the context view', async () => {
    const e = compileExpression('triage.severity = "high" and triage.score > 5', '/steps/a/next/0/when');
    expect(e.source).toBe('triage.severity = "high" and triage.score > 5');
    expect(await e.evaluate(view)).toBe(true);
  });

  describe('when the expression has a syntax error', () => {
    it('throws TROUPE_WORKFLOW_INVALID naming the path and the character', () => {
      const e = thrown(() => compileExpression('triage.severity = ', '/steps/triage/next/0/when'));
      expect(isTroupeError(e) && e.code).toBe('TROUPE_WORKFLOW_INVALID');
      expect(e.data.issues).toHaveLength(1);
      expect(e.data.issues[0].path).toBe('/steps/triage/next/0/when');
      expect(e.data.issues[0].message).toMatch(/at character 18/);
      expect(e.message).toMatch(/^\/steps\/triage\/next\/0\/when: invalid expression "triage.severity = "/);
    });
  });

  describe('when the expression is not deterministic', () => {
    it.each(['$now()', '$millis() > 0', '$random() < 0.5', '$eval("1+1")'])('refuses %s', (src) => {
      const e = thrown(() => compileExpression(src, '/output'));
      expect(e.code).toBe('TROUPE_WORKFLOW_INVALID');
      expect(e.message).toMatch(/is not allowed/);
    });
  });

  describe('when evaluation fails', () => {
    it('rejects with TROUPE_EXPRESSION_FAILED naming the path and the expression', async () => {
      const e = compileExpression('$number("not a number") + $undefinedFn()', '/steps/x/input');
      await expect(e.evaluate(view)).rejects.toMatchObject({
        code: 'TROUPE_EXPRESSION_FAILED',
        data: { path: '/steps/x/input', expression: '$number("not a number") + $undefinedFn()' },
      });
    });
  });

  describe('when an expression reaches for prototypes', () => {
    it.each([
      '$.__proto__',
      'input.__proto__',
      'input.constructor',
      'input.constructor.constructor',
      '$lookup(input, "constructor")',
      '$lookup(input, "__proto__")',
      'input.alert.toString',
      'input.alert.tags.constructor',
    ])('%s yields undefined', async (src) => {
      expect(await compileExpression(src, '/output').evaluate(view)).toBeUndefined();
    });

    it('cannot call the Function constructor', async () => {
      const e = compileExpression('($f := input.constructor.constructor; $f("return process")())', '/output');
      await expect(e.evaluate(view)).rejects.toMatchObject({ code: 'TROUPE_EXPRESSION_FAILED' });
    });

    it('does not pollute Object.prototype through a transform', async () => {
      await compileExpression('$merge([{}, {"__proto__": {"polluted": true}}])', '/output')
        .evaluate(view)
        .catch(() => undefined);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });
  });

  it('returns plain values: arrays, not JSONata sequences; no functions', async () => {
    const r = (await compileExpression('input.alert.tags.$uppercase($)', '/output').evaluate(view)) as unknown[];
    expect(r).toEqual(['A', 'B']);
    expect(Object.keys(r)).toEqual(['0', '1']);
    expect(await compileExpression('function($x) { $x }', '/output').evaluate(view)).toBeUndefined();
  });

  it('does not hand out references into the view', async () => {
    const r = (await compileExpression('input.alert', '/output').evaluate(view)) as Record<string, unknown>;
    r.host = 'changed';
    expect(view.input.alert.host).toBe('web-1');
  });

  it('stops a runaway recursion', async () => {
    const e = compileExpression('($f := function($n) { $f($n + 1) }; $f(0))', '/output');
    await expect(e.evaluate(view)).rejects.toMatchObject({ code: 'TROUPE_EXPRESSION_FAILED' });
  });
});

describe('compileInputMapping', () => {
  it('builds an object from expressions, leaving out undefined values', async () => {
    const m = compileInputMapping({ host: 'input.alert.host', sev: 'triage.severity', none: 'nothing.here' }, '/steps/s/input');
    expect(await m.evaluate(view)).toEqual({ host: 'web-1', sev: 'high' });
  });

  it('accepts a single expression', async () => {
    expect(await compileInputMapping('input.alert.host', '/steps/s/input').evaluate(view)).toBe('web-1');
  });

  it('reports every key that does not compile, each at its own path', () => {
    const e = thrown(() => compileInputMapping({ a: '(', ok: 'input', 'b/c': 'x ===' }, '/steps/s/input'));
    expect(e.data.issues.map((i: { path: string }) => i.path)).toEqual(['/steps/s/input/a', '/steps/s/input/b~1c']);
  });
});

describe('evaluateCondition', () => {
  it('follows JSONata truthiness, undefined being false', async () => {
    const cond = (src: string) => evaluateCondition(compileExpression(src, '/x'), view);
    expect(await cond('triage.severity = "high"')).toBe(true);
    expect(await cond('triage.missing')).toBe(false);
    expect(await cond('input.alert.tags')).toBe(true);
    expect(await cond('""')).toBe(false);
  });

  it.each([
    [undefined, false],
    [null, false],
    [0, false],
    [1, true],
    ['', false],
    ['x', true],
    [[], false],
    [[0, ''], false],
    [[0, 1], true],
    [{}, false],
    [{ a: 1 }, true],
  ])('isTruthy(%j) is %s', (v, expected) => {
    expect(isTruthy(v)).toBe(expected);
  });
});

describe('compileNext', () => {
  it('takes the first rule whose when holds, or that has none; none matching ends the run', async () => {
    const next = compileNext(
      [
        { when: 'triage.severity = "low"', to: 'report' },
        { when: 'triage.score > 5', to: 'investigate' },
      ],
      '/steps/triage/next',
    );
    expect(await next.resolve(view)).toBe('investigate');
    expect(await next.resolve({ ...view, triage: { severity: 'low' } })).toBe('report');
    expect(await next.resolve({ ...view, triage: { severity: 'mid', score: 1 } })).toBeUndefined();
    expect(await compileNext('report', '/x').resolve(view)).toBe('report');
  });
});

describe('referencedNames', () => {
  it('lists names read from the root of the view only', () => {
    expect(referencedNames('triage.severity = "low" and $count(input.xs[x > 1]) > 0 and $f(foo.bar)')).toEqual(['triage', 'input', 'foo']);
    expect(referencedNames('$.triage.x & item.y')).toEqual(['triage', 'item']);
    expect(referencedNames('{ "a": triage.a, "b": [review, `a-b`.c] }')).toEqual(['triage', 'review', 'a-b']);
    expect(referencedNames('input.list.{ "n": name }')).toEqual(['input']);
    expect(referencedNames('$map(input.xs, function($v) { $v.name + other })')).toEqual(['input']);
    expect(referencedNames('triage ? a : b')).toEqual(['triage', 'a', 'b']);
  });
});

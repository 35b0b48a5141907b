import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isTroupeError } from '../../src/errors/index.js';
import { compileSchema, createAjv, formatIssues } from '../../src/agents/index.js';

describe('compileSchema', () => {
  it('accepts everything when the schema is undefined or true', () => {
    expect(compileSchema(undefined, 'x')(Symbol('any'))).toBeNull();
    expect(compileSchema(true, 'x')(1)).toBeNull();
  });

  it('rejects everything when the schema is false', () => {
    expect(compileSchema(false, 'x')(1)).toEqual([{ path: '/', message: 'boolean schema is false' }]);
  });

  it('returns the same null (no allocation) for every valid value', () => {
    const check = compileSchema({ type: 'number' }, 'x');
    fc.assert(fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (n) => check(n) === null));
  });

  it('appends the offending property to additionalProperties messages', () => {
    const check = compileSchema({ type: 'object', additionalProperties: false }, 'x');
    expect(check({ extra: 1 })).toEqual([{ path: '/', message: "must NOT have additional properties: 'extra'" }]);
  });

  it('lists the allowed values of an enum', () => {
    const check = compileSchema({ type: 'object', properties: { s: { enum: ['low', 'high'] } } }, 'x');
    expect(check({ s: 'mid' })).toEqual([{ path: '/s', message: 'must be equal to one of the allowed values: "low", "high"' }]);
  });

  it('treats format as an annotation (2020-12 default) instead of failing to compile', () => {
    expect(compileSchema({ type: 'string', format: 'email' }, 'x')('not an email')).toBeNull();
  });

  it('supports 2020-12 keywords such as prefixItems', () => {
    const check = compileSchema({ type: 'array', prefixItems: [{ type: 'string' }] }, 'x');
    expect(check([1])).toEqual([{ path: '/0', message: 'must be string' }]);
  });

  describe('when the schema is invalid', () => {
    it.each([
      ['a wrong keyword value', { required: 'x' }],
      ['an unknown keyword', { type: 'object', propertees: {} }],
      ['an unresolvable $ref', { $ref: '#/nowhere' }],
      ['an async schema', { $async: true, type: 'object' }],
      ['a non-object', 'string' as never],
    ])('throws the given code naming where for %s', (_what, schema) => {
      try {
        compileSchema(schema, 'workflow "ir": input', { code: 'TROUPE_WORKFLOW_INVALID' });
        expect.unreachable();
      } catch (e) {
        expect(isTroupeError(e) && e.code).toBe('TROUPE_WORKFLOW_INVALID');
        expect((e as Error).message).toMatch(/^workflow "ir": input: invalid JSON Schema: /);
      }
    });

    it('defaults to TROUPE_AGENT_DEFINITION_INVALID', () => {
      expect(() => compileSchema({ type: 'nope' }, 'x')).toThrow(expect.objectContaining({ code: 'TROUPE_AGENT_DEFINITION_INVALID' }));
    });
  });

  it('can share one Ajv instance between schemas', () => {
    const ajv = createAjv();
    const a = compileSchema({ type: 'string' }, 'a', { ajv });
    const b = compileSchema({ type: 'number' }, 'b', { ajv });
    expect([a('x'), b(1)]).toEqual([null, null]);
    expect(b('x')).toHaveLength(1);
  });
});

describe('formatIssues', () => {
  it('joins issues into one line', () => {
    expect(
      formatIssues([
        { path: '/', message: "must have required property 'a'" },
        { path: '/b', message: 'must be string' },
      ]),
    ).toBe("/: must have required property 'a'; /b: must be string");
  });

  it('returns an empty string for no issues', () => {
    expect(formatIssues(null)).toBe('');
    expect(formatIssues([])).toBe('');
  });

  it('never contains a newline when messages do not', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ path: fc.string(), message: fc.string() }).filter((i) => !/\n/.test(i.path + i.message))), (issues) =>
        !formatIssues(issues).includes('\n'),
      ),
    );
  });
});

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { validateWorkflowSchema, workflowSchema } from '../../src/workflow/index.js';
import { issuesOfYaml, where } from './helpers.js';

const messages = (value: unknown): string[] => validateWorkflowSchema(value).map((i) => `${i.path}: ${i.message}`);

describe('workflow schema', () => {
  it('is the file published as troupe/workflow-schema.json', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    const published = JSON.parse(readFileSync(new URL(`../../${pkg.exports['./workflow-schema.json']}`, import.meta.url), 'utf8'));
    expect(workflowSchema()).toEqual(published);
    expect(published.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
  });

  it('bounds every pattern with a maxLength', () => {
    const unbounded: string[] = [];
    const walk = (node: unknown, path: string): void => {
      if (typeof node !== 'object' || node === null) return;
      const n = node as Record<string, unknown>;
      if ('pattern' in n && typeof n.pattern === 'string' && typeof n.maxLength !== 'number') unbounded.push(path);
      for (const [k, v] of Object.entries(n)) walk(v, `${path}/${k}`);
    };
    walk(workflowSchema(), '#');
    expect(unbounded).toEqual([]);
  });

  it('accepts each step kind', () => {
    expect(
      messages({
        name: 'kinds',
        steps: {
          task: { agent: 'a', next: 'par' },
          par: { parallel: { x: { capability: 'c' } }, next: 'fan' },
          fan: { map: { agent: 'a', items: 'input.xs' }, next: 'sub' },
          sub: { workflow: 'other', next: 'gate' },
          gate: { approval: { required: true } },
        },
      }),
    ).toEqual([]);
  });

  describe('when a field is misspelled', () => {
    it('names the unknown property and suggests the right one', () => {
      expect(messages({ name: 'w', steps: { a: { agent: 'x', nxt: 'a' } } })).toEqual(['/steps/a/nxt: unknown property "nxt" (did you mean "next"?)']);
      expect(messages({ name: 'w', stepz: {}, steps: { a: { agent: 'x' } } })).toEqual(['/stepz: unknown property "stepz" (did you mean "steps"?)']);
    });

    it('explains a step of no known kind', () => {
      expect(messages({ name: 'w', steps: { a: { agnet: 'x' } } })).toEqual([
        '/steps/a: a step needs one of agent, capability, parallel, map, workflow, approval (unknown property "agnet" (did you mean "agent"?))',
      ]);
    });
  });

  describe('when a target names both or neither of agent and capability', () => {
    it('reports one clear message per target', () => {
      expect(
        messages({
          name: 'w',
          steps: {
            a: { agent: 'x', capability: 'y', next: 'b' },
            b: { parallel: { p: {}, q: { agent: 'x', capability: 'y' } }, next: 'c' },
            c: { map: { items: 'input' } },
          },
        }),
      ).toEqual([
        '/steps/a: must name exactly one of agent or capability, not both',
        '/steps/b/parallel/p: must name an agent or a capability',
        '/steps/b/parallel/q: must name exactly one of agent or capability, not both',
        '/steps/c/map: must name an agent or a capability',
      ]);
    });
  });

  describe('when a step id or branch name is reserved or malformed', () => {
    it.each(['input', 'item', 'index', 'error', 'feedback', 'approvals'])('refuses %s', (name) => {
      expect(messages({ name: 'w', steps: { [name]: { agent: 'x' } } })).toEqual([
        `/steps/${name}: "${name}" is reserved in the expression view (input, item, index, error, feedback, approvals); choose another name`,
      ]);
      expect(messages({ name: 'w', steps: { a: { parallel: { [name]: { agent: 'x' } } } } })[0]).toMatch(/^\/steps\/a\/parallel\/.*is reserved/);
    });

    it('refuses a name with a dot', () => {
      expect(messages({ name: 'w', steps: { 'a.b': { agent: 'x' } } })).toEqual([
        '/steps/a.b: "a.b" is not a valid name: a letter or "_" first, then letters, digits, "_" or "-"',
      ]);
    });
  });

  it('explains bad values: types, durations, enums, bounds', () => {
    expect(
      messages({
        name: 'w',
        policy: 'random',
        steps: { a: { agent: 'x', timeout: '3 weeks', maxVisits: 0, retry: { max: 'lots' }, next: 5 } },
      }),
    ).toEqual([
      '/steps/a/next: must be string or array, got 5',
      '/steps/a/maxVisits: must be >= 1, got 0',
      '/steps/a/timeout: must be a duration such as 250ms, 30s, 5m, 2h, 7d, or a number of milliseconds, got "3 weeks"',
      '/steps/a/retry/max: must be integer, got "lots"',
      '/policy: must be one of "round-robin", "least-loaded" or "weighted", got "random"',
    ]);
  });

  it('reports a missing required property at its parent', () => {
    expect(messages({ steps: { a: { agent: 'x', next: [{ when: 'true' }] } } })).toEqual([
      ': missing required property "name"',
      '/steps/a/next/0: missing required property "to"',
    ]);
  });

  it('locates schema issues on their line and column in YAML', () => {
    const issues = issuesOfYaml(['name: w', 'steps:', '  a:', '    agent: x', '    timeout: forever', '    nxt: a'].join('\n'));
    expect(where(issues)).toEqual(['5:5 /steps/a/timeout', '6:5 /steps/a/nxt']);
  });
});

import { describe, expect, it } from 'vitest';
import {
  assertValidWorkflow,
  definitionHash,
  parseWorkflow,
  verifyWorkflow,
  type VerifyEnv,
  type WorkflowDefinition,
} from '../../src/workflow/index.js';
import { issuesOfYaml, where } from './helpers.js';

const env: VerifyEnv = {
  hasAgent: (id) => ['triage', 'reporter', 'undo'].includes(id),
  hasCapability: (c) => c === 'log-search',
  hasWorkflow: (n) => n === 'known',
};

describe('verifyWorkflow', () => {
  describe('when a transition names a missing step', () => {
    it('reports next, onError, approval.reject and start, each at its line', () => {
      const issues = issuesOfYaml(
        [
          'name: w', //                                          1
          'start: begin', //                                     2
          'steps:', //                                           3
          '  a:', //                                             4
          '    agent: triage', //                                5
          '    next: nowhere', //                                6
          '    onError:', //                                     7
          '      - when: error.code = "X"', //                   8
          '        to: b', //                                    9
          '      - to: gone', //                                 10
          '  b:', //                                             11
          '    approval: { reject: lost }', //                   12
        ].join('\n'),
      );
      expect(where(issues)).toEqual([
        '2:1 /start',
        '6:5 /steps/a/next',
        '10:9 /steps/a/onError/1/to',
        '12:17 /steps/b/approval/reject',
      ]);
      expect(issues[1]!.message).toBe('next names step "nowhere", which does not exist (steps: a, b)');
    });
  });

  describe('when a step cannot be reached from the start', () => {
    it('reports the step at its key', () => {
      const issues = issuesOfYaml('name: w\nsteps:\n  a: { agent: triage }\n  orphan: { agent: triage }\n');
      expect(where(issues)).toEqual(['4:3 /steps/orphan']);
      expect(issues[0]!.message).toBe('step "orphan" is unreachable from the start step "a"');
    });

    it('counts onError and approval.reject as edges', () => {
      const yaml = [
        'name: w',
        'steps:',
        '  a: { agent: triage, onError: fix, next: b }',
        '  b: { agent: triage, approval: { reject: c } }',
        '  c: { agent: triage }',
        '  fix: { agent: triage }',
      ].join('\n');
      expect(issuesOfYaml(yaml)).toEqual([]);
    });
  });

  describe('when a cycle has no maxVisits', () => {
    it('reports it once, naming its steps, at its first step', () => {
      const yaml = [
        'name: w',
        'steps:',
        '  a: { agent: triage, next: b }',
        '  b: { agent: triage, next: [{ when: "b.again", to: c }, { to: d }] }',
        '  c: { agent: triage, next: a }',
        '  d: { agent: triage, next: d }',
      ].join('\n');
      const issues = issuesOfYaml(yaml);
      expect(where(issues)).toEqual(['3:3 /steps/a', '6:3 /steps/d']);
      expect(issues[0]!.message).toBe('steps "a", "b", "c" form a cycle with no bound: set maxVisits on at least one of them');
      expect(issues[1]!.message).toMatch(/step "d" loops to itself/);
    });

    it('accepts a cycle bounded by maxVisits on any one step', () => {
      const yaml = 'name: w\nsteps:\n  a: { agent: triage, next: b }\n  b: { agent: triage, maxVisits: 3, next: [{ when: "b.again", to: a }] }\n';
      expect(issuesOfYaml(yaml)).toEqual([]);
    });

    it('finds a cycle that avoids the bounded step', () => {
      const yaml = [
        'name: w',
        'steps:',
        '  a: { agent: triage, maxVisits: 2, next: b }',
        '  b: { agent: triage, next: [{ when: "b.x", to: a }, { when: "b.y", to: c }] }',
        '  c: { agent: triage, next: b }',
      ].join('\n');
      expect(issuesOfYaml(yaml).map((i) => i.message)).toEqual(['steps "b", "c" form a cycle with no bound: set maxVisits on at least one of them']);
    });
  });

  describe('when an expression does not compile', () => {
    it('reports every kind of expression at its path and line', () => {
      const yaml = [
        'name: w', //                                                1
        'output: "a.("', //                                          2
        'steps:', //                                                 3
        '  a:', //                                                   4
        '    agent: triage', //                                      5
        '    input: { x: "input.(" }', //                            6
        '    approval: { required: "a = " }', //                     7
        '    correct: { max: 2, check: "[" }', //                    8
        '    next: [{ when: "a ==", to: b }]', //                    9
        '  b:', //                                                   10
        '    map: { agent: triage, items: "input.{", input: "item[" }', // 11
        '    next: c', //                                            12
        '  c:', //                                                   13
        '    parallel: { p: { agent: triage, input: "(" } }', //     14
        '    compensate: { agent: undo, input: "]" }', //            15
      ].join('\n');
      expect(where(issuesOfYaml(yaml))).toEqual([
        '2:1 /output',
        '6:14 /steps/a/input/x',
        '7:17 /steps/a/approval/required',
        '8:24 /steps/a/correct/check',
        '9:14 /steps/a/next/0/when',
        '11:27 /steps/b/map/items',
        '11:45 /steps/b/map/input',
        '14:37 /steps/c/parallel/p/input',
        '15:32 /steps/c/compensate/input',
      ]);
    });

    it('warns about a name that is neither a step nor a view key', () => {
      const issues = issuesOfYaml('name: w\nsteps:\n  a: { agent: triage, next: [{ when: "traige.x = 1", to: b }, { to: b }] }\n  b: { agent: triage }\n');
      expect(issues).toEqual([]);
      const all = verifyWorkflow(parseWorkflow('name: w\nsteps:\n  a: { agent: triage, input: "traige.x" }\n', 'w.yaml'));
      expect(all).toEqual([expect.objectContaining({ path: '/steps/a/input', severity: 'warning', message: expect.stringMatching(/"traige"/) })]);
    });
  });

  describe('when an agent, capability or workflow is unknown to the runtime', () => {
    const def: WorkflowDefinition = {
      name: 'w',
      steps: {
        a: { agent: 'ghost', compensate: 'phantom', next: 'b' },
        b: { parallel: { x: { capability: 'mind-reading' }, y: { agent: 'triage' } }, next: 'c' },
        c: { map: { agent: 'nobody', items: 'input.xs' }, compensate: { capability: 'time-travel' }, next: 'd' },
        d: { workflow: 'unknown-flow', next: 'e' },
        e: { workflow: './file.yaml', next: 'f' },
        f: { workflow: 'known' },
      },
    };

    it('reports each at its path', () => {
      expect(verifyWorkflow(def, env).map((i) => `${i.path}: ${i.message}`)).toEqual([
        '/steps/a/agent: no agent is registered with id "ghost"',
        '/steps/a/compensate: no agent is registered with id "phantom"',
        '/steps/b/parallel/x/capability: no agent has capability "mind-reading"',
        '/steps/c/map/agent: no agent is registered with id "nobody"',
        '/steps/c/compensate/capability: no agent has capability "time-travel"',
        '/steps/d/workflow: step "d" delegates to workflow "unknown-flow", which is not registered',
      ]);
    });

    it('skips them without an env', () => {
      expect(verifyWorkflow(def)).toEqual([]);
    });
  });

  describe('when the input schema is not a JSON Schema', () => {
    it('reports /input', () => {
      const issues = issuesOfYaml('name: w\ninput: { type: nonsense }\nsteps:\n  a: { agent: triage }\n');
      expect(where(issues)).toEqual(['2:1 /input']);
      expect(issues[0]!.message).toMatch(/is not a valid JSON Schema/);
    });
  });

  it('warns about rules after an unconditional rule', () => {
    const def = parseWorkflow('name: w\nsteps:\n  a: { agent: triage, next: [{ to: b }, { when: "a", to: b }] }\n  b: { agent: triage }\n', 'w.yaml');
    expect(verifyWorkflow(def)).toEqual([expect.objectContaining({ path: '/steps/a/next/0', severity: 'warning' })]);
  });

  it('accepts a rules list whose last rule has a when (no match ends the run)', () => {
    expect(issuesOfYaml('name: w\nsteps:\n  a: { agent: triage, next: [{ when: "a.more", to: b }] }\n  b: { agent: triage }\n')).toEqual([]);
  });
});

describe('assertValidWorkflow', () => {
  it('throws TROUPE_WORKFLOW_INVALID listing issues one a line', () => {
    const def = { name: 'w', steps: { a: { agent: 'ghost', next: 'zz' } } };
    expect(() => assertValidWorkflow(def, env, 'flows/w.yaml')).toThrow(
      expect.objectContaining({
        code: 'TROUPE_WORKFLOW_INVALID',
        message: [
          'flows/w.yaml is invalid (2 errors):',
          'flows/w.yaml: /steps/a/next: next names step "zz", which does not exist (steps: a)',
          'flows/w.yaml: /steps/a/agent: no agent is registered with id "ghost"',
        ].join('\n'),
      }),
    );
  });

  it('passes a valid definition with warnings', () => {
    expect(() => assertValidWorkflow({ name: 'w', steps: { a: { agent: 'triage', input: 'nope' } } }, env)).not.toThrow();
  });
});

describe('definitionHash', () => {
  it('is a SHA-256 hex that ignores key order', () => {
    const a = definitionHash({ name: 'w', steps: { a: { agent: 'x', next: 'b' }, b: { agent: 'y' } } });
    const b = definitionHash({ steps: { a: { next: 'b', agent: 'x' }, b: { agent: 'y' } }, name: 'w' });
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(a).toBe(b);
    expect(definitionHash({ name: 'w2', steps: { a: { agent: 'x' } } })).not.toBe(a);
  });
});

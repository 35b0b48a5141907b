import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { defineWorkflow, definitionHash, parseWorkflow, type WorkflowDefinition } from '../../src/workflow/index.js';

const fixture = new URL('./fixtures/incident-response.yaml', import.meta.url);

function incidentResponse(): WorkflowDefinition {
  return defineWorkflow('incident-response')
    .version('1.0')
    .description('Triage an alert, investigate, contain with approval, report.')
    .input({ type: 'object', required: ['alert'], properties: { alert: { type: 'object' } } })
    .policy('least-loaded')
    .defaults({ timeout: '30s', retry: { max: 2, backoff: 'exponential', base: '100ms' } })
    .output('{ "severity": triage.severity, "report": report }')
    .step('triage', {
      agent: 'triage',
      input: 'input.alert',
      correct: { max: 2, check: 'triage.severity in ["low", "medium", "high"]' },
      next: [{ when: 'triage.severity = "low"', to: 'report' }, { to: 'investigate' }],
    })
    .parallel(
      'investigate',
      { logs: { capability: 'log-search', input: { query: 'input.alert.host' } }, intel: { capability: 'threat-intel', timeout: '10s' } },
      { next: 'enrich' },
    )
    .map('enrich', { capability: 'enrichment', items: 'investigate.logs.hits', input: { hit: 'item', position: 'index' }, concurrency: 4 }, { next: 'remediate' })
    .step('remediate', {
      agent: 'remediator',
      input: { alert: 'input.alert', findings: 'enrich' },
      approval: { required: 'triage.severity != "low"', prompt: 'Contain the host?', reject: 'review' },
      retry: { max: 3, backoff: 'exponential', base: '100ms' },
      timeout: '30s',
      compensate: { agent: 'undo-containment', input: 'remediate' },
      onError: [{ when: 'error.code = "TROUPE_AGENT_TIMEOUT"', to: 'review' }, { to: 'report' }],
      next: 'report',
    })
    .approval('review', { prompt: 'Remediation was rejected or failed; retry it?', reject: 'report' }, { maxVisits: 3, next: 'remediate' })
    .step('report', { agent: 'reporter', input: { triage: 'triage', investigation: 'investigate', remediation: 'remediate' } })
    .build();
}

describe('defineWorkflow', () => {
  it('builds the same definition as the equivalent YAML', () => {
    const fromYaml = parseWorkflow(readFileSync(fixture, 'utf8'), 'incident-response.yaml');
    const { agents: _agents, ...withoutAgents } = fromYaml;
    const built = incidentResponse();
    expect(built).toStrictEqual(withoutAgents);
    expect(definitionHash(built)).toBe(definitionHash(withoutAgents));
  });

  it('returns a deep-frozen definition', () => {
    const def = incidentResponse();
    expect(Object.isFrozen(def)).toBe(true);
    expect(Object.isFrozen(def.steps.triage)).toBe(true);
  });

  it('verifies a whole definition object', () => {
    const def = defineWorkflow({ name: 'w', steps: { a: { agent: 'x' } } });
    expect(def).toEqual({ name: 'w', steps: { a: { agent: 'x' } } });
  });

  describe('when the definition is invalid', () => {
    it('build() throws TROUPE_WORKFLOW_INVALID with the schema and structural issues', () => {
      expect(() => defineWorkflow('w').step('a', { agent: 'x', next: 'missing' }).build()).toThrow(
        expect.objectContaining({ code: 'TROUPE_WORKFLOW_INVALID', message: expect.stringContaining('/steps/a/next: next names step "missing"') }),
      );
      expect(() => defineWorkflow('w').step('a', { agent: 'x', timeout: 'soon' }).build()).toThrow(expect.objectContaining({ code: 'TROUPE_WORKFLOW_INVALID' }));
      expect(() => defineWorkflow({ name: 'w', steps: { a: { agent: 'x', next: 'a' } } })).toThrow(/form a cycle|loops to itself/);
    });

    it('reports a step id used twice', () => {
      expect(() => defineWorkflow('w').step('a', { agent: 'x' }).step('a', { agent: 'y' }).build()).toThrow(/step "a" is defined twice/);
    });

    it('does not check agents (that needs a runtime)', () => {
      expect(() => defineWorkflow('w').step('a', { agent: 'not-registered-anywhere' }).build()).not.toThrow();
    });
  });

  it('rejects wrong shapes at compile time', () => {
    const b = defineWorkflow('w');
    // @ts-expect-error both agent and capability
    b.step('a', { agent: 'x', capability: 'y' });
    // @ts-expect-error neither agent nor capability
    b.step('b', { next: 'a' });
    // @ts-expect-error a reserved step id
    b.step('input', { agent: 'x' });
    // @ts-expect-error a parallel step's branch needs a target
    b.parallel('p', { x: { input: 'input' } });
    // @ts-expect-error map needs items
    b.map('m', { agent: 'x' });
    // @ts-expect-error not a field of a step
    b.step('c', { agent: 'x', nxt: 'a' });
    expect(b).toBeDefined();
  });
});

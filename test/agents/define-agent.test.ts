import { describe, expect, it } from 'vitest';
import { isTroupeError } from '../../src/errors/index.js';
import { defineAgent, isAgent, type AgentDefinition } from '../../src/agents/index.js';

const execute = (x: unknown) => x;

function definitionError(def: unknown): { code: string; message: string; data: any } {
  try {
    defineAgent(def as AgentDefinition);
  } catch (e) {
    if (isTroupeError(e)) return { code: e.code, message: e.message, data: e.data };
    throw e;
  }
  throw new Error('defineAgent did not throw');
}

describe('defineAgent', () => {
  describe('with a minimal definition', () => {
    const agent = defineAgent({ id: 'triage', execute });

    it('applies the documented defaults', () => {
      expect(agent.timeoutMs).toBe(30_000);
      expect(agent.concurrency).toBe(64);
      expect(agent.instances).toBe(1);
      expect(agent.mailbox).toBe(1024);
      expect(agent.weight).toBe(1);
      expect(agent.capabilities).toEqual([]);
      expect(agent.breaker).toEqual({ failureThreshold: 5, resetTimeoutMs: 30_000, halfOpenMax: 1 });
      expect(agent.retry).toEqual({
        max: 0,
        backoff: 'exponential',
        baseMs: 100,
        maxDelayMs: 30_000,
        jitter: true,
        nonRetryable: ['TROUPE_AGENT_INPUT_INVALID', 'TROUPE_AGENT_OUTPUT_INVALID', 'TROUPE_CIRCUIT_OPEN', 'TROUPE_AGENT_NOT_FOUND'],
      });
    });

    it('accepts any input and output', () => {
      expect(agent.validateInput({ anything: 1 })).toBeNull();
      expect(agent.validateOutput(undefined)).toBeNull();
    });

    it('keeps the original definition and is frozen', () => {
      expect(agent.definition.execute).toBe(execute);
      expect(Object.isFrozen(agent)).toBe(true);
    });
  });

  describe('when options are given', () => {
    it('parses durations and keeps explicit numbers', () => {
      const agent = defineAgent({
        id: 'fix.v2_a-b',
        execute,
        capabilities: ['remediate', 'remediate', 'k8s:restart'],
        timeout: '5s',
        retry: { max: 3, backoff: 'fixed', base: '250ms', maxDelay: '2s', jitter: false, nonRetryable: ['X'] },
        concurrency: 2,
        instances: 3,
        mailbox: 0,
        circuitBreaker: { failureThreshold: 2, resetTimeout: '1m' },
        weight: 0.5,
      });
      expect(agent.timeoutMs).toBe(5000);
      expect(agent.capabilities).toEqual(['remediate', 'k8s:restart']);
      expect(agent.retry).toEqual({ max: 3, backoff: 'fixed', baseMs: 250, maxDelayMs: 2000, jitter: false, nonRetryable: ['X'] });
      expect(agent.breaker).toEqual({ failureThreshold: 2, resetTimeoutMs: 60_000, halfOpenMax: 1 });
      expect([agent.concurrency, agent.instances, agent.mailbox, agent.weight]).toEqual([2, 3, 0, 0.5]);
    });

    it('disables the breaker with circuitBreaker: false', () => {
      expect(defineAgent({ id: 'a', execute, circuitBreaker: false }).breaker).toBeNull();
    });

    it('raises maxDelay to a base above 30s when maxDelay is not given', () => {
      expect(defineAgent({ id: 'a', execute, retry: { max: 1, base: '1m' } }).retry.maxDelayMs).toBe(60_000);
    });
  });

  describe('when the definition is invalid', () => {
    it.each([
      ['id', { id: 'Triage', execute }],
      ['id', { id: '-x', execute }],
      ['id', { id: 'a'.repeat(129), execute }],
      ['execute', { id: 'a' }],
      ['timeout', { id: 'a', execute, timeout: 'soon' }],
      ['timeout', { id: 'a', execute, timeout: 0 }],
      ['timeout', { id: 'a', execute, timeout: '30d' }],
      ['concurrency', { id: 'a', execute, concurrency: 0 }],
      ['instances', { id: 'a', execute, instances: 1.5 }],
      ['mailbox', { id: 'a', execute, mailbox: -1 }],
      ['weight', { id: 'a', execute, weight: -1 }],
      ['weight', { id: 'a', execute, weight: Number.NaN }],
      ['capabilities', { id: 'a', execute, capabilities: 'x' }],
      ['capabilities[1]', { id: 'a', execute, capabilities: ['ok', 'has space'] }],
      ['circuitBreaker', { id: 'a', execute, circuitBreaker: true }],
      ['circuitBreaker.failureThreshold', { id: 'a', execute, circuitBreaker: { failureThreshold: 0 } }],
      ['fallback', { id: 'a', execute, fallback: {} }],
      ['fallback.agent', { id: 'a', execute, fallback: { agent: 'a' } }],
      ['setup', { id: 'a', execute, setup: 1 }],
    ])('throws TROUPE_AGENT_DEFINITION_INVALID naming %s', (field, def) => {
      const err = definitionError(def);
      expect(err.code).toBe('TROUPE_AGENT_DEFINITION_INVALID');
      expect(err.data.field).toBe(field);
      expect(err.message).toContain(`${field}:`);
      if (field !== 'id') expect(err.message).toContain('agent "a"');
    });

    it.each([
      ['retry.max', { max: -1 }],
      ['retry.backoff', { max: 1, backoff: 'linear' }],
      ['retry.base', { max: 1, base: 'fast' }],
      ['retry.maxDelay', { max: 1, base: '2s', maxDelay: '1s' }],
      ['retry.jitter', { max: 1, jitter: 'yes' }],
      ['retry.nonRetryable', { max: 1, nonRetryable: [1] }],
    ])('throws TROUPE_AGENT_DEFINITION_INVALID naming %s', (field, retry) => {
      const err = definitionError({ id: 'a', execute, retry });
      expect(err.code).toBe('TROUPE_AGENT_DEFINITION_INVALID');
      expect(err.message).toContain(`agent "a": ${field}:`);
      expect(err.data).toEqual({ agent: 'a', field });
    });

    it('rejects a non-object definition', () => {
      expect(definitionError(null).code).toBe('TROUPE_AGENT_DEFINITION_INVALID');
    });

    it('names input when the input schema does not compile', () => {
      const err = definitionError({ id: 'a', execute, input: { type: 'nope' } });
      expect(err.code).toBe('TROUPE_AGENT_DEFINITION_INVALID');
      expect(err.message).toMatch(/^agent "a": input: invalid JSON Schema/);
      expect(err.data).toMatchObject({ agent: 'a', field: 'input' });
    });

    it('names output for a schema with an unknown keyword (a typo)', () => {
      const err = definitionError({ id: 'a', execute, output: { type: 'object', requried: ['x'] } });
      expect(err.message).toMatch(/^agent "a": output: invalid JSON Schema.*requried/);
      expect(err.data.field).toBe('output');
    });
  });

  describe('validators', () => {
    const agent = defineAgent({
      id: 'triage',
      execute,
      input: { type: 'object', required: ['alert'], properties: { alert: { type: 'string', maxLength: 100 } } },
      output: { type: 'object', required: ['severity'], properties: { severity: { enum: ['low', 'high'] } } },
    });

    it('returns null for valid values', () => {
      expect(agent.validateInput({ alert: 'disk full' })).toBeNull();
      expect(agent.validateOutput({ severity: 'low' })).toBeNull();
    });

    it('returns issues with a JSON pointer and the message', () => {
      expect(agent.validateOutput({})).toEqual([{ path: '/', message: "must have required property 'severity'" }]);
      expect(agent.validateInput({ alert: 5 })).toEqual([{ path: '/alert', message: 'must be string' }]);
    });

    it('compiles input and output schemas that share an $id independently', () => {
      const schema = { $id: 'https://troupe.test/same.json', type: 'object' };
      const a = defineAgent({ id: 'same', execute, input: schema, output: schema });
      expect(a.validateOutput(1)).toHaveLength(1);
    });
  });

  describe('idempotence', () => {
    it('returns an already-defined agent unchanged', () => {
      const agent = defineAgent({ id: 'a', execute });
      expect(defineAgent(agent)).toBe(agent);
    });

    it('isAgent tells defined agents from definitions', () => {
      const def = { id: 'a', execute };
      expect(isAgent(def)).toBe(false);
      expect(isAgent(defineAgent(def))).toBe(true);
      expect(isAgent(null)).toBe(false);
      expect(isAgent({ ...defineAgent(def) })).toBe(false);
    });
  });
});

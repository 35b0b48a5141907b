import { describe, expect, expectTypeOf, it, vi } from 'vitest';
import { createRegistry, defineAgent, type RegistryContext, type RegistryEvent, type RegistryStore } from '../../src/agents/index.js';

const execute = () => null;
const triage = defineAgent({ id: 'triage', execute, capabilities: ['classify'] });
const logs = defineAgent({ id: 'logs', execute, capabilities: ['log-search', 'search'], weight: 2 });
const intel = defineAgent({ id: 'intel', execute, capabilities: ['search'] });

describe('registry', () => {
  describe('lookups', () => {
    const registry = createRegistry({ agents: [triage, logs, intel] });

    it('finds agents by id', () => {
      expect(registry.get('logs')).toBe(logs);
      expect(registry.get('nope')).toBeUndefined();
    });

    it('finds agents by capability in registration order', () => {
      expect(registry.byCapability('search')).toEqual([logs, intel]);
      expect(registry.byCapability('classify')).toEqual([triage]);
    });

    it('returns the same empty array for an unknown capability', () => {
      expect(registry.byCapability('x')).toHaveLength(0);
      expect(registry.byCapability('x')).toBe(registry.byCapability('y'));
    });

    it('starts every agent up with its defined weight', () => {
      expect(registry.weight('logs')).toBe(2);
      expect(registry.status('logs')).toEqual({ state: 'up' });
      expect(registry.list().map((a) => a.id)).toEqual(['triage', 'logs', 'intel']);
    });

    it('reads the same snapshot object until something changes', () => {
      expect(registry.snapshot()).toBe(registry.snapshot());
    });
  });

  describe('when an id is registered twice', () => {
    it('throws TROUPE_AGENT_DUPLICATE and leaves the registry unchanged', () => {
      const registry = createRegistry({ agents: [triage] });
      const before = registry.snapshot();
      expect(() => registry.register(defineAgent({ id: 'triage', execute, capabilities: ['other'] }))).toThrow(
        expect.objectContaining({ code: 'TROUPE_AGENT_DUPLICATE' }),
      );
      expect(registry.snapshot()).toBe(before);
      expect(registry.byCapability('other')).toHaveLength(0);
    });

    it('throws from createRegistry for repeated initial agents', () => {
      expect(() => createRegistry({ agents: [triage, triage] })).toThrow(expect.objectContaining({ code: 'TROUPE_AGENT_DUPLICATE' }));
    });
  });

  describe('unregister', () => {
    it('removes the agent from every index', () => {
      const registry = createRegistry({ agents: [logs, intel] });
      expect(registry.unregister('logs')).toBe(true);
      expect(registry.get('logs')).toBeUndefined();
      expect(registry.byCapability('search')).toEqual([intel]);
      expect(registry.byCapability('log-search')).toHaveLength(0);
      expect(registry.snapshot().byCapability.has('log-search')).toBe(false);
      expect(registry.weight('logs')).toBeUndefined();
      expect(registry.status('logs')).toBeUndefined();
    });

    it('returns false for an unknown id and changes nothing', () => {
      const registry = createRegistry({ agents: [logs] });
      const before = registry.snapshot();
      expect(registry.unregister('nope')).toBe(false);
      expect(registry.snapshot()).toBe(before);
    });
  });

  describe('weights and statuses', () => {
    it('sets a weight and a down status with its reason', () => {
      const registry = createRegistry({ agents: [logs] });
      registry.setWeight('logs', 0);
      registry.setStatus('logs', 'down', 'circuit open');
      expect(registry.weight('logs')).toBe(0);
      expect(registry.status('logs')).toEqual({ state: 'down', reason: 'circuit open' });
      registry.setStatus('logs', 'up');
      expect(registry.status('logs')).toEqual({ state: 'up' });
    });

    it.each([-1, Number.NaN, Infinity])('rejects weight %s with TROUPE_ROUTING_WEIGHT_INVALID', (w) => {
      const registry = createRegistry({ agents: [logs] });
      expect(() => registry.setWeight('logs', w)).toThrow(expect.objectContaining({ code: 'TROUPE_ROUTING_WEIGHT_INVALID' }));
      expect(registry.weight('logs')).toBe(2);
    });

    it('throws TROUPE_AGENT_NOT_FOUND for an unknown agent', () => {
      const registry = createRegistry();
      expect(() => registry.setWeight('nope', 1)).toThrow(expect.objectContaining({ code: 'TROUPE_AGENT_NOT_FOUND' }));
      expect(() => registry.setStatus('nope', 'up')).toThrow(expect.objectContaining({ code: 'TROUPE_AGENT_NOT_FOUND' }));
    });

    it('accepts the same events sent straight to the store (as reflection does)', () => {
      const registry = createRegistry({ agents: [logs] });
      registry.store.send({ type: 'weightSet', id: 'logs', weight: 5 });
      expect(registry.weight('logs')).toBe(5);
    });
  });

  describe('subscribe', () => {
    it('notifies on changes only, with the new context, until unsubscribed', () => {
      const registry = createRegistry({ agents: [logs] });
      const seen: RegistryContext[] = [];
      const off = registry.subscribe((ctx) => seen.push(ctx));
      registry.setWeight('logs', 3);
      registry.setWeight('logs', 3); // no change, no notification
      registry.unregister('nope');
      registry.register(intel);
      off();
      registry.setWeight('logs', 4);
      expect(seen.map((c) => c.weights.get('logs'))).toEqual([3, 3]);
      expect(seen[1]!.agents.has('intel')).toBe(true);
    });

    it('reports a throwing listener without failing the sender or other listeners', () => {
      const onListenerError = vi.fn();
      const registry = createRegistry({ agents: [logs], onListenerError });
      const other = vi.fn();
      registry.subscribe(() => {
        throw new Error('boom');
      });
      registry.subscribe(other);
      expect(() => registry.setWeight('logs', 3)).not.toThrow();
      expect(onListenerError).toHaveBeenCalledWith(expect.objectContaining({ message: 'boom' }));
      expect(other).toHaveBeenCalledTimes(1);
    });
  });

  it('defines a plain definition on register and returns the agent', () => {
    const registry = createRegistry();
    const agent = registry.register({ id: 'plain', execute, capabilities: ['x'] });
    expect(registry.get('plain')).toBe(agent);
    expect(agent.timeoutMs).toBe(30_000);
    expect(() => registry.register({ id: 'Bad', execute })).toThrow(expect.objectContaining({ code: 'TROUPE_AGENT_DEFINITION_INVALID' }));
  });

  it('declares exactly the events its store accepts', () => {
    type Accepted = Parameters<RegistryStore['send']>[0];
    expectTypeOf<RegistryEvent>().toMatchTypeOf<Accepted>();
    expectTypeOf<Accepted>().toMatchTypeOf<RegistryEvent>();
  });

  it('keeps registries independent', () => {
    const a = createRegistry({ agents: [logs] });
    const b = createRegistry();
    expect(b.get('logs')).toBeUndefined();
    expect(() => b.register(logs)).not.toThrow();
    a.setWeight('logs', 9);
    expect(b.weight('logs')).toBe(2);
  });
});

import { createStore } from '@xstate/store';
import { TroupeError } from '../errors/index.js';
import { defineAgent } from './define-agent.js';
import type { Agent, AgentDefinition } from './types.js';

/** Whether an agent takes work, and why not when it does not. */
export type AgentStatus = { readonly state: 'up' } | { readonly state: 'down'; readonly reason: string };

/** The registry's state: every read the router makes is one map lookup on it. Never mutated. */
export interface RegistryContext {
  /** Agents by id. */
  readonly agents: ReadonlyMap<string, Agent>;
  /** Agents by capability, in registration order (precomputed). */
  readonly byCapability: ReadonlyMap<string, readonly Agent[]>;
  /** Routing weights by agent id. */
  readonly weights: ReadonlyMap<string, number>;
  /** Status by agent id. */
  readonly statuses: ReadonlyMap<string, AgentStatus>;
}

/** The events the registry store accepts (literal union, by `type`). */
export type RegistryEvent =
  | { readonly type: 'agentRegistered'; readonly agent: Agent | AgentDefinition }
  | { readonly type: 'agentUnregistered'; readonly id: string }
  | { readonly type: 'weightSet'; readonly id: string; readonly weight: number }
  | { readonly type: 'statusSet'; readonly id: string; readonly status: AgentStatus };

/** The `type`s of {@link RegistryEvent}. */
export const RegistryEventTypes = Object.freeze({
  AGENT_REGISTERED: 'agentRegistered',
  AGENT_UNREGISTERED: 'agentUnregistered',
  WEIGHT_SET: 'weightSet',
  STATUS_SET: 'statusSet',
} as const);

/** Options of {@link createRegistry}. */
export interface RegistryOptions {
  /** Agents registered at creation. @defaultValue [] */
  readonly agents?: readonly (Agent | AgentDefinition)[];
  /** Called when a subscriber throws (it is never rethrown into the sender). @defaultValue `process.emitWarning` */
  readonly onListenerError?: (error: unknown) => void;
}

const UP: AgentStatus = Object.freeze({ state: 'up' });
const NONE: readonly Agent[] = Object.freeze([]);

// Transitions validate and throw: @xstate/store computes the next snapshot before it commits
// anything, so an invalid event reaches its sender as an error and leaves the state untouched.
function createRegistryStore(initial: RegistryContext) {
  return createStore({
    context: initial,
    on: {
      agentRegistered: (ctx: RegistryContext, ev: { agent: Agent | AgentDefinition }): RegistryContext => {
        const agent = defineAgent(ev.agent); // idempotent: a defined agent is returned as is
        if (ctx.agents.has(agent.id)) {
          throw new TroupeError('TROUPE_AGENT_DUPLICATE', `agent "${agent.id}" is already registered`, { data: { agent: agent.id } });
        }
        const byCapability = new Map(ctx.byCapability);
        for (const cap of agent.capabilities) byCapability.set(cap, Object.freeze([...(byCapability.get(cap) ?? NONE), agent]));
        return {
          agents: new Map(ctx.agents).set(agent.id, agent),
          byCapability,
          weights: new Map(ctx.weights).set(agent.id, agent.weight),
          statuses: new Map(ctx.statuses).set(agent.id, UP),
        };
      },
      agentUnregistered: (ctx: RegistryContext, ev: { id: string }): RegistryContext => {
        const agent = ctx.agents.get(ev.id);
        if (agent === undefined) return ctx;
        const agents = new Map(ctx.agents);
        agents.delete(ev.id);
        const byCapability = new Map(ctx.byCapability);
        for (const cap of agent.capabilities) {
          const rest = (byCapability.get(cap) ?? NONE).filter((a) => a !== agent);
          if (rest.length === 0) byCapability.delete(cap);
          else byCapability.set(cap, Object.freeze(rest));
        }
        const weights = new Map(ctx.weights);
        weights.delete(ev.id);
        const statuses = new Map(ctx.statuses);
        statuses.delete(ev.id);
        return { agents, byCapability, weights, statuses };
      },
      weightSet: (ctx: RegistryContext, ev: { id: string; weight: number }): RegistryContext => {
        known(ctx, ev.id);
        if (typeof ev.weight !== 'number' || !Number.isFinite(ev.weight) || ev.weight < 0) {
          throw new TroupeError('TROUPE_ROUTING_WEIGHT_INVALID', `agent "${ev.id}": weight: expected a finite number >= 0, got ${String(ev.weight)}`, {
            data: { agent: ev.id, weight: ev.weight },
          });
        }
        if (ctx.weights.get(ev.id) === ev.weight) return ctx;
        return { ...ctx, weights: new Map(ctx.weights).set(ev.id, ev.weight) };
      },
      statusSet: (ctx: RegistryContext, ev: { id: string; status: AgentStatus }): RegistryContext => {
        known(ctx, ev.id);
        const s = ev.status;
        const prev = ctx.statuses.get(ev.id);
        if (s.state === 'up') return prev === UP ? ctx : { ...ctx, statuses: new Map(ctx.statuses).set(ev.id, UP) };
        if (prev !== undefined && prev.state === 'down' && prev.reason === s.reason) return ctx;
        const down: AgentStatus = Object.freeze({ state: 'down', reason: String(s.reason) });
        return { ...ctx, statuses: new Map(ctx.statuses).set(ev.id, down) };
      },
    },
  });
}

function known(ctx: RegistryContext, id: string): void {
  if (!ctx.agents.has(id)) {
    throw new TroupeError('TROUPE_AGENT_NOT_FOUND', `agent "${id}" is not registered`, { data: { agent: id } });
  }
}

/** The `@xstate/store` behind a registry: send it {@link RegistryEvent}s, inspect it, select from it. */
export type RegistryStore = ReturnType<typeof createRegistryStore>;

/** Agents by id and capability, routing weights and statuses: one source of truth, read on the hot path. */
export interface Registry {
  /** The underlying store (reflection sends it events; the inspector subscribes to it). */
  readonly store: RegistryStore;
  /**
   * Add an agent (status `up`, weight `agent.weight`); a definition is passed through `defineAgent`.
   * @returns the registered agent.
   * @throws TroupeError `TROUPE_AGENT_DUPLICATE` when its id is taken; `TROUPE_AGENT_DEFINITION_INVALID`.
   */
  register(agent: Agent | AgentDefinition): Agent;
  /** Remove an agent. @returns whether it was registered. */
  unregister(id: string): boolean;
  /**
   * Set an agent's routing weight.
   * @throws TroupeError `TROUPE_AGENT_NOT_FOUND`, `TROUPE_ROUTING_WEIGHT_INVALID`
   */
  setWeight(id: string, weight: number): void;
  /**
   * Mark an agent up, or down with a reason.
   * @throws TroupeError `TROUPE_AGENT_NOT_FOUND`
   */
  setStatus(id: string, state: 'up' | 'down', reason?: string): void;
  /** The agent registered under `id`. O(1). */
  get(id: string): Agent | undefined;
  /** Agents offering `capability`, in registration order; a shared empty array when none. O(1). */
  byCapability(capability: string): readonly Agent[];
  /** An agent's routing weight. O(1). */
  weight(id: string): number | undefined;
  /** An agent's status. O(1). */
  status(id: string): AgentStatus | undefined;
  /** Every registered agent, in registration order. */
  list(): readonly Agent[];
  /** The current state (immutable; safe to keep). */
  snapshot(): RegistryContext;
  /**
   * Be told of every change. A throwing listener is reported to `onListenerError`, never to the sender.
   * @returns the unsubscribe function.
   */
  subscribe(listener: (context: RegistryContext) => void): () => void;
}

/**
 * Create an agent registry on `@xstate/store`. Each registry is independent (no shared state).
 *
 * @param options - initial agents and the listener-error hook.
 * @returns the registry.
 * @throws TroupeError `TROUPE_AGENT_DUPLICATE` when `options.agents` repeats an id.
 * @example
 * ```ts
 * const registry = createRegistry({ agents: [triage, investigator] });
 * registry.byCapability('log-search'); // [investigator]
 * registry.setWeight('investigator', 3);
 * const off = registry.subscribe((ctx) => inspector.publish(ctx.weights));
 * ```
 */
export function createRegistry(options: RegistryOptions = {}): Registry {
  const store = createRegistryStore({ agents: new Map(), byCapability: new Map(), weights: new Map(), statuses: new Map() });
  const onListenerError = options.onListenerError ?? ((e: unknown) => process.emitWarning(e instanceof Error ? e : String(e), 'TroupeRegistryListener'));
  const ctx = (): RegistryContext => store.getSnapshot().context;
  for (const agent of options.agents ?? []) store.send({ type: 'agentRegistered', agent });
  return {
    store,
    register: (agent) => {
      store.send({ type: 'agentRegistered', agent });
      return ctx().agents.get(agent.id)!;
    },
    unregister: (id) => {
      const had = ctx().agents.has(id);
      store.send({ type: 'agentUnregistered', id });
      return had;
    },
    setWeight: (id, weight) => store.send({ type: 'weightSet', id, weight }),
    setStatus: (id, state, reason) =>
      store.send({ type: 'statusSet', id, status: state === 'up' ? UP : { state: 'down', reason: reason ?? 'unspecified' } }),
    get: (id) => ctx().agents.get(id),
    byCapability: (capability) => ctx().byCapability.get(capability) ?? NONE,
    weight: (id) => ctx().weights.get(id),
    status: (id) => ctx().statuses.get(id),
    list: () => [...ctx().agents.values()],
    snapshot: ctx,
    subscribe: (listener) => {
      const sub = store.subscribe((snap) => {
        try {
          listener(snap.context);
        } catch (e) {
          onListenerError(e);
        }
      });
      return () => sub.unsubscribe();
    },
  };
}

import { type AgentDirectory, defineAgent, agentInstanceLogic, createSlot, type InstanceSlot, createRegistry, type Registry, type Agent, type AgentDefinition, type LazyPool } from '../agents/index.js';
import type { Pools, TaskPool } from '../pool/index.js';
import { addChild, createSupervisor, removeChild, type SupervisionEvent, type SupervisorOptions, type SupervisorRef } from './supervision/index.js';

/** How the agents' supervisors behave. */
export interface AgentSupervision {
  /** Restarts of one agent's instances allowed in `withinMs` before the agent is taken out of service. */
  readonly maxRestarts: number;
  readonly withinMs: number;
  /** Backoff between restarts. */
  readonly backoff: { readonly baseMs: number; readonly maxMs: number };
}

/** Defaults: 5 restarts in 10 s per agent, backoff 10 ms doubling to 1 s. */
export const DEFAULT_AGENT_SUPERVISION: AgentSupervision = { maxRestarts: 5, withinMs: 10_000, backoff: { baseMs: 10, maxMs: 1_000 } };

/**
 * The agents side of the actor tree: the registry (who can do what), one supervisor per agent
 * over its instance actors (one-for-one), all under the `agents` supervisor. An agent whose
 * supervisor escalates is taken out of service (status `down`); its siblings never notice.
 */
export class AgentHost implements AgentDirectory {
  readonly registry: Registry;
  readonly #slots = new Map<string, InstanceSlot[]>();
  readonly #opts: AgentSupervision;
  readonly #listeners = new Set<(e: SupervisionEvent) => void>();
  /** Told when an instance frees mailbox room (the dispatcher wakes a waiting call). */
  roomListener: ((agentId: string) => void) | null = null;

  /**
   * @param supervisor - the `agents` supervisor of the actor tree; its events must be passed to
   *   `handle` (the tree is created before this host, so the host cannot subscribe itself).
   */
  constructor(
    readonly supervisor: SupervisorRef,
    readonly pools: Pools,
    options: { supervision?: AgentSupervision | undefined } = {},
  ) {
    this.#opts = options.supervision ?? DEFAULT_AGENT_SUPERVISION;
    this.registry = createRegistry();
  }

  /** Observe supervision events of the agents subtree. */
  onEvent(listener: (e: SupervisionEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Register an agent and start its instances. @throws `TROUPE_AGENT_DEFINITION_INVALID`, `TROUPE_RUNTIME_OPTIONS_INVALID` for a duplicate id */
  register(def: Agent | AgentDefinition): Agent {
    const agent = defineAgent(def);
    this.registry.register(agent);
    const slots = Array.from({ length: agent.instances }, (_, i) => createSlot(agent, i));
    const pool = agent.worker ? this.#lazyPool(agent) : null;
    for (const slot of slots) {
      slot.onRoom = (id) => this.roomListener?.(id);
      slot.pool = pool;
    }
    this.#slots.set(agent.id, slots);
    const perAgent: SupervisorOptions = {
      id: `agent:${agent.id}`,
      strategy: 'one-for-one',
      intensity: { maxRestarts: this.#opts.maxRestarts, withinMs: this.#opts.withinMs },
      backoff: this.#opts.backoff,
      children: slots.map((slot) => ({ id: `${agent.id}#${slot.index}`, logic: agentInstanceLogic, input: slot, restart: 'permanent' as const })),
      onEvent: (e) => this.handle(e),
    };
    addChild(this.supervisor, { id: `agent:${agent.id}`, logic: createSupervisor(perAgent), restart: 'temporary' });
    return agent;
  }

  /** A worker agent's pool, created (and its workers started) on the agent's first call. */
  #lazyPool(agent: Agent): LazyPool {
    let pool: TaskPool | null = null;
    const spec = agent.worker!;
    return {
      peek: () => pool,
      get: () => {
        if (pool === null) {
          pool = this.pools.get(agent.id, spec.pool, spec.module);
          // A shared pool frees room for every agent using it: wake this agent's waiters too.
          pool.onRoom(() => this.roomListener?.(agent.id));
        }
        return pool;
      },
    };
  }

  /** Stop an agent's instances and forget it. */
  unregister(id: string): boolean {
    if (!this.registry.unregister(id)) return false;
    removeChild(this.supervisor, `agent:${id}`);
    this.#slots.delete(id);
    return true;
  }

  // ---- AgentDirectory (the router's hot path: O(1) reads) ------------------------------

  agent(id: string): Agent | undefined {
    return this.registry.get(id);
  }

  withCapability(capability: string): readonly Agent[] {
    return this.registry.byCapability(capability);
  }

  slots(agentId: string): readonly InstanceSlot[] {
    return this.#slots.get(agentId) ?? [];
  }

  weight(agentId: string): number {
    return this.registry.weight(agentId) ?? 1;
  }

  isUp(agentId: string): boolean {
    return this.registry.status(agentId)?.state !== 'down';
  }

  /** A supervision event from the agents subtree: count restarts, take escalated agents out of service. */
  handle(e: SupervisionEvent): void {
    if (e.type === 'child.restarted' && e.supervisor.startsWith('agent:')) {
      const [agentId, index] = splitInstance(e.child);
      const slot = this.#slots.get(agentId)?.[index];
      if (slot) slot.restarts++;
    }
    if (e.type === 'child.failed' && e.supervisor === 'agents' && e.child.startsWith('agent:')) {
      const id = e.child.slice('agent:'.length);
      if (this.registry.get(id)) this.registry.setStatus(id, 'down', describe(e.error));
    }
    for (const l of this.#listeners) {
      try {
        l(e);
      } catch {
        // listeners must not break supervision
      }
    }
  }
}

function splitInstance(child: string): [string, number] {
  const i = child.lastIndexOf('#');
  return [child.slice(0, i), Number(child.slice(i + 1))];
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

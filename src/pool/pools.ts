import { createProcessPool } from './process-pool.js';
import { createThreadPool } from './thread-pool.js';
import type { NormalisedPoolOptions, PoolStats, TaskPool } from './types.js';

/**
 * The pools of one runtime, created lazily on first use and closed together. A pool belongs to
 * one agent, or to every agent that names the same `shared` pool.
 */
export class Pools {
  readonly #pools = new Map<string, TaskPool>();
  #closed = false;

  /**
   * The pool for an agent (created on first call).
   *
   * @param agentId - the agent; its pool is named `agent:<id>` unless `options.shared` names a shared one.
   * @param options - the agent's normalised pool options (a shared pool keeps the first agent's).
   * @param module - the agent's worker module, imported by each worker at start-up.
   */
  get(agentId: string, options: NormalisedPoolOptions, module: string): TaskPool {
    const name = options.shared !== undefined ? `shared:${options.shared}` : `agent:${agentId}`;
    const pool = this.#pools.get(name);
    if (!pool) {
      if (this.#closed) throw new Error('pools are closed');
      // A shared pool runs several agents' modules: only the first is preloaded; others load on their first task.
      const created = options.isolation === 'process' ? createProcessPool(name, options, [module]) : createThreadPool(name, options, [module]);
      this.#pools.set(name, created);
      return created;
    }
    return pool;
  }

  /** Counters of every pool created so far. */
  stats(): PoolStats[] {
    return [...this.#pools.values()].map((p) => p.stats());
  }

  /** Close every pool: queued tasks fail, running ones get `graceMs` to finish, workers stop. */
  async close(graceMs?: number): Promise<void> {
    this.#closed = true;
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    await Promise.all(pools.map((p) => p.close(graceMs)));
  }
}

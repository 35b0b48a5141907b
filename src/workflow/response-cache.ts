import type { Store } from '../store/index.js';
import { hashValue } from '../util/index.js';

/** Hits and misses of the response cache since the runtime started. */
export interface CacheStats {
  hits: number;
  misses: number;
}

/**
 * The cache of idempotent agents' responses, at the context layer: a step naming an idempotent
 * agent looks up `agent id + input hash` before calling it, and a fresh response is used as the
 * step's output (recorded in the log like any other, with 0 attempts). Backed by the store, so
 * it survives restarts with an LMDB store.
 */
export class ResponseCache {
  readonly stats: CacheStats = { hits: 0, misses: 0 };

  constructor(
    private readonly store: Store,
    private readonly now: () => number,
  ) {}

  /** The key of a call: which agent, which input. */
  key(agentId: string, input: unknown): string {
    return `${agentId}:${hashValue(input)}`;
  }

  /** A fresh cached output, counted as a hit, or `undefined` (a miss). */
  async get(key: string): Promise<{ output: unknown } | undefined> {
    const hit = await this.store.cacheGet(key);
    if (hit !== undefined && hit.expiresAt > this.now()) {
      this.stats.hits++;
      return { output: hit.output };
    }
    this.stats.misses++;
    return undefined;
  }

  /** Remember an output for `ttlMs`. A failed write only costs a repeated call later. */
  put(key: string, output: unknown, ttlMs: number): void {
    this.store.cachePut(key, { output, expiresAt: this.now() + ttlMs }).catch(() => undefined);
  }
}

/**
 * The pool area: worker agents' tasks run in bounded pools of worker threads (Piscina) or child
 * processes, with timeouts measured from task start, termination of tasks that ignore their
 * signal, recycling, heap limits and start-up failure bounds. Other areas import only this file.
 */
export type { NormalisedPoolOptions, PoolOptions, PoolStats, PoolTask, ResourceLimits, TaskPool, TaskResult, WorkerContext } from './types.js';
export { normalizePoolOptions, type PoolOptionFailure } from './options.js';
export { Pools } from './pools.js';
export { createThreadPool, STARTUP_FAILURE_LIMIT } from './thread-pool.js';
export { createProcessPool } from './process-pool.js';
export { decodePayload, encodePayload, estimateSize, DEFAULT_TRANSFER_THRESHOLD, type Payload } from './codec.js';

import type { ErrorValue } from '../errors/index.js';
import type { Duration } from '../util/index.js';

/**
 * V8 heap limits of one worker. They bound only the JS heap: ArrayBuffers and native memory are
 * not counted (nodejs/node#43992), and some huge allocations abort the whole process instead of
 * the worker (nodejs/node#65019). Use `isolation: 'process'` for code you do not trust.
 */
export interface ResourceLimits {
  readonly maxOldGenerationSizeMb?: number;
  readonly maxYoungGenerationSizeMb?: number;
  readonly codeRangeSizeMb?: number;
  readonly stackSizeMb?: number;
}

/** How a worker agent's pool runs its tasks. */
export interface PoolOptions {
  /**
   * `thread`: worker threads in this process (Piscina). `process`: a child process per worker,
   * for untrusted code — a crash or an out-of-memory abort cannot take the runtime down.
   * @defaultValue 'thread'
   */
  readonly isolation?: 'thread' | 'process';
  /** Workers kept alive when idle. @defaultValue 1 */
  readonly minThreads?: number;
  /** Workers at most; each runs one task at a time. @defaultValue the machine's available parallelism */
  readonly maxThreads?: number;
  /**
   * Tasks waiting for a worker, at most; a full queue is backpressure the router sees (never
   * unlimited). @defaultValue 16 × maxThreads
   */
  readonly maxQueue?: number;
  /** An idle worker above `minThreads` exits after this long. @defaultValue 30s */
  readonly idleTimeout?: Duration;
  /** Replace a worker after it ran this many tasks (contains leaks). @defaultValue never */
  readonly recycleAfter?: number;
  /** V8 heap limits per worker (see {@link ResourceLimits} for what they do not bound). */
  readonly resourceLimits?: ResourceLimits;
  /**
   * After a task's timeout its signal aborts; a task still running this much later has its worker
   * terminated. @defaultValue 1s
   */
  readonly terminateAfter?: Duration;
  /** Agents naming the same shared pool run in one pool (its options come from the first agent registered). */
  readonly shared?: string;
}

/** {@link PoolOptions} after defaults and checks. */
export interface NormalisedPoolOptions {
  readonly isolation: 'thread' | 'process';
  readonly minThreads: number;
  readonly maxThreads: number;
  readonly maxQueue: number;
  readonly idleTimeoutMs: number;
  /** 0 = never. */
  readonly recycleAfter: number;
  readonly resourceLimits: ResourceLimits | undefined;
  readonly terminateAfterMs: number;
  readonly shared: string | undefined;
}

/** What a worker module's `execute` receives beside its input. Only its own step: no runtime, no other run. */
export interface WorkerContext {
  /** Aborted at the deadline (measured from when the task started running) or when the step is cancelled. */
  readonly signal: AbortSignal;
  /** When the task must be done (epoch ms). */
  readonly deadline: number;
  /**
   * Throw the abort reason if the task should stop. A synchronous CPU loop cannot see its signal
   * abort (the worker's timers do not run while it computes): call this every few thousand iterations.
   */
  throwIfAborted(): void;
  readonly attempt: number;
  readonly runId: string;
  readonly stepId: string;
  readonly idempotencyKey: string;
  /** In a self-correction loop: why the previous output was rejected. */
  readonly feedback?: unknown;
}

/** One task for a pool: which module to run, on what, for how long. */
export interface PoolTask {
  /** The worker module (a `file:` URL). */
  readonly module: string;
  /** Its export to call. */
  readonly exportName: string;
  readonly input: unknown;
  /** Measured from when the task starts running, not from when it was queued. */
  readonly timeoutMs: number;
  /** Cancels the task: a queued task is dropped, a running one is asked to stop, then terminated. */
  readonly signal: AbortSignal | undefined;
  readonly runId: string;
  readonly stepId: string;
  readonly idempotencyKey: string;
  readonly attempt: number;
  readonly feedback: unknown;
  /** Names the task in errors (e.g. `agent log-scan on step logs of run r1`). */
  readonly describe: () => string;
}

/** How a task ended. `requeue`: it never started (the queue was full or the pool closing); route it again. */
export type TaskResult =
  | { readonly ok: true; readonly output: unknown }
  | { readonly ok: false; readonly error: ErrorValue; readonly requeue?: boolean };

/** Counters of one pool, for status, metrics and tests. */
export interface PoolStats {
  readonly name: string;
  readonly isolation: 'thread' | 'process';
  /** Live workers. */
  readonly workers: number;
  /** Tasks running now. */
  readonly running: number;
  /** Tasks waiting for a worker. */
  readonly queued: number;
  /** The most tasks ever waiting at once (never above `maxQueue`). */
  readonly peakQueued: number;
  readonly maxQueue: number;
  readonly maxThreads: number;
  readonly completed: number;
  readonly failed: number;
  readonly timeouts: number;
  /** Workers terminated because a task ignored its deadline or was cancelled. */
  readonly terminated: number;
  /** Workers replaced after `recycleAfter` tasks. */
  readonly recycled: number;
  /** Workers that died before they were ready. */
  readonly startupFailures: number;
  /** True once the pool gave up after repeated start-up failures. */
  readonly failedPermanently: boolean;
}

/**
 * The port every pool adapter implements (`ThreadPool` on Piscina, `ProcessPool` on child
 * processes): a bounded queue in front of a bounded set of workers.
 */
export interface TaskPool {
  readonly name: string;
  /** Run a task; `done` is called exactly once, never synchronously. A full queue answers `requeue`. */
  run(task: PoolTask, done: (result: TaskResult) => void): void;
  /** Whether a task submitted now would be queued rather than refused. */
  hasRoom(): boolean;
  /** Called whenever a task finishes and frees room. Returns an unsubscribe function. */
  onRoom(listener: () => void): () => void;
  stats(): PoolStats;
  /** Fail queued tasks with `TROUPE_RUNTIME_STOPPED`, let running ones end (or terminate them after `graceMs`), stop every worker. */
  close(graceMs?: number): Promise<void>;
}

/** The message a pool sends to a worker for one task (thread and process adapters alike). */
export interface TaskMessage {
  readonly module: string;
  readonly exportName: string;
  readonly payload: import('./codec.js').Payload;
  readonly timeoutMs: number;
  /** Index of the task's cell in the pool's shared start/abort table (threads), or -1. */
  readonly slot: number;
  readonly runId: string;
  readonly stepId: string;
  readonly idempotencyKey: string;
  readonly attempt: number;
  readonly feedback: unknown;
}

/** A worker's answer to a {@link TaskMessage}. */
export type TaskReply =
  | { readonly ok: true; readonly payload: import('./codec.js').Payload }
  | { readonly ok: false; readonly error: ErrorValue };

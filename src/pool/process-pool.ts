import type { ErrorValue } from '../errors/index.js';
import { decodePayload, encodePayload, INPUT_ENCODING } from './codec.js';
import { workerFailure } from './failures.js';
import { PoolCore, type Executor, type Job } from './pool-core.js';
import type { AbortCode, ChildMessage } from './process-entry.js';
import { STARTUP_FAILURE_LIMIT } from './thread-pool.js';
import type { NormalisedPoolOptions, PoolStats, TaskMessage, TaskPool, TaskResult } from './types.js';
import { spawnSpec, WorkerProcess, type SpawnSpec } from './worker-process.js';

/** A job's bookkeeping in a process pool. */
interface ProcessJob {
  readonly id: number;
  readonly msg: TaskMessage;
  child: WorkerProcess | null;
  /** `Date.now()` when the task went to its child, and when the child reported it started; -1 until then. */
  sentAt: number;
  startedAt: number;
  /** An abort requested before the task reached its child (sent right after it). */
  abort: AbortCode | 0;
}

/**
 * Create a pool of child processes behind troupe's bounded queue: the same interface, typed errors
 * and deadlines as the thread pool, for code you do not trust. Each child runs one task at a time
 * with its own heap; a task that exhausts it (`resourceLimits`: `TROUPE_AGENT_OUT_OF_MEMORY`),
 * aborts, or calls `process.exit()` (`TROUPE_WORKER_EXITED`) kills only its child, which the pool
 * replaces. Workers that keep failing to start fail the pool with `TROUPE_POOL_WORKER_FAILED`.
 *
 * What a child gets: each task's input and nothing else of the runtime, and the parent's
 * environment (`process.env`: agents may need their configuration — so give the runtime only the
 * variables its agents may see). `resourceLimits` become V8 flags (see `heapFlags`): keep
 * `stackSizeMb` below the OS stack limit (`ulimit -s`, usually 8 MiB), beyond it the child
 * segfaults; `codeRangeSizeMb` is ignored. They bound the V8 heap only, not ArrayBuffers
 * (nodejs/node#43992), but whatever a child allocates, only that child dies. Cancellation reaches
 * a task when it yields (its signal, `throwIfAborted`); a synchronous loop that never calls
 * `throwIfAborted` is killed at the hard deadline (`terminateAfter`). A child exits when its
 * parent goes away (the IPC channel closes), once its task yields.
 *
 * @param name - names the pool in errors and stats.
 * @param options - normalised pool options (`maxThreads` children at most, `minThreads` started at once and kept).
 * @param preload - modules every child imports before it is ready (one that throws fails start-up).
 * @returns the pool; `close()` kills every child and waits for it to exit.
 * @example
 * const pool = createProcessPool('agent:scan', normalizePoolOptions({ isolation: 'process' }, fail), [moduleUrl]);
 * pool.run(task, (result) => console.log(result));
 */
export function createProcessPool(name: string, options: NormalisedPoolOptions, preload: readonly string[]): TaskPool {
  const executor = new ProcessExecutor(name, options, spawnSpec(name, options.resourceLimits, preload));
  const core = new PoolCore(name, options, executor);
  executor.core = core;
  executor.warm();
  return core;
}

/** Runs jobs in child processes; learns when each starts, and its answer, over IPC. */
class ProcessExecutor implements Executor {
  core!: PoolCore;
  readonly capacity: number;
  readonly #children = new Set<WorkerProcess>();
  readonly #events = { message: (c: WorkerProcess, m: ChildMessage) => this.#onMessage(c, m), exit: (c: WorkerProcess, death: Error) => this.#onExit(c, death) };
  #nextId = 1;
  #recycled = 0;
  #startupFailures = 0;
  #consecutiveFailures = 0;
  #failure: ErrorValue | null = null;
  #closed = false;

  constructor(
    readonly name: string,
    readonly options: NormalisedPoolOptions,
    readonly spec: SpawnSpec,
  ) {
    this.capacity = options.maxThreads;
  }

  /** Start `minThreads` children ahead of the first task. */
  warm(): void {
    while (this.#live() < this.options.minThreads) this.#spawn();
  }

  start(job: Job): void {
    job.started = true;
    const t = job.task;
    if (this.#failure) return this.#later(job, { ok: false, error: this.#failure });
    let encoded;
    try {
      encoded = encodePayload(t.input, INPUT_ENCODING);
    } catch (e) {
      return this.#later(job, { ok: false, error: { code: 'TROUPE_AGENT_INPUT_INVALID', message: `input of ${t.describe()} cannot be sent to a worker: ${messageOf(e)}` } });
    }
    const msg: TaskMessage = {
      module: t.module,
      exportName: t.exportName,
      payload: encoded.payload,
      timeoutMs: t.timeoutMs,
      slot: -1,
      runId: t.runId,
      stepId: t.stepId,
      idempotencyKey: t.idempotencyKey,
      attempt: t.attempt,
      feedback: t.feedback,
    };
    job.handle = { id: this.#nextId++, msg, child: null, sentAt: -1, startedAt: -1, abort: 0 } satisfies ProcessJob;
    this.#assign(job);
  }

  /**
   * From the child's `started` report. A child that never reports (a module stuck loading, or code
   * that tampered with the channel) is timed from when the task was sent once that alone exceeds
   * the hard deadline, so no task escapes it.
   */
  runningFor(job: Job, now: number): number {
    const h = job.handle as ProcessJob | undefined;
    if (!h) return -1;
    if (h.startedAt >= 0) return now - h.startedAt;
    if (h.sentAt >= 0 && now - h.sentAt >= job.task.timeoutMs + this.options.terminateAfterMs) return now - h.sentAt;
    return -1;
  }

  requestStop(job: Job, code: AbortCode): void {
    const h = job.handle as ProcessJob | undefined;
    if (!h) return;
    h.abort = code;
    if (h.sentAt >= 0 && h.child) void h.child.send({ t: 'abort', id: h.id, code });
  }

  kill(job: Job): void {
    const h = job.handle as ProcessJob | undefined;
    // Its death settles the job (the core reports the reason it was killed for).
    if (h?.child) h.child.stop('SIGKILL');
    else this.#later(job, { ok: false, error: { code: 'TROUPE_RUNTIME_STOPPED', message: `pool ${this.name}: task stopped` } });
  }

  stats(): Pick<PoolStats, 'workers' | 'recycled' | 'startupFailures' | 'failedPermanently'> {
    return { workers: this.#live(), recycled: this.#recycled, startupFailures: this.#startupFailures, failedPermanently: this.#failure !== null };
  }

  /** Kill every child (the core gave running tasks their grace already) and wait until each has exited. */
  async close(): Promise<void> {
    this.#closed = true;
    const children = [...this.#children];
    for (const c of children) c.stop('SIGKILL');
    await Promise.all(children.map((c) => c.exited));
  }

  /** Give `job` to an idle ready child, else a starting one with no job, else a new child. */
  #assign(job: Job): void {
    const h = job.handle as ProcessJob;
    let child: WorkerProcess | undefined;
    for (const c of this.#children) {
      if (c.job !== null || c.state === 'stopping') continue;
      if (c.state === 'ready') {
        child = c;
        break;
      }
      child ??= c;
    }
    child ??= this.#spawn();
    clearTimeout(child.idleTimer);
    child.job = job;
    h.child = child;
    child.ref(true);
    if (child.state === 'ready') this.#dispatch(child, job);
  }

  #dispatch(child: WorkerProcess, job: Job): void {
    const h = job.handle as ProcessJob;
    const unsendable = child.send({ t: 'task', id: h.id, msg: h.msg });
    if (unsendable !== undefined) {
      child.job = null;
      h.child = null;
      this.#idle(child);
      return this.#later(job, { ok: false, error: { code: 'TROUPE_AGENT_INPUT_INVALID', message: `input of ${job.task.describe()} cannot be sent to a worker process: ${messageOf(unsendable)}` } });
    }
    h.sentAt = Date.now();
    if (h.abort !== 0) void child.send({ t: 'abort', id: h.id, code: h.abort });
  }

  #spawn(): WorkerProcess {
    const child = new WorkerProcess(this.spec, this.#events);
    this.#children.add(child);
    return child;
  }

  #onMessage(child: WorkerProcess, m: ChildMessage): void {
    const h = child.job?.handle as ProcessJob | undefined;
    // The child may run untrusted code: anything it sends is checked, unknown messages ignored.
    switch (m?.t) {
      case 'ready':
        if (child.state !== 'starting') return;
        child.markReady();
        this.#consecutiveFailures = 0;
        if (child.job) this.#dispatch(child, child.job);
        else this.#idle(child);
        return;
      case 'startup-failed':
        child.startupError = { code: String(m.error?.code), message: String(m.error?.message) };
        return;
      case 'started':
        if (h && h.id === m.id && h.startedAt < 0) h.startedAt = Date.now();
        return;
      case 'reply': {
        const job = child.job;
        if (!job || !h || h.id !== m.id) return;
        child.job = null;
        child.tasks++;
        h.child = null;
        if (this.options.recycleAfter > 0 && child.tasks >= this.options.recycleAfter) {
          this.#recycled++;
          child.stop('SIGTERM');
        } else this.#idle(child);
        // Bookkeeping first: settling pumps the queue, which may hand the next job to this child.
        this.core.settle(job, this.#result(job, m.reply));
        return;
      }
    }
  }

  #result(job: Job, reply: unknown): TaskResult {
    const r = reply as { ok?: unknown; payload?: unknown; error?: { code?: unknown; message?: unknown; data?: unknown } } | null;
    if (r?.ok === true) {
      try {
        return { ok: true, output: decodePayload(r.payload as never) };
      } catch (e) {
        return { ok: false, error: { code: 'TROUPE_AGENT_OUTPUT_INVALID', message: `output of ${job.task.describe()} could not be decoded: ${messageOf(e)}` } };
      }
    }
    const e = r?.error;
    if (typeof e?.code === 'string' && typeof e.message === 'string') {
      return { ok: false, error: e.data === undefined ? { code: e.code, message: e.message } : { code: e.code, message: e.message, data: e.data } };
    }
    return { ok: false, error: { code: 'TROUPE_AGENT_FAILED', message: `${job.task.describe()}: its worker process sent a malformed answer` } };
  }

  #onExit(child: WorkerProcess, death: Error): void {
    this.#children.delete(child);
    const job = child.job;
    child.job = null;
    const startup = child.state === 'starting' && !child.stopped;
    child.state = 'stopping';
    if (job) (job.handle as ProcessJob).child = null;
    if (startup) return this.#startupFailure(child, job, death);
    if (job && !job.settled) this.core.settle(job, { ok: false, error: workerFailure(death, job.task.describe()) });
  }

  /** A child died before it was ready: its job goes back to the queue, until too many fail in a row. */
  #startupFailure(child: WorkerProcess, job: Job | null, death: Error): void {
    this.#startupFailures++;
    this.#consecutiveFailures++;
    if (this.#consecutiveFailures >= STARTUP_FAILURE_LIMIT && !this.#failure && !this.#closed) {
      this.#failure = {
        code: 'TROUPE_POOL_WORKER_FAILED',
        message: `pool ${this.name}: ${this.#consecutiveFailures} worker processes in a row failed to start; last error: ${child.startupError?.message ?? death.message}`,
        data: { pool: this.name, failures: this.#consecutiveFailures },
      };
      // Children still starting would fail the same way. Queued jobs fail as they reach start();
      // tasks running in healthy children finish. (Not core.failAll: it fails those too.)
      const waiting: Job[] = [];
      for (const c of this.#children) {
        if (c.state !== 'starting') continue;
        if (c.job) waiting.push(c.job);
        c.job = null;
        c.stop('SIGKILL');
      }
      for (const j of waiting) this.core.settle(j, { ok: false, error: this.#failure });
    }
    if (!job || job.settled) return;
    if (this.#failure) return this.core.settle(job, { ok: false, error: this.#failure });
    // Not the task's fault: back to the head of the queue, and a new child is started for it.
    this.core.retry(job);
  }

  /** A child with no job: unref it (an idle pool does not keep the process alive) and, above `minThreads`, time it out. */
  #idle(child: WorkerProcess): void {
    child.ref(false);
    clearTimeout(child.idleTimer);
    if (this.#live() <= this.options.minThreads) return;
    child.idleTimer = setTimeout(() => {
      if (child.job === null && child.state === 'ready' && this.#live() > this.options.minThreads) child.stop('SIGTERM');
    }, this.options.idleTimeoutMs);
    child.idleTimer.unref();
  }

  /** Children that take or run tasks (not those exiting). */
  #live(): number {
    let n = 0;
    for (const c of this.#children) if (c.state !== 'stopping') n++;
    return n;
  }

  /** Report a result from `start` (a pool's `done` is never called synchronously). */
  #later(job: Job, result: TaskResult): void {
    queueMicrotask(() => this.core.settle(job, result));
  }
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

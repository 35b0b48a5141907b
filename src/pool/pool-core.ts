import { abortReasonValue, type ErrorValue } from '../errors/index.js';
import { onAbort } from '../util/index.js';
import { ABORT_CANCEL, ABORT_TIMEOUT } from './slots.js';
import type { NormalisedPoolOptions, PoolStats, PoolTask, TaskPool, TaskResult } from './types.js';

/** Why the pool stopped a task before it answered. */
export type StopReason = 'timeout' | 'cancel' | 'close';

/** One task inside a pool, from submission to its answer. */
export interface Job {
  readonly task: PoolTask;
  readonly done: (result: TaskResult) => void;
  /** Set by the executor when it hands the task to a worker. */
  started: boolean;
  settled: boolean;
  /** Set when the pool killed the worker running it (so its error is reported as this reason). */
  killed: StopReason | null;
  timer: ReturnType<typeof setTimeout> | undefined;
  /** Unregisters the job from its signal's abort fan-out. */
  unwatch: (() => void) | null;
  /** The executor's own bookkeeping (slot, worker, ...). */
  handle: unknown;
}

/**
 * What an adapter (threads on Piscina, child processes) provides: start a task on a worker, tell
 * when it started running, ask it to stop, kill its worker. It reports each answer with
 * `PoolCore.settle`.
 */
export interface Executor {
  /** Tasks that may run at once (workers at most). */
  readonly capacity: number;
  /** Start `job` on a worker now (the core guarantees fewer than `capacity` are running). */
  start(job: Job): void;
  /** Milliseconds `job` has been running in its worker, or -1 while it waits to start (a worker is starting). */
  runningFor(job: Job, now: number): number;
  /** Ask the task to stop (its signal aborts / `throwIfAborted` throws). */
  requestStop(job: Job, code: typeof ABORT_TIMEOUT | typeof ABORT_CANCEL): void;
  /** Terminate the worker running `job`; the executor then settles the job (with any error: the core reports `job.killed`). */
  kill(job: Job): void;
  /** Adapter counters merged into the pool's stats. */
  stats(): Pick<PoolStats, 'workers' | 'recycled' | 'startupFailures' | 'failedPermanently'>;
  /** Stop every worker (running tasks have been settled or killed). */
  close(): Promise<void>;
}

/**
 * The adapter-independent half of a pool: a bounded FIFO queue in front of `capacity` workers,
 * deadlines measured from when a task starts running, cancellation, and room notifications.
 */
export class PoolCore implements TaskPool {
  readonly #queue: Job[] = [];
  #head = 0;
  #running = 0;
  #closed = false;
  readonly #roomListeners = new Set<() => void>();
  readonly #running_ = new Set<Job>();
  #completed = 0;
  #failed = 0;
  #timeouts = 0;
  #terminated = 0;
  #peakQueued = 0;
  /** While closing: called when the last running task ends. */
  #onIdle: (() => void) | null = null;

  constructor(
    readonly name: string,
    readonly options: NormalisedPoolOptions,
    readonly executor: Executor,
  ) {}

  run(task: PoolTask, done: (result: TaskResult) => void): void {
    const job: Job = { task, done, started: false, settled: false, killed: null, timer: undefined, unwatch: null, handle: undefined };
    if (this.#closed) return later(done, { ok: false, error: stoppedError(this.name) });
    if (task.signal?.aborted) return later(done, { ok: false, error: abortValue(task) });
    const waiting = this.#queue.length - this.#head;
    if (waiting === 0 && this.#running < this.executor.capacity) {
      this.#watchAbort(job);
      this.#start(job);
      return;
    }
    if (waiting >= this.options.maxQueue) {
      return later(done, {
        ok: false,
        requeue: true,
        error: { code: 'TROUPE_MAILBOX_FULL', message: `pool ${this.name}: queue full (${this.options.maxQueue} waiting)` },
      });
    }
    this.#watchAbort(job);
    this.#queue.push(job);
    if (waiting + 1 > this.#peakQueued) this.#peakQueued = waiting + 1;
  }

  hasRoom(): boolean {
    return !this.#closed && this.#queue.length - this.#head + this.#running < this.options.maxQueue + this.executor.capacity;
  }

  onRoom(listener: () => void): () => void {
    this.#roomListeners.add(listener);
    return () => this.#roomListeners.delete(listener);
  }

  stats(): PoolStats {
    return {
      name: this.name,
      isolation: this.options.isolation,
      running: this.#running,
      queued: this.#queue.length - this.#head,
      peakQueued: this.#peakQueued,
      maxQueue: this.options.maxQueue,
      maxThreads: this.executor.capacity,
      completed: this.#completed,
      failed: this.#failed,
      timeouts: this.#timeouts,
      terminated: this.#terminated,
      ...this.executor.stats(),
    };
  }

  async close(graceMs = this.options.terminateAfterMs): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const job of this.#takeQueue()) this.#finish(job, { ok: false, error: stoppedError(this.name) }, false);
    if (this.#running_.size > 0) {
      for (const job of this.#running_) this.executor.requestStop(job, ABORT_CANCEL);
      // Running tasks get the grace to end; past it their workers are killed.
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          this.#onIdle = null;
          for (const job of [...this.#running_]) this.#kill(job, 'close');
          resolve();
        }, graceMs);
        this.#onIdle = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
    await this.executor.close();
  }

  /**
   * The executor's report: `job` answered (or its worker died). A job the pool killed is reported
   * with the reason it was killed for, whatever error the worker's death produced.
   */
  settle(job: Job, result: TaskResult): void {
    if (job.settled) return;
    if (!result.ok && job.killed !== null) result = { ok: false, error: this.#killedError(job) };
    this.#finish(job, result, true);
  }

  /** Put a job that never started back at the head of the queue (its worker failed to start). */
  retry(job: Job): void {
    if (job.settled) return;
    clearTimeout(job.timer);
    job.started = false;
    this.#running--;
    this.#running_.delete(job);
    if (this.#closed) return this.#finish(job, { ok: false, error: stoppedError(this.name) }, false);
    if (this.#head > 0) this.#queue[--this.#head] = job;
    else this.#queue.unshift(job);
    this.#pump();
  }

  /** Fail every job, queued or running, with `error` (the executor gave up). */
  failAll(error: ErrorValue): void {
    for (const job of this.#takeQueue()) this.#finish(job, { ok: false, error }, false);
    for (const job of [...this.#running_]) this.#finish(job, { ok: false, error }, true);
  }

  /** Empty the queue, returning the jobs that were waiting. */
  #takeQueue(): Job[] {
    const jobs = this.#queue.slice(this.#head);
    this.#queue.length = 0;
    this.#head = 0;
    return jobs;
  }

  #start(job: Job): void {
    this.#running++;
    this.#running_.add(job);
    const limit = job.task.timeoutMs + this.options.terminateAfterMs;
    job.timer = setTimeout(() => this.#checkDeadline(job), Math.min(limit, 2 ** 31 - 1));
    this.executor.start(job);
  }

  /** The hard deadline: a task still running `terminateAfter` past its timeout has its worker killed. */
  #checkDeadline(job: Job): void {
    if (job.settled) return;
    const limit = job.task.timeoutMs + this.options.terminateAfterMs;
    const ran = this.executor.runningFor(job, Date.now());
    if (ran < 0) {
      // Not started yet (its worker is starting): time spent waiting does not count.
      job.timer = setTimeout(() => this.#checkDeadline(job), Math.min(limit, 2 ** 31 - 1));
      return;
    }
    if (ran >= job.task.timeoutMs) this.executor.requestStop(job, ABORT_TIMEOUT);
    if (ran >= limit) return this.#kill(job, 'timeout');
    job.timer = setTimeout(() => this.#checkDeadline(job), Math.max(1, Math.min(limit - ran, 2 ** 31 - 1)));
  }

  /** A cancelled task still running `terminateAfter` later loses its worker; one still waiting for its worker to start will not begin. */
  #killCancelled(job: Job): void {
    if (job.settled) return;
    if (this.executor.runningFor(job, Date.now()) < 0) {
      job.timer = setTimeout(() => this.#killCancelled(job), this.options.terminateAfterMs);
      return;
    }
    this.#kill(job, 'cancel');
  }

  #kill(job: Job, why: StopReason): void {
    if (job.settled || job.killed !== null) return;
    job.killed = why;
    this.#terminated++;
    this.executor.kill(job);
  }

  #watchAbort(job: Job): void {
    const signal = job.task.signal;
    if (!signal) return;
    job.unwatch = onAbort(signal, () => {
      if (job.settled) return;
      if (!job.started && !this.#running_.has(job)) {
        // Still queued: drop it.
        const i = this.#queue.indexOf(job, this.#head);
        if (i >= 0) this.#queue.splice(i, 1);
        this.#finish(job, { ok: false, error: abortValue(job.task) }, false);
        return;
      }
      this.executor.requestStop(job, ABORT_CANCEL);
      clearTimeout(job.timer);
      job.timer = setTimeout(() => this.#killCancelled(job), this.options.terminateAfterMs);
    });
  }

  #finish(job: Job, result: TaskResult, wasRunning: boolean): void {
    if (job.settled) return;
    job.settled = true;
    clearTimeout(job.timer);
    job.unwatch?.();
    if (wasRunning && this.#running_.delete(job)) this.#running--;
    if (this.#onIdle !== null && this.#running_.size === 0) {
      const idle = this.#onIdle;
      this.#onIdle = null;
      idle();
    }
    if (result.ok) this.#completed++;
    else {
      this.#failed++;
      if (result.error.code === 'TROUPE_AGENT_TIMEOUT') this.#timeouts++;
    }
    try {
      job.done(result);
    } finally {
      this.#pump();
      for (const l of this.#roomListeners) {
        try {
          l();
        } catch {
          // a listener must not break the pool
        }
      }
    }
  }

  #pump(): void {
    while (!this.#closed && this.#running < this.executor.capacity && this.#head < this.#queue.length) {
      const job = this.#queue[this.#head]!;
      this.#queue[this.#head++] = undefined as unknown as Job;
      if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
        this.#queue.splice(0, this.#head);
        this.#head = 0;
      }
      if (job.settled) continue;
      this.#start(job);
    }
  }

  #killedError(job: Job): ErrorValue {
    const t = job.task;
    if (job.killed === 'timeout') {
      return {
        code: 'TROUPE_AGENT_TIMEOUT',
        message: `${describe(t)} timed out after ${t.timeoutMs}ms and ignored its signal for ${this.options.terminateAfterMs}ms more: its worker was terminated`,
        data: { timeoutMs: t.timeoutMs, terminated: true },
      };
    }
    if (job.killed === 'cancel') return abortValue(t);
    return stoppedError(this.name);
  }
}

function later(done: (r: TaskResult) => void, result: TaskResult): void {
  queueMicrotask(() => done(result));
}

function stoppedError(name: string): ErrorValue {
  return { code: 'TROUPE_RUNTIME_STOPPED', message: `pool ${name} is closed` };
}

function abortValue(task: PoolTask): ErrorValue {
  return abortReasonValue(task.signal?.reason, { code: 'TROUPE_RUN_CANCELLED', message: `${describe(task)} was cancelled` });
}

function describe(task: PoolTask): string {
  try {
    return task.describe();
  } catch {
    return `step ${task.stepId} of run ${task.runId}`;
  }
}

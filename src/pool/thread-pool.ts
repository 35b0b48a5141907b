import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import type { ErrorValue } from '../errors/index.js';
import { decodePayload, encodePayload, INPUT_ENCODING } from './codec.js';
import { workerFailure } from './failures.js';
import { PoolCore, type Executor, type Job } from './pool-core.js';
import { SlotTable } from './slots.js';
import type { NormalisedPoolOptions, PoolStats, TaskMessage, TaskPool, TaskReply } from './types.js';
import type { ReadyMessage, ThreadWorkerData } from './worker-entry.js';

/** Consecutive workers that die before they are ready, after which the pool gives up. */
export const STARTUP_FAILURE_LIMIT = 3;

/** What Piscina's load balancer sees of a worker (its getters are live). */
interface BalancedWorker {
  readonly id: number;
  readonly currentUsage: number;
  readonly terminating: boolean;
  readonly destroyed: boolean;
}

interface ThreadJob {
  slot: number;
  gen: Generation;
  /** When it was handed to Piscina. */
  sentAt: number;
}

/**
 * A task that has not started this long after it was sent (beyond its own timeout) is treated as
 * running since it was sent: a worker module that hangs while it loads is timed out too.
 */
const START_ALLOWANCE_MS = 30_000;

/** One Piscina instance. A start-up failure retires it (Piscina then stops replacing workers) for a fresh one. */
interface Generation {
  readonly piscina: Piscina;
  jobs: number;
  retired: boolean;
  ready: boolean;
}

/**
 * Create a pool of worker threads (Piscina) behind troupe's bounded queue.
 *
 * @param name - names the pool in errors and stats.
 * @param options - normalised pool options.
 * @param preload - modules every worker imports before it is ready (one that throws fails start-up).
 */
export function createThreadPool(name: string, options: NormalisedPoolOptions, preload: readonly string[]): TaskPool {
  const executor = new ThreadExecutor(name, options, preload);
  const core = new PoolCore(name, options, executor);
  executor.core = core;
  return core;
}

/** Runs jobs on Piscina worker threads; measures their start through the shared slot table. */
class ThreadExecutor implements Executor {
  core!: PoolCore;
  readonly capacity: number;
  readonly #table: SlotTable;
  readonly #entry: { filename: string; execArgv: string[] };
  #gen: Generation | null = null;
  /** Workers that reached `recycleAfter`: given no new task, terminated once idle. */
  readonly #retiring = new Map<number, BalancedWorker>();
  readonly #assigned = new Map<number, number>();
  #recycled = 0;
  #startupFailures = 0;
  #consecutiveFailures = 0;
  /** Set once the pool gave up after repeated start-up failures: every task gets it. */
  #failedError: ErrorValue | null = null;

  constructor(
    readonly name: string,
    readonly options: NormalisedPoolOptions,
    readonly preload: readonly string[],
  ) {
    this.capacity = options.maxThreads;
    this.#table = SlotTable.create(options.maxThreads);
    this.#entry = workerEntry();
  }

  start(job: Job): void {
    if (this.#failedError) {
      const error = this.#failedError;
      queueMicrotask(() => this.core.settle(job, { ok: false, error }));
      return;
    }
    const gen = this.#generation();
    const slot = this.#table.acquire();
    const h: ThreadJob = { slot, gen, sentAt: Date.now() };
    job.handle = h;
    job.started = true;
    gen.jobs++;
    const t = job.task;
    let encoded;
    try {
      encoded = encodePayload(t.input, INPUT_ENCODING);
    } catch (e) {
      const error = { code: 'TROUPE_AGENT_INPUT_INVALID', message: `input of ${t.describe()} cannot be sent to a worker: ${e instanceof Error ? e.message : String(e)}` };
      queueMicrotask(() => this.#end(job, { ok: false, error }));
      return;
    }
    const msg: TaskMessage = {
      module: t.module,
      exportName: t.exportName,
      payload: encoded.payload,
      timeoutMs: t.timeoutMs,
      slot,
      runId: t.runId,
      stepId: t.stepId,
      idempotencyKey: t.idempotencyKey,
      attempt: t.attempt,
      feedback: t.feedback,
    };
    // No AbortSignal per task (an AbortController and Piscina's listener cost ~10% of a no-op
    // task): a task is stopped through the slot table, and killed by terminating its thread.
    gen.piscina.run(msg, encoded.transfer.length > 0 ? { transferList: encoded.transfer } : undefined).then(
      (reply: TaskReply) => this.#onReply(job, reply),
      (err: unknown) => this.#onError(job, err),
    );
  }

  runningFor(job: Job, now: number): number {
    const h = job.handle as ThreadJob;
    if (this.#table.started(h.slot)) return this.#table.runningFor(h.slot, now);
    const waited = now - h.sentAt;
    return waited > job.task.timeoutMs + this.options.terminateAfterMs + START_ALLOWANCE_MS ? waited : -1;
  }

  requestStop(job: Job, code: 1 | 2): void {
    const h = job.handle as ThreadJob | undefined;
    if (h) this.#table.requestAbort(h.slot, code);
  }

  kill(job: Job): void {
    // The slot table says which thread runs the task; Piscina sees it exit, fails the task (the
    // core reports why it was killed) and starts a replacement.
    const h = job.handle as ThreadJob;
    const threadId = this.#table.threadOf(h.slot);
    const worker = threadId === 0 ? undefined : h.gen.piscina.threads.find((w) => w.threadId === threadId);
    if (worker) void worker.terminate();
    // Not started (the pool is closing): settle it now; Piscina drops the task when destroyed.
    else queueMicrotask(() => this.core.settle(job, { ok: false, error: { code: 'TROUPE_RUNTIME_STOPPED', message: `${job.task.describe()} was stopped before it started` } }));
  }

  stats(): Pick<PoolStats, 'workers' | 'recycled' | 'startupFailures' | 'failedPermanently'> {
    return { workers: this.#gen?.piscina.threads.length ?? 0, recycled: this.#recycled, startupFailures: this.#startupFailures, failedPermanently: this.#failedError !== null };
  }

  async close(): Promise<void> {
    const gen = this.#gen;
    this.#gen = null;
    if (gen) await gen.piscina.destroy();
  }

  #onReply(job: Job, reply: TaskReply): void {
    if (job.settled) return;
    this.#consecutiveFailures = 0;
    if (reply.ok) {
      let output: unknown;
      try {
        output = decodePayload(reply.payload);
      } catch (e) {
        return this.#end(job, { ok: false, error: { code: 'TROUPE_AGENT_OUTPUT_INVALID', message: `output of ${job.task.describe()} could not be decoded: ${e instanceof Error ? e.message : String(e)}` } });
      }
      return this.#end(job, { ok: true, output });
    }
    this.#end(job, { ok: false, error: reply.error });
  }

  #onError(job: Job, err: unknown): void {
    if (job.settled) return;
    const h = job.handle as ThreadJob;
    if (job.killed === null && !this.#table.started(h.slot)) {
      // The worker died (or its module failed to load) before it started this task: a start-up failure, not the task's.
      this.#release(job);
      this.#startupFailure(h.gen, err);
      if (this.#failedError === null) this.core.retry(job);
      return;
    }
    if (job.killed === null && this.#table.answered(h.slot)) {
      // The task answered, but its answer could not be posted (Piscina crashes the worker then).
      const reason = err instanceof Error ? err.message : String(err);
      return this.#end(job, {
        ok: false,
        error: { code: 'TROUPE_AGENT_OUTPUT_INVALID', message: `${job.task.describe()}: its output cannot cross the worker boundary (${reason}); return plain JSON data`, data: { reason } },
      });
    }
    this.#end(job, { ok: false, error: workerFailure(err, job.task.describe()) });
  }

  #end(job: Job, result: Parameters<PoolCore['settle']>[1]): void {
    this.#release(job);
    this.core.settle(job, result);
    this.#recycleIdle();
  }

  #release(job: Job): void {
    const h = job.handle as ThreadJob;
    this.#table.release(h.slot);
    h.gen.jobs--;
    job.handle = undefined;
    if (h.gen.retired && h.gen.jobs === 0) void h.gen.piscina.destroy().catch(() => undefined);
  }

  #generation(): Generation {
    if (this.#gen && !this.#gen.retired) return this.#gen;
    const data: ThreadWorkerData = { slots: this.#table.buffer, epoch: this.#table.epoch, preload: this.preload };
    const o = this.options;
    const piscina = new Piscina({
      filename: this.#entry.filename,
      execArgv: this.#entry.execArgv,
      minThreads: o.minThreads,
      maxThreads: o.maxThreads,
      // troupe queues in front; Piscina only holds tasks while a worker starts.
      maxQueue: o.maxThreads,
      idleTimeout: o.idleTimeoutMs,
      concurrentTasksPerWorker: 1,
      recordTiming: false,
      workerData: data,
      ...(o.resourceLimits ? { resourceLimits: o.resourceLimits } : {}),
      loadBalancer: (_task, workers) => this.#pick(workers as unknown as BalancedWorker[]) as never,
    });
    const gen: Generation = { piscina, jobs: 0, retired: false, ready: false };
    piscina.on('message', (m: unknown) => {
      if ((m as ReadyMessage | null)?.troupe === 'ready') {
        gen.ready = true;
        this.#consecutiveFailures = 0;
      }
    });
    // A worker that dies with no task emits 'error' on the pool: unhandled, it would crash the process.
    piscina.on('error', (err: unknown) => {
      if (!gen.ready) this.#startupFailure(gen, err);
    });
    this.#gen = gen;
    return gen;
  }

  /** The load balancer: an idle worker that is not being recycled; counts tasks for `recycleAfter`. */
  #pick<W extends BalancedWorker>(workers: readonly W[]): W | null {
    for (const w of workers) {
      if (w.currentUsage !== 0 || w.terminating || w.destroyed || this.#retiring.has(w.id)) continue;
      if (this.options.recycleAfter > 0) {
        const n = (this.#assigned.get(w.id) ?? 0) + 1;
        this.#assigned.set(w.id, n);
        if (n >= this.options.recycleAfter) this.#retiring.set(w.id, w);
      }
      return w;
    }
    return null;
  }

  /** Terminate workers that reached `recycleAfter` and are idle; Piscina starts replacements. */
  #recycleIdle(): void {
    if (this.#retiring.size === 0 || !this.#gen) return;
    for (const worker of this.#gen.piscina.threads) {
      const w = this.#retiring.get(worker.threadId);
      // Its usage is live: 0 once its last task has answered (Piscina counts before it resolves us).
      if (!w || w.currentUsage !== 0) continue;
      this.#retiring.delete(worker.threadId);
      this.#assigned.delete(worker.threadId);
      this.#recycled++;
      void worker.terminate();
    }
  }

  #startupFailure(gen: Generation, err: unknown): void {
    this.#startupFailures++;
    this.#consecutiveFailures++;
    if (!gen.retired && gen === this.#gen) {
      gen.retired = true; // Piscina stops replacing workers after a start-up failure: use a fresh one
      if (gen.jobs === 0) void gen.piscina.destroy().catch(() => undefined);
    }
    if (this.#consecutiveFailures >= STARTUP_FAILURE_LIMIT && this.#failedError === null) {
      const error: ErrorValue = {
        code: 'TROUPE_POOL_WORKER_FAILED',
        message: `pool ${this.name}: ${this.#consecutiveFailures} workers in a row failed to start; last error: ${err instanceof Error ? err.message : String(err)}`,
        data: { pool: this.name, failures: this.#consecutiveFailures },
      };
      this.#failedError = error;
      this.core.failAll(error);
      this.#gen = null;
      void gen.piscina.destroy().catch(() => undefined);
    }
  }
}

/** The compiled worker entry, or (running from source, e.g. under vitest) the TypeScript one loaded through tsx. */
function workerEntry(): { filename: string; execArgv: string[] } {
  const js = new URL('./worker-entry.js', import.meta.url);
  if (existsSync(fileURLToPath(js))) return { filename: js.href, execArgv: [] };
  return { filename: new URL('./worker-entry.ts', import.meta.url).href, execArgv: ['--import', 'tsx'] };
}

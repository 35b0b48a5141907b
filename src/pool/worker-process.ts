import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { ErrorValue } from '../errors/index.js';
import type { Job } from './pool-core.js';
import type { ChildMessage, ParentMessage } from './process-entry.js';
import type { ResourceLimits } from './types.js';

/** The last bytes of a child's stderr kept to explain its death (V8's out-of-memory report fits). */
const STDERR_TAIL_BYTES = 8 * 1024;
/** A child's stderr forwarded to ours, at most (a chatty or hostile child cannot flood the runtime's log). */
const STDERR_FORWARD_BYTES = 1024 * 1024;
/** How long a dead child's stderr may take to drain before its death is reported. */
const STDERR_DRAIN_MS = 200;
/** A child asked to exit with `SIGTERM` is killed if it is still there after this. */
const STOP_GRACE_MS = 2_000;
/** A child not ready this long after it was started is killed, and its death is a start-up failure. */
const STARTUP_TIMEOUT_MS = 60_000;

/** How to start the children of one pool. */
export interface SpawnSpec {
  /** The child's main module (process-entry) and the Node flags it runs with. */
  readonly filename: string;
  readonly execArgv: readonly string[];
  /** Modules the child imports before it is ready. */
  readonly preload: readonly string[];
  /** The pool's name, for the note when a child's stderr is cut. */
  readonly pool: string;
}

/** What a {@link WorkerProcess} reports to its pool. */
export interface WorkerProcessEvents {
  message(worker: WorkerProcess, m: ChildMessage): void;
  /** The child is gone; `death` says why in words `workerFailure` classifies. Called once. */
  exit(worker: WorkerProcess, death: Error): void;
}

/**
 * One child process of a process pool and the pool's bookkeeping of it. It keeps the last
 * {@link STDERR_TAIL_BYTES} of the child's stderr (and forwards up to {@link STDERR_FORWARD_BYTES}
 * to ours) so a death can be explained: V8's "heap out of memory" report, or a `SIGABRT`, is out of memory.
 */
export class WorkerProcess {
  readonly proc: ChildProcess;
  readonly pid: number;
  state: 'starting' | 'ready' | 'stopping' = 'starting';
  /** The job it runs, or will run once ready. */
  job: Job | null = null;
  /** Tasks it answered. */
  tasks = 0;
  /** True once the pool killed it or asked it to exit: its death is not a start-up failure. */
  stopped = false;
  /** Why its start-up failed, as the child reported it. */
  startupError: ErrorValue | null = null;
  idleTimer: ReturnType<typeof setTimeout> | undefined;
  /** Resolves once the child has exited and its death was reported. */
  readonly exited: Promise<void>;
  #tail = Buffer.alloc(0);
  #forwarded = 0;
  readonly #startTimer: ReturnType<typeof setTimeout>;

  constructor(
    readonly spec: SpawnSpec,
    events: WorkerProcessEvents,
  ) {
    const proc = fork(spec.filename, [...spec.preload], {
      serialization: 'advanced',
      execArgv: [...spec.execArgv],
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    });
    this.proc = proc;
    this.pid = proc.pid ?? -1;
    this.#startTimer = setTimeout(() => {
      if (this.state !== 'starting' || this.stopped) return;
      this.startupError = { code: 'TROUPE_POOL_WORKER_FAILED', message: `worker process ${this.pid} did not start within ${STARTUP_TIMEOUT_MS}ms` };
      proc.kill('SIGKILL');
    }, STARTUP_TIMEOUT_MS);
    this.#startTimer.unref();
    let exited!: () => void;
    this.exited = new Promise<void>((resolve) => (exited = resolve));
    proc.stderr?.on('data', (chunk: Buffer) => this.#stderr(chunk));
    proc.on('message', (m: ChildMessage) => events.message(this, m));
    let gone = false;
    const onGone = (code: number | null, signal: NodeJS.Signals | null, err?: Error): void => {
      if (gone) return;
      gone = true;
      // Let the stderr pipe drain first: V8's out-of-memory report is what tells an OOM apart.
      const stderr = proc.stderr;
      let reported = false;
      const report = (): void => {
        if (reported) return;
        reported = true;
        clearTimeout(drain);
        clearTimeout(this.#startTimer);
        clearTimeout(this.idleTimer);
        events.exit(this, this.#death(code, signal, err));
        exited();
      };
      const drain = setTimeout(report, stderr && !stderr.readableEnded ? STDERR_DRAIN_MS : 0);
      stderr?.once('end', report).once('close', report);
    };
    proc.once('exit', (code, signal) => onGone(code, signal));
    // Spawning failed (no 'exit' may follow), or a signal could not be delivered to a dead child.
    proc.on('error', (err) => {
      if (proc.pid !== undefined && proc.exitCode === null && proc.signalCode === null) return;
      onGone(proc.exitCode, proc.signalCode, err);
    });
  }

  /** The child reported ready. */
  markReady(): void {
    clearTimeout(this.#startTimer);
    this.state = 'ready';
  }

  /** Send `m`; returns why it cannot be serialized, if so (a closed channel shows as the child's exit). */
  send(m: ParentMessage): unknown {
    try {
      this.proc.send(m, undefined, undefined, () => undefined);
      return undefined;
    } catch (e) {
      return e ?? new Error('message cannot be serialized');
    }
  }

  /** Hold the parent's event loop open (while the child has a job, or is exiting) or not (idle). */
  ref(on: boolean): void {
    const handles = [this.proc, this.proc.channel, this.proc.stderr as Partial<Socket> | null];
    for (const h of handles) (on ? h?.ref : h?.unref)?.call(h);
  }

  /** Ask the child to exit (`SIGTERM`, then `SIGKILL` after a grace) or kill it now. */
  stop(signal: 'SIGTERM' | 'SIGKILL'): void {
    clearTimeout(this.idleTimer);
    this.stopped = true;
    this.state = 'stopping';
    const proc = this.proc;
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    // Held until it has exited, so close() sees the exit before the event loop can empty.
    this.ref(true);
    proc.kill(signal);
    if (signal === 'SIGTERM') setTimeout(() => proc.exitCode === null && proc.signalCode === null && proc.kill('SIGKILL'), STOP_GRACE_MS).unref();
  }

  #stderr(chunk: Buffer): void {
    const tail = Buffer.concat([this.#tail, chunk]);
    this.#tail = tail.length > STDERR_TAIL_BYTES ? tail.subarray(tail.length - STDERR_TAIL_BYTES) : tail;
    if (this.#forwarded >= STDERR_FORWARD_BYTES) return;
    const room = STDERR_FORWARD_BYTES - this.#forwarded;
    this.#forwarded += chunk.length;
    process.stderr.write(chunk.length <= room ? chunk : chunk.subarray(0, room));
    if (this.#forwarded >= STDERR_FORWARD_BYTES) process.stderr.write(`\n[troupe] pool ${this.spec.pool}: further stderr of worker process ${this.pid} is not shown\n`);
  }

  /** Why the child died, in words `workerFailure` classifies (its out-of-memory and exit-code patterns). */
  #death(code: number | null, signal: NodeJS.Signals | null, err?: Error): Error {
    const text = this.#tail.toString('utf8');
    const fatal = /FATAL ERROR: ([^\n]*)/.exec(text)?.[1];
    if (/JavaScript heap out of memory|Reached heap limit|heap limit Allocation failed/i.test(text)) {
      return new Error(`worker process ${this.pid} ran out of memory: ${fatal ?? 'JavaScript heap out of memory'}`);
    }
    if (signal === 'SIGABRT') return new Error(`worker process ${this.pid} aborted (SIGABRT), most likely out of memory${fatal ? `: ${fatal}` : ''}`);
    if (err) return err;
    if (code !== null) return new Error(`worker process ${this.pid} exited with code ${code}`);
    return new Error(`worker process ${this.pid} was killed by ${signal ?? 'an unknown signal'}`);
  }
}

/**
 * The spawn spec of a pool's children: the compiled entry beside this module (dist), or running
 * from source (e.g. under vitest) the TypeScript one loaded through tsx; `resourceLimits` as V8
 * flags. The parent's own `execArgv` (a debugger's or test runner's flags) is not passed on.
 *
 * @param pool - the pool's name.
 * @param limits - the pool's `resourceLimits`.
 * @param preload - modules each child imports before it is ready.
 */
export function spawnSpec(pool: string, limits: ResourceLimits | undefined, preload: readonly string[]): SpawnSpec {
  const js = fileURLToPath(new URL('./process-entry.js', import.meta.url));
  const entry = existsSync(js)
    ? { filename: js, execArgv: [] }
    : { filename: fileURLToPath(new URL('./process-entry.ts', import.meta.url)), execArgv: ['--import', 'tsx'] };
  return { filename: entry.filename, execArgv: [...entry.execArgv, ...heapFlags(limits)], preload, pool };
}

/**
 * `resourceLimits` as V8 flags: `--max-old-space-size`, `--max-semi-space-size` (a third of
 * `maxYoungGenerationSizeMb`: V8 sizes the young generation as three semi-spaces), `--stack-size`
 * (in KiB). `codeRangeSizeMb` has no process equivalent and is ignored.
 *
 * @param limits - the pool's heap limits.
 * @returns the flags, e.g. `['--max-old-space-size=64']`.
 * @example
 * heapFlags({ maxOldGenerationSizeMb: 64, stackSizeMb: 4 }); // ['--max-old-space-size=64', '--stack-size=4096']
 */
export function heapFlags(limits: ResourceLimits | undefined): string[] {
  if (!limits) return [];
  const flags: string[] = [];
  if (limits.maxOldGenerationSizeMb !== undefined) flags.push(`--max-old-space-size=${Math.max(1, Math.floor(limits.maxOldGenerationSizeMb))}`);
  if (limits.maxYoungGenerationSizeMb !== undefined) flags.push(`--max-semi-space-size=${Math.max(1, Math.floor(limits.maxYoungGenerationSizeMb / 3))}`);
  if (limits.stackSizeMb !== undefined) flags.push(`--stack-size=${Math.max(64, Math.floor(limits.stackSizeMb * 1024))}`);
  return flags;
}

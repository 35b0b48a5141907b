import { TroupeError, type ErrorValue } from '../errors/index.js';

/** Lifecycle state of a run. */
export type RunStatus = 'running' | 'waiting-approval' | 'paused' | 'completed' | 'failed' | 'cancelled';

/** The statuses a run ends in: it never runs again. */
export const FINISHED_STATUSES: readonly RunStatus[] = Object.freeze(['completed', 'failed', 'cancelled']);

/** True when a run with this status has ended. */
export function isFinished(status: RunStatus): boolean {
  return status === 'completed' || status === 'failed' || status === 'cancelled';
}

/** What an operator may do to a run's state. */
export type RunControl = 'pause' | 'resume' | 'cancel';

/**
 * Refuse an operator's control of a run in a state that does not allow it: any control of a
 * finished run, pausing a paused one, resuming one that is not paused. One rule for the HTTP API,
 * the inspector and the CLI.
 *
 * @throws TroupeError `TROUPE_RUN_STATE_INVALID` naming the run, its state and the action.
 */
export function assertControllable(runId: string, status: RunStatus, action: RunControl, label: string = action): void {
  const why = isFinished(status) ? '' : action === 'pause' && status === 'paused' ? ' already' : action === 'resume' && status !== 'paused' ? ', not paused' : null;
  if (why === null) return;
  throw new TroupeError('TROUPE_RUN_STATE_INVALID', `cannot ${label} run ${runId}: it is ${status}${why}`, { data: { runId, status, action: label } });
}

/** What an entry in the context log records. */
/**
 * `operator`: who paused, resumed or cancelled the run (`output: { command, by, comment? }`,
 * `step: ''`); it records an act on the run and never changes its view or its path.
 */
export type EntryKind = 'step' | 'error' | 'approval' | 'compensation' | 'operator';

/** One immutable entry of a run's context log. `seq` starts at 1; version N is the log up to seq N. */
export interface ContextEntry {
  readonly seq: number;
  readonly kind: EntryKind;
  /** Step id (for a parallel branch `step.branch`, for a map item `step[i]`). */
  readonly step: string;
  readonly agent?: string;
  /** SHA-256 of the canonical encoding of the input the step ran with. */
  readonly inputHash?: string;
  /** The recorded output (for `error`, the error value). */
  readonly output: unknown;
  /** Milliseconds since the epoch. */
  readonly at: number;
  readonly durationMs?: number;
  readonly attempts?: number;
  readonly prevHash: string;
  readonly hash: string;
}

/** The record of one run. */
export interface RunRecord {
  readonly id: string;
  readonly workflow: string;
  /** SHA-256 of the canonical workflow definition. */
  readonly definitionHash: string;
  readonly input: unknown;
  status: RunStatus;
  readonly createdAt: number;
  updatedAt: number;
  /** Seq and hash of the last entry (the chain's head); 0 and the genesis hash when empty. */
  headSeq: number;
  headHash: string;
  /** Steps active now. */
  currentSteps: string[];
  output?: unknown;
  error?: ErrorValue;
  readonly parentRunId?: string;
  /** The workflow file the run was started from (absolute), so a later `troupe resume` can load it. */
  readonly source?: string;
}

/** A human's decision on an approval step, recorded while no runtime was running the run. */
export interface StoredDecision {
  readonly approved: boolean;
  readonly by?: string;
  readonly comment?: string;
  readonly at: number;
}

/** A cached response of an idempotent agent (see `AgentDefinition.idempotent`). */
export interface CachedResponse {
  readonly output: unknown;
  /** Milliseconds since the epoch after which it is stale. */
  readonly expiresAt: number;
}

/** Per-append options. */
export interface AppendOptions {
  /** `commit`: resolve at commit even when the store flushes by default. */
  readonly durability?: 'flush' | 'commit';
}

/** Filter for `Store.listRuns`. */
export interface RunQuery {
  readonly status?: RunStatus | readonly RunStatus[];
  readonly workflow?: string;
  readonly limit?: number;
}

/** A snapshot of a run's derived state, to speed up recovery (never the source of truth). */
export interface RunSnapshot {
  readonly runId: string;
  readonly seq: number;
  readonly state: unknown;
}

/** Told how long a store's run writes take (metrics). Called on the write path: keep it cheap. */
export interface StoreObserver {
  /** A run write was committed (visible), `ms` after it was issued. */
  commit(ms: number): void;
  /** A run write was flushed (on disk), `ms` after it was issued; only in `flush` durability. */
  flush(ms: number): void;
}

/**
 * The persistence port. `MemoryStore` and (next) `LmdbStore` implement it; one conformance
 * suite runs on both. Appends for one run are serial; different runs may write concurrently.
 */
export interface Store {
  createRun(record: RunRecord): Promise<void>;
  /**
   * Append an entry and move the run's head; resolves when the entry is as durable as the store
   * promises, or as `options.durability` asks (a workflow's override: `commit` skips the flush wait).
   */
  append(runId: string, entry: ContextEntry, patch?: Partial<RunRecord>, options?: AppendOptions): Promise<void>;
  /**
   * Optional, for a store that holds entries in memory: append as `append` does, stored when it
   * returns (what `append` would reject with, it throws). A run then goes on to its next step at
   * once instead of on a promise: the in-memory store's per-step path without a promise and a
   * microtask per entry (sequential-3: ~10% more runs/s, fanout-4 with the parallel step on
   * callbacks: ~20%). A store that writes anywhere else leaves it out.
   */
  appendNow?(runId: string, entry: ContextEntry, patch?: Partial<RunRecord>, options?: AppendOptions): void;
  updateRun(runId: string, patch: Partial<RunRecord>): Promise<void>;
  getRun(runId: string): Promise<RunRecord | undefined>;
  listRuns(query?: RunQuery): Promise<RunRecord[]>;
  /** Entries with `seq <= version` (all when omitted), in order. */
  read(runId: string, version?: number): Promise<ContextEntry[]>;
  saveSnapshot(snapshot: RunSnapshot): Promise<void>;
  loadSnapshot(runId: string): Promise<RunSnapshot | undefined>;
  /** Record a decision for a run that waits at `step` (e.g. `troupe approve` on a stopped directory). */
  putDecision(runId: string, step: string, decision: StoredDecision): Promise<void>;
  /** Take (read and remove) the decision recorded for `step`, if any: the resumed run applies it. */
  takeDecision(runId: string, step: string): Promise<StoredDecision | undefined>;
  /** A durable timer of a run (e.g. an approval deadline), by name; its deadline in ms since the epoch. */
  putTimer(runId: string, name: string, at: number): Promise<void>;
  /** The deadline of a run's timer, if it is set. */
  getTimer(runId: string, name: string): Promise<number | undefined>;
  deleteTimer(runId: string, name: string): Promise<void>;
  /** A cached response by key (agent id and input hash), stale ones included: the caller checks `expiresAt`. */
  cacheGet(key: string): Promise<CachedResponse | undefined>;
  cachePut(key: string, response: CachedResponse): Promise<void>;
  /** Remove a run, its context log and its snapshot (retention). Resolves with the entries removed; 0 for an unknown run. */
  deleteRun(runId: string): Promise<number>;
  /** Runs that were not finished when the store was last closed: what recovery resumes. */
  recover(): Promise<RunRecord[]>;
  close(): Promise<void>;
  /**
   * Be told the latency of run writes (create, append, update). Optional: a store that does not
   * time its writes (`MemoryStore`) lacks it. Returns the function that stops the observation.
   */
  observe?(observer: StoreObserver): () => void;
}

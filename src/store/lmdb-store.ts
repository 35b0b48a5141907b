import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Database, RootDatabase } from 'lmdb';
import { TroupeError } from '../errors/index.js';
import { decodeCached, decodeEntry, decodeRun, decodeSnapshot, encodeCached, encodeEntry, encodeRun, encodeSnapshot } from './codec.js';
import { openLayout, storeError, type DbName, type Durability } from './lmdb-layout.js';
import { acquireDirLock, type DirLock } from './lock-file.js';
import { isFinished, type ContextEntry, type RunQuery, type RunRecord, type RunSnapshot, type Store, type StoredDecision, type CachedResponse, type AppendOptions, type StoreObserver } from './types.js';


/** Options of {@link LmdbStore.open}. */
export interface LmdbStoreOptions {
  /** The data directory (created if missing); it holds one LMDB environment and `troupe.lock`. */
  readonly dir: string;
  /** When a write resolves, and so what it survives (see {@link Durability}). @defaultValue `'flush'` */
  readonly durability?: Durability;
  /** Initial map size in bytes; lmdb-js grows it as needed. @defaultValue lmdb-js's (128 KiB, growing) */
  readonly mapSize?: number;
}

/** Options of {@link LmdbStore.openReadOnly}. */
export interface LmdbReadOnlyOptions {
  /** The data directory of an existing store. */
  readonly dir: string;
}

/**
 * The durable `Store`: one LMDB environment per data directory (lmdb-js), named databases for
 * runs, the context log (keyed `[runId, seq]`), snapshots, approvals, timers and the idempotency
 * cache. An append writes its entry and the run record's new head in one transaction; writes
 * issued in the same event turn (from any number of runs) share one transaction, so a flush
 * covers them all (group commit). One process writes a directory at a time (`troupe.lock`).
 *
 * @example
 * ```ts
 * const store = await LmdbStore.open({ dir: './.troupe' });
 * await store.append(runId, entry, { currentSteps: ['next'] }); // on disk when this resolves
 * await store.close();
 * ```
 */
export class LmdbStore implements Store {
  /** The absolute data directory. */
  readonly dir: string;
  /** When writes resolve; `undefined` for a read-only store. */
  readonly durability: Durability | undefined;
  readonly #env: RootDatabase;
  readonly #dbs: Readonly<Record<DbName, Database<any, any>>>;
  readonly #lock: DirLock | undefined;
  /** Per run, the newest record written but perhaps not yet committed: what the next write builds on. */
  readonly #pending = new Map<string, RunRecord>();
  /** Told of run writes' latencies; null (the common case) costs the write path one check. */
  #observers: StoreObserver[] | null = null;
  #closed = false;

  private constructor(dir: string, durability: Durability | undefined, layout: ReturnType<typeof openLayout>, lock: DirLock | undefined) {
    this.dir = dir;
    this.durability = durability;
    this.#env = layout.env;
    this.#dbs = layout.dbs;
    this.#lock = lock;
  }

  /**
   * Open (or create) the store in `options.dir` for writing, taking its lock.
   *
   * @param options - the directory, the durability mode and the initial map size
   * @returns the open store
   * @throws TroupeError `TROUPE_STORE_LOCKED` when another process or another open store holds
   *   the directory; `TROUPE_STORE_CORRUPT` naming the file when it is damaged or not troupe's
   */
  static async open(options: LmdbStoreOptions): Promise<LmdbStore> {
    const dir = resolve(options.dir);
    const durability = options.durability ?? 'flush';
    if (durability !== 'flush' && durability !== 'commit' && durability !== 'memory') {
      throw new TroupeError('TROUPE_RUNTIME_OPTIONS_INVALID', `durability must be flush, commit or memory, got ${JSON.stringify(durability)}`, {
        data: { durability },
      });
    }
    mkdirDir(dir);
    const lock = acquireDirLock(dir);
    try {
      const layout = openLayout(dir, { readOnly: false, durability, ...(options.mapSize === undefined ? {} : { mapSize: options.mapSize }) });
      return new LmdbStore(dir, durability, layout, lock);
    } catch (err) {
      lock.release();
      throw err;
    }
  }

  /**
   * Open an existing store for reading only; works while another process writes it. Every write
   * method rejects with `TROUPE_STORE_READ_ONLY`. Reads see the writer's commits.
   *
   * @throws TroupeError `TROUPE_STORE_NOT_FOUND` when the directory holds no store;
   *   `TROUPE_STORE_CORRUPT` naming the file
   */
  static async openReadOnly(options: LmdbReadOnlyOptions): Promise<LmdbStore> {
    const dir = resolve(options.dir);
    return new LmdbStore(dir, undefined, openLayout(dir, { readOnly: true, durability: 'commit' }), undefined);
  }

  /** Whether this store was opened with {@link LmdbStore.openReadOnly}. */
  get readOnly(): boolean {
    return this.durability === undefined;
  }

  async createRun(record: RunRecord): Promise<void> {
    this.#writable();
    if (this.#current(record.id)) {
      throw new TroupeError('TROUPE_STORE_CONFLICT', `run id ${record.id} already exists`, { data: { runId: record.id } });
    }
    const next = { ...record, currentSteps: [...record.currentSteps] };
    await this.#commit(record.id, next, 'createRun', () => this.#dbs.runs.put(record.id, encodeRun(next)));
  }

  async append(runId: string, entry: ContextEntry, patch?: Partial<RunRecord>, options?: AppendOptions): Promise<void> {
    this.#writable();
    const run = this.#run(runId);
    if (entry.seq !== run.headSeq + 1) {
      throw new TroupeError('TROUPE_STORE_CONFLICT', `run ${runId}: append of seq ${entry.seq} after seq ${run.headSeq}`, {
        data: { runId, seq: entry.seq, headSeq: run.headSeq },
      });
    }
    const next: RunRecord = { ...run, headSeq: entry.seq, headHash: entry.hash, updatedAt: entry.at, ...patch };
    await this.#commit(
      runId,
      next,
      'append',
      () => {
        this.#dbs.log.put([runId, entry.seq], encodeEntry(entry));
        this.#dbs.runs.put(runId, encodeRun(next));
      },
      options?.durability === 'commit',
    );
  }

  async updateRun(runId: string, patch: Partial<RunRecord>): Promise<void> {
    this.#writable();
    const next: RunRecord = { ...this.#run(runId), ...patch };
    await this.#commit(runId, next, 'updateRun', () => this.#dbs.runs.put(runId, encodeRun(next)));
  }

  async getRun(runId: string): Promise<RunRecord | undefined> {
    this.#readable();
    return this.#stored(runId);
  }

  async listRuns(query: RunQuery = {}): Promise<RunRecord[]> {
    this.#readable();
    const statuses = query.status === undefined ? undefined : new Set([query.status].flat());
    const out: RunRecord[] = [];
    if (query.limit !== undefined && query.limit <= 0) return out;
    for (const { value } of this.#dbs.runs.getRange()) {
      const r = decodeRun(value);
      if (statuses && !statuses.has(r.status)) continue;
      if (query.workflow !== undefined && r.workflow !== query.workflow) continue;
      out.push(r);
      if (query.limit !== undefined && out.length >= query.limit) break;
    }
    return out;
  }

  async read(runId: string, version?: number): Promise<ContextEntry[]> {
    this.#readable();
    if (!this.#pending.has(runId) && !this.#dbs.runs.doesExist(runId)) {
      throw new TroupeError('TROUPE_RUN_NOT_FOUND', `no run with id ${runId}`, { data: { runId } });
    }
    const last = version === undefined ? Number.MAX_SAFE_INTEGER : Math.floor(version);
    if (last < 1) return [];
    // A range scan over [runId, 1] .. [runId, last]; `end` is exclusive.
    return this.#dbs.log
      .getRange({ start: [runId, 1], end: [runId, last + 1] })
      .map(({ value }) => decodeEntry(value))
      .asArray;
  }

  async saveSnapshot(snapshot: RunSnapshot): Promise<void> {
    this.#writable();
    try {
      await this.#durable(this.#dbs.snapshots.put(snapshot.runId, encodeSnapshot(snapshot)));
    } catch (err) {
      throw storeError(err, this.dir, `saveSnapshot(${snapshot.runId})`);
    }
  }

  async loadSnapshot(runId: string): Promise<RunSnapshot | undefined> {
    this.#readable();
    const stored = this.#dbs.snapshots.get(runId);
    return stored === undefined ? undefined : decodeSnapshot(stored);
  }

  async putDecision(runId: string, step: string, decision: StoredDecision): Promise<void> {
    this.#writable();
    this.#run(runId);
    try {
      await this.#durable(this.#dbs.approvals.put([runId, step], { ...decision }));
    } catch (err) {
      throw storeError(err, this.dir, `putDecision(${runId}, ${step})`);
    }
  }

  async takeDecision(runId: string, step: string): Promise<StoredDecision | undefined> {
    this.#readable();
    const d = this.#dbs.approvals.get([runId, step]) as StoredDecision | undefined;
    if (d !== undefined && !this.readOnly) await this.#durable(this.#dbs.approvals.remove([runId, step]));
    return d;
  }

  async putTimer(runId: string, name: string, at: number): Promise<void> {
    this.#writable();
    try {
      await this.#durable(this.#dbs.timers.put([runId, name], at));
    } catch (err) {
      throw storeError(err, this.dir, `putTimer(${runId}, ${name})`);
    }
  }

  async getTimer(runId: string, name: string): Promise<number | undefined> {
    this.#readable();
    return this.#dbs.timers.get([runId, name]) as number | undefined;
  }

  async deleteTimer(runId: string, name: string): Promise<void> {
    this.#writable();
    await this.#durable(this.#dbs.timers.remove([runId, name]));
  }

  async cacheGet(key: string): Promise<CachedResponse | undefined> {
    this.#readable();
    const stored = this.#dbs.idempotency.get(key) as Record<string, unknown> | undefined;
    return stored === undefined ? undefined : decodeCached(stored);
  }

  async cachePut(key: string, response: CachedResponse): Promise<void> {
    this.#writable();
    try {
      // Durable as the mode says, but a lost cache entry only costs a repeated call.
      await this.#dbs.idempotency.put(key, encodeCached(response));
    } catch (err) {
      throw storeError(err, this.dir, `cachePut(${key})`);
    }
  }

  async deleteRun(runId: string): Promise<number> {
    this.#writable();
    const run = this.#current(runId);
    if (!run) return 0;
    const keys = [...this.#dbs.log.getKeys({ start: [runId, 1], end: [runId, run.headSeq + 1] })];
    try {
      await this.#durable(
        this.#env.batch(() => {
          for (const k of keys) this.#dbs.log.remove(k);
          this.#dbs.snapshots.remove(runId);
          this.#dbs.runs.remove(runId);
          for (const k of this.#dbs.approvals.getKeys({ start: [runId], end: [runId, '\uffff'] })) this.#dbs.approvals.remove(k);
          for (const k of this.#dbs.timers.getKeys({ start: [runId], end: [runId, '\uffff'] })) this.#dbs.timers.remove(k);
        }),
      );
    } catch (err) {
      throw storeError(err, this.dir, `deleteRun(${runId})`);
    }
    return keys.length;
  }

  async recover(): Promise<RunRecord[]> {
    return (await this.listRuns()).filter((r) => !isFinished(r.status));
  }

  /** Be told the commit and flush latency of every run write from now on. @returns the function that stops it */
  observe(observer: StoreObserver): () => void {
    this.#observers = [...(this.#observers ?? []), observer];
    return () => {
      const left = (this.#observers ?? []).filter((o) => o !== observer);
      this.#observers = left.length > 0 ? left : null;
    };
  }

  /** Close the environment (pending writes finish first) and release the lock. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      await this.#env.close();
    } finally {
      this.#lock?.release();
    }
  }

  /** Write `ops` in one transaction (shared with the event turn's other writes), then wait as the durability mode says. */
  async #commit(runId: string, next: RunRecord, what: string, ops: () => void, commitOnly = false): Promise<void> {
    this.#pending.set(runId, next);
    const observers = this.#observers;
    try {
      const write = this.#env.batch(ops);
      if (observers === null) await (commitOnly ? write : this.#durable(write));
      else await timed(observers, write, commitOnly ? null : this.durability === 'flush' ? this.#env : null);
    } catch (err) {
      throw storeError(err, this.dir, `${what}(${runId})`);
    } finally {
      // Committed (or failed): later writes read the stored record again, unless a newer one is pending.
      if (this.#pending.get(runId) === next) this.#pending.delete(runId);
    }
  }

  async #durable(write: Promise<unknown>): Promise<void> {
    await write;
    // With overlappingSync (lmdb-js's default on Linux) a write resolves at commit; flushed is later.
    if (this.durability === 'flush') await this.#env.flushed;
  }

  #stored(runId: string): RunRecord | undefined {
    const stored = this.#dbs.runs.get(runId);
    return stored === undefined ? undefined : decodeRun(stored);
  }

  #current(runId: string): RunRecord | undefined {
    const pending = this.#pending.get(runId);
    return pending ? { ...pending, currentSteps: [...pending.currentSteps] } : this.#stored(runId);
  }

  #run(runId: string): RunRecord {
    const r = this.#current(runId);
    if (!r) throw new TroupeError('TROUPE_RUN_NOT_FOUND', `no run with id ${runId}`, { data: { runId } });
    return r;
  }

  #readable(): void {
    if (this.#closed) throw new TroupeError('TROUPE_RUNTIME_STOPPED', `the store in ${this.dir} is closed`);
    // A reader process sees another process's commits only from a fresh read transaction.
    if (this.readOnly) this.#env.resetReadTxn();
  }

  #writable(): void {
    if (this.#closed) throw new TroupeError('TROUPE_RUNTIME_STOPPED', `the store in ${this.dir} is closed`);
    if (this.readOnly) throw new TroupeError('TROUPE_STORE_READ_ONLY', `the store in ${this.dir} was opened read-only`, { data: { dir: this.dir } });
  }
}

/** Wait for a write as `#durable` does (flushed when `flushed` is given), telling `observers` how long it took. */
async function timed(observers: readonly StoreObserver[], write: Promise<unknown>, flushed: { readonly flushed: Promise<unknown> } | null): Promise<void> {
  const t0 = performance.now();
  await write;
  const committed = performance.now() - t0;
  for (const o of observers) safely(() => o.commit(committed));
  if (flushed === null) return;
  await flushed.flushed;
  const onDisk = performance.now() - t0;
  for (const o of observers) safely(() => o.flush(onDisk));
}

function safely(f: () => void): void {
  try {
    f();
  } catch {
    // an observer must not fail a write
  }
}

function mkdirDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw new TroupeError('TROUPE_STORE_CORRUPT', `cannot use ${dir} as a data directory: ${(err as Error).message}`, { cause: err, data: { file: dir } });
  }
}

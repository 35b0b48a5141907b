import { TroupeError } from '../errors/index.js';
import { isFinished, type ContextEntry, type RunQuery, type RunRecord, type RunSnapshot, type Store, type StoredDecision, type CachedResponse } from './types.js';


/**
 * The in-process `Store`: nothing survives the process. Fast, and the reference the LMDB
 * adapter's conformance suite is checked against.
 */
export class MemoryStore implements Store {
  readonly #runs = new Map<string, RunRecord>();
  readonly #logs = new Map<string, ContextEntry[]>();
  readonly #snapshots = new Map<string, RunSnapshot>();
  readonly #decisions = new Map<string, StoredDecision>();
  readonly #cache = new Map<string, CachedResponse>();
  readonly #timers = new Map<string, number>();
  #closed = false;

  async createRun(record: RunRecord): Promise<void> {
    this.#open();
    if (this.#runs.has(record.id)) {
      throw new TroupeError('TROUPE_STORE_CONFLICT', `run id ${record.id} already exists`, { data: { runId: record.id } });
    }
    this.#runs.set(record.id, { ...record, currentSteps: [...record.currentSteps] });
    this.#logs.set(record.id, []);
  }

  async append(runId: string, entry: ContextEntry, patch?: Partial<RunRecord>): Promise<void> {
    this.appendNow(runId, entry, patch);
  }

  appendNow(runId: string, entry: ContextEntry, patch?: Partial<RunRecord>): void {
    this.#open();
    const run = this.#run(runId);
    const log = this.#logs.get(runId)!;
    if (entry.seq !== log.length + 1) {
      throw new TroupeError('TROUPE_STORE_CONFLICT', `run ${runId}: append of seq ${entry.seq} after seq ${log.length}`, {
        data: { runId, seq: entry.seq },
      });
    }
    log.push(entry);
    run.headSeq = entry.seq;
    run.headHash = entry.hash;
    run.updatedAt = entry.at;
    if (patch) Object.assign(run, patch);
  }

  async updateRun(runId: string, patch: Partial<RunRecord>): Promise<void> {
    this.#open();
    Object.assign(this.#run(runId), patch);
  }

  async getRun(runId: string): Promise<RunRecord | undefined> {
    const r = this.#runs.get(runId);
    return r && { ...r, currentSteps: [...r.currentSteps] };
  }

  async listRuns(query: RunQuery = {}): Promise<RunRecord[]> {
    const statuses = query.status === undefined ? undefined : new Set([query.status].flat());
    const out: RunRecord[] = [];
    for (const r of this.#runs.values()) {
      if (statuses && !statuses.has(r.status)) continue;
      if (query.workflow !== undefined && r.workflow !== query.workflow) continue;
      out.push({ ...r, currentSteps: [...r.currentSteps] });
      if (query.limit !== undefined && out.length >= query.limit) break;
    }
    return out;
  }

  async read(runId: string, version?: number): Promise<ContextEntry[]> {
    const log = this.#logs.get(runId);
    if (!log) throw new TroupeError('TROUPE_RUN_NOT_FOUND', `no run with id ${runId}`, { data: { runId } });
    return version === undefined ? log.slice() : log.slice(0, Math.max(0, version));
  }

  async saveSnapshot(snapshot: RunSnapshot): Promise<void> {
    this.#open();
    this.#snapshots.set(snapshot.runId, snapshot);
  }

  async loadSnapshot(runId: string): Promise<RunSnapshot | undefined> {
    return this.#snapshots.get(runId);
  }

  async putDecision(runId: string, step: string, decision: StoredDecision): Promise<void> {
    this.#open();
    this.#run(runId);
    this.#decisions.set(`${runId}\u0000${step}`, { ...decision });
  }

  async takeDecision(runId: string, step: string): Promise<StoredDecision | undefined> {
    const key = `${runId}\u0000${step}`;
    const d = this.#decisions.get(key);
    this.#decisions.delete(key);
    return d;
  }

  async putTimer(runId: string, name: string, at: number): Promise<void> {
    this.#open();
    this.#timers.set(`${runId}\u0000${name}`, at);
  }

  async getTimer(runId: string, name: string): Promise<number | undefined> {
    return this.#timers.get(`${runId}\u0000${name}`);
  }

  async deleteTimer(runId: string, name: string): Promise<void> {
    this.#timers.delete(`${runId}\u0000${name}`);
  }

  async cacheGet(key: string): Promise<CachedResponse | undefined> {
    return this.#cache.get(key);
  }

  async cachePut(key: string, response: CachedResponse): Promise<void> {
    this.#open();
    this.#cache.set(key, response);
  }

  async deleteRun(runId: string): Promise<number> {
    this.#open();
    const removed = this.#logs.get(runId)?.length ?? 0;
    this.#runs.delete(runId);
    this.#logs.delete(runId);
    this.#snapshots.delete(runId);
    for (const key of this.#decisions.keys()) if (key.startsWith(`${runId}\u0000`)) this.#decisions.delete(key);
    for (const key of this.#timers.keys()) if (key.startsWith(`${runId}\u0000`)) this.#timers.delete(key);
    return removed;
  }

  async recover(): Promise<RunRecord[]> {
    return (await this.listRuns()).filter((r) => !isFinished(r.status));
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  #run(runId: string): RunRecord {
    const r = this.#runs.get(runId);
    if (!r) throw new TroupeError('TROUPE_RUN_NOT_FOUND', `no run with id ${runId}`, { data: { runId } });
    return r;
  }

  #open(): void {
    if (this.#closed) throw new TroupeError('TROUPE_RUNTIME_STOPPED', 'the store is closed');
  }
}

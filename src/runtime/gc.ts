import { FINISHED_STATUSES, type Store } from '../store/index.js';
import { parseDuration, type Duration } from '../util/index.js';

/** What retention freed. */
export interface GcReport {
  readonly runs: number;
  readonly entries: number;
  readonly runIds: readonly string[];
}

/**
 * Retention: remove finished runs (completed, failed, cancelled) last updated more than
 * `olderThan` before `now`, with their logs, snapshots and decisions. Runs in progress are never
 * touched, nor any run `keep` names.
 *
 * @throws `TROUPE_DURATION_INVALID`
 */
export async function collectGarbage(store: Store, options: { olderThan: Duration; now: number; keep?: (runId: string) => boolean }): Promise<GcReport> {
  const cutoff = options.now - parseDuration(options.olderThan, 'gc olderThan');
  const old = (await store.listRuns({ status: FINISHED_STATUSES })).filter((r) => r.updatedAt < cutoff && !options.keep?.(r.id));
  let entries = 0;
  for (const r of old) entries += await store.deleteRun(r.id);
  return { runs: old.length, entries, runIds: old.map((r) => r.id) };
}

import { existsSync, statSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { TroupeError } from '../errors/index.js';
import { LmdbStore, type RunRecord, type Store } from '../store/index.js';

/**
 * The data directory a `--data` value names, as an absolute path.
 *
 * @param flag - the flag's value (`./.troupe` when it was not given).
 * @param cwd - the CLI's working directory.
 */
export function resolveDataDir(flag: string, cwd: string): string {
  return resolve(cwd, flag);
}

/**
 * A directory as messages show it: `./`-relative when it is inside the working directory,
 * absolute otherwise.
 */
export function showDir(dir: string, cwd: string): string {
  const rel = relative(cwd, dir);
  if (rel === '') return '.';
  if (rel.startsWith('..') || isAbsolute(rel)) return dir;
  return `.${sep}${rel}`;
}

/**
 * Open a data directory for reading only (works while another process runs it).
 *
 * @param dir - the absolute data directory.
 * @param shown - the directory as messages name it.
 * @throws TroupeError `TROUPE_STORE_NOT_FOUND` naming the directory when it does not exist or
 *   holds no store yet; `TROUPE_STORE_CORRUPT` when it is not a troupe store.
 */
export async function openForReading(dir: string, shown: string): Promise<LmdbStore> {
  if (!existsSync(dir)) {
    throw new TroupeError('TROUPE_STORE_NOT_FOUND', `no data directory ${shown} (run a workflow first, or name one with --data DIR)`, { data: { dir } });
  }
  if (!statSync(dir).isDirectory()) {
    throw new TroupeError('TROUPE_STORE_CORRUPT', `data directory ${shown} is not a directory`, { data: { file: dir } });
  }
  try {
    return await LmdbStore.openReadOnly({ dir });
  } catch (e) {
    if ((e as { code?: unknown }).code === 'TROUPE_STORE_NOT_FOUND') {
      throw new TroupeError('TROUPE_STORE_NOT_FOUND', `data directory ${shown} holds no troupe store yet (run a workflow with --data ${shown} first)`, {
        cause: e,
        data: { dir },
      });
    }
    throw e;
  }
}

/**
 * Open a data directory for writing, from the command line: a missing or foreign directory is
 * named clearly first (as for reading), then the store is opened with its lock.
 *
 * @throws TroupeError `TROUPE_STORE_NOT_FOUND`, `TROUPE_STORE_CORRUPT`, `TROUPE_STORE_LOCKED`
 */
export async function openForWriting(dir: string, shown: string): Promise<LmdbStore> {
  await (await openForReading(dir, shown)).close();
  return LmdbStore.open({ dir, durability: 'flush' });
}

/**
 * A run's record in an opened data directory.
 *
 * @throws TroupeError `TROUPE_RUN_NOT_FOUND` naming the run and the directory.
 */
export async function requireRun(store: Store, runId: string, dir: string, shown: string): Promise<RunRecord> {
  const record = await store.getRun(runId);
  if (!record) throw new TroupeError('TROUPE_RUN_NOT_FOUND', `no run with id ${runId} in ${shown}`, { data: { runId, dir } });
  return record;
}

/** The workflow files the directory's unfinished top-level runs were started from (what to load before resuming them). */
export async function unfinishedSources(store: Store): Promise<string[]> {
  return [...new Set((await store.recover()).flatMap((r) => (r.parentRunId === undefined && r.source !== undefined ? [r.source] : [])))];
}

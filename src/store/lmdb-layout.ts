import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { open, type Database, type RootDatabase } from 'lmdb';
import { TroupeError } from '../errors/index.js';
import { createPackr } from './codec.js';
import { checkLmdbFile } from './lmdb-file.js';

/**
 * How long an `LmdbStore` write waits before it resolves, and so what it survives.
 * - `flush`: until the commit is flushed to disk (fsync): survives a process crash, an OS crash
 *   and a power loss (as far as the disk honours flushes).
 * - `commit`: until the transaction commits and is visible: survives a process crash; an OS crash
 *   or power loss may lose the last commits (the store reopens at the last flushed one).
 * - `memory`: like `commit`, but the environment never flushes (lmdb-js `noSync`): survives a
 *   process crash only; an OS crash or power loss may lose or corrupt the whole store.
 */
export type Durability = 'flush' | 'commit' | 'memory';

/** The named databases of a troupe environment (one LMDB environment per data directory). */
export const DB_NAMES = ['meta', 'runs', 'log', 'snapshots', 'approvals', 'timers', 'idempotency'] as const;

/** A named database's name. */
export type DbName = (typeof DB_NAMES)[number];

/** The marker a troupe environment carries in its `meta` database under {@link META_KEY}. */
export const STORE_FORMAT = { format: 'troupe', version: 1 } as const;

/** The key of the format marker in the `meta` database. */
export const META_KEY = 'format';

/** The data file inside a data directory (lmdb-js keeps `lock.mdb` beside it). */
export const DATA_FILE = 'data.mdb';

/** An open environment and its databases. Keys: runs by run id; the log by `[runId, seq]`. */
export interface LmdbLayout {
  readonly env: RootDatabase;
  readonly dbs: Readonly<Record<DbName, Database<any, any>>>;
}

/** Options of {@link openLayout}. */
export interface LayoutOptions {
  readonly readOnly: boolean;
  readonly durability: Durability;
  /** Initial map size in bytes; lmdb-js grows the map as the data grows. */
  readonly mapSize?: number;
}

/**
 * Open (and on first use initialise) the environment in `dir`. The caller holds the directory's
 * lock when writing.
 *
 * @throws TroupeError `TROUPE_STORE_CORRUPT` (a damaged, foreign or newer-format data file),
 *   `TROUPE_STORE_NOT_FOUND` (read-only and no store)
 */
export function openLayout(dir: string, options: LayoutOptions): LmdbLayout {
  const file = join(dir, DATA_FILE);
  if (existsSync(dir) && !statSync(dir).isDirectory()) {
    throw new TroupeError('TROUPE_STORE_CORRUPT', `${dir} is not a directory`, { data: { file: dir } });
  }
  const existed = existsSync(file);
  if (!existed && options.readOnly) {
    throw new TroupeError('TROUPE_STORE_NOT_FOUND', `no troupe store in ${dir} (no ${DATA_FILE})`, { data: { dir } });
  }
  if (existed) checkLmdbFile(file);
  const encoder = createPackr();
  let env: RootDatabase;
  try {
    env = open({
      path: dir,
      // lmdb-js takes a path with an extension (`/tmp/tmp.x1`, `runs.v2`) for a single file unless told.
      noSubdir: false,
      encoder,
      readOnly: options.readOnly,
      noSync: options.durability === 'memory',
      maxDbs: DB_NAMES.length + 4,
      ...(options.mapSize === undefined ? {} : { mapSize: options.mapSize }),
    });
  } catch (err) {
    throw new TroupeError('TROUPE_STORE_CORRUPT', `cannot open the LMDB environment ${file}: ${(err as Error).message}`, { cause: err, data: { file } });
  }
  try {
    const dbs = {} as Record<DbName, Database<any, any>>;
    // `encoder` is honoured by openDB though its type omits it: every database shares the one codec.
    for (const name of DB_NAMES) dbs[name] = env.openDB({ name, encoder } as { name: string });
    checkMeta(env, dbs, file, existed, options.readOnly);
    return { env, dbs };
  } catch (err) {
    void env.close();
    if (err instanceof TroupeError) throw err;
    throw new TroupeError('TROUPE_STORE_CORRUPT', `cannot open the databases of ${file}: ${(err as Error).message}`, { cause: err, data: { file } });
  }
}

function checkMeta(env: RootDatabase, dbs: Record<DbName, Database<any, any>>, file: string, existed: boolean, readOnly: boolean): void {
  const meta = dbs.meta.get(META_KEY) as { format?: unknown; version?: unknown } | undefined;
  if (meta === undefined) {
    // A new environment gets the marker; an existing one without it is foreign, unless it is
    // empty (created by a process that died before writing the marker).
    const names = new Set<unknown>(DB_NAMES);
    const foreign = [...env.getKeys()].some((k) => !names.has(k));
    const used = DB_NAMES.some((n) => dbs[n].getKeysCount() > 0);
    if (existed && (foreign || used)) throw new TroupeError('TROUPE_STORE_CORRUPT', `${file} is an LMDB environment but not a troupe store (no format marker)`, { data: { file } });
    if (readOnly) throw new TroupeError('TROUPE_STORE_NOT_FOUND', `${file} holds no troupe store yet`, { data: { file } });
    dbs.meta.putSync(META_KEY, STORE_FORMAT);
    return;
  }
  if (meta.format !== STORE_FORMAT.format) {
    throw new TroupeError('TROUPE_STORE_CORRUPT', `${file} is not a troupe store (format ${JSON.stringify(meta.format)})`, { data: { file } });
  }
  if (typeof meta.version !== 'number' || meta.version > STORE_FORMAT.version) {
    throw new TroupeError('TROUPE_STORE_CORRUPT', `${file} has store format version ${String(meta.version)}; this troupe reads up to ${STORE_FORMAT.version}`, {
      data: { file, version: meta.version },
    });
  }
}

/** Map an lmdb-js failure to a typed error: a full map or disk, a damaged file, or other I/O. */
export function storeError(err: unknown, dir: string, what: string): TroupeError {
  if (err instanceof TroupeError) return err;
  const message = err instanceof Error ? err.message : String(err);
  if (/MDB_MAP_FULL|ENOSPC|No space left/i.test(message)) {
    return new TroupeError('TROUPE_STORE_FULL', `${what}: the store in ${dir} is full (${message})`, { cause: err, data: { dir } });
  }
  if (/MDB_CORRUPTED|MDB_INVALID|MDB_PAGE_NOTFOUND|MDB_VERSION_MISMATCH/.test(message)) {
    return new TroupeError('TROUPE_STORE_CORRUPT', `${what}: ${join(dir, DATA_FILE)} is damaged (${message})`, { cause: err, data: { file: join(dir, DATA_FILE) } });
  }
  if (/Database is closed|has been closed/i.test(message)) {
    return new TroupeError('TROUPE_RUNTIME_STOPPED', `${what}: the store is closed`, { cause: err });
  }
  return new TroupeError('TROUPE_STORE_FAILED', `${what}: ${message}`, { cause: err, data: { dir } });
}

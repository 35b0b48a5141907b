import { linkSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TroupeError } from '../errors/index.js';

/** The lock file's name inside a data directory. */
export const LOCK_FILE = 'troupe.lock';

/** A held lock on a data directory; `release` is idempotent. */
export interface DirLock {
  readonly path: string;
  release(): void;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to another user.
    return (err as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

function holder(path: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(path, 'utf8'), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * Take the exclusive write lock of `dir`: `dir/troupe.lock` holding this process's pid. The file
 * is written under a temporary name and hard-linked into place, so it appears atomically and
 * already holds the pid (no reader ever sees an empty lock). A lock whose pid is no longer alive
 * is stale and taken over. A lock held by this very process (a second `open` of the same
 * directory) is refused like any other: lmdb-js must not open one environment twice.
 *
 * @throws TroupeError `TROUPE_STORE_LOCKED` naming the directory and the holder's pid
 */
export function acquireDirLock(dir: string): DirLock {
  const path = join(dir, LOCK_FILE);
  const tmp = `${path}.${process.pid}.${Date.now()}`;
  writeFileSync(tmp, `${process.pid}\n`);
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        linkSync(tmp, path);
        return lockHandle(path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const pid = holder(path);
      if (pid !== undefined && (pid === process.pid || alive(pid))) {
        throw new TroupeError('TROUPE_STORE_LOCKED', `data directory ${dir} is locked by process ${pid} (${path})`, {
          data: { dir, pid, lockFile: path },
        });
      }
      // Stale (its process is gone) or unreadable: remove it and race for the link again.
      try {
        unlinkSync(path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
    throw new TroupeError('TROUPE_STORE_LOCKED', `data directory ${dir} is contended: could not take ${path}`, { data: { dir, lockFile: path } });
  } finally {
    unlinkSync(tmp);
  }
}

function lockHandle(path: string): DirLock {
  let held = true;
  return {
    path,
    release() {
      if (!held) return;
      held = false;
      // Remove it only if it is still ours (a takeover after we were presumed dead is not).
      if (holder(path) === process.pid) unlinkSync(path);
    },
  };
}

// troupe on each store it ships: the MemoryStore default and an LmdbStore in a fresh temporary
// data directory per workload, in each durability mode. Used by store-durability.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Durability } from '../../src/index.js';
import { DEFINITIONS } from './troupe.js';
import type { SystemUnderTest, Workload } from './workflows.js';

// The built package (dist/), as in ./troupe.ts: build first (`npm run build`).
const { createRuntime, defineAgent } = (await import(new URL('../../dist/index.js', import.meta.url).href)) as typeof import('../../src/index.js');


/** The stores store-durability measures, in the order it runs them. */
export const STORE_SYSTEMS = ['memory-store', 'lmdb-memory', 'lmdb-commit', 'lmdb-flush'] as const;
export type StoreSystemName = (typeof STORE_SYSTEMS)[number];

const DURABILITY: Record<StoreSystemName, Durability | null> = {
  'memory-store': null,
  'lmdb-memory': 'memory',
  'lmdb-commit': 'commit',
  'lmdb-flush': 'flush',
};

/** Temporary data directories not yet removed: removed by {@link removeDataDirs} after a failure. */
const liveDirs = new Set<string>();

/** Removes every temporary data directory still present (for a failure path; idempotent). */
export async function removeDataDirs(): Promise<void> {
  await Promise.all([...liveDirs].map((dir) => rm(dir, { recursive: true, force: true }).then(() => liveDirs.delete(dir))));
}

/**
 * troupe on `name`: a fresh runtime per workload, stopped on close; for an LMDB system, in a fresh
 * directory under `os.tmpdir()`, removed on close (and when `prepare` fails).
 */
export function troupeOn(name: StoreSystemName): SystemUnderTest {
  const durability = DURABILITY[name];
  return {
    name,
    async prepare(workflow): Promise<Workload> {
      const noop = defineAgent({ id: 'noop', execute: () => ({ ok: true }) });
      const base = { agents: [noop], workflows: [DEFINITIONS[workflow]] };
      let dataDir: string | null = null;
      const removeDir = async (): Promise<void> => {
        if (dataDir === null) return;
        await rm(dataDir, { recursive: true, force: true });
        liveDirs.delete(dataDir);
      };
      let rt;
      try {
        if (durability === null) {
          rt = await createRuntime(base);
        } else {
          dataDir = await mkdtemp(join(tmpdir(), `troupe-bench-${name}-`));
          liveDirs.add(dataDir);
          rt = await createRuntime({ ...base, dataDir, durability });
        }
      } catch (err) {
        await removeDir();
        throw err;
      }
      const runtime = rt;
      return {
        startOne: async (i) => {
          const run = await runtime.start(workflow, { n: i });
          await run.result();
        },
        close: async () => {
          try {
            await runtime.stop();
          } finally {
            await removeDir();
          }
        },
      };
    },
  };
}

import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
// Imports troupe's build (dist/), as the benchmark does: `npm run build` first.
import { STORE_SYSTEMS, troupeOn } from '../../benchmarks/lib/troupe-stores.js';

async function benchDirs(): Promise<string[]> {
  return (await readdir(tmpdir())).filter((n) => n.startsWith('troupe-bench-lmdb-'));
}

describe('troupeOn (store-durability systems)', () => {
  it.each(STORE_SYSTEMS)('%s runs both workflows and leaves no data directory behind', async (name) => {
    const before = new Set(await benchDirs());
    for (const workflow of ['sequential-3', 'fanout-4'] as const) {
      const workload = await troupeOn(name).prepare(workflow);
      try {
        await Promise.all([0, 1, 2].map((i) => workload.startOne(i)));
      } finally {
        await workload.close();
      }
    }
    expect((await benchDirs()).filter((n) => !before.has(n))).toEqual([]);
  });
});

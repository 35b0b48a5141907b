import { parseDuration } from '../../util/index.js';
import { collectGarbage } from '../../runtime/index.js';
import { TroupeError } from '../../errors/index.js';
import type { GcArgs } from '../args.js';
import { openForWriting, resolveDataDir, showDir } from '../data.js';
import type { CliIO } from '../io.js';

/**
 * `troupe gc --older-than AGE`: remove finished runs older than AGE from a data directory and
 * report what it freed.
 *
 * @throws TroupeError `TROUPE_CLI_USAGE` for a bad AGE, `TROUPE_STORE_NOT_FOUND`, `TROUPE_STORE_LOCKED`
 */
export async function gcCommand(args: GcArgs, io: CliIO): Promise<number> {
  try {
    parseDuration(args.olderThan, '--older-than');
  } catch (e) {
    throw new TroupeError('TROUPE_CLI_USAGE', (e as Error).message, { cause: e, data: { flag: '--older-than' } });
  }
  const cwd = io.cwd ?? process.cwd();
  const dir = resolveDataDir(args.data, cwd);
  const shown = showDir(dir, cwd);
  const store = await openForWriting(dir, shown);
  try {
    const report = await collectGarbage(store, { olderThan: args.olderThan, now: Date.now() });
    if (args.json) io.stdout.write(`${JSON.stringify({ dataDir: dir, ...report }, null, 2)}\n`);
    else io.stdout.write(`gc: removed ${report.runs} finished ${report.runs === 1 ? 'run' : 'runs'} older than ${args.olderThan} (${report.entries} log ${report.entries === 1 ? 'entry' : 'entries'}) from ${shown}\n`);
    return 0;
  } finally {
    await store.close();
  }
}

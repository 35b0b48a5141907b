import { genesisHash, verifyChain, type ChainCheck } from '../../store/index.js';
import type { VerifyArgs } from '../args.js';
import { openForReading, resolveDataDir, showDir, requireRun } from '../data.js';
import type { CliIO } from '../io.js';

/** The document `troupe verify --json` prints. */
export type VerifyReport = { readonly runId: string } & ChainCheck;

/**
 * `troupe verify RUN`: read-only. Recompute the run's hash chain from its genesis (definition
 * hash and input) and check it against the head its record keeps.
 *
 * @returns 0 when the chain verifies, 1 when it does not (after one `TROUPE_CHAIN_BROKEN` line
 *   on stderr naming the first entry that does not match).
 * @throws TroupeError `TROUPE_STORE_NOT_FOUND`, `TROUPE_RUN_NOT_FOUND`, `TROUPE_STORE_CORRUPT`
 */
export async function verifyCommand(args: VerifyArgs, io: CliIO): Promise<number> {
  const cwd = io.cwd ?? process.cwd();
  const dir = resolveDataDir(args.data, cwd);
  const shown = showDir(dir, cwd);
  const store = await openForReading(dir, shown);
  let report: VerifyReport;
  try {
    const record = await requireRun(store, args.run, dir, shown);
    const entries = await store.read(record.id);
    const check = verifyChain(genesisHash(record.definitionHash, record.input), entries, { headSeq: record.headSeq, headHash: record.headHash });
    report = { runId: record.id, ...check };
  } finally {
    await store.close();
  }
  if (args.json) io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  if (report.ok) {
    if (!args.json) io.stdout.write(`ok: run ${report.runId}, ${report.entries} ${report.entries === 1 ? 'entry' : 'entries'}, head ${report.head.slice(0, 12)}\n`);
    return 0;
  }
  const which = report.seq === undefined ? `position ${report.index + 1}` : `seq ${report.seq} (position ${report.index + 1})`;
  io.stderr.write(`troupe: TROUPE_CHAIN_BROKEN: run ${report.runId}: the context log does not verify at ${which}: ${report.reason}\n`);
  return 1;
}

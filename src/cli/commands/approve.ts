import { TroupeError } from '../../errors/index.js';
import type { ApproveArgs } from '../args.js';
import { openForWriting, resolveDataDir, showDir, requireRun } from '../data.js';
import type { CliIO } from '../io.js';

/**
 * `troupe approve RUN STEP [--reject]`: record a decision for a run that waits for approval in a
 * directory no process is running; the run applies it when it resumes.
 *
 * @throws TroupeError `TROUPE_STORE_NOT_FOUND`, `TROUPE_STORE_LOCKED` (a process runs the
 *   directory), `TROUPE_RUN_NOT_FOUND`, `TROUPE_APPROVAL_NOT_PENDING`
 */
export async function approveCommand(args: ApproveArgs, io: CliIO): Promise<number> {
  const cwd = io.cwd ?? process.cwd();
  const dir = resolveDataDir(args.data, cwd);
  const shown = showDir(dir, cwd);
  const store = await openForWriting(dir, shown);
  try {
    const record = await requireRun(store, args.run, dir, shown);
    if (record.status !== 'waiting-approval' || !record.currentSteps.includes(args.step)) {
      throw new TroupeError(
        'TROUPE_APPROVAL_NOT_PENDING',
        `run ${record.id} is ${record.status}${record.currentSteps.length > 0 ? ` at ${record.currentSteps.join(', ')}` : ''}, not waiting for approval at ${args.step}`,
        { data: { runId: record.id, step: args.step, status: record.status } },
      );
    }
    await store.putDecision(record.id, args.step, {
      approved: !args.reject,
      ...(args.by !== undefined ? { by: args.by } : {}),
      ...(args.comment !== undefined ? { comment: args.comment } : {}),
      at: Date.now(),
    });
    io.stdout.write(
      `recorded: ${args.reject ? 'rejection' : 'approval'} of ${args.step} for run ${record.id} (${record.workflow}); ` +
        `it takes effect when the run resumes: troupe resume <workflow file> --data ${shown}\n`,
    );
    return 0;
  } finally {
    await store.close();
  }
}

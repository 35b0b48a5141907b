import { assertControllable, isFinished, type RunRecord, type RunStatus } from '../../store/index.js';
import type { ControlArgs } from '../args.js';
import { openForWriting, resolveDataDir, showDir, requireRun } from '../data.js';
import type { CliIO } from '../io.js';

/**
 * `troupe pause|unpause|cancel RUN`: change a run's state in a data directory no process is
 * running. A paused run stays paused when `troupe resume` picks the directory up; an unpaused one
 * carries on there; a cancelled one is never resumed (its sub-runs are cancelled with it).
 *
 * @throws TroupeError `TROUPE_STORE_NOT_FOUND`, `TROUPE_STORE_LOCKED`, `TROUPE_RUN_NOT_FOUND`,
 *   `TROUPE_RUN_STATE_INVALID` (e.g. cancelling a finished run)
 */
export async function controlCommand(args: ControlArgs, io: CliIO): Promise<number> {
  const cwd = io.cwd ?? process.cwd();
  const dir = resolveDataDir(args.data, cwd);
  const shown = showDir(dir, cwd);
  const store = await openForWriting(dir, shown);
  try {
    const record = await requireRun(store, args.run, dir, shown);
    assertControllable(record.id, record.status, args.action === 'unpause' ? 'resume' : args.action, args.action);
    const status: RunStatus = args.action === 'pause' ? 'paused' : args.action === 'cancel' ? 'cancelled' : 'running';
    const patch: Partial<RunRecord> =
      status === 'cancelled'
        ? { status, currentSteps: [], updatedAt: Date.now(), error: { code: 'TROUPE_RUN_CANCELLED', message: `run ${record.id} cancelled from the command line` } }
        : { status, updatedAt: Date.now() };
    await store.updateRun(record.id, patch);
    if (status === 'cancelled') {
      for (const sub of await store.listRuns()) if (sub.parentRunId === record.id && !isFinished(sub.status)) await store.updateRun(sub.id, patch);
    }
    io.stdout.write(`${args.action === 'unpause' ? 'unpaused' : status}: run ${record.id} (${record.workflow}) in ${shown}\n`);
    return 0;
  } finally {
    await store.close();
  }
}

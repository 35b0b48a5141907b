import { TroupeError } from '../errors/index.js';
import { assertControllable, isFinished } from '../store/index.js';
import type { TroupeRuntime } from '../runtime/index.js';
import type { CommandName } from './protocol.js';

/** One operator command on one run. */
export interface RunCommand {
  readonly command: CommandName;
  readonly runId: string;
  readonly step?: string;
  readonly comment?: string;
}

/**
 * Carry out an operator's command on a live run; who did it is recorded in the run's log (an
 * `approval` entry with `by`, or an `operator` entry).
 *
 * @throws TroupeError `TROUPE_RUN_NOT_FOUND`, `TROUPE_RUN_STATE_INVALID` (finished, or not paused
 *   for resume), `TROUPE_APPROVAL_NOT_PENDING`.
 */
export async function runCommand(runtime: TroupeRuntime, cmd: RunCommand, by: string): Promise<void> {
  const run = runtime.getRun(cmd.runId);
  const status = run.status().status;
  const info = { by, ...(cmd.comment === undefined ? {} : { comment: cmd.comment }) };
  if (cmd.command === 'pause' || cmd.command === 'resume' || cmd.command === 'cancel') assertControllable(cmd.runId, status, cmd.command);
  else if (isFinished(status)) throw new TroupeError('TROUPE_RUN_STATE_INVALID', `run ${cmd.runId} is ${status}: it cannot ${cmd.command}`, { data: { runId: cmd.runId, status } });
  switch (cmd.command) {
    case 'approve':
      return run.approve(cmd.step!, info);
    case 'reject':
      return run.reject(cmd.step!, info);
    case 'pause':
      return run.pause(info);
    case 'resume':
      return run.resume(info);
    case 'cancel':
      return run.cancel(cmd.comment ?? `cancelled by ${by}`, { by });
  }
}

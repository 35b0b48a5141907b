import { isAbsolute, resolve } from 'node:path';
import { createRuntime, type RunEvent, type RunHandle, type TroupeRuntime } from '../../index.js';
import type { ErrorValue } from '../../errors/index.js';
import { DEFAULT_DATA_DIR, readInputFlag, type RunArgs } from '../args.js';
import { resolveDataDir, showDir } from '../data.js';
import { Approver, type ApprovalRequest } from '../approver.js';
import { columnsFor, formatError, formatHeader, formatOutput, formatRow, formatTotal, palette, type StepRow } from '../format.js';
import { LineReader, type CliIO } from '../io.js';
import { StepTracker } from '../step-tracker.js';

/** Exit codes of `troupe run`. */
export const RunExit = { ok: 0, failed: 1, usage: 2, waiting: 3, interrupted: 130 } as const;

/** The document `troupe run --json` prints. */
export interface RunReport {
  readonly runId: string;
  readonly workflow: string;
  readonly status: string;
  readonly output: unknown;
  readonly steps: readonly StepRow[];
  readonly error?: ErrorValue;
}

type Ending =
  | { readonly kind: 'completed'; readonly output: unknown }
  | { readonly kind: 'failed'; readonly error: unknown }
  | { readonly kind: 'eof'; readonly request: ApprovalRequest }
  | { readonly kind: 'interrupted' };

/**
 * `troupe run`: load the workflow and its agent modules, start one run, print each step as it
 * completes and then the output, asking on stdin for approvals unless `--auto-approve`.
 *
 * @returns the exit code: 0 completed, 1 failed, 2 bad `--input`, 3 stdin ended while waiting
 *   for approval, 130 interrupted.
 * @throws TroupeError `TROUPE_CLI_INPUT_INVALID` for a bad `--input` (before anything loads).
 */
export async function runCommand(args: RunArgs, io: CliIO): Promise<number> {
  const cwd = io.cwd ?? process.cwd();
  const input = await readInputFlag(args.input, cwd);
  const debug = io.env.TROUPE_DEBUG === '1';
  const dataDir = resolveDataDir(args.data, cwd);
  const c = palette(io.isTTY && !args.json, io.env);
  const fail = (e: unknown): number => {
    io.stderr.write(formatError(e, debug, cwd));
    return RunExit.failed;
  };

  let rt: TroupeRuntime;
  try {
    rt = await createRuntime({ dataDir, durability: args.durability, autoApprove: args.autoApprove });
  } catch (e) {
    return fail(e);
  }
  const reader = new LineReader(io.stdin);
  let approver: Approver | null = null;
  let offInterrupt: () => void = () => undefined;
  try {
    let name: string;
    try {
      name = await rt.load(pathFor(args.workflow, cwd));
    } catch (e) {
      return fail(e);
    }
    const table = !args.json && !args.quiet;
    const cols = columnsFor(rt.workflows.get(name).definition, rt.agents.registry.list().map((a) => a.id));

    // Events that arrive before `start` returns wait until the run id is known.
    const early: RunEvent[] = [];
    let onEvent: (e: RunEvent) => void = (e) => void early.push(e);
    rt.on((e) => onEvent(e));

    let settle!: (ending: Ending) => void;
    const ended = new Promise<Ending>((r) => (settle = r));
    offInterrupt = (io.onInterrupt ?? defaultInterrupt)(() => settle({ kind: 'interrupted' }));

    const t0 = performance.now();
    let run: RunHandle;
    try {
      run = await rt.start(name, input);
    } catch (e) {
      return fail(e);
    }
    if (table) io.stdout.write(formatHeader(name, run.id, cols, c, showDir(dataDir, cwd)));

    const tracker = new StepTracker({
      rootId: run.id,
      autoApprove: args.autoApprove,
      onRow: (row) => table && io.stdout.write(formatRow(row, cols, c)),
    });
    if (!args.autoApprove) {
      approver = new Approver({
        reader,
        out: io.stderr,
        showPrompt: io.isTTY,
        by: io.env.USER ?? io.env.USERNAME ?? 'cli',
        run: (id) => rt.getRun(id),
        onDecided: (id, step, approved) => tracker.decided(id, step, approved),
        onEof: (request) => settle({ kind: 'eof', request }),
      });
    }
    onEvent = (e) => {
      tracker.handle(e);
      if (e.type === 'approval.requested' && approver) approver.request({ runId: e.runId, step: e.step, prompt: e.prompt });
    };
    early.splice(0).forEach(onEvent);
    run.result().then(
      (output) => settle({ kind: 'completed', output }),
      (error: unknown) => settle({ kind: 'failed', error }),
    );

    const ending = await ended;
    offInterrupt();
    approver?.close();
    if (ending.kind === 'interrupted') {
      run.cancel('interrupted (SIGINT)');
      await run.result().catch(() => undefined);
    }
    tracker.finish(ending.kind === 'interrupted');
    const wallMs = performance.now() - t0;
    const status = run.status().status;
    const output = ending.kind === 'completed' ? ending.output : undefined;
    const error = ending.kind === 'failed' ? innerError(ending.error) : undefined;

    if (args.json) {
      const steps = tracker.rows.map((r) => (r.durationMs === null ? r : { ...r, durationMs: Math.round(r.durationMs * 1000) / 1000 }));
      const report: RunReport = { runId: run.id, workflow: name, status, output, steps, ...(error ? { error } : {}) };
      io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    } else {
      if (ending.kind === 'completed' && output !== undefined) io.stdout.write(`${table ? '\n' : ''}${formatOutput(output, c)}`);
      if (table) io.stdout.write(`${ending.kind === 'completed' ? '\n' : ''}${formatTotal(status, tracker.rows.length, wallMs, c)}`);
    }

    switch (ending.kind) {
      case 'completed':
        return RunExit.ok;
      case 'failed': {
        const row = error && tracker.rows.find((r) => r.outcome === 'failed' && r.error?.code === error.code);
        if (!row || !error) return fail(ending.error);
        const message = debug ? formatError(ending.error, true) : `troupe: ${error.code}: step ${row.step}: ${error.message.split('\n', 1)[0]} (run ${run.id})\n`;
        io.stderr.write(message);
        return RunExit.failed;
      }
      case 'eof':
        io.stderr.write(
          `troupe: run ${ending.request.runId} is still waiting for approval at step ${ending.request.step}; ` +
            'it was not approved (stdin ended). Re-run with --auto-approve or answer the prompt; ' +
            `the run stays waiting in ${showDir(dataDir, cwd)}: 'troupe resume ${args.workflow}${args.data === DEFAULT_DATA_DIR ? '' : ` --data ${args.data}`} --auto-approve' approves it.\n`,
        );
        return RunExit.waiting;
      default: // interrupted
        io.stderr.write(`troupe: run ${run.id} cancelled (interrupted)\n`);
        return RunExit.interrupted;
    }
  } finally {
    offInterrupt();
    approver?.close();
    reader.close();
    await rt.stop();
  }
}

/** The step's error behind a `TROUPE_RUN_FAILED` (what actually went wrong), else the error itself. */
export function innerError(e: unknown): ErrorValue {
  const data = (e as { data?: { error?: ErrorValue } }).data;
  if (data?.error && typeof data.error.code === 'string') return data.error;
  const code = (e as { code?: unknown }).code;
  return { code: typeof code === 'string' ? code : 'TROUPE_RUN_FAILED', message: e instanceof Error ? e.message : String(e) };
}

/**
 * The workflow path to load: as typed when it resolves the same from here, so messages name the
 * file the way the user wrote it; else resolved against the CLI's working directory.
 *
 * @param file - the path given on the command line.
 * @param cwd - the CLI's working directory.
 */
export function pathFor(file: string, cwd: string): string {
  return isAbsolute(file) || resolve(cwd) === process.cwd() ? file : resolve(cwd, file);
}

function defaultInterrupt(handler: () => void): () => void {
  process.on('SIGINT', handler);
  return () => void process.off('SIGINT', handler);
}

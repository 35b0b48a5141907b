import { existsSync } from 'node:fs';
import { createRuntime, type RecoveryOutcome, type RunEvent, type RunHandle, type TroupeRuntime } from '../../index.js';
import { TroupeError, type ErrorValue } from '../../errors/index.js';
import type { RunRecord } from '../../store/index.js';
import type { ResumeArgs } from '../args.js';
import { resolveDataDir, showDir, unfinishedSources } from '../data.js';
import { columnsFor, formatError, formatRow, palette, type Columns, type Palette, type StepRow } from '../format.js';
import type { CliIO } from '../io.js';
import { StepTracker } from '../step-tracker.js';
import { innerError, pathFor } from './run.js';

/** Exit codes of `troupe resume`. */
export const ResumeExit = { ok: 0, failed: 1, usage: 2, waiting: 3, interrupted: 130 } as const;

/** What became of one unfinished run. */
export interface ResumedRunReport {
  readonly runId: string;
  readonly workflow: string;
  readonly resumed: boolean;
  /** `completed`, `failed`, `cancelled`, `waiting-approval`, `paused`, `running` (interrupted), or `not-resumed`. */
  readonly status: string;
  /** The step(s) it was at when it resumed. */
  readonly from?: readonly string[];
  /** Entries its log held when it resumed. */
  readonly recordedSteps?: number;
  /** The steps it ran after resuming. */
  readonly steps?: readonly StepRow[];
  readonly output?: unknown;
  /** Why it failed, or why it could not be resumed. */
  readonly error?: ErrorValue;
  /** Steps waiting for approval when the command ended. */
  readonly waiting?: readonly string[];
}

/** The document `troupe resume --json` prints. */
export interface ResumeReport {
  readonly dataDir: string;
  readonly runs: readonly ResumedRunReport[];
}

type Ending = { readonly kind: 'completed'; readonly output: unknown } | { readonly kind: 'failed'; readonly error: unknown };

interface Tracked {
  readonly outcome: RecoveryOutcome & { readonly resumed: true };
  readonly run: RunHandle;
  readonly tracker: StepTracker;
  readonly from: readonly string[];
  readonly recordedSteps: number;
  readonly wasWaiting: boolean;
  ending: Ending | null;
}

const SHORT_ID = 8;
const QUIET_CHECK_MS = 25;

/**
 * `troupe resume <workflow>...`: load the workflow files (their agents and workflows), resume
 * every unfinished run of the data directory from its log, print each outcome, and wait for the
 * resumed runs to finish. Runs left waiting for approval (without `--auto-approve`) stay in the
 * directory, waiting.
 *
 * @returns 0 every resumed run completed (or none to resume), 1 one failed or could not be
 *   resumed, 3 one is left waiting for approval or paused, 130 interrupted (the runs stay resumable).
 */
export async function resumeCommand(args: ResumeArgs, io: CliIO): Promise<number> {
  const cwd = io.cwd ?? process.cwd();
  const dir = resolveDataDir(args.data, cwd);
  const shown = showDir(dir, cwd);
  const debug = io.env.TROUPE_DEBUG === '1';
  const c = palette(io.isTTY && !args.json, io.env);
  const fail = (e: unknown): number => {
    io.stderr.write(formatError(e, debug, cwd));
    return ResumeExit.failed;
  };
  if (!existsSync(dir)) {
    return fail(new TroupeError('TROUPE_STORE_NOT_FOUND', `no data directory ${shown} (nothing to resume; name one with --data DIR)`, { data: { dir } }));
  }

  let rt: TroupeRuntime;
  try {
    rt = await createRuntime({ dataDir: dir, durability: args.durability, autoApprove: args.autoApprove });
  } catch (e) {
    return fail(e);
  }
  let offInterrupt: () => void = () => undefined;
  try {
    const names: string[] = [];
    // Without files named, load the ones the unfinished runs were started from.
    const files =
      args.workflows.length > 0
        ? args.workflows
        : await unfinishedSources(rt.store);
    for (const file of files) {
      try {
        names.push(await rt.load(pathFor(file, cwd)));
      } catch (e) {
        return fail(e);
      }
    }
    const agents = rt.agents.registry.list().map((a) => a.id);
    const cols = names
      .map((n) => columnsFor(rt.workflows.get(n).definition, agents))
      .reduce<Columns>((a, b) => ({ step: Math.max(a.step, b.step), agent: Math.max(a.agent, b.agent) }), { step: 4, agent: 5 });
    const table = !args.json;

    // Route events to the tracker of the root run they belong to; count steps in flight.
    const trackers = new Map<string, Tracked>();
    const inFlight = new Set<string>();
    const early: RunEvent[] = [];
    let route: (e: RunEvent) => void = (e) => void early.push(e);
    rt.on((e) => {
      const key = `${e.runId}\u0000${'step' in e ? e.step : 'entry' in e ? e.entry.step : ''}`;
      if (e.type === 'step.started') inFlight.add(key);
      else if (e.type === 'step.completed' || e.type === 'step.failed') inFlight.delete(key);
      route(e);
    });

    let interrupted = false;
    let wake: () => void = () => undefined;
    offInterrupt = (io.onInterrupt ?? defaultInterrupt)(() => {
      interrupted = true;
      wake();
    });

    let outcomes: RecoveryOutcome[];
    let before: Map<string, RunRecord>;
    try {
      // What each run looked like when its process stopped (resuming may move it on at once).
      before = new Map((await rt.store.recover()).map((r) => [r.id, r]));
      outcomes = await rt.recover();
    } catch (e) {
      return fail(e);
    }
    const notResumed = outcomes.filter((o): o is RecoveryOutcome & { resumed: false } => !o.resumed);
    for (const o of outcomes) {
      if (!o.resumed || o.run.status().parentRunId !== undefined) continue;
      const now = o.run.status();
      const record = before.get(o.runId) ?? now;
      const tracked: Tracked = {
        outcome: o,
        run: o.run,
        // Where the run carries on, as recovery found it from the log (the record names the last recorded step).
        from: [...(now.currentSteps.length > 0 ? now.currentSteps : record.currentSteps)],
        recordedSteps: record.headSeq,
        wasWaiting: record.status === 'waiting-approval',
        ending: null,
        tracker: new StepTracker({
          rootId: o.runId,
          autoApprove: args.autoApprove,
          onRow: (row) => table && io.stdout.write(`  ${c.dim(o.runId.slice(0, SHORT_ID))}${formatRow(row, cols, c)}`),
        }),
      };
      trackers.set(o.runId, tracked);
    }

    if (table) {
      io.stdout.write(`${c.bold('resume')} · ${c.dim(`data ${shown}`)}\n`);
      if (outcomes.length === 0) io.stdout.write(`nothing to resume: every run in ${shown} is finished\n`);
      for (const t of trackers.values()) {
        const at = t.wasWaiting ? `waiting for approval at ${t.from.join(', ')}` : `at step ${t.from.join(', ') || '—'}`;
        io.stdout.write(`${c.green('resumed')}      ${t.outcome.runId}  ${t.outcome.workflow}  ${at} (${t.recordedSteps} ${t.recordedSteps === 1 ? 'step' : 'steps'} recorded)\n`);
      }
      for (const o of notResumed) {
        io.stdout.write(`${c.red('not resumed')}  ${o.runId}  ${o.workflow}  ${o.error.code}: ${o.error.message.split('\n', 1)[0]}\n`);
      }
      if (trackers.size > 0) io.stdout.write(`\n${c.dim(`  ${'run'.padEnd(SHORT_ID)}  ${'step'.padEnd(cols.step)}  ${'agent'.padEnd(cols.agent)}  ${'ms'.padStart(10)}  outcome`)}\n`);
    }

    const rootOf = (runId: string): Tracked | undefined => {
      const slash = runId.indexOf('/');
      return trackers.get(slash < 0 ? runId : runId.slice(0, slash));
    };
    // A run that was waiting when its process stopped is not asked again: its decision (with
    // --auto-approve) is the first event, and becomes the step's row.
    const asked = new Set<string>();
    route = (e) => {
      const t = rootOf(e.runId);
      if (!t) return;
      if (e.type === 'approval.requested') asked.add(`${e.runId}\u0000${e.step}`);
      if (e.type === 'approval.decided' && !asked.has(`${e.runId}\u0000${e.step}`)) {
        t.tracker.handle({ type: 'approval.requested', runId: e.runId, step: e.step });
        t.tracker.decided(e.runId, e.step, e.approved);
        return;
      }
      t.tracker.handle(e);
    };
    early.splice(0).forEach(route);

    // Wait until every resumed run has finished, or nothing can move without a human.
    await new Promise<void>((resolve) => {
      let quietChecks = 0;
      const timer = setInterval(check, QUIET_CHECK_MS);
      wake = () => {
        clearInterval(timer);
        resolve();
      };
      function check(): void {
        if (interrupted || [...trackers.values()].every((t) => t.ending !== null)) return wake();
        quietChecks = isQuiet(rt, inFlight) ? quietChecks + 1 : 0;
        if (quietChecks >= 2) wake();
      }
      for (const t of trackers.values()) {
        t.run.result().then(
          (output) => ((t.ending = { kind: 'completed', output }), check()),
          (error: unknown) => ((t.ending = { kind: 'failed', error }), check()),
        );
      }
      check();
    });
    offInterrupt();

    const reports: ResumedRunReport[] = [];
    for (const t of trackers.values()) {
      t.tracker.finish();
      const record = t.run.status();
      const error = t.ending?.kind === 'failed' ? innerError(t.ending.error) : undefined;
      const waiting = waitingSteps(rt, t.outcome.runId);
      reports.push({
        runId: t.outcome.runId,
        workflow: t.outcome.workflow,
        resumed: true,
        status: record.status,
        from: t.from,
        recordedSteps: t.recordedSteps,
        steps: t.tracker.rows.map((r) => (r.durationMs === null ? r : { ...r, durationMs: Math.round(r.durationMs * 1000) / 1000 })),
        ...(t.ending?.kind === 'completed' && t.ending.output !== undefined ? { output: t.ending.output } : {}),
        ...(error ? { error } : {}),
        ...(waiting.length > 0 && t.ending === null ? { waiting } : {}),
      });
    }
    for (const o of notResumed) reports.push({ runId: o.runId, workflow: o.workflow, resumed: false, status: 'not-resumed', error: o.error });

    if (args.json) {
      const report: ResumeReport = { dataDir: dir, runs: reports };
      io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    } else if (trackers.size > 0) {
      io.stdout.write('\n');
      for (const r of reports) if (r.resumed) io.stdout.write(finalLine(r, c));
    }

    let code: number = ResumeExit.ok;
    for (const r of reports) {
      if (!r.resumed) {
        io.stderr.write(`troupe: ${r.error!.code}: run ${r.runId} (${r.workflow}) was not resumed: ${r.error!.message.split('\n', 1)[0]}\n`);
        code = ResumeExit.failed;
      } else if (r.status === 'failed' || r.status === 'cancelled') {
        const where = r.steps?.find((s) => s.outcome === 'failed' && s.error?.code === r.error?.code);
        io.stderr.write(`troupe: ${r.error?.code ?? 'TROUPE_RUN_FAILED'}: ${where ? `step ${where.step}: ` : ''}${(r.error?.message ?? r.status).split('\n', 1)[0]} (run ${r.runId})\n`);
        code = ResumeExit.failed;
      }
    }
    if (interrupted) {
      io.stderr.write(`troupe: interrupted; the unfinished runs stay in ${shown} ('troupe resume' carries them on)\n`);
      return ResumeExit.interrupted;
    }
    if (code !== ResumeExit.ok) return code;
    const waiting = reports.filter((r) => r.waiting !== undefined || r.status === 'waiting-approval');
    for (const r of waiting) {
      const steps = r.waiting?.join(', ') ?? '?';
      io.stderr.write(
        `troupe: run ${r.runId} is waiting for approval at step ${steps}; it stays waiting in ${shown}. ` +
          `To approve it, run 'troupe resume' again with --auto-approve.\n`,
      );
    }
    const paused = reports.filter((r) => r.status === 'paused');
    for (const r of paused) io.stderr.write(`troupe: run ${r.runId} is paused; it stays paused in ${shown} ('troupe unpause ${r.runId}', then 'troupe resume', lets it go on).\n`);
    return waiting.length > 0 || paused.length > 0 ? ResumeExit.waiting : ResumeExit.ok;
  } finally {
    offInterrupt();
    // Runs still running (interrupted) are stopped, not cancelled: they stay resumable.
    await rt.stop({ timeoutMs: 0 });
  }
}

/** Nothing can move without a human: no agent call in flight, and every active run without an active sub-run is waiting or paused. */
function isQuiet(rt: TroupeRuntime, inFlight: ReadonlySet<string>): boolean {
  if (inFlight.size > 0) return false;
  const active = rt.activeRuns();
  return active.every((r) => {
    const status = r.status().status;
    if (status === 'waiting-approval' || status === 'paused') return true;
    return active.some((o) => o.id.startsWith(`${r.id}/`));
  });
}

/** Steps waiting for approval in a run and its sub-runs (sub-run steps as `call/step`). */
function waitingSteps(rt: TroupeRuntime, rootId: string): string[] {
  const out: string[] = [];
  for (const r of rt.activeRuns()) {
    if (r.id !== rootId && !r.id.startsWith(`${rootId}/`)) continue;
    const prefix = r.id === rootId ? '' : `${r.id.slice(rootId.length + 1).replace(/:[^:/]*/g, '')}/`;
    for (const step of r.pendingApprovals()) out.push(prefix + step);
  }
  return out;
}

function finalLine(r: ResumedRunReport, c: Palette): string {
  const colour = r.status === 'completed' ? c.green : r.status === 'failed' ? c.red : c.yellow;
  const status = r.waiting ? `waiting for approval at ${r.waiting.join(', ')}` : r.status;
  const ran = r.steps?.filter((s) => s.agent !== null).length ?? 0; // a "waiting" row ran nothing
  const output = r.output === undefined ? '' : ` · output ${oneLine(r.output)}`;
  return `${colour(status)} · run ${r.runId} (${r.workflow}) · ${ran} ${ran === 1 ? 'step' : 'steps'} run after resuming${output}\n`;
}

function oneLine(value: unknown): string {
  const text = (JSON.stringify(value) ?? String(value)).replace(/\s+/g, ' ');
  return text.length <= 80 ? text : `${text.slice(0, 79)}…`;
}

function defaultInterrupt(handler: () => void): () => void {
  process.on('SIGINT', handler);
  return () => void process.off('SIGINT', handler);
}

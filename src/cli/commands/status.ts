import type { ContextEntry, RunRecord } from '../../store/index.js';
import type { StatusArgs } from '../args.js';
import { openForReading, resolveDataDir, showDir, requireRun } from '../data.js';
import { palette, type Palette } from '../format.js';
import type { CliIO } from '../io.js';

/** The document `troupe status --json` prints without a run id. */
export interface StatusListReport {
  readonly dataDir: string;
  /** Root runs, newest first (sub-runs are not listed). */
  readonly runs: readonly RunRecord[];
}

/** The document `troupe status RUN --json` prints. */
export interface StatusRunReport {
  readonly dataDir: string;
  readonly run: RunRecord;
  /** The run's context log, in order. */
  readonly entries: readonly ContextEntry[];
  /** Its sub-runs' records (delegated steps). */
  readonly subRuns: readonly RunRecord[];
}

/**
 * `troupe status [RUN]`: read-only. Without a run id, a table of the directory's runs, newest
 * first; with one, the run's record and its context log.
 *
 * @returns 0; errors (no directory, unknown run) are thrown and become one line and exit 1.
 * @throws TroupeError `TROUPE_STORE_NOT_FOUND`, `TROUPE_RUN_NOT_FOUND`, `TROUPE_STORE_CORRUPT`
 */
export async function statusCommand(args: StatusArgs, io: CliIO): Promise<number> {
  const cwd = io.cwd ?? process.cwd();
  const dir = resolveDataDir(args.data, cwd);
  const shown = showDir(dir, cwd);
  const c = palette(io.isTTY && !args.json, io.env);
  const store = await openForReading(dir, shown);
  try {
    if (args.run === null) {
      const runs = (await store.listRuns()).filter((r) => r.parentRunId === undefined).sort(newestFirst);
      if (args.json) {
        const report: StatusListReport = { dataDir: dir, runs };
        io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      } else {
        io.stdout.write(formatRunList(runs, shown, c));
      }
      return 0;
    }
    const run = await requireRun(store, args.run, dir, shown);
    const entries = await store.read(run.id);
    const subRuns = (await store.listRuns()).filter((r) => r.parentRunId === run.id).sort((a, b) => a.createdAt - b.createdAt);
    if (args.json) {
      const report: StatusRunReport = { dataDir: dir, run, entries, subRuns };
      io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    } else {
      io.stdout.write(formatRunDetail(run, entries, subRuns, c));
    }
    return 0;
  } finally {
    await store.close();
  }
}

function newestFirst(a: RunRecord, b: RunRecord): number {
  return b.createdAt - a.createdAt || b.updatedAt - a.updatedAt;
}

/**
 * The run table of `troupe status`.
 *
 * @returns text ending with a newline.
 */
export function formatRunList(runs: readonly RunRecord[], shownDir: string, c: Palette): string {
  if (runs.length === 0) return `no runs in ${shownDir}\n`;
  const rows = runs.map((r) => [r.id, r.workflow, r.status, r.currentSteps.join(', ') || '—', formatTime(r.updatedAt), String(r.headSeq)]);
  const titles = ['run', 'workflow', 'status', 'step', 'updated', 'steps'];
  const widths = titles.map((t, i) => Math.max(t.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: readonly string[], colour?: (s: string) => string): string =>
    cells
      .map((cell, i) => {
        const padded = i === cells.length - 1 ? cell.padStart(widths[i]!) : pad(cell, widths[i]!);
        return i === 2 && colour ? colour(padded) : padded;
      })
      .join('  ')
      .trimEnd();
  const head = c.dim(line(titles.map((t, i) => (i === titles.length - 1 ? t.padStart(widths[i]!) : t))));
  const body = rows.map((row, i) => line(row, statusColour(runs[i]!.status, c)));
  const plural = runs.length === 1 ? 'run' : 'runs';
  return `${head}\n${body.join('\n')}\n${c.dim(`${runs.length} ${plural} in ${shownDir}`)}\n`;
}

/**
 * One run's record and its context log, as `troupe status RUN` shows them.
 *
 * @returns text ending with a newline.
 */
export function formatRunDetail(run: RunRecord, entries: readonly ContextEntry[], subRuns: readonly RunRecord[], c: Palette): string {
  const fields: [string, string][] = [
    ['run', run.id],
    ['workflow', `${run.workflow} ${c.dim(`(definition ${run.definitionHash.slice(0, 12)})`)}`],
    ['status', statusColour(run.status, c)(run.status)],
    ['step', run.currentSteps.join(', ') || '—'],
    ['created', formatTime(run.createdAt)],
    ['updated', formatTime(run.updatedAt)],
    ['head', `seq ${run.headSeq}, ${run.headHash.slice(0, 12)}`],
  ];
  if (run.parentRunId !== undefined) fields.push(['parent', run.parentRunId]);
  fields.push(['input', short(run.input, 100)]);
  if (run.output !== undefined) fields.push(['output', short(run.output, 100)]);
  if (run.error) fields.push(['error', c.red(`${run.error.code}: ${run.error.message.split('\n', 1)[0]}`)]);
  const label = Math.max(...fields.map(([k]) => k.length));
  let out = fields.map(([k, v]) => `${pad(k, label)}  ${v}`).join('\n') + '\n';

  if (entries.length === 0) {
    out += `\n${c.dim('(the context log is empty)')}\n`;
  } else {
    const rows = entries.map((e) => [
      String(e.seq),
      e.kind,
      e.step,
      e.agent ?? '—',
      e.durationMs === undefined ? '—' : e.durationMs.toFixed(1),
      short(e.output, 60),
    ]);
    const titles = ['seq', 'kind', 'step', 'agent', 'ms', 'output'];
    const right = new Set([0, 4]);
    const widths = titles.map((t, i) => Math.max(t.length, ...rows.map((r) => r[i]!.length)));
    const line = (cells: readonly string[]): string =>
      `  ${cells.map((cell, i) => (right.has(i) ? cell.padStart(widths[i]!) : i === cells.length - 1 ? cell : pad(cell, widths[i]!))).join('  ')}`.trimEnd();
    out += `\n${c.dim(line(titles))}\n${rows.map(line).join('\n')}\n`;
  }
  if (subRuns.length > 0) {
    out += `\n${c.dim('sub-runs')}\n${subRuns.map((s) => `  ${s.id}  ${s.workflow}  ${statusColour(s.status, c)(s.status)}  ${s.headSeq} steps`).join('\n')}\n`;
  }
  return out;
}

function statusColour(status: RunRecord['status'], c: Palette): (s: string) => string {
  return status === 'completed' ? c.green : status === 'failed' ? c.red : status === 'cancelled' ? c.dim : c.yellow;
}

/** Local time, to the second: `2025-01-31 14:05:09`. */
export function formatTime(ms: number): string {
  const d = new Date(ms);
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

/** A value as one line of JSON, cut to `max` characters with an ellipsis. */
function short(value: unknown, max: number): string {
  const text = value === undefined ? '—' : (JSON.stringify(value) ?? String(value)).replace(/\s+/g, ' ');
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function pad(s: string, width: number): string {
  return s.length >= width ? s : s + ' '.repeat(width - s.length);
}

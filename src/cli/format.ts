import { sep } from 'node:path';
import type { ErrorValue } from '../errors/index.js';
import type { WorkflowDefinition } from '../workflow/index.js';

/** How one step ended, as the summary and `--json` report it. */
export type StepOutcome = 'ok' | 'failed' | 'approved' | 'rejected' | 'waiting' | 'cancelled';

/** One row of the step table (and one element of `--json`'s `steps`). */
export interface StepRow {
  /** Step id; `step.branch` for a parallel branch, `parent/step` inside a sub-workflow. */
  readonly step: string;
  readonly agent: string | null;
  readonly durationMs: number | null;
  readonly attempts: number;
  outcome: StepOutcome;
  readonly error?: ErrorValue;
}

/** Minimal ANSI styling; every function is the identity when colour is off. */
export interface Palette {
  readonly bold: (s: string) => string;
  readonly dim: (s: string) => string;
  readonly green: (s: string) => string;
  readonly red: (s: string) => string;
  readonly yellow: (s: string) => string;
}

const plain = (s: string): string => s;
const sgr = (open: number, close: number) => (s: string) => `\u001b[${open}m${s}\u001b[${close}m`;

/**
 * Colour only on a terminal, and never when `NO_COLOR` is set to a non-empty value (no-color.org).
 *
 * @param isTTY - whether stdout is a terminal.
 * @param env - the environment (`NO_COLOR`).
 * @returns the palette to render with.
 */
export function palette(isTTY: boolean, env: Readonly<Record<string, string | undefined>>): Palette {
  const on = isTTY && !env.NO_COLOR;
  if (!on) return { bold: plain, dim: plain, green: plain, red: plain, yellow: plain };
  return { bold: sgr(1, 22), dim: sgr(2, 22), green: sgr(32, 39), red: sgr(31, 39), yellow: sgr(33, 39) };
}

/** Column widths of the step table. */
export interface Columns {
  readonly step: number;
  readonly agent: number;
}

const DURATION_WIDTH = 10;

/**
 * Widths that fit every step label the workflow can produce (parallel branches as `step.branch`,
 * map items as `step[i]`), so rows printed live stay aligned.
 *
 * @param def - the workflow definition.
 * @param agents - ids of the registered agents.
 */
export function columnsFor(def: WorkflowDefinition, agents: readonly string[]): Columns {
  let step = 4;
  for (const [id, s] of Object.entries(def.steps)) {
    let len = id.length;
    if ('parallel' in s) len += 1 + Math.max(0, ...Object.keys(s.parallel).map((b) => b.length));
    if ('map' in s) len += 4;
    step = Math.max(step, len);
  }
  const agent = Math.max(5, ...agents.map((a) => a.length));
  return { step: Math.min(step, 40), agent: Math.min(agent, 32) };
}

/**
 * The header: workflow name, run id and (when given) the data directory, then the table's
 * column titles.
 *
 * @returns text ending with a newline.
 */
export function formatHeader(workflow: string, runId: string, cols: Columns, c: Palette, dataDir?: string): string {
  const titles = `  ${pad('step', cols.step)}  ${pad('agent', cols.agent)}  ${'ms'.padStart(DURATION_WIDTH)}  outcome`;
  const data = dataDir === undefined ? '' : ` · ${c.dim(`data ${dataDir}`)}`;
  return `${c.bold(workflow)} · ${c.dim(`run ${runId}`)}${data}\n\n${c.dim(titles)}\n`;
}

/**
 * One table row: step, agent, duration (ms, one decimal), outcome.
 *
 * @returns the row, ending with a newline.
 */
export function formatRow(row: StepRow, cols: Columns, c: Palette): string {
  const ms = row.durationMs === null ? '—' : row.durationMs.toFixed(1);
  return `  ${pad(row.step, cols.step)}  ${pad(row.agent ?? '—', cols.agent)}  ${ms.padStart(DURATION_WIDTH)}  ${outcomeText(row, c)}\n`;
}

function outcomeText(row: StepRow, c: Palette): string {
  const retried = row.attempts > 1 ? `retried ${row.attempts - 1} ${row.attempts === 2 ? 'time' : 'times'}` : '';
  switch (row.outcome) {
    case 'ok':
      return retried ? c.yellow(retried) : c.green('ok');
    case 'approved':
      return c.green(['approved', retried].filter(Boolean).join(', '));
    case 'rejected':
      return c.yellow(['rejected', retried].filter(Boolean).join(', '));
    case 'waiting':
      return c.yellow('waiting for approval');
    case 'cancelled':
      return c.yellow('cancelled');
    case 'failed':
      return c.red(`failed: ${row.error?.code ?? 'unknown'}${row.attempts > 1 ? ` (after ${row.attempts} attempts)` : ''}`);
  }
}

function pad(s: string, width: number): string {
  return s.length >= width ? s : s + ' '.repeat(width - s.length);
}

/**
 * The final output: a string as is (e.g. a markdown report), anything else as pretty JSON. An
 * object with multi-line top-level text fields (`markdown`, `text`, ...) is shown as that text,
 * followed by a note naming its other fields (`--json` prints them all): a report reads better
 * than its escaped JSON.
 *
 * @returns text ending with a newline (empty for `undefined`).
 */
export function formatOutput(output: unknown, c: Palette): string {
  if (output === undefined) return '';
  if (typeof output === 'string') return output.endsWith('\n') ? output : `${output}\n`;
  const json = `${JSON.stringify(output, null, 2)}\n`;
  if (typeof output !== 'object' || output === null || Array.isArray(output)) return json;
  const entries = Object.entries(output);
  const blocks = entries.filter((kv): kv is [string, string] => typeof kv[1] === 'string' && kv[1].includes('\n'));
  if (blocks.length === 0) return json;
  const others = entries.filter(([k]) => !blocks.some(([b]) => b === k)).map(([k]) => k);
  const parts = blocks.map(([k, v]) => `${blocks.length > 1 ? `${c.dim(`── ${k} ──`)}\n` : ''}${v.endsWith('\n') ? v : `${v}\n`}`);
  if (others.length > 0) parts.push(c.dim(`(the output also has ${others.join(', ')}: see --json)\n`));
  return parts.join('\n');
}

/**
 * The one-line total: status, number of steps, wall time.
 *
 * @returns the line, ending with a newline.
 */
export function formatTotal(status: string, steps: number, wallMs: number, c: Palette): string {
  const colour = status === 'completed' ? c.green : status === 'failed' ? c.red : c.yellow;
  return `${colour(status)} · ${steps} ${steps === 1 ? 'step' : 'steps'} · ${wallMs.toFixed(1)} ms\n`;
}

/**
 * The error line(s) for stderr: `troupe: CODE: message`. One line, except that an invalid
 * workflow lists its issues one a line. No stack unless `TROUPE_DEBUG=1`.
 *
 * @param e - anything thrown.
 * @param debug - append the stack.
 * @param cwd - shortened to `./`-relative paths in the message (the loader names absolute paths).
 * @returns text ending with a newline.
 */
export function formatError(e: unknown, debug: boolean, cwd?: string): string {
  const code = typeof (e as { code?: unknown })?.code === 'string' ? (e as { code: string }).code : undefined;
  const message = e instanceof Error ? e.message : typeof (e as { message?: unknown })?.message === 'string' ? (e as { message: string }).message : String(e);
  const troupe = code?.startsWith('TROUPE_') === true;
  const text = !troupe ? `internal error: ${firstLine(message)}` : code === 'TROUPE_WORKFLOW_INVALID' ? issueLines(message) : firstLine(message);
  const stack = debug && e instanceof Error && e.stack ? `\n${e.stack}` : '';
  const shown = cwd ? text.split(cwd.endsWith(sep) ? cwd : cwd + sep).join('') : text;
  return `troupe: ${troupe ? `${code}: ` : ''}${shown}${stack}\n`;
}

/** An invalid workflow's message is a heading plus one issue a line: a lone issue stands alone. */
function issueLines(message: string): string {
  const lines = message.trimEnd().split('\n');
  return lines.length === 2 ? lines[1]! : lines.join('\n');
}

function firstLine(s: string): string {
  const line = s.split('\n', 1)[0]!.trim();
  return line === '' ? s.trim().replace(/\s+/g, ' ') : line;
}

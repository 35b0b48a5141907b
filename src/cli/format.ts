import { sep } from 'node:path';
import type { ErrorValue } from '../errors/index.js';
import type { ActorInfo, EntrySummary, InspectorEvent, RunSummary, ServerMessage, Snapshot, StampedEvent } from '../inspector/index.js';
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

/** Entries of a `--run` snapshot printed (the latest ones). */
const LOG_TAIL = 50;
/** Unfinished runs listed under the runs summary. */
const RUNS_LISTED = 20;

/**
 * Renders what `troupe inspect` gets from the inspector (docs/inspector-protocol.md): readable
 * lines (time, run, event, essentials), or one JSON line each with `--json`. Remembers the live actors (to name them in `actor.stopped` and as
 * parents) and, per followed run, the last log entry the snapshot showed (the stream starts
 * before the snapshot, so an entry may come twice).
 */
export class InspectorPrinter {
  readonly #actors = new Map<string, ActorInfo>();
  readonly #shownSeq = new Map<string, number>();

  constructor(
    readonly c: Palette,
    readonly json: boolean,
  ) {}

  hello(url: string, msg: Extract<ServerMessage, { type: 'hello' }>): string {
    if (this.json) return '';
    return this.c.dim(`connected to ${url} · troupe ${msg.server.version} (pid ${msg.server.pid}) · ${msg.scope} scope`) + '\n';
  }

  snapshot(msg: Extract<ServerMessage, { type: 'snapshot' }>): string {
    const s = msg.snapshot;
    if (s.kind === 'tree') for (const a of s.actors) this.#actors.set(a.id, a);
    if (s.kind === 'run') this.#shownSeq.set(s.run.id, s.entries.at(-1)?.seq ?? 0);
    if (this.json) return `${JSON.stringify(msg)}\n`;
    return s.kind === 'runs' ? this.#runs(s.runs) : s.kind === 'run' ? this.#run(s) : this.#tree(s.actors);
  }

  events(events: readonly StampedEvent[]): string {
    let text = '';
    for (const e of events) {
      const ev = e.event;
      if (ev.type === 'context.appended' && ev.entry.seq <= (this.#shownSeq.get(ev.runId) ?? 0)) continue;
      text += this.json ? `${JSON.stringify(e)}\n` : this.#line(e.at, e.event);
      if (ev.type === 'actor.spawned') this.#actors.set(ev.actor.id, ev.actor);
      if (ev.type === 'actor.stopped') this.#actors.delete(ev.id);
    }
    return text;
  }

  #runs(runs: readonly RunSummary[]): string {
    const c = this.c;
    const roots = runs.filter((r) => r.parentRunId === undefined);
    if (roots.length === 0) return `${c.bold('no runs yet')}\n`;
    const counts = new Map<string, number>();
    for (const r of roots) counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
    const order = ['running', 'waiting-approval', 'paused', 'completed', 'failed', 'cancelled'];
    const parts = [...counts].sort((a, b) => order.indexOf(a[0]) - order.indexOf(b[0])).map(([status, n]) => statusColour(status, c)(`${n} ${status}`));
    const subs = runs.length - roots.length;
    let text = `${c.bold(`${roots.length} ${roots.length === 1 ? 'run' : 'runs'}`)}: ${parts.join(', ')}${subs > 0 ? c.dim(` (+ ${subs} sub-runs)`) : ''}\n`;
    const open = roots.filter((r) => r.status === 'running' || r.status === 'waiting-approval' || r.status === 'paused');
    for (const r of open.slice(0, RUNS_LISTED)) text += `  ${shortRunId(r.id)}  ${r.workflow}  ${statusColour(r.status, c)(r.status)}${where(r)}\n`;
    if (open.length > RUNS_LISTED) text += c.dim(`  … and ${open.length - RUNS_LISTED} more\n`);
    return text;
  }

  #run(s: Extract<Snapshot, { kind: 'run' }>): string {
    const c = this.c;
    const r = s.run;
    let text = `${c.bold(`run ${r.id}`)} · ${r.workflow} · ${statusColour(r.status, c)(r.status)}${where(r)} · head #${r.headSeq} ${r.headHash.slice(0, 12)}\n`;
    if (s.entries.length === 0) return `${text}${c.dim('  (the log is empty)')}\n`;
    if (s.entries.length > LOG_TAIL) text += c.dim(`  … ${s.entries.length - LOG_TAIL} earlier entries\n`);
    for (const e of s.entries.slice(-LOG_TAIL)) text += this.#format(e.at, r.id, 'entry', c.dim, entryText(e));
    return text;
  }

  #tree(actors: readonly ActorInfo[]): string {
    const active = actors.filter((a) => a.status === 'active');
    const kinds = new Map<string, number>();
    for (const a of active) kinds.set(a.kind, (kinds.get(a.kind) ?? 0) + 1);
    const parts = [...kinds].map(([kind, n]) => `${n} ${kind}${n === 1 ? '' : 's'}`);
    const stopped = actors.length - active.length;
    return `${this.c.bold(`actor tree: ${active.length} active`)}${parts.length > 0 ? `: ${parts.join(', ')}` : ''}${stopped > 0 ? this.c.dim(` (and ${stopped} stopped)`) : ''}\n`;
  }

  #name(id: string | undefined): string {
    return id === undefined ? '' : (this.#actors.get(id)?.name ?? id);
  }

  #line(at: number, e: InspectorEvent): string {
    const c = this.c;
    switch (e.type) {
      case 'actor.spawned':
        return this.#format(at, undefined, e.type, c.dim, `${e.actor.name} (${e.actor.kind})${e.actor.parent !== undefined ? ` under ${this.#name(e.actor.parent)}` : ''}`);
      case 'actor.stopped':
        return this.#format(at, undefined, e.type, e.status === 'error' ? c.red : c.dim, `${this.#name(e.id)} ${e.status}`);
      case 'supervisor.decision': {
        const colour = e.decision === 'failed' || e.decision === 'escalated' ? c.red : e.decision === 'restarted' ? c.yellow : c.dim;
        const delay = e.delayMs !== undefined ? ` after ${e.delayMs} ms` : '';
        return this.#format(at, undefined, e.type, colour, `${e.supervisor} → ${e.child}: ${e.decision}${delay}${e.error !== undefined ? ` (${firstLine(e.error)})` : ''}`);
      }
      case 'step.started':
        return this.#format(at, e.runId, e.type, (s) => s, `${e.step} · ${e.agent}${e.attempt > 1 ? ` · attempt ${e.attempt}` : ''}`);
      case 'step.retried':
        return this.#format(at, e.runId, e.type, c.yellow, `${e.step} · ${e.agent} · attempt ${e.attempt}`);
      case 'step.completed':
        return this.#format(at, e.runId, e.type, c.green, joined(e.step, e.agent, ms(e.durationMs), e.attempts !== undefined && e.attempts > 1 ? `after ${e.attempts} attempts` : undefined));
      case 'step.failed':
        return this.#format(at, e.runId, e.type, c.red, joined(e.step, e.agent, `${e.error.code}: ${firstLine(e.error.message)}`, ms(e.durationMs), e.attempts !== undefined && e.attempts > 1 ? `after ${e.attempts} attempts` : undefined));
      case 'step.timed-out':
        return this.#format(at, e.runId, e.type, c.red, joined(e.step, e.agent, e.timeoutMs !== undefined ? `timeout ${e.timeoutMs} ms` : undefined));
      case 'run.state':
        return this.#format(at, e.run.id, e.type, statusColour(e.run.status, c), `${e.run.workflow} → ${e.run.status}${where(e.run)}`);
      case 'approval.waiting':
        return this.#format(at, e.runId, e.type, c.yellow, `${e.step}${e.prompt !== undefined ? `: ${JSON.stringify(e.prompt)}` : ''}`);
      case 'approval.decided':
        return this.#format(at, e.runId, e.type, e.approved ? c.green : c.yellow, `${e.step}: ${e.approved ? 'approved' : 'rejected'}${e.by !== undefined ? ` by ${e.by}` : ''}${e.comment !== undefined ? ` — ${JSON.stringify(e.comment)}` : ''}`);
      case 'context.appended':
        return this.#format(at, e.runId, e.type, c.dim, entryText(e.entry));
      case 'circuit.changed':
        return this.#format(at, undefined, e.type, e.state === 'open' ? c.red : e.state === 'half-open' ? c.yellow : c.green, `${e.agent}: ${e.state}`);
      case 'reflection.decision':
        return this.#format(at, undefined, e.type, c.yellow, joined(e.kind, e.agent, short(e.detail, 80)));
      default: {
        // An event type newer than this client: its name and fields, as they came.
        const { type, ...rest } = e as { type: string };
        return this.#format(at, (rest as { runId?: string }).runId, type, (s) => s, short(rest, 100));
      }
    }
  }

  #format(at: number, runId: string | undefined, type: string, colour: (s: string) => string, detail: string): string {
    return `${this.c.dim(clock(at))}  ${pad(runId === undefined ? '' : shortRunId(runId), 8)}  ${colour(pad(type, 19))}  ${detail}\n`;
  }
}

/** A log entry: seq, kind, step, agent, duration, hash prefix, and what an approval or operator entry says. */
function entryText(e: EntrySummary): string {
  const out = (e.output ?? {}) as Record<string, unknown>;
  const by = typeof out['by'] === 'string' ? ` by ${out['by']}` : '';
  const note =
    e.kind === 'approval'
      ? `${out['approved'] === true ? 'approved' : 'rejected'}${by}`
      : e.kind === 'operator' && typeof out['command'] === 'string'
        ? `${out['command']}${by}`
        : e.kind === 'error' && typeof out['code'] === 'string'
          ? out['code']
          : undefined;
  return joined(`#${e.seq} ${e.kind} ${e.step}`, e.agent, note, ms(e.durationMs), e.hash.slice(0, 12));
}

/** A run's current steps and pending approvals, as ` at a, b · approval pending: a`. */
function where(r: RunSummary): string {
  const at = r.currentSteps.length > 0 ? ` at ${r.currentSteps.join(', ')}` : '';
  const pending = r.pendingApprovals.length > 0 ? ` · approval pending: ${r.pendingApprovals.join(', ')}` : '';
  return `${at}${pending}`;
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

/**
 * A run id short enough for a column: each UUID in it cut to its first 8 digits (a sub-run's id
 * `<parent>/<step>:<8 hex>` keeps its step), anything longer than 32 characters cut with `…`.
 */
export function shortRunId(id: string): string {
  const s = id.replace(UUID, (u) => u.slice(0, 8));
  return s.length <= 32 ? s : `${s.slice(0, 31)}…`;
}

/** Local time of day to the millisecond: `14:05:09.123`. */
export function clock(ms: number): string {
  const d = new Date(ms);
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, '0')}`;
}

function statusColour(status: string, c: Palette): (s: string) => string {
  return status === 'completed' ? c.green : status === 'failed' ? c.red : status === 'cancelled' ? c.dim : c.yellow;
}

function joined(...parts: (string | undefined)[]): string {
  return parts.filter((p): p is string => p !== undefined && p !== '').join(' · ');
}

function ms(durationMs: number | undefined): string | undefined {
  return durationMs === undefined ? undefined : `${durationMs.toFixed(1)} ms`;
}

function short(value: unknown, max: number): string {
  const text = (JSON.stringify(value) ?? String(value)).replace(/\s+/g, ' ');
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

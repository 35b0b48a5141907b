import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { TroupeError } from '../errors/index.js';
import type { Durability } from '../store/index.js';

/** Options of `troupe run`. */
export interface RunArgs {
  readonly kind: 'run';
  readonly workflow: string;
  /** The raw `--input` value: inline JSON or `@path`. */
  readonly input: string | undefined;
  readonly json: boolean;
  readonly autoApprove: boolean;
  readonly quiet: boolean;
  /** The raw `--data` value (resolved against the working directory); `./.troupe` when absent. */
  readonly data: string;
  readonly durability: Durability;
}

/** Options of `troupe status`. */
export interface StatusArgs {
  readonly kind: 'status';
  /** A run id, or `null` to list the runs. */
  readonly run: string | null;
  readonly json: boolean;
  readonly data: string;
}

/** Options of `troupe verify`. */
export interface VerifyArgs {
  readonly kind: 'verify';
  readonly run: string;
  readonly json: boolean;
  readonly data: string;
}

/** Options of `troupe approve`. */
export interface ApproveArgs {
  readonly kind: 'approve';
  readonly run: string;
  readonly step: string;
  readonly reject: boolean;
  readonly comment: string | undefined;
  readonly by: string | undefined;
  readonly data: string;
}

/** Options of `troupe pause|unpause|cancel`. */
export interface ControlArgs {
  readonly kind: 'control';
  readonly action: 'pause' | 'unpause' | 'cancel';
  readonly run: string;
  readonly data: string;
}

/** Options of `troupe gc`. */
export interface GcArgs {
  readonly kind: 'gc';
  readonly olderThan: string;
  readonly json: boolean;
  readonly data: string;
}

/** Options of `troupe resume`. */
export interface ResumeArgs {
  readonly kind: 'resume';
  /** Workflow files to load first (their agents and workflows), so their runs can resume. */
  readonly workflows: readonly string[];
  readonly json: boolean;
  readonly autoApprove: boolean;
  readonly data: string;
  readonly durability: Durability;
}

/** Options of `troupe check`. */
export interface CheckArgs {
  readonly kind: 'check';
  readonly workflow: string;
}

/** A parsed command line. */
export type CliCommand =
  | { readonly kind: 'help'; readonly topic: CommandName | null }
  | { readonly kind: 'version' }
  | RunArgs
  | CheckArgs
  | StatusArgs
  | VerifyArgs
  | ResumeArgs
  | ApproveArgs
  | GcArgs
  | ControlArgs;

/** The commands that exist (help lists exactly these). */
export const COMMANDS = ['run', 'resume', 'status', 'verify', 'approve', 'pause', 'unpause', 'cancel', 'gc', 'check'] as const;

/** A command's name. */
export type CommandName = (typeof COMMANDS)[number];

/** The data directory when `--data` is not given (resolved against the working directory). */
export const DEFAULT_DATA_DIR = './.troupe';

const HELP_HINT = "see 'troupe --help'";

/** Top-level help. */
export const MAIN_HELP = `troupe — an actor-model runtime for AI agents

Usage:
  troupe run <workflow.yaml|json> [--input JSON|@file] [--data DIR] [--json] [--auto-approve] [--quiet]
  troupe resume [<workflow.yaml|json>...] [--data DIR] [--auto-approve] [--json]
  troupe status [RUN] [--data DIR] [--json]
  troupe verify RUN [--data DIR] [--json]
  troupe approve RUN STEP [--reject] [--comment TEXT] [--by NAME] [--data DIR]
  troupe pause|unpause|cancel RUN [--data DIR]
  troupe gc --older-than AGE [--data DIR] [--json]
  troupe check <workflow.yaml|json>
  troupe --help | --version

Commands:
  run     Load a workflow and its agent modules, run it once (persisted in the data directory),
          print each step as it completes
  resume  Resume the runs of a data directory that a stopped or killed process left unfinished
  status  List the runs of a data directory, or show one run and its context log (read-only)
  verify  Recompute a run's hash-chained context log and report the first entry that does not match
  approve Record a decision for a run that waits for approval in a stopped directory (applied on resume)
  pause   Hold a run in a stopped directory: \`troupe resume\` keeps it paused (unpause lets it go on)
  cancel  Cancel a run in a stopped directory: it is never resumed
  gc      Remove finished runs older than an age, with their logs, and report what it freed
  check   Load and verify a workflow (agent modules included) without running it

Options:
  --data DIR     The data directory (one LMDB store) of run, resume, status and verify
                 (default ./.troupe, relative to the working directory)
  -h, --help     Show help (also 'troupe <command> --help')
  -v, --version  Print the version

Exit codes: 0 ok, 1 failed, 2 usage or input error, 3 left waiting for approval, 130 interrupted.
Set TROUPE_DEBUG=1 to print stack traces.
`;

const DATA_HELP = `  --data DIR          The data directory (default ./.troupe, relative to the working directory)`;

/** Help of pause, unpause and cancel: they change a run's state in a stopped data directory. */
function controlHelp(name: string, what: string): string {
  return `Usage: troupe ${name} RUN [options]

${what}
Works on a data directory no process is running (a running process holds it).

Options:
${DATA_HELP}
  -h, --help          Show this help

Exit codes: 0 done, 1 the run does not exist or its state does not allow it, or the directory is in use.
`;
}

/** Help of each command. */
export const COMMAND_HELP: Readonly<Record<CommandName, string>> = {
  run: `Usage: troupe run <workflow.yaml|json> [options]

Load the workflow and its agent modules, run it once, and print each step as it completes,
then the final output. The run and its hash-chained context log are stored in the data
directory: 'troupe status' shows it, 'troupe verify' checks it, and if this process dies,
'troupe resume' carries it on from its last committed step.

Options:
  --input JSON|@file  The run's input: inline JSON, or @path to a JSON file (default {})
${DATA_HELP}
  --durability MODE   When a step counts as done: flush (default: on disk), commit, or memory
  --json              Print only the final result as one JSON document
  --auto-approve      Approve every approval step as soon as it is reached
  --quiet             Print only the final output (no step table)
  -h, --help          Show this help

Without --auto-approve, an approval step asks on stdin: type 'approve' or 'reject [reason]'.
One process at a time runs a data directory: a second one gets TROUPE_STORE_LOCKED (status
and verify still work).
Exit codes: 0 completed, 1 failed, 2 usage or input error, 3 stdin ended while waiting for
approval (the run stays waiting in the data directory), 130 interrupted (the run is cancelled).
`,
  resume: `Usage: troupe resume [<workflow.yaml|json>...] [options]

Resume every unfinished run of the data directory (running or waiting for approval when its
process stopped or was killed): each is rebuilt from its committed context log — recorded steps
are replayed, never re-executed — and carries on from the step that was in flight. Prints each
run's outcome, then waits for the resumed runs to finish.

Each run records the workflow file it was started from; resume loads those files (their agent
modules and workflows). Name workflow files to load others instead (e.g. after moving them). A run
whose workflow cannot be loaded is reported as not resumed and left as it is.

Options:
${DATA_HELP}
  --durability MODE   When a step counts as done: flush (default: on disk), commit, or memory
  --auto-approve      Approve every approval step, including those a run was waiting at
  --json              Print only one JSON document with every run's outcome
  -h, --help          Show this help

Without --auto-approve, a run that reaches (or was waiting at) an approval step is reported as
waiting and left in the data directory; run 'troupe resume' again with --auto-approve to
approve it.
Exit codes: 0 every resumed run completed (or nothing to resume), 1 a run failed or could not
be resumed, 2 usage error, 3 a run is left waiting for approval, 130 interrupted (the runs stay
resumable).
`,
  status: `Usage: troupe status [RUN] [options]

Without RUN: list the runs of the data directory, newest first — id, workflow, status
(running, waiting-approval, paused, completed, failed, cancelled), current step, last update
and number of logged steps. Sub-runs are not listed; 'troupe status <sub-run id>' shows one.
With RUN: that run's record and its context log (seq, kind, step, agent, duration, output).
Read-only: works while another process runs the directory.

Options:
${DATA_HELP}
  --json              Print the run records (and the run's log entries) as one JSON document
  -h, --help          Show this help
`,
  pause: controlHelp('pause', 'Pause the run: when `troupe resume` picks the directory up, the run stays paused (its\nstep in flight, if any, waits too) until `troupe unpause RUN`.'),
  unpause: controlHelp('unpause', 'Let a paused run carry on: the next `troupe resume` continues it.'),
  cancel: controlHelp('cancel', 'Cancel the run and its sub-runs: they are never resumed.'),
  gc: `Usage: troupe gc --older-than AGE [options]

Retention: remove finished runs (completed, failed, cancelled) last updated more than AGE ago
(e.g. 7d, 12h, 30m), with their context logs, snapshots and recorded decisions, and report what it
freed. Runs in progress are never touched. Needs the directory to itself (a running process holds it).

Options:
${DATA_HELP}
  --older-than AGE    The age: a number with ms, s, m, h or d
  --json              Print { dataDir, runs, entries, runIds } as one JSON document
  -h, --help          Show this help

Exit codes: 0 done (also when nothing was old enough), 1 the directory is missing or in use, 2 a bad AGE.
`,
  approve: `Usage: troupe approve RUN STEP [options]

Record a human decision for a run that waits for approval at STEP, in a data directory no process
is running (a running process holds the directory: decide through its API instead). The decision
is applied when the run resumes (\`troupe resume <workflow> --data DIR\`).

Options:
${DATA_HELP}
  --reject            Reject instead of approve (the run takes the step's reject branch, or fails)
  --comment TEXT      Why, kept in the run's log
  --by NAME           Who decided, kept in the run's log
  -h, --help          Show this help

Exit codes: 0 recorded, 1 the run does not exist or does not wait at STEP, or the directory is in use.
`,
  verify: `Usage: troupe verify RUN [options]

Recompute the run's hash chain from its genesis (workflow definition hash and input) and check
it against the head the run record keeps. Prints "ok: run RUN, N entries, head <hash>", or
TROUPE_CHAIN_BROKEN naming the first entry that does not match (a changed, removed, reordered or
truncated entry). Read-only: works while another process runs the directory.

Options:
${DATA_HELP}
  --json              Print the result as one JSON document
  -h, --help          Show this help

Exit codes: 0 the chain verifies, 1 it does not (or the run or directory does not exist).
`,
  check: `Usage: troupe check <workflow.yaml|json>

Load and verify a workflow without running it: its schema, step references, reachability,
cycle bounds and expressions, and that its agent modules load and provide every agent and
capability it names. Prints "ok: <name> (...)" and any warnings. Touches no data directory.

Options:
  -h, --help  Show this help
`,
};

const RUN_OPTIONS = {
  durability: { type: 'string' },
  input: { type: 'string' },
  json: { type: 'boolean' },
  'auto-approve': { type: 'boolean' },
  quiet: { type: 'boolean' },
  data: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

const STATUS_OPTIONS = {
  json: { type: 'boolean' },
  data: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

const APPROVE_OPTIONS = {
  reject: { type: 'boolean' },
  comment: { type: 'string' },
  by: { type: 'string' },
  data: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

const CONTROL_OPTIONS = {
  data: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

const GC_OPTIONS = {
  'older-than': { type: 'string' },
  json: { type: 'boolean' },
  data: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

const RESUME_OPTIONS = {
  durability: { type: 'string' },
  json: { type: 'boolean' },
  'auto-approve': { type: 'boolean' },
  data: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

const CHECK_OPTIONS = { help: { type: 'boolean', short: 'h' } } as const satisfies ParseArgsConfig['options'];
const GLOBAL_OPTIONS = { help: { type: 'boolean', short: 'h' }, version: { type: 'boolean', short: 'v' } } as const satisfies ParseArgsConfig['options'];

/**
 * Parse the command line (without `node` and the script).
 *
 * @param argv - e.g. `['run', 'workflow.yaml', '--json']`.
 * @returns the command and its options.
 * @throws TroupeError `TROUPE_CLI_USAGE` for an unknown command or flag, a missing or extra argument.
 * @example
 * ```ts
 * parseCommandLine(['check', 'wf.yaml']); // { kind: 'check', workflow: 'wf.yaml' }
 * ```
 */
export function parseCommandLine(argv: readonly string[]): CliCommand {
  const [first, ...rest] = argv;
  if (first === undefined) throw usage(`missing command (${COMMANDS.join(', ')})`);
  if (first.startsWith('-')) {
    const { values } = parse(argv, GLOBAL_OPTIONS, 0);
    if (values.help) return { kind: 'help', topic: null };
    return { kind: 'version' };
  }
  if (first === 'help') {
    const topic = rest[0];
    if (topic === undefined) return { kind: 'help', topic: null };
    if (isCommand(topic)) return { kind: 'help', topic };
    throw usage(`unknown command "${topic}" (commands: ${COMMANDS.join(', ')})`);
  }
  if (first === 'run') {
    const { values, positionals } = parse(rest, RUN_OPTIONS, 1);
    if (values.help) return { kind: 'help', topic: 'run' };
    return {
      kind: 'run',
      workflow: onePositional('run', positionals),
      input: values.input,
      json: values.json === true,
      autoApprove: values['auto-approve'] === true,
      quiet: values.quiet === true,
      data: dataFlag(values.data),
      durability: durabilityFlag(values.durability),
    };
  }
  if (first === 'status') {
    const { values, positionals } = parse(rest, STATUS_OPTIONS, 1);
    if (values.help) return { kind: 'help', topic: 'status' };
    if (positionals.length > 1) throw usage(`status: unexpected argument "${positionals[1]}" (takes at most one run id)`);
    return { kind: 'status', run: positionals[0] ?? null, json: values.json === true, data: dataFlag(values.data) };
  }
  if (first === 'verify') {
    const { values, positionals } = parse(rest, STATUS_OPTIONS, 1);
    if (values.help) return { kind: 'help', topic: 'verify' };
    if (positionals.length === 0) throw usage('verify: missing argument RUN (a run id; `troupe status` lists them)');
    if (positionals.length > 1) throw usage(`verify: unexpected argument "${positionals[1]}" (takes one run id)`);
    return { kind: 'verify', run: positionals[0]!, json: values.json === true, data: dataFlag(values.data) };
  }
  if (first === 'pause' || first === 'unpause' || first === 'cancel') {
    const { values, positionals } = parse(rest, CONTROL_OPTIONS, 1);
    if (values.help) return { kind: 'help', topic: first };
    if (positionals.length === 0) throw usage(`${first}: missing argument RUN (a run id; \`troupe status\` lists them)`);
    return { kind: 'control', action: first, run: positionals[0]!, data: dataFlag(values.data) };
  }
  if (first === 'gc') {
    const { values } = parse(rest, GC_OPTIONS, 0);
    if (values.help) return { kind: 'help', topic: 'gc' };
    if (values['older-than'] === undefined) throw usage('gc: missing flag --older-than AGE (e.g. 7d, 12h, 30m)');
    return { kind: 'gc', olderThan: values['older-than'], json: values.json === true, data: dataFlag(values.data) };
  }
  if (first === 'approve') {
    const { values, positionals } = parse(rest, APPROVE_OPTIONS, 2);
    if (values.help) return { kind: 'help', topic: 'approve' };
    if (positionals.length < 2) throw usage('approve: missing arguments RUN STEP (a run id and the step that waits; `troupe status` lists them)');
    return {
      kind: 'approve',
      run: positionals[0]!,
      step: positionals[1]!,
      reject: values.reject === true,
      comment: values.comment,
      by: values.by,
      data: dataFlag(values.data),
    };
  }
  if (first === 'resume') {
    const { values, positionals } = parse(rest, RESUME_OPTIONS, Infinity);
    if (values.help) return { kind: 'help', topic: 'resume' };
    return {
      kind: 'resume',
      workflows: positionals,
      json: values.json === true,
      autoApprove: values['auto-approve'] === true,
      data: dataFlag(values.data),
      durability: durabilityFlag(values.durability),
    };
  }
  if (first === 'check') {
    const { values, positionals } = parse(rest, CHECK_OPTIONS, 1);
    if (values.help) return { kind: 'help', topic: 'check' };
    return { kind: 'check', workflow: onePositional('check', positionals) };
  }
  throw usage(`unknown command "${first}" (commands: ${COMMANDS.join(', ')})`);
}

function isCommand(name: string): name is CommandName {
  return (COMMANDS as readonly string[]).includes(name);
}

function dataFlag(value: string | undefined): string {
  if (value === undefined) return DEFAULT_DATA_DIR;
  if (value.trim() === '') throw usage('flag --data needs a directory');
  return value;
}

function parse<O extends NonNullable<ParseArgsConfig['options']>>(args: readonly string[], options: O, maxPositionals: number) {
  try {
    const parsed = parseArgs({ args: [...args], options, strict: true, allowPositionals: maxPositionals > 0 });
    return parsed;
  } catch (e) {
    throw usage(describeParseError(e));
  }
}

function onePositional(command: string, positionals: readonly string[]): string {
  if (positionals.length === 0) throw usage(`${command}: missing argument <workflow.yaml|json>`);
  if (positionals.length > 1) throw usage(`${command}: unexpected argument "${positionals[1]}" (takes one workflow file)`);
  return positionals[0]!;
}

/** `--durability`: when a step counts as done (flush, the default; commit; memory). */
function durabilityFlag(value: string | undefined): Durability {
  if (value === undefined) return 'flush';
  if (value === 'flush' || value === 'commit' || value === 'memory') return value;
  throw usage(`flag --durability must be flush, commit or memory, got ${JSON.stringify(value)}`);
}

/** Turn `parseArgs`' long messages into one short clause naming the flag. */
function describeParseError(e: unknown): string {
  const code = (e as { code?: string }).code;
  const message = e instanceof Error ? e.message : String(e);
  const flag = /'(-[^' ]+)/.exec(message)?.[1];
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown flag ${flag ?? message}`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return /argument missing/.test(message) ? `flag ${flag ?? ''} needs a value` : `flag ${flag ?? ''} takes no value`;
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument ${/'([^']*)'/.exec(message)?.[1] ?? ''}`.trim();
    default:
      return message.split('\n', 1)[0]!;
  }
}

/**
 * The `TROUPE_CLI_USAGE` error for a bad command line; its message ends with a hint to `--help`.
 *
 * @param detail - what is wrong, naming the flag or argument.
 */
export function usage(detail: string): TroupeError {
  return new TroupeError('TROUPE_CLI_USAGE', `${detail}; ${HELP_HINT}`);
}

/**
 * Resolve the `--input` flag: inline JSON, `@path` to a JSON file, or `{}` when absent.
 *
 * @param value - the flag's raw value.
 * @param cwd - directory a relative `@path` resolves against.
 * @returns the parsed input.
 * @throws TroupeError `TROUPE_CLI_INPUT_INVALID` naming the flag (and file) and the JSON error's line and column.
 */
export async function readInputFlag(value: string | undefined, cwd: string): Promise<unknown> {
  if (value === undefined) return {};
  if (!value.startsWith('@')) return parseJson(value, '--input');
  const path = value.slice(1);
  if (path === '') throw new TroupeError('TROUPE_CLI_INPUT_INVALID', '--input @: missing file name after @');
  let text: string;
  try {
    text = await readFile(resolve(cwd, path), 'utf8');
  } catch (e) {
    const code = (e as { code?: string }).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code ?? (e instanceof Error ? e.message : String(e));
    throw new TroupeError('TROUPE_CLI_INPUT_INVALID', `--input @${path}: cannot read ${path}: ${why}`, { cause: e, data: { flag: '--input', file: path } });
  }
  return parseJson(text, `--input @${path}`, path);
}

function parseJson(text: string, what: string, file?: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    const raw = e instanceof Error ? e.message : String(e);
    const at = /\bat position (\d+)/.exec(raw);
    const position = at ? Number(at[1]) : /Unexpected end of JSON input/.test(raw) ? text.length : undefined;
    const reason = raw.replace(/ in JSON at position \d+.*$/, '').replace(/^Unexpected end of JSON input$/, 'unexpected end of input');
    const where = position === undefined ? '' : ` at ${lineColumn(text, position)}`;
    throw new TroupeError('TROUPE_CLI_INPUT_INVALID', `${what}: invalid JSON${where}: ${reason}`, {
      cause: e,
      data: { flag: '--input', ...(file ? { file } : {}), ...(position === undefined ? {} : { position }) },
    });
  }
}

function lineColumn(text: string, position: number): string {
  const before = text.slice(0, position);
  const line = before.split('\n').length;
  const column = position - before.lastIndexOf('\n');
  return `line ${line}, column ${column} (position ${position})`;
}

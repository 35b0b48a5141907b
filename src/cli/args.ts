import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { TroupeError } from '../errors/index.js';

/** Options of `troupe run`. */
export interface RunArgs {
  readonly kind: 'run';
  readonly workflow: string;
  /** The raw `--input` value: inline JSON or `@path`. */
  readonly input: string | undefined;
  readonly json: boolean;
  readonly autoApprove: boolean;
  readonly quiet: boolean;
}

/** Options of `troupe check`. */
export interface CheckArgs {
  readonly kind: 'check';
  readonly workflow: string;
}

/** A parsed command line. */
export type CliCommand = { readonly kind: 'help'; readonly topic: 'run' | 'check' | null } | { readonly kind: 'version' } | RunArgs | CheckArgs;

/** The commands that exist (help lists exactly these). */
export const COMMANDS = ['run', 'check'] as const;

const HELP_HINT = "see 'troupe --help'";

/** Top-level help. */
export const MAIN_HELP = `troupe — an actor-model runtime for AI agents

Usage:
  troupe run <workflow.yaml|json> [--input JSON|@file] [--json] [--auto-approve] [--quiet]
  troupe check <workflow.yaml|json>
  troupe --help | --version

Commands:
  run     Load a workflow and its agent modules, run it once, print each step as it completes
  check   Load and verify a workflow (agent modules included) without running it

Options:
  -h, --help     Show help (also 'troupe <command> --help')
  -v, --version  Print the version

Exit codes: 0 ok, 1 failed, 2 usage or input error, 3 left waiting for approval, 130 interrupted.
Set TROUPE_DEBUG=1 to print stack traces.
`;

/** Help of each command. */
export const COMMAND_HELP: Readonly<Record<'run' | 'check', string>> = {
  run: `Usage: troupe run <workflow.yaml|json> [options]

Load the workflow and its agent modules, run it once, and print each step as it completes,
then the final output.

Options:
  --input JSON|@file  The run's input: inline JSON, or @path to a JSON file (default {})
  --json              Print only the final result as one JSON document
  --auto-approve      Approve every approval step as soon as it is reached
  --quiet             Print only the final output (no step table)
  -h, --help          Show this help

Without --auto-approve, an approval step asks on stdin: type 'approve' or 'reject [reason]'.
Exit codes: 0 completed, 1 failed, 2 usage or input error, 3 stdin ended while waiting for
approval, 130 interrupted.
`,
  check: `Usage: troupe check <workflow.yaml|json>

Load and verify a workflow without running it: its schema, step references, reachability,
cycle bounds and expressions, and that its agent modules load and provide every agent and
capability it names. Prints "ok: <name> (...)" and any warnings.

Options:
  -h, --help  Show this help
`,
};

const RUN_OPTIONS = {
  input: { type: 'string' },
  json: { type: 'boolean' },
  'auto-approve': { type: 'boolean' },
  quiet: { type: 'boolean' },
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
    if (topic === 'run' || topic === 'check') return { kind: 'help', topic };
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
    };
  }
  if (first === 'check') {
    const { values, positionals } = parse(rest, CHECK_OPTIONS, 1);
    if (values.help) return { kind: 'help', topic: 'check' };
    return { kind: 'check', workflow: onePositional('check', positionals) };
  }
  throw usage(`unknown command "${first}" (commands: ${COMMANDS.join(', ')})`);
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

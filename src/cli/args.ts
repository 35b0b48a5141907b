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

/** Options of `troupe serve`. */
export interface ServeArgs {
  readonly kind: 'serve';
  readonly host: string;
  readonly port: number;
  readonly data: string;
  /** A directory of workflow files to load (`POST /runs` starts them by name). */
  readonly workflows: string | undefined;
  /** The operator token from `--token` (the command falls back to `TROUPE_TOKEN`). */
  readonly token: string | undefined;
  /** The read-only token from `--read-token` (the command falls back to `TROUPE_READ_TOKEN`). */
  readonly readToken: string | undefined;
  /** Browser origins allowed besides the server's own (`--origin`, repeatable). */
  readonly origins: readonly string[];
  readonly durability: Durability;
  /** How often the inspector sends its all-runs digest, in ms (`--digest-ms`); `undefined`: the server's default. */
  readonly digestMs: number | undefined;
}

/** Options of `troupe inspect`. */
export interface InspectArgs {
  readonly kind: 'inspect';
  /** The inspector's WebSocket URL (`ws://` or `wss://`; a bare host gets the path `/inspect`). */
  readonly url: string;
  /** The token from `--token` (the command falls back to `TROUPE_TOKEN`, then `TROUPE_READ_TOKEN`). */
  readonly token: string | undefined;
  /** Follow only this run (`--run`); `undefined` follows every run. */
  readonly run: string | undefined;
  /** Also follow the actor tree (`--tree`). */
  readonly tree: boolean;
  readonly json: boolean;
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
  | ControlArgs
  | ServeArgs
  | InspectArgs;

/** The commands that exist (help lists exactly these). */
export const COMMANDS = ['run', 'resume', 'serve', 'inspect', 'status', 'verify', 'approve', 'pause', 'unpause', 'cancel', 'gc', 'check'] as const;

/** A command's name. */
export type CommandName = (typeof COMMANDS)[number];

export { MAIN_HELP, COMMAND_HELP } from './help.js';

/** Where `troupe serve` listens when `--host` / `--port` are not given. */
export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 7070;

/** The data directory when `--data` is not given (resolved against the working directory). */
export const DEFAULT_DATA_DIR = './.troupe';

const HELP_HINT = "see 'troupe --help'";


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

const SERVE_OPTIONS = {
  host: { type: 'string' },
  port: { type: 'string' },
  data: { type: 'string' },
  workflows: { type: 'string' },
  token: { type: 'string' },
  'read-token': { type: 'string' },
  origin: { type: 'string', multiple: true },
  durability: { type: 'string' },
  'digest-ms': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

const INSPECT_OPTIONS = {
  token: { type: 'string' },
  run: { type: 'string' },
  tree: { type: 'boolean' },
  json: { type: 'boolean' },
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
  if (first === 'serve') {
    const { values } = parse(rest, SERVE_OPTIONS, 0);
    if (values.help) return { kind: 'help', topic: 'serve' };
    return {
      kind: 'serve',
      host: nonEmpty('--host', values.host) ?? DEFAULT_HOST,
      port: portFlag(values.port),
      data: dataFlag(values.data),
      workflows: nonEmpty('--workflows', values.workflows),
      token: nonEmpty('--token', values.token),
      readToken: nonEmpty('--read-token', values['read-token']),
      origins: values.origin ?? [],
      durability: durabilityFlag(values.durability),
      digestMs: digestFlag(values['digest-ms']),
    };
  }
  if (first === 'inspect') {
    const { values, positionals } = parse(rest, INSPECT_OPTIONS, 1);
    if (values.help) return { kind: 'help', topic: 'inspect' };
    if (positionals.length === 0) throw usage('inspect: missing argument URL (the inspector of `troupe serve`, e.g. ws://127.0.0.1:7070/inspect)');
    return {
      kind: 'inspect',
      url: inspectorUrl(positionals[0]!),
      token: nonEmpty('--token', values.token),
      run: nonEmpty('--run', values.run),
      tree: values.tree === true,
      json: values.json === true,
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

function nonEmpty(flag: string, value: string | undefined): string | undefined {
  if (value !== undefined && value.trim() === '') throw usage(`flag ${flag} needs a value`);
  return value;
}

/**
 * `troupe inspect`'s URL: `ws://` or `wss://` (an `http(s)://` URL is named with its WebSocket
 * form in the error); a URL without a path gets `/inspect`, where `troupe serve` hosts it.
 */
function inspectorUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw usage(`inspect: URL must be a ws:// or wss:// URL, e.g. ws://127.0.0.1:7070/inspect, got ${JSON.stringify(value)}`);
  }
  if (url.protocol === 'http:' || url.protocol === 'https:') {
    const ws = `${url.protocol === 'https:' ? 'wss' : 'ws'}://${url.host}${url.pathname === '/' ? '/inspect' : url.pathname}`;
    throw usage(`inspect: URL must be ws:// or wss://, got ${JSON.stringify(value)} (did you mean ${ws}?)`);
  }
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') throw usage(`inspect: URL must be ws:// or wss://, e.g. ws://127.0.0.1:7070/inspect, got ${JSON.stringify(value)}`);
  if (url.username !== '' || url.password !== '') throw usage('inspect: the URL must not carry credentials: pass --token or set TROUPE_TOKEN');
  if (url.pathname === '/') url.pathname = '/inspect';
  url.hash = '';
  return url.href;
}

/** `--port`: an integer from 0 (any free port) to 65535. */
function portFlag(value: string | undefined): number {
  if (value === undefined) return DEFAULT_PORT;
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) throw usage(`flag --port must be an integer from 0 to 65535, got ${JSON.stringify(value)}`);
  return port;
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
function digestFlag(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = Number(value);
  if (!/^\d+$/.test(value) || ms < 10 || ms > 60_000) throw usage(`flag --digest-ms must be an integer from 10 to 60000 (milliseconds), got ${JSON.stringify(value)}`);
  return ms;
}

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

export { readInputFlag } from './input-flag.js';

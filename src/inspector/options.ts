import { readdir } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import { TroupeError } from '../errors/index.js';
import { isLoopbackHost, normalizeOrigin } from './origin.js';
import type { ServedRuntime, ServerOptions } from './types.js';

/** Server options with their defaults filled in and checked. */
export interface CheckedOptions extends ServerOptions {
  readonly host: string;
  readonly port: number;
  readonly origins: readonly string[];
  readonly maxBodyBytes: number;
  readonly sessionTtlMs: number;
}

const DEFAULTS = { host: '127.0.0.1', port: 7070, maxBodyBytes: 1024 * 1024, sessionTtlMs: 12 * 60 * 60 * 1000 } as const;
const WORKFLOW_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

/**
 * Fill in defaults and refuse what is unsafe or malformed.
 *
 * @throws TroupeError `TROUPE_SERVER_OPTIONS_INVALID` naming the option
 */
export function checkOptions(options: ServerOptions): CheckedOptions {
  const host = options.host ?? DEFAULTS.host;
  const port = options.port ?? DEFAULTS.port;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULTS.maxBodyBytes;
  const sessionTtlMs = options.sessionTtlMs ?? DEFAULTS.sessionTtlMs;
  if (host.trim() === '') throw invalid('host', 'host: expected an interface to bind, e.g. 127.0.0.1');
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw invalid('port', `port: expected an integer from 0 to 65535, got ${port}`);
  if (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes < 1) throw invalid('maxBodyBytes', `maxBodyBytes: expected an integer >= 1, got ${maxBodyBytes}`);
  if (!Number.isSafeInteger(sessionTtlMs) || sessionTtlMs < 1000) throw invalid('sessionTtlMs', `sessionTtlMs: expected an integer >= 1000, got ${sessionTtlMs}`);
  for (const name of ['token', 'readToken'] as const) {
    const t = options[name];
    if (t !== undefined && (typeof t !== 'string' || t === '' || /\s/.test(t))) throw invalid(name, `${name}: expected a non-empty string without whitespace`);
  }
  if (options.token !== undefined && options.token === options.readToken) {
    throw invalid('readToken', 'readToken: must differ from token (the operator token), or a read-only client could act');
  }
  if (options.token === undefined && options.readToken === undefined && !isLoopbackHost(host)) {
    throw invalid(
      'host',
      `refusing to listen on ${host} without a token: anyone who can reach it could start, approve and cancel runs. ` +
        'Set a token (--token or TROUPE_TOKEN), or bind to 127.0.0.1',
    );
  }
  const origins = (options.origins ?? []).map(normalizeOrigin);
  return { ...options, host, port, origins, maxBodyBytes, sessionTtlMs };
}

/**
 * Load every `.yaml`, `.yml` and `.json` file of a directory (not its subdirectories) into the
 * runtime, in name order.
 *
 * @returns workflow name → file.
 * @throws TroupeError `TROUPE_SERVER_OPTIONS_INVALID` (no such directory, two files with one
 *   workflow name), and what `runtime.load` throws for a bad file
 */
export async function loadWorkflowsDir(runtime: ServedRuntime, dir: string): Promise<Map<string, string>> {
  let names: string[];
  try {
    names = (await readdir(dir, { withFileTypes: true })).filter((d) => d.isFile() && WORKFLOW_EXTENSIONS.has(extname(d.name).toLowerCase())).map((d) => d.name);
  } catch (e) {
    throw new TroupeError('TROUPE_SERVER_OPTIONS_INVALID', `workflowsDir: cannot read ${dir}: ${(e as Error).message}`, { cause: e, data: { option: 'workflowsDir', dir } });
  }
  const loaded = new Map<string, string>();
  for (const name of names.sort()) {
    const file = resolve(join(dir, name));
    const workflow = await runtime.load(file);
    const other = loaded.get(workflow);
    if (other !== undefined) throw invalid('workflowsDir', `workflowsDir: ${other} and ${file} both define workflow ${workflow}`, { dir });
    loaded.set(workflow, file);
  }
  return loaded;
}

function invalid(option: string, message: string, data: Record<string, unknown> = {}): TroupeError {
  return new TroupeError('TROUPE_SERVER_OPTIONS_INVALID', message, { data: { option, ...data } });
}

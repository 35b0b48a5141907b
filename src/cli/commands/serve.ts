import { resolve } from 'node:path';
import { createRuntime, type TroupeRuntime } from '../../index.js';
import { createServer, isLoopbackHost, type TroupeServer } from '../../inspector/index.js';
import { usage, type ServeArgs } from '../args.js';
import { resolveDataDir, showDir, unfinishedSources } from '../data.js';
import { formatError } from '../format.js';
import type { CliIO } from '../io.js';

/** Exit codes of `troupe serve`. */
export const ServeExit = { ok: 0, failed: 1, usage: 2 } as const;

/** How long a stop waits for steps in flight before it checkpoints them (they resume on the next start). */
const DRAIN_MS = 5_000;
/** How long a stop waits for HTTP requests in flight. */
const GRACE_MS = 5_000;

/**
 * `troupe serve`: open the data directory, load `--workflows`, resume the directory's unfinished
 * runs, and serve the HTTP API until SIGINT or SIGTERM; then stop accepting, let steps in flight
 * finish (or checkpoint them), flush and close the store.
 *
 * @returns 0 after a signal's clean stop; 1 when it cannot start (the directory is locked, the
 *   port is in use, a workflow file does not load).
 * @throws TroupeError `TROUPE_CLI_USAGE` for a non-loopback `--host` without a token (exit 2).
 */
export async function serveCommand(args: ServeArgs, io: CliIO): Promise<number> {
  const cwd = io.cwd ?? process.cwd();
  const dataDir = resolveDataDir(args.data, cwd);
  const shown = showDir(dataDir, cwd);
  const debug = io.env.TROUPE_DEBUG === '1';
  const token = args.token ?? fromEnv(io.env.TROUPE_TOKEN);
  const readToken = args.readToken ?? fromEnv(io.env.TROUPE_READ_TOKEN);
  if (token === undefined && readToken === undefined && !isLoopbackHost(args.host)) {
    throw usage(`refusing to listen on ${args.host} without a token (anyone who can reach it could start, approve and cancel runs): set --token or TROUPE_TOKEN, or use --host 127.0.0.1`);
  }
  // Signals that arrive while starting stop the server as soon as it is up.
  let stopRequested: (signal: string) => void = () => undefined;
  const stop = new Promise<string>((resolve) => (stopRequested = resolve));
  const offInterrupt = (io.onInterrupt ?? onSigint)(() => stopRequested('SIGINT'));
  const onSigterm = (): void => stopRequested('SIGTERM');
  process.once('SIGTERM', onSigterm);

  let rt: TroupeRuntime | undefined;
  let server: TroupeServer | undefined;
  try {
    rt = await createRuntime({ dataDir, durability: args.durability });
    server = await createServer({
      runtime: rt,
      ...(args.workflows !== undefined ? { workflowsDir: resolve(cwd, args.workflows) } : {}),
      token,
      readToken,
      host: args.host,
      port: args.port,
      origins: args.origins,
      ...(args.digestMs !== undefined ? { inspector: { digestFlushMs: args.digestMs } } : {}),
      onError: (e, req) => io.stderr.write(`troupe serve: ${req.method} ${req.path}: ${formatError(e, debug, cwd).replace(/^troupe: /, '')}`),
    });
    await resumeUnfinished(rt, server, io, cwd);
    await server.listen();
    const auth = token !== undefined ? `operator token${readToken !== undefined ? ' and read token' : ''}` : readToken !== undefined ? 'read token (read-only)' : 'none (loopback only)';
    const names = [...server.workflows.keys()];
    io.stdout.write(`troupe serve: listening on ${server.url()} · data ${shown} · workflows ${names.length > 0 ? names.join(', ') : 'none'} · auth ${auth}\n`);

    const signal = await stop;
    io.stdout.write(`troupe serve: ${signal}: stopping (requests and steps in flight finish, then the store closes)\n`);
    await server.close({ graceMs: GRACE_MS });
    await rt.stop({ timeoutMs: DRAIN_MS });
    io.stdout.write('troupe serve: stopped\n');
    return ServeExit.ok;
  } catch (e) {
    io.stderr.write(formatError(e, debug, cwd));
    return ServeExit.failed;
  } finally {
    offInterrupt();
    process.off('SIGTERM', onSigterm);
    await server?.close({ graceMs: 0 });
    await rt?.stop({ timeoutMs: 0 });
  }
}

/**
 * Load the workflow files the directory's unfinished runs were started from (those not loaded
 * from `--workflows` already), then resume the runs; report what could not be loaded or resumed.
 */
async function resumeUnfinished(rt: TroupeRuntime, server: TroupeServer, io: CliIO, cwd: string): Promise<void> {
  const loaded = new Set(server.workflows.values());
  for (const source of await unfinishedSources(rt.store)) {
    if (loaded.has(source)) continue;
    try {
      await rt.load(source);
    } catch (e) {
      io.stderr.write(`troupe serve: cannot load ${source} to resume its runs: ${formatError(e, false, cwd).replace(/^troupe: /, '')}`);
    }
  }
  const outcomes = await rt.recover();
  const resumed = outcomes.filter((o) => o.resumed && o.run.status().parentRunId === undefined).length;
  if (resumed > 0) io.stdout.write(`troupe serve: resumed ${resumed} unfinished ${resumed === 1 ? 'run' : 'runs'}\n`);
  for (const o of outcomes) {
    if (!o.resumed) io.stderr.write(`troupe serve: run ${o.runId} (${o.workflow}) was not resumed: ${o.error.code}: ${o.error.message.split('\n', 1)[0]}\n`);
  }
}

/** An environment variable's value, unset when empty. */
function fromEnv(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

function onSigint(handler: () => void): () => void {
  process.on('SIGINT', handler);
  return () => void process.off('SIGINT', handler);
}

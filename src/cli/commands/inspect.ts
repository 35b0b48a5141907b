import type { IncomingMessage } from 'node:http';
import { WebSocket, type RawData } from 'ws';
import { PROTOCOL_NAME, PROTOCOL_VERSION, type ServerMessage, type StampedEvent, type SubscriptionTarget } from '../../inspector/index.js';
import type { InspectArgs } from '../args.js';
import { InspectorPrinter, palette } from '../format.js';
import type { CliIO } from '../io.js';

/** Exit codes of `troupe inspect`. */
export const InspectExit = { ok: 0, failed: 1, interrupted: 130 } as const;

/** How long the WebSocket handshake may take. */
const HANDSHAKE_TIMEOUT_MS = 10_000;
/** The server is pinged this often; one that answered nothing since the previous ping is gone. */
const HEARTBEAT_MS = 15_000;
/** Bytes of a refused upgrade's body read for its message. */
const MAX_REFUSAL_BYTES = 4096;

/**
 * `troupe inspect URL`: connect to the live inspector of a `troupe serve`, subscribe to every run
 * (or one with `--run`, and the actor tree with `--tree`), print the snapshot as a summary, then
 * one line per event (or one JSON line each with `--json`) until Ctrl-C or the server closes.
 * It does not reconnect.
 *
 * @returns 130 on Ctrl-C; 1 when it cannot connect (refused, 401, 403, 404, 503), the `--run` run
 *   does not exist, or the server closes the connection; 0 when stdout is closed (a pipe's reader left).
 */
export async function inspectCommand(args: InspectArgs, io: CliIO): Promise<number> {
  const token = args.token ?? fromEnv(io.env.TROUPE_TOKEN) ?? fromEnv(io.env.TROUPE_READ_TOKEN);
  const out = new InspectorPrinter(palette(io.isTTY && !args.json, io.env), args.json);
  const targets: SubscriptionTarget[] = [args.run === undefined ? { kind: 'runs' } : { kind: 'run', runId: args.run }];
  if (args.tree) targets.push({ kind: 'tree' });
  const url = args.url;

  const ws = new WebSocket(url, [PROTOCOL_NAME], {
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
    handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
    perMessageDeflate: false,
  });
  let settle: (code: number) => void = () => undefined;
  const done = new Promise<number>((resolve) => (settle = resolve));
  let settled = false;
  let opened = false;
  let alive = true;
  let lastError: Error | undefined;
  let awaiting = targets.length; // snapshots still to come; events wait behind them
  let buffered: StampedEvent[] = [];

  const finish = (code: number, line?: string): void => {
    if (settled) return;
    settled = true;
    if (line !== undefined) io.stderr.write(`troupe: ${line}\n`);
    settle(code);
  };
  const write = (text: string): void => void (text === '' ? undefined : io.stdout.write(text));

  const offInterrupt = (io.onInterrupt ?? onSigint)(() => finish(InspectExit.interrupted));
  // `troupe inspect --json | head`: the reader left; stop quietly instead of dying on EPIPE.
  const stdout = io.stdout as Partial<NodeJS.EventEmitter>;
  const onStdoutError = (e: { code?: string }): void => finish(e.code === 'EPIPE' ? InspectExit.ok : InspectExit.failed, e.code === 'EPIPE' ? undefined : `cannot write to stdout: ${e.code ?? String(e)}`);
  stdout.on?.('error', onStdoutError);
  const heartbeat = setInterval(() => {
    if (!opened) return;
    if (!alive) return finish(InspectExit.failed, `${url}: no answer from the server for ${(2 * HEARTBEAT_MS) / 1000} s: connection lost`);
    alive = false;
    ws.ping();
  }, HEARTBEAT_MS);
  heartbeat.unref();

  ws.on('error', (e) => {
    lastError = e;
    if (!opened) finish(InspectExit.failed, `cannot connect to ${url}: ${connectFailure(e)}`);
  });
  ws.on('unexpected-response', (_req, res) => {
    void refusal(res).then((body) => {
      finish(InspectExit.failed, `cannot connect to ${url}: ${refusalText(res.statusCode ?? 0, body, token !== undefined)}`);
      ws.terminate();
    });
  });
  ws.on('open', () => (opened = true));
  ws.on('ping', () => (alive = true));
  ws.on('pong', () => (alive = true));
  ws.on('close', (code, reason) => {
    if (!opened) return; // a failed handshake: 'error' or the refusal said why
    const why = code === 1006 ? `the connection was lost${lastError ? `: ${lastError.message}` : ''}` : `the server closed the connection: ${code}${reason.length > 0 ? ` ${reason.toString()}` : ''}`;
    finish(InspectExit.failed, `${url}: ${why}`);
  });
  ws.on('message', (data: RawData, isBinary) => {
    alive = true;
    if (settled) return;
    const msg = isBinary ? undefined : parse(data.toString());
    if (msg === undefined) return void io.stderr.write('troupe inspect: ignored a frame that is not a JSON message\n');
    switch (msg.type) {
      case 'hello':
        if (msg.protocol !== PROTOCOL_VERSION) return finish(InspectExit.failed, `${url} speaks inspector protocol ${msg.protocol}; this troupe speaks ${PROTOCOL_VERSION}`);
        write(out.hello(url, msg));
        for (const target of targets) ws.send(JSON.stringify({ type: 'subscribe', target }));
        return;
      case 'snapshot':
        write(out.snapshot(msg));
        if (--awaiting === 0) {
          write(out.events(buffered));
          buffered = [];
        }
        return;
      case 'events':
        if (awaiting > 0) buffered.push(...msg.events);
        else write(out.events(msg.events));
        return;
      case 'error':
        // The only subscription that can be refused is --run's, and only while it waits for its snapshot.
        if (msg.code === 'TROUPE_RUN_NOT_FOUND' && awaiting > 0 && args.run !== undefined) return finish(InspectExit.failed, `TROUPE_RUN_NOT_FOUND: ${msg.message} on ${url}`);
        io.stderr.write(`troupe inspect: the server refused a message: ${msg.code}: ${msg.message}\n`);
        return;
      default:
        return; // ack, pong, unsubscribed, or a message type newer than this client
    }
  });

  try {
    return await done;
  } finally {
    clearInterval(heartbeat);
    offInterrupt();
    stdout.off?.('error', onStdoutError);
    await shut(ws);
  }
}

/** Close the socket cleanly when it is open (waiting at most a second for the server's answer), else drop it. */
function shut(ws: WebSocket): Promise<void> {
  if (ws.readyState === WebSocket.CLOSED) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      ws.terminate();
      resolve();
    }, 1_000);
    ws.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    if (ws.readyState === WebSocket.OPEN) ws.close(1000, 'bye');
    else ws.terminate();
  });
}

function parse(text: string): ServerMessage | undefined {
  try {
    const m = JSON.parse(text) as unknown;
    return typeof m === 'object' && m !== null && typeof (m as { type?: unknown }).type === 'string' ? (m as ServerMessage) : undefined;
  } catch {
    return undefined;
  }
}

/** Why a connection could not be made, from the socket error's code. */
function connectFailure(e: Error): string {
  const code = (e as { code?: string }).code;
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused (is `troupe serve` running there?)';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host not found';
    case 'ETIMEDOUT':
      return 'timed out';
    case 'ECONNRESET':
      return 'the connection was reset';
    default:
      return /handshake has timed out/.test(e.message) ? `no answer within ${HANDSHAKE_TIMEOUT_MS / 1000} s` : `${code !== undefined ? `${code}: ` : ''}${e.message}`;
  }
}

/** The refused upgrade's error body (`{code, message}`), if it has one. */
function refusal(res: IncomingMessage): Promise<{ code?: string; message?: string }> {
  return new Promise((resolve) => {
    let text = '';
    res.setEncoding('utf8');
    res.on('data', (d: string) => {
      if (text.length < MAX_REFUSAL_BYTES) text += d;
    });
    const end = (): void => {
      try {
        const body = JSON.parse(text) as unknown;
        resolve(typeof body === 'object' && body !== null ? (body as { code?: string; message?: string }) : {});
      } catch {
        resolve({});
      }
    };
    res.on('end', end);
    res.on('error', end);
    res.on('aborted', end);
  });
}

function refusalText(status: number, body: { code?: string; message?: string }, hadToken: boolean): string {
  const said = body.message !== undefined ? `: ${body.message}` : '';
  switch (status) {
    case 401:
      return hadToken ? '401 unauthorized: the token is not valid — check --token or TROUPE_TOKEN' : '401 unauthorized — pass --token or set TROUPE_TOKEN';
    case 403:
      return `403 forbidden${said}`;
    case 404:
      return `404 not found${said} (troupe serve hosts the inspector at /inspect)`;
    case 503:
      return `503 unavailable${said}`;
    default:
      return `the server answered ${status}${said} instead of a WebSocket (is it a troupe server?)`;
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

import { readFileSync } from 'node:fs';
import { INSPECT_PATH, inspectorHandler, isInspectable } from './attach.js';
import { createServer as createHttpServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { TroupeError } from '../errors/index.js';
import { TokenAuth } from './auth.js';
import { hasBody, readJson } from './body.js';
import { errorReply, httpError, type ErrorBody } from './http-errors.js';
import { OriginPolicy } from './origin.js';
import { Router, type Reply, type RequestContext } from './router.js';
import { routes } from './routes.js';
import { checkOptions, loadWorkflowsDir, type CheckedOptions } from './options.js';
import type { Access, ServerOptions, TroupeServer, UpgradeHandler } from './types.js';

const DEFAULT_GRACE_MS = 5_000;
/** A slow client may not hold a request open longer (slowloris). */
const REQUEST_TIMEOUT_MS = 60_000;

/**
 * Create the HTTP API server of a runtime (`troupe serve`): runs, approvals, pause, resume,
 * cancel, `/metrics` and the inspector page, on Node's `http` server. Loads `workflowsDir` first.
 * Call `listen()` to bind.
 *
 * @param options - the runtime, where to bind, tokens, allowed origins, body limit.
 * @returns the server, not yet listening.
 * @throws TroupeError `TROUPE_SERVER_OPTIONS_INVALID` (e.g. a non-loopback host without a token),
 *   and what loading a workflow file throws (`TROUPE_WORKFLOW_INVALID`, `TROUPE_WORKFLOW_LOAD_FAILED`, `TROUPE_MODULE_LOAD_FAILED`)
 * @example
 * ```ts
 * const runtime = await createRuntime({ dataDir: './.troupe' });
 * const server = await createServer({ runtime, workflowsDir: './workflows', token: process.env.TROUPE_TOKEN });
 * await server.listen();
 * console.log(`listening on ${server.url()}`);
 * ```
 */
export async function createServer(options: ServerOptions): Promise<TroupeServer> {
  const checked = checkOptions(options);
  const workflows = options.workflowsDir === undefined ? new Map<string, string>() : await loadWorkflowsDir(options.runtime, options.workflowsDir);
  const server = new HttpServer(checked, workflows, readPage());
  // The live inspector, on every server whose runtime has an actor tree to show.
  if (options.inspector !== false && isInspectable(options.runtime)) server.onUpgrade(INSPECT_PATH, inspectorHandler(options.runtime, options.inspector === true || options.inspector === undefined ? {} : options.inspector));
  return server;
}

/** The page ships beside this module (the build copies `page/`); `null` when it is missing. */
function readPage(): string | null {
  try {
    return readFileSync(new URL('./page/index.html', import.meta.url), 'utf8');
  } catch {
    return null;
  }
}

class HttpServer implements TroupeServer {
  readonly workflows: ReadonlyMap<string, string>;
  readonly #options: CheckedOptions;
  readonly #auth: TokenAuth;
  readonly #origins: OriginPolicy;
  readonly #router: Router;
  readonly #http: Server;
  readonly #upgrades = new Map<string, UpgradeHandler>();
  #closing: Promise<void> | null = null;

  constructor(options: CheckedOptions, workflows: ReadonlyMap<string, string>, page: string | null) {
    this.#options = options;
    this.workflows = workflows;
    this.#auth = new TokenAuth({ token: options.token, readToken: options.readToken, sessionTtlMs: options.sessionTtlMs });
    this.#origins = new OriginPolicy(options.origins, options.host, !this.#auth.required);
    this.#router = new Router(routes({ runtime: options.runtime, auth: this.#auth, cookieName: () => this.#cookieName(), page }));
    this.#http = createHttpServer({ requestTimeout: REQUEST_TIMEOUT_MS }, (req, res) => void this.#handle(req, res));
    this.#http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.#upgrade(req, socket, head));
    this.#http.on('clientError', (_e, socket: Duplex) => socket.destroy());
  }

  listen(): Promise<AddressInfo> {
    const { host, port } = this.#options;
    return new Promise((resolve, reject) => {
      const failed = (e: Error): void => {
        const reason = (e as { code?: string }).code === 'EADDRINUSE' ? 'the port is in use' : e.message;
        reject(new TroupeError('TROUPE_SERVER_LISTEN_FAILED', `cannot listen on ${host}:${port}: ${reason}`, { cause: e, data: { host, port } }));
      };
      this.#http.once('error', failed);
      this.#http.listen(port, host, () => {
        this.#http.off('error', failed);
        resolve(this.#http.address() as AddressInfo);
      });
    });
  }

  address(): AddressInfo | null {
    const a = this.#http.address();
    return a === null || typeof a === 'string' ? null : a;
  }

  url(): string {
    const a = this.address();
    if (!a) throw new TroupeError('TROUPE_HTTP_UNAVAILABLE', 'the server is not listening');
    const host = this.#options.host === 'localhost' ? 'localhost' : a.family === 'IPv6' ? `[${a.address}]` : a.address;
    return `http://${host}:${a.port}`;
  }

  onUpgrade(path: string, handler: UpgradeHandler): () => void {
    this.#upgrades.set(path, handler);
    return () => {
      if (this.#upgrades.get(path) === handler) this.#upgrades.delete(path);
    };
  }

  authenticate(req: IncomingMessage): Access {
    const refusal = this.#origins.refusal(req);
    if (refusal !== null) return { ok: false, status: 403, code: 'TROUPE_HTTP_FORBIDDEN', message: refusal };
    return this.#auth.check(req, this.#cookieName());
  }

  close(options: { readonly graceMs?: number } = {}): Promise<void> {
    this.#closing ??= this.#close(options.graceMs ?? DEFAULT_GRACE_MS);
    return this.#closing;
  }

  async #close(graceMs: number): Promise<void> {
    const closed = new Promise<void>((resolve) => (this.#http.listening ? this.#http.close(() => resolve()) : resolve()));
    this.#http.closeIdleConnections();
    await Promise.all([...this.#upgrades.values()].map(async (h) => h.close?.()));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([closed, new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)))]);
    clearTimeout(timer);
    this.#http.closeAllConnections();
    await closed;
  }

  /** Port-specific, since cookies are shared by every port of a host. */
  #cookieName(): string {
    return `troupe_session_${this.address()?.port ?? this.#options.port}`;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://localhost');
    // A body left unread (refused, too large) is not drained: the connection closes after the answer.
    const refuse = (status: number, body: ErrorBody, headers: Record<string, string> = {}): void =>
      send(res, status, body, hasBody(req) && !req.complete ? { ...headers, connection: 'close' } : headers);
    try {
      if (this.#closing) throw httpError('TROUPE_HTTP_UNAVAILABLE', 'the server is shutting down');
      const match = this.#router.match(method, url.pathname);
      if (match.kind === 'none') throw httpError('TROUPE_HTTP_NOT_FOUND', `no route ${method} ${url.pathname}`);
      if (match.kind === 'method') {
        return refuse(405, { code: 'TROUPE_HTTP_METHOD_NOT_ALLOWED', message: `${url.pathname} takes ${match.allow.join(', ')}, not ${method}` }, { allow: match.allow.join(', ') });
      }
      const { route, params } = match;
      let access: RequestContext['access'] = null;
      if (route.scope === 'public') {
        const refusal = this.#origins.refusal(req);
        if (refusal !== null) throw httpError('TROUPE_HTTP_FORBIDDEN', refusal);
      } else {
        const checked = this.authenticate(req);
        if (!checked.ok) return refuse(checked.status, { code: checked.code, message: checked.message }, checked.status === 401 ? { 'www-authenticate': 'Bearer realm="troupe"' } : {});
        if (route.scope === 'operator' && checked.scope === 'read') throw httpError('TROUPE_HTTP_FORBIDDEN', `${method} ${url.pathname} needs the operator token; this one is read-only`);
        access = checked;
      }
      const max = this.#options.maxBodyBytes;
      const reply = await route.handle({
        req,
        params,
        query: url.searchParams,
        access,
        body: () => readJson(req, max),
        optionalBody: async () => (hasBody(req) ? readJson(req, max) : undefined),
      });
      sendReply(res, reply);
    } catch (e) {
      const { status, body, internal } = errorReply(e);
      if (internal) this.#options.onError?.(e, { method, path: url.pathname });
      refuse(status, body);
    }
  }

  #upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (this.#closing) return refuseUpgrade(socket, 503, { code: 'TROUPE_HTTP_UNAVAILABLE', message: 'the server is shutting down' });
    const access = this.authenticate(req);
    if (!access.ok) return refuseUpgrade(socket, access.status, { code: access.code, message: access.message });
    const handler = this.#upgrades.get(path);
    if (!handler) return refuseUpgrade(socket, 404, { code: 'TROUPE_HTTP_NOT_FOUND', message: `no WebSocket endpoint at ${path}` });
    try {
      handler.handle(req, socket, head, access);
    } catch (e) {
      this.#options.onError?.(e, { method: 'UPGRADE', path });
      refuseUpgrade(socket, 500, errorReply(e).body);
    }
  }
}

const SECURITY_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'content-security-policy': "frame-ancestors 'none'",
} as const;

function sendReply(res: ServerResponse, reply: Reply): void {
  if (reply.json !== undefined) return send(res, reply.status, reply.json, reply.headers);
  const body = reply.text ?? '';
  res.writeHead(reply.status, {
    ...SECURITY_HEADERS,
    ...(reply.text !== undefined ? { 'content-type': reply.contentType ?? 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) } : {}),
    ...reply.headers,
  });
  res.end(body);
}

function send(res: ServerResponse, status: number, json: unknown, headers: Readonly<Record<string, string>> = {}): void {
  if (res.headersSent) return void res.destroy();
  const body = JSON.stringify(json);
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

/** Answer an upgrade that is refused with a plain HTTP response, then close the socket. */
function refuseUpgrade(socket: Duplex, status: number, body: ErrorBody): void {
  const text = JSON.stringify(body);
  const extra = status === 401 ? 'WWW-Authenticate: Bearer realm="troupe"\r\n' : '';
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n${extra}Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`,
  );
}

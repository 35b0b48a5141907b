import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { TroupeRuntime } from '../runtime/index.js';

/**
 * What a request may do. `read`: the GET routes, `/metrics` and a read-only inspector;
 * `operator`: everything, including starting runs and approve, reject, pause, resume, cancel.
 */
export type Scope = 'read' | 'operator';

/** The Prometheus metrics a runtime exposes (`runtime.metrics`). */
export interface MetricsSource {
  /** The exposition text of every metric. */
  text(): Promise<string>;
  /** The `Content-Type` of that text (Prometheus text format, with its version). */
  readonly contentType: string;
}

/** What the server uses of a runtime: a `TroupeRuntime` fits; `metrics` when the runtime has them. */
export type ServedRuntime = Pick<TroupeRuntime, 'store' | 'load' | 'start' | 'getRun' | 'activeRuns' | 'workflows'> & {
  readonly metrics?: MetricsSource | undefined;
};

/** Options of {@link createServer}. */
export interface ServerOptions {
  /** The runtime whose runs the API starts, shows and controls. The server never stops it. */
  readonly runtime: ServedRuntime;
  /** A directory whose `.yaml`, `.yml` and `.json` files are loaded at start (`runtime.load`): `POST /runs` starts them by name. */
  readonly workflowsDir?: string;
  /**
   * The operator token: with it set, every request but `GET /` and `POST /login` needs a token,
   * and only this one allows starting runs and approve, reject, pause, resume, cancel.
   * Without `token` and `readToken`, the server binds only to loopback.
   */
  readonly token?: string;
  /** A read-only token: the GET routes, `/metrics` and a read-only inspector. */
  readonly readToken?: string;
  /**
   * The live inspector WebSocket at `/inspect` (docs/inspector-protocol.md): on by default when the
   * runtime is a whole troupe runtime; `false` turns it off; an object sets its limits.
   */
  readonly inspector?: boolean | { readonly maxClients?: number; readonly highWaterMark?: number; readonly heartbeatMs?: number; readonly flushMs?: number; readonly digestFlushMs?: number };
  /** Interface to bind. @defaultValue '127.0.0.1' */
  readonly host?: string;
  /** Port to bind; 0 picks a free one. @defaultValue 7070 */
  readonly port?: number;
  /**
   * Browser origins allowed besides the server's own (`scheme://host[:port]`, e.g.
   * `https://ops.example.com`). A request carrying any other `Origin` is refused with 403;
   * one without `Origin` (a program) is not checked.
   * @defaultValue [] (same host only)
   */
  readonly origins?: readonly string[];
  /** Largest request body accepted; larger ones get 413. @defaultValue 1 MiB */
  readonly maxBodyBytes?: number;
  /** How long a browser session cookie from `POST /login` lasts. @defaultValue 12 hours */
  readonly sessionTtlMs?: number;
  /** Sees every failure answered with 500 (the client only gets `TROUPE_HTTP_INTERNAL_ERROR`). @defaultValue none */
  readonly onError?: (error: unknown, request: { readonly method: string; readonly path: string }) => void;
}

/** The outcome of authenticating a request or an upgrade. */
export type Access =
  | {
      readonly ok: true;
      readonly scope: Scope;
      /** How the token came: none needed, `Authorization: Bearer`, the session cookie, or a WebSocket subprotocol. */
      readonly via: 'open' | 'bearer' | 'cookie' | 'subprotocol';
      /** The `Sec-WebSocket-Protocol` entries other than the token's: the ones a WebSocket server may select. */
      readonly protocols: readonly string[];
    }
  | { readonly ok: false; readonly status: 401 | 403; readonly code: 'TROUPE_HTTP_UNAUTHORIZED' | 'TROUPE_HTTP_FORBIDDEN'; readonly message: string };

/**
 * Takes an upgraded connection (a WebSocket) at one path. Origin, Host and the token were checked
 * before it is called; `access` says with which scope. It owns `socket` from then on.
 */
export interface UpgradeHandler {
  handle(request: IncomingMessage, socket: Duplex, head: Buffer, access: Access & { readonly ok: true }): void;
  /** Called by `server.close()`: close the connections it holds. */
  close?(): Promise<void> | void;
}

/** The HTTP server {@link createServer} returns. */
export interface TroupeServer {
  /** Bind and accept connections. @throws TroupeError `TROUPE_SERVER_LISTEN_FAILED` */
  listen(): Promise<AddressInfo>;
  /** The bound address (after `listen`). */
  address(): AddressInfo | null;
  /** `http://host:port`, as a client would name it (after `listen`). */
  url(): string;
  /** Workflows loaded from `workflowsDir`: name → file. */
  readonly workflows: ReadonlyMap<string, string>;
  /**
   * Take WebSocket upgrades at `path` (e.g. `/inspect`); upgrades elsewhere get 404.
   * @returns a function that removes the handler.
   */
  onUpgrade(path: string, handler: UpgradeHandler): () => void;
  /**
   * Authenticate a request: its Host and Origin, then a token from `Authorization: Bearer`, the
   * session cookie, or (for an upgrade) a `Sec-WebSocket-Protocol` entry `troupe.token.<token>`.
   */
  authenticate(request: IncomingMessage): Access;
  /**
   * Stop accepting, answer requests in flight (up to `graceMs`, then drop them), close the
   * upgrade handlers' connections. The runtime is left running: stopping it is the caller's.
   */
  close(options?: { readonly graceMs?: number }): Promise<void>;
}

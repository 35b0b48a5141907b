import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { isTroupeError, toErrorValue, type ErrorValue } from '../errors/index.js';
import { EventBatch } from './batch.js';
import { feedOf, subscriptionKey, type Feed } from './feed.js';
import { RunFollows } from './follows.js';
import { Overview } from './overview.js';
import { InspectorHub, type HubListener } from './hub.js';
import { runCommand } from './commands.js';
import {
  MAX_CLIENT_MESSAGE_BYTES,
  PROTOCOL_NAME,
  PROTOCOL_VERSION,
  ProtocolError,
  parseClientMessage,
  type ClientMessage,
  type ServerMessage,
  type SubscriptionTarget,
} from './protocol.js';
import type { TroupeRuntime } from '../runtime/index.js';

/** Who a client is, as the HTTP upgrade decided (after authentication). */
export interface ClientIdentity {
  readonly scope: 'read' | 'operator';
  /** Names the client in the run's log when a command carries no `by`. */
  readonly label: string;
}

/** Limits of the inspector's WebSocket side. */
export interface InspectorSocketOptions {
  readonly runtime: TroupeRuntime;
  /** Reported in `hello`. */
  readonly version: string;
  /** Clients at once; more are refused at the upgrade (HTTP 503). @defaultValue 64 */
  readonly maxClients?: number;
  /** A client whose unsent bytes pass this is disconnected (it does not read). @defaultValue 4 MiB */
  readonly highWaterMark?: number;
  /** Ping interval; a client that missed the previous pong is dropped. @defaultValue 15 s */
  readonly heartbeatMs?: number;
  /** Events are sent in batches at most this often (a followed run, the tree, the all-runs feed as events). @defaultValue 50 ms */
  readonly flushMs?: number;
  /**
   * A digest of the all-runs feed (`subscribe` with `digest: true`) is sent at most this often: an
   * overview of many runs need not change twenty times a second. @defaultValue 250 ms
   */
  readonly digestFlushMs?: number;
}

interface Client {
  readonly ws: WebSocket;
  readonly identity: ClientIdentity;
  readonly subs: Map<string, SubscriptionTarget>;
  /** Whether it takes the all-runs feed as a digest. */
  digest: boolean;
  /** What its subscriptions cover, and that as one string: clients with the same feed get the same batches. */
  feed: Feed;
  feedKey: string;
  /** Its followed runs as one string: digest clients that follow the same runs get the same digests. */
  followedKey: string;
  alive: boolean;
  /** Frames held back while a snapshot is being taken (sent right after it), or null. */
  held: Buffer[] | null;
}

/** How long `close()` waits for clients to answer the close handshake before terminating them. */
const CLOSE_GRACE_MS = 500;

/** Commands remembered for idempotency (by command id). */
const MAX_REMEMBERED_COMMANDS = 10_000;

/**
 * The inspector's WebSocket endpoint: one hub fanned out to at most `maxClients` sockets, each
 * getting only what it subscribed to, in batches. Hardened: small `maxPayload`, malformed or
 * unknown messages answered with an `error` (never a crash), slow readers disconnected at a
 * high-water mark, dead peers dropped by ping/pong.
 */
export class InspectorSockets {
  readonly hub: InspectorHub;
  readonly #wss: WebSocketServer;
  readonly #clients = new Set<Client>();
  readonly #acks = new Map<string, ServerMessage>();
  /** Events since the last flush, framed once per distinct feed at the flush. */
  readonly #batch: EventBatch;
  /** The all-runs feed's overview since the last digest, framed once per distinct set of followed runs. */
  readonly #overview: Overview;
  /** The followed runs' own subscriptions (their step events, which the runtime-wide listener may not take). */
  readonly #follows: RunFollows;
  /** Whether the runtime-wide listener takes each step's routine events (some client takes the all-runs feed as events). */
  #perStep = false;
  /** What some client wants: the all-runs feed (as a digest), the tree, the runs followed. */
  #anyRuns = false;
  #anyDigest = false;
  #anyTree = false;
  readonly #followed = new Set<string>();
  readonly #o: Required<Omit<InspectorSocketOptions, 'runtime' | 'version'>> & { version: string };
  readonly #startedAt = Date.now();
  #unlisten: (() => void) | null = null;
  #flushTimer: ReturnType<typeof setInterval> | null = null;
  #digestTimer: ReturnType<typeof setInterval> | null = null;
  readonly #heartbeat: ReturnType<typeof setInterval>;

  constructor(readonly options: InspectorSocketOptions) {
    this.hub = new InspectorHub(options.runtime);
    this.#batch = new EventBatch((runId) => this.hub.live(runId));
    const runtime = options.runtime;
    this.#follows = new RunFollows((runId) => this.hub.live(runId), (e, at) => this.#batch.addRun(e, at));
    this.#o = {
      version: options.version,
      maxClients: options.maxClients ?? 64,
      highWaterMark: options.highWaterMark ?? 4 * 1024 * 1024,
      heartbeatMs: options.heartbeatMs ?? 15_000,
      flushMs: options.flushMs ?? 50,
      digestFlushMs: options.digestFlushMs ?? 250,
    };
    this.#overview = new Overview({ live: (runId) => this.hub.live(runId), active: () => runtime.activeRuns(), stepTotals: () => runtime.metrics.stepTotals() }, this.#o.digestFlushMs);
    this.#wss = new WebSocketServer({
      noServer: true,
      maxPayload: MAX_CLIENT_MESSAGE_BYTES,
      clientTracking: false,
      perMessageDeflate: false,
      // Select the protocol's name, never an offered token entry (a browser requires one to be selected when it offers any).
      handleProtocols: (offered) => (offered.has(PROTOCOL_NAME) ? PROTOCOL_NAME : false),
    });
    this.#heartbeat = setInterval(() => this.#ping(), this.#o.heartbeatMs);
    this.#heartbeat.unref();
  }

  /** Clients connected now. */
  get clients(): number {
    return this.#clients.size;
  }

  /** Whether one more client may connect. */
  hasRoom(): boolean {
    return this.#clients.size < this.#o.maxClients;
  }

  /**
   * Complete an upgrade the HTTP server has authenticated. A full house is refused before the
   * socket is accepted.
   */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, identity: ClientIdentity): void {
    if (!this.hasRoom()) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Type: application/json\r\n\r\n{"code":"TROUPE_INSPECTOR_FULL","message":"too many inspector clients"}');
      return;
    }
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#accept(ws, identity));
  }

  /** Disconnect every client and stop. */
  async close(): Promise<void> {
    clearInterval(this.#heartbeat);
    this.#stopTimers();
    this.#flush(); // what was gathered goes out before the close frames
    this.#unlisten?.();
    this.#unlisten = null;
    this.#follows.close();
    // Each client gets a clean close; one that has not closed within the grace is terminated.
    const closed = [...this.#clients].map((c) => new Promise<void>((resolve) => c.ws.once('close', () => resolve())));
    for (const c of this.#clients) c.ws.close(1001, 'server shutting down');
    let grace: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([Promise.all(closed), new Promise<void>((resolve) => (grace = setTimeout(resolve, CLOSE_GRACE_MS)))]);
    clearTimeout(grace);
    for (const c of this.#clients) c.ws.terminate();
    this.hub.close();
    this.#wss.close();
  }

  #accept(ws: WebSocket, identity: ClientIdentity): void {
    const client: Client = { ws, identity, subs: new Map(), digest: false, ...feedOf(new Map(), false), alive: true, held: null };
    this.#clients.add(client);
    ws.on('pong', () => (client.alive = true));
    ws.on('message', (data, isBinary) => {
      if (isBinary) return this.#send(client, { type: 'error', code: 'TROUPE_INSPECTOR_MESSAGE_INVALID', message: 'binary frames are not part of the protocol: send JSON text' });
      void this.#onMessage(client, data.toString());
    });
    ws.on('close', () => this.#drop(client));
    ws.on('error', () => this.#drop(client));
    this.#send(client, {
      type: 'hello',
      protocol: PROTOCOL_VERSION,
      server: { name: 'troupe', version: this.#o.version, pid: process.pid, startedAt: this.#startedAt },
      scope: identity.scope,
    });
  }

  #drop(client: Client): void {
    if (!this.#clients.delete(client)) return;
    if (client.subs.size > 0) this.#relisten();
  }

  async #onMessage(client: Client, raw: string): Promise<void> {
    let msg: ClientMessage;
    try {
      msg = parseClientMessage(raw);
    } catch (e) {
      const err = e instanceof ProtocolError ? e : new ProtocolError('TROUPE_INSPECTOR_MESSAGE_INVALID', String(e));
      return this.#send(client, { type: 'error', code: err.code, message: err.message });
    }
    try {
      switch (msg.type) {
        case 'ping':
          return this.#send(client, { type: 'pong' });
        case 'subscribe': {
          // Listen first, so nothing between the snapshot and the stream is lost (a duplicate may
          // be); batches gathered meanwhile are held back until the snapshot is sent, so a client
          // never sees events newer than the snapshot that follows them.
          this.#resubscribe(client, () => {
            client.subs.set(subscriptionKey(msg.target), msg.target);
            if (msg.target.kind === 'runs') client.digest = msg.digest === true;
          });
          client.held ??= [];
          try {
            const snapshot = await this.hub.snapshot(msg.target);
            this.#send(client, { type: 'snapshot', target: msg.target, snapshot });
          } finally {
            const held = client.held ?? [];
            client.held = null;
            for (const frame of held) this.#sendText(client, frame);
          }
          return;
        }
        case 'unsubscribe':
          this.#resubscribe(client, () => {
            client.subs.delete(subscriptionKey(msg.target));
            if (msg.target.kind === 'runs') client.digest = false;
          });
          return this.#send(client, { type: 'unsubscribed', target: msg.target });
        case 'command':
          return await this.#command(client, msg);
      }
    } catch (e) {
      const v = isTroupeError(e) ? toErrorValue(e) : { code: 'TROUPE_INSPECTOR_MESSAGE_INVALID', message: e instanceof Error ? e.message : String(e) };
      this.#send(client, { type: 'error', code: v.code, message: v.message });
    }
  }

  async #command(client: Client, msg: Extract<ClientMessage, { type: 'command' }>): Promise<void> {
    const seen = this.#acks.get(msg.id);
    if (seen) return this.#send(client, { ...(seen as Extract<ServerMessage, { type: 'ack' }>), duplicate: true });
    let ack: ServerMessage;
    if (client.identity.scope !== 'operator') {
      ack = { type: 'ack', id: msg.id, ok: false, error: { code: 'TROUPE_HTTP_FORBIDDEN', message: `${msg.command} needs an operator token; this client is read-only` } };
      return this.#send(client, ack); // not remembered: the same id may be retried with the right token
    }
    try {
      await runCommand(this.options.runtime, msg, msg.by ?? client.identity.label);
      ack = { type: 'ack', id: msg.id, ok: true };
    } catch (e) {
      const error: ErrorValue = toErrorValue(e, 'TROUPE_RUN_STATE_INVALID');
      ack = { type: 'ack', id: msg.id, ok: false, error: { code: error.code, message: error.message } };
    }
    this.#acks.set(msg.id, ack);
    if (this.#acks.size > MAX_REMEMBERED_COMMANDS) this.#acks.delete(this.#acks.keys().next().value!);
    this.#send(client, ack);
  }

  /**
   * Change a client's subscriptions. What was gathered so far is sent first, under the
   * subscriptions it was gathered for (a batch is filtered when it is sent).
   */
  #resubscribe(client: Client, change: () => void): void {
    this.#flush();
    change();
    Object.assign(client, feedOf(client.subs, client.digest));
    this.#relisten();
  }

  /** Follow the hub while some client has a subscription; batch the events, gather the overview. */
  #relisten(): void {
    const wanted = [...this.#clients].some((c) => c.subs.size > 0);
    this.#anyRuns = [...this.#clients].some((c) => c.feed.runs);
    this.#anyDigest = [...this.#clients].some((c) => c.feed.digest);
    this.#anyTree = [...this.#clients].some((c) => c.feed.tree);
    this.#followed.clear();
    for (const c of this.#clients) for (const runId of c.feed.followed) this.#followed.add(runId);
    const full = [...this.#clients].some((c) => c.feed.runs && !c.feed.digest);
    this.#batch.interest(full, this.#followed);
    // Each step's events of every run only for a client that takes the all-runs feed as events: a
    // changed need swaps the listener (the new one first, so that the hub stays attached).
    if (wanted && (this.#unlisten === null || full !== this.#perStep)) {
      const old = this.#unlisten;
      this.#perStep = full;
      this.#unlisten = this.hub.listen(this.#listener(full));
      old?.();
      if (old === null) {
        this.#flushTimer = setInterval(() => this.#flushEvents(), this.#o.flushMs);
        this.#flushTimer.unref();
        // Events first: a digest's overview is never older than the events sent before it.
        this.#digestTimer = setInterval(() => this.#flush(), this.#o.digestFlushMs);
        this.#digestTimer.unref();
      }
    } else if (!wanted && this.#unlisten !== null) {
      this.#unlisten();
      this.#unlisten = null;
      this.#stopTimers();
      this.#flush();
    }
    this.#follows.set(wanted ? this.#followed : new Set());
    if (this.#anyDigest) this.#overview.start();
    else this.#overview.stop();
    // XState's inspection (an event per transition of every actor) only while someone follows the tree.
    this.hub.watchTree(this.#anyTree, [...this.#clients].some((c) => c.feed.treeRuns));
  }

  #listener(perStep: boolean): HubListener {
    return {
      perStep,
      run: (e, at) => {
        if (this.#followed.has(e.runId)) {
          if (this.#follows.has(e.runId)) return; // its own subscription brings it
          this.#follows.attach(e.runId); // it started after it was followed: its own subscription from now on
          this.#batch.addRun(e, at);
          return;
        }
        // A context entry (with its output, the largest event) goes to that run's followers only;
        // the all-runs feed carries states, steps and approvals.
        if (!this.#anyRuns || e.type === 'entry.appended') return;
        this.#batch.addRun(e, at);
        if (this.#anyDigest) this.#overview.add(e);
      },
      event: (e, at) => {
        if (e.type.startsWith('actor.') || e.type === 'supervisor.decision' ? this.#anyTree : true) this.#batch.add(e, at);
      },
    };
  }

  #stopTimers(): void {
    if (this.#flushTimer) clearInterval(this.#flushTimer);
    if (this.#digestTimer) clearInterval(this.#digestTimer);
    this.#flushTimer = this.#digestTimer = null;
  }

  /** Send everything gathered: the events, then the overview. */
  #flush(): void {
    this.#flushEvents();
    this.#flushOverview();
  }

  /** Send each client the events since the last flush that it wants, in one frame. */
  #flushEvents(): void {
    if (this.#batch.size === 0) return;
    // Clients with the same feed get the same frame: it is filtered, coalesced, serialised and
    // UTF-8 encoded once, and the one buffer is written to each of them.
    try {
      this.#fanOut((c) => c.feedKey, (c) => this.#batch.frame(c.feed));
    } finally {
      this.#batch.clear();
    }
  }

  /** Send each digest client the overview since the last one (the same frame to clients that follow the same runs). */
  #flushOverview(): void {
    try {
      this.#fanOut((c) => (c.feed.digest ? c.followedKey : null), (c) => this.#overview.frame(c.feed.followed));
    } finally {
      this.#overview.clear();
    }
  }

  /** Send each subscribed client its frame: made once per key (null key: nothing for that client), encoded once, the one buffer written to each. */
  #fanOut(keyOf: (c: Client) => string | null, make: (c: Client) => string | null): void {
    const frames = new Map<string, Buffer | null>();
    for (const c of this.#clients) {
      if (c.subs.size === 0) continue;
      const k = keyOf(c);
      if (k === null) continue;
      let data = frames.get(k);
      if (data === undefined) {
        const frame = make(c);
        data = frame === null ? null : Buffer.from(frame);
        frames.set(k, data);
      }
      if (data === null) continue;
      if (c.held) c.held.push(data);
      else this.#sendText(c, data);
    }
  }

  #send(client: Client, msg: ServerMessage): void {
    this.#sendText(client, JSON.stringify(msg));
  }

  /** Send a text frame: a string, or a buffer holding UTF-8 text (shared between clients; ws does not mask a server's frames, so it is never written to). */
  #sendText(client: Client, text: string | Buffer): void {
    if (client.ws.readyState !== client.ws.OPEN) return;
    if (client.ws.bufferedAmount > this.#o.highWaterMark) {
      // It does not read: drop it rather than let its backlog grow without bound.
      client.ws.terminate();
      this.#drop(client);
      return;
    }
    client.ws.send(text, { binary: false });
  }

  #ping(): void {
    for (const c of this.#clients) {
      if (!c.alive) {
        c.ws.terminate();
        this.#drop(c);
        continue;
      }
      c.alive = false;
      c.ws.ping();
    }
  }
}

// The page's WebSocket to `/inspect` (docs/inspector-protocol.md): authenticated by the session
// cookie on the upgrade, resubscribed after every reconnect (with backoff), operator commands
// matched to their acks by id. A command still unanswered when the socket drops is sent again with
// the same id after the reconnect: the server does it at most once.

/* global WebSocket, location, crypto */

/** The subprotocol the page offers (the server selects it). */
const PROTOCOL = 'troupe.v1';
const FIRST_DELAY_MS = 500;
const MAX_DELAY_MS = 15_000;

/**
 * @typedef {{ kind: 'runs' } | { kind: 'tree' } | { kind: 'run', runId: string }} Target
 * @typedef {{ onHello(hello: any): void, onMessage(message: any): void, onStatus(status: string): void, onClosedBeforeHello(): Promise<boolean> }} Handlers
 *   `onClosedBeforeHello` says whether to try again (false: it handled it, e.g. by asking to log in).
 */

export class Connection {
  /** @type {WebSocket | null} */
  #ws = null;
  #handlers;
  /** @type {Map<string, Target>} */
  #subs = new Map();
  /** @type {Map<string, { message: any, resolve: (ack: any) => void }>} */
  #pending = new Map();
  #attempt = 0;
  #greeted = false;
  #stopped = false;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  #timer;

  /** @param {Handlers} handlers */
  constructor(handlers) {
    this.#handlers = handlers;
  }

  /** Connect (again). */
  start() {
    this.#stopped = false;
    clearTimeout(this.#timer);
    this.#open();
  }

  /** Close for good (until `start`). */
  stop() {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#ws?.close();
    this.#ws = null;
  }

  /** @param {Target} target */
  subscribe(target) {
    this.#subs.set(targetKey(target), target);
    this.#send(subscription(target));
  }

  /** @param {Target} target */
  unsubscribe(target) {
    if (!this.#subs.delete(targetKey(target))) return;
    this.#send({ type: 'unsubscribe', target });
  }

  /**
   * Send an operator command; resolves with its ack (`{ ok, error? }`), never rejects.
   * @param {{ command: string, runId: string, step?: string, by?: string, comment?: string }} command
   */
  command(command) {
    const id = newId();
    const message = { type: 'command', id, ...command };
    return new Promise((resolve) => {
      this.#pending.set(id, { message, resolve });
      this.#send(message);
    });
  }

  #open() {
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/inspect`;
    this.#greeted = false;
    this.#handlers.onStatus('connecting…');
    const ws = new WebSocket(url, [PROTOCOL]);
    this.#ws = ws;
    ws.onmessage = (m) => this.#receive(m.data);
    ws.onclose = () => {
      if (this.#ws !== ws) return;
      this.#ws = null;
      void this.#closed();
    };
  }

  /** @param {unknown} data */
  #receive(data) {
    let m;
    try {
      m = JSON.parse(String(data));
    } catch {
      return;
    }
    if (m.type === 'hello') {
      this.#greeted = true;
      this.#attempt = 0;
      this.#handlers.onHello(m);
      for (const target of this.#subs.values()) this.#send(subscription(target));
      for (const { message } of this.#pending.values()) this.#send(message);
      return;
    }
    if (m.type === 'ack') {
      const waiting = this.#pending.get(m.id);
      this.#pending.delete(m.id);
      waiting?.resolve(m);
    }
    this.#handlers.onMessage(m);
  }

  async #closed() {
    if (this.#stopped) return;
    // Refused before `hello`: maybe the session expired (the browser does not show the 401).
    if (!this.#greeted && !(await this.#handlers.onClosedBeforeHello())) return;
    if (this.#stopped) return;
    const delay = Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** this.#attempt++) * (0.75 + Math.random() / 2);
    this.#handlers.onStatus(`disconnected: reconnecting in ${Math.ceil(delay / 1000)} s`);
    this.#timer = setTimeout(() => this.#open(), delay);
  }

  /** @param {unknown} message */
  #send(message) {
    if (this.#ws?.readyState === WebSocket.OPEN && this.#greeted) this.#ws.send(JSON.stringify(message));
    // else: sent after the next hello (subscriptions and unanswered commands are kept)
  }
}

/**
 * The all-runs feed is taken as a digest (an overview per batch, lighter for both ends); a
 * followed run and the tree come in full.
 * @param {Target} target
 */
function subscription(target) {
  return target.kind === 'runs' ? { type: 'subscribe', target, digest: true } : { type: 'subscribe', target };
}

/** @param {Target} t */
function targetKey(t) {
  return t.kind === 'run' ? `run:${t.runId}` : t.kind;
}

/** A unique command id (`crypto.randomUUID` needs a secure context; `getRandomValues` does not). */
function newId() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return `page-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

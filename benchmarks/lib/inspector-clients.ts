// Inspector clients for inspector-load: real `ws` sockets that subscribe to every run (some also to
// the actor tree), as the inspector page does (the all-runs feed as a digest) or as `troupe inspect`
// does (as events), parse every frame, count the events and note which runs they saw finish. Used
// in a child process (inspector-client-process.ts) so they do not share the runtime's event loop.
import { fork, type ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';

/** What one client received since the previous report. */
export interface ClientCounts {
  /** Stream items: the elements of `events` frames; of a `digest`, its run states, step lists and completions. */
  readonly events: number;
  /** Of which actor-tree events (`actor.*`, `supervisor.decision`). */
  readonly treeEvents: number;
  /** WebSocket messages. */
  readonly frames: number;
  readonly bytes: number;
  /** Expected runs whose final state (`run.state`, or a digest's run tuple) this client received. */
  readonly runsCovered: number;
  /** `error` messages from the server (none expected). */
  readonly errors: number;
  /** Whether the server closed this client (e.g. at its high-water mark). */
  readonly closed: boolean;
}

/** What the clients received for a set of runs. */
export interface CoverageReport {
  readonly runsExpected: number;
  readonly clients: readonly ClientCounts[];
  /** Every open client received the end of every expected run. */
  readonly allCovered: boolean;
  /** From the request until every client had every run (or the timeout): how far the stream lagged. */
  readonly drainMs: number;
}

const FINISHED = new Set(['completed', 'failed', 'cancelled']);
const POLL_MS = 10;

/** How a client takes the all-runs feed: as a digest per batch (the inspector page) or every event (`troupe inspect`). */
export type FeedFormat = 'digest' | 'events';

interface RunState {
  readonly id: string;
  readonly status: string;
}
interface StreamEvent {
  readonly event: { readonly type: string; readonly run?: RunState };
}
type Frame =
  | { readonly type: 'events'; readonly events: readonly StreamEvent[] }
  /** `runs`: tuples, `[id, workflow, status, …]`; `finished`: columns (docs/inspector-protocol.md). */
  | {
      readonly type: 'digest';
      readonly runs: readonly (readonly [string, string, string, ...unknown[]])[];
      readonly finished: { readonly statuses: readonly string[]; readonly ids: readonly string[]; readonly status: readonly number[] } | null;
      readonly steps: Readonly<Record<string, unknown>>;
      readonly completed: { readonly count: number } | null;
    }
  | { readonly type: 'hello' | 'snapshot' | 'error' };

interface Client {
  readonly ws: WebSocket;
  readonly tree: boolean;
  /** Runs whose final `run.state` arrived. */
  readonly finished: Set<string>;
  events: number;
  treeEvents: number;
  frames: number;
  bytes: number;
  errors: number;
  closed: boolean;
}

function send(ws: WebSocket, msg: unknown): void {
  ws.send(JSON.stringify(msg));
}

function count(client: Client, events: readonly StreamEvent[]): void {
  for (const { event } of events) {
    client.events++;
    if (event.type.startsWith('actor.') || event.type === 'supervisor.decision') client.treeEvents++;
    else if (event.type === 'run.state' && FINISHED.has(event.run!.status)) client.finished.add(event.run!.id);
  }
}

/** Connect one client and wait for its `hello` and the snapshot of each subscription. */
async function open(url: string, tree: boolean, format: FeedFormat): Promise<Client> {
  // A round of synchronous agents arrives as one frame of every event: allow far more than ws's 100 MiB default.
  const ws = new WebSocket(url, { perMessageDeflate: false, maxPayload: 2 ** 30 });
  const client: Client = { ws, tree, finished: new Set(), events: 0, treeEvents: 0, frames: 0, bytes: 0, errors: 0, closed: false };
  let snapshots = 0;
  let ready: () => void = () => {};
  let refused: (err: Error) => void = () => {};
  const subscribed = new Promise<void>((resolve, reject) => ((ready = resolve), (refused = reject)));
  ws.on('message', (data: Buffer) => {
    client.frames++;
    client.bytes += data.length;
    const msg = JSON.parse(data.toString()) as Frame;
    if (msg.type === 'events') count(client, msg.events);
    else if (msg.type === 'digest') {
      client.events += msg.runs.length + Object.keys(msg.steps).length + (msg.completed?.count ?? 0);
      for (const [id, , status] of msg.runs) if (FINISHED.has(status)) client.finished.add(id);
      const f = msg.finished;
      if (f !== null) {
        client.events += f.ids.length;
        for (let i = 0; i < f.ids.length; i++) if (FINISHED.has(f.statuses[f.status[i]!]!)) client.finished.add(f.ids[i]!);
      }
    } else if (msg.type === 'hello') {
      send(ws, { type: 'subscribe', target: { kind: 'runs' }, ...(format === 'digest' ? { digest: true } : {}) });
      // As the page: the runs' actors come from the runs feed (with every event, as `troupe inspect --tree`: in the tree too).
      if (tree) send(ws, { type: 'subscribe', target: format === 'digest' ? { kind: 'tree', runs: false } : { kind: 'tree' } });
    } else if (msg.type === 'snapshot') {
      if (++snapshots === (tree ? 2 : 1)) ready();
    } else if (msg.type === 'error') {
      client.errors++;
      refused(new Error(`the inspector refused a client message: ${data.toString()}`));
    }
  });
  ws.on('close', () => {
    client.closed = true;
    ready(); // counted as closed in the report rather than waited for
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  await subscribed;
  return client;
}

/**
 * A group of inspector clients, each subscribed to all runs (the first `treeClients` also to the
 * actor tree), counting what they receive.
 */
export class InspectorClients {
  private constructor(readonly clients: readonly Client[]) {}

  /** Connect `count` clients to `url` and wait until each is subscribed (snapshots received). */
  static async connect(url: string, count: number, treeClients: number, format: FeedFormat = 'digest'): Promise<InspectorClients> {
    const clients = await Promise.all(Array.from({ length: count }, (_, i) => open(url, i < treeClients, format)));
    return new InspectorClients(clients);
  }

  /**
   * Wait until every open client has received the final `run.state` of every run in `runIds`
   * (or `timeoutMs`), report what each received since the previous report, and start counting
   * afresh.
   */
  async awaitCoverage(runIds: readonly string[], timeoutMs: number): Promise<CoverageReport> {
    const t0 = performance.now();
    const covered = (c: Client): boolean => c.closed || runIds.every((id) => c.finished.has(id));
    while (!this.clients.every(covered) && performance.now() - t0 < timeoutMs) {
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    const drainMs = performance.now() - t0;
    const clients = this.clients.map((c): ClientCounts => {
      let runsCovered = 0;
      for (const id of runIds) if (c.finished.has(id)) runsCovered++;
      const counts = { events: c.events, treeEvents: c.treeEvents, frames: c.frames, bytes: c.bytes, runsCovered, errors: c.errors, closed: c.closed };
      c.events = c.treeEvents = c.frames = c.bytes = c.errors = 0;
      c.finished.clear();
      return counts;
    });
    const allCovered = clients.every((c) => !c.closed && c.errors === 0 && c.runsCovered === runIds.length);
    return { runsExpected: runIds.length, clients, allCovered, drainMs };
  }

  /** Close every client and wait for the closes to complete. */
  async close(): Promise<void> {
    await Promise.all(
      this.clients.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.ws.readyState === WebSocket.CLOSED) return resolve();
            c.ws.once('close', () => resolve());
            c.ws.close(1000, 'benchmark round over');
          }),
      ),
    );
  }
}

/** What the parent asks the client process (inspector-client-process.ts). */
export type ClientRequest =
  | { readonly type: 'connect'; readonly url: string; readonly count: number; readonly treeClients: number; readonly format?: FeedFormat }
  | { readonly type: 'expect'; readonly runIds: readonly string[]; readonly timeoutMs: number }
  | { readonly type: 'disconnect' };

/** Its answers, one per request, in order. */
export type ClientReply =
  | { readonly type: 'connected' }
  | { readonly type: 'report'; readonly report: CoverageReport; readonly cpuMs: number }
  | { readonly type: 'disconnected' }
  | { readonly type: 'failed'; readonly message: string };

/** The client process seen from the benchmark: one request at a time, each answered. */
export class ClientProcess {
  readonly #child: ChildProcess;
  #pending: { resolve: (r: ClientReply) => void; reject: (e: Error) => void } | null = null;

  /** Fork the client process (TypeScript through tsx, whatever flags this process has); its output goes to our stderr. */
  constructor() {
    this.#child = fork(new URL('./inspector-client-process.ts', import.meta.url), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 2, 2, 'ipc'] });
    this.#child.on('message', (reply: ClientReply) => {
      const p = this.#pending;
      this.#pending = null;
      if (reply.type === 'failed') p?.reject(new Error(`inspector client process: ${reply.message}`));
      else p?.resolve(reply);
    });
    this.#child.on('exit', (code) => {
      this.#pending?.reject(new Error(`inspector client process exited (code ${code})`));
      this.#pending = null;
    });
  }

  request<T extends ClientReply['type']>(req: ClientRequest, expected: T): Promise<Extract<ClientReply, { type: T }>> {
    if (this.#pending) throw new Error('inspector client process: one request at a time');
    return new Promise((resolve, reject) => {
      this.#pending = {
        resolve: (r) => (r.type === expected ? resolve(r as Extract<ClientReply, { type: T }>) : reject(new Error(`expected ${expected}, got ${r.type}`))),
        reject,
      };
      this.#child.send(req);
    });
  }

  /** Stop the process (it holds no state worth a goodbye). */
  close(): void {
    this.#child.disconnect();
  }
}

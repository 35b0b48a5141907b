/**
 * The inspector protocol (version 3): JSON messages over the WebSocket at `/inspect`. Documented in
 * docs/inspector-protocol.md. The server speaks first (`hello`); a client subscribes to all runs,
 * one run or the actor tree, gets a `snapshot`, then batches of `events` as they happen; an operator-scoped
 * client may send `command`s, each answered by an `ack` (idempotent by command id).
 */
import type { ErrorValue } from '../errors/index.js';
import type { ContextEntry, RunStatus } from '../store/index.js';

/** The protocol version this server speaks. */
export const PROTOCOL_VERSION = 3;

/** The WebSocket subprotocol a client offers (a browser offers it beside `troupe.token.<token>`); the server selects it. */
export const PROTOCOL_NAME = 'troupe.v1';

/** Largest message a client may send (bytes); the socket's `maxPayload`. */
export const MAX_CLIENT_MESSAGE_BYTES = 64 * 1024;

/** What a client may ask to follow. */
export type SubscriptionTarget =
  | { readonly kind: 'runs' }
  | { readonly kind: 'run'; readonly runId: string }
  /** `runs: false` leaves the runs' actors out of the tree (a client that follows the all-runs feed draws them from it). */
  | { readonly kind: 'tree'; readonly runs?: false };

/** Commands an operator-scoped client may send. */
export type CommandName = 'approve' | 'reject' | 'pause' | 'resume' | 'cancel';

// ---- client → server ------------------------------------------------------------------------

export type ClientMessage =
  | {
      readonly type: 'subscribe';
      readonly target: SubscriptionTarget;
      /** With `target: { kind: 'runs' }`: take the all-runs feed as `digest` frames (an overview per digest interval) instead of its run states and steps as `events`. */
      readonly digest?: boolean;
    }
  | { readonly type: 'unsubscribe'; readonly target: SubscriptionTarget }
  | {
      readonly type: 'command';
      /** Chosen by the client; a command sent twice with the same id is done once (the second gets the first's ack, `duplicate: true`). */
      readonly id: string;
      readonly command: CommandName;
      readonly runId: string;
      /** The approval step (approve / reject). */
      readonly step?: string;
      /** Who acts; recorded in the run's log. @defaultValue the client's label */
      readonly by?: string;
      readonly comment?: string;
    }
  | { readonly type: 'ping' };

// ---- server → client ------------------------------------------------------------------------

/** One run, as lists and snapshots show it. */
export interface RunSummary {
  readonly id: string;
  readonly workflow: string;
  readonly status: RunStatus;
  readonly currentSteps: readonly string[];
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly headSeq: number;
  readonly headHash: string;
  readonly parentRunId?: string;
  /** Steps waiting for a human. */
  readonly pendingApprovals: readonly string[];
}

/** One actor of the tree. */
export interface ActorInfo {
  /** Unique in the system (XState's session id). */
  readonly id: string;
  /** The actor's own id: `runtime`, `agents`, `agent:<id>`, `<agent>#<n>`, a run id, ... */
  readonly name: string;
  /** The parent actor's id (absent for the root). */
  readonly parent?: string;
  /** What it is: the runtime's supervisors, an agent instance, a run, or another XState actor. */
  readonly kind: 'supervisor' | 'agent-instance' | 'run' | 'actor';
  readonly status: 'active' | 'stopped' | 'error' | 'done';
}

/** Something that happened, as the inspector streams it. */
export type InspectorEvent =
  | { readonly type: 'actor.spawned'; readonly actor: ActorInfo }
  | { readonly type: 'actor.stopped'; readonly id: string; readonly kind: ActorInfo['kind']; readonly status: ActorInfo['status'] }
  | {
      /** A supervisor's decision about a child: restarted (after `delayMs`), stopped, escalated, failed. */
      readonly type: 'supervisor.decision';
      readonly supervisor: string;
      readonly child: string;
      readonly decision: 'restarted' | 'failed' | 'stopped' | 'escalated' | 'started';
      readonly delayMs?: number;
      readonly error?: string;
    }
  | { readonly type: 'step.started'; readonly runId: string; readonly step: string; readonly agent: string; readonly attempt: number }
  | { readonly type: 'step.retried'; readonly runId: string; readonly step: string; readonly agent: string; readonly attempt: number }
  | { readonly type: 'step.completed'; readonly runId: string; readonly step: string; readonly seq: number; readonly agent?: string; readonly durationMs?: number; readonly attempts?: number }
  | { readonly type: 'step.failed'; readonly runId: string; readonly step: string; readonly agent?: string; readonly error: ErrorValue; readonly durationMs?: number; readonly attempts?: number }
  | { readonly type: 'step.timed-out'; readonly runId: string; readonly step: string; readonly agent?: string; readonly timeoutMs?: number }
  | { readonly type: 'run.state'; readonly run: RunSummary }
  | { readonly type: 'approval.waiting'; readonly runId: string; readonly step: string; readonly prompt?: string }
  | { readonly type: 'approval.decided'; readonly runId: string; readonly step: string; readonly approved: boolean; readonly by?: string; readonly comment?: string }
  | { readonly type: 'context.appended'; readonly runId: string; readonly entry: EntrySummary }
  | { readonly type: 'circuit.changed'; readonly agent: string; readonly state: 'closed' | 'open' | 'half-open' }
  | { readonly type: 'reflection.decision'; readonly kind: string; readonly agent?: string; readonly detail: unknown };

/** A context entry as streamed: its place in the chain and what it holds. */
export interface EntrySummary {
  readonly seq: number;
  readonly kind: ContextEntry['kind'];
  readonly step: string;
  readonly agent?: string;
  readonly at: number;
  readonly durationMs?: number;
  readonly hash: string;
  readonly prevHash: string;
  readonly output: unknown;
}

/** An event and when it happened (epoch ms). */
export interface StampedEvent {
  readonly at: number;
  readonly event: InspectorEvent;
}

/**
 * A run as a digest shows it: `[id, workflow, status, createdAgo, updatedAgo, headSeq, currentSteps,
 * pendingApprovals]`, and its `parentRunId` ninth when it has one — a run summary without its head's
 * hash, as a tuple (the names of the fields would be most of its bytes), its workflow an index into
 * the digest's `workflows` and its times in ms before the digest's `at`.
 */
export type DigestRun =
  | readonly [id: string, workflow: number, status: RunStatus, createdAgo: number, updatedAgo: number, headSeq: number, currentSteps: readonly string[], pendingApprovals: readonly string[]]
  | readonly [id: string, workflow: number, status: RunStatus, createdAgo: number, updatedAgo: number, headSeq: number, currentSteps: readonly string[], pendingApprovals: readonly string[], parentRunId: string];

/**
 * The all-runs feed as an overview, for a client that subscribed to it with `digest: true`: sent at
 * most every digest interval (250 ms by default), it stands for the runs' `run.state`,
 * `step.started` (first attempts) and `step.completed` events, which such a client does not get
 * (and which the runtime then does not even build: a digest costs the runs nothing per step).
 * Everything else its subscriptions want — the all-runs feed's rarer events (retries, failures,
 * time-outs, approvals), followed runs (in full, left out of the overview), the tree, circuits —
 * comes in `events` frames, every flush interval (50 ms by default), as for any client.
 */
export interface Digest {
  readonly type: 'digest';
  /** When it was sent (epoch ms). */
  readonly at: number;
  /** The workflows its runs name, by index. */
  readonly workflows: readonly string[];
  /** Runs whose status changed since the last digest and that have not ended: the latest state of each, once. */
  readonly runs: readonly DigestRun[];
  /** Runs that ended since the last digest, as columns; null for none. */
  readonly finished: DigestFinished | null;
  /** Runs whose current steps changed since the last digest (and whose status did not): run id → its steps running now. */
  readonly steps: Readonly<Record<string, readonly string[]>>;
  /** The steps of every run (followed ones too) that completed since the last digest, for rates and percentiles; null for none. */
  readonly completed: DigestSteps | null;
}

/**
 * Runs that ended in a digest interval, by column: the `i`-th run is `ids[i]`, its status
 * `statuses[status[i]]`, its workflow `workflows[workflow[i]]` (the digest's list), created and
 * last updated `createdAgo[i]` and `updatedAgo[i]` ms before the digest's `at`, its log's head at
 * `headSeq[i]`, and its parent run `parent[i]` (the column only when some run has one; null for
 * none). Columns rather than a tuple per run: at thousands of runs a second, a client parses an id
 * and a few numbers per run.
 */
export interface DigestFinished {
  readonly statuses: readonly RunStatus[];
  readonly ids: readonly string[];
  readonly workflow: readonly number[];
  readonly status: readonly number[];
  readonly createdAgo: readonly number[];
  readonly updatedAgo: readonly number[];
  readonly headSeq: readonly number[];
  readonly parent?: readonly (string | null)[];
}

/**
 * Steps completed in a digest interval: how many, how many failed, and their durations as a
 * histogram — `counts[i]` steps took at most `le[i]` ms (and more than `le[i - 1]`), the last count
 * more than every bound. From the runtime's `troupe_step_duration_seconds` histogram (its
 * buckets), so that counting them costs the steps nothing.
 */
export interface DigestSteps {
  readonly count: number;
  readonly failed: number;
  /** Upper bounds, ms. */
  readonly le: readonly number[];
  /** One more than `le`. */
  readonly counts: readonly number[];
}

/** What a subscription starts with. */
export type Snapshot =
  | { readonly kind: 'runs'; readonly runs: readonly RunSummary[] }
  | { readonly kind: 'run'; readonly run: RunSummary; readonly entries: readonly EntrySummary[] }
  | { readonly kind: 'tree'; readonly actors: readonly ActorInfo[] };

export type ServerMessage =
  | {
      readonly type: 'hello';
      readonly protocol: number;
      readonly server: { readonly name: 'troupe'; readonly version: string; readonly pid: number; readonly startedAt: number };
      /** What this client may do. */
      readonly scope: 'read' | 'operator';
    }
  | { readonly type: 'snapshot'; readonly target: SubscriptionTarget; readonly snapshot: Snapshot }
  /** Events since the last batch, in order (batched per flush interval: one frame, not one per event). */
  | { readonly type: 'events'; readonly events: readonly StampedEvent[] }
  /** The all-runs feed's overview for a client that took it as a digest (`subscribe` with `digest: true`). */
  | Digest
  | { readonly type: 'ack'; readonly id: string; readonly ok: true; readonly duplicate?: boolean }
  | { readonly type: 'ack'; readonly id: string; readonly ok: false; readonly error: ErrorValue; readonly duplicate?: boolean }
  | { readonly type: 'unsubscribed'; readonly target: SubscriptionTarget }
  | { readonly type: 'pong' }
  /** A message the server could not take: malformed, unknown, not allowed. The socket stays open. */
  | { readonly type: 'error'; readonly code: string; readonly message: string };

/** The entry as the protocol shows it. */
export function entrySummary(e: ContextEntry): EntrySummary {
  return {
    seq: e.seq,
    kind: e.kind,
    step: e.step,
    ...(e.agent === undefined ? {} : { agent: e.agent }),
    at: e.at,
    ...(e.durationMs === undefined ? {} : { durationMs: e.durationMs }),
    hash: e.hash,
    prevHash: e.prevHash,
    output: e.output,
  };
}

/** Why a client message was refused. */
export class ProtocolError extends Error {
  constructor(
    readonly code: 'TROUPE_INSPECTOR_MESSAGE_INVALID',
    message: string,
  ) {
    super(message);
  }
}

const COMMANDS: ReadonlySet<string> = new Set(['approve', 'reject', 'pause', 'resume', 'cancel']);
const MAX_TEXT = 1024;

/**
 * Parse and check one client message. Never throws anything but a `ProtocolError` naming what is
 * wrong (the field and what was expected).
 */
export function parseClientMessage(raw: string): ClientMessage {
  let m: unknown;
  try {
    m = JSON.parse(raw);
  } catch (e) {
    throw invalid(`not JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (typeof m !== 'object' || m === null || Array.isArray(m)) throw invalid('expected a JSON object with a "type"');
  const o = m as Record<string, unknown>;
  switch (o['type']) {
    case 'ping':
      return { type: 'ping' };
    case 'subscribe': {
      const digest = o['digest'];
      if (digest !== undefined && typeof digest !== 'boolean') throw invalid('digest: expected true or false');
      return { type: 'subscribe', target: target(o['target']), ...(digest === true ? { digest } : {}) };
    }
    case 'unsubscribe':
      return { type: 'unsubscribe', target: target(o['target']) };
    case 'command': {
      const command = o['command'];
      if (typeof command !== 'string' || !COMMANDS.has(command)) throw invalid(`command: expected one of ${[...COMMANDS].join(', ')}`);
      const step = optionalText(o, 'step');
      if ((command === 'approve' || command === 'reject') && step === undefined) throw invalid(`step: required for ${command}`);
      const by = optionalText(o, 'by');
      const comment = optionalText(o, 'comment');
      return {
        type: 'command',
        id: text(o, 'id'),
        command: command as CommandName,
        runId: text(o, 'runId'),
        ...(step === undefined ? {} : { step }),
        ...(by === undefined ? {} : { by }),
        ...(comment === undefined ? {} : { comment }),
      };
    }
    default:
      throw invalid(`type: expected subscribe, unsubscribe, command or ping, got ${JSON.stringify(o['type'])?.slice(0, 40) ?? 'nothing'}`);
  }
}

function target(v: unknown): SubscriptionTarget {
  if (typeof v !== 'object' || v === null) throw invalid('target: expected { kind: "runs" | "run" | "tree" }');
  const t = v as Record<string, unknown>;
  if (t['kind'] === 'runs') return { kind: 'runs' };
  if (t['kind'] === 'tree') {
    if (t['runs'] !== undefined && typeof t['runs'] !== 'boolean') throw invalid('target.runs: expected true or false');
    return t['runs'] === false ? { kind: 'tree', runs: false } : { kind: 'tree' };
  }
  if (t['kind'] === 'run') return { kind: 'run', runId: text(t, 'runId', 'target.runId') };
  throw invalid('target.kind: expected "runs", "run" or "tree"');
}

function text(o: Record<string, unknown>, key: string, name = key): string {
  const v = o[key];
  if (typeof v !== 'string' || v.length === 0 || v.length > MAX_TEXT) throw invalid(`${name}: expected a non-empty string of at most ${MAX_TEXT} characters`);
  return v;
}

function optionalText(o: Record<string, unknown>, key: string): string | undefined {
  return o[key] === undefined ? undefined : text(o, key);
}

function invalid(message: string): ProtocolError {
  return new ProtocolError('TROUPE_INSPECTOR_MESSAGE_INVALID', message);
}

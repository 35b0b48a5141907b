import type { ActorLogic, ActorRef, ActorSystem, AnyActorLogic, AnyActorRef, EventObject, Snapshot } from 'xstate';

/**
 * Which children a supervisor restarts when one fails (OTP):
 * - `one-for-one`: only the failed child;
 * - `one-for-all`: every child (the others are stopped first, in reverse start order);
 * - `rest-for-one`: the failed child and every child started after it.
 */
export type Strategy = 'one-for-one' | 'one-for-all' | 'rest-for-one';

/**
 * When a child is restarted (OTP restart types):
 * - `permanent`: always, whether it failed or completed;
 * - `transient`: only after an error, never after normal completion;
 * - `temporary`: never (e.g. workflow runs, which recover from their log instead).
 */
export type RestartKind = 'permanent' | 'transient' | 'temporary';

/** Restart intensity: at most `maxRestarts` restarts within a sliding window of `withinMs`. */
export interface Intensity {
  /** Restarts allowed in the window; one more failure escalates. `0` escalates on the first failure. */
  readonly maxRestarts: number;
  /** Length of the sliding window, in milliseconds (> 0). */
  readonly withinMs: number;
}

/** Exponential backoff between restarts: `min(maxMs, baseMs * 2^n)`, `n` = the child's restarts in the window. */
export interface Backoff {
  /** Delay of a child's first restart in an empty window, in milliseconds. `0` restarts at once. */
  readonly baseMs: number;
  /** Upper bound of the delay, in milliseconds (>= `baseMs`). */
  readonly maxMs: number;
}

/** One restart, as remembered for the intensity window. */
export interface RestartRecord {
  /** When the restart was decided (injected clock, milliseconds). */
  readonly at: number;
  /** The child whose exit caused it. */
  readonly child: string;
}

/** What the pure policy needs to know about a child. */
export interface ChildInfo {
  readonly id: string;
  readonly restart: RestartKind;
}

/** How a child ended: an error, or normal completion (`done`). */
export type ChildExit = { readonly kind: 'error'; readonly error: unknown } | { readonly kind: 'done'; readonly output?: unknown };

/** What a supervisor does about one child's exit; the result of `decide`. */
export type Decision =
  /** Do not restart: drop the child (temporary child, or transient child that completed). */
  | { readonly action: 'remove' }
  | {
      readonly action: 'restart';
      /** Running siblings to stop first, in reverse start order (the failed child is already gone). */
      readonly stop: readonly string[];
      /** Temporary siblings that are stopped and dropped rather than restarted. */
      readonly remove: readonly string[];
      /** Children to start again, in start order (includes the failed child). */
      readonly start: readonly string[];
      /** Wait this long before starting them. */
      readonly delayMs: number;
      /** The restart history to keep (pruned to the window, this restart appended). */
      readonly history: readonly RestartRecord[];
    }
  /** The restart intensity is exhausted: stop every child and fail to the parent. */
  | { readonly action: 'escalate'; readonly reason: string };

/** Input of the pure `decide` policy. */
export interface DecideInput {
  readonly strategy: Strategy;
  /** Every child of the supervisor in start order (the failed one included). Read only when the strategy needs siblings. */
  readonly children: Iterable<ChildInfo>;
  /** The child that exited. */
  readonly failed: ChildInfo;
  readonly exit: ChildExit;
  /** Restarts decided so far (any order; entries outside the window are ignored). */
  readonly history: readonly RestartRecord[];
  /** The current time on the injected clock. */
  readonly now: number;
  readonly intensity: Intensity;
  readonly backoff: Backoff;
}

/** A child to supervise. */
export interface ChildSpec {
  /** Unique among the supervisor's children; `getChild(supervisor, id)` finds the live ref by it. */
  readonly id: string;
  /** The child's behaviour; a nested supervisor is just another logic. */
  readonly logic: AnyActorLogic;
  /** Input given to every incarnation of the child. */
  readonly input?: unknown;
  /** @defaultValue 'permanent' */
  readonly restart?: RestartKind;
  /** Registers each incarnation in the actor system (`system.get(systemId)`); the old one unregisters when it stops. */
  readonly systemId?: string;
}

/** Why the supervisor stopped a child. */
export type StopReason = 'removed' | 'sibling-failed' | 'escalation' | 'shutdown';

/** What a supervisor reports to `onEvent`. */
export type SupervisionEvent =
  | { readonly type: 'child.started'; readonly supervisor: string; readonly child: string }
  | { readonly type: 'child.failed'; readonly supervisor: string; readonly child: string; readonly error: unknown }
  | { readonly type: 'child.completed'; readonly supervisor: string; readonly child: string; readonly output: unknown }
  | { readonly type: 'child.restarted'; readonly supervisor: string; readonly child: string; readonly delayMs: number }
  | { readonly type: 'child.stopped'; readonly supervisor: string; readonly child: string; readonly reason: StopReason }
  | { readonly type: 'supervisor.escalated'; readonly supervisor: string; readonly child: string; readonly error: unknown };

/** Options of `createSupervisor`. */
export interface SupervisorOptions {
  /** Names the supervisor in events and errors. */
  readonly id: string;
  /** @defaultValue 'one-for-one' */
  readonly strategy?: Strategy;
  /** @defaultValue `{ maxRestarts: 3, withinMs: 5000 }` (OTP's default intensity 1 in 5 s, made a little more forgiving). */
  readonly intensity?: Intensity;
  /** @defaultValue `{ baseMs: 0, maxMs: 0 }` (restart at once) */
  readonly backoff?: Backoff;
  /** Children started with the supervisor, in this order. @defaultValue `[]` */
  readonly children?: readonly ChildSpec[];
  /**
   * Called when this supervisor gives up (nested or root); a nested supervisor's parent also gets
   * the failure as `xstate.error.actor.<id>`. A throwing callback is ignored.
   */
  readonly onEscalate?: (error: unknown) => void;
  /** Observes every supervision event. Called synchronously; a throwing listener is ignored. */
  readonly onEvent?: (event: SupervisionEvent) => void;
  /** Current time for the intensity window. @defaultValue the actor clock's `now()` (e.g. `SimulatedClock`), else `Date.now` */
  readonly now?: () => number;
}

/** A supervised child as seen in the supervisor's snapshot. */
export interface SupervisedChild {
  readonly id: string;
  readonly restart: RestartKind;
  /** The live incarnation; `undefined` while a restart is pending. */
  readonly ref: AnyActorRef | undefined;
  /** How many times this child has been restarted. */
  readonly restarts: number;
}

/**
 * A supervisor's snapshot. It is a live view (not copied per event, so that 10,000 children stay
 * cheap): read it, do not keep it.
 */
export type SupervisorSnapshot = Snapshot<undefined> & {
  /** The supervisor's `id` option. On escalation, `error` is a `TroupeError('TROUPE_SUPERVISOR_ESCALATED')` whose `cause` is the child's error. */
  readonly id: string;
  /** Children in start order, by id. */
  readonly children: ReadonlyMap<string, SupervisedChild>;
};

/** Events a supervisor accepts from outside (prefer `addChild` / `removeChild`). */
export type SupervisorEvent =
  | { readonly type: 'supervisor.add'; readonly spec: ChildSpec }
  | { readonly type: 'supervisor.remove'; readonly id: string };

/** The actor logic `createSupervisor` returns; usable as a root actor or as any supervisor's child. */
export type SupervisorLogic = ActorLogic<SupervisorSnapshot, SupervisorEvent, unknown, ActorSystem<any>, EventObject>;

/** A running supervisor. */
export type SupervisorRef = ActorRef<SupervisorSnapshot, SupervisorEvent>;

import type { ActorLogic, AnyActorRef, Snapshot } from 'xstate';

/** What the runs actor accepts: stop one of its runs (XState lets only a parent stop a child). */
export type RunsEvent = { readonly type: 'run.stop'; readonly ref: AnyActorRef } | { readonly type: string };

type RunsSnapshot = Snapshot<undefined>;

/**
 * The `workflows` actor: the parent of a runtime's run actors (their restart kind is OTP's
 * `temporary`: a run is never restarted, it recovers from its log). Sharing its actor system saves each run the system
 * XState builds for a root actor (maps, a scheduler, ~20 closures: ~5 µs and GC pressure per run).
 * Done and error events of runs arrive here and are ignored: each run's core reports its own outcome.
 */
export const runsLogic: ActorLogic<RunsSnapshot, RunsEvent> = {
  getInitialSnapshot: () => ({ status: 'active', output: undefined, error: undefined }),
  transition(snapshot, event, scope) {
    if (event.type === 'xstate.stop') return { status: 'stopped', output: undefined, error: undefined } as unknown as RunsSnapshot;
    if (event.type === 'run.stop' && 'ref' in event && event.ref._parent === scope.self) scope.stopChild(event.ref);
    return snapshot;
  },
  getPersistedSnapshot: (snapshot) => snapshot,
};

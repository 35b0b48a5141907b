import { createActor, type AnyActor, type AnyActorRef } from 'xstate';
import { runsLogic } from '../workflow/index.js';
import { createSupervisor, getChild, type SupervisionEvent, type SupervisorRef } from './supervision/index.js';

/** The running actor tree of one runtime (ARCHITECTURE.md, "The actor tree"). */
export interface ActorTree {
  /** The root supervisor; one XState actor system holds everything below it. */
  readonly root: AnyActor;
  /** Supervisor of the per-agent supervisors. */
  readonly agents: SupervisorRef;
  /** Parent of every run actor. */
  readonly workflows: AnyActorRef;
}

/**
 * Start the tree: `runtime` (one-for-one) over `agents` and `workflows`. Agent supervisors are
 * temporary children of `agents`: one that escalates is not restarted, so a crashing agent can
 * never exhaust `agents`' intensity and take its siblings down. Runs are children of `workflows`
 * and are never restarted either: a run recovers from its log.
 */
export function startActorTree(options: { now: () => number; onEvent: (e: SupervisionEvent) => void; onEscalate: (error: unknown) => void }): ActorTree {
  const root = createActor(
    createSupervisor({
      id: 'runtime',
      strategy: 'one-for-one',
      now: options.now,
      onEvent: options.onEvent,
      onEscalate: options.onEscalate,
      children: [
        {
          id: 'agents',
          systemId: 'agents',
          logic: createSupervisor({ id: 'agents', strategy: 'one-for-one', intensity: { maxRestarts: 1, withinMs: 1 }, now: options.now, onEvent: options.onEvent }),
        },
        { id: 'workflows', systemId: 'workflows', logic: runsLogic },
      ],
    }),
    { id: 'runtime' },
  );
  root.start();
  return { root, agents: getChild(root as unknown as SupervisorRef, 'agents') as SupervisorRef, workflows: getChild(root as unknown as SupervisorRef, 'workflows')! };
}

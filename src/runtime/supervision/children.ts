import type { AnyActorRef } from 'xstate';
import { TroupeError } from '../../errors/index.js';
import type { ChildSpec, SupervisorRef } from './types.js';
import { validateChildSpec } from './validate.js';

/**
 * The live ref of a supervised child. After a restart this is the new incarnation; while a
 * restart is pending, or once the child is gone, it is `undefined`.
 *
 * @param supervisor - a running supervisor
 * @param id - the child's `ChildSpec.id`
 * @example
 * ```ts
 * getChild(agents, 'triage-1')?.send({ type: 'step', input });
 * ```
 */
export function getChild(supervisor: SupervisorRef, id: string): AnyActorRef | undefined {
  return supervisor.getSnapshot().children.get(id)?.ref;
}

/**
 * Start a child under a running supervisor, at the end of the start order.
 *
 * @param supervisor - a running supervisor
 * @param spec - the child to start
 * @returns the child's live ref; `undefined` only when called re-entrantly from inside the
 *   supervisor's own processing (e.g. an `onEvent` listener), where the add is queued
 * @throws TroupeError `TROUPE_RUNTIME_OPTIONS_INVALID` for a malformed spec or an id already in use;
 *   `TROUPE_RUNTIME_STOPPED` when the supervisor is not active
 * @example
 * ```ts
 * const run = addChild(workflows, { id: runId, logic: runMachine, input, restart: 'temporary' });
 * ```
 */
export function addChild(supervisor: SupervisorRef, spec: ChildSpec): AnyActorRef | undefined {
  const snapshot = supervisor.getSnapshot();
  if (snapshot.status !== 'active') {
    throw new TroupeError('TROUPE_RUNTIME_STOPPED', `supervisor '${snapshot.id}' is ${snapshot.status}; cannot add child '${String(spec?.id)}'`, {
      data: { supervisor: snapshot.id, status: snapshot.status },
    });
  }
  validateChildSpec(spec, `supervisor '${snapshot.id}' child`);
  if (snapshot.children.has(spec.id)) {
    throw new TroupeError('TROUPE_RUNTIME_OPTIONS_INVALID', `supervisor '${snapshot.id}' already has a child '${spec.id}'`, {
      data: { supervisor: snapshot.id, child: spec.id },
    });
  }
  supervisor.send({ type: 'supervisor.add', spec });
  return getChild(supervisor, spec.id);
}

/**
 * Stop a child and forget it (it is not restarted). Unknown ids are ignored.
 *
 * @param supervisor - a running supervisor
 * @param id - the child's `ChildSpec.id`
 * @example
 * ```ts
 * removeChild(agents, 'triage-1');
 * ```
 */
export function removeChild(supervisor: SupervisorRef, id: string): void {
  supervisor.send({ type: 'supervisor.remove', id });
}

import { createActor, type ActorLogic, type ActorScope, type AnyActorRef, type EventObject, type Snapshot } from 'xstate';
import type { CompiledStep, CompiledWorkflow } from './compile.js';
import type { MachineCore, RunMachineEvent } from './machine.js';

/** Where a run is: a step, a step's sub-state (`{ step: 'awaiting' }`), `compensating`, or a final state. */
export type RunStateValue = string | { readonly [step: string]: string };

/** The snapshot of a run's actor: the shape of an XState machine snapshot that tools read. */
export type RunSnapshot = Snapshot<undefined> & {
  readonly value: RunStateValue;
  readonly context: { readonly core: MachineCore };
  /** The delegated sub-run's actor while a `workflow:` step is active (`sub:<step>`). */
  readonly children: Readonly<Record<string, AnyActorRef>>;
};

/** The actor logic of a workflow's runs: its statechart compiled to a transition table. */
export type RunLogic = ActorLogic<RunSnapshot, RunMachineEvent | EventObject, { core: MachineCore }>;

type Scope = ActorScope<RunSnapshot, RunMachineEvent | EventObject>;

const FINAL: Readonly<Record<string, string>> = { 'run.complete': 'completed', 'run.fail': 'failed', 'run.cancel': 'cancelled' };
const NO_CHILDREN: Readonly<Record<string, AnyActorRef>> = Object.freeze({});

/**
 * Compile a workflow's statechart (the one {@link buildMachine} builds) to actor logic for its
 * runs. The chart is flat — one state per step, a sub-state for approval gates, `compensating`
 * and three final states — and every transition is named by the run core, so a lookup table
 * does what XState's general interpreter does at ~45 µs per 3-step run (entry, exit, LCA and
 * eventless-transition computation, a new snapshot and sets per microstep) for ~1 µs. A test
 * walks every state and event of every shipped workflow on both and requires the same answers.
 *
 * Semantics kept from the machine: entering a step calls `core.enter(step)` (after the snapshot
 * moves; for a `workflow:` step before its child is made, in the machine's order); `to.<step>` is accepted only from a step that can go there (re-entering itself too);
 * `await` moves a gated step from `running` to `awaiting`; `run.*` events end the run from any
 * state; a `workflow:` step spawns its sub-workflow's actor as the child `sub:<step>`, stopped
 * when the step is left. Other events (a child's done event) are ignored: the core reports outcomes.
 */
export function buildRunLogic(wf: Omit<CompiledWorkflow, 'machine' | 'logic'>, childLogic: (name: string) => RunLogic): RunLogic {
  const initial = new Map<string, RunStateValue>();
  const accepts = new Map<string, ReadonlySet<string>>();
  for (const step of wf.steps.values()) {
    initial.set(step.id, initialValue(step));
    accepts.set(step.id, new Set(step.targets));
  }
  const steps = wf.steps;

  function enter(step: string, snapshot: RunSnapshot, scope: Scope, starting = false): RunSnapshot {
    const core = snapshot.context.core;
    const compiled = steps.get(step)!;
    let children = NO_CHILDREN;
    if (compiled.kind === 'workflow') {
      // As the machine orders it: the entry action, the invoked child's input, then its start (at
      // the initial state, entry actions wait for the actor's start, after the child's).
      if (!starting) core.enter(step);
      const id = `sub:${step}`;
      const child: AnyActorRef = createActor(childLogic(compiled.workflow!), { id, parent: scope.self, input: core.childInput(step) as { core: MachineCore } });
      children = { [id]: child };
      scope.defer(() => child.start());
      if (starting) scope.defer(() => core.enter(step));
    } else {
      scope.defer(() => core.enter(step));
    }
    return { status: 'active', value: initial.get(step)!, context: snapshot.context, output: undefined, error: undefined, children };
  }

  function leave(snapshot: RunSnapshot, scope: Scope): void {
    for (const child of Object.values(snapshot.children)) scope.stopChild(child);
  }

  function stepOf(value: RunStateValue): string {
    return typeof value === 'string' ? value : Object.keys(value)[0]!;
  }

  return {
    getInitialSnapshot(scope, input) {
      const core = input.core;
      core.attach(scope.self as never);
      const start: RunSnapshot = { status: 'active', value: wf.start, context: { core }, output: undefined, error: undefined, children: NO_CHILDREN };
      return enter(wf.start, start, scope as Scope, true);
    },
    transition(snapshot, event, scope) {
      if (snapshot.status !== 'active') return snapshot;
      const type = event.type;
      const value = snapshot.value;
      if (type.startsWith('to.')) {
        if (value === 'compensating' || (typeof value === 'string' && !steps.has(value))) return snapshot;
        const target = type.slice(3);
        if (!accepts.get(stepOf(value))?.has(target)) return snapshot;
        leave(snapshot, scope);
        return enter(target, snapshot, scope);
      }
      const final = FINAL[type];
      if (final !== undefined) {
        leave(snapshot, scope);
        return { status: 'done', value: final, context: snapshot.context, output: undefined, error: undefined, children: NO_CHILDREN };
      }
      if (type === 'run.compensate') {
        if (value === 'compensating') return snapshot; // the machine's root transition re-enters it: no entry action, same state
        leave(snapshot, scope);
        return { ...snapshot, value: 'compensating', children: NO_CHILDREN };
      }
      if (type === 'await') {
        if (typeof value === 'string') return snapshot;
        const step = stepOf(value);
        return value[step] === 'running' ? { ...snapshot, value: { [step]: 'awaiting' } } : snapshot;
      }
      if (type === 'xstate.stop') {
        leave(snapshot, scope);
        return { ...snapshot, status: 'stopped', children: NO_CHILDREN };
      }
      return snapshot;
    },
    getPersistedSnapshot: (snapshot) => snapshot,
  };
}

/**
 * A run's snapshot at a position, for an actor created from it (recovery): no entry action runs
 * and no sub-workflow is spawned (recovery resumes the child run itself).
 */
export function resolveRunState(value: RunStateValue, core: MachineCore): RunSnapshot {
  return { status: 'active', value, context: { core }, output: undefined, error: undefined, children: NO_CHILDREN };
}

function initialValue(step: CompiledStep): RunStateValue {
  if (step.kind === 'approval') return { [step.id]: 'waiting' };
  if (step.approval && step.kind !== 'workflow') return { [step.id]: 'running' };
  return step.id;
}

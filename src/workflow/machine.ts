import { createMachine, type AnyActor, type AnyActorLogic, type AnyStateMachine } from 'xstate';
import type { CompiledStep, CompiledWorkflow } from './compile.js';

/** What a run's actor (its logic, or the machine) calls back into: the run core that does the work of each step. */
export interface MachineCore {
  /** A step's state was entered: start its work. Must not throw. */
  enter(step: string): void;
  /** The run's actor, handed over when its first snapshot is made. */
  attach(actor: AnyActor): void;
  /** Input for the child actor a `workflow:` step delegates to. */
  childInput(step: string): unknown;
}

/** Events a run's actor accepts. Routing is decided by the core, which names the target. */
export type RunMachineEvent =
  | { readonly type: `to.${string}` }
  | { readonly type: 'await' }
  | { readonly type: 'run.complete' }
  | { readonly type: 'run.compensate' }
  | { readonly type: 'run.fail' }
  | { readonly type: 'run.cancel' };

/** The XState machine of a workflow: one state per step. Runs execute it compiled to a table (`buildRunLogic`). */
export type RunMachine = AnyStateMachine;

const ID = 'run';

/**
 * Build the statechart of a workflow. A step state's entry hands the step to the core; the core
 * answers with `to.<step>` (next step) or a `run.*` event. A parallel step is one atomic state:
 * the core joins its branches (each recorded in the log as it completes) and then sends `to.<next>`.
 * (XState parallel regions per branch cost ~110 µs per run in transitions and mirrored nothing the
 * core does not already decide.) A `workflow:` step invokes the sub-workflow's machine as a child
 * actor, which stops when the step is left.
 */
export function buildMachine(wf: Omit<CompiledWorkflow, 'machine' | 'logic'>): RunMachine {
  const states: Record<string, unknown> = {};
  for (const step of wf.steps.values()) states[step.id] = stepState(step, wf);
  states.compensating = { on: { 'run.fail': 'failed' } };
  states.completed = { type: 'final' };
  states.failed = { type: 'final' };
  states.cancelled = { type: 'final' };
  return createMachine({
    id: ID,
    initial: wf.start,
    context: ({ input, self }: { input: { core: MachineCore }; self: AnyActor }) => {
      input.core.attach(self);
      return { core: input.core };
    },
    on: {
      'run.complete': `.completed`,
      'run.compensate': `.compensating`,
      'run.fail': `.failed`,
      'run.cancel': `.cancelled`,
    },
    states,
  } as never) as RunMachine;
}

function stepState(step: CompiledStep, wf: Omit<CompiledWorkflow, 'machine' | 'logic'>): Record<string, unknown> {
  const on: Record<string, unknown> = {};
  for (const t of step.targets) on[`to.${t}`] = { target: `#${ID}.${t}`, reenter: true };
  const entry = ({ context }: { context: { core: MachineCore } }) => context.core.enter(step.id);
  const state: Record<string, unknown> = { entry, on };
  switch (step.kind) {
    case 'workflow': {
      const child = wf.children.get(step.workflow!)!;
      state.invoke = {
        id: `sub:${step.id}`,
        src: child.machine as AnyActorLogic,
        input: ({ context }: { context: { core: MachineCore } }) => context.core.childInput(step.id),
      };
      break;
    }
    case 'approval':
      state.initial = 'waiting';
      state.states = { waiting: {} };
      break;
    case 'task':
    case 'map':
    case 'parallel':
      if (step.approval) {
        state.initial = 'running';
        state.states = { running: { on: { await: 'awaiting' } }, awaiting: {} };
      }
      break;
  }
  return state;
}

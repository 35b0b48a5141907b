import { fileURLToPath } from 'node:url';
import { createActor, type AnyActorLogic } from 'xstate';
import { describe, expect, it } from 'vitest';
import type { WorkflowDefinition } from '../../src/index.js';
import { compileWorkflow, definitionHash, loadWorkflowFile, type CompiledWorkflow, type MachineCore } from '../../src/workflow/index.js';

/**
 * Runs execute `wf.logic`, the workflow's statechart compiled to a transition table; `wf.machine`
 * is the same chart as an XState machine. Walking every reachable state with every event the run
 * core can send, both must agree on the next state, the status and what the core is told.
 */

const root = (p: string): string => fileURLToPath(new URL(`../../${p}`, import.meta.url));

function compile(def: WorkflowDefinition, children: Record<string, WorkflowDefinition> = {}): CompiledWorkflow {
  const compiled = new Map<string, CompiledWorkflow>();
  const resolve = (name: string): CompiledWorkflow => {
    let c = compiled.get(name);
    if (!c) compiled.set(name, (c = compileWorkflow(children[name]!, definitionHash(children[name]!), resolve)));
    return c;
  };
  return compileWorkflow(def, definitionHash(def), resolve);
}

/** A core that records what the actor tells it (sub-runs record under their step's name). */
function recorder(log: string[], prefix = ''): MachineCore {
  return {
    enter: (step) => void log.push(`${prefix}enter:${step}`),
    attach: () => undefined,
    childInput: (step) => {
      log.push(`${prefix}child:${step}`);
      return { core: recorder(log, `${prefix}${step}/`) };
    },
  };
}

interface Observed {
  readonly value: unknown;
  readonly status: string;
  readonly children: string[];
  readonly log: string[];
}

function drive(logic: AnyActorLogic, events: readonly string[]): Observed {
  const log: string[] = [];
  const actor = createActor(logic, { input: { core: recorder(log) } });
  actor.start();
  for (const type of events) actor.send({ type });
  const s = actor.getSnapshot() as { value: unknown; status: string; children: Record<string, { getSnapshot(): { status: string } }> };
  const children = Object.entries(s.children ?? {})
    .filter(([, c]) => c.getSnapshot().status === 'active')
    .map(([id]) => id);
  if (s.status === 'active') actor.stop();
  return { value: s.value, status: s.status, children, log };
}

/** Breadth-first over the states reachable by the core's events; compares both at every edge. */
function walk(wf: CompiledWorkflow): { states: number; edges: number } {
  const alphabet = [...[...wf.steps.keys()].map((s) => `to.${s}`), 'await', 'run.compensate', 'run.complete', 'run.fail', 'run.cancel', 'xstate.done.actor.x'];
  const seen = new Set<string>();
  const queue: string[][] = [[]];
  let edges = 0;
  while (queue.length > 0) {
    const path = queue.shift()!;
    for (const event of alphabet) {
      const events = [...path, event];
      const fromMachine = drive(wf.machine, events);
      const fromLogic = drive(wf.logic, events);
      expect(fromLogic, `${wf.name}: after ${events.join(' → ')}`).toEqual(fromMachine);
      edges++;
      const key = JSON.stringify([fromMachine.value, fromMachine.status]);
      if (!seen.has(key) && path.length < 6) {
        seen.add(key);
        queue.push(events);
      }
    }
  }
  return { states: seen.size, edges };
}

describe("a run's actor logic (the workflow's statechart as a transition table)", () => {
  it('agrees with the XState machine on every reachable state and event of the shipped workflows', async () => {
    for (const file of ['actors/incident-response/workflow.yaml', 'actors/customer-support/workflow.yaml']) {
      const loaded = await loadWorkflowFile(root(file));
      const { states, edges } = walk(compile(loaded.definition));
      expect(states).toBeGreaterThan(5);
      expect(edges).toBeGreaterThan(50);
    }
  });

  it('agrees on approval steps, gated tasks, loops, fan-out and compensation', () => {
    const def: WorkflowDefinition = {
      name: 'shapes',
      steps: {
        draft: { agent: 'a', next: [{ when: 'draft.ok', to: 'review' }, { to: 'draft' }], maxVisits: 3 },
        review: { approval: { required: true, reject: 'draft' }, next: 'fan' },
        fan: { parallel: { x: { agent: 'a' }, y: { agent: 'a' } }, next: 'each' },
        each: { map: { items: 'input.list', agent: 'a' }, approval: { required: true }, next: 'ship', compensate: 'a' },
        ship: { agent: 'a', onError: 'draft' },
      },
    };
    expect(walk(compile(def)).states).toBeGreaterThan(8);
  });

  it('agrees on delegation: the sub-workflow runs as a child actor that stops when the step is left', () => {
    const child: WorkflowDefinition = { name: 'child', steps: { one: { agent: 'a', next: 'two' }, two: { agent: 'a' } } };
    const def: WorkflowDefinition = {
      name: 'parent',
      steps: {
        prep: { agent: 'a', next: 'delegate' },
        delegate: { workflow: 'child', next: [{ when: 'delegate.again', to: 'delegate' }, { to: 'finish' }] },
        finish: { agent: 'a' },
      },
    };
    const wf = compile(def, { child });
    walk(wf);
    walk(compile({ name: 'first', steps: { delegate: { workflow: 'child', next: 'finish' }, finish: { agent: 'a' } } }, { child }));
    const inside = drive(wf.logic, ['to.delegate']);
    expect(inside.children).toEqual(['sub:delegate']);
    expect(inside.log).toEqual(['enter:prep', 'enter:delegate', 'child:delegate', 'delegate/enter:one']);
    expect(drive(wf.logic, ['to.delegate', 'to.finish']).children).toEqual([]);
  });
});

import { escapePointer } from './schema.js';
import type { Next, WorkflowDefinition } from './types.js';

/** One transition of the step graph, with the JSON pointer of the field that declares it. */
export interface StepEdge {
  readonly from: string;
  readonly to: string;
  readonly kind: 'next' | 'onError' | 'reject';
  readonly path: string;
}

/** The id of the first step: `start`, or the first key of `steps`. */
export function startStep(def: WorkflowDefinition): string | undefined {
  return def.start ?? Object.keys(def.steps)[0];
}

/**
 * Every transition a definition declares: `next` and `onError` targets (each rule) and
 * `approval.reject`.
 */
export function stepEdges(def: WorkflowDefinition): StepEdge[] {
  const edges: StepEdge[] = [];
  for (const [id, step] of Object.entries(def.steps)) {
    const base = `/steps/${escapePointer(id)}`;
    pushNext(edges, id, step.next, 'next', `${base}/next`);
    pushNext(edges, id, step.onError, 'onError', `${base}/onError`);
    const reject = 'approval' in step ? step.approval?.reject : undefined;
    if (reject !== undefined) edges.push({ from: id, to: reject, kind: 'reject', path: `${base}/approval/reject` });
  }
  return edges;
}

function pushNext(edges: StepEdge[], from: string, next: Next | undefined, kind: 'next' | 'onError', path: string): void {
  if (next === undefined) return;
  if (typeof next === 'string') edges.push({ from, to: next, kind, path });
  else next.forEach((rule, i) => edges.push({ from, to: rule.to, kind, path: `${path}/${i}/to` }));
}

/** Adjacency lists of the step graph, keeping only edges between existing steps. */
export function adjacency(def: WorkflowDefinition, edges = stepEdges(def)): Map<string, string[]> {
  const adj = new Map<string, string[]>();
  for (const id of Object.keys(def.steps)) adj.set(id, []);
  for (const e of edges) if (adj.has(e.to)) adj.get(e.from)?.push(e.to);
  return adj;
}

/** Steps reachable from `start` (itself included) by breadth-first search. */
export function reachableFrom(adj: ReadonlyMap<string, readonly string[]>, start: string): Set<string> {
  const seen = new Set<string>();
  if (!adj.has(start)) return seen;
  const queue = [start];
  seen.add(start);
  for (let i = 0; i < queue.length; i++) {
    for (const to of adj.get(queue[i]!) ?? []) {
      if (!seen.has(to)) {
        seen.add(to);
        queue.push(to);
      }
    }
  }
  return seen;
}

/**
 * Strongly connected components that contain a cycle (more than one step, or a step that
 * transitions to itself), each listed in the graph's key order. Iterative Tarjan: no recursion
 * limit on long chains.
 */
export function cyclicComponents(adj: ReadonlyMap<string, readonly string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  let counter = 0;
  for (const root of adj.keys()) {
    if (index.has(root)) continue;
    const work: { id: string; next: number }[] = [{ id: root, next: 0 }];
    index.set(root, counter);
    low.set(root, counter++);
    stack.push(root);
    onStack.add(root);
    while (work.length > 0) {
      const frame = work[work.length - 1]!;
      const succ = adj.get(frame.id) ?? [];
      if (frame.next < succ.length) {
        const to = succ[frame.next++]!;
        if (!index.has(to)) {
          index.set(to, counter);
          low.set(to, counter++);
          stack.push(to);
          onStack.add(to);
          work.push({ id: to, next: 0 });
        } else if (onStack.has(to)) {
          low.set(frame.id, Math.min(low.get(frame.id)!, index.get(to)!));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.id, Math.min(low.get(parent.id)!, low.get(frame.id)!));
      if (low.get(frame.id) === index.get(frame.id)) {
        const members = new Set<string>();
        let m: string;
        do {
          m = stack.pop()!;
          onStack.delete(m);
          members.add(m);
        } while (m !== frame.id);
        if (members.size > 1 || (adj.get(frame.id) ?? []).includes(frame.id)) {
          components.push([...adj.keys()].filter((k) => members.has(k)));
        }
      }
    }
  }
  return components;
}

/**
 * Cycles that no `maxVisits` bounds: the cyclic components of the graph once every step with
 * `maxVisits` is removed. Each such component is one finding, naming its steps.
 */
export function unboundedCycles(def: WorkflowDefinition, edges = stepEdges(def)): string[][] {
  const bounded = (id: string): boolean => def.steps[id]?.maxVisits !== undefined;
  const adj = new Map<string, string[]>();
  for (const [id, succ] of adjacency(def, edges)) {
    if (!bounded(id)) adj.set(id, succ.filter((to) => !bounded(to)));
  }
  const order = new Map(Object.keys(def.steps).map((id, i) => [id, i]));
  return cyclicComponents(adj).sort((a, b) => order.get(a[0]!)! - order.get(b[0]!)!);
}

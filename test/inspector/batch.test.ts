import { describe, expect, it } from 'vitest';
import { EventBatch, type Feed } from '../../src/inspector/batch.js';
import type { InspectorEvent } from '../../src/inspector/protocol.js';

const TREE: Feed = { runs: false, digest: false, tree: true, treeRuns: true, followed: new Set() };

describe('an events batch', () => {
  it("writes the tree's events as JSON.stringify would, and tells an actor that came and went in the batch once, by its spawn with its final status", () => {
    const batch = new EventBatch(() => undefined);
    const a: InspectorEvent = { type: 'actor.spawned', actor: { id: 'x:1', name: 'a "quoted" \\ name\n', kind: 'run', status: 'active', parent: 'x:0' } };
    const gone: InspectorEvent = { type: 'actor.stopped', id: 'x:2', kind: 'actor', status: 'error' };
    const root: InspectorEvent = { type: 'actor.spawned', actor: { id: 'x:3', name: 'runtime', kind: 'supervisor', status: 'active' } };
    batch.add(a, 1);
    batch.add(gone, 2);
    batch.add(root, 3);
    batch.add({ type: 'actor.stopped', id: 'x:3', kind: 'supervisor', status: 'done' }, 4);
    batch.add({ type: 'circuit.changed', agent: 'echo', state: 'open' }, 5);
    const expected = {
      type: 'events',
      events: [
        { at: 1, event: a },
        { at: 2, event: gone },
        { at: 3, event: { type: 'actor.spawned', actor: { ...root.actor, status: 'done' } } },
        { at: 5, event: { type: 'circuit.changed', agent: 'echo', state: 'open' } },
      ],
    };
    expect(batch.frame(TREE)).toBe(JSON.stringify(expected));
    expect(batch.frame({ ...TREE, tree: false })).toBe(JSON.stringify({ type: 'events', events: [expected.events[3]] }));
    // A tree without the runs' actors.
    expect(batch.frame({ ...TREE, treeRuns: false })).toBe(JSON.stringify({ type: 'events', events: expected.events.slice(1) }));
  });
});

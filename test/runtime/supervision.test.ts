import { afterEach, describe, expect, it, vi } from 'vitest';
import { assign, createActor, fromCallback, fromPromise, setup, SimulatedClock, type AnyActorRef } from 'xstate';
import {
  addChild,
  createSupervisor,
  getChild,
  removeChild,
  type ChildSpec,
  type SupervisionEvent,
  type SupervisorOptions,
} from '../../src/runtime/supervision/index.js';

/** A worker: counts `work`, throws on `boom`, completes on `finish`. */
const worker = setup({
  types: {} as { context: { count: number }; events: { type: 'work' } | { type: 'boom' } | { type: 'finish' } },
  actions: {
    explode: () => {
      throw new Error('boom');
    },
  },
}).createMachine({
  context: { count: 0 },
  initial: 'running',
  states: {
    running: {
      on: { work: { actions: assign({ count: ({ context }) => context.count + 1 }) }, boom: { actions: 'explode' }, finish: 'finished' },
    },
    finished: { type: 'final' },
  },
});

/** A child that throws on every message it receives. */
const crashy = setup({
  actions: {
    explode: () => {
      throw new Error('crashy');
    },
  },
}).createMachine({ on: { '*': { actions: 'explode' } } });

const spec = (id: string, over: Partial<ChildSpec> = {}): ChildSpec => ({ id, logic: worker, restart: 'permanent', ...over });
const count = (ref: AnyActorRef | undefined): number => (ref?.getSnapshot() as { context: { count: number } }).context.count;

function start(over: Partial<SupervisorOptions> = {}) {
  const clock = new SimulatedClock();
  const events: SupervisionEvent[] = [];
  const onEscalate = vi.fn();
  const logic = createSupervisor({
    id: 'sup',
    intensity: { maxRestarts: 3, withinMs: 1000 },
    backoff: { baseMs: 10, maxMs: 100 },
    children: [spec('a'), spec('b'), spec('c')],
    onEvent: (e) => events.push(e),
    onEscalate,
    ...over,
  });
  const sup = createActor(logic, { clock }).start();
  return { sup, clock, events, onEscalate };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('supervisor', () => {
  describe.each([
    ['one-for-one', ['b']],
    ['one-for-all', ['a', 'b', 'c']],
    ['rest-for-one', ['b', 'c']],
  ] as const)('with strategy %s, when b fails', (strategy, restarted) => {
    it(`restarts ${restarted.join(', ')} and leaves the others running`, () => {
      const { sup, clock, events } = start({ strategy });
      const before = Object.fromEntries(['a', 'b', 'c'].map((id) => [id, getChild(sup, id)]));
      for (const id of ['a', 'b', 'c']) getChild(sup, id)!.send({ type: 'work' });

      getChild(sup, 'b')!.send({ type: 'boom' });
      for (const id of restarted) expect(getChild(sup, id)).toBeUndefined(); // restart pending (backoff)
      clock.increment(10);

      for (const id of ['a', 'b', 'c']) {
        const now = getChild(sup, id)!;
        expect(now.getSnapshot().status).toBe('active');
        if ((restarted as readonly string[]).includes(id)) {
          expect(now).not.toBe(before[id]);
          expect(count(now)).toBe(0);
        } else {
          expect(now).toBe(before[id]);
          expect(count(now)).toBe(1);
        }
      }
      const restartedEvents = events.filter((e) => e.type === 'child.restarted').map((e) => e.child);
      expect(restartedEvents).toEqual(restarted);
      const stopped = events.filter((e) => e.type === 'child.stopped').map((e) => e.child);
      expect(stopped).toEqual(restarted.filter((id) => id !== 'b').reverse());
      sup.stop();
    });
  });

  describe('when a child throws on every message', () => {
    it('restarts it up to the intensity, then escalates, while one-for-one siblings keep working', () => {
      const { sup, clock, events, onEscalate } = start({
        children: [spec('healthy'), spec('crashy', { logic: crashy })],
        intensity: { maxRestarts: 3, withinMs: 10_000 },
      });
      const healthy = getChild(sup, 'healthy')!;
      let failures = 0;
      for (let i = 0; i < 10 && sup.getSnapshot().status === 'active'; i++) {
        healthy.send({ type: 'work' });
        const c = getChild(sup, 'crashy');
        if (c) {
          c.send({ type: 'hello' });
          failures++;
        }
        if (sup.getSnapshot().status !== 'active') break;
        healthy.send({ type: 'work' });
        expect(getChild(sup, 'healthy')).toBe(healthy); // never restarted
        clock.increment(100);
      }
      expect(failures).toBe(4); // 3 restarts allowed, the 4th failure escalates
      expect(events.filter((e) => e.type === 'child.restarted')).toHaveLength(3);
      expect(count(healthy)).toBe(7); // every message sent before the escalation was processed
      expect(healthy.getSnapshot().status).toBe('stopped'); // escalation stops everything

      const snap = sup.getSnapshot();
      expect(snap.status).toBe('error');
      expect(snap.error).toMatchObject({
        code: 'TROUPE_SUPERVISOR_ESCALATED',
        data: { supervisor: 'sup', child: 'crashy', error: { message: 'crashy' } },
      });
      expect((snap.error as Error).cause).toMatchObject({ message: 'crashy' });
      expect(onEscalate).toHaveBeenCalledWith(snap.error);
      expect(events.at(-1)).toMatchObject({ type: 'supervisor.escalated', child: 'crashy' });
    });
  });

  describe('with nested supervisors', () => {
    it('hands an inner escalation to the outer supervisor as a failed child, which restarts it and later escalates', () => {
      const outerEvents: SupervisionEvent[] = [];
      const inner = createSupervisor({
        id: 'inner',
        intensity: { maxRestarts: 0, withinMs: 1000 },
        children: [spec('w')],
      });
      const { sup: outer, clock, onEscalate } = start({
        children: [spec('sibling'), { id: 'inner', logic: inner }],
        intensity: { maxRestarts: 1, withinMs: 1000 },
        onEvent: (e) => outerEvents.push(e),
      });
      const innerRef = () => getChild(outer, 'inner') as Parameters<typeof getChild>[0];
      const first = innerRef();
      const w1 = getChild(first, 'w')!;

      w1.send({ type: 'boom' });
      expect(first.getSnapshot().status).toBe('error');
      expect(w1.getSnapshot().status).toBe('error');
      const failed = outerEvents.find((e) => e.type === 'child.failed');
      expect(failed).toMatchObject({ child: 'inner', error: { code: 'TROUPE_SUPERVISOR_ESCALATED', data: { child: 'w' } } });

      clock.increment(10);
      const second = innerRef();
      expect(second).not.toBe(first);
      const w2 = getChild(second, 'w')!;
      w2.send({ type: 'work' });
      expect(count(w2)).toBe(1);

      w2.send({ type: 'boom' });
      const snap = outer.getSnapshot();
      expect(snap.status).toBe('error');
      expect(snap.error).toMatchObject({ code: 'TROUPE_SUPERVISOR_ESCALATED', data: { child: 'inner' } });
      expect((snap.error as Error).cause).toMatchObject({ code: 'TROUPE_SUPERVISOR_ESCALATED', data: { child: 'w' } });
      expect(onEscalate).toHaveBeenCalledTimes(1);
    });
  });

  describe('backoff', () => {
    it('grows exponentially between restarts, capped, and resets once the window empties', () => {
      const { sup, clock, events } = start({
        children: [spec('a')],
        intensity: { maxRestarts: 10, withinMs: 10_000 },
        backoff: { baseMs: 100, maxMs: 400 },
      });
      const delays: number[] = [];
      for (let i = 0; i < 4; i++) {
        getChild(sup, 'a')!.send({ type: 'boom' });
        clock.increment(99);
        expect(getChild(sup, 'a')).toBeUndefined();
        let waited = 99;
        while (!getChild(sup, 'a')) {
          clock.increment(1);
          waited++;
        }
        delays.push(waited);
      }
      expect(delays).toEqual([100, 200, 400, 400]);
      expect(events.filter((e) => e.type === 'child.restarted').map((e) => e.type === 'child.restarted' && e.delayMs)).toEqual(delays);

      clock.increment(10_000);
      getChild(sup, 'a')!.send({ type: 'boom' });
      clock.increment(100);
      expect(getChild(sup, 'a')).toBeDefined();
      sup.stop();
    });
  });

  describe('restart kinds', () => {
    it('drops a temporary child on error or completion and never restarts it', () => {
      const { sup, clock, events } = start({ children: [spec('t1', { restart: 'temporary' }), spec('t2', { restart: 'temporary' })] });
      getChild(sup, 't1')!.send({ type: 'boom' });
      getChild(sup, 't2')!.send({ type: 'finish' });
      clock.increment(1000);
      expect([...sup.getSnapshot().children.keys()]).toEqual([]);
      expect(events.map((e) => e.type)).toEqual(['child.started', 'child.started', 'child.failed', 'child.completed']);
      sup.stop();
    });

    it('restarts a transient child after an error but not after completion', () => {
      const { sup, clock } = start({ children: [spec('x', { restart: 'transient' })] });
      const first = getChild(sup, 'x');
      first!.send({ type: 'boom' });
      clock.increment(10);
      const second = getChild(sup, 'x');
      expect(second).toBeDefined();
      expect(second).not.toBe(first);
      second!.send({ type: 'finish' });
      clock.increment(1000);
      expect(sup.getSnapshot().children.has('x')).toBe(false);
      sup.stop();
    });

    it('restarts a permanent child that completes normally', () => {
      const { sup, clock } = start({ children: [spec('p')] });
      getChild(sup, 'p')!.send({ type: 'finish' });
      clock.increment(10);
      expect(getChild(sup, 'p')?.getSnapshot().status).toBe('active');
      sup.stop();
    });
  });

  describe('child kinds', () => {
    it('supervises a fromCallback that throws at start and a fromPromise that rejects', async () => {
      let calls = 0;
      const { sup, clock, events } = start({
        children: [
          { id: 'cb', logic: fromCallback(() => { throw new Error('cb'); }), restart: 'temporary' },
          { id: 'p', logic: fromPromise(async () => { calls++; throw new Error('rejected'); }), restart: 'transient' },
        ],
        intensity: { maxRestarts: 1, withinMs: 1000 },
      });
      expect(events.find((e) => e.type === 'child.failed' && e.child === 'cb')).toBeDefined();
      await vi.waitFor(() => expect(events.filter((e) => e.type === 'child.failed' && e.child === 'p')).toHaveLength(1));
      clock.increment(10);
      await vi.waitFor(() => expect(sup.getSnapshot().status).toBe('error'));
      expect(calls).toBe(2);
    });
  });

  describe('dynamic children', () => {
    it('adds, looks up (new ref after a restart) and removes children at run time', () => {
      const { sup, clock, events } = start({ children: [] });
      const ref = addChild(sup, spec('agent-1', { systemId: 'agent-1' }));
      expect(ref).toBe(getChild(sup, 'agent-1'));
      expect(sup.system.get('agent-1')).toBe(ref);
      expect(() => addChild(sup, spec('agent-1'))).toThrow(expect.objectContaining({ code: 'TROUPE_RUNTIME_OPTIONS_INVALID' }));

      ref!.send({ type: 'boom' });
      clock.increment(10);
      const again = getChild(sup, 'agent-1');
      expect(again).toBeDefined();
      expect(again).not.toBe(ref);
      expect(sup.system.get('agent-1')).toBe(again);

      removeChild(sup, 'agent-1');
      expect(again!.getSnapshot().status).toBe('stopped');
      expect(getChild(sup, 'agent-1')).toBeUndefined();
      expect(sup.system.get('agent-1')).toBeUndefined();
      expect(events.at(-1)).toMatchObject({ type: 'child.stopped', child: 'agent-1', reason: 'removed' });
      sup.stop();
      expect(() => addChild(sup, spec('late'))).toThrow(expect.objectContaining({ code: 'TROUPE_RUNTIME_STOPPED' }));
    });

    it('ignores a failure reported by an incarnation it already stopped', () => {
      // A child that fails while being stopped reports an error the supervisor only reads after it
      // has moved on; counting it would restart that child twice.
      const failsOnStop = {
        getInitialSnapshot: () => ({ status: 'active', output: undefined, error: undefined }),
        transition: (s: object, e: { type: string }) => {
          if (e.type === 'xstate.stop') throw new Error('failed while stopping');
          return s;
        },
        getPersistedSnapshot: (s: object) => s,
      } as unknown as ChildSpec['logic'];
      const { sup, clock, events } = start({ strategy: 'one-for-all', children: [spec('a'), { id: 'b', logic: failsOnStop }] });
      getChild(sup, 'a')!.send({ type: 'boom' });
      clock.increment(10);
      expect(events.filter((e) => e.type === 'child.failed').map((e) => e.child)).toEqual(['a']);
      expect(events.filter((e) => e.type === 'child.restarted').map((e) => e.child)).toEqual(['a', 'b']);
      expect(getChild(sup, 'b')?.getSnapshot().status).toBe('active');
      sup.stop();
    });
  });

  describe('when stopped', () => {
    it('stops the children in reverse start order and cancels pending restarts', () => {
      vi.useFakeTimers();
      const events: SupervisionEvent[] = [];
      const sup = createActor(
        createSupervisor({
          id: 'sup',
          backoff: { baseMs: 5000, maxMs: 5000 },
          children: [spec('a'), spec('b'), spec('c'), spec('d')],
          onEvent: (e) => events.push(e),
        }),
      ).start();
      const refs = ['a', 'b', 'c'].map((id) => getChild(sup, id)!);
      getChild(sup, 'd')!.send({ type: 'boom' });
      expect(vi.getTimerCount()).toBe(1); // d's pending restart

      sup.stop();
      expect(vi.getTimerCount()).toBe(0);
      expect(refs.map((r) => r.getSnapshot().status)).toEqual(['stopped', 'stopped', 'stopped']);
      expect(events.filter((e) => e.type === 'child.stopped').map((e) => e.child)).toEqual(['c', 'b', 'a']);
      expect(sup.getSnapshot().status).toBe('stopped');
    });
  });

  describe('robustness', () => {
    it('survives an onEvent listener that always throws', () => {
      vi.useFakeTimers();
      const sup = createActor(
        createSupervisor({
          id: 'sup',
          children: [spec('a')],
          onEvent: () => {
            throw new Error('listener');
          },
        }),
      ).start();
      getChild(sup, 'a')!.send({ type: 'boom' });
      const again = getChild(sup, 'a')!;
      again.send({ type: 'work' });
      expect(count(again)).toBe(1);
      sup.stop();
      expect(() => vi.runAllTimers()).not.toThrow();
    });

    it('never turns a root escalation into an uncaught exception, even when nothing observes it and onEscalate throws', () => {
      vi.useFakeTimers();
      const onEscalate = vi.fn(() => {
        throw new Error('callback broken');
      });
      const sup = createActor(createSupervisor({ id: 'root', intensity: { maxRestarts: 0, withinMs: 1 }, children: [spec('a')], onEscalate })).start();
      getChild(sup, 'a')!.send({ type: 'boom' });
      expect(sup.getSnapshot().status).toBe('error');
      expect(onEscalate).toHaveBeenCalledOnce();
      expect(vi.getTimerCount()).toBe(0); // XState reports unhandled errors via setTimeout(() => { throw })
      expect(() => vi.runAllTimers()).not.toThrow();
    });

    it('rejects malformed options with a message naming the field', () => {
      expect(() => createSupervisor({ id: 's', intensity: { maxRestarts: -1, withinMs: 10 } })).toThrow(/supervisor 's'.intensity.maxRestarts: expected an integer >= 0/);
      expect(() => createSupervisor({ id: 's', children: [spec('a'), spec('a')] })).toThrow(/children\[1\].id/);
      expect(() => createSupervisor({ id: 's', backoff: { baseMs: 10, maxMs: 5 } })).toThrow(expect.objectContaining({ code: 'TROUPE_RUNTIME_OPTIONS_INVALID' }));
    });
  });
});

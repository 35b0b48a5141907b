import { describe, expect, it } from 'vitest';
import {
  affected,
  backoffDelay,
  decide,
  exceedsIntensity,
  inWindow,
  shouldRestart,
  type ChildInfo,
  type DecideInput,
  type RestartKind,
} from '../../src/runtime/supervision/index.js';

const child = (id: string, restart: RestartKind = 'permanent'): ChildInfo => ({ id, restart });
const abc = [child('a'), child('b'), child('c')];
const boom = { kind: 'error', error: new Error('boom') } as const;

function input(over: Partial<DecideInput> = {}): DecideInput {
  return {
    strategy: 'one-for-one',
    children: abc,
    failed: child('b'),
    exit: boom,
    history: [],
    now: 10_000,
    intensity: { maxRestarts: 3, withinMs: 1000 },
    backoff: { baseMs: 100, maxMs: 1000 },
    ...over,
  };
}

describe('supervision policy (pure)', () => {
  describe('shouldRestart', () => {
    it.each([
      ['permanent', 'error', true],
      ['permanent', 'done', true],
      ['transient', 'error', true],
      ['transient', 'done', false],
      ['temporary', 'error', false],
      ['temporary', 'done', false],
    ] as const)('%s child after %s → %s', (kind, exitKind, expected) => {
      const exit = exitKind === 'error' ? boom : ({ kind: 'done' } as const);
      expect(shouldRestart(kind, exit)).toBe(expected);
    });
  });

  describe('which children a strategy touches', () => {
    it('one-for-one touches only the failed child and never reads the sibling list', () => {
      const siblings = {
        [Symbol.iterator]: () => {
          throw new Error('iterated');
        },
      };
      expect(affected('one-for-one', siblings, child('b')).map((c) => c.id)).toEqual(['b']);
    });
    it('one-for-all touches every child in start order', () => {
      expect(affected('one-for-all', abc, child('b')).map((c) => c.id)).toEqual(['a', 'b', 'c']);
    });
    it('rest-for-one touches the failed child and those started after it', () => {
      expect(affected('rest-for-one', abc, child('b')).map((c) => c.id)).toEqual(['b', 'c']);
      expect(affected('rest-for-one', abc, child('c')).map((c) => c.id)).toEqual(['c']);
    });
  });

  describe('decide', () => {
    it('restarts the failed child alone under one-for-one, after the base backoff', () => {
      expect(decide(input())).toEqual({
        action: 'restart',
        stop: [],
        remove: [],
        start: ['b'],
        delayMs: 100,
        history: [{ at: 10_000, child: 'b' }],
      });
    });

    it('stops the siblings in reverse start order under one-for-all and restarts all in start order', () => {
      const d = decide(input({ strategy: 'one-for-all' }));
      expect(d).toMatchObject({ action: 'restart', stop: ['c', 'a'], start: ['a', 'b', 'c'], remove: [] });
    });

    it('stops and restarts only the later children under rest-for-one', () => {
      const d = decide(input({ strategy: 'rest-for-one', failed: child('a') }));
      expect(d).toMatchObject({ action: 'restart', stop: ['c', 'b'], start: ['a', 'b', 'c'] });
    });

    it('drops temporary siblings caught in a group restart instead of restarting them', () => {
      const children = [child('a', 'temporary'), child('b'), child('c', 'transient')];
      const d = decide(input({ strategy: 'one-for-all', children }));
      expect(d).toMatchObject({ action: 'restart', stop: ['c', 'a'], start: ['b', 'c'], remove: ['a'] });
    });

    it('removes a temporary child without charging the intensity', () => {
      const full = [1, 2, 3].map((i) => ({ at: 10_000 - i, child: 'x' }));
      expect(decide(input({ failed: child('b', 'temporary'), history: full }))).toEqual({ action: 'remove' });
    });

    it('removes a transient child that completed normally, restarts one that failed', () => {
      expect(decide(input({ failed: child('b', 'transient'), exit: { kind: 'done' } }))).toEqual({ action: 'remove' });
      expect(decide(input({ failed: child('b', 'transient') })).action).toBe('restart');
    });

    it('restarts a permanent child that completed normally', () => {
      expect(decide(input({ exit: { kind: 'done', output: 1 } })).action).toBe('restart');
    });

    it('escalates once maxRestarts restarts lie inside the window, naming the child', () => {
      const history = [9_100, 9_500, 9_900].map((at) => ({ at, child: 'a' }));
      const d = decide(input({ history }));
      expect(d.action).toBe('escalate');
      expect(d.action === 'escalate' && d.reason).toMatch(/child 'b' failed after 3 restart\(s\) within 1000ms/);
    });

    it('forgets restarts that slid out of the window', () => {
      const history = [8_000, 9_000, 9_900].map((at) => ({ at, child: 'b' }));
      const d = decide(input({ history }));
      expect(d).toMatchObject({ action: 'restart', history: [{ at: 9_900 }, { at: 10_000 }] });
    });

    it('escalates on the first failure when maxRestarts is 0', () => {
      expect(decide(input({ intensity: { maxRestarts: 0, withinMs: 1000 } })).action).toBe('escalate');
    });

    it('grows the backoff with the failed child’s own restarts in the window, not its siblings’', () => {
      const history = [
        { at: 9_990, child: 'b' },
        { at: 9_991, child: 'b' },
        { at: 9_992, child: 'a' },
      ];
      const d = decide(input({ history, intensity: { maxRestarts: 10, withinMs: 1000 } }));
      expect(d).toMatchObject({ action: 'restart', delayMs: 400 });
    });
  });

  describe('intensity and backoff', () => {
    it('keeps only restarts strictly inside the window', () => {
      const h = [{ at: 0, child: 'a' }, { at: 500, child: 'a' }, { at: 999, child: 'a' }];
      expect(inWindow(h, 1000, 500).map((r) => r.at)).toEqual([999]);
      expect(inWindow(h, 1000, 1001).map((r) => r.at)).toEqual([0, 500, 999]);
    });

    it('is exceeded when the window already holds maxRestarts restarts', () => {
      const h = [{ at: 0, child: 'a' }];
      expect(exceedsIntensity(h, { maxRestarts: 1, withinMs: 10 })).toBe(true);
      expect(exceedsIntensity(h, { maxRestarts: 2, withinMs: 10 })).toBe(false);
    });

    it('doubles from baseMs and caps at maxMs', () => {
      const b = { baseMs: 50, maxMs: 300 };
      expect([0, 1, 2, 3, 4, 2000].map((n) => backoffDelay(n, b))).toEqual([50, 100, 200, 300, 300, 300]);
    });

    it('is zero when baseMs is zero', () => {
      expect(backoffDelay(5, { baseMs: 0, maxMs: 0 })).toBe(0);
    });
  });
});

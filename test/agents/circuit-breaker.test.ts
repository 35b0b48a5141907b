import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CLOSED,
  CircuitBreaker,
  breakerStatus,
  breakerTransition,
  canPass,
  type BreakerEvent,
  type BreakerOptions,
  type BreakerState,
} from '../../src/agents/index.js';

const opts: BreakerOptions = { failureThreshold: 3, resetTimeoutMs: 1000, halfOpenMax: 2 };

function run(events: BreakerEvent[], now = 0, from: BreakerState = CLOSED): BreakerState {
  return events.reduce((s, e) => breakerTransition(s, e, now, opts), from);
}

describe('breakerTransition', () => {
  describe('when closed', () => {
    it('opens after failureThreshold consecutive failures', () => {
      expect(run(['failure', 'failure']).state).toBe('closed');
      expect(run(['failure', 'failure', 'failure'], 50)).toEqual({ state: 'open', failures: 0, openedAt: 50, trials: 0 });
    });

    it('forgets failures on a success', () => {
      expect(run(['failure', 'failure', 'success', 'failure', 'failure']).state).toBe('closed');
    });

    it('returns the same object when nothing changes', () => {
      expect(breakerTransition(CLOSED, 'success', 0, opts)).toBe(CLOSED);
      expect(breakerTransition(CLOSED, 'pass', 0, opts)).toBe(CLOSED);
    });
  });

  describe('when open', () => {
    const open = run(['failure', 'failure', 'failure'], 100);

    it('refuses calls until resetTimeout has elapsed', () => {
      expect(canPass(open, 1099, opts)).toBe(false);
      expect(breakerTransition(open, 'pass', 1099, opts)).toBe(open);
      expect(breakerStatus(open, 1099, opts)).toBe('open');
    });

    it('half-opens lazily once resetTimeout has elapsed', () => {
      expect(canPass(open, 1100, opts)).toBe(true);
      expect(breakerStatus(open, 1100, opts)).toBe('half-open');
      expect(breakerTransition(open, 'pass', 1100, opts)).toEqual({ state: 'half-open', failures: 0, openedAt: 100, trials: 1 });
    });

    it('ignores a late success or failure before resetTimeout', () => {
      expect(breakerTransition(open, 'success', 500, opts)).toBe(open);
      expect(breakerTransition(open, 'failure', 500, opts)).toBe(open);
    });

    it('treats an outcome after resetTimeout as a half-open trial (callers that never pass)', () => {
      expect(breakerTransition(open, 'success', 1200, opts)).toBe(CLOSED);
      expect(breakerTransition(open, 'failure', 1200, opts)).toMatchObject({ state: 'open', openedAt: 1200 });
    });
  });

  describe('when half-open', () => {
    const open = run(['failure', 'failure', 'failure'], 0);
    const trial1 = breakerTransition(open, 'pass', 1000, opts);

    it('lets halfOpenMax trials through, then refuses', () => {
      expect(trial1).toMatchObject({ state: 'half-open', trials: 1 });
      expect(canPass(trial1, 1000, opts)).toBe(true);
      const trial2 = breakerTransition(trial1, 'pass', 1000, opts);
      expect(trial2.trials).toBe(2);
      expect(canPass(trial2, 1000, opts)).toBe(false);
      expect(breakerTransition(trial2, 'pass', 1000, opts)).toBe(trial2);
    });

    it('closes on a success and reopens on a failure', () => {
      expect(breakerTransition(trial1, 'success', 1001, opts)).toBe(CLOSED);
      expect(breakerTransition(trial1, 'failure', 1001, opts)).toEqual({ state: 'open', failures: 0, openedAt: 1001, trials: 0 });
    });
  });

  it('never lets more than halfOpenMax trials through per half-open period', () => {
    const event = fc.constantFrom<BreakerEvent>('pass', 'success', 'failure');
    fc.assert(
      fc.property(fc.array(fc.tuple(event, fc.integer({ min: 0, max: 600 }))), (steps) => {
        let s = CLOSED;
        let now = 0;
        for (const [e, dt] of steps) {
          now += dt;
          if (e === 'pass' && !canPass(s, now, opts)) continue;
          s = breakerTransition(s, e, now, opts);
          if (s.trials > opts.halfOpenMax || s.failures >= opts.failureThreshold) return false;
          if (s.state === 'half-open' && s.trials < 1) return false;
        }
        return true;
      }),
    );
  });
});

describe('CircuitBreaker', () => {
  it('goes closed → open → half-open → closed on an injected clock', () => {
    let t = 0;
    const b = new CircuitBreaker({ failureThreshold: 2, resetTimeoutMs: 100, halfOpenMax: 1 }, () => t);
    expect(b.tryPass()).toBe(true);
    b.failure();
    b.failure();
    expect(b.status).toBe('open');
    expect(b.canPass()).toBe(false);
    expect(b.tryPass()).toBe(false);
    expect(b.retryAt()).toBe(100);
    t = 100;
    expect(b.status).toBe('half-open');
    expect(b.tryPass()).toBe(true);
    expect(b.tryPass()).toBe(false); // halfOpenMax = 1
    b.success();
    expect(b.status).toBe('closed');
    expect(b.retryAt()).toBeNull();
  });

  it('reopens when the trial fails, restarting the reset timeout', () => {
    let t = 0;
    const b = new CircuitBreaker({ failureThreshold: 1, resetTimeoutMs: 100, halfOpenMax: 1 }, () => t);
    b.failure();
    t = 150;
    expect(b.tryPass()).toBe(true);
    b.failure();
    expect(b.state).toMatchObject({ state: 'open', openedAt: 150 });
    t = 249;
    expect(b.canPass()).toBe(false);
  });

  it('reset() closes it', () => {
    const b = new CircuitBreaker({ failureThreshold: 1, resetTimeoutMs: 100, halfOpenMax: 1 }, () => 0);
    b.failure();
    b.reset();
    expect(b.status).toBe('closed');
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY, normalizeRetry, retryDelay, shouldRetry, type NormalisedRetry } from '../../src/agents/index.js';

const policy = (over: Partial<NormalisedRetry> = {}): NormalisedRetry => ({ ...DEFAULT_RETRY, max: 5, jitter: false, ...over });
const never = () => {
  throw new Error('random must not be called without jitter');
};

describe('retryDelay', () => {
  describe('exponential without jitter', () => {
    it('doubles from base: 100, 200, 400, 800', () => {
      expect([1, 2, 3, 4].map((a) => retryDelay(a, policy(), never))).toEqual([100, 200, 400, 800]);
    });

    it('is capped at maxDelay, even for huge attempts', () => {
      expect(retryDelay(20, policy({ maxDelayMs: 5000 }), never)).toBe(5000);
      expect(retryDelay(5000, policy(), never)).toBe(30_000);
    });

    it('treats attempts below 1 as 1', () => {
      expect(retryDelay(0, policy(), never)).toBe(100);
    });
  });

  it('is constant with fixed backoff', () => {
    expect([1, 2, 9].map((a) => retryDelay(a, policy({ backoff: 'fixed', baseMs: 250 }), never))).toEqual([250, 250, 250]);
  });

  it('is 0 with a zero base, whatever the attempt', () => {
    expect(retryDelay(5000, policy({ baseMs: 0 }), never)).toBe(0);
  });

  describe('with full jitter', () => {
    it('scales the capped delay by random()', () => {
      expect(retryDelay(3, policy({ jitter: true }), () => 0.5)).toBe(200);
      expect(retryDelay(3, policy({ jitter: true }), () => 0)).toBe(0);
    });

    it('always lies in [0, min(maxDelay, base * 2^(attempt-1))]', () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 2000 }),
          fc.integer({ min: 0, max: 10_000 }),
          fc.integer({ min: 0, max: 100_000 }),
          fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
          (attempt, baseMs, extra, r) => {
            const p = policy({ jitter: true, baseMs, maxDelayMs: baseMs + extra });
            const d = retryDelay(attempt, p, () => r);
            return d >= 0 && d <= (baseMs === 0 ? 0 : Math.min(p.maxDelayMs, baseMs * 2 ** (attempt - 1)));
          },
        ),
      );
    });
  });
});

describe('shouldRetry', () => {
  const timeout = { code: 'TROUPE_AGENT_TIMEOUT', message: 'timed out' };

  it('retries while attempts remain and stops after max retries', () => {
    const p = policy({ max: 2 });
    expect([1, 2, 3].map((a) => shouldRetry(timeout, a, p))).toEqual([true, true, false]);
  });

  it('never retries with the default max of 0', () => {
    expect(shouldRetry(timeout, 1, DEFAULT_RETRY)).toBe(false);
  });

  it('never retries a non-retryable code', () => {
    expect(shouldRetry({ code: 'TROUPE_AGENT_INPUT_INVALID', message: '' }, 1, policy())).toBe(false);
    expect(shouldRetry({ code: 'TROUPE_AGENT_OUTPUT_INVALID', message: '' }, 1, policy())).toBe(false);
  });

  it('retries a default non-retryable code when the policy lists none', () => {
    expect(shouldRetry({ code: 'TROUPE_AGENT_NOT_FOUND', message: '' }, 1, policy({ nonRetryable: [] }))).toBe(true);
  });

  it('never retries after cancellation or shutdown, whatever the policy', () => {
    const p = policy({ nonRetryable: [] });
    expect(shouldRetry({ code: 'TROUPE_RUN_CANCELLED', message: '' }, 1, p)).toBe(false);
    expect(shouldRetry({ code: 'TROUPE_RUNTIME_STOPPED', message: '' }, 1, p)).toBe(false);
  });

  it('retries user codes not listed as non-retryable', () => {
    expect(shouldRetry({ code: 'RATE_LIMITED', message: '' }, 1, policy())).toBe(true);
  });
});

describe('normalizeRetry', () => {
  it('applies defaults', () => {
    expect(normalizeRetry({ max: 2 }, '/steps/a/retry')).toEqual({ ...DEFAULT_RETRY, max: 2 });
  });

  it('names the field as a JSON pointer under a pointer location, with the given code', () => {
    expect(() => normalizeRetry({ max: 1, base: 'x' }, '/steps/a/retry', { code: 'TROUPE_WORKFLOW_INVALID' })).toThrow(
      expect.objectContaining({ code: 'TROUPE_WORKFLOW_INVALID', message: expect.stringMatching(/^\/steps\/a\/retry\/base: /) }),
    );
  });

  it('rejects a non-object policy', () => {
    expect(() => normalizeRetry(3 as never, '/retry')).toThrow(expect.objectContaining({ code: 'TROUPE_AGENT_DEFINITION_INVALID' }));
  });
});

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TroupeError } from '../../src/errors/index.js';
import { MAX_TIMER_MS, runWithTimeout } from '../../src/agents/index.js';

/** A promise plus its resolve/reject, and the signal the work received. */
function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('runWithTimeout', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    expect(vi.getTimerCount()).toBe(0); // nothing dangles after any test
    vi.useRealTimers();
  });

  describe('when fn settles in time', () => {
    it('resolves with its value and clears the timer', async () => {
      const d = deferred<number>();
      const p = runWithTimeout(() => d.promise, 1000);
      expect(vi.getTimerCount()).toBe(1);
      d.resolve(7);
      await expect(p).resolves.toBe(7);
    });

    it('rejects with its error', async () => {
      const d = deferred<number>();
      const p = runWithTimeout(() => d.promise, 1000);
      d.reject(new Error('nope'));
      await expect(p).rejects.toThrow('nope');
    });

    it('resolves a synchronous value without arming a timer', async () => {
      const p = runWithTimeout(() => 'sync', 1000);
      expect(vi.getTimerCount()).toBe(0);
      await expect(p).resolves.toBe('sync');
    });

    it('turns a synchronous throw into a rejection', async () => {
      const p = runWithTimeout(() => {
        throw new Error('sync throw');
      }, 1000);
      await expect(p).rejects.toThrow('sync throw');
    });
  });

  describe('when the deadline passes', () => {
    it('rejects with TROUPE_AGENT_TIMEOUT and aborts the signal with that error', async () => {
      let signal!: AbortSignal;
      const p = runWithTimeout(
        (s) => {
          signal = s;
          return new Promise(() => {});
        },
        1000,
        undefined,
        () => 'agent "triage" on step t1',
      );
      const settled = expect(p).rejects.toMatchObject({
        code: 'TROUPE_AGENT_TIMEOUT',
        message: 'agent "triage" on step t1 timed out after 1000ms',
        data: { timeoutMs: 1000 },
      });
      await vi.advanceTimersByTimeAsync(999);
      expect(signal.aborted).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      await settled;
      expect(signal.aborted).toBe(true);
      expect(signal.reason).toBeInstanceOf(TroupeError);
      expect((signal.reason as TroupeError).code).toBe('TROUPE_AGENT_TIMEOUT');
    });

    it('calls describe only on timeout', async () => {
      const describeFn = vi.fn(() => 'x');
      await runWithTimeout(() => Promise.resolve(1), 10, undefined, describeFn);
      expect(describeFn).not.toHaveBeenCalled();
    });

    it('survives a throwing describe', async () => {
      const p = runWithTimeout(() => new Promise(() => {}), 10, undefined, () => {
        throw new Error('bad describe');
      });
      const settled = expect(p).rejects.toMatchObject({ code: 'TROUPE_AGENT_TIMEOUT', message: 'call timed out after 10ms' });
      await vi.advanceTimersByTimeAsync(10);
      await settled;
    });

    it('counts time fn spends synchronously against the deadline', async () => {
      const p = runWithTimeout(() => {
        vi.setSystemTime(Date.now() + 800);
        return new Promise(() => {});
      }, 1000);
      const settled = expect(p).rejects.toMatchObject({ code: 'TROUPE_AGENT_TIMEOUT' });
      await vi.advanceTimersByTimeAsync(200);
      await settled;
    });
  });

  describe('when the parent aborts', () => {
    it('rejects with the parent reason, aborts the child signal and clears the timer', async () => {
      const parent = new AbortController();
      let signal!: AbortSignal;
      const p = runWithTimeout((s) => {
        signal = s;
        return new Promise(() => {});
      }, 1000, parent.signal);
      const reason = new TroupeError('TROUPE_RUN_CANCELLED', 'cancelled');
      parent.abort(reason);
      await expect(p).rejects.toBe(reason);
      expect(signal.reason).toBe(reason);
    });

    it('does not call fn when the parent is already aborted', async () => {
      const parent = new AbortController();
      parent.abort(new Error('gone'));
      const fn = vi.fn();
      await expect(runWithTimeout(fn, 1000, parent.signal)).rejects.toThrow('gone');
      expect(fn).not.toHaveBeenCalled();
    });

    it('adds one listener to a shared parent however many calls are pending', async () => {
      const parent = new AbortController();
      const add = vi.spyOn(parent.signal, 'addEventListener');
      const ds = Array.from({ length: 50 }, () => deferred<number>());
      const ps = ds.map((d) => runWithTimeout(() => d.promise, 1000, parent.signal));
      expect(add).toHaveBeenCalledTimes(1);
      ds.forEach((d, i) => d.resolve(i));
      await expect(Promise.all(ps)).resolves.toHaveLength(50);
    });

    it('aborts every pending call on the parent, and no settled one', async () => {
      const parent = new AbortController();
      const signals: AbortSignal[] = [];
      const done = runWithTimeout((s) => (signals.push(s), Promise.resolve(0)), 1000, parent.signal);
      await done;
      const pending = [1, 2].map(() => runWithTimeout((s) => (signals.push(s), new Promise(() => {})), 1000, parent.signal));
      parent.abort(new Error('stop'));
      await expect(Promise.allSettled(pending)).resolves.toEqual([
        { status: 'rejected', reason: new Error('stop') },
        { status: 'rejected', reason: new Error('stop') },
      ]);
      expect(signals.map((s) => s.aborted)).toEqual([false, true, true]);
    });
  });

  it('arms no timer for an infinite deadline', async () => {
    const d = deferred<number>();
    const p = runWithTimeout(() => d.promise, Infinity);
    expect(vi.getTimerCount()).toBe(0);
    d.resolve(1);
    await expect(p).resolves.toBe(1);
  });

  it('clamps deadlines above the timer limit instead of firing at once', async () => {
    const d = deferred<number>();
    const p = runWithTimeout(() => d.promise, MAX_TIMER_MS * 4);
    await vi.advanceTimersByTimeAsync(1000);
    d.resolve(1);
    await expect(p).resolves.toBe(1);
  });
});

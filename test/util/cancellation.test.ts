import { describe, expect, it } from 'vitest';
import { Cancellation, cancellableOf } from '../../src/util/index.js';

describe('Cancellation (the per-step path’s abort source)', () => {
  it('makes a real AbortSignal only when asked, aborted with the same reason whenever it is made', () => {
    const early = new Cancellation();
    const signal = early.signal;
    expect(signal.aborted).toBe(false);
    early.abort('stop');
    expect([signal.aborted, signal.reason, early.aborted, early.reason]).toEqual([true, 'stop', true, 'stop']);

    const late = new Cancellation();
    late.abort('gone');
    expect([late.signal.aborted, late.signal.reason]).toEqual([true, 'gone']);
  });

  it('aborts its children with the parent’s reason until they are disposed', () => {
    const run = new Cancellation();
    const fan = new Cancellation(run);
    const done = new Cancellation(run);
    done.dispose();
    run.abort('cancelled');
    expect([fan.aborted, fan.reason]).toEqual([true, 'cancelled']);
    expect(done.aborted).toBe(false);
    expect(new Cancellation(run).reason).toBe('cancelled'); // a child of an aborted parent starts aborted
  });

  it('calls each callback once; an unregistered one never; a throwing one does not stop the others', async () => {
    const c = new Cancellation();
    const calls: string[] = [];
    c.onAbort(() => {
      throw new Error('listener bug');
    });
    c.onAbort(() => calls.push('a'));
    const off = c.onAbort(() => calls.push('b'));
    off();
    const reported = new Promise<unknown>((resolve) => process.once('uncaughtException', resolve));
    c.abort(1);
    c.abort(2);
    expect(calls).toEqual(['a']);
    expect(c.reason).toBe(1);
    expect(c.onAbort(() => calls.push('late'))).toBeTypeOf('function');
    expect(calls).toEqual(['a']);
    expect(await reported).toMatchObject({ message: 'listener bug' });
  });

  it('wraps a real AbortSignal: its state, and a callback on its abort', () => {
    const controller = new AbortController();
    const c = cancellableOf(controller.signal);
    expect(c.signal).toBe(controller.signal);
    let called = 0;
    c.onAbort(() => called++);
    controller.abort('x');
    expect([c.aborted, c.reason, called]).toEqual([true, 'x', 1]);
    const own = new Cancellation();
    expect(cancellableOf(own)).toBe(own);
  });
});

import { describe, expect, it } from 'vitest';
import { proceed } from '../../src/workflow/proceed.js';

describe('proceed', () => {
  it('goes on at once, a few levels deep, then on a microtask: a chain of 100,000 continuations runs in order without overflowing the stack', async () => {
    const order: number[] = [];
    let atOnce = 0;
    let resolve!: () => void;
    const promise = new Promise<void>((r) => (resolve = r));
    const step = (i: number): void => {
      order.push(i);
      if (i === 100_000) return resolve();
      let ran = false;
      proceed(() => {
        ran = true;
        step(i + 1);
      });
      if (ran) atOnce++;
    };
    step(0);
    await promise;
    expect(order).toHaveLength(100_001);
    expect(order.every((n, i) => n === i)).toBe(true);
    expect(atOnce).toBeGreaterThan(90_000); // most at once: one in 33 waits
  });
});

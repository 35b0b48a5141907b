import { afterEach, describe, expect, it } from 'vitest';
import { createRuntime, defineAgent, type TroupeRuntime } from '../../src/index.js';

let rt: TroupeRuntime | undefined;
afterEach(async () => {
  await rt?.stop();
  rt = undefined;
});

/** Runs `n` one-step runs of `agent` at once; returns their results, with the peaks observed. */
async function burst(agentOpts: { concurrency: number; mailbox: number; instances?: number }, n: number) {
  const peaks = { queue: 0, inFlight: 0 };
  const order: number[] = [];
  const observe = () => {
    for (const slot of rt!.agents.slots('worker')) {
      const life = slot.life;
      if (!life) continue;
      peaks.queue = Math.max(peaks.queue, life.queue.length);
      peaks.inFlight = Math.max(peaks.inFlight, life.inFlight);
    }
  };
  const worker = defineAgent({
    id: 'worker',
    ...agentOpts,
    execute: async (i: { k: number }) => {
      observe();
      order.push(i.k);
      await new Promise((r) => setImmediate(r));
      observe();
      return { k: i.k, done: true };
    },
  });
  rt = await createRuntime({ agents: [worker] });
  const timer = setInterval(observe, 1);
  try {
    const runs = await Promise.all(Array.from({ length: n }, (_, k) => rt!.start({ name: 'mb', steps: { s: { agent: 'worker', input: '{ "k": input.k }' } } }, { k })));
    observe();
    const results = await Promise.all(runs.map((r) => r.result()));
    return { results, peaks, order };
  } finally {
    clearInterval(timer);
  }
}

describe('a bounded mailbox', () => {
  it('never queues more than `mailbox` calls per instance, and every step still completes (backpressure waits)', async () => {
    const { results, peaks } = await burst({ concurrency: 1, mailbox: 2 }, 50);
    expect(results).toEqual(Array.from({ length: 50 }, (_, k) => ({ k, done: true })));
    expect(peaks.queue).toBeLessThanOrEqual(2);
    expect(peaks.queue).toBe(2); // it was actually full at some point
    expect(peaks.inFlight).toBe(1);
  });

  it('serves waiting calls in arrival order (FIFO backpressure)', async () => {
    const { order } = await burst({ concurrency: 1, mailbox: 2 }, 30);
    expect(order).toEqual(Array.from({ length: 30 }, (_, k) => k));
  });

  it('works with no mailbox at all (mailbox 0): only `concurrency` calls are ever taken', async () => {
    const { results, peaks } = await burst({ concurrency: 2, mailbox: 0 }, 20);
    expect(results).toHaveLength(20);
    expect(peaks.queue).toBe(0);
    expect(peaks.inFlight).toBeLessThanOrEqual(2);
  });

  it('bounds each instance separately when an agent has several', async () => {
    const { results, peaks } = await burst({ concurrency: 1, mailbox: 1, instances: 3 }, 40);
    expect(results).toHaveLength(40);
    expect(peaks.queue).toBeLessThanOrEqual(1);
    expect(peaks.inFlight).toBe(1);
    const served = rt!.agents.slots('worker').map((s) => s.life?.inFlight);
    expect(served).toEqual([0, 0, 0]);
  });
});

import { performance } from 'node:perf_hooks';

/** What {@link runConcurrent} measured. */
export interface ConcurrentRunResult {
  /** Wall time from the first start to the last completion. */
  readonly durationMs: number;
  /** Per-run latency in ms, indexed by run number. */
  readonly latencies: Float64Array;
}

/**
 * Runs `startOne(0) … startOne(total - 1)`, keeping exactly `concurrency` runs in flight (fewer
 * only at the tail) until `total` have finished: a closed-loop load generator. Each run's
 * latency is `performance.now()` around its promise.
 *
 * @param total - number of runs, >= 0.
 * @param concurrency - runs in flight, >= 1 (clamped to `total`).
 * @param startOne - starts run `i` and resolves when it has finished.
 * @returns the wall time and the per-run latencies.
 * @throws the first error a run rejects with; no further runs are started after it.
 * @example
 * const { durationMs, latencies } = await runConcurrent(10_000, 1_000, (i) => graph.invoke({ n: i }));
 */
export async function runConcurrent(
  total: number,
  concurrency: number,
  startOne: (i: number) => Promise<unknown>,
): Promise<ConcurrentRunResult> {
  if (!Number.isInteger(total) || total < 0) throw new RangeError(`total must be an integer >= 0, got ${total}`);
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new RangeError(`concurrency must be an integer >= 1, got ${concurrency}`);
  }
  const latencies = new Float64Array(total);
  let next = 0;
  let failed = false;

  // One loop per slot: a slot starts its next run as soon as its previous one settles, so the
  // number in flight stays at `concurrency` without a queue or polling.
  const slot = async (): Promise<void> => {
    while (!failed && next < total) {
      const i = next++;
      const t0 = performance.now();
      try {
        await startOne(i);
      } catch (err) {
        failed = true;
        throw err;
      }
      latencies[i] = performance.now() - t0;
    }
  };

  const t0 = performance.now();
  const slots: Promise<void>[] = [];
  for (let s = 0; s < Math.min(concurrency, total); s++) slots.push(slot());
  await Promise.all(slots);
  return { durationMs: performance.now() - t0, latencies };
}

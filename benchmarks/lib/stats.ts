/**
 * The p-th percentile (0 < p <= 100) by the nearest-rank method: the smallest value such that at
 * least p% of the values are less than or equal to it. Always one of the input values.
 * @throws RangeError when `values` is empty or `p` is out of range.
 */
export function percentile(values: ArrayLike<number>, p: number): number {
  if (values.length === 0) throw new RangeError('percentile: values is empty');
  if (!(p > 0 && p <= 100)) throw new RangeError(`percentile: p must be in (0, 100], got ${p}`);
  const sorted = Float64Array.from(values).sort();
  return percentileOfSorted(sorted, p);
}

/** A list's median (the upper one of an even count): the round reported from interleaved rounds. */
export function medianOf(values: readonly number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
}

function percentileOfSorted(sorted: ArrayLike<number>, p: number): number {
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.max(rank, 1) - 1] as number;
}

/** p50/p99/max/mean of a list of latencies, in the same unit (ms here). */
export interface LatencySummary {
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

/** Summarises latencies; sorts once. @throws RangeError when `latencies` is empty. */
export function summarizeLatencies(latencies: ArrayLike<number>): LatencySummary {
  if (latencies.length === 0) throw new RangeError('summarizeLatencies: latencies is empty');
  const sorted = Float64Array.from(latencies).sort();
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    p50: percentileOfSorted(sorted, 50),
    p99: percentileOfSorted(sorted, 99),
    max: sorted[sorted.length - 1] as number,
    mean: sum / sorted.length,
  };
}

/** Rounds for the JSON document: figures past 3 significant decimals are noise here. */
export function round(value: number, decimals = 2): number {
  const f = 10 ** decimals;
  return Math.round(value * f) / f;
}

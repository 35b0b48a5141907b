import { describe, expect, it } from 'vitest';
// The page's own module (plain JavaScript with JSDoc types, served as is): its live metrics, without a browser.
interface Stats {
  steps: number;
  failed: number;
  stepsPerSecond: number;
  p99Ms: number | undefined;
}
interface PageMetrics {
  histogramQuantile(le: readonly number[], counts: readonly number[], q: number): number | undefined;
  percentile(values: readonly number[], p: number): number | undefined;
  StepWindow: new (since: number) => {
    record(at: number, durationMs: number | undefined, failed: boolean): void;
    recordDigest(at: number, completed: { count: number; failed: number; le: number[]; counts: number[] }): void;
    stats(now: number): Stats;
  };
}
const PAGE_METRICS: string = '../../src/inspector/page/metrics.js';
const { histogramQuantile, percentile, StepWindow } = (await import(PAGE_METRICS)) as PageMetrics;

const LE = [0.5, 1, 2.5, 5, 10];

describe("the inspector page's live metrics", () => {
  it('estimates a quantile from a histogram as Prometheus does: linear within its bucket, the last bound above every bound', () => {
    expect(histogramQuantile(LE, [0, 0, 0, 0, 0, 0], 0.99)).toBeUndefined();
    // 100 steps in (1, 2.5] ms: the p99 is 99% of the way through that bucket.
    expect(histogramQuantile(LE, [0, 0, 100, 0, 0, 0], 0.99)).toBeCloseTo(1 + 1.5 * 0.99, 6);
    // 98 fast, 2 in (5, 10]: the p99 is halfway through (5, 10].
    expect(histogramQuantile(LE, [98, 0, 0, 0, 2, 0], 0.99)).toBeCloseTo(7.5, 6);
    // Above every bound: the last bound.
    expect(histogramQuantile(LE, [0, 0, 0, 0, 0, 5], 0.5)).toBe(10);
    // The first bucket starts at 0.
    expect(histogramQuantile(LE, [10, 0, 0, 0, 0, 0], 0.5)).toBeCloseTo(0.25, 6);
  });

  it("counts a digest's steps and failures, takes the p99 from the histograms (with steps told one by one in the same buckets), and forgets what is older than a minute", () => {
    const w = new StepWindow(0);
    w.record(1_000, 7, false); // told by an event: in (5, 10]
    w.recordDigest(1_000, { count: 99, failed: 3, le: LE, counts: [99, 0, 0, 0, 0, 0] });
    const s = w.stats(10_000);
    expect(s).toMatchObject({ steps: 100, failed: 3 });
    expect(s.stepsPerSecond).toBeCloseTo(10, 6);
    expect(s.p99Ms).toBeCloseTo(0.5, 6); // the 99th of 100 is the last fast one
    expect(w.stats(70_000)).toMatchObject({ steps: 0, failed: 0, p99Ms: undefined });
  });

  it('without digests, the p99 is the nearest-rank percentile of the durations told', () => {
    const w = new StepWindow(0);
    for (let i = 1; i <= 100; i++) w.record(1_000, i, false);
    expect(w.stats(2_000).p99Ms).toBe(99);
    expect(percentile([3, 1, 2], 50)).toBe(2);
  });
});

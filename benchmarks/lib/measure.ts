import { setImmediate as tick } from 'node:timers/promises';
import { RssSampler } from './rss-sampler.js';
import { runConcurrent } from './run-concurrent.js';
import { round, summarizeLatencies, type LatencySummary } from './stats.js';
import type { Workload } from './workflows.js';

const MB = 2 ** 20;

/** One system on one workflow. */
export interface SystemResult {
  readonly runs: number;
  readonly concurrency: number;
  readonly warmupRuns: number;
  readonly durationMs: number;
  readonly runsPerSec: number;
  /** Agent calls (graph nodes) per second: runsPerSec × steps per run. */
  readonly stepsPerSec: number;
  readonly latencyMs: LatencySummary;
  /** Highest RSS sampled during the measured runs. */
  readonly peakRssMb: number;
  /** Peak RSS minus the RSS after warm-up and GC, just before the measured runs. */
  readonly rssDeltaMb: number;
}

export interface MeasureOptions {
  readonly runs: number;
  readonly concurrency: number;
  readonly stepsPerRun: number;
  /** @defaultValue {@link DEFAULT_WARMUP_FRACTION} */
  readonly warmupFraction?: number;
  /** @defaultValue 20 */
  readonly rssIntervalMs?: number;
}

/** Full GC when `--expose-gc` was given; a no-op otherwise. Two passes let finalizers run. */
export async function collectGarbage(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) return;
  gc();
  await tick();
  gc();
}

/**
 * Warm-up runs per measured run: enough, at the measured concurrency, to reach the steady state
 * (optimised code, the young generation sized for that many runs in flight). At 5% (500 runs, at
 * 500 in flight) the first thousand measured runs were still warming up: they made troupe's p99
 * 2-3x its p50 (sequential-3: p99 146-184 ms at 5%, 68-94 ms at 20%; p50 63 ms either way).
 * Every system in a benchmark gets the same warm-up.
 */
export const DEFAULT_WARMUP_FRACTION = 0.2;

/** Warm-up runs for a measured run count: `warmupFraction` of it, at least 1. */
export function warmupRunsFor(runs: number, warmupFraction = DEFAULT_WARMUP_FRACTION): number {
  return Math.max(1, Math.ceil(runs * warmupFraction));
}

/**
 * Prepares a workload, warms it up, collects garbage, then measures `runs` runs at `concurrency`
 * with RSS sampled throughout. Run numbers continue from the warm-up, so every run gets a fresh `i`.
 */
export async function measure(prepare: () => Promise<Workload>, options: MeasureOptions): Promise<SystemResult> {
  const { runs, concurrency, stepsPerRun } = options;
  await collectGarbage();
  const workload = await prepare();
  try {
    const warmupRuns = warmupRunsFor(runs, options.warmupFraction);
    await runConcurrent(warmupRuns, Math.min(concurrency, warmupRuns), (i) => workload.startOne(i));
    await collectGarbage();

    const baselineRss = process.memoryUsage.rss();
    const sampler = new RssSampler(options.rssIntervalMs ?? 20);
    sampler.start();
    let measured;
    try {
      measured = await runConcurrent(runs, concurrency, (i) => workload.startOne(warmupRuns + i));
    } catch (err) {
      sampler.stop();
      throw err;
    }
    const { peakBytes } = sampler.stop();
    const latency = summarizeLatencies(measured.latencies);
    const runsPerSec = (runs / measured.durationMs) * 1000;
    return {
      runs,
      concurrency,
      warmupRuns,
      durationMs: round(measured.durationMs, 1),
      runsPerSec: round(runsPerSec, 1),
      stepsPerSec: round(runsPerSec * stepsPerRun, 1),
      latencyMs: {
        p50: round(latency.p50, 3),
        p99: round(latency.p99, 3),
        max: round(latency.max, 3),
        mean: round(latency.mean, 3),
      },
      peakRssMb: round(peakBytes / MB, 1),
      rssDeltaMb: round((peakBytes - baselineRss) / MB, 1),
    };
  } finally {
    await workload.close();
  }
}

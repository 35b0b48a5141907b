import { setImmediate as tick } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import {
  BenchUsageError,
  getEnvironment,
  parseBenchArgs,
  percentile,
  printResult,
  RssSampler,
  runConcurrent,
  summarizeLatencies,
} from '../../benchmarks/lib/index.js';

describe('percentile', () => {
  const oneToHundred = Array.from({ length: 100 }, (_, i) => i + 1);

  it('uses the nearest rank on 1..100', () => {
    expect(percentile(oneToHundred, 50)).toBe(50);
    expect(percentile(oneToHundred, 99)).toBe(99);
    expect(percentile(oneToHundred, 100)).toBe(100);
    expect(percentile(oneToHundred, 1)).toBe(1);
  });

  it('does not depend on input order and does not sort the input in place', () => {
    const shuffled = [7, 1, 10, 3, 9, 2, 8, 4, 6, 5];
    expect(percentile(shuffled, 50)).toBe(5);
    expect(percentile(shuffled, 99)).toBe(10);
    expect(shuffled).toEqual([7, 1, 10, 3, 9, 2, 8, 4, 6, 5]);
  });

  it('sorts numerically, not lexically', () => {
    expect(percentile([100, 9, 20], 50)).toBe(20);
  });

  it('returns the only value of a single-element array', () => {
    expect(percentile([42], 50)).toBe(42);
    expect(percentile([42], 99)).toBe(42);
  });

  it('rejects an empty array and an out-of-range p', () => {
    expect(() => percentile([], 50)).toThrow(RangeError);
    expect(() => percentile([1], 0)).toThrow(RangeError);
    expect(() => percentile([1], 101)).toThrow(RangeError);
  });

  it('summarizes p50, p99, max and mean', () => {
    expect(summarizeLatencies(Float64Array.from(oneToHundred))).toEqual({ p50: 50, p99: 99, max: 100, mean: 50.5 });
  });
});

describe('runConcurrent', () => {
  it('never exceeds the concurrency, reaches it, and completes total', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const started: number[] = [];
    const { latencies, durationMs } = await runConcurrent(100, 7, async (i) => {
      started.push(i);
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      // Uneven completion order: some runs take several turns of the event loop.
      for (let t = 0; t < i % 4; t++) await tick();
      inFlight--;
    });
    expect(maxInFlight).toBe(7);
    expect(inFlight).toBe(0);
    expect(started.sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(latencies).toHaveLength(100);
    expect(latencies.every((l) => l >= 0)).toBe(true);
    expect(durationMs).toBeGreaterThanOrEqual(0);
  });

  it('keeps exactly concurrency in flight while runs remain', async () => {
    const inFlightAtStart: number[] = [];
    let inFlight = 0;
    await runConcurrent(50, 5, async () => {
      inFlight++;
      inFlightAtStart.push(inFlight);
      await tick();
      inFlight--;
    });
    // After the first five starts, each new run replaces one that just finished.
    expect(inFlightAtStart.slice(0, 5)).toEqual([1, 2, 3, 4, 5]);
    expect(inFlightAtStart.slice(5).every((n) => n === 5)).toBe(true);
  });

  it('clamps concurrency to total and handles total 0', async () => {
    let calls = 0;
    await runConcurrent(3, 1000, async () => {
      calls++;
    });
    expect(calls).toBe(3);
    const empty = await runConcurrent(0, 10, async () => {
      throw new Error('never called');
    });
    expect(empty.latencies).toHaveLength(0);
  });

  it('rejects with the first error and starts no further runs', async () => {
    let calls = 0;
    await expect(
      runConcurrent(100, 2, async (i) => {
        calls++;
        await tick();
        if (i === 3) throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(calls).toBeLessThan(10);
  });

  it('rejects a bad total or concurrency', async () => {
    await expect(runConcurrent(-1, 1, async () => {})).rejects.toThrow(RangeError);
    await expect(runConcurrent(1, 0, async () => {})).rejects.toThrow(RangeError);
  });
});

describe('printResult', () => {
  it('prints exactly one parseable JSON document with name, environment, parameters, results', () => {
    const chunks: string[] = [];
    const environment = getEnvironment();
    printResult(
      { name: 'demo', environment, parameters: { runs: 1 }, results: { x: { runsPerSec: 1.5 } } },
      { write: (chunk: string) => chunks.push(chunk) },
    );
    expect(chunks).toHaveLength(1);
    const text = chunks.join('');
    expect(text.endsWith('\n')).toBe(true);
    const doc = JSON.parse(text) as Record<string, unknown>;
    expect(Object.keys(doc)).toEqual(['name', 'environment', 'parameters', 'results']);
    expect(doc).toEqual({ name: 'demo', environment, parameters: { runs: 1 }, results: { x: { runsPerSec: 1.5 } } });
  });
});

describe('getEnvironment', () => {
  it('reports node, cpus and a commit that is a sha or null', () => {
    const env = getEnvironment();
    expect(env.node).toBe(process.version);
    expect(env.cpus.count).toBeGreaterThan(0);
    expect(env.commit === null || /^[0-9a-f]{40}$/.test(env.commit)).toBe(true);
  });
});

describe('RssSampler', () => {
  it('reports the peak of the samples it took, including at start and stop', () => {
    const readings = [10, 30, 20];
    const sampler = new RssSampler(1_000_000, () => readings.shift() ?? 0);
    sampler.start();
    expect(sampler.stop()).toEqual({ peakBytes: 30, samples: 2 });
    sampler.start(); // resets the peak: 20, then 0
    expect(sampler.stop()).toEqual({ peakBytes: 20, samples: 2 });
  });
});

describe('parseBenchArgs', () => {
  it('defaults to 10000 runs at concurrency 1000', () => {
    expect(parseBenchArgs([])).toEqual({ runs: 10_000, concurrency: 1_000, tiny: false, only: null });
  });

  it('--tiny means 200 runs at concurrency 50; explicit flags win', () => {
    expect(parseBenchArgs(['--tiny'])).toMatchObject({ runs: 200, concurrency: 50, tiny: true });
    expect(parseBenchArgs(['--tiny', '--runs', '10'])).toMatchObject({ runs: 10, concurrency: 50 });
  });

  it('accepts --only troupe|langgraph and names the flag on bad input', () => {
    expect(parseBenchArgs(['--only', 'langgraph']).only).toBe('langgraph');
    expect(() => parseBenchArgs(['--only', 'crewai'])).toThrow(/--only/);
    expect(() => parseBenchArgs(['--runs', 'many'])).toThrow(/--runs: expected a positive integer/);
    expect(() => parseBenchArgs(['--concurrency', '0'])).toThrow(/--concurrency/);
    expect(() => parseBenchArgs(['--nope'])).toThrow(BenchUsageError);
  });
});

import { createRequire } from 'node:module';
import { constants, monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { Gauge, Histogram, type Registry } from 'prom-client';
import { NODE_METRICS, PROM_CLIENT_PULL_COLLECTORS, type MetricSpec } from './catalog.js';

/** A prom-client default collector module: registers its metrics in `registry`. */
type Collector = ((registry: Registry, config: object) => void) & { readonly metricNames?: readonly string[] };

const require = createRequire(import.meta.url);

/**
 * prom-client's pull-only default collectors, by module name. `collectDefaultMetrics` has no way
 * to release the event-loop-delay monitor and GC observer it starts (one pair per call, kept for
 * the life of the process), so troupe calls the other collectors one by one and measures those
 * two itself.
 */
function collector(name: string): Collector {
  const c = require(`prom-client/lib/metrics/${name}`) as unknown;
  if (typeof c !== 'function') throw new Error(`prom-client's default collector ${name} is not a function: prom-client's layout changed`);
  return c as Collector;
}

/** The metric names prom-client's pull-only default collectors register (for docs and tests). */
export function promClientDefaultNames(): string[] {
  return PROM_CLIENT_PULL_COLLECTORS.flatMap((name) => [...(collector(name).metricNames ?? [])]);
}

const GC_KINDS: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};

/**
 * Register Node's process metrics in `registry`: prom-client's pull-only defaults, and the event
 * loop delay and GC pauses, whose monitors this function starts.
 *
 * @returns the function that stops the monitors (idempotent); the metrics stay readable.
 */
export function registerNodeMetrics(registry: Registry): () => void {
  for (const name of PROM_CLIENT_PULL_COLLECTORS) collector(name)(registry, {});

  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const g = (spec: MetricSpec, collect?: (this: Gauge) => Promise<void>): Gauge => new Gauge({ name: spec.name, help: spec.help, registers: [registry], ...(collect ? { collect } : {}) });
  // An empty monitor (no sample since the last reset) reads min 2^63 and mean NaN: report 0 instead.
  const seconds = (ns: number): number => (delay.count === 0 || !Number.isFinite(ns) ? 0 : ns / 1e9);
  // The lag gauge is registered first: a scrape reads metrics in registration order, and its
  // collect sets the other lag gauges (one read of the monitor per scrape) before they are read.
  g(NODE_METRICS.eventLoopLag, async function () {
    lag.min.set(seconds(delay.min));
    lag.max.set(seconds(delay.max));
    lag.mean.set(seconds(delay.mean));
    lag.stddev.set(seconds(delay.stddev));
    lag.p50.set(seconds(delay.percentile(50)));
    lag.p90.set(seconds(delay.percentile(90)));
    lag.p99.set(seconds(delay.percentile(99)));
    delay.reset();
    const start = process.hrtime.bigint();
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.set(Number(process.hrtime.bigint() - start) / 1e9);
  });
  const lag = {
    min: g(NODE_METRICS.eventLoopLagMin),
    max: g(NODE_METRICS.eventLoopLagMax),
    mean: g(NODE_METRICS.eventLoopLagMean),
    stddev: g(NODE_METRICS.eventLoopLagStddev),
    p50: g(NODE_METRICS.eventLoopLagP50),
    p90: g(NODE_METRICS.eventLoopLagP90),
    p99: g(NODE_METRICS.eventLoopLagP99),
  };

  const spec = NODE_METRICS.gcDuration;
  const gc = new Histogram({ name: spec.name, help: spec.help, labelNames: spec.labels, buckets: [...spec.buckets], registers: [registry] });
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = GC_KINDS[(entry as { detail?: { kind?: number } }).detail?.kind ?? -1];
      if (kind !== undefined) gc.observe({ kind }, entry.duration / 1000);
    }
  });
  observer.observe({ entryTypes: ['gc'] });

  let released = false;
  return () => {
    if (released) return;
    released = true;
    delay.disable();
    observer.disconnect();
  };
}

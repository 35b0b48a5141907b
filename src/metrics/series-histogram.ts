import type { Histogram, Registry } from 'prom-client';
import type { MetricSpec } from './catalog.js';

/**
 * One label set of a {@link SeriesHistogram}: bucket counts, sum and count. `observe` costs a
 * bucket search and three additions, no allocation: what the per-step path can pay.
 */
export class HistogramSeries {
  /** Observations per bucket (not cumulative); the last slot is above every bound (`+Inf`). */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(
    readonly labels: Readonly<Record<string, string>>,
    readonly bounds: readonly number[],
  ) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  /** Count one value (in the histogram's unit); a NaN is ignored. */
  observe(value: number): void {
    if (value !== value) return;
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    this.counts[i]!++;
    this.sum += value;
    this.count++;
  }

  zero(): void {
    this.counts.fill(0);
    this.sum = 0;
    this.count = 0;
  }
}

type Trie = Map<string, Trie | HistogramSeries>;

type Value = { value: number; labels: Record<string, string | number>; metricName: string };

/**
 * A histogram registered in a prom-client registry through prom-client's metric contract (`get()`,
 * `reset()`, as its own metrics are), whose label sets are bound once and kept: prom-client's
 * `observe` hashes the labels on every call (~0.8 µs here), a bound {@link HistogramSeries} does not.
 * Label values must come from bounded sets: a series, once created, is kept.
 */
export class SeriesHistogram {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly labelNames: readonly string[];
  readonly #bounds: readonly number[];
  readonly #series: HistogramSeries[] = [];
  /** Series by label value, one map level per label: a lookup allocates nothing (no joined key). */
  readonly #index: Trie = new Map();

  /** @throws Error when `registry` already holds a metric of that name (prom-client's check). */
  constructor(spec: MetricSpec, registry: Registry) {
    this.name = spec.name;
    this.help = spec.help;
    this.labelNames = spec.labels;
    this.#bounds = [...(spec.buckets ?? [])].sort((a, b) => a - b);
    registry.registerMetric(this as unknown as Histogram);
  }

  /** The series of these label values (in `labelNames` order), created on first use. */
  series(...values: string[]): HistogramSeries {
    let node: Trie | HistogramSeries | undefined = this.#index;
    const last = this.labelNames.length - 1;
    if (last < 0) return (this.#series[0] ??= this.#create(values));
    for (let i = 0; i <= last; i++) {
      const level: Trie = node as Trie;
      node = level.get(values[i] ?? '');
      if (node === undefined) {
        node = i === last ? this.#create(values) : new Map();
        level.set(values[i] ?? '', node);
      }
    }
    return node as HistogramSeries;
  }

  #create(values: readonly string[]): HistogramSeries {
    const labels: Record<string, string> = {};
    this.labelNames.forEach((name, i) => (labels[name] = values[i] ?? ''));
    const s = new HistogramSeries(labels, this.#bounds);
    this.#series.push(s);
    return s;
  }

  /** The bounds of the buckets (the histogram's unit). */
  get bounds(): readonly number[] {
    return this.#bounds;
  }

  /** Every series, in creation order (read-only: for sums over them). */
  get all(): readonly HistogramSeries[] {
    return this.#series;
  }

  /** Zero every series (they stay bound). */
  reset(): void {
    for (const s of this.#series) s.zero();
  }

  /** The metric as prom-client's histograms report it: cumulative `_bucket`s with `le`, `_sum`, `_count`. */
  async get(): Promise<{ name: string; help: string; type: 'histogram'; aggregator: 'sum'; values: Value[] }> {
    const values: Value[] = [];
    for (const s of this.#series) {
      let cumulative = 0;
      this.#bounds.forEach((le, i) => {
        cumulative += s.counts[i]!;
        values.push({ value: cumulative, labels: { ...s.labels, le }, metricName: `${this.name}_bucket` });
      });
      values.push({ value: s.count, labels: { ...s.labels, le: '+Inf' }, metricName: `${this.name}_bucket` });
      values.push({ value: s.sum, labels: { ...s.labels }, metricName: `${this.name}_sum` });
      values.push({ value: s.count, labels: { ...s.labels }, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}

import parsePrometheusTextFormat, { type Family } from 'parse-prometheus-text-format';
import type { Metrics } from '../../src/index.js';

export type { Family };

/** One series of a counter or gauge. */
export interface Series {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** One series (label set) of a histogram. */
export interface HistogramSeries {
  readonly labels: Readonly<Record<string, string>>;
  /** Cumulative counts by upper bound, as written (`le`), `+Inf` included. */
  readonly buckets: Readonly<Record<string, number>>;
  readonly sum: number;
  readonly count: number;
}

/** A runtime's metrics, rendered in the Prometheus text format and read back by a real parser of that format. */
export async function scrape(metrics: Metrics): Promise<Scrape> {
  const text = await metrics.text();
  // The parser folds every series of a labelled histogram into one and drops their labels
  // (yunyu/parse-prometheus-text-format#13, unfixed): its `_bucket`, `_sum` and `_count` lines
  // are read a second time as untyped samples, and grouped by label set here.
  const untyped = parsePrometheusTextFormat(text.replace(/^# TYPE (\S+) histogram$/gm, '# TYPE $1 untyped'));
  return new Scrape(parsePrometheusTextFormat(text), untyped);
}

/** Parsed families, with lookups by name and labels. */
export class Scrape {
  readonly byName: ReadonlyMap<string, Family>;
  /** Untyped samples by line name; a histogram's series interleave, so one name comes in many runs of lines. */
  readonly #raw = new Map<string, Family['metrics'][number][]>();

  constructor(
    readonly families: readonly Family[],
    raw: readonly Family[],
  ) {
    this.byName = new Map(families.map((f) => [f.name, f]));
    for (const f of raw) this.#raw.set(f.name, [...(this.#raw.get(f.name) ?? []), ...f.metrics]);
  }

  family(name: string): Family {
    const f = this.byName.get(name);
    if (!f) throw new Error(`no metric ${name} in the scrape`);
    return f;
  }

  /** The series of a counter or gauge whose labels include `labels`. */
  series(name: string, labels: Record<string, string> = {}): Series[] {
    const f = this.family(name);
    if (f.type === 'HISTOGRAM') throw new Error(`${name} is a histogram: use histogram()`);
    return f.metrics.map((m) => ({ labels: m.labels ?? {}, value: Number(m.value) })).filter((s) => includes(s.labels, labels));
  }

  /** The value of one counter or gauge series (0 when absent: a counter not yet incremented has no series). */
  value(name: string, labels: Record<string, string> = {}): number {
    const [s, ...more] = this.series(name, labels);
    if (more.length > 0) throw new Error(`${name} ${JSON.stringify(labels)} matches ${more.length + 1} series`);
    return s?.value ?? 0;
  }

  /** The series of a histogram whose labels include `labels`. */
  histogram(name: string, labels: Record<string, string> = {}): HistogramSeries[] {
    if (this.family(name).type !== 'HISTOGRAM') throw new Error(`${name} is not a histogram`);
    const byKey = new Map<string, { labels: Record<string, string>; buckets: Record<string, number>; sum: number; count: number }>();
    const at = (l: Readonly<Record<string, string>>) => {
      const key = JSON.stringify(Object.entries(l).sort());
      let s = byKey.get(key);
      if (!s) byKey.set(key, (s = { labels: { ...l }, buckets: {}, sum: Number.NaN, count: Number.NaN }));
      return s;
    };
    for (const m of this.#raw.get(`${name}_bucket`) ?? []) {
      const { le, ...rest } = m.labels ?? {};
      at(rest).buckets[le!] = Number(m.value);
    }
    for (const m of this.#raw.get(`${name}_sum`) ?? []) at(m.labels ?? {}).sum = Number(m.value);
    for (const m of this.#raw.get(`${name}_count`) ?? []) at(m.labels ?? {}).count = Number(m.value);
    return [...byKey.values()].filter((s) => includes(s.labels, labels));
  }

  /** Observations counted by the histogram series whose labels include `labels` (0 when none). */
  count(name: string, labels: Record<string, string> = {}): number {
    return this.histogram(name, labels).reduce((n, s) => n + s.count, 0);
  }

  /** Every series of every family whose name starts with `prefix`, as `name{label="value",...}`, sorted. */
  seriesKeys(prefix: string): string[] {
    const keys: string[] = [];
    for (const f of this.families.filter((x) => x.name.startsWith(prefix))) {
      const sets = f.type === 'HISTOGRAM' ? this.histogram(f.name).map((h) => h.labels) : this.series(f.name).map((s) => s.labels);
      for (const l of sets) keys.push(`${f.name}{${Object.entries(l).sort().map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}}`);
    }
    return keys.sort();
  }
}

function includes(labels: Readonly<Record<string, string>>, wanted: Record<string, string>): boolean {
  return Object.entries(wanted).every(([k, v]) => labels[k] === v);
}

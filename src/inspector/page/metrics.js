// Live metrics the page computes from the event stream itself (steps/s, p99 step duration over a
// sliding window; from the digests' histograms when it takes the all-runs feed as digests), and the queue depths it reads from `GET /metrics` when the server has them.
// No DOM here.

/** How far back steps/s and p99 look. */
export const WINDOW_MS = 60_000;

/**
 * Finished steps of the last minute: each one as an event told it (completion time, duration), or
 * counted by a digest (how many, how many failed, and their durations as a histogram).
 */
export class StepWindow {
  /** @type {{ at: number, durationMs: number | undefined, failed: boolean }[]} */
  #steps = [];
  /** @type {{ at: number, count: number, failed: number, le: number[], counts: number[] }[]} */
  #digests = [];
  #since;

  /** @param {number} since - when the page started watching (a rate is over what it saw). */
  constructor(since) {
    this.#since = since;
  }

  /**
   * @param {number} at
   * @param {number | undefined} durationMs
   * @param {boolean} failed
   */
  record(at, durationMs, failed) {
    this.#steps.push({ at, durationMs, failed });
    this.#prune(at);
  }

  /**
   * A digest's `completed`: the steps since the previous digest, their durations as a histogram.
   * @param {number} at
   * @param {{ count: number, failed: number, le: number[], counts: number[] }} completed
   */
  recordDigest(at, completed) {
    this.#digests.push({ at, ...completed });
    this.#prune(at);
  }

  /** @param {number} now */
  stats(now) {
    this.#prune(now);
    const seconds = Math.max(1, Math.min(WINDOW_MS, now - this.#since)) / 1000;
    const durations = this.#steps.flatMap((s) => (s.durationMs === undefined ? [] : [s.durationMs]));
    const steps = this.#steps.length + this.#digests.reduce((n, d) => n + d.count, 0);
    return {
      steps,
      failed: this.#steps.filter((s) => s.failed).length + this.#digests.reduce((n, d) => n + d.failed, 0),
      stepsPerSecond: steps / seconds,
      p99Ms: this.#digests.length === 0 ? percentile(durations, 99) : this.#histogramP99(durations),
    };
  }

  /** The p99 over the digests' histograms and the steps told one by one, put in the same buckets. */
  #histogramP99(/** @type {number[]} */ durations) {
    const le = this.#digests[this.#digests.length - 1].le;
    const counts = new Array(le.length + 1).fill(0);
    for (const d of this.#digests) if (d.le.length === le.length) d.counts.forEach((n, i) => (counts[i] += n));
    for (const ms of durations) {
      let i = 0;
      while (i < le.length && ms > le[i]) i++;
      counts[i]++;
    }
    return histogramQuantile(le, counts, 0.99);
  }

  /** @param {number} now */
  #prune(now) {
    const from = now - WINDOW_MS;
    let i = 0;
    while (i < this.#steps.length && this.#steps[i].at < from) i++;
    if (i > 0) this.#steps.splice(0, i);
    let j = 0;
    while (j < this.#digests.length && this.#digests[j].at < from) j++;
    if (j > 0) this.#digests.splice(0, j);
  }
}

/**
 * A quantile of a histogram, as Prometheus's `histogram_quantile` estimates it: linear within the
 * bucket that holds it (from 0 for the first), the last bound when it is above every bound;
 * `undefined` when it is empty.
 * @param {readonly number[]} le - the buckets' upper bounds
 * @param {readonly number[]} counts - per bucket, not cumulative; one more than `le`
 * @param {number} q - 0 to 1
 */
export function histogramQuantile(le, counts, q) {
  const total = counts.reduce((a, b) => a + b, 0);
  if (total === 0 || le.length === 0) return undefined;
  const rank = q * total;
  let below = 0;
  for (let i = 0; i < counts.length; i++) {
    if (below + counts[i] >= rank && counts[i] > 0) {
      if (i === le.length) return le[le.length - 1];
      const lower = i === 0 ? 0 : le[i - 1];
      return lower + (le[i] - lower) * ((rank - below) / counts[i]);
    }
    below += counts[i];
  }
  return le[le.length - 1];
}

/**
 * The nearest-rank percentile, or `undefined` for no values.
 * @param {readonly number[]} values
 * @param {number} p - 0 to 100.
 */
export function percentile(values, p) {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/**
 * The samples of a Prometheus text exposition: `name{label="value",...} number [timestamp]`.
 * Comments, blank lines and lines that do not parse are skipped.
 * @param {string} text
 * @returns {{ name: string, labels: Record<string, string>, value: number }[]}
 */
export function parsePrometheus(text) {
  const samples = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const value = Number(m[3] === '+Inf' ? Infinity : m[3] === '-Inf' ? -Infinity : m[3]);
    if (Number.isNaN(value) && m[3] !== 'NaN') continue;
    samples.push({ name: m[1], labels: m[2] ? labelsOf(m[2]) : {}, value });
  }
  return samples;
}

/** @param {string} block - `{a="x",b="y\"z"}` */
function labelsOf(block) {
  /** @type {Record<string, string>} */
  const labels = {};
  const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
  for (let m = re.exec(block); m !== null; m = re.exec(block)) {
    labels[m[1]] = m[2].replace(/\\(.)/g, (_, c) => (c === 'n' ? '\n' : c));
  }
  return labels;
}

/** The gauges the page shows, by metric name: whose (the label) and which column. */
const GAUGES = {
  troupe_agent_mailbox_depth: { of: 'agents', label: 'agent', column: 'waiting' },
  troupe_agent_in_flight: { of: 'agents', label: 'agent', column: 'running' },
  troupe_pool_queue_depth: { of: 'pools', label: 'pool', column: 'waiting' },
  troupe_pool_running: { of: 'pools', label: 'pool', column: 'running' },
};

/**
 * @typedef {{ name: string, waiting: number, running: number }} Depth
 * @typedef {{ agents: Depth[], pools: Depth[] }} Depths
 */

/**
 * Queue depths from `/metrics` samples: per agent, calls waiting in its mailboxes and running;
 * per worker pool, tasks waiting for a worker and running.
 * @param {ReturnType<typeof parsePrometheus>} samples
 * @returns {Depths}
 */
export function queueDepths(samples) {
  /** @type {{ agents: Map<string, Depth>, pools: Map<string, Depth> }} */
  const by = { agents: new Map(), pools: new Map() };
  for (const s of samples) {
    const g = GAUGES[/** @type {keyof typeof GAUGES} */ (s.name)];
    if (!g) continue;
    const name = s.labels[g.label] ?? '';
    const row = by[g.of].get(name) ?? { name, waiting: 0, running: 0 };
    row[g.column] += s.value;
    by[g.of].set(name, row);
  }
  const sorted = (/** @type {Map<string, Depth>} */ m) => [...m.values()].sort((a, b) => b.waiting - a.waiting || a.name.localeCompare(b.name));
  return { agents: sorted(by.agents), pools: sorted(by.pools) };
}

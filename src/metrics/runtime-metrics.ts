import { Counter, Gauge, Registry } from 'prom-client';
import { ErrorCodes } from '../errors/index.js';
import type { RunStatus } from '../store/index.js';
import { METRICS, type MetricSpec } from './catalog.js';
import { registerNodeMetrics } from './node-metrics.js';
import { SeriesHistogram, type HistogramSeries } from './series-histogram.js';
import type { Metrics, MetricSources, StepTotals } from './types.js';

const KNOWN_CODES: ReadonlySet<string> = new Set(Object.values(ErrorCodes));
const LIVE_STATES = ['running', 'waiting-approval', 'paused'] as const satisfies readonly RunStatus[];
const CIRCUIT_VALUE = { closed: 0, 'half-open': 1, open: 2 } as const;

/**
 * The metrics of one runtime: a prom-client registry holding every metric of the catalog and
 * Node's process metrics. Counters and histograms are fed by narrow hooks (the dispatcher's
 * observer, the store's observer, run completion); depths and states are read from
 * {@link MetricSources} only when scraped. `close()` releases the event-loop and GC monitors.
 */
export class RuntimeMetrics implements Metrics {
  readonly registry = new Registry();
  readonly contentType: string = this.registry.contentType;
  readonly #stepDuration: SeriesHistogram;
  readonly #retries: Counter<string>;
  readonly #timeouts: Counter<string>;
  readonly #rejections: Counter<string>;
  readonly #runDuration: SeriesHistogram;
  readonly #reflection: Counter<string>;
  readonly #release: () => void;

  /** The dispatcher's observer: one observation per call, more only on failed attempts. */
  readonly dispatch = {
    callEnded: (agent: string | undefined, capability: string | undefined, code: string | null, durationMs: number): void => {
      const outcome = code === null ? 'ok' : KNOWN_CODES.has(code) ? code : 'error';
      this.#stepDuration.series(agent ?? '', capability ?? '', outcome).observe(durationMs / 1000);
    },
    attemptFailed: (agent: string, code: string, retrying: boolean): void => {
      if (retrying) this.#retries.inc({ agent });
      if (code === ErrorCodes.AGENT_TIMEOUT) this.#timeouts.inc({ agent });
      else if (code === ErrorCodes.AGENT_OUTPUT_INVALID) this.#rejections.inc({ agent, direction: 'output' });
      else if (code === ErrorCodes.AGENT_INPUT_INVALID) this.#rejections.inc({ agent, direction: 'input' });
    },
  };

  /** The store's observer: write latencies in milliseconds. */
  readonly store: { commit(ms: number): void; flush(ms: number): void };

  /** @param sources - the runtime the gauges read when scraped (read lazily: it may still be under construction). */
  constructor(sources: MetricSources) {
    const r = this.registry;
    this.#stepDuration = new SeriesHistogram(METRICS.stepDuration, r);
    this.#retries = counter(r, METRICS.stepRetries);
    this.#timeouts = counter(r, METRICS.stepTimeouts);
    this.#rejections = counter(r, METRICS.validationRejections);
    this.#runDuration = new SeriesHistogram(METRICS.runDuration, r);
    const commit: HistogramSeries = new SeriesHistogram(METRICS.storeCommit, r).series();
    const flush: HistogramSeries = new SeriesHistogram(METRICS.storeFlush, r).series();
    this.store = { commit: (ms) => commit.observe(ms / 1000), flush: (ms) => flush.observe(ms / 1000) };
    this.#reflection = counter(r, METRICS.reflectionDecisions);

    gauges(r, [METRICS.runs], ([runs]) => {
      const counts = new Map<RunStatus, number>(LIVE_STATES.map((s) => [s, 0]));
      for (const run of sources.activeRuns()) {
        const state = run.status().status;
        if (counts.has(state)) counts.set(state, counts.get(state)! + 1);
      }
      for (const [state, n] of counts) runs.set({ state }, n);
    });
    gauges(r, [METRICS.mailboxDepth, METRICS.inFlight, METRICS.circuitState], ([mailbox, inFlight, circuit]) => {
      for (const agent of sources.agents.registry.list()) {
        let queued = 0;
        let running = 0;
        for (const slot of sources.agents.slots(agent.id)) {
          queued += slot.life?.queue.length ?? 0;
          running += slot.life?.inFlight ?? 0;
        }
        mailbox.set({ agent: agent.id }, queued);
        inFlight.set({ agent: agent.id }, running);
        const breaker = sources.dispatcher.breaker(agent);
        if (breaker) circuit.set({ agent: agent.id }, CIRCUIT_VALUE[breaker.status]);
      }
    });
    gauges(r, [METRICS.poolQueueDepth, METRICS.poolRunning, METRICS.poolWorkers], ([queue, running, workers]) => {
      for (const p of sources.poolStats()) {
        queue.set({ pool: p.name }, p.queued);
        running.set({ pool: p.name }, p.running);
        workers.set({ pool: p.name }, p.workers);
      }
    });
    this.#release = registerNodeMetrics(r);
  }

  /** Every metric, in the Prometheus text format. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  stepTotals(): StepTotals {
    const h = this.#stepDuration;
    const counts = new Float64Array(h.bounds.length + 1);
    let count = 0;
    let failed = 0;
    for (const s of h.all) {
      for (let i = 0; i < counts.length; i++) counts[i]! += s.counts[i]!;
      count += s.count;
      if (s.labels.outcome !== 'ok') failed += s.count;
    }
    return { bounds: h.bounds, counts, count, failed };
  }

  /**
   * A run finished.
   *
   * @param workflow - its workflow's name (bounded by the workflows registered)
   * @param status - `completed`, `failed` or `cancelled`
   * @param durationMs - from its creation to its final status
   */
  runFinished(workflow: string, status: RunStatus, durationMs: number): void {
    this.#runDuration.series(workflow, status).observe(Math.max(0, durationMs) / 1000);
  }

  /**
   * Count a decision of the reflection actor.
   *
   * @param kind - what it decided (a closed set the reflection area defines, e.g. `weight`)
   * @param agent - the agent it concerns
   */
  reflectionDecision(kind: string, agent: string): void {
    this.#reflection.inc({ kind, agent });
  }

  /** Stop the event-loop and GC monitors (the runtime stopped). The metrics stay readable. Idempotent. */
  close(): void {
    this.#release();
  }
}

function counter(registry: Registry, spec: MetricSpec): Counter<string> {
  return new Counter({ name: spec.name, help: spec.help, labelNames: [...spec.labels], registers: [registry] });
}

/**
 * Gauges read at scrape time, filled by one walk over their source: the first gauge's collect
 * clears them all (agents and pools that went away leave no series) and calls `fill`. A scrape
 * reads metrics in registration order, so the others are set before they are read.
 */
function gauges<const S extends readonly MetricSpec[]>(registry: Registry, specs: S, fill: (gauges: { [K in keyof S]: Gauge<string> }) => void): void {
  const made: Gauge<string>[] = [];
  const collect = (): void => {
    for (const g of made) g.reset();
    fill(made as { [K in keyof S]: Gauge<string> });
  };
  specs.forEach((spec, i) => made.push(new Gauge({ name: spec.name, help: spec.help, labelNames: [...spec.labels], registers: [registry], ...(i === 0 ? { collect } : {}) })));
}

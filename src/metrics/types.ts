import type { Registry } from 'prom-client';
import type { Agent, BreakerStatus, InstanceSlot } from '../agents/index.js';
import type { PoolStats } from '../pool/index.js';
import type { RunStatus } from '../store/index.js';

/**
 * A runtime's metrics: its own prom-client registry, so that two runtimes in one process never
 * share or collide. Every metric is declared in the catalog (`docs/metrics.md`).
 *
 * @example
 * ```ts
 * const rt = await createRuntime({ agents, workflows });
 * http.createServer(async (req, res) => {
 *   res.setHeader('Content-Type', rt.metrics.contentType);
 *   res.end(await rt.metrics.text());
 * });
 * ```
 */
export interface Metrics {
  /** The prom-client registry: troupe's metrics and Node's process metrics. Combine it with yours with `Registry.merge`. */
  readonly registry: Registry;
  /** The Content-Type of {@link Metrics.text}: the Prometheus text format, version 0.0.4. */
  readonly contentType: string;
  /** Every metric, in the Prometheus text format (what `GET /metrics` serves). Reads live gauges now. */
  text(): Promise<string>;
  /** Every step so far, over all agents and outcomes: `troupe_step_duration_seconds` summed over its series. */
  stepTotals(): StepTotals;
}

/** The step-duration histogram summed over its series (agents, capabilities, outcomes). */
export interface StepTotals {
  /** The buckets' upper bounds, in seconds. */
  readonly bounds: readonly number[];
  /** Steps per bucket (not cumulative); one more than `bounds`, the last above every bound. */
  readonly counts: Float64Array;
  readonly count: number;
  /** Of which failed (any outcome but `ok`). */
  readonly failed: number;
}

/**
 * What the metrics read from a runtime when scraped (pull-based gauges: the per-step path pays
 * nothing for them). `TroupeRuntime` satisfies it.
 */
export interface MetricSources {
  readonly agents: {
    readonly registry: { list(): readonly Agent[] };
    slots(agentId: string): readonly InstanceSlot[];
  };
  readonly dispatcher: { breaker(agent: Agent): { readonly status: BreakerStatus } | null };
  poolStats(): readonly PoolStats[];
  activeRuns(): readonly { status(): { readonly status: RunStatus } }[];
}

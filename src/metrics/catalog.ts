/**
 * The catalog of every metric troupe exports: name, type, help, label names and histogram buckets,
 * declared once. `docs/metrics.md` documents each one; a test keeps both in step. Label values are
 * bounded sets (agent ids, capabilities, workflow names, error codes, pool names): never a run id.
 */

/** A Prometheus metric type troupe uses. */
export type MetricType = 'counter' | 'gauge' | 'histogram';

/** One metric's declaration. */
export interface MetricSpec {
  readonly name: string;
  readonly type: MetricType;
  readonly help: string;
  readonly labels: readonly string[];
  /** Upper bounds in seconds (histograms only). */
  readonly buckets?: readonly number[];
}

/** From 0.5 ms (an inline agent) to 5 min (a slow model call). */
const STEP_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300] as const;
/** From 1 ms to 4 h: a run may wait hours for a human. */
const RUN_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600, 14400] as const;
/** From 50 µs (a commit shared by a batch) to 1 s (a slow fsync). */
const STORE_BUCKETS = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1] as const;

/** troupe's own metrics, by the key the code uses. */
export const METRICS = {
  stepDuration: {
    name: 'troupe_step_duration_seconds',
    type: 'histogram',
    help: "Agent calls of steps, from dispatch to the final answer (retries, backoff and fallback included). outcome is 'ok' or the final error code; capability is '' when the step names an agent by id.",
    labels: ['agent', 'capability', 'outcome'],
    buckets: STEP_BUCKETS,
  },
  stepRetries: {
    name: 'troupe_step_retries_total',
    type: 'counter',
    help: 'Failed attempts of agent calls that are retried.',
    labels: ['agent'],
  },
  stepTimeouts: {
    name: 'troupe_step_timeouts_total',
    type: 'counter',
    help: 'Attempts of agent calls that timed out (TROUPE_AGENT_TIMEOUT), retried or not.',
    labels: ['agent'],
  },
  validationRejections: {
    name: 'troupe_validation_rejections_total',
    type: 'counter',
    help: "Agent inputs or outputs rejected by the agent's JSON Schema; direction is 'input' or 'output'.",
    labels: ['agent', 'direction'],
  },
  runDuration: {
    name: 'troupe_run_duration_seconds',
    type: 'histogram',
    help: "Finished runs, from creation to their final status ('completed', 'failed' or 'cancelled'), by workflow name.",
    labels: ['workflow', 'status'],
    buckets: RUN_BUCKETS,
  },
  runs: {
    name: 'troupe_runs',
    type: 'gauge',
    help: "Runs in progress in this runtime by state ('running', 'waiting-approval', 'paused'); sub-runs included.",
    labels: ['state'],
  },
  mailboxDepth: {
    name: 'troupe_agent_mailbox_depth',
    type: 'gauge',
    help: "Calls waiting in an agent's instance mailboxes (summed over its instances).",
    labels: ['agent'],
  },
  inFlight: {
    name: 'troupe_agent_in_flight',
    type: 'gauge',
    help: "Calls an agent's instances are executing now (summed over its instances).",
    labels: ['agent'],
  },
  circuitState: {
    name: 'troupe_circuit_state',
    type: 'gauge',
    help: "State of an agent's circuit breaker: 0 closed, 1 half-open, 2 open. Agents without a breaker have no series.",
    labels: ['agent'],
  },
  poolQueueDepth: {
    name: 'troupe_pool_queue_depth',
    type: 'gauge',
    help: "Tasks waiting for a worker in a worker pool, named 'agent:ID' or 'shared:NAME'.",
    labels: ['pool'],
  },
  poolRunning: {
    name: 'troupe_pool_running',
    type: 'gauge',
    help: 'Tasks running in a worker pool now.',
    labels: ['pool'],
  },
  poolWorkers: {
    name: 'troupe_pool_workers',
    type: 'gauge',
    help: 'Live workers (threads or processes) of a worker pool.',
    labels: ['pool'],
  },
  storeCommit: {
    name: 'troupe_store_commit_duration_seconds',
    type: 'histogram',
    help: 'Run writes of the LMDB store (create, append, update), from issue until committed (visible).',
    labels: [],
    buckets: STORE_BUCKETS,
  },
  storeFlush: {
    name: 'troupe_store_flush_duration_seconds',
    type: 'histogram',
    help: "Run writes of the LMDB store with durability 'flush', from issue until on disk.",
    labels: [],
    buckets: STORE_BUCKETS,
  },
  reflectionDecisions: {
    name: 'troupe_reflection_decisions_total',
    type: 'counter',
    help: 'Decisions of the reflection actor by kind (e.g. a weight change) and the agent they concern.',
    labels: ['kind', 'agent'],
  },
} as const satisfies Record<string, MetricSpec>;

/** The key of one of troupe's metrics in {@link METRICS}. */
export type MetricKey = keyof typeof METRICS;

/** The name of one of troupe's metrics (`troupe_…`). */
export type MetricName = (typeof METRICS)[MetricKey]['name'];

/** Event-loop and GC metrics: troupe measures them itself so that a stopped runtime releases its monitors. */
export const NODE_METRICS = {
  eventLoopLag: { name: 'nodejs_eventloop_lag_seconds', type: 'gauge', help: 'Lag of the event loop in seconds, measured at scrape time.', labels: [] },
  eventLoopLagMin: { name: 'nodejs_eventloop_lag_min_seconds', type: 'gauge', help: 'The minimum event loop delay since the last scrape.', labels: [] },
  eventLoopLagMax: { name: 'nodejs_eventloop_lag_max_seconds', type: 'gauge', help: 'The maximum event loop delay since the last scrape.', labels: [] },
  eventLoopLagMean: { name: 'nodejs_eventloop_lag_mean_seconds', type: 'gauge', help: 'The mean event loop delay since the last scrape.', labels: [] },
  eventLoopLagStddev: { name: 'nodejs_eventloop_lag_stddev_seconds', type: 'gauge', help: 'The standard deviation of the event loop delay since the last scrape.', labels: [] },
  eventLoopLagP50: { name: 'nodejs_eventloop_lag_p50_seconds', type: 'gauge', help: 'The 50th percentile of the event loop delay since the last scrape.', labels: [] },
  eventLoopLagP90: { name: 'nodejs_eventloop_lag_p90_seconds', type: 'gauge', help: 'The 90th percentile of the event loop delay since the last scrape.', labels: [] },
  eventLoopLagP99: { name: 'nodejs_eventloop_lag_p99_seconds', type: 'gauge', help: 'The 99th percentile of the event loop delay since the last scrape.', labels: [] },
  gcDuration: {
    name: 'nodejs_gc_duration_seconds',
    type: 'histogram',
    help: 'Garbage collection pauses by kind: major, minor, incremental or weakcb.',
    labels: ['kind'],
    buckets: [0.001, 0.01, 0.1, 1, 2, 5],
  },
} as const satisfies Record<string, MetricSpec>;

/**
 * prom-client's default collectors that only read process state at scrape time (no timers, no
 * observers), by their module name in `collectDefaultMetrics.metricsList`. The two that hold a
 * monitor (`eventLoopLag`, `gc`) are replaced by {@link NODE_METRICS}.
 */
export const PROM_CLIENT_PULL_COLLECTORS = [
  'processCpuTotal',
  'processStartTime',
  'osMemoryHeap',
  'processOpenFileDescriptors',
  'processMaxFileDescriptors',
  'processResources',
  'processHandles',
  'processRequests',
  'heapSizeAndUsed',
  'heapSpacesSizeAndUsed',
  'version',
] as const;

/** prom-client's default collectors that troupe replaces with releasable ones. */
export const PROM_CLIENT_REPLACED_COLLECTORS = ['eventLoopLag', 'gc'] as const;

/**
 * The metrics area: one prom-client registry per runtime and every metric's name, type, labels
 * and buckets declared in one catalog. Other areas import only this file.
 */
export { METRICS, NODE_METRICS, PROM_CLIENT_PULL_COLLECTORS, PROM_CLIENT_REPLACED_COLLECTORS, type MetricKey, type MetricName, type MetricSpec, type MetricType } from './catalog.js';
export { RuntimeMetrics } from './runtime-metrics.js';
export { registerNodeMetrics, promClientDefaultNames } from './node-metrics.js';
export type { Metrics, MetricSources, StepTotals } from './types.js';

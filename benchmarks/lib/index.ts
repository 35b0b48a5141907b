export { getEnvironment, gitCommit, type Environment } from './environment.js';
export { medianOf, percentile, round, summarizeLatencies, type LatencySummary } from './stats.js';
export { RssSampler } from './rss-sampler.js';
export { runConcurrent, type ConcurrentRunResult } from './run-concurrent.js';
export { parseBenchArgs, runBenchmark, BenchUsageError, SYSTEMS, USAGE, type BenchOptions, type SystemSelector } from './cli.js';
export { printResult, log, type BenchDocument, type Writable } from './print-result.js';
export { collectGarbage, measure, warmupRunsFor, type MeasureOptions, type SystemResult } from './measure.js';
export { WORKFLOWS, WORKFLOW_NAMES, type SystemUnderTest, type Workload, type WorkflowName } from './workflows.js';

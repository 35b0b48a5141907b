/**
 * runtime-throughput: how many workflow runs per second the runtime sustains with no-op agents, at
 * high concurrency, against LangGraph.js (with and without MemorySaver) and plain async calls, in
 * one run of this script: each system on each workflow in a fresh process of its own (see
 * lib/isolated.ts), one after the other; troupe also with an AsyncLocalStorage on. Prints one
 * JSON document on stdout; progress goes to stderr.
 *
 *   node --expose-gc --import tsx benchmarks/runtime-throughput.ts [--runs N] [--concurrency N] [--tiny] [--only troupe|langgraph]
 */
import {
  getEnvironment,
  log,
  parseBenchArgs,
  printResult,
  runBenchmark,
  round,
  warmupRunsFor,
  WORKFLOW_NAMES,
  WORKFLOWS,
  type BenchOptions,
  type SystemResult,
  type WorkflowName,
} from './lib/index.js';
import { measureIsolated, type IsolatedSystem } from './lib/isolated.js';

const NAME = 'runtime-throughput';
const RSS_INTERVAL_MS = 20;
type SystemName = IsolatedSystem;

interface WorkflowResult extends Record<SystemName, SystemResult | null> {
  readonly stepsPerRun: number;
  /** runs/s of troupe divided by runs/s of the other system; null when either did not run. */
  readonly ratios: {
    readonly 'troupe/langgraph': number | null;
    readonly 'troupe/langgraph-memorysaver': number | null;
    readonly 'troupe/plain-async': number | null;
    /** Both with an AsyncLocalStorage on (LangGraph always has one). */
    readonly 'troupe-async-context/langgraph': number | null;
  };
}

function selectSystems(only: BenchOptions['only']): SystemName[] {
  // plain-async first: a ceiling, cheap.
  const systems: SystemName[] = ['plain-async'];
  if (only !== 'troupe') systems.push('langgraph', 'langgraph-memorysaver');
  if (only !== 'langgraph') systems.push('troupe', 'troupe-async-context');
  return systems;
}

function ratio(a: SystemResult | null, b: SystemResult | null): number | null {
  return a === null || b === null || b.runsPerSec === 0 ? null : round(a.runsPerSec / b.runsPerSec, 3);
}

async function main(): Promise<void> {
  const options = parseBenchArgs();
  const systems = selectSystems(options.only);
  const results = {} as Record<WorkflowName, WorkflowResult>;

  for (const workflow of WORKFLOW_NAMES) {
    const { stepsPerRun } = WORKFLOWS[workflow];
    const bySystem: Record<SystemName, SystemResult | null> = {
      troupe: null,
      'troupe-async-context': null,
      langgraph: null,
      'langgraph-memorysaver': null,
      'plain-async': null,
    };
    for (const system of systems) {
      log(`${NAME}: ${workflow} on ${system}: ${options.runs} runs at concurrency ${options.concurrency}…`);
      const result = await measureIsolated(system, workflow, {
        runs: options.runs,
        concurrency: options.concurrency,
        stepsPerRun,
        rssIntervalMs: RSS_INTERVAL_MS,
      });
      bySystem[system] = result;
      log(
        `  ${result.runsPerSec} runs/s, ${result.stepsPerSec} steps/s, p50 ${result.latencyMs.p50} ms, ` +
          `p99 ${result.latencyMs.p99} ms, peak RSS ${result.peakRssMb} MB (+${result.rssDeltaMb})`,
      );
    }
    results[workflow] = {
      stepsPerRun,
      ...bySystem,
      ratios: {
        'troupe/langgraph': ratio(bySystem.troupe, bySystem.langgraph),
        'troupe/langgraph-memorysaver': ratio(bySystem.troupe, bySystem['langgraph-memorysaver']),
        'troupe/plain-async': ratio(bySystem.troupe, bySystem['plain-async']),
        'troupe-async-context/langgraph': ratio(bySystem['troupe-async-context'], bySystem.langgraph),
      },
    };
  }

  printResult({
    name: NAME,
    environment: getEnvironment(),
    parameters: {
      runs: options.runs,
      concurrency: options.concurrency,
      warmupRuns: warmupRunsFor(options.runs),
      tiny: options.tiny,
      only: options.only,
      systems,
      isolation: 'each system on each workflow in a fresh process',
      workflows: WORKFLOW_NAMES,
      rssSampleIntervalMs: RSS_INTERVAL_MS,
    },
    results,
  });
}

runBenchmark(NAME, main);

/**
 * runtime-throughput: how many workflow runs per second the runtime sustains with no-op agents, at
 * high concurrency, against LangGraph.js (with and without MemorySaver) and plain async calls, all
 * in this one process run. Prints one JSON document on stdout; progress goes to stderr.
 *
 *   node --expose-gc --import tsx benchmarks/runtime-throughput.ts [--runs N] [--concurrency N] [--tiny] [--only troupe|langgraph]
 */
import {
  getEnvironment,
  log,
  measure,
  parseBenchArgs,
  printResult,
  runBenchmark,
  round,
  warmupRunsFor,
  WORKFLOW_NAMES,
  WORKFLOWS,
  type BenchOptions,
  type SystemResult,
  type SystemUnderTest,
  type WorkflowName,
} from './lib/index.js';
import { langgraph, langgraphMemorySaver } from './lib/langgraph.js';
import { plainAsync } from './lib/plain-async.js';

const NAME = 'runtime-throughput';
const RSS_INTERVAL_MS = 20;
type SystemName = 'troupe' | 'langgraph' | 'langgraph-memorysaver' | 'plain-async';

interface WorkflowResult extends Record<SystemName, SystemResult | null> {
  readonly stepsPerRun: number;
  /** runs/s of troupe divided by runs/s of the other system; null when either did not run. */
  readonly ratios: {
    readonly 'troupe/langgraph': number | null;
    readonly 'troupe/langgraph-memorysaver': number | null;
    readonly 'troupe/plain-async': number | null;
  };
}

async function selectSystems(only: BenchOptions['only']): Promise<SystemUnderTest[]> {
  // plain-async first: a ceiling, cheap, and it warms up the process before the peers run.
  const systems: SystemUnderTest[] = [plainAsync];
  if (only !== 'troupe') systems.push(langgraph, langgraphMemorySaver);
  if (only !== 'langgraph') {
    // Dynamic so that `--only langgraph` never loads troupe's sources.
    const { troupe } = await import('./lib/troupe.js');
    systems.push(troupe);
  }
  return systems;
}

function ratio(a: SystemResult | null, b: SystemResult | null): number | null {
  return a === null || b === null || b.runsPerSec === 0 ? null : round(a.runsPerSec / b.runsPerSec, 3);
}

async function main(): Promise<void> {
  const options = parseBenchArgs();
  const systems = await selectSystems(options.only);
  const results = {} as Record<WorkflowName, WorkflowResult>;

  for (const workflow of WORKFLOW_NAMES) {
    const { stepsPerRun } = WORKFLOWS[workflow];
    const bySystem: Record<SystemName, SystemResult | null> = {
      troupe: null,
      langgraph: null,
      'langgraph-memorysaver': null,
      'plain-async': null,
    };
    for (const system of systems) {
      log(`${NAME}: ${workflow} on ${system.name}: ${options.runs} runs at concurrency ${options.concurrency}…`);
      const result = await measure(() => system.prepare(workflow), {
        runs: options.runs,
        concurrency: options.concurrency,
        stepsPerRun,
        rssIntervalMs: RSS_INTERVAL_MS,
      });
      bySystem[system.name as SystemName] = result;
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
      systems: systems.map((s) => s.name),
      workflows: WORKFLOW_NAMES,
      rssSampleIntervalMs: RSS_INTERVAL_MS,
    },
    results,
  });
}

runBenchmark(NAME, main);

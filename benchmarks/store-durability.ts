/**
 * store-durability: the runtime-throughput workloads (no-op agents, high concurrency) on troupe's
 * MemoryStore and on its LmdbStore in each durability mode (memory, commit, flush), all in this one
 * process run. The goal: flush mode at least 50% of memory mode's steps/s at 1,000
 * concurrent runs. Prints one JSON document on stdout; progress goes to stderr.
 *
 *   node --expose-gc --import tsx benchmarks/store-durability.ts [--runs N] [--concurrency N] [--tiny]
 */
import {
  getEnvironment,
  log,
  measure,
  parseBenchArgs,
  printResult,
  runBenchmark,
  BenchUsageError,
  round,
  warmupRunsFor,
  WORKFLOW_NAMES,
  WORKFLOWS,
  type SystemResult,
  type WorkflowName,
} from './lib/index.js';
import type { StoreSystemName } from './lib/troupe-stores.js';

const NAME = 'store-durability';
const RSS_INTERVAL_MS = 20;
/** Flush mode's steps/s over memory mode's (`lmdb-memory`) the issue asks for. */
const GOAL_FLUSH_VS_MEMORY = 0.5;
type SystemName = StoreSystemName;
type LmdbSystemName = Exclude<SystemName, 'memory-store'>;

interface WorkflowResult extends Record<SystemName, SystemResult> {
  readonly stepsPerRun: number;
  /** Each LMDB mode's steps/s over `lmdb-memory`'s and over `memory-store`'s. */
  readonly ratios: {
    readonly vsLmdbMemory: Record<LmdbSystemName, number | null>;
    readonly vsMemoryStore: Record<LmdbSystemName, number | null>;
  };
  /** `lmdb-flush` steps/s ÷ `lmdb-memory` steps/s against the goal (≥ 0.5); vsMemoryStore for reference. */
  readonly goal: {
    readonly flushVsMemory: number | null;
    readonly flushVsMemoryStore: number | null;
    readonly target: number;
    readonly met: boolean;
  };
}

function ratio(a: SystemResult, b: SystemResult): number | null {
  return b.stepsPerSec === 0 ? null : round(a.stepsPerSec / b.stepsPerSec, 3);
}

function ratiosTo(bySystem: Record<SystemName, SystemResult>, base: SystemName): Record<LmdbSystemName, number | null> {
  return {
    'lmdb-memory': ratio(bySystem['lmdb-memory'], bySystem[base]),
    'lmdb-commit': ratio(bySystem['lmdb-commit'], bySystem[base]),
    'lmdb-flush': ratio(bySystem['lmdb-flush'], bySystem[base]),
  };
}

async function main(): Promise<void> {
  const options = parseBenchArgs();
  if (options.only !== null) throw new BenchUsageError('--only: not supported by store-durability (it measures troupe only)');
  // Dynamic, as in runtime-throughput: a usage error never loads troupe's build.
  const { STORE_SYSTEMS, troupeOn, removeDataDirs } = await import('./lib/troupe-stores.js');
  const results = {} as Record<WorkflowName, WorkflowResult>;

  try {
    for (const workflow of WORKFLOW_NAMES) {
      const { stepsPerRun } = WORKFLOWS[workflow];
      const bySystem = {} as Record<SystemName, SystemResult>;
      for (const name of STORE_SYSTEMS) {
        log(`${NAME}: ${workflow} on ${name}: ${options.runs} runs at concurrency ${options.concurrency}…`);
        const system = troupeOn(name);
        const result = await measure(() => system.prepare(workflow), {
          runs: options.runs,
          concurrency: options.concurrency,
          stepsPerRun,
          rssIntervalMs: RSS_INTERVAL_MS,
        });
        bySystem[name] = result;
        log(
          `  ${result.runsPerSec} runs/s, ${result.stepsPerSec} steps/s, p50 ${result.latencyMs.p50} ms, ` +
            `p99 ${result.latencyMs.p99} ms, peak RSS ${result.peakRssMb} MB (+${result.rssDeltaMb})`,
        );
      }
      const flushVsMemory = ratio(bySystem['lmdb-flush'], bySystem['lmdb-memory']);
      results[workflow] = {
        stepsPerRun,
        ...bySystem,
        ratios: { vsLmdbMemory: ratiosTo(bySystem, 'lmdb-memory'), vsMemoryStore: ratiosTo(bySystem, 'memory-store') },
        goal: {
          flushVsMemory,
          flushVsMemoryStore: ratio(bySystem['lmdb-flush'], bySystem['memory-store']),
          target: GOAL_FLUSH_VS_MEMORY,
          met: flushVsMemory !== null && flushVsMemory >= GOAL_FLUSH_VS_MEMORY,
        },
      };
      log(`  goal (flush ≥ ${GOAL_FLUSH_VS_MEMORY} × lmdb-memory steps/s): ${flushVsMemory} → ${results[workflow].goal.met ? 'met' : 'not met'}`);
    }
  } finally {
    await removeDataDirs();
  }

  printResult({
    name: NAME,
    environment: getEnvironment(),
    parameters: {
      runs: options.runs,
      concurrency: options.concurrency,
      warmupRuns: warmupRunsFor(options.runs),
      tiny: options.tiny,
      systems: STORE_SYSTEMS,
      workflows: WORKFLOW_NAMES,
      dataDir: 'a fresh directory under os.tmpdir() per LMDB system and workflow, removed afterwards',
      goal: `lmdb-flush steps/s ≥ ${GOAL_FLUSH_VS_MEMORY} × lmdb-memory steps/s`,
      rssSampleIntervalMs: RSS_INTERVAL_MS,
    },
    results,
  });
}

runBenchmark(NAME, main);

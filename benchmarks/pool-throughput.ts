/**
 * pool-throughput: raw Piscina versus troupe worker agents on the same work, in one process run:
 * a no-op task (the pools' own per-task cost) and a 1 ms CPU task. For troupe, two paths:
 * `troupe-call` (an agent call through the router, mailbox and pool: what each step pays) and
 * `troupe-run` (a whole one-step workflow run: the call plus the run's actor, context log and
 * hashes per task) and `troupe-steps` (workflow steps: a map step over 500 items, each item a step
 * recorded in the log with its hash, run creation amortised). Goal from issue 4: troupe at least 80% of raw Piscina's tasks/s on the 1 ms task and
 * at least 50% on the no-op task. Prints one JSON document on stdout; progress goes to stderr.
 *
 *   npm run build && node --expose-gc --import tsx benchmarks/pool-throughput.ts [--runs N] [--concurrency N] [--tiny]
 */
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { Piscina } from 'piscina';
import { BenchUsageError, getEnvironment, log, parseBenchArgs, printResult, round, runBenchmark, runConcurrent, summarizeLatencies } from './lib/index.js';

const NAME = 'pool-throughput';
const TASKS = ['noop', 'cpu1ms'] as const;
type Task = (typeof TASKS)[number];
const GOALS: Record<Task, number> = { noop: 0.5, cpu1ms: 0.8 };
const MODULE = new URL('./lib/pool-tasks.ts', import.meta.url);
/** Interleaved rounds per path; the median round is reported. */
const ROUNDS = 3;
/** Items of the `many` workflow's map step (steps per run of the `steps` path). */
const MAP_ITEMS = 500;

interface PathResult {
  readonly tasksPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

async function measureOnce(total: number, concurrency: number, one: (i: number) => Promise<unknown>): Promise<PathResult> {
  (globalThis as { gc?: () => void }).gc?.();
  const { durationMs, latencies } = await runConcurrent(total, concurrency, one);
  const s = summarizeLatencies(latencies);
  return { tasksPerSec: round((total / durationMs) * 1000, 0), p50Ms: round(s.p50, 3), p99Ms: round(s.p99, 3) };
}

/**
 * Workflow steps: runs of a map over MAP_ITEMS items run one after another (each item a worker
 * step recorded in the run's log with its hash; `concurrency` in flight within the run). Rate in
 * steps/s; the latency columns are per run of MAP_ITEMS steps.
 */
async function measureSteps(runs: number, oneRun: () => Promise<unknown>): Promise<PathResult> {
  (globalThis as { gc?: () => void }).gc?.();
  const { durationMs, latencies } = await runConcurrent(runs, 1, oneRun);
  const s = summarizeLatencies(latencies);
  return { tasksPerSec: round(((runs * MAP_ITEMS) / durationMs) * 1000, 0), p50Ms: round(s.p50, 3), p99Ms: round(s.p99, 3) };
}

/** The round with the median throughput (this machine is shared: one round can be disturbed). */
function median(rounds: PathResult[]): PathResult {
  return [...rounds].sort((a, b) => a.tasksPerSec - b.tasksPerSec)[Math.floor(rounds.length / 2)]!;
}

async function main(): Promise<void> {
  const options = parseBenchArgs();
  if (options.only !== null) throw new BenchUsageError('--only: not supported by pool-throughput');
  const { createRuntime, defineAgent } = (await import(new URL('../dist/index.js', import.meta.url).href)) as typeof import('../src/index.js');
  const threads = Math.max(1, availableParallelism());
  const total = options.tiny ? 200 : options.runs;
  const concurrency = options.tiny ? 16 : Math.min(options.concurrency, 256);
  const results: Record<string, unknown> = {};

  const rounds = options.tiny ? 1 : ROUNDS;
  for (const task of TASKS) {
    log(`${NAME}: ${task}: ${rounds} interleaved rounds of ${total} tasks at concurrency ${concurrency} on ${threads} threads…`);
    const piscina = new Piscina({ filename: MODULE.href, execArgv: ['--import', 'tsx'], minThreads: threads, maxThreads: threads, idleTimeout: 60_000 });
    const pool = { minThreads: threads, maxThreads: threads, maxQueue: concurrency, idleTimeout: '60s' };
    const agent = defineAgent({ kind: 'worker', id: 'bench', module: MODULE, export: task, timeout: '30s', circuitBreaker: false, pool });
    const rt = await createRuntime({
      agents: [agent],
      workflows: [
        { name: 'one', steps: { s: { agent: 'bench' } } },
        // Many logged steps in one run: each item is a step with its own context entry and hash.
        { name: 'many', steps: { m: { map: { agent: 'bench', items: 'input.items', input: '{ "i": item }', concurrency } } } },
      ],
    });
    const items = Array.from({ length: MAP_ITEMS }, (_, k) => k);
    let n = 0;
    const paths: Record<'raw' | 'call' | 'run', (i: number) => Promise<unknown>> = {
      raw: (i) => piscina.run({ task, input: { i } }),
      call: async (i) => {
        const r = await rt.dispatcher.call({ agent: 'bench', input: { i }, runId: 'bench', stepId: 's', idempotencyKey: `k${n++}` });
        if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
      },
      run: async (i) => (await rt.start('one', { i })).result(),
    };
    const measured: Record<keyof typeof paths | 'steps', PathResult[]> = { raw: [], call: [], run: [], steps: [] };
    const mapRuns = Math.max(1, Math.round(total / MAP_ITEMS));
    // Warm-up: workers started, modules loaded, JIT warm.
    for (const one of Object.values(paths)) await runConcurrent(Math.min(total, 500), concurrency, one);
    for (let r = 0; r < rounds; r++) {
      for (const [name, one] of Object.entries(paths) as [keyof typeof paths, (i: number) => Promise<unknown>][]) measured[name].push(await measureOnce(total, concurrency, one));
      measured.steps.push(await measureSteps(mapRuns, () => rt.start('many', { items }).then((r) => r.result())));
    }
    await piscina.destroy();
    await rt.stop();
    const raw = median(measured.raw);
    const call = median(measured.call);
    const run = median(measured.run);
    const steps = median(measured.steps);

    const ratio = (x: PathResult): number => round(x.tasksPerSec / raw.tasksPerSec, 3);
    results[task] = {
      raw,
      troupeCall: call,
      troupeRun: run,
      troupeSteps: steps,
      ratio: { call: ratio(call), run: ratio(run), steps: ratio(steps) },
      goal: { target: GOALS[task], call: ratio(call) >= GOALS[task], run: ratio(run) >= GOALS[task], steps: ratio(steps) >= GOALS[task] },
    };
  }

  printResult({
    name: NAME,
    environment: getEnvironment(),
    parameters: { tasks: total, concurrency, threads, rounds: options.tiny ? 1 : ROUNDS, measuredAt: new Date(performance.timeOrigin).toISOString() },
    results,
  });
}

runBenchmark(NAME, main);

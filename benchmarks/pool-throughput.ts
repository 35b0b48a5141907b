/**
 * pool-throughput: raw Piscina versus troupe worker agents on the same work, in one process run:
 * a no-op task (the pools' own per-task cost) and a 1 ms CPU task. For troupe, two paths:
 * `troupe-call` (an agent call through the router, mailbox and pool: what each step pays) and
 * `troupe-run` (a whole one-step workflow run: the call plus the run's actor, context log and
 * hashes). Goal from issue 4: troupe at least 80% of raw Piscina's tasks/s on the 1 ms task and
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

interface PathResult {
  readonly tasksPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

async function measurePath(total: number, concurrency: number, one: (i: number) => Promise<unknown>): Promise<PathResult> {
  // Warm-up: workers started, modules loaded, JIT warm.
  await runConcurrent(Math.min(total, 500), concurrency, one);
  (globalThis as { gc?: () => void }).gc?.();
  const { durationMs, latencies } = await runConcurrent(total, concurrency, one);
  const s = summarizeLatencies(latencies);
  return { tasksPerSec: round((total / durationMs) * 1000, 0), p50Ms: round(s.p50, 3), p99Ms: round(s.p99, 3) };
}

async function main(): Promise<void> {
  const options = parseBenchArgs();
  if (options.only !== null) throw new BenchUsageError('--only: not supported by pool-throughput');
  const { createRuntime, defineAgent } = (await import(new URL('../dist/index.js', import.meta.url).href)) as typeof import('../src/index.js');
  const threads = Math.max(1, availableParallelism());
  const total = options.tiny ? 200 : options.runs;
  const concurrency = options.tiny ? 16 : Math.min(options.concurrency, 256);
  const results: Record<string, unknown> = {};

  for (const task of TASKS) {
    log(`${NAME}: ${task}: raw Piscina, ${total} tasks at concurrency ${concurrency} on ${threads} threads…`);
    const piscina = new Piscina({ filename: MODULE.href, execArgv: ['--import', 'tsx'], minThreads: threads, maxThreads: threads, idleTimeout: 60_000 });
    const raw = await measurePath(total, concurrency, (i) => piscina.run({ task, input: { i } }));
    await piscina.destroy();

    const pool = { minThreads: threads, maxThreads: threads, maxQueue: concurrency, idleTimeout: '60s' };
    const agent = defineAgent({ kind: 'worker', id: 'bench', module: MODULE, export: task, timeout: '30s', circuitBreaker: false, pool });
    const rt = await createRuntime({ agents: [agent], workflows: [{ name: 'one', steps: { s: { agent: 'bench' } } }] });
    log(`${NAME}: ${task}: troupe agent calls…`);
    let n = 0;
    const call = await measurePath(total, concurrency, async (i) => {
      const r = await rt.dispatcher.call({ agent: 'bench', input: { i }, runId: 'bench', stepId: 's', idempotencyKey: `k${n++}` });
      if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
    });
    log(`${NAME}: ${task}: troupe one-step runs…`);
    const run = await measurePath(total, concurrency, async (i) => (await rt.start('one', { i })).result());
    await rt.stop();

    const ratio = (x: PathResult): number => round(x.tasksPerSec / raw.tasksPerSec, 3);
    results[task] = {
      raw,
      troupeCall: call,
      troupeRun: run,
      ratio: { call: ratio(call), run: ratio(run) },
      goal: { target: GOALS[task], call: ratio(call) >= GOALS[task], run: ratio(run) >= GOALS[task] },
    };
  }

  printResult({
    name: NAME,
    environment: getEnvironment(),
    parameters: { tasks: total, concurrency, threads, measuredAt: new Date(performance.timeOrigin).toISOString() },
    results,
  });
}

runBenchmark(NAME, main);

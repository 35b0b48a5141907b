/**
 * step-cost: where a run's CPU goes. Sequential workflows of 1, 3 and 6 steps and the fan-out-4
 * workflow, inline no-op agents, the MemoryStore, 1,000 runs in flight (a closed loop), in
 * interleaved rounds of one process; per workflow the median process CPU time per run (all
 * threads: GC helpers count) and runs/s. A least-squares line through the sequential ones splits
 * it into a fixed cost per run (create the run and its actor, the genesis hash, finish, the
 * store's record) and a cost per step (dispatch, the agent call, the log entry and its hash, the
 * next transition). The per-step path is the product: compare these before and after a change.
 * Prints one JSON document on stdout; progress goes to stderr.
 *
 *   npm run build && node --expose-gc --import tsx benchmarks/step-cost.ts [--runs N] [--concurrency N] [--tiny]
 *
 * `--runs N`: measured runs per workflow and round (default 10000, 200 with `--tiny`).
 */
import type { WorkflowDefinition } from '../src/index.js';
import { BenchUsageError, collectGarbage, getEnvironment, log, medianOf, parseBenchArgs, printResult, round, runBenchmark, runConcurrent } from './lib/index.js';
import { DEFINITIONS } from './lib/troupe.js';

// The built package, as users run it (see lib/troupe.ts).
const { createRuntime, defineAgent } = (await import(new URL('../dist/index.js', import.meta.url).href)) as typeof import('../src/index.js');

const NAME = 'step-cost';
const ROUNDS = 3;

function sequential(steps: number): WorkflowDefinition {
  const ids = Array.from({ length: steps }, (_, i) => `s${i + 1}`);
  return { name: `sequential-${steps}`, steps: Object.fromEntries(ids.map((id, i) => [id, i + 1 < steps ? { agent: 'noop', next: ids[i + 1]! } : { agent: 'noop' }])) };
}

const SEQUENTIAL = [1, 3, 6] as const;
const WORKFLOWS: readonly { readonly definition: WorkflowDefinition; readonly steps: number; readonly sequential: boolean }[] = [
  ...SEQUENTIAL.map((n) => ({ definition: sequential(n), steps: n, sequential: true })),
  { definition: DEFINITIONS['fanout-4'], steps: 6, sequential: false },
];

interface Sample {
  readonly cpuUsPerRun: number;
  readonly runsPerSec: number;
}

/** Least squares y = a + b x. */
function fit(points: readonly (readonly [number, number])[]): { fixed: number; perStep: number } {
  const n = points.length;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const b = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0) / points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  return { fixed: my - b * mx, perStep: b };
}

async function main(): Promise<void> {
  const options = parseBenchArgs();
  if (options.only !== null) throw new BenchUsageError('--only: step-cost measures troupe alone');
  const noop = defineAgent({ id: 'noop', execute: () => ({ ok: true }) });
  const samples = new Map<string, Sample[]>(WORKFLOWS.map((w) => [w.definition.name, []]));
  const warmup = Math.max(50, Math.round(options.runs / 5));
  for (let r = 0; r < ROUNDS; r++) {
    // Interleaved, in a different order each round, so drift on a shared machine spreads evenly.
    const order = r % 2 === 0 ? WORKFLOWS : [...WORKFLOWS].reverse();
    for (const w of order) {
      const name = w.definition.name;
      log(`${NAME}: round ${r + 1}/${ROUNDS}: ${name}, ${options.runs} runs at concurrency ${options.concurrency}…`);
      // A fresh runtime (and MemoryStore) per measurement: a store grown by earlier ones would tax later ones.
      await collectGarbage();
      const rt = await createRuntime({ agents: [noop], workflows: [w.definition] });
      try {
        const once = async (): Promise<unknown> => (await rt.start(name, {})).result();
        await runConcurrent(warmup, Math.min(options.concurrency, warmup), once);
        await collectGarbage();
        const cpu0 = process.cpuUsage();
        const { durationMs } = await runConcurrent(options.runs, options.concurrency, once);
        const cpu = process.cpuUsage(cpu0);
        samples.get(name)!.push({ cpuUsPerRun: (cpu.user + cpu.system) / options.runs, runsPerSec: (options.runs / durationMs) * 1000 });
      } finally {
        await rt.stop();
      }
    }
  }
  const byWorkflow = Object.fromEntries(
    WORKFLOWS.map((w) => {
      const s = samples.get(w.definition.name)!;
      return [w.definition.name, { steps: w.steps, cpuUsPerRun: round(medianOf(s.map((x) => x.cpuUsPerRun)), 1), runsPerSec: round(medianOf(s.map((x) => x.runsPerSec)), 0), rounds: s.map((x) => round(x.cpuUsPerRun, 1)) }];
    }),
  );
  const line = fit(WORKFLOWS.filter((w) => w.sequential).map((w) => [w.steps, byWorkflow[w.definition.name]!.cpuUsPerRun] as const));
  const seq6 = byWorkflow['sequential-6']!.cpuUsPerRun;
  printResult({
    name: NAME,
    environment: getEnvironment(),
    parameters: { runs: options.runs, concurrency: options.concurrency, rounds: ROUNDS, agent: 'inline noop', store: 'MemoryStore' },
    results: {
      byWorkflow,
      /** CPU µs per run = fixed + perStep × steps, fitted on the sequential workflows. */
      fit: { fixedUsPerRun: round(line.fixed, 1), usPerStep: round(line.perStep, 1) },
      /** What a parallel step costs over the same number of sequential steps (fanout-4 has 6 steps). */
      fanout4OverSequential6: round(byWorkflow['fanout-4']!.cpuUsPerRun / seq6, 3),
    },
  });
}

runBenchmark(NAME, main);

/**
 * inspector-load: what streaming to inspector clients costs the runtime. The runtime-throughput
 * workflows (1,000 runs in flight; agents that return at once, and agents that let the event loop
 * turn, see AGENTS) run with no client attached and with 10 WebSocket clients subscribed to every
 * run (one also to the actor tree, as the page does: without the runs' actors), in interleaved rounds
 * (without, with, without, with, …) of one process run, each round on a fresh runtime; the median
 * round of each is reported, and every round. Goal from issue 5: with clients, at least 90% of the
 * steps/s without. The clients are real `ws` sockets over 127.0.0.1 to an `InspectorSockets` on a
 * `node:http` server in this process; they live in a child process (benchmarks/lib/
 * inspector-client-process.ts), parse every frame, count the events and check that each measured
 * run reached them. They take the all-runs feed as the inspector page does, as a digest every
 * 250 ms (`--format events`: every event, every 50 ms, as `troupe inspect` takes it). Prints one JSON document on
 * stdout; progress goes to stderr.
 *
 *   npm run build && node --expose-gc --import tsx benchmarks/inspector-load.ts [--runs N] [--concurrency N] [--tiny] [--format digest|events]
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import {
  BenchUsageError,
  collectGarbage,
  getEnvironment,
  log,
  medianOf,
  parseBenchArgs,
  printResult,
  round,
  runBenchmark,
  runConcurrent,
  summarizeLatencies,
  warmupRunsFor,
  WORKFLOW_NAMES,
  WORKFLOWS,
  type WorkflowName,
} from './lib/index.js';
import { ClientProcess, type ClientCounts, type FeedFormat } from './lib/inspector-clients.js';

const NAME = 'inspector-load';
/** Clients attached in the `with` rounds; the first `TREE_CLIENTS` also follow the actor tree. */
const CLIENTS = 10;
const TREE_CLIENTS = 1;
/**
 * Interleaved rounds per mode; the median round is reported (this machine is shared: one pair of
 * rounds ranges 0.75-1.13 on a busy night, and the median of 5 moved by ±0.05 between runs).
 */
const ROUNDS = 9;
/** With clients, at least this share of the steps/s without. */
const GOAL = 0.9;
/** The sockets' batching interval for events, and for the all-runs digest (their defaults, stated so the document says them). */
const FLUSH_MS = 50;
const DIGEST_FLUSH_MS = 250;
/** How long the clients may take to receive every run after the runtime finished them. */
const DRAIN_TIMEOUT_MS = 60_000;

type Mode = 'without' | 'with';

/** `--format digest|events` (this benchmark's own flag), and the shared flags that remain. */
function parseFormat(argv: readonly string[]): { format: FeedFormat; rest: string[] } {
  const rest = [...argv];
  const at = rest.findIndex((a) => a === '--format' || a.startsWith('--format='));
  if (at === -1) return { format: 'digest', rest };
  const value = rest[at]!.includes('=') ? rest[at]!.slice('--format='.length) : rest[at + 1];
  rest.splice(at, rest[at]!.includes('=') ? 1 : 2);
  if (value !== 'digest' && value !== 'events') throw new BenchUsageError(`--format: expected digest or events, got ${JSON.stringify(value ?? '')}`);
  return { format: value, rest };
}

/**
 * The agents every step calls. `noop` returns at once, as in runtime-throughput: a whole round then
 * runs in microtasks, the event loop never turns, and the sockets' flush timer fires only after
 * the round (events are buffered meanwhile), so the round pays for producing the events alone.
 * `yielding` lets the event loop turn before it returns, as an I/O-bound agent (an LLM call) does:
 * batches are framed, sent and read during the round.
 */
const AGENTS = {
  noop: () => ({ ok: true }),
  yielding: async () => {
    await yieldToLoop();
    return { ok: true };
  },
} as const;
type AgentName = keyof typeof AGENTS;
const AGENT_NAMES = Object.keys(AGENTS) as AgentName[];

interface Round {
  readonly mode: Mode;
  readonly runs: number;
  readonly durationMs: number;
  readonly runsPerSec: number;
  readonly stepsPerSec: number;
  readonly latencyMs: { readonly p50: number; readonly p99: number };
  /** This process's CPU (user + system) per 1,000 steps during the measured runs. */
  readonly cpuMsPer1kSteps: number;
  readonly loadAverage1m: number;
  /** `with` rounds: what the clients received for the measured runs. */
  readonly clients?: ClientsSummary;
}

interface ClientsSummary {
  readonly runsExpected: number;
  /** Every client received the end of every measured run (and no `error`, no disconnect). */
  readonly allCovered: boolean;
  /** After the runtime finished the last run, until the last client had it. */
  readonly drainMs: number;
  /** The client process's CPU from the warm-up's end to the drain's end. */
  readonly clientProcessCpuMs: number;
  readonly perClient: readonly ClientCounts[];
}

type Dist = typeof import('../src/index.js');
type SocketsModule = typeof import('../src/inspector/sockets.js');
type InspectorSockets = InstanceType<SocketsModule['InspectorSockets']>;

interface Bench {
  readonly troupe: Dist;
  readonly InspectorSockets: SocketsModule['InspectorSockets'];
  readonly definitions: (typeof import('./lib/troupe.js'))['DEFINITIONS'];
  readonly clients: ClientProcess;
  readonly server: Server;
  readonly url: string;
  /** Where the server sends upgrades: the `with` round's sockets, or nobody. */
  current: InspectorSockets | null;
}

async function setUp(): Promise<Bench> {
  // The built package, as users run it (see benchmarks/lib/troupe.ts). InspectorSockets is not
  // part of the public exports (`troupe serve` wires it); a benchmark may reach into dist/.
  const troupe = (await import(new URL('../dist/index.js', import.meta.url).href)) as Dist;
  const { InspectorSockets } = (await import(new URL('../dist/inspector/sockets.js', import.meta.url).href)) as SocketsModule;
  const { DEFINITIONS } = await import('./lib/troupe.js');
  const server = createServer((_req, res) => res.writeHead(404).end());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/inspect`;
  const bench: Bench = { troupe, InspectorSockets, definitions: DEFINITIONS, clients: new ClientProcess(), server, url, current: null };
  let n = 0;
  server.on('upgrade', (req, socket, head) => {
    if (bench.current) bench.current.handleUpgrade(req, socket, head, { scope: 'read', label: `bench-client-${n++}` });
    else socket.destroy();
  });
  return bench;
}

async function tearDown(bench: Bench): Promise<void> {
  bench.clients.close();
  await new Promise((resolve) => bench.server.close(resolve));
}

function summarizeClients(report: { runsExpected: number; allCovered: boolean; drainMs: number; clients: readonly ClientCounts[] }, cpuMs: number): ClientsSummary {
  return {
    runsExpected: report.runsExpected,
    allCovered: report.allCovered,
    drainMs: round(report.drainMs, 0),
    clientProcessCpuMs: round(cpuMs, 0),
    perClient: report.clients,
  };
}

/** One round on a fresh runtime: warm-up, then `runs` measured runs at `concurrency`. */
async function measureRound(bench: Bench, mode: Mode, agent: AgentName, workflow: WorkflowName, runs: number, concurrency: number, format: FeedFormat): Promise<Round> {
  const { createRuntime, defineAgent } = bench.troupe;
  await collectGarbage();
  // The workflows name their agent `noop`; here it is whichever agent the case calls.
  const noop = defineAgent({ id: 'noop', execute: AGENTS[agent] });
  const rt = await createRuntime({ agents: [noop], workflows: [bench.definitions[workflow]] });
  let sockets: InspectorSockets | null = null;
  try {
    if (mode === 'with') {
      sockets = bench.current = new bench.InspectorSockets({ runtime: rt, version: 'bench', flushMs: FLUSH_MS, digestFlushMs: DIGEST_FLUSH_MS });
      await bench.clients.request({ type: 'connect', url: bench.url, count: CLIENTS, treeClients: TREE_CLIENTS, format }, 'connected');
    }
    const warmupRuns = warmupRunsFor(runs);
    const ids: string[] = new Array<string>(warmupRuns + runs);
    const one = async (i: number): Promise<void> => {
      const run = await rt.start(workflow, { n: i });
      ids[i] = run.id;
      await run.result();
    };
    await runConcurrent(warmupRuns, Math.min(concurrency, warmupRuns), one);
    // The warm-up's events drained, so that the counts below are the measured runs' alone.
    if (mode === 'with') await bench.clients.request({ type: 'expect', runIds: ids.slice(0, warmupRuns), timeoutMs: DRAIN_TIMEOUT_MS }, 'report');
    await collectGarbage();

    const cpu0 = process.cpuUsage();
    const measured = await runConcurrent(runs, concurrency, (i) => one(warmupRuns + i));
    const cpu = process.cpuUsage(cpu0);
    const loadAverage1m = round(os.loadavg()[0]!, 2);
    const clients =
      mode === 'with'
        ? await bench.clients.request({ type: 'expect', runIds: ids.slice(warmupRuns), timeoutMs: DRAIN_TIMEOUT_MS }, 'report')
        : null;

    const latency = summarizeLatencies(measured.latencies);
    const runsPerSec = (runs / measured.durationMs) * 1000;
    const steps = runs * WORKFLOWS[workflow].stepsPerRun;
    return {
      mode,
      runs,
      durationMs: round(measured.durationMs, 1),
      runsPerSec: round(runsPerSec, 1),
      stepsPerSec: round(runsPerSec * WORKFLOWS[workflow].stepsPerRun, 1),
      latencyMs: { p50: round(latency.p50, 3), p99: round(latency.p99, 3) },
      cpuMsPer1kSteps: round(((cpu.user + cpu.system) / 1000 / steps) * 1000, 2),
      loadAverage1m,
      ...(clients ? { clients: summarizeClients(clients.report, clients.cpuMs) } : {}),
    };
  } finally {
    if (sockets) {
      await bench.clients.request({ type: 'disconnect' }, 'disconnected');
      bench.current = null;
      await sockets.close();
    }
    await rt.stop();
  }
}

/**
 * CPU per 1,000 steps, median of each mode's rounds: steadier than steps/s on a shared machine (a
 * neighbour's load slows a round but hardly changes the CPU it takes). `ratio` is this process's
 * CPU without clients over with them: the throughput ratio if the runtime had its cores to itself
 * and the clients ran elsewhere.
 */
function cpuPerStep(rounds: readonly Round[], steps: number): { without: number; with: number; clientProcess: number; ratio: number } {
  const own = (mode: Mode): number => medianOf(rounds.filter((r) => r.mode === mode).map((r) => r.cpuMsPer1kSteps));
  const client = medianOf(rounds.flatMap((r) => (r.clients ? [r.clients.clientProcessCpuMs] : [])));
  return { without: own('without'), with: own('with'), clientProcess: round((client / steps) * 1000, 2), ratio: round(own('without') / own('with'), 3) };
}

/** The round with the median steps/s. */
function median(rounds: readonly Round[]): Round {
  return [...rounds].sort((a, b) => a.stepsPerSec - b.stepsPerSec)[Math.floor(rounds.length / 2)]!;
}

function describeRound(r: Round): string {
  const c = r.clients;
  const sanity = c ? `; clients: ${c.perClient[0]!.events} events each (client 0), ${c.perClient.filter((p) => p.runsCovered === c.runsExpected).length}/${c.perClient.length} saw every run, drained in ${c.drainMs} ms` : '';
  return `  ${r.mode} clients: ${r.stepsPerSec} steps/s, p50 ${r.latencyMs.p50} ms, p99 ${r.latencyMs.p99} ms, ${r.cpuMsPer1kSteps} CPU ms/1k steps, load ${r.loadAverage1m}${sanity}`;
}

async function main(): Promise<void> {
  const { format, rest } = parseFormat(process.argv.slice(2));
  const options = parseBenchArgs(rest);
  if (options.only !== null) throw new BenchUsageError('--only: not supported by inspector-load (it measures troupe only)');
  const rounds = options.tiny ? 1 : ROUNDS;
  // A smoke run (--tiny) checks every agent on one workflow, in a few seconds.
  const workflows: readonly WorkflowName[] = options.tiny ? ['sequential-3'] : WORKFLOW_NAMES;
  const loadBefore = os.loadavg().map((l) => round(l, 2));
  const bench = await setUp();
  const results: Record<string, unknown> = {};
  try {
    // Warm the process (JIT for the runtime, the sockets and the clients) before anything counts;
    // a smoke run (--tiny) only checks that everything works.
    const warm = Math.min(options.runs, 2_000);
    if (!options.tiny) log(`${NAME}: warm-up: ${warm} runs of each case without and with clients…`);
    for (const agent of options.tiny ? [] : AGENT_NAMES) for (const mode of ['without', 'with'] as const) await measureRound(bench, mode, agent, 'sequential-3', warm, options.concurrency, format);

    for (const agent of AGENT_NAMES) for (const workflow of workflows) {
      const name = `${workflow}/${agent}`;
      log(`${NAME}: ${name}: ${rounds} interleaved rounds of ${options.runs} runs at concurrency ${options.concurrency}, without and with ${CLIENTS} clients…`);
      const all: Round[] = [];
      for (let r = 0; r < rounds; r++) {
        for (const mode of ['without', 'with'] as const) {
          const result = await measureRound(bench, mode, agent, workflow, options.runs, options.concurrency, format);
          log(describeRound(result));
          all.push(result);
        }
      }
      const without = median(all.filter((r) => r.mode === 'without'));
      const withClients = median(all.filter((r) => r.mode === 'with'));
      const ratio = round(withClients.stepsPerSec / without.stepsPerSec, 3);
      // Each `with` round over the `without` round just before it: less exposed to drift.
      const pairRatios = all.filter((r) => r.mode === 'with').map((w, i) => round(w.stepsPerSec / all[2 * i]!.stepsPerSec, 3));
      const allCovered = all.every((r) => r.clients === undefined || r.clients.allCovered);
      const cpu = cpuPerStep(all, options.runs * WORKFLOWS[workflow].stepsPerRun);
      log(`  ${name}: with / without = ${ratio} (pairs: ${pairRatios.join(', ')}; by CPU per step ${cpu.ratio}); every client saw every run: ${allCovered}`);
      results[name] = {
        workflow,
        agent,
        stepsPerRun: WORKFLOWS[workflow].stepsPerRun,
        without,
        with: withClients,
        ratio,
        pairRatios,
        cpuPerStep: cpu,
        goal: { target: GOAL, met: ratio >= GOAL && allCovered },
        rounds: all,
      };
    }
  } finally {
    await tearDown(bench);
  }

  printResult({
    name: NAME,
    environment: getEnvironment(),
    parameters: {
      runs: options.runs,
      concurrency: options.concurrency,
      warmupRuns: warmupRunsFor(options.runs),
      tiny: options.tiny,
      rounds,
      order: 'interleaved: without, with, without, with, …; a fresh runtime per round; the median round of each mode is reported',
      clients: CLIENTS,
      treeClients: TREE_CLIENTS,
      subscriptions: `every client: {"kind":"runs"}${format === 'digest' ? ' as a digest' : ''}; the first ${TREE_CLIENTS} also ${format === 'digest' ? '{"kind":"tree","runs":false} (as the page: the runs\' actors drawn from the runs feed)' : '{"kind":"tree"}'}`,
      format,
      flushMs: FLUSH_MS,
      digestFlushMs: DIGEST_FLUSH_MS,
      clientPlacement:
        'child process (benchmarks/lib/inspector-client-process.ts): real ws sockets over 127.0.0.1, on their own event loop, ' +
        `but on the same ${os.cpus().length} cores as the runtime, so their JSON parsing competes for CPU`,
      workflows,
      agents: {
        noop: 'returns at once: the event loop never turns during a round, so events are buffered and sent after it (the cost measured is producing them)',
        yielding: 'awaits setImmediate first, as an I/O-bound agent: batches and digests are sent and read during the round (the whole cost)',
      },
      loadAverage: { before: loadBefore, after: os.loadavg().map((l) => round(l, 2)) },
    },
    results,
  });
}

runBenchmark(NAME, main);

// Crash soak: a child process (fixtures/soak-worker.ts) runs TROUPE_SOAK_RUNS runs of a workflow
// with fan-out (a parallel step and a map), an approval gate and slow agents, on an LMDB data
// directory in flush mode; the test SIGKILLs it TROUPE_SOAK_KILLS times at seeded random moments
// (between "some runs done" and "all done"), restarts it each time (it recovers, starts the runs
// the store does not hold yet and approves what waits), then lets a last worker finish and exit.
// Then every run must be completed with the log of an uninterrupted run, each step recorded once,
// and every chain must verify.
//
// Defaults: the issue's 200 runs, with few kills to keep CI short. A longer soak:
//   TROUPE_SOAK_RUNS=200 TROUPE_SOAK_KILLS=10 TROUPE_SOAK_SEED=42 npx vitest run test/runtime/crash-soak.test.ts
// (TROUPE_SOAK_CONCURRENCY: runs in flight per worker, default 8. The seed is printed on failure.)
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { createRuntime, MemoryStore, type ContextEntry, type TroupeRuntime } from '../../src/index.js';
import { attachApprover, soakAgents, soakInput, soakRunId, soakWorkflow } from './fixtures/soak-worker.js';
import { seeded } from '../workflow/run-helpers.js';

const RUNS = Number(process.env.TROUPE_SOAK_RUNS ?? 200);
const KILLS = Number(process.env.TROUPE_SOAK_KILLS ?? 5);
const SEED = Number(process.env.TROUPE_SOAK_SEED ?? 20_240_601);
const CWD = join(import.meta.dirname, '..', '..');
const WORKER = 'test/runtime/fixtures/soak-worker.ts';


const children = new Set<ChildProcess>();
const dirs: string[] = [];
const runtimes: TroupeRuntime[] = [];
afterEach(async () => {
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null) {
      const gone = new Promise((r) => c.once('exit', r));
      c.kill('SIGKILL');
      await gone;
    }
  }
  children.clear();
  for (const rt of runtimes.splice(0)) await rt.stop({ timeoutMs: 10 });
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** One worker process; `lines` sees every stdout line, `exited` resolves with its exit. */
function startWorker(dir: string, onLine: (line: string) => void): { child: ChildProcess; exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>; stderr: () => string } {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER, dir], {
    cwd: CWD,
    env: { ...process.env, TROUPE_SOAK_RUNS: String(RUNS) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let err = '';
  child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  createInterface({ input: child.stdout! }).on('line', onLine);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.once('exit', (code, signal) => r({ code, signal })));
  return { child, exited, stderr: () => err };
}

type Essence = { seq: number; kind: string; step: string; agent: string | undefined; inputHash: string | undefined; output: unknown };

/**
 * What must equal an uninterrupted run's log. The branches of `fan` and the items of `each` are
 * recorded in completion order, which is legitimately timing-dependent: within each contiguous
 * block of one fan-out step's entries, entries are sorted by step key (seqs stay positional).
 */
function essence(entries: readonly ContextEntry[]): Essence[] {
  const out: Essence[] = entries.map((e) => ({ seq: e.seq, kind: e.kind, step: e.step, agent: e.agent, inputHash: e.inputHash, output: e.output }));
  const group = (e: Essence): string | null => (e.kind === 'step' ? (/^(fan)\.|^(each)\[/.exec(e.step)?.slice(1).find(Boolean) ?? null) : null);
  for (let i = 0; i < out.length; ) {
    const g = group(out[i]!);
    let j = i + 1;
    if (g !== null) while (j < out.length && group(out[j]!) === g) j++;
    if (j - i > 1) {
      const seqs = out.slice(i, j).map((e) => e.seq);
      const sorted = out.slice(i, j).sort((a, b) => (a.step < b.step ? -1 : a.step > b.step ? 1 : 0));
      sorted.forEach((e, k) => out.splice(i + k, 1, { ...e, seq: seqs[k]! }));
    }
    i = j;
  }
  return out;
}

/** The logs of uninterrupted runs of the same inputs, in process, on a MemoryStore. */
async function expectedLogs(): Promise<Map<string, Essence[]>> {
  const rt = await createRuntime({ store: new MemoryStore(), agents: soakAgents(), workflows: [soakWorkflow] });
  runtimes.push(rt);
  attachApprover(rt);
  const handles = await Promise.all(Array.from({ length: RUNS }, (_, i) => rt.start('soak', soakInput(i), { runId: soakRunId(i) })));
  await Promise.all(handles.map((h) => h.result()));
  const logs = new Map<string, Essence[]>();
  for (const h of handles) logs.set(h.id, essence(await h.context()));
  return logs;
}

describe(`crash soak (seed ${SEED}, ${RUNS} runs, ${KILLS} kills)`, () => {
  it(
    'every run killed at random points completes with the log of an uninterrupted run, each step once, every chain verifying',
    async () => {
      const t0 = Date.now();
      const random = seeded(SEED);
      const dir = mkdtempSync(join(tmpdir(), 'troupe-soak-')); // no '.' in the name: lmdb-js takes a path with an extension for a file
      dirs.push(dir);
      const expected = await expectedLogs();

      // Kill moments: a number of completed runs in [1, RUNS - 1] (sorted; equal ones kill right
      // after recovery), plus a few ms of jitter so a kill lands mid-step, mid-append or mid-recovery.
      const thresholds = Array.from({ length: KILLS }, () => 1 + Math.floor(random() * Math.max(1, RUNS - 1))).sort((a, b) => a - b);
      const done = new Set<string>();
      const failures: string[] = [];
      const recovered: number[] = []; // runs each restart found interrupted and resumed
      const onLine = (line: string): void => {
        const [what, id, code] = line.split(' ');
        if (what === 'recovered') recovered.push(Number(id));
        if (what === 'done') done.add(id!);
        if (what === 'failed') failures.push(`${id} ${code}`);
      };
      const log: string[] = [];
      let kills = 0;
      for (const threshold of thresholds) {
        let up = false;
        let reached: (() => void) | null = null;
        const w = startWorker(dir, (line) => {
          onLine(line);
          if (line.startsWith('recovered ')) up = true;
          if (up && done.size >= threshold) reached?.();
        });
        const hit = new Promise<void>((r) => (reached = r));
        const outcome = await Promise.race([hit.then(() => 'hit' as const), w.exited.then(() => 'exited' as const)]);
        if (outcome === 'exited') {
          const { code, signal } = await w.exited;
          log.push(`worker exited by itself before kill at ${threshold} (code ${code}, signal ${signal}, done ${done.size})`);
          expect(code, w.stderr()).toBe(0);
          break;
        }
        await new Promise((r) => setTimeout(r, Math.floor(random() * 25)));
        w.child.kill('SIGKILL');
        const { signal } = await w.exited;
        kills++;
        log.push(`killed at ${done.size} done (threshold ${threshold}, ${signal})`);
      }

      // The last worker finishes everything and exits by itself.
      const last = startWorker(dir, onLine);
      const finished = await last.exited;
      expect(finished, last.stderr()).toEqual({ code: 0, signal: null });
      expect(failures, `seed ${SEED}`).toEqual([]);
      expect(done.size).toBe(RUNS);

      const rt = await createRuntime({ dataDir: dir, agents: soakAgents(), workflows: [soakWorkflow] });
      runtimes.push(rt);
      const records = await rt.store.listRuns();
      expect(records.map((r) => r.id).sort()).toEqual([...expected.keys()].sort());
      const problems: string[] = [];
      for (const [id, want] of expected) {
        const record = (await rt.store.getRun(id))!;
        if (record.status !== 'completed') problems.push(`${id}: status ${record.status}`);
        const entries = await rt.store.read(id);
        const keys = entries.map((e) => `${e.kind}:${e.step}`);
        const dupes = keys.filter((k, i) => keys.indexOf(k) !== i);
        if (dupes.length > 0) problems.push(`${id}: recorded more than once: ${dupes.join(', ')}`);
        const got = essence(entries);
        if (JSON.stringify(got) !== JSON.stringify(want)) problems.push(`${id}: log differs from an uninterrupted run: got ${JSON.stringify(got.map((e) => `${e.seq}:${e.kind}:${e.step}`))}, want ${JSON.stringify(want.map((e) => `${e.seq}:${e.kind}:${e.step}`))}`);
        const check = await rt.verify(id);
        if (!check.ok) problems.push(`${id}: chain does not verify: ${JSON.stringify(check)}`);
      }
      expect(problems, `seed ${SEED}; ${log.join('; ')}`).toEqual([]);
      expect(kills).toBeGreaterThan(0);
      expect(recovered.slice(1).some((n) => n > 0), 'no kill interrupted a run in progress').toBe(true);
      console.log(`crash soak: seed ${SEED}, ${RUNS} runs, ${kills} kills (${log.join('; ')}), runs resumed per restart ${recovered.slice(1).join(', ')}, ${Date.now() - t0} ms`);
    },
    60_000 + RUNS * 300 + KILLS * 5_000,
  );
});

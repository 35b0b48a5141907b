import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/** A fresh directory under the OS temp dir, and its removal. */
export function tempDir(prefix = 'troupe-store-'): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A child process running a fixture script under tsx, with its stdout as lines. */
export interface Child {
  readonly proc: ChildProcess;
  /** Resolves with the next stdout line for which `match` holds. */
  line(match: (line: string) => boolean): Promise<string>;
  /** Resolves when the child has exited, with its exit code and signal. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Spawn `node --import tsx test/store/fixtures/<script>` with `args`. */
export function spawnFixture(script: string, args: string[]): Child {
  const proc = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'fixtures', script), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const waiters: { match: (l: string) => boolean; resolve: (l: string) => void }[] = [];
  createInterface({ input: proc.stdout! }).on('line', (l) => {
    const i = waiters.findIndex((w) => w.match(l));
    if (i >= 0) waiters.splice(i, 1)[0]!.resolve(l);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    proc,
    exited,
    line: (match) =>
      new Promise((resolve, reject) => {
        waiters.push({ match, resolve });
        void exited.then(({ code, signal }) => reject(new Error(`fixture ${script} exited (${code ?? signal}) before the line came: ${stderr}`)));
      }),
  };
}

import { execFileSync } from 'node:child_process';
import os from 'node:os';

/** Where a benchmark ran: enough to tell two result documents apart. */
export interface Environment {
  readonly node: string;
  readonly v8: string;
  readonly os: string;
  readonly arch: string;
  readonly cpus: { readonly model: string; readonly count: number };
  readonly totalMemoryMb: number;
  /** `git rev-parse HEAD`, or null outside a git checkout. */
  readonly commit: string | null;
  /** Whether `--expose-gc` was given (GC between systems makes RSS figures comparable). */
  readonly gcExposed: boolean;
}

/** The commit of the working tree, or null when git or the repository is unavailable. */
export function gitCommit(cwd: string = process.cwd()): string | null {
  try {
    const out = execFileSync('git', ['rev-parse', 'HEAD'], {
      cwd,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 5_000,
    }).trim();
    return /^[0-9a-f]{40}$/.test(out) ? out : null;
  } catch {
    return null;
  }
}

/** Describes the machine and runtime this process runs on. */
export function getEnvironment(): Environment {
  const cpus = os.cpus();
  return {
    node: process.version,
    v8: process.versions.v8,
    os: `${os.type()} ${os.release()}`,
    arch: process.arch,
    cpus: { model: cpus[0]?.model.trim() ?? 'unknown', count: cpus.length },
    totalMemoryMb: Math.round(os.totalmem() / 2 ** 20),
    commit: gitCommit(),
    gcExposed: typeof (globalThis as { gc?: unknown }).gc === 'function',
  };
}

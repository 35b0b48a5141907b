import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';
import type { CliIO } from '../../src/cli/main.js';

/** The repository root (the CLI's working directory in these tests). */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Path of a fixture, relative to `ROOT`. */
export const fixture = (name: string): string => `test/cli/fixtures/${name}`;

/** A `CliIO` with captured output and scripted stdin. */
export interface TestIO extends CliIO {
  out(): string;
  err(): string;
}

/**
 * Build a test `CliIO`.
 *
 * @param stdin - chunks fed to stdin, then EOF.
 * @param onStdout - sees each chunk written to stdout (e.g. to interrupt once the run started).
 */
export function testIO(options: { stdin?: readonly string[]; onStdout?: (chunk: string) => void; onInterrupt?: CliIO['onInterrupt']; env?: Record<string, string>; isTTY?: boolean } = {}): TestIO {
  let out = '';
  let err = '';
  async function* stdin(): AsyncGenerator<string> {
    for (const chunk of options.stdin ?? []) yield chunk;
  }
  return {
    stdout: {
      write(s: string) {
        out += s;
        options.onStdout?.(s);
        return true;
      },
    },
    stderr: {
      write(s: string) {
        err += s;
        return true;
      },
    },
    stdin: stdin(),
    isTTY: options.isTTY ?? false,
    env: options.env ?? {},
    cwd: ROOT,
    onInterrupt: options.onInterrupt ?? (() => () => undefined),
    out: () => out,
    err: () => err,
  };
}

/**
 * Temporary data directories for `--data`, each a fresh directory under `os.tmpdir()` (never the
 * repository's `./.troupe`: in-process tests run concurrently with other files, and only one
 * process at a time may open a directory). Call at the top of a test file; every directory made
 * is removed after each test.
 *
 * @returns a function making a new directory path (the directory itself exists; the store inside does not yet).
 */
export function useDataDirs(): () => string {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  return () => {
    const d = mkdtempSync(join(tmpdir(), 'troupe-cli-'));
    dirs.push(d);
    return join(d, 'data');
  };
}

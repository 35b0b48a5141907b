import { fileURLToPath } from 'node:url';
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

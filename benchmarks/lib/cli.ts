import { parseArgs } from 'node:util';
import { log } from './print-result.js';

/** The systems `--only` can select. */
export const SYSTEMS = ['troupe', 'langgraph'] as const;
export type SystemSelector = (typeof SYSTEMS)[number];

/** Parsed benchmark flags. */
export interface BenchOptions {
  /** Measured runs per system and workflow. @defaultValue 10000 (200 with `--tiny`) */
  readonly runs: number;
  /** Runs in flight. @defaultValue 1000 (50 with `--tiny`) */
  readonly concurrency: number;
  readonly tiny: boolean;
  /** Restrict to one system; the plain-async ceiling always runs. @defaultValue both */
  readonly only: SystemSelector | null;
}

/** Thrown for a bad flag; the message names the flag and what was expected. */
export class BenchUsageError extends Error {
  override readonly name = 'BenchUsageError';
}

export const USAGE =
  'usage: [--runs N] [--concurrency N] [--tiny] [--only troupe|langgraph]\n' +
  '  --runs N         measured runs per system and workflow (default 10000)\n' +
  '  --concurrency N  runs in flight (default 1000)\n' +
  '  --tiny           runs 200, concurrency 50 (CI smoke run); explicit flags still win\n' +
  '  --only SYSTEM    measure only troupe or only langgraph (plain-async always runs)';

function positiveInt(flag: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < 1) {
    throw new BenchUsageError(`--${flag}: expected a positive integer, got "${raw}"`);
  }
  return Number(raw);
}

/**
 * Parses benchmark flags.
 * @param argv - arguments after the script. @defaultValue `process.argv.slice(2)`
 * @throws BenchUsageError on an unknown flag or a bad value.
 */
export function parseBenchArgs(argv: readonly string[] = process.argv.slice(2)): BenchOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        runs: { type: 'string' },
        concurrency: { type: 'string' },
        tiny: { type: 'boolean', default: false },
        only: { type: 'string' },
      },
    }));
  } catch (err) {
    throw new BenchUsageError(`${(err as Error).message}\n${USAGE}`, { cause: err });
  }
  const tiny = values.tiny === true;
  const only = values.only ?? null;
  if (only !== null && !(SYSTEMS as readonly string[]).includes(only)) {
    throw new BenchUsageError(`--only: expected one of ${SYSTEMS.join(', ')}, got "${only}"`);
  }
  return {
    runs: positiveInt('runs', values.runs, tiny ? 200 : 10_000),
    concurrency: positiveInt('concurrency', values.concurrency, tiny ? 50 : 1_000),
    tiny,
    only: only as SystemSelector | null,
  };
}

/**
 * Run a benchmark's `main`, turning a usage error into its message plus the usage (exit 2) and
 * any other failure into one logged line (exit 1). Logs go to stderr; stdout keeps the JSON.
 */
export function runBenchmark(name: string, main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    if (err instanceof BenchUsageError) {
      log(`${name}: ${err.message}`);
      if (!err.message.includes(USAGE)) log(USAGE);
      process.exitCode = 2;
      return;
    }
    log(`${name}: failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exitCode = 1;
  });
}

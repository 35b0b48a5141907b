import type { Environment } from './environment.js';

/** The one document a benchmark prints. */
export interface BenchDocument {
  readonly name: string;
  readonly environment: Environment;
  readonly parameters: Readonly<Record<string, unknown>>;
  readonly results: Readonly<Record<string, unknown>>;
}

/** Something with a `write` (process.stdout by default; a buffer in tests). */
export interface Writable {
  write(chunk: string): unknown;
}

/**
 * Prints the benchmark's single JSON document on stdout (logs go to stderr, see {@link log}).
 * Only `name`, `environment`, `parameters`, `results` are written, in that order.
 */
export function printResult(doc: BenchDocument, out: Writable = process.stdout): void {
  const { name, environment, parameters, results } = doc;
  out.write(`${JSON.stringify({ name, environment, parameters, results }, null, 2)}\n`);
}

/** A progress line on stderr, so stdout stays one parseable document. */
export function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

/** Anything the CLI can write text to (`process.stdout`, a test's buffer). */
export interface CliWritable {
  write(chunk: string): unknown;
}

/**
 * The CLI's view of the outside world, injected so tests can run `main()` in-process with
 * captured output and scripted input.
 */
export interface CliIO {
  readonly stdout: CliWritable;
  readonly stderr: CliWritable;
  /** Read lazily, only when a run waits for an approval. A `Readable` is an async iterable too. */
  readonly stdin: AsyncIterable<string | Uint8Array>;
  /** Whether stdout is a terminal: enables minimal colour (unless `NO_COLOR` is set). */
  readonly isTTY: boolean;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Directory that relative paths resolve against. @defaultValue `process.cwd()` */
  readonly cwd?: string;
  /**
   * Subscribe to an interrupt (Ctrl-C). Returns the unsubscribe function.
   * @defaultValue SIGINT on `process`
   */
  readonly onInterrupt?: (handler: () => void) => () => void;
}

/**
 * The real process's streams, environment and SIGINT.
 *
 * @returns a `CliIO` bound to `process`.
 * @example
 * ```ts
 * process.exitCode = await main(process.argv.slice(2), processIO());
 * ```
 */
export function processIO(): CliIO {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    isTTY: process.stdout.isTTY === true,
    env: process.env,
    cwd: process.cwd(),
    onInterrupt(handler) {
      process.on('SIGINT', handler);
      return () => void process.off('SIGINT', handler);
    },
  };
}

/**
 * Reads lines from a stream of chunks, on demand: nothing is read until `next()` is called, so a
 * run that never asks for approval never touches stdin. Works for a TTY and for piped input.
 */
export class LineReader {
  readonly #source: AsyncIterable<string | Uint8Array>;
  readonly #decoder = new TextDecoder();
  #iterator: AsyncIterator<string | Uint8Array> | null = null;
  #buffer = '';
  #ended = false;

  constructor(source: AsyncIterable<string | Uint8Array>) {
    this.#source = source;
  }

  /**
   * The next line, without its line ending.
   *
   * @returns the line, or `null` once the input has ended (EOF).
   */
  async next(): Promise<string | null> {
    for (;;) {
      const nl = this.#buffer.indexOf('\n');
      if (nl >= 0) {
        const line = this.#buffer.slice(0, nl).replace(/\r$/, '');
        this.#buffer = this.#buffer.slice(nl + 1);
        return line;
      }
      if (this.#ended) {
        if (this.#buffer.length === 0) return null;
        const rest = this.#buffer;
        this.#buffer = '';
        return rest;
      }
      this.#iterator ??= this.#source[Symbol.asyncIterator]();
      const r = await this.#iterator.next();
      if (r.done) {
        this.#ended = true;
        this.#buffer += this.#decoder.decode();
      } else {
        this.#buffer += typeof r.value === 'string' ? r.value : this.#decoder.decode(r.value, { stream: true });
      }
    }
  }

  /** Stop reading (releases stdin so the process can exit). Safe to call more than once. */
  close(): void {
    const it = this.#iterator;
    this.#ended = true;
    this.#iterator = null;
    if (it?.return) void Promise.resolve(it.return()).catch(() => undefined);
  }
}

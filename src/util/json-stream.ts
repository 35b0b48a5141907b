import { TokenParser, Tokenizer, TokenType, type ParsedTokenInfo } from '@streamparser/json';
import { isAscii, isUtf8 } from 'node:buffer';
import { TroupeError } from '../errors/index.js';

/** Where a JSON document comes from: chunks of UTF-8 bytes or of text (a file stream, an HTTP body). */
export type JsonSource = AsyncIterable<Uint8Array | string> | NodeJS.ReadableStream;

/** Options of {@link parseJsonStream}. */
export interface JsonStreamOptions {
  /** What the document is, for messages: e.g. `--input @big.json`. */
  readonly what: string;
  /** The file it was read from, carried in the error's `data`. */
  readonly file?: string;
  /**
   * Stop reading and fail once the document is longer than this many bytes.
   *
   * @defaultValue no limit
   */
  readonly maxBytes?: number;
}

/** Below this, a document that arrives in one chunk goes to `JSON.parse` (native and several times faster). */
const WHOLE_PARSE_BYTES = 1024 * 1024;

const NEWLINE = 0x0a;

/**
 * Parse one JSON document from a stream of chunks, without ever holding the input as one string:
 * a document may be larger than V8's longest string (~512 MiB); only the parsed value must fit in
 * memory. The result is what `JSON.parse` makes of the same text (a `__proto__` key is an own
 * property); a leading byte-order mark is skipped, and text that is not UTF-8 is rejected.
 *
 * @param source - the document's bytes or text, in chunks split anywhere (also inside a character).
 * @param options - what the document is, for messages, and an optional size limit.
 * @returns the parsed value.
 * @throws TroupeError `TROUPE_CLI_INPUT_INVALID` naming `what` for invalid JSON ("invalid JSON at
 *   line L, column C (byte B): reason"; empty, truncated and trailing text included) and for a
 *   document over `maxBytes`. An error of the source itself (e.g. a file that cannot be read) is
 *   thrown unchanged.
 * @example
 * ```ts
 * const value = await parseJsonStream(createReadStream('big.json'), { what: 'big.json' });
 * ```
 */
export async function parseJsonStream(source: JsonSource, options: JsonStreamOptions): Promise<unknown> {
  const { maxBytes } = options;
  if (maxBytes !== undefined && !(Number.isSafeInteger(maxBytes) && maxBytes >= 0)) {
    throw new RangeError(`parseJsonStream: maxBytes must be an integer >= 0, got ${maxBytes}`);
  }
  const iterator = (source as AsyncIterable<Uint8Array | string>)[Symbol.asyncIterator]();
  const text = new TextChunks();
  let received = 0;
  let exhausted = false;
  const next = async (): Promise<Uint8Array | undefined> => {
    for (;;) {
      const step = await iterator.next();
      if (step.done) {
        exhausted = true;
        return text.end();
      }
      const bytes = text.bytes(step.value);
      received += bytes.length;
      if (maxBytes !== undefined && received > maxBytes) throw tooLarge(options, maxBytes);
      if (bytes.length > 0) return bytes;
    }
  };
  try {
    const first = await next();
    if (first === undefined) return new DocumentParser(options).end();
    const second = await next();
    if (second === undefined && first.length < WHOLE_PARSE_BYTES) return parseWhole(first, options);
    const parser = new DocumentParser(options);
    parser.write(first);
    for (let chunk = second; chunk !== undefined; chunk = await next()) parser.write(chunk);
    return parser.end();
  } finally {
    // Stops the source (a Node stream is destroyed) when we stop before its end. Its own failure
    // to stop would only hide the error that stopped us.
    if (!exhausted) await iterator.return?.().catch(() => undefined);
  }
}

/** The fast path for a small document: decode and `JSON.parse`; a failure is re-parsed as a stream for a uniform error. */
function parseWhole(bytes: Uint8Array, options: JsonStreamOptions): unknown {
  let failure: unknown;
  try {
    // Fatal, like the stream path: not UTF-8 is an error, never U+FFFD. A leading BOM is dropped.
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as unknown;
  } catch (e) {
    failure = e;
  }
  const parser = new DocumentParser(options);
  parser.write(bytes);
  parser.end();
  // Only reached if the two parsers disagree about what is valid: report JSON.parse's reason.
  throw new TroupeError('TROUPE_CLI_INPUT_INVALID', `${options.what}: invalid JSON: ${failure instanceof Error ? failure.message : String(failure)}`, {
    cause: failure,
    data: { what: options.what, ...(options.file === undefined ? {} : { file: options.file }) },
  });
}

/** Turns text chunks into UTF-8 bytes, keeping a surrogate pair split across two chunks whole. */
class TextChunks {
  #highSurrogate = '';

  bytes(chunk: Uint8Array | string): Uint8Array {
    if (typeof chunk !== 'string') return chunk;
    let text = this.#highSurrogate + chunk;
    this.#highSurrogate = '';
    const last = text.charCodeAt(text.length - 1);
    if (last >= 0xd800 && last <= 0xdbff) {
      this.#highSurrogate = text.slice(-1);
      text = text.slice(0, -1);
    }
    return Buffer.from(text, 'utf8');
  }

  /** What is left at the end of the input (a lone high surrogate), if anything. */
  end(): Uint8Array | undefined {
    return this.#highSurrogate === '' ? undefined : Buffer.from(this.#highSurrogate, 'utf8');
  }
}

/** One document: bytes in, the value out; every failure becomes a `TROUPE_CLI_INPUT_INVALID` with its place. */
class DocumentParser {
  readonly #options: JsonStreamOptions;
  readonly #tokenizer = new Tokenizer();
  // Only the root is emitted: every inner value is assembled into its parent, as JSON.parse does.
  readonly #tokens = new TokenParser({ paths: ['$'] });
  readonly #place = new Place();
  readonly #utf8 = new Utf8Check();
  #lastToken: ParsedTokenInfo | undefined;
  #value: unknown;
  #done = false;

  constructor(options: JsonStreamOptions) {
    this.#options = options;
    this.#tokenizer.onToken = (token) => {
      this.#lastToken = token;
      this.#tokens.write(token);
    };
    this.#tokens.onValue = ({ value }) => {
      this.#value = value;
      this.#done = true;
    };
    // The root value is complete: what follows may only be whitespace (the tokenizer rejects the rest).
    this.#tokens.onEnd = () => {
      if (!this.#tokenizer.isEnded) this.#tokenizer.end();
    };
  }

  write(bytes: Uint8Array): void {
    const start = this.#place.enter(bytes);
    // Checked before the tokenizer sees it: the library's handling of bytes that are not UTF-8 varies.
    const bad = this.#utf8.check(bytes, start);
    try {
      this.#tokenizer.write(bad < 0 ? bytes : bytes.subarray(0, bad - start));
    } catch (e) {
      throw this.#invalid(e);
    }
    if (bad >= 0) throw this.#failure(bad, 'not valid UTF-8');
    this.#place.leave();
  }

  end(): unknown {
    const cut = this.#utf8.end(this.#place.offset);
    if (cut >= 0) throw this.#failure(cut, 'not valid UTF-8 (a character cut short)');
    try {
      if (!this.#tokenizer.isEnded) this.#tokenizer.end();
      if (!this.#tokens.isEnded) this.#tokens.end();
    } catch (e) {
      throw this.#invalid(e);
    }
    if (!this.#done) throw this.#failure(this.#place.offset, this.#lastToken === undefined ? 'no JSON value (empty input)' : 'unexpected end of input');
    return this.#value;
  }

  /** Locate and describe an error of the library (its messages carry a byte position at best). */
  #invalid(e: unknown): TroupeError {
    const message = e instanceof Error ? e.message : String(e);
    if (/ended in (the middle of a token|mid-parsing)/.test(message)) return this.#failure(this.#place.offset, 'unexpected end of input', e);
    const at = /\(absolute position "(\d+)"\)/.exec(message);
    if (at) {
      const position = Number(at[1]);
      const after = / in state ENDED$/.test(message) ? ' after the end of the JSON value' : '';
      return this.#failure(position, `unexpected ${this.#place.describeAt(position)}${after}`, e);
    }
    // The token parser rejected a whole token: point at its start.
    const token = this.#lastToken;
    if (token === undefined) return this.#failure(this.#place.offset, message, e);
    return this.#failure(token.offset, `unexpected ${describeToken(token)}`, e);
  }

  #failure(position: number, reason: string, cause?: unknown): TroupeError {
    const place = this.#place.lineColumn(position);
    const { what, file } = this.#options;
    const where = place === undefined ? `byte ${position}` : `line ${place.line}, column ${place.column} (byte ${position})`;
    return new TroupeError('TROUPE_CLI_INPUT_INVALID', `${what}: invalid JSON at ${where}: ${reason}`, {
      ...(cause === undefined ? {} : { cause }),
      data: { what, ...(file === undefined ? {} : { file }), position, ...place },
    });
  }
}

/** A chunk of the document, with the line and column where it starts. */
interface Span {
  readonly bytes: Uint8Array;
  /** Byte offset of `bytes` in the document. */
  readonly start: number;
  /** Line (1-based) at `start`. */
  readonly line: number;
  /** UTF-16 units of that line before `start`. */
  readonly column: number;
}

const NO_BYTES = new Uint8Array(0);

/**
 * The line and column of byte positions, kept as chunks go by: only the current and the previous
 * chunk are held (a token the parser rejects may have begun in the previous one), with the line
 * count and the length of the line where each begins. A column counts UTF-16 code units from the
 * line's start, as the positions of `JSON.parse` do.
 */
class Place {
  #previous: Span = { bytes: NO_BYTES, start: 0, line: 1, column: 0 };
  #current: Span = this.#previous;

  /** Bytes seen so far (the current chunk included). */
  get offset(): number {
    return this.#current.start + this.#current.bytes.length;
  }

  /** Make `bytes` the current chunk; returns its offset in the document. */
  enter(bytes: Uint8Array): number {
    this.#current = { ...this.#current, bytes };
    return this.#current.start;
  }

  /** The current chunk was parsed: step past it. */
  leave(): void {
    const { bytes, start, line, column } = this.#current;
    const last = bytes.lastIndexOf(NEWLINE);
    const next =
      last < 0
        ? { line, column: column + utf16Units(bytes, 0, bytes.length) }
        : { line: line + countNewlines(bytes, last + 1), column: utf16Units(bytes, last + 1, bytes.length) };
    this.#previous = this.#current;
    this.#current = { bytes: NO_BYTES, start: start + bytes.length, ...next };
  }

  /** Line and column of a position in the current or the previous chunk (undefined further back). */
  lineColumn(position: number): { line: number; column: number } | undefined {
    for (const span of [this.#current, this.#previous]) {
      const end = position - span.start;
      if (end < 0 || end > span.bytes.length) continue;
      const last = end === 0 ? -1 : span.bytes.lastIndexOf(NEWLINE, end - 1);
      if (last < 0) return { line: span.line, column: span.column + utf16Units(span.bytes, 0, end) + 1 };
      return { line: span.line + countNewlines(span.bytes, last + 1), column: utf16Units(span.bytes, last + 1, end) + 1 };
    }
    return undefined;
  }

  /** The byte at a position of the current chunk, for a message. */
  describeAt(position: number): string {
    const byte = this.#current.bytes[position - this.#current.start];
    return byte === undefined ? 'character' : describeByte(byte);
  }
}

function countNewlines(bytes: Uint8Array, end: number): number {
  let n = 0;
  for (let i = bytes.indexOf(NEWLINE); i >= 0 && i < end; i = bytes.indexOf(NEWLINE, i + 1)) n++;
  return n;
}

/** UTF-16 code units of the UTF-8 bytes in `[from, to)`: one per character, two past U+FFFF. */
function utf16Units(bytes: Uint8Array, from: number, to: number): number {
  if (isAscii(bytes.subarray(from, to))) return to - from;
  let n = 0;
  for (let i = from; i < to; i++) {
    const b = bytes[i]!;
    if ((b & 0xc0) !== 0x80) n += b >= 0xf0 ? 2 : 1;
  }
  return n;
}

/**
 * Strict UTF-8 validation across chunks (a character may be split between two): Node's native
 * `isUtf8` for a chunk that starts and ends on character boundaries, a byte loop otherwise.
 */
class Utf8Check {
  /** Continuation bytes the current character still needs. */
  #need = 0;
  /** Range of the next continuation byte (narrower after E0, ED, F0, F4: no overlong forms, surrogates or code points past U+10FFFF). */
  #low = 0x80;
  #high = 0xbf;

  /** Position of the first byte of `bytes` (at `start` in the document) that is not UTF-8, or -1. */
  check(bytes: Uint8Array, start: number): number {
    if (this.#need === 0 && isUtf8(bytes)) return -1;
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i]!;
      if (this.#need > 0) {
        if (b < this.#low || b > this.#high) return start + i;
        this.#need--;
        this.#low = 0x80;
        this.#high = 0xbf;
      } else if (b >= 0x80) {
        if (b >= 0xc2 && b <= 0xdf) this.#need = 1;
        else if (b >= 0xe0 && b <= 0xef) this.#need = 2;
        else if (b >= 0xf0 && b <= 0xf4) this.#need = 3;
        else return start + i;
        this.#low = b === 0xe0 ? 0xa0 : b === 0xf0 ? 0x90 : 0x80;
        this.#high = b === 0xed ? 0x9f : b === 0xf4 ? 0x8f : 0xbf;
      }
    }
    return -1;
  }

  /** At the end of the input (`offset` bytes): the position where a character was cut short, or -1. */
  end(offset: number): number {
    return this.#need > 0 ? offset : -1;
  }
}

function describeByte(byte: number): string {
  if (byte >= 0x21 && byte <= 0x7e) return JSON.stringify(String.fromCharCode(byte));
  if (byte < 0x80) return `character U+${byte.toString(16).toUpperCase().padStart(4, '0')}`;
  // Not decoded: the rest of the character may still be in the next chunk.
  return 'non-ASCII character';
}

function describeToken({ token, value }: ParsedTokenInfo): string {
  if (token === TokenType.STRING) {
    const text = String(value);
    return `string ${JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text)}`;
  }
  if (token === TokenType.NUMBER) return `number ${String(value)}`;
  return JSON.stringify(String(value));
}

function tooLarge(options: JsonStreamOptions, maxBytes: number): TroupeError {
  const { what, file } = options;
  return new TroupeError('TROUPE_CLI_INPUT_INVALID', `${what}: too large: more than the limit of ${maxBytes} bytes (maxBytes)`, {
    data: { what, ...(file === undefined ? {} : { file }), maxBytes },
  });
}

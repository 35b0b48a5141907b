import { createWriteStream, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { constants } from 'node:buffer';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { readInputFlag } from '../../src/cli/args.js';
import { isTroupeError, type TroupeError } from '../../src/errors/index.js';
import { parseJsonStream } from '../../src/util/index.js';

const what = 'test input';

/** `bytes` cut at the given offsets (sorted, duplicates give empty chunks). */
function cut(bytes: Uint8Array, at: readonly number[]): Uint8Array[] {
  const points = [...at].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let from = 0;
  for (const p of points) {
    chunks.push(bytes.subarray(from, p));
    from = p;
  }
  chunks.push(bytes.subarray(from));
  return chunks;
}

async function* chunksOf(chunks: Iterable<Uint8Array | string>): AsyncGenerator<Uint8Array | string> {
  for (const chunk of chunks) yield chunk;
}

/** `text` as UTF-8 bytes cut every `size` bytes. */
function every(text: string | Uint8Array, size: number): Uint8Array[] {
  const bytes = typeof text === 'string' ? Buffer.from(text) : text;
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
  return chunks;
}

/** What the parser rejected `chunks` with. */
async function failure(chunks: Iterable<Uint8Array | string>, options: { maxBytes?: number } = {}): Promise<TroupeError> {
  try {
    await parseJsonStream(chunksOf(chunks), { what, ...options });
  } catch (e) {
    if (isTroupeError(e)) return e;
    throw e;
  }
  throw new Error('parsed without an error');
}

/**
 * Deep equality as node:assert's strict mode has it (prototypes, -0, own `__proto__` keys), with
 * vitest's diff when it fails: toStrictEqual alone wrongly fails on an own key named `constructor`.
 */
function expectSame(actual: unknown, expected: unknown): void {
  if (!isDeepStrictEqual(actual, expected)) expect(actual).toStrictEqual(expected);
}

/** JSON.parse of exactly the bytes the stream parser reads. */
const reference = (bytes: Uint8Array): unknown => JSON.parse(new TextDecoder().decode(bytes));

/** Every kind of token, escape and character width, and a `__proto__` key. */
const SAMPLE = JSON.stringify(
  {
    ascii: 'plain',
    widths: ['é', '€', '😀', 'Zürich 12 € 😀'],
    numbers: [0, -0, 1, -1, 0.5, -12.5e3, 1e-7, 1e21, 2 ** 53 + 1, 123456789.125],
    literals: [true, false, null],
    empty: [{}, [], ''],
    nested: { a: [{ b: [[{ c: {} }]] }] },
  },
  null,
  2,
).replace('"ascii"', '"__proto__": {"polluted": true}, "ascii"').replace('"plain"', '"esc \\" \\\\ \\/ \\b \\f \\n \\r \\t \\u00e9 \\ud83d\\ude00 \\ud800 \\u0000"');

describe('parseJsonStream', () => {
  describe('parses what JSON.parse parses', () => {
    it('a document split at every byte parses the same as JSON.parse', async () => {
      const bytes = Buffer.from(SAMPLE);
      expect(await parseJsonStream(chunksOf(every(bytes, 1)), { what })).toStrictEqual(JSON.parse(SAMPLE));
    });

    it('a document split into two at each byte parses the same as JSON.parse', async () => {
      const bytes = Buffer.from(SAMPLE);
      const expected = JSON.parse(SAMPLE) as unknown;
      for (let i = 0; i <= bytes.length; i++) {
        expect(await parseJsonStream(chunksOf(cut(bytes, [i])), { what })).toStrictEqual(expected);
      }
    });

    it('text chunks cut at every UTF-16 unit, inside surrogate pairs too, parse the same as JSON.parse', async () => {
      const units = SAMPLE.split('');
      expect(units.some((u) => /[\ud800-\udbff]/.test(u))).toBe(true);
      expect(await parseJsonStream(chunksOf(units), { what })).toStrictEqual(JSON.parse(SAMPLE));
    });

    it('any JSON value, serialized and cut into random chunks, parses the same as JSON.parse', async () => {
      // Units that stress the parser: escapes, 2-, 3- and 4-byte characters, lone surrogates, `__proto__`.
      const unit = fc.oneof(
        fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
        fc.constantFrom('"', '\\', '/', '\n', '\u0000', '\u001f', '\u2028', 'é', '€', '😀', '\ud800', '\udfff', '__proto__', 'constructor'),
      );
      const text = fc
        .tuple(fc.jsonValue({ stringUnit: unit, maxDepth: 4 }), fc.constantFrom(undefined, 1, '\t', ' \r\n'), fc.boolean())
        .map(([value, space, escapeAll]) => {
          const json = JSON.stringify(value, null, space);
          // Non-ASCII only occurs inside strings, where a \u escape means the same.
          return escapeAll ? json.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`) : json;
        });
      await fc.assert(
        fc.asyncProperty(text, fc.array(fc.nat(), { maxLength: 12 }), async (json, cuts) => {
          const bytes = Buffer.from(json);
          const chunks = cut(bytes, cuts.map((c) => c % (bytes.length + 1)));
          expectSame(await parseJsonStream(chunksOf(chunks), { what }), reference(bytes));
        }),
        { numRuns: 300 },
      );
    });

    it('a `__proto__` key becomes an own property, exactly as JSON.parse makes it, and leaves the prototype alone', async () => {
      const text = '{"__proto__": {"polluted": true}, "a": [{"__proto__": null}], "__proto__": {"last": 1}}';
      const expected = JSON.parse(text) as Record<string, unknown>;
      for (const chunks of [[text], every(text, 1)]) {
        const value = (await parseJsonStream(chunksOf(chunks), { what })) as Record<string, unknown>;
        expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
        expect(Object.getOwnPropertyDescriptor(value, '__proto__')).toStrictEqual(Object.getOwnPropertyDescriptor(expected, '__proto__'));
        expect(Object.keys(value)).toEqual(['__proto__', 'a']);
        expect(value).toStrictEqual(expected);
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      }
    });

    it('skips a leading byte-order mark, whole or cut', async () => {
      const bytes = Buffer.from('\ufeff{"a": 1}');
      expect(await parseJsonStream(chunksOf([bytes]), { what })).toEqual({ a: 1 });
      expect(await parseJsonStream(chunksOf(every(bytes, 1)), { what })).toEqual({ a: 1 });
    });

    it('reads a Node stream of bytes or of text', async () => {
      expect(await parseJsonStream(Readable.from(every(SAMPLE, 7).map((c) => Buffer.from(c))), { what })).toStrictEqual(JSON.parse(SAMPLE));
      const text = Readable.from(every(SAMPLE, 7).map((c) => Buffer.from(c))).setEncoding('utf8');
      expect(await parseJsonStream(text, { what })).toStrictEqual(JSON.parse(SAMPLE));
    });
  });

  describe('rejects what JSON.parse rejects', () => {
    it('a damaged document is rejected exactly when JSON.parse rejects it', async () => {
      const damage = fc.oneof(
        fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
        fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
        fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), char: fc.constantFrom('{', '}', '[', ']', ':', ',', '"', '\\', ' ', '0', '-', '.', 'e', 'x', 't', 'u', '\n', '\u0001', 'é') }),
      );
      await fc.assert(
        fc.asyncProperty(fc.jsonValue({ maxDepth: 3 }), damage, fc.array(fc.nat(), { maxLength: 6 }), async (value, d, cuts) => {
          const json = JSON.stringify(value);
          const at = d.at % (json.length + 1);
          const damaged = d.kind === 'truncate' ? json.slice(0, at) : d.kind === 'delete' ? json.slice(0, at) + json.slice(at + 1) : json.slice(0, at) + d.char + json.slice(at);
          const bytes = Buffer.from(damaged);
          const chunks = cut(bytes, cuts.map((c) => c % (bytes.length + 1)));
          let expected: unknown;
          try {
            expected = reference(bytes);
          } catch {
            const e = await failure(chunks);
            expect(e.code).toBe('TROUPE_CLI_INPUT_INVALID');
            expect(e.message).toMatch(/^test input: invalid JSON at (line \d+, column \d+ \()?byte \d+\)?: /);
            return;
          }
          expectSame(await parseJsonStream(chunksOf(chunks), { what }), expected);
        }),
        { numRuns: 500 },
      );
    });

    it.each([
      ['an empty input', '', 'at line 1, column 1 (byte 0): no JSON value (empty input)'],
      ['whitespace only', ' \n ', 'at line 2, column 2 (byte 3): no JSON value (empty input)'],
      ['a truncated object', '{"a": [1, 2', 'at line 1, column 12 (byte 11): unexpected end of input'],
      ['a truncated string', '["abc', 'at line 1, column 6 (byte 5): unexpected end of input'],
      ['a truncated literal', 'tru', 'at line 1, column 4 (byte 3): unexpected end of input'],
      ['trailing garbage', '{"a": 1} x', 'at line 1, column 10 (byte 9): unexpected "x" after the end of the JSON value'],
      ['a second document', '[1]\n[2]', 'at line 2, column 1 (byte 4): unexpected "[" after the end of the JSON value'],
      ['a trailing comma', '{"a": 1,}', 'at line 1, column 9 (byte 8): unexpected "}"'],
      ['a missing colon', '{"a" 1}', 'at line 1, column 6 (byte 5): unexpected number 1'],
      ['a raw newline in a string', '"a\nb"', 'at line 1, column 3 (byte 2): unexpected character U+000A'],
      ['a bad escape', '"\\x"', 'at line 1, column 3 (byte 2): unexpected "x"'],
      ['a character outside a string', '[1, é]', 'at line 1, column 5 (byte 4): unexpected non-ASCII character'],
      ['a leading zero', '01', 'at line 1, column 2 (byte 1): unexpected "1" after the end of the JSON value'],
    ])('%s fails with TROUPE_CLI_INPUT_INVALID naming the place, however it is cut', async (_name, text, where) => {
      for (const chunks of [[text], every(text, 1), every(text, 3)]) {
        const e = await failure(chunks);
        expect(e.code).toBe('TROUPE_CLI_INPUT_INVALID');
        expect(e.message).toBe(`test input: invalid JSON ${where}`);
      }
    });

    it('places an error by line, column and byte in whichever chunk it falls, counting columns as JSON.parse does', async () => {
      const text = '{\n  "city": "Zürich 😀", "list": [1, 2,, 3]\n}';
      const position = text.indexOf(',,') + 1;
      const column = position - text.lastIndexOf('\n', position - 1);
      const byte = Buffer.byteLength(text.slice(0, position));
      expect(() => JSON.parse(text)).toThrow(SyntaxError);
      const bytes = Buffer.from(text);
      for (let i = 0; i <= bytes.length; i++) {
        const e = await failure(cut(bytes, [i]));
        expect(e.message).toBe(`test input: invalid JSON at line 2, column ${column} (byte ${byte}): unexpected ","`);
        expect(e.data).toEqual({ what, position: byte, line: 2, column });
      }
    });

    it('a rejected token that began more than a chunk back is placed by its byte alone', async () => {
      const text = `{"key" "${'x'.repeat(300)}"}`;
      const e = await failure(every(text, 64));
      expect(e.message).toBe(`test input: invalid JSON at byte 7: unexpected string "${'x'.repeat(40)}…"`);
    });

    it('bytes that are not UTF-8 are an error, never U+FFFD', async () => {
      const bad = [
        Buffer.from([0x22, 0xff, 0x22]), // never valid
        Buffer.from([0x22, 0xc3, 0x28, 0x22]), // a continuation byte missing
        Buffer.from([0x22, 0xed, 0xa0, 0x80, 0x22]), // an encoded surrogate
        Buffer.from([0x22, 0xc0, 0xaf, 0x22]), // an overlong "/"
        Buffer.from([0x22, 0xe2, 0x82]), // cut short at the end
      ];
      for (const bytes of bad) {
        for (const chunks of [[bytes], every(bytes, 1)]) {
          expect((await failure(chunks)).message).toMatch(/^test input: invalid JSON at line 1, column \d+ \(byte \d\): not valid UTF-8/);
        }
      }
    });

    it('passes an error of the source through unchanged', async () => {
      const broken = new Error('disk on fire');
      async function* source(): AsyncGenerator<string> {
        yield '[1, 2';
        throw broken;
      }
      await expect(parseJsonStream(source(), { what })).rejects.toBe(broken);
    });
  });

  describe('when maxBytes is given', () => {
    it('stops reading a source that goes on and fails naming the limit', async () => {
      let pulled = 0;
      let stopped = false;
      async function* endless(): AsyncGenerator<string> {
        try {
          yield '[';
          for (;;) {
            pulled++;
            yield '1,'.repeat(50);
          }
        } finally {
          stopped = true;
        }
      }
      await expect(parseJsonStream(endless(), { what, maxBytes: 1000 })).rejects.toMatchObject({
        code: 'TROUPE_CLI_INPUT_INVALID',
        message: 'test input: too large: more than the limit of 1000 bytes (maxBytes)',
        data: { what, maxBytes: 1000 },
      });
      expect(pulled).toBe(10);
      expect(stopped).toBe(true);
    });

    it('destroys a Node stream it stops reading', async () => {
      const stream = Readable.from(every(`[${'1,'.repeat(5000)}1]`, 100));
      await expect(parseJsonStream(stream, { what, maxBytes: 999 })).rejects.toMatchObject({ code: 'TROUPE_CLI_INPUT_INVALID' });
      expect(stream.destroyed).toBe(true);
    });

    it('accepts a document of exactly maxBytes, in one chunk or many, and refuses one byte more', async () => {
      const text = '{"a": "é"}';
      const size = Buffer.byteLength(text);
      for (const chunks of [[text], every(text, 2)]) {
        expect(await parseJsonStream(chunksOf(chunks), { what, maxBytes: size })).toEqual({ a: 'é' });
        expect((await failure(chunks, { maxBytes: size - 1 })).message).toMatch(/more than the limit of 10 bytes/);
      }
    });
  });

  describe('on a large input', () => {
    afterEach(() => {
      vi.restoreAllMocks();
    });

    it('consumes the source chunk by chunk and never decodes or JSON.parses more than a chunk at once', async () => {
      const CHUNK = 64 * 1024;
      const bytes = Buffer.from(JSON.stringify({ records: Array.from({ length: 40_000 }, (_, i) => record(i)) }));
      expect(bytes.length).toBeGreaterThan(100 * CHUNK);
      let pulled = 0;
      async function* source(): AsyncGenerator<Uint8Array> {
        for (const chunk of every(bytes, CHUNK)) {
          pulled++;
          yield chunk;
        }
      }
      const largest = { decode: 0, toString: 0, parse: 0 };
      const decode = TextDecoder.prototype.decode;
      vi.spyOn(TextDecoder.prototype, 'decode').mockImplementation(function (this: InstanceType<typeof TextDecoder>, ...args: Parameters<typeof decode>) {
        largest.decode = Math.max(largest.decode, args[0]?.byteLength ?? 0);
        return decode.apply(this, args);
      });
      const toString = Buffer.prototype.toString;
      vi.spyOn(Buffer.prototype as { toString(...args: unknown[]): string }, 'toString').mockImplementation(function (this: Buffer, ...args: unknown[]) {
        largest.toString = Math.max(largest.toString, this.length);
        return toString.apply(this, args as Parameters<typeof toString>);
      });
      const parse = JSON.parse;
      vi.spyOn(JSON, 'parse').mockImplementation((text: string, reviver?: Parameters<typeof JSON.parse>[1]) => {
        largest.parse = Math.max(largest.parse, text.length);
        return parse(text, reviver) as unknown;
      });
      const value = await parseJsonStream(source(), { what });
      vi.restoreAllMocks();
      expect(pulled).toBe(Math.ceil(bytes.length / CHUNK));
      expect(largest.decode).toBeGreaterThan(0);
      expect(largest.decode).toBeLessThanOrEqual(CHUNK);
      expect(largest.toString).toBeLessThanOrEqual(CHUNK);
      expect(largest.parse).toBeLessThanOrEqual(CHUNK);
      expectSame(value, reference(bytes));
    });

    it('parses a ~30 MB file through readInputFlag the same as JSON.parse', async () => {
      const dir = tempDir();
      const count = await writeDocument(join(dir, 'input.json'), 30 * 1024 * 1024);
      const value = await readInputFlag('@input.json', dir);
      expect(isDeepStrictEqual(value, JSON.parse(readFileSync(join(dir, 'input.json'), 'utf8')))).toBe(true);
      expect((value as { count: number }).count).toBe(count);
    }, 120_000);

    it('parses a ~600 MB file, longer than the longest string V8 can hold, through readInputFlag (opt-in: TROUPE_BIG_INPUT=1)', async ({ skip }) => {
      skip(process.env.TROUPE_BIG_INPUT !== '1', 'set TROUPE_BIG_INPUT=1 to run: writes and parses a ~600 MB file');
      const dir = tempDir();
      const file = join(dir, 'big.json');
      const count = await writeDocument(file, 600 * 1024 * 1024);
      expect(statSync(file).size).toBeGreaterThan(constants.MAX_STRING_LENGTH);
      const started = performance.now();
      const value = (await readInputFlag(`@${file}`, dir)) as { kind: string; records: unknown[]; count: number };
      const seconds = (performance.now() - started) / 1000;
      expect(value.kind).toBe('generated');
      expect(value.count).toBe(count);
      expect(value.records).toHaveLength(count);
      for (const i of [0, 1, Math.floor(count / 2), count - 1]) expect(value.records[i]).toStrictEqual(record(i));
      console.error(`parsed ${statSync(file).size} bytes in ${seconds.toFixed(1)} s; peak RSS ${Math.round(process.resourceUsage().maxRSS / 1024)} MiB`);
    }, 15 * 60_000);
  });

  describe('readInputFlag', () => {
    it('names the file, line and column of invalid JSON in an @file', async () => {
      const dir = tempDir();
      writeFileSync(join(dir, 'bad.json'), '{\n  "a": 1,\n}\n');
      await expect(readInputFlag('@bad.json', dir)).rejects.toMatchObject({
        code: 'TROUPE_CLI_INPUT_INVALID',
        message: '--input @bad.json: invalid JSON at line 3, column 1 (byte 12): unexpected "}"',
        data: { what: '--input @bad.json', file: 'bad.json', position: 12, line: 3, column: 1 },
      });
    });

    it('says a directory is not a file', async () => {
      const dir = tempDir();
      await expect(readInputFlag('@.', dir)).rejects.toMatchObject({ code: 'TROUPE_CLI_INPUT_INVALID', message: '--input @.: cannot read .: is a directory' });
    });
  });
});

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'troupe-json-stream-'));
  dirs.push(dir);
  return dir;
}

const LOREM = 'lorem ipsum dolor sit amet, '.repeat(32);

/** Record `i` of a generated document: 1- to 4-byte characters, escapes, numbers, literals, nesting. */
function record(i: number): Record<string, unknown> {
  return {
    id: i,
    name: `agent-${i}`,
    place: i % 7 === 0 ? 'Zürich, 12 € 😀' : 'Lyon',
    quote: 'say "hi"\n\tbye \\ ok',
    score: i / 4 - 1000,
    ok: i % 3 === 0,
    none: null,
    nested: { tags: ['alpha', 'beta'], depth: [i, { k: 'v' }] },
    text: LOREM,
  };
}

/** Write `{"kind":"generated","records":[...],"count":N}` of at least `minBytes`, one record a line; returns N. */
async function writeDocument(path: string, minBytes: number): Promise<number> {
  const out = createWriteStream(path);
  let written = 0;
  let count = 0;
  const write = async (text: string): Promise<void> => {
    written += Buffer.byteLength(text);
    if (!out.write(text)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  };
  await write('{"kind":"generated","records":[\n');
  while (written < minBytes) {
    let batch = '';
    for (let i = 0; i < 1000; i++, count++) batch += `${count === 0 ? '' : ',\n'}${JSON.stringify(record(count))}`;
    await write(batch);
  }
  await write(`\n],"count":${count}}\n`);
  await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
  return count;
}

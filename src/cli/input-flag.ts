import { createReadStream } from 'node:fs';
import { resolve } from 'node:path';
import { TroupeError, isTroupeError } from '../errors/index.js';
import { parseJsonStream } from '../util/index.js';

/** Read size of `--input @file`: the file is parsed as it streams in, one chunk at a time. */
const INPUT_CHUNK_BYTES = 1024 * 1024;

/**
 * Resolve the `--input` flag: inline JSON, `@path` to a JSON file, or `{}` when absent. A file is
 * streamed through the parser, never read into one string, so its size is bounded by the memory
 * the parsed value takes, not by V8's longest string (~512 MiB).
 *
 * @param value - the flag's raw value.
 * @param cwd - directory a relative `@path` resolves against.
 * @returns the parsed input.
 * @throws TroupeError `TROUPE_CLI_INPUT_INVALID` naming the flag (and file) and the JSON error's line and column.
 */
export async function readInputFlag(value: string | undefined, cwd: string): Promise<unknown> {
  if (value === undefined) return {};
  if (!value.startsWith('@')) return parseJson(value, '--input');
  const path = value.slice(1);
  if (path === '') throw new TroupeError('TROUPE_CLI_INPUT_INVALID', '--input @: missing file name after @');
  try {
    const file = createReadStream(resolve(cwd, path), { highWaterMark: INPUT_CHUNK_BYTES });
    return await parseJsonStream(file, { what: `--input @${path}`, file: path });
  } catch (e) {
    if (isTroupeError(e)) throw e;
    // The stream reports a missing file or a directory when it is first read.
    const code = (e as { code?: string }).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code ?? (e instanceof Error ? e.message : String(e));
    throw new TroupeError('TROUPE_CLI_INPUT_INVALID', `--input @${path}: cannot read ${path}: ${why}`, { cause: e, data: { flag: '--input', file: path } });
  }
}

function parseJson(text: string, what: string, file?: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    const raw = e instanceof Error ? e.message : String(e);
    const at = /\bat position (\d+)/.exec(raw);
    const position = at ? Number(at[1]) : /Unexpected end of JSON input/.test(raw) ? text.length : undefined;
    const reason = raw.replace(/ in JSON at position \d+.*$/, '').replace(/^Unexpected end of JSON input$/, 'unexpected end of input');
    const where = position === undefined ? '' : ` at ${lineColumn(text, position)}`;
    throw new TroupeError('TROUPE_CLI_INPUT_INVALID', `${what}: invalid JSON${where}: ${reason}`, {
      cause: e,
      data: { flag: '--input', ...(file ? { file } : {}), ...(position === undefined ? {} : { position }) },
    });
  }
}

function lineColumn(text: string, position: number): string {
  const before = text.slice(0, position);
  const line = before.split('\n').length;
  const column = position - before.lastIndexOf('\n');
  return `line ${line}, column ${column} (position ${position})`;
}

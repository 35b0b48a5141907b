/**
 * The payload codec of worker pools: how a step's input (main → worker) and output (worker → main)
 * cross a thread or process boundary. Small values, and values that are not plain JSON, go by
 * structured clone inside the pool's message. Large plain-JSON values are msgpackr-encoded into a
 * buffer that nothing else references, which the pool lists in `postMessage`'s transfer list: the
 * bytes move instead of being copied, and the receiver decodes them. Both ends call the same two
 * functions. `benchmarks/payload-transfer.ts` measures both paths; see {@link DEFAULT_TRANSFER_THRESHOLD}.
 */
import { Packr, Unpackr } from 'msgpackr';
import { TroupeError } from '../errors/index.js';

/** A value on its way across a boundary: by structured clone, or as msgpack bytes. */
export type Payload =
  | { readonly kind: 'clone'; readonly value: unknown }
  | { readonly kind: 'msgpack'; readonly bytes: Uint8Array };

/** An encoded value and the buffers to list in `postMessage`'s transfer list (empty for `clone`). */
export interface Encoded {
  readonly payload: Payload;
  readonly transfer: ArrayBuffer[];
}

/**
 * The estimated size ({@link estimateSize}, ≈ JSON bytes) above which {@link encodePayload}
 * encodes with msgpackr and transfers the bytes: 1 MiB, where the two paths tie. Set from
 * `benchmarks/payload-transfer.ts` (round trips main → worker → main of arrays of log records, on a
 * shared 2-core machine, Node 20): structured clone is 2x faster at 1 KB and ahead up to ~64 KB;
 * from ~100 KB to ~1 MB the codec's msgpack path ties with it (0.9-1.05x of clone's speed across
 * runs; msgpackr alone is 1.1-1.3x faster, but the walk that proves a value is plain JSON costs
 * ~15-20% of the encode); at 2 MB msgpack won by 1-11%. For the main thread alone the balance
 * differs by direction: receiving msgpack costs it 2-3.5x less than receiving a clone from ~32 KB
 * up, sending costs it ~2x more (the benchmark's `busyUs`).
 */
export const DEFAULT_TRANSFER_THRESHOLD = 1024 * 1024;

/**
 * What the pools use, per direction, to spare the runtime's main thread (every run shares it; a
 * worker's CPU is its own): a step's input is sent by structured clone at any size (encoding
 * msgpack would cost the main thread ~2x more), and an output is sent back as msgpack bytes from
 * ~32 KB up, encoded in the worker (receiving them costs the main thread 2-3.5x less than a clone).
 */
export const INPUT_ENCODING: EncodeOptions = Object.freeze({ thresholdBytes: Infinity });
export const OUTPUT_ENCODING: EncodeOptions = Object.freeze({ thresholdBytes: 32 * 1024 });

/**
 * Deeper values go by structured clone. msgpackr recurses once per level and overflows the main
 * thread's stack at ~1,200 levels (structured clone at ~1,900); plain step data is far shallower.
 */
const MAX_MSGPACK_DEPTH = 256;

/**
 * Larger values (by estimate) go by structured clone; it also bounds {@link inspect}'s walk over a
 * value whose shared subtrees would multiply in msgpack.
 */
const MAX_MSGPACK_ESTIMATE = 64 * 1024 * 1024;

/**
 * Above this share of string characters in its estimate a value goes by structured clone even when
 * large: V8 copies a string's characters as one block, while msgpack transcodes them to UTF-8 and
 * back. Set from the benchmark's string-share rows (1 MB of log records with free text added): at
 * a share of 0.60 the msgpack path ties or wins by a few percent; at 0.66 and above clone won in
 * every run, by up to 1.7x. Non-ASCII text costs msgpack more (Node 20's UTF-8 decoder is slow on
 * it: at a share of 0.70, 1.5x slower than clone against 1.1x for ASCII); the rule does not look
 * at the characters themselves, to keep the walk cheap.
 */
export const DEFAULT_MAX_STRING_SHARE = 0.65;

/** How {@link encodePayload} chooses a path. */
export interface EncodeOptions {
  /**
   * Estimated size ({@link estimateSize}) above which msgpack is used; 0 sends every plain-JSON
   * object or array by msgpack, Infinity sends everything by clone.
   * @defaultValue {@link DEFAULT_TRANSFER_THRESHOLD}
   */
  readonly thresholdBytes?: number;
  /**
   * Share (0..1) of string characters in the estimate above which a value goes by clone however
   * large; 1 turns the rule off. @defaultValue {@link DEFAULT_MAX_STRING_SHARE}
   */
  readonly maxStringShare?: number;
}

/**
 * msgpackr options for JSON data. `useRecords`: an object's keys are written once per shape and
 * its values after. For arrays of same-shaped records it encodes as fast as maps, decodes 3-6x
 * faster and is 40% smaller (measured: 1 MB of log records decodes in ~1.9 ms against ~9-12 ms,
 * 511 KB against 852 KB); at 1 KB it decodes slower (~19 µs against ~10 µs), but that size takes
 * the clone path. Records are defined inside each message (no shared structures), so sender and
 * receiver need no common state. No `structuredClone` extension: the values sent are plain JSON.
 * `useToJSON: false`: a plain object may hold a `toJSON` key as data (`{"toJSON": 1}` is JSON);
 * msgpackr would otherwise call it. `mapsAsObjects`: a msgpack map decodes to a plain object.
 */
const PACK_OPTIONS = { useRecords: true, mapsAsObjects: true, useToJSON: false } as const;

/**
 * The module's only state: one packer and one unpacker per isolate (each worker thread loads its
 * own copy of this module). Sharing them between callers, and between two runtimes in one process,
 * is safe: pack and unpack are synchronous, JavaScript runs one of them at a time per isolate, and
 * no options or records carry over from one call to the next (records are defined inside each
 * message). The packer writes into a buffer it reuses from call to call, which is why its output
 * is always copied before it is transferred (see {@link packExclusive}). Two instances: a Packr
 * decodes with the record table it encodes with; apart, decoding never touches the encoder's.
 */
const packer = new Packr(PACK_OPTIONS);
const unpacker = new Unpackr({ mapsAsObjects: true });

/**
 * After encoding more than this, the packer gets a fresh small buffer, so one huge payload does not
 * keep a buffer of its size (msgpackr grows to 2-4x of it) alive for the life of the worker.
 */
const RETAINED_BUFFER_BYTES = 1024 * 1024;

/**
 * Encodes a value for a pool message: `clone` when its estimated size ({@link estimateSize}) is at
 * most the threshold or it is not plain JSON (so it behaves exactly as structured clone would),
 * otherwise `msgpack`, with the bytes' ArrayBuffer, owned by nothing else, in `transfer`.
 *
 * Plain JSON here means: null, booleans, strings without lone surrogates, numbers other than -0,
 * arrays (Array.prototype, no holes) and objects whose prototype is Object.prototype or null, with
 * no own `__proto__` key (msgpackr renames it), at most {@link MAX_MSGPACK_DEPTH} levels deep (so
 * no cycles) and at most {@link MAX_MSGPACK_ESTIMATE} by estimate. A subtree referenced twice
 * arrives as two equal copies, as through JSON (structured clone would keep one): troupe treats
 * step data as JSON, and tracking identity would double the cost of the walk. So would an array's
 * own non-index properties be dropped (JSON has none). Anything else
 * (Date, Map, Set, typed arrays, class instances, `undefined`, functions) takes the clone path,
 * and postMessage reports what cannot be cloned. A value made mostly of string characters, or a
 * top-level string or number, goes by clone too: structured clone copies strings faster.
 *
 * @param value - a step's input or output.
 * @param options - when to use msgpack (see {@link EncodeOptions}).
 * @returns the payload to put in the message and the buffers to transfer with it.
 * @throws TroupeError `TROUPE_RUNTIME_OPTIONS_INVALID` when an option is out of range.
 * @example
 * const { payload, transfer } = encodePayload(output);
 * port.postMessage({ ok: true, payload }, transfer);
 * // on the other side:
 * const output = decodePayload(message.payload);
 */
export function encodePayload(value: unknown, options?: EncodeOptions): Encoded {
  const threshold = options?.thresholdBytes ?? DEFAULT_TRANSFER_THRESHOLD;
  const maxStringShare = options?.maxStringShare ?? DEFAULT_MAX_STRING_SHARE;
  if (typeof threshold !== 'number' || !(threshold >= 0)) {
    throw new TroupeError('TROUPE_RUNTIME_OPTIONS_INVALID', `thresholdBytes: expected a number >= 0 (or Infinity), got ${String(threshold)}`);
  }
  if (typeof maxStringShare !== 'number' || !(maxStringShare >= 0 && maxStringShare <= 1)) {
    throw new TroupeError('TROUPE_RUNTIME_OPTIONS_INVALID', `maxStringShare: expected a number from 0 to 1, got ${String(maxStringShare)}`);
  }
  if (threshold === Infinity || typeof value !== 'object' || value === null) return cloned(value);
  // The budgeted estimate settles the common case, a small value, at ~1 µs per KB. A value over the
  // threshold is then walked whole by inspect, re-walking what the estimate saw (~1 ms per MB):
  // cheaper overall than inspecting every small value, which costs twice the estimate.
  if (estimateSize(value, threshold) <= threshold) return cloned(value);
  const inspection = inspect(value);
  if (inspection === null || inspection.stringChars > maxStringShare * inspection.size) return cloned(value);
  const bytes = packExclusive(value);
  if (bytes === null) return cloned(value);
  return { payload: { kind: 'msgpack', bytes }, transfer: [bytes.buffer as ArrayBuffer] };
}

/**
 * Decodes what {@link encodePayload} produced, after it crossed the boundary.
 * @param payload - the `payload` of an {@link Encoded}, as received.
 * @returns a value deep-equal to the one encoded (for `clone`, exactly what structured clone made).
 * @throws TypeError when `payload` is not a Payload; msgpackr's error when the bytes are damaged.
 * @example
 * const input = decodePayload(task.payload);
 */
export function decodePayload(payload: Payload): unknown {
  switch (payload.kind) {
    case 'clone':
      return payload.value;
    case 'msgpack':
      return unpacker.unpack(payload.bytes);
    default:
      throw new TypeError(`decodePayload: unknown payload kind ${JSON.stringify((payload as { kind?: unknown }).kind)}`);
  }
}

/**
 * A cheap estimate of a value's serialized size in bytes, close to its JSON length: strings count
 * their length plus quotes, numbers 9, keys their length plus 3, each element or entry 1 more,
 * typed arrays their byteLength, other leaves 4. The walk is iterative and stops as soon as the
 * running total passes `limit`, so its cost is bounded by `limit`, not by the value: the result is
 * then only known to be greater than `limit`. Non-JSON objects count their enumerable keys
 * (a Map or Set counts 2). With `limit = Infinity` a cyclic value never terminates.
 * @param value - any value.
 * @param limit - stop once the total exceeds this.
 * @returns the estimate, or a number greater than `limit` when the walk stopped early.
 * @example
 * estimateSize({ a: 'xyz' }, 1024); // 12; JSON.stringify gives 11 characters
 */
export function estimateSize(value: unknown, limit: number): number {
  let size = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    switch (typeof v) {
      case 'string':
        size += v.length + 2;
        break;
      case 'number':
      case 'bigint':
        size += 9;
        break;
      case 'object':
        if (v === null) {
          size += 4;
        } else if (Array.isArray(v)) {
          size += 2 + v.length;
          if (size > limit) return size;
          for (let i = 0; i < v.length; i++) stack.push(v[i]);
        } else if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer) {
          size += v.byteLength;
        } else {
          size += 2;
          for (const key in v) {
            size += key.length + 4;
            if (size > limit) return size;
            stack.push((v as Record<string, unknown>)[key]);
          }
        }
        break;
      default:
        size += 4;
    }
    if (size > limit) return size;
  }
  return size;
}

function cloned(value: unknown): Encoded {
  return { payload: { kind: 'clone', value }, transfer: [] };
}

/** String.prototype.isWellFormed (ES2024, Node ≥ 20) is not in this project's ES2023 lib. */
type MaybeWellFormed = string & { isWellFormed(): boolean };

/** What {@link inspect} learns in its full walk: the whole estimate and how much of it is string characters. */
interface Inspection {
  readonly size: number;
  readonly stringChars: number;
}

/**
 * Whether msgpack round-trips `value` exactly as structured clone would (see {@link encodePayload}),
 * with its full {@link estimateSize} (same weights) and the string characters in it; null, as soon
 * as it is found, when it must take the clone path. Recursive, bounded by {@link MAX_MSGPACK_DEPTH};
 * run only on values already known to be over the threshold.
 */
function inspect(value: unknown): Inspection | null {
  let size = 0;
  let stringChars = 0;
  const walk = (v: unknown, depth: number): boolean => {
    switch (typeof v) {
      case 'string':
        size += v.length + 2;
        stringChars += v.length;
        // A lone surrogate would become U+FFFD in UTF-8.
        return (v as MaybeWellFormed).isWellFormed();
      case 'number':
        size += 9;
        // msgpackr writes -0 as the integer 0.
        return v !== 0 || 1 / v > 0;
      case 'boolean':
        size += 4;
        return true;
      case 'object': {
        if (v === null) {
          size += 4;
          return true;
        }
        // A cycle ends here too. The size cap bounds a DAG that shares subtrees exponentially.
        if (depth >= MAX_MSGPACK_DEPTH || size > MAX_MSGPACK_ESTIMATE) return false;
        const proto: unknown = Object.getPrototypeOf(v);
        if (proto === Array.prototype) {
          const a = v as unknown[];
          size += 2 + a.length;
          // A hole reads as undefined, which fails like an undefined element.
          for (let i = 0; i < a.length; i++) if (!walk(a[i], depth + 1)) return false;
          return true;
        }
        if (proto !== Object.prototype && proto !== null) return false;
        size += 2;
        for (const key in v) {
          // msgpackr's decoder renames an own __proto__ key to __proto_ (a prototype-pollution guard).
          if (key === '__proto__' || !(key as MaybeWellFormed).isWellFormed()) return false;
          size += key.length + 4;
          stringChars += key.length;
          if (!walk((v as Record<string, unknown>)[key], depth + 1)) return false;
        }
        return true;
      }
      default:
        // undefined, bigint, symbol, function.
        return false;
    }
  };
  return walk(value, 0) ? { size, stringChars } : null;
}

/**
 * msgpackr's output copied into an ArrayBuffer of its exact size that nothing else references, or
 * null when msgpackr fails (the caller falls back to clone, whose errors are the reference). The
 * packer's own output is a view into its reused buffer: transferring that would detach the buffer
 * under the packer and expose later payloads. Measured against giving the packer a fresh buffer per
 * call (Packr.useBuffer), the copy costs 1-3% of the encode at 100 KB and 1 MB and saves nothing
 * to speak of; a fresh buffer would carry slack past the payload (1.2x at 1 MB, 3x at 100 KB),
 * which crosses with it, and over a child process's IPC is serialized and sent.
 */
function packExclusive(value: unknown): Uint8Array | null {
  let packed: Uint8Array;
  try {
    packed = packer.pack(value);
  } catch {
    packer.useBuffer(Buffer.allocUnsafeSlow(8192));
    return null;
  }
  const bytes = new Uint8Array(packed);
  if (bytes.byteLength > RETAINED_BUFFER_BYTES) packer.useBuffer(Buffer.allocUnsafeSlow(8192));
  return bytes;
}

import { Packr } from 'msgpackr';
import { canonicalJson } from '../util/index.js';
import type { CachedResponse, ContextEntry, RunRecord, RunSnapshot } from './types.js';

/**
 * The store's one msgpackr codec, shared by every database of an environment (passed to lmdb-js
 * as `encoder`). `useRecords: false` keeps each value a self-describing MessagePack map: no
 * shared-structure record in the database that every value depends on and that a read-only
 * process would have to re-read, and the bytes stay readable by any MessagePack decoder.
 */
export function createPackr(): Packr {
  return new Packr({ useRecords: false, mapsAsObjects: true });
}

/**
 * Users' values (a run's input and output, an entry's output, a snapshot's state) are stored as
 * JSON text inside the MessagePack envelope, because the hash chain covers their canonical JSON:
 * the stored form must have JSON's data model, or a value could hash differently after a reload.
 * msgpackr alone breaks that: it renames an own `__proto__` key to `__proto_` on decode, drops
 * `toJSON`, and turns a Map with string keys into an object. JSON text round-trips exactly what
 * was hashed (PITFALLS: for small objects JSON is also no slower than msgpackr).
 */
export function toJsonText(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  try {
    return JSON.stringify(value);
  } catch {
    // JSON.stringify throws on a BigInt; canonical JSON writes it as a string, as the hash does.
    return canonicalJson(value);
  }
}

function fromJsonText(text: unknown): unknown {
  return typeof text === 'string' ? JSON.parse(text) : undefined;
}

type Stored = Record<string, unknown>;

/** Copy `value` without the listed payload fields, then add each payload present as JSON text. */
function pack(value: object, fields: readonly string[]): Stored {
  const out: Stored = { ...value };
  for (const f of fields) {
    const text = toJsonText(out[f]);
    if (text === undefined) delete out[f];
    else out[f] = text;
  }
  return out;
}

function unpack<T>(stored: Stored, fields: readonly string[]): T {
  for (const f of fields) {
    if (f in stored) stored[f] = fromJsonText(stored[f]);
  }
  return stored as T;
}

const RUN_PAYLOADS = ['input', 'output', 'error'] as const;
const ENTRY_PAYLOADS = ['output'] as const;
const SNAPSHOT_PAYLOADS = ['state'] as const;

/** A run record as stored. */
export function encodeRun(run: RunRecord): Stored {
  return pack(run, RUN_PAYLOADS);
}

/** A stored run record, decoded (a fresh object: callers may mutate it). */
export function decodeRun(stored: Stored): RunRecord {
  return unpack<RunRecord>(stored, RUN_PAYLOADS);
}

/** A context entry as stored. */
export function encodeEntry(entry: ContextEntry): Stored {
  return pack(entry, ENTRY_PAYLOADS);
}

/** A stored context entry, decoded. */
export function decodeEntry(stored: Stored): ContextEntry {
  return unpack<ContextEntry>(stored, ENTRY_PAYLOADS);
}

const CACHE_PAYLOADS = ['output'] as const;

/** A cached response as stored. */
export function encodeCached(response: CachedResponse): Stored {
  return pack(response, CACHE_PAYLOADS);
}

/** A stored cached response, decoded. */
export function decodeCached(stored: Stored): CachedResponse {
  return unpack<CachedResponse>(stored, CACHE_PAYLOADS);
}

/** A snapshot as stored. */
export function encodeSnapshot(snapshot: RunSnapshot): Stored {
  return pack(snapshot, SNAPSHOT_PAYLOADS);
}

/** A stored snapshot, decoded. */
export function decodeSnapshot(stored: Stored): RunSnapshot {
  return unpack<RunSnapshot>(stored, SNAPSHOT_PAYLOADS);
}

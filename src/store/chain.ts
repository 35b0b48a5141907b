import { canonicalJson, sha256 } from '../util/index.js';
import type { ContextEntry } from './types.js';

/** The entry's fields that its hash covers: everything but `hash` itself. */
export type UnhashedEntry = Omit<ContextEntry, 'hash'>;

/** The hash a run's chain starts from: its definition hash and its input. */
export function genesisHash(definitionHash: string, input: unknown): string {
  return sha256(`troupe:genesis:${definitionHash}:${canonicalJson(input)}`);
}

/**
 * The hash of an entry, chained to its predecessor through `entry.prevHash`: SHA-256 over the
 * fixed-order header fields and the canonical JSON of the output (absent fields encode as null).
 */
export function entryHash(e: UnhashedEntry): string {
  const header = JSON.stringify([e.seq, e.kind, e.step, e.agent ?? null, e.inputHash ?? null, e.at, e.durationMs ?? null, e.attempts ?? null, e.prevHash]);
  return sha256(header + canonicalJson(e.output));
}

/** Seal an entry: compute its hash and attach it (the object is completed in place, not copied). */
export function sealEntry(entry: UnhashedEntry): ContextEntry {
  (entry as { hash?: string }).hash = entryHash(entry);
  return entry as ContextEntry;
}

/** Result of checking a chain: `ok`, or the first entry (by position) that does not match. */
export type ChainCheck =
  | { readonly ok: true; readonly entries: number; readonly head: string }
  | { readonly ok: false; readonly index: number; readonly seq: number | undefined; readonly reason: string };

/**
 * Recompute a chain from its genesis. Detects changed, deleted, reordered and (with
 * `expectedHead`) truncated entries.
 */
export function verifyChain(
  genesis: string,
  entries: readonly ContextEntry[],
  expected?: { readonly headSeq: number; readonly headHash: string },
): ChainCheck {
  let prev = genesis;
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    if (e.seq !== i + 1) return { ok: false, index: i, seq: e.seq, reason: `expected seq ${i + 1}, found ${e.seq}` };
    if (e.prevHash !== prev) return { ok: false, index: i, seq: e.seq, reason: 'prevHash does not match the previous entry' };
    const { hash, ...rest } = e;
    if (entryHash(rest) !== hash) return { ok: false, index: i, seq: e.seq, reason: 'content does not match its hash' };
    prev = hash;
  }
  if (expected && (expected.headSeq !== entries.length || expected.headHash !== prev)) {
    return {
      ok: false,
      index: entries.length,
      seq: expected.headSeq,
      reason: `log ends at seq ${entries.length} but the run record's head is seq ${expected.headSeq}`,
    };
  }
  return { ok: true, entries: entries.length, head: prev };
}

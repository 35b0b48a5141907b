import { createHash, hash } from 'node:crypto';
import { canonicalJson } from './canonical.js';

// One-shot `crypto.hash` (Node >= 20.12) is about twice as fast as createHash for short inputs.
const oneShot: ((algorithm: string, data: string) => string) | undefined = typeof hash === 'function' ? (hash as (a: string, d: string) => string) : undefined;

/** SHA-256, hex, of a string. */
export function sha256(text: string): string {
  return oneShot ? oneShot('sha256', text) : createHash('sha256').update(text).digest('hex');
}

/** SHA-256, hex, of a value's canonical JSON. */
export function hashValue(value: unknown): string {
  return sha256(canonicalJson(value));
}

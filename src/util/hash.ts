import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical.js';

/** SHA-256, hex, of a string. */
export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** SHA-256, hex, of a value's canonical JSON. */
export function hashValue(value: unknown): string {
  return sha256(canonicalJson(value));
}

import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { TroupeError } from '../errors/index.js';

// Offsets in an LMDB meta page as lmdb-js's LMDB (64-bit) lays it out: a 24-byte page header
// (pgno, txnid, pad, flags, lower/upper), then MDB_meta: magic, version, address, mapsize,
// two MDB_db records of 48 bytes (the first's md_pad is the page size), last page, txnid.
const FLAGS = 18;
const MAGIC = 24;
const PSIZE = 48;
const LAST_PG = 144;
const TXNID = 152;
const META_END = 160;
const MDB_MAGIC = 0xbeefc0de;
const P_META = 0x08;

function corrupt(file: string, why: string): TroupeError {
  return new TroupeError('TROUPE_STORE_CORRUPT', `${file} is not a usable LMDB file: ${why}`, { data: { file, reason: why } });
}

function readAt(fd: number, position: number, length: number): Buffer {
  const buf = Buffer.alloc(length);
  const n = readSync(fd, buf, 0, length, position);
  return buf.subarray(0, n);
}

/**
 * Check an existing LMDB data file's two meta pages before lmdb-js maps it. lmdb-js trusts the
 * file: a foreign or truncated one crashes the process (SIGSEGV or SIGBUS) instead of throwing,
 * so troupe checks the magic number, the page size and that the file is as long as the newest
 * meta page says. A zero-length file is a new environment. This cannot catch every damaged
 * page; the hash chain (`verifyChain`) is what detects tampered content.
 *
 * @throws TroupeError `TROUPE_STORE_CORRUPT` naming the file and what is wrong
 */
export function checkLmdbFile(file: string): void {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size === 0) return;
    const first = readAt(fd, 0, META_END);
    if (first.length < META_END) throw corrupt(file, `it is only ${size} bytes long`);
    if (first.readUInt32LE(MAGIC) !== MDB_MAGIC || (first.readUInt16LE(FLAGS) & P_META) === 0) {
      throw corrupt(file, 'no LMDB meta page (wrong magic number)');
    }
    const psize = first.readUInt32LE(PSIZE);
    if (psize < 512 || psize > 65536 || (psize & (psize - 1)) !== 0) throw corrupt(file, `implausible page size ${psize}`);
    if (size < 2 * psize) throw corrupt(file, `it is ${size} bytes, shorter than its two meta pages`);
    const second = readAt(fd, psize, META_END);
    if (second.length < META_END || second.readUInt32LE(MAGIC) !== MDB_MAGIC) throw corrupt(file, 'the second meta page is damaged');
    const newest = second.readBigUInt64LE(TXNID) > first.readBigUInt64LE(TXNID) ? second : first;
    const needed = (newest.readBigUInt64LE(LAST_PG) + 1n) * BigInt(psize);
    if (BigInt(size) < needed) throw corrupt(file, `it is ${size} bytes but its last page ends at byte ${needed} (truncated)`);
  } finally {
    closeSync(fd);
  }
}

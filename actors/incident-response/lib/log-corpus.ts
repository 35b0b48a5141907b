/**
 * A synthetic log corpus for the log-search agent: tens of thousands of syslog-style lines (about
 * 4 MB by default) generated from a PRNG seeded by the alert id, with the alert's indicators
 * sprinkled in at seeded places. The same input always yields the same corpus and therefore the
 * same search result. Generating and scanning it is real CPU work (hundreds of milliseconds), which
 * is why the agent runs in a worker thread; both loops check for abort every {@link CHECK_EVERY} lines.
 */
import type { IndicatorKind, Indicators, LogHit } from '../types.js';
import { indicatorPattern, listIndicators } from './indicators.js';
import { createRng, seedFrom, type Rng } from './prng.js';

export interface LogLine {
  readonly at: number;
  readonly host: string;
  /** The whole line as a log shipper would store it: `<iso> <host> <message>`. */
  readonly text: string;
}

export interface Corpus {
  readonly seed: number;
  readonly from: number;
  readonly to: number;
  readonly lines: readonly LogLine[];
}

export interface CorpusOptions {
  readonly alertId: string;
  readonly indicators: Indicators;
  readonly around?: string;
  /** @defaultValue {@link DEFAULT_LINES} */
  readonly lines?: number;
}

/** Lines of a corpus when the input names no count: about 4 MB of text. */
export const DEFAULT_LINES = 44_000;
/**
 * How many lines a loop handles between two abort checks. A worker's timers cannot fire while it
 * computes, so a synchronous loop must ask (`throwIfAborted`) itself; 4096 lines take a few ms to
 * scan for one indicator and a few tens of ms to generate.
 */
export const CHECK_EVERY = 4096;
const HOUR = 3_600_000;
/** 2023-11-14T22:13:20Z: the anchor when the input names no time. */
const EPOCH = 1_700_000_000_000;

const NOISE_HOSTS = ['web-01', 'web-02', 'db-01', 'dc-01', 'mail-01', 'vpn-gw', 'fs-01', 'ws-0142', 'ws-0217', 'ws-0388'];
const NOISE_USERS = ['alice', 'bob', 'carol', 'dave', 'svc-backup', 'deploy'];
const NOISE_DOMAINS = ['intranet.corp.test', 'time.corp.test', 'updates.corp.test', 'wiki.corp.test'];
const PATHS = ['/', '/login', '/api/v1/orders', '/static/app.js', '/health', '/api/v1/users/me'];
const UNITS = ['logrotate.service', 'apt-daily.service', 'backup.timer', 'node-exporter.service'];
const PROCESS_NAMES = ['svchost_update', 'invoice_viewer', 'helper', 'chrome_patch', 'winlogon32'];

const internalIp = (rng: Rng): string => `10.${rng.int(0, 3)}.${rng.int(0, 31)}.${rng.int(2, 254)}`;

function noiseMessage(rng: Rng): string {
  switch (rng.int(0, 6)) {
    case 0:
      return `sshd[${rng.int(1000, 65000)}]: Accepted publickey for ${rng.pick(NOISE_USERS)} from ${internalIp(rng)} port ${rng.int(1024, 65535)} ssh2`;
    case 1:
      return `nginx: ${internalIp(rng)} - - "GET ${rng.pick(PATHS)} HTTP/1.1" ${rng.pick([200, 200, 200, 304, 404])} ${rng.int(120, 90000)}`;
    case 2:
      return `CRON[${rng.int(1000, 65000)}]: (root) CMD (/usr/local/bin/backup.sh --incremental)`;
    case 3:
      return `kernel: [UFW ALLOW] IN=eth0 SRC=${internalIp(rng)} DST=${internalIp(rng)} PROTO=TCP DPT=${rng.pick([22, 443, 5432, 8080])}`;
    case 4:
      return `named[${rng.int(100, 999)}]: client ${internalIp(rng)}#${rng.int(1024, 65535)}: query: ${rng.pick(NOISE_DOMAINS)} IN A`;
    case 5:
      return `systemd[1]: Started ${rng.pick(UNITS)}.`;
    default:
      return `auth: user=${rng.pick(NOISE_USERS)} action=logon result=success src=${internalIp(rng)}`;
  }
}

function indicatorMessage(kind: IndicatorKind, value: string, rng: Rng): string {
  switch (kind) {
    case 'ip':
      return rng.pick([
        () => `kernel: [UFW BLOCK] IN=eth0 SRC=${internalIp(rng)} DST=${value} PROTO=TCP DPT=${rng.pick([443, 8443, 4444, 53])}`,
        () => `sshd[${rng.int(1000, 65000)}]: Failed password for invalid user admin from ${value} port ${rng.int(1024, 65535)} ssh2`,
        () => `proxy: CONNECT ${value}:443 client=${internalIp(rng)} bytes=${rng.int(300, 2_000_000)}`,
      ])();
    case 'hash':
      return `edr: process_start image=C:\\Users\\Public\\${rng.pick(PROCESS_NAMES)}.exe hash=${value} parent=explorer.exe`;
    case 'domain':
      return rng.pick([
        () => `named[${rng.int(100, 999)}]: client ${internalIp(rng)}#${rng.int(1024, 65535)}: query: ${value} IN A`,
        () => `proxy: GET https://${value}/gate.php client=${internalIp(rng)} status=200`,
      ])();
    case 'user':
      return `auth: user=${value} action=logon result=${rng.pick(['success', 'failure'])} src=${internalIp(rng)}`;
    case 'host':
      return noiseMessage(rng);
  }
}

/** What the loops call every {@link CHECK_EVERY} lines: an `AbortSignal` or a worker's `WorkerContext` both fit. */
export interface AbortCheck {
  throwIfAborted(): void;
}

interface Injection {
  readonly kind: IndicatorKind;
  readonly value: string;
}

/**
 * Generate the corpus for one alert. Pure: the same options give the same lines.
 *
 * @param abort - checked every {@link CHECK_EVERY} lines; its throw ends the generation.
 */
export function generateCorpus(options: CorpusOptions, abort?: AbortCheck): Corpus {
  const seed = seedFrom(options.alertId);
  const rng = createRng(seed);
  const count = options.lines ?? DEFAULT_LINES;
  const parsed = options.around === undefined ? Number.NaN : Date.parse(options.around);
  const anchor = Number.isNaN(parsed) ? EPOCH + (seed % 365) * 24 * HOUR : parsed;
  const to = Math.floor((anchor + HOUR) / 1000) * 1000;
  const from = to - 25 * HOUR;

  // Where each indicator shows up: hosts often (they log), others a handful of times.
  const slots: (Injection | null)[] = new Array<Injection | null>(count).fill(null);
  let free = count;
  for (const [kind, value] of listIndicators(options.indicators)) {
    const times = kind === 'host' ? rng.int(20, 60) : kind === 'user' ? rng.int(2, 15) : rng.int(1, 12);
    for (let n = 0; n < times && free > 0; n++, free--) {
      let at = rng.int(0, count - 1);
      while (slots[at] !== null) at = (at + 1) % count;
      slots[at] = { kind, value };
    }
  }

  const suspectHosts = options.indicators.hosts.length > 0 ? options.indicators.hosts : NOISE_HOSTS;
  const span = to - from;
  const lines: LogLine[] = [];
  for (let i = 0; i < count; i++) {
    if (i % CHECK_EVERY === 0) abort?.throwIfAborted();
    // Slot i covers [i, i+1) of the span, so timestamps never go backwards.
    const at = Math.floor((from + ((i + rng.next()) * span) / count) / 1000) * 1000;
    const slot = slots[i] ?? null;
    let host: string;
    let message: string;
    if (slot === null) {
      host = rng.pick(NOISE_HOSTS);
      message = noiseMessage(rng);
    } else {
      host = slot.kind === 'host' ? slot.value : rng.next() < 0.6 ? suspectHosts[0]! : rng.pick([...suspectHosts, ...NOISE_HOSTS]);
      message = indicatorMessage(slot.kind, slot.value, rng);
    }
    lines.push({ at, host, text: `${isoSeconds(at)} ${host} ${message}` });
  }
  return { seed, from, to, lines };
}

/**
 * A bounded LRU of corpora, bounded both in entries and in lines held (a corpus of the default
 * size is about 4 MB of strings). The worker module keeps one per worker thread; tests make their own.
 */
export class CorpusCache {
  readonly #entries = new Map<string, Corpus>();
  #lines = 0;

  /**
   * @param capacity - corpora kept at most. @defaultValue 4
   * @param maxLines - lines kept at most over all corpora; the newest corpus is always kept. @defaultValue 400_000
   */
  constructor(
    readonly capacity = 4,
    readonly maxLines = 400_000,
  ) {}

  /** The corpus for `options`, generated (and cached) on first use. @param abort - see {@link generateCorpus}. */
  get(options: CorpusOptions, abort?: AbortCheck): Corpus {
    const key = JSON.stringify([options.alertId, options.around ?? null, options.lines ?? DEFAULT_LINES, options.indicators]);
    const cached = this.#entries.get(key);
    if (cached !== undefined) {
      this.#entries.delete(key);
      this.#entries.set(key, cached);
      return cached;
    }
    const corpus = generateCorpus(options, abort);
    this.#entries.set(key, corpus);
    this.#lines += corpus.lines.length;
    while (this.#entries.size > 1 && (this.#entries.size > this.capacity || this.#lines > this.maxLines)) {
      const [oldest, evicted] = this.#entries.entries().next().value!;
      this.#entries.delete(oldest);
      this.#lines -= evicted.lines.length;
    }
    return corpus;
  }

  get size(): number {
    return this.#entries.size;
  }
}

/** An ISO timestamp without milliseconds, as the corpus writes them. */
export function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

export interface SearchResult {
  readonly hits: LogHit[];
  readonly misses: string[];
  readonly totalMatches: number;
}

/**
 * Search the corpus for each indicator with its own regular expression.
 *
 * @param abort - checked before each indicator and every {@link CHECK_EVERY} lines; its throw ends the search.
 */
export function searchCorpus(corpus: Corpus, indicators: Indicators, abort?: AbortCheck): SearchResult {
  const hits: LogHit[] = [];
  const misses: string[] = [];
  let totalMatches = 0;
  const lines = corpus.lines;
  for (const [kind, value] of listIndicators(indicators)) {
    abort?.throwIfAborted();
    const pattern = indicatorPattern(kind, value);
    const hosts = new Set<string>();
    const samples: string[] = [];
    let count = 0;
    let first = 0;
    let last = 0;
    for (let i = 0; i < lines.length; i++) {
      if (i % CHECK_EVERY === CHECK_EVERY - 1) abort?.throwIfAborted();
      const line = lines[i]!;
      if (!pattern.test(line.text)) continue;
      if (count === 0) first = line.at;
      last = line.at;
      count++;
      hosts.add(line.host);
      if (samples.length < 3) samples.push(line.text);
    }
    if (count === 0) {
      misses.push(value);
      continue;
    }
    totalMatches += count;
    hits.push({ indicator: value, kind, count, hosts: [...hosts].sort(), firstSeen: isoSeconds(first), lastSeen: isoSeconds(last), samples });
  }
  return { hits, misses, totalMatches };
}

/**
 * payload-transfer: the cost of a step's payload crossing a worker thread and back, by structured
 * clone of the object and by msgpackr bytes in a transferred ArrayBuffer, for realistic step data
 * (arrays of log records and a nested object) of ~1 KB to ~2 MB; the crossover between them; the
 * codec (`src/pool/codec.ts`) with its msgpack path forced and with its defaults, which pick a
 * path per value; and 1 MB payloads with more and more of their characters in strings (the
 * codec's string-share rule). One real worker thread (benchmarks/lib/echo-worker.ts) decodes each
 * payload and sends it back by the same path. Per method: median and p99 wall time, process CPU
 * time, and each thread's busy time. Also in-thread: msgpackr with and without `useRecords`,
 * copying msgpackr's output into an exclusively owned buffer against packing into a fresh buffer,
 * and the codec's walks. Prints one JSON document on stdout; progress goes to stderr.
 *
 *   node --expose-gc --import tsx benchmarks/payload-transfer.ts [--runs N] [--tiny]
 *
 * `--runs N`: round trips per method at 1 KB (default 10000, 200 with `--tiny`), fewer for larger
 * payloads. One round trip is in flight at a time, so `--concurrency` and `--only` are refused.
 */
import { isDeepStrictEqual } from 'node:util';
import { Packr, Unpackr } from 'msgpackr';
import {
  DEFAULT_MAX_STRING_SHARE,
  DEFAULT_TRANSFER_THRESHOLD,
  encodePayload,
  estimateSize,
  type Payload,
} from '../src/pool/codec.js';
import {
  BenchUsageError,
  collectGarbage,
  getEnvironment,
  log,
  parseBenchArgs,
  printResult,
  round,
  runBenchmark,
  summarizeLatencies,
} from './lib/index.js';
import { ECHO_METHODS, EchoPeer, FORCE_MSGPACK, RAW_PACK_OPTIONS, type EchoMethod } from './lib/echo-worker.js';

const NAME = 'payload-transfer';
const KB = 1024;
/** The sizes the issue names. */
const HEADLINE_SIZES = [1 * KB, 100 * KB, 1024 * KB] as const;
/** Sizes between them, to find where msgpack + transfer starts to win. */
const CROSSOVER_SIZES = [2 * KB, 4 * KB, 8 * KB, 16 * KB, 32 * KB, 64 * KB, 256 * KB, 512 * KB, 2048 * KB] as const;
/** Characters of free text per record in the string-share rows (0 = the plain log records). */
const TEXT_LENGTHS = [0, 25, 50, 100, 200, 400] as const;
/** Above the threshold, where the string-share rule applies. */
const STRING_SHARE_SIZE = 1024 * KB;
const METHODS = ECHO_METHODS;
type Method = EchoMethod;
/** Consecutive round trips of one method before the next method's turn (see measureSize). */
const BLOCK = 10;

/** `--runs` sets the round trips per method at 1 KB; larger payloads get fewer (at least 5). */
function roundsFor(runs: number, bytes: number): number {
  return Math.max(5, Math.round(runs * Math.min(1, KB / bytes) ** 0.6));
}

const LEVELS = ['debug', 'info', 'warn', 'error'] as const;
const SERVICES = ['checkout', 'payments', 'inventory', 'search', 'auth'] as const;
const WORDS = ['timeout', 'upstream', 'retrying', 'cache', 'miss', 'connection', 'reset', 'by', 'peer', 'latency', 'budget', 'exceeded'];
/** Non-ASCII words for the unicode row: msgpack transcodes these to UTF-8 and back, clone copies UTF-16. */
const UNICODE_WORDS = ['Zeitüberschreitung', 'Verbindung', 'zurückgesetzt', 'タイムアウト', '再試行', 'キャッシュ', 'délai', 'dépassé', 'соединение', 'сброшено'];

/**
 * Realistic step data of about `targetBytes` of JSON: a nested run description and an array of log
 * records (strings, integers, floats, booleans, a nested object), each with `textLength`
 * characters of free text when asked (the string-share rows), in non-ASCII words with `unicode`.
 */
function makePayload(targetBytes: number, textLength = 0, unicode = false): unknown {
  const records: unknown[] = [];
  const run = {
    id: 'run-7f3a9c',
    workflow: 'incident-response',
    step: { id: 'triage', attempt: 1, startedAt: '2025-01-01T00:00:00.000Z' },
    labels: { team: 'sre', severity: 2, region: 'eu-west-1', tags: ['checkout', 'p1'] },
  };
  let size = JSON.stringify(run).length + 30;
  for (let i = 0; size < targetBytes; i++) {
    const record: Record<string, unknown> = {
      ts: 1_735_689_600_000 + i * 137,
      level: LEVELS[i % 4],
      service: SERVICES[i % 5],
      message: `request ${i} handled for user u-${(i * 7919) % 10_007} in ${(i % 97) * 3} ms`,
      traceId: `${((i * 2_654_435_761) % 2 ** 32).toString(16).padStart(8, '0')}a1b2c3d4e5f6`,
      durationMs: ((i % 97) * 1.37 * 1000) / 1000,
      status: 200 + (i % 5) * 100,
      attrs: { host: `node-${i % 12}`, retry: i % 7 === 0, bytes: i * 31 },
    };
    if (textLength > 0) {
      let text = '';
      const words = unicode ? UNICODE_WORDS : WORDS;
      for (let w = i; text.length < textLength; w++) text += `${words[w % words.length]} `;
      record['text'] = text.slice(0, textLength);
    }
    records.push(record);
    size += JSON.stringify(record).length + 1;
  }
  // Through JSON, as step data arrives (from a model, a tool, the store): flat strings, no sharing.
  return JSON.parse(JSON.stringify({ run, records })) as unknown;
}

/** String characters (values and keys) over {@link estimateSize}: what the codec's string-share rule looks at. */
function stringShare(value: unknown): number {
  let chars = 0;
  const walk = (v: unknown): void => {
    if (typeof v === 'string') chars += v.length;
    else if (Array.isArray(v)) v.forEach(walk);
    else if (typeof v === 'object' && v !== null) {
      for (const [k, x] of Object.entries(v)) {
        chars += k.length;
        walk(x);
      }
    }
  };
  walk(value);
  return chars / estimateSize(value, Infinity);
}

interface MethodResult {
  /** Wall time of a round trip. */
  readonly medianUs: number;
  readonly p99Us: number;
  /**
   * Mean CPU time of the whole process per round trip (process.cpuUsage: main, worker, and V8's GC
   * and compiler threads): unlike wall time, not inflated by waiting for a core on a shared machine.
   */
  readonly cpuUs: number;
  /**
   * Mean busy time per round trip of each thread (event-loop utilization): the main thread's to
   * send the input (encode, serialize) and to receive the output (deserialize, decode), and the
   * worker's for its whole part. The main thread is what a runtime's throughput is bound by.
   */
  readonly busyUs: { readonly mainSend: number; readonly mainReceive: number; readonly worker: number };
}

interface SizeResult {
  readonly targetBytes: number;
  readonly jsonBytes: number;
  readonly estimatedBytes: number;
  readonly rounds: number;
  readonly clone: MethodResult;
  /** Raw msgpackr + transfer: the mechanism alone. */
  readonly msgpack: MethodResult;
  /** The codec's msgpack path, forced: msgpackr + transfer after the walk that checks the value is plain JSON. */
  readonly codecMsgpack: MethodResult;
  /** The codec with its defaults, and the path it took. */
  readonly codec: MethodResult & { readonly path: Payload['kind'] };
  /** Median (and CPU) of clone over each msgpack row: above 1, that row is faster than structured clone. */
  readonly ratios: {
    readonly cloneOverMsgpack: number;
    readonly cloneOverMsgpackCpu: number;
    readonly cloneOverCodecMsgpack: number;
    readonly cloneOverCodecMsgpackCpu: number;
  };
  /** The faster of the codec's two paths here, by median. */
  readonly faster: Payload['kind'];
  /** Whether the codec with its defaults took the faster path (or one within 5% of it: a tie). */
  readonly codecChoseFaster: boolean;
  /** The codec's median over that of the path it took (clone or codecMsgpack): its own overhead (wrapper, estimate). */
  readonly codecOverPathTaken: number;
}

/**
 * Round trips of one payload by each method, in blocks of {@link BLOCK} consecutive round trips per
 * method, the blocks interleaved (their order rotates) so that the shared machine's noise falls on
 * all methods alike. Blocks, not single round trips in turn: the msgpack paths leave work behind
 * (garbage collection of transferred buffers) that would otherwise be charged to whichever method
 * comes next — alternating one by one, a clone round trip after a msgpack one measured 25% slower.
 * Each method's answer is checked against the value once, before warm-up.
 */
async function measureSize(peer: EchoPeer, value: unknown, targetBytes: number, rounds: number): Promise<SizeResult> {
  const warmup = Math.max(3, Math.ceil(rounds / 10));
  for (const method of METHODS) {
    const back = (await peer.roundTrip(method, value)).value;
    if (!isDeepStrictEqual(back, value)) throw new Error(`${method} at ${targetBytes} B: the value came back different`);
  }
  const wall: Record<Method, number[]> = { clone: [], msgpack: [], codecMsgpack: [], codec: [] };
  const zero = (): { cpu: number; mainSend: number; mainActive: number; worker: number } => ({ cpu: 0, mainSend: 0, mainActive: 0, worker: 0 });
  const sums: Record<Method, ReturnType<typeof zero>> = { clone: zero(), msgpack: zero(), codecMsgpack: zero(), codec: zero() };
  await collectGarbage();
  const blocks = Math.ceil((warmup + rounds) / BLOCK);
  for (let b = 0; b < blocks; b++) {
    for (let k = 0; k < METHODS.length * BLOCK; k++) {
      const r = b * BLOCK + (k % BLOCK);
      if (r >= warmup + rounds) continue;
      const method = METHODS[(b + Math.floor(k / BLOCK)) % METHODS.length] as Method;
      const cpu0 = process.cpuUsage();
      const mainElu0 = performance.eventLoopUtilization();
      const workerElu0 = peer.workerElu();
      const start = performance.now();
      const { sendUs } = await peer.roundTrip(method, value);
      const us = (performance.now() - start) * 1000;
      const mainActiveMs = performance.eventLoopUtilization(mainElu0).active;
      const workerActiveMs = peer.workerElu(workerElu0).active;
      const used = process.cpuUsage(cpu0);
      if (r >= warmup) {
        wall[method].push(us);
        const sum = sums[method];
        sum.cpu += used.user + used.system;
        sum.mainSend += sendUs;
        sum.mainActive += mainActiveMs * 1000;
        sum.worker += workerActiveMs * 1000;
      }
    }
  }
  const summary = (method: Method): MethodResult => {
    const s = summarizeLatencies(wall[method]);
    const sum = sums[method];
    return {
      medianUs: round(s.p50, 1),
      p99Us: round(s.p99, 1),
      cpuUs: round(sum.cpu / rounds, 1),
      busyUs: {
        mainSend: round(sum.mainSend / rounds, 1),
        mainReceive: round(Math.max(0, sum.mainActive - sum.mainSend) / rounds, 1),
        worker: round(sum.worker / rounds, 1),
      },
    };
  };
  const clone = summary('clone');
  const msgpack = summary('msgpack');
  const codecMsgpack = summary('codecMsgpack');
  const codec = summary('codec');
  const path = encodePayload(value).payload.kind;
  return {
    targetBytes,
    jsonBytes: JSON.stringify(value).length,
    estimatedBytes: estimateSize(value, Infinity),
    rounds,
    clone,
    msgpack,
    codecMsgpack,
    codec: { ...codec, path },
    ratios: {
      cloneOverMsgpack: round(clone.medianUs / msgpack.medianUs, 2),
      cloneOverMsgpackCpu: round(clone.cpuUs / msgpack.cpuUs, 2),
      cloneOverCodecMsgpack: round(clone.medianUs / codecMsgpack.medianUs, 2),
      cloneOverCodecMsgpackCpu: round(clone.cpuUs / codecMsgpack.cpuUs, 2),
    },
    faster: codecMsgpack.medianUs < clone.medianUs ? 'msgpack' : 'clone',
    codecChoseFaster: (path === 'msgpack' ? codecMsgpack.medianUs : clone.medianUs) <= Math.min(clone.medianUs, codecMsgpack.medianUs) * 1.05,
    codecOverPathTaken: round(codec.medianUs / (path === 'msgpack' ? codecMsgpack.medianUs : clone.medianUs), 2),
  };
}

/** Median µs of each function, called in turn `rounds` times (after a tenth as warm-up), so noise falls on all alike. */
function interleavedMedians<K extends string>(fns: Record<K, () => unknown>, rounds: number): Record<K, number> {
  const names = Object.keys(fns) as K[];
  const samples = Object.fromEntries(names.map((n) => [n, [] as number[]])) as Record<K, number[]>;
  const warmup = Math.max(2, Math.ceil(rounds / 10));
  for (let i = 0; i < warmup + rounds; i++) {
    for (let k = 0; k < names.length; k++) {
      const name = names[(i + k) % names.length] as K;
      const start = performance.now();
      fns[name]();
      if (i >= warmup) samples[name].push((performance.now() - start) * 1000);
    }
  }
  return Object.fromEntries(names.map((n) => [n, round(summarizeLatencies(samples[n]).p50, 1)])) as Record<K, number>;
}

/**
 * In-thread costs behind the codec's choices: `useRecords` (encode and decode time, size); how the
 * transferred buffer is made exclusive (copy msgpackr's output into an exact-size buffer, or give
 * the Packr a fresh buffer per call, which leaves slack that would cross too); and the codec's own
 * walks (the budgeted estimate, and encodePayload's msgpack path against pack + copy alone).
 */
function measureChoices(value: unknown, rounds: number) {
  const records = new Packr(RAW_PACK_OPTIONS);
  const maps = new Packr({ ...RAW_PACK_OPTIONS, useRecords: false });
  const unpacker = new Unpackr({ mapsAsObjects: true });
  const withRecords = new Uint8Array(records.pack(value));
  const withMaps = new Uint8Array(maps.pack(value));
  const fresh = new Packr(RAW_PACK_OPTIONS);
  const freshOnce = (): Uint8Array => {
    fresh.useBuffer(Buffer.allocUnsafeSlow(8192));
    return fresh.pack(value);
  };
  const slack = freshOnce();
  const us = interleavedMedians(
    {
      recordsEncode: () => records.pack(value),
      recordsDecode: () => unpacker.unpack(withRecords),
      mapsEncode: () => maps.pack(value),
      mapsDecode: () => unpacker.unpack(withMaps),
      copyExact: () => new Uint8Array(records.pack(value)),
      freshBuffer: freshOnce,
      estimateSize: () => estimateSize(value, Infinity),
      codecMsgpackEncode: () => encodePayload(value, FORCE_MSGPACK),
      structuredClone: () => structuredClone(value),
    },
    rounds,
  );
  return {
    useRecords: {
      on: { bytes: withRecords.byteLength, encodeUs: us.recordsEncode, decodeUs: us.recordsDecode },
      off: { bytes: withMaps.byteLength, encodeUs: us.mapsEncode, decodeUs: us.mapsDecode },
    },
    exclusiveBuffer: {
      packInPlaceUs: us.recordsEncode,
      copyExactUs: us.copyExact,
      freshBufferUs: us.freshBuffer,
      /** The fresh buffer's size over the payload's: the bytes past the payload would cross with it. */
      freshBufferSlack: round(slack.buffer.byteLength / slack.byteLength, 2),
    },
    codec: {
      estimateSizeUs: us.estimateSize,
      /** encodePayload's msgpack path (walk, pack, copy) against pack + copy alone. */
      msgpackEncodeUs: us.codecMsgpackEncode,
      packCopyUs: us.copyExact,
      structuredCloneUs: us.structuredClone,
    },
  };
}

function label(bytes: number): string {
  return bytes >= 1024 * KB ? `${bytes / (1024 * KB)}MB` : `${bytes / KB}KB`;
}

function describe(r: SizeResult): string {
  const row = (name: string, m: MethodResult): string =>
    `    ${name.padEnd(14)} ${m.medianUs} µs (p99 ${m.p99Us}; cpu ${m.cpuUs}; main ${m.busyUs.mainSend} send + ${m.busyUs.mainReceive} receive; worker ${m.busyUs.worker})`;
  return [
    row('clone', r.clone),
    row('msgpack', r.msgpack),
    row('codec-msgpack', r.codecMsgpack),
    row(`codec[${r.codec.path}]`, r.codec),
    `    clone/msgpack ${r.ratios.cloneOverMsgpack} (cpu ${r.ratios.cloneOverMsgpackCpu}), clone/codec-msgpack ${r.ratios.cloneOverCodecMsgpack} (cpu ${r.ratios.cloneOverCodecMsgpackCpu})`,
  ].join('\n');
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const options = parseBenchArgs(argv);
  for (const flag of ['--concurrency', '--only']) {
    if (argv.some((a) => a === flag || a.startsWith(`${flag}=`))) {
      throw new BenchUsageError(`${flag}: not supported by ${NAME} (one round trip in flight, no systems to choose)`);
    }
  }
  const peer = await EchoPeer.start();
  const bySize: Record<string, SizeResult> = {};
  const choices: Record<string, ReturnType<typeof measureChoices>> = {};
  const stringShareRows: Record<string, SizeResult & { readonly textLength: number; readonly unicode: boolean; readonly stringShare: number }> = {};
  try {
    const sizes = [...HEADLINE_SIZES, ...CROSSOVER_SIZES].sort((a, b) => a - b);
    for (const bytes of sizes) {
      const value = makePayload(bytes);
      const rounds = roundsFor(options.runs, bytes);
      log(`${NAME}: ${label(bytes)}: ${rounds} round trips per method…`);
      const result = await measureSize(peer, value, bytes, rounds);
      bySize[label(bytes)] = result;
      log(describe(result));
    }
    for (const bytes of HEADLINE_SIZES) {
      log(`${NAME}: ${label(bytes)}: useRecords and exclusive-buffer choices…`);
      choices[label(bytes)] = measureChoices(makePayload(bytes), Math.max(5, Math.round(roundsFor(options.runs, bytes) / 4)));
    }
    const shareCases = [
      ...TEXT_LENGTHS.map((textLength) => ({ name: `text${textLength}`, textLength, unicode: false })),
      { name: 'text100-unicode', textLength: 100, unicode: true },
    ];
    for (const { name, textLength, unicode } of shareCases) {
      const value = makePayload(STRING_SHARE_SIZE, textLength, unicode);
      const rounds = Math.max(5, Math.round(roundsFor(options.runs, STRING_SHARE_SIZE) / 2));
      const share = round(stringShare(value), 3);
      log(`${NAME}: ${label(STRING_SHARE_SIZE)}, ${name} (string share ${share})…`);
      const result = await measureSize(peer, value, STRING_SHARE_SIZE, rounds);
      stringShareRows[name] = { ...result, textLength, unicode, stringShare: share };
      log(describe(result));
    }
  } finally {
    await peer.close();
  }

  const ordered = Object.values(bySize).sort((a, b) => a.targetBytes - b.targetBytes);
  /** The estimated size of the smallest payload from which msgpack + transfer wins at every larger size. */
  const crossover = (wins: (r: SizeResult) => boolean): number | null => {
    let from: SizeResult | null = null;
    for (let i = ordered.length - 1; i >= 0 && wins(ordered[i] as SizeResult); i--) from = ordered[i] as SizeResult;
    return from?.estimatedBytes ?? null;
  };

  printResult({
    name: NAME,
    environment: getEnvironment(),
    parameters: {
      runs: options.runs,
      tiny: options.tiny,
      roundsPerSize: Object.fromEntries(ordered.map((r) => [label(r.targetBytes), r.rounds])),
      payload: 'makePayload(bytes): { run: nested object, records: [{ ts, level, service, message, traceId, durationMs, status, attrs: { host, retry, bytes } }] }',
      roundTrip: 'main encodes, postMessage (transfer list for bytes), worker decodes and re-encodes, postMessage back, main decodes; one in flight; methods interleaved',
      methods: {
        clone: 'structured clone of the object by postMessage, both ways',
        msgpack: 'msgpackr pack (useRecords) copied into an exact-size ArrayBuffer, transferred, unpacked on the other side, both ways',
        codecMsgpack: 'encodePayload with { thresholdBytes: 0, maxStringShare: 1 } (its msgpack path, walk included) and decodePayload, both ways',
        codec: 'encodePayload/decodePayload with their defaults, both ways',
      },
      defaultTransferThreshold: DEFAULT_TRANSFER_THRESHOLD,
      defaultMaxStringShare: DEFAULT_MAX_STRING_SHARE,
      stringShareRows: `${label(STRING_SHARE_SIZE)} of records with ${TEXT_LENGTHS.join(', ')} characters of free text each, and 100 in non-ASCII words`,
    },
    results: {
      bySize,
      crossover: {
        /**
         * Estimated size of the smallest payload from which the codec's msgpack path has the lower
         * median at every larger size (null: at none): what DEFAULT_TRANSFER_THRESHOLD is set from.
         */
        codecMsgpackFasterFromEstimatedBytes: crossover((r) => r.faster === 'msgpack'),
        codecMsgpackCheaperCpuFromEstimatedBytes: crossover((r) => r.ratios.cloneOverCodecMsgpackCpu > 1),
        /** The same for raw msgpackr, without the codec's walk. */
        rawMsgpackFasterFromEstimatedBytes: crossover((r) => r.ratios.cloneOverMsgpack > 1),
        defaultTransferThreshold: DEFAULT_TRANSFER_THRESHOLD,
        codecChoseFasterEverywhere: ordered.every((r) => r.codecChoseFaster),
      },
      stringShare: stringShareRows,
      choices,
    },
  });
}

runBenchmark(NAME, main);

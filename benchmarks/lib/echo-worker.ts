/**
 * The worker thread of `benchmarks/payload-transfer.ts` (and of the codec's tests): decodes what it
 * receives and sends it back by the same path, as a pool worker decodes a step's input and encodes
 * its output. {@link startEchoWorker} starts it from TypeScript source; {@link EchoPeer} is the
 * main thread's side of it.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { EventLoopUtilization } from 'node:perf_hooks';
import { parentPort, Worker, workerData } from 'node:worker_threads';
import { Packr, Unpackr } from 'msgpackr';
import { decodePayload, encodePayload, type EncodeOptions, type Payload } from '../../src/pool/codec.js';

/** What the benchmark sends; the worker answers with the same `kind`. */
export type EchoRequest =
  /** Structured clone both ways: the value is the message. */
  | { readonly kind: 'clone'; readonly value: unknown }
  /** Raw msgpackr both ways: bytes in an exclusively owned, transferred ArrayBuffer. */
  | { readonly kind: 'msgpack'; readonly bytes: Uint8Array }
  /** The codec both ways, choosing its path per value. */
  | { readonly kind: 'codec'; readonly payload: Payload; readonly options?: EncodeOptions };

/** The worker's answer, by the path of the request. */
export type EchoReply =
  | { readonly kind: 'clone'; readonly value: unknown }
  | { readonly kind: 'msgpack'; readonly bytes: Uint8Array }
  | { readonly kind: 'codec'; readonly payload: Payload };

/** The raw path's msgpackr options: the codec's (src/pool/codec.ts). */
export const RAW_PACK_OPTIONS = { useRecords: true, mapsAsObjects: true, useToJSON: false } as const;

/**
 * How a round trip carries the value: structured clone; raw msgpackr + transfer; the codec with
 * its msgpack path forced (`codecMsgpack`); the codec with its defaults.
 */
export const ECHO_METHODS = ['clone', 'msgpack', 'codecMsgpack', 'codec'] as const;
export type EchoMethod = (typeof ECHO_METHODS)[number];

/** The codec with its msgpack path forced: what that path costs, safety walk included. */
export const FORCE_MSGPACK: EncodeOptions = { thresholdBytes: 0, maxStringShare: 1 };

/** Marks the worker this module serves in (not, say, a test runner's worker thread that imports it). */
const ECHO_MARK = 'troupe-echo-worker';

/**
 * Starts this module in a worker thread, from source. On Node 20 `execArgv: ['--import', 'tsx']`
 * does not reach a worker's module loader (its entry fails with ERR_UNKNOWN_FILE_EXTENSION), so
 * the worker runs a bootstrap that registers tsx's loader and then imports this file.
 */
export function startEchoWorker(): Worker {
  const bootstrap =
    `import(${JSON.stringify(tsxEsmApi())}).then(({ register }) => { register(); ` +
    `return import(${JSON.stringify(import.meta.url)}); });`;
  return new Worker(bootstrap, { eval: true, workerData: ECHO_MARK });
}

/**
 * The file URL of tsx's ESM `tsx/esm/api`. Not a bare specifier: an eval worker resolves those from
 * the working directory. Not `require.resolve`: that picks the CommonJS build, whose `register`
 * fails to find its hooks when imported this way. Not `import.meta.resolve`: vitest lacks it.
 */
function tsxEsmApi(): string {
  const require = createRequire(import.meta.url);
  const manifest = require.resolve('tsx/package.json');
  const { exports } = require(manifest) as { exports: Record<'./esm/api', { import: { default: string } }> };
  return pathToFileURL(join(dirname(manifest), exports['./esm/api'].import.default)).href;
}

/** The main side of one echo worker: the ways to send it a value and get it back, one at a time. */
export class EchoPeer {
  readonly #worker: Worker;
  readonly #packer = new Packr(RAW_PACK_OPTIONS);
  readonly #unpacker = new Unpackr({ mapsAsObjects: true });
  #pending: { resolve: (reply: EchoReply) => void; reject: (err: Error) => void } | null = null;
  #failure: Error | null = null;

  private constructor(worker: Worker) {
    this.#worker = worker;
    worker.on('message', (reply: EchoReply) => {
      const pending = this.#pending;
      this.#pending = null;
      pending?.resolve(reply);
    });
    const fail = (err: Error): void => {
      this.#failure ??= err;
      const pending = this.#pending;
      this.#pending = null;
      pending?.reject(err);
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`echo worker exited with code ${code}`)));
  }

  static async start(): Promise<EchoPeer> {
    const peer = new EchoPeer(startEchoWorker());
    // The first round trip waits for the worker to load the codec through tsx.
    await peer.roundTrip('codec', { warm: true });
    return peer;
  }

  #send(request: EchoRequest, transfer: ArrayBuffer[]): Promise<EchoReply> {
    return new Promise((resolve, reject) => {
      if (this.#failure !== null) {
        reject(this.#failure);
        return;
      }
      this.#pending = { resolve, reject };
      this.#worker.postMessage(request, transfer);
    });
  }

  /**
   * One round trip main → worker → main by `method`, encoding and decoding included. Resolves to
   * the value back and the main thread's time to send (encode and postMessage, which serializes).
   */
  async roundTrip(method: EchoMethod, value: unknown): Promise<{ value: unknown; sendUs: number }> {
    const start = performance.now();
    switch (method) {
      case 'clone': {
        const sent = this.#send({ kind: 'clone', value }, []);
        const sendUs = (performance.now() - start) * 1000;
        return { value: ((await sent) as { value: unknown }).value, sendUs };
      }
      case 'msgpack': {
        const bytes = new Uint8Array(this.#packer.pack(value));
        const sent = this.#send({ kind: 'msgpack', bytes }, [bytes.buffer]);
        const sendUs = (performance.now() - start) * 1000;
        return { value: this.#unpacker.unpack(((await sent) as { bytes: Uint8Array }).bytes), sendUs };
      }
      case 'codecMsgpack':
      case 'codec': {
        const options = method === 'codec' ? undefined : FORCE_MSGPACK;
        const { payload, transfer } = encodePayload(value, options);
        const sent = this.#send({ kind: 'codec', payload, options }, transfer);
        const sendUs = (performance.now() - start) * 1000;
        return { value: decodePayload(((await sent) as { payload: Payload }).payload), sendUs };
      }
    }
  }

  /** The worker's event-loop utilization (its busy time), as `performance.eventLoopUtilization` takes it. */
  workerElu(since?: EventLoopUtilization): EventLoopUtilization {
    return this.#worker.performance.eventLoopUtilization(since);
  }

  close(): Promise<number> {
    return this.#worker.terminate();
  }
}

function serve(port: NonNullable<typeof parentPort>): void {
  const packer = new Packr(RAW_PACK_OPTIONS);
  const unpacker = new Unpackr({ mapsAsObjects: true });
  port.on('message', (msg: EchoRequest) => {
    switch (msg.kind) {
      case 'clone':
        port.postMessage({ kind: 'clone', value: msg.value } satisfies EchoReply);
        return;
      case 'msgpack': {
        const value: unknown = unpacker.unpack(msg.bytes);
        const bytes = new Uint8Array(packer.pack(value));
        port.postMessage({ kind: 'msgpack', bytes } satisfies EchoReply, [bytes.buffer]);
        return;
      }
      case 'codec': {
        const { payload, transfer } = encodePayload(decodePayload(msg.payload), msg.options);
        port.postMessage({ kind: 'codec', payload } satisfies EchoReply, transfer);
        return;
      }
    }
  });
}

if (parentPort !== null && workerData === ECHO_MARK) serve(parentPort);

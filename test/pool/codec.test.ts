import { MessageChannel, type Worker } from 'node:worker_threads';
import fc from 'fast-check';
import { Packr, Unpackr } from 'msgpackr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEchoWorker, type EchoReply, type EchoRequest } from '../../benchmarks/lib/echo-worker.js';
import {
  DEFAULT_TRANSFER_THRESHOLD,
  decodePayload,
  encodePayload,
  estimateSize,
  type EncodeOptions,
  type Encoded,
  type Payload,
} from '../../src/pool/codec.js';

/** msgpack for every plain-JSON object or array, whatever its size or strings. */
const MSGPACK: EncodeOptions = { thresholdBytes: 0, maxStringShare: 1 };
const CLONE: EncodeOptions = { thresholdBytes: Infinity };

/** What the other side of a postMessage gets: the payload structured-cloned, its transfer list moved. */
function acrossBoundary({ payload, transfer }: Encoded): Payload {
  return structuredClone(payload, { transfer });
}

function roundTrip(value: unknown, options?: EncodeOptions): unknown {
  return decodePayload(acrossBoundary(encodePayload(value, options)));
}

/** Step data of about `records` × 150 bytes: log records with strings, integers, floats, booleans and a nested object. */
function logRecords(records: number): { run: unknown; records: unknown[] } {
  return {
    run: { id: 'run-1', step: { id: 'triage', attempt: 1 }, labels: { team: 'sre', tags: ['a', 'b'] } },
    records: Array.from({ length: records }, (_, i) => ({
      ts: 1_735_689_600_000 + i,
      level: ['info', 'warn', 'error'][i % 3],
      message: `request ${i} handled in ${i % 97} ms`,
      durationMs: i * 1.25,
      ok: i % 7 !== 0,
      attrs: { host: `node-${i % 12}`, bytes: i * 31 },
    })),
  };
}

/** JSON values whose strings are any UTF-16 code units, lone surrogates included. */
const jsonWithAnyCodeUnits = fc.jsonValue({
  stringUnit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)),
  maxDepth: 4,
});

describe('payload codec', () => {
  describe('round trip', () => {
    it('gives back a deep-equal value for any JSON value by msgpack (threshold 0)', () => {
      fc.assert(
        fc.property(fc.jsonValue({ maxDepth: 5 }), (value) => {
          expect(roundTrip(value, MSGPACK)).toEqual(value);
        }),
        { numRuns: 500 },
      );
    });

    it('gives back a deep-equal value for any JSON value by clone (threshold Infinity)', () => {
      fc.assert(
        fc.property(fc.jsonValue({ maxDepth: 5 }), (value) => {
          const encoded = encodePayload(value, CLONE);
          expect(encoded.payload.kind).toBe('clone');
          expect(encoded.transfer).toEqual([]);
          expect(decodePayload(acrossBoundary(encoded))).toEqual(value);
        }),
        { numRuns: 300 },
      );
    });

    it('gives back any string, lone surrogates included, on either path', () => {
      fc.assert(
        fc.property(jsonWithAnyCodeUnits, (value) => {
          expect(roundTrip(value, MSGPACK)).toEqual(value);
          expect(roundTrip(value, CLONE)).toEqual(value);
        }),
        { numRuns: 300 },
      );
    });

    it('uses msgpack for plain JSON objects and arrays when forced', () => {
      fc.assert(
        fc.property(fc.array(fc.record({ id: fc.integer(), name: fc.string({ unit: 'grapheme' }), score: fc.double({ noNaN: true }) })), (value) => {
          fc.pre(!value.some((r) => Object.is(r.score, -0)));
          expect(encodePayload(value, MSGPACK).payload.kind).toBe('msgpack');
        }),
        { numRuns: 100 },
      );
    });

    it('keeps unicode, big and negative numbers, and non-finite numbers on the msgpack path', () => {
      const value = {
        text: ['héllo wörld', '日本語のテキスト', '😀👩‍👩‍👧', 'tab\tnewline\n', '', '\u0000', '\uFFFD', 'x'.repeat(70_000)],
        numbers: [0, 1, -1, 31, -32, 127, 128, 255, 256, 65_535, 65_536, 2 ** 31, -(2 ** 31), 2 ** 32, -(2 ** 31) - 1, 2 ** 53, -(2 ** 53), 2 ** 64, 1e308, -1e308, 5e-324, 0.1, -0.5, Math.PI],
        nonFinite: [NaN, Infinity, -Infinity],
      };
      expect(encodePayload(value, MSGPACK).payload.kind).toBe('msgpack');
      expect(roundTrip(value, MSGPACK)).toEqual(value);
    });

    it('keeps keys that are special to JavaScript or to msgpackr', () => {
      const value = JSON.parse(
        '{"constructor":1,"toJSON":"x","hasOwnProperty":2,"valueOf":3,"toString":4,"prototype":5,"__proto_":6,"":7,"0":8,"-1":9,"1.5":10,"é":11}',
      ) as unknown;
      expect(encodePayload(value, MSGPACK).payload.kind).toBe('msgpack');
      const back = roundTrip(value, MSGPACK);
      expect(back).toEqual(value);
      expect(Object.keys(back as object)).toEqual(Object.keys(value as object));
    });

    it('keeps many differently shaped records in one payload (more shapes than msgpackr has record ids)', () => {
      const value = Array.from({ length: 500 }, (_, i) => ({ [`k${i}`]: i, [`j${i % 7}`]: `v${i}`, shared: i % 2 === 0 }));
      expect(roundTrip(value, MSGPACK)).toEqual(value);
    });

    it('keeps an object with more than 65,535 keys', () => {
      const value = Object.fromEntries(Array.from({ length: 70_000 }, (_, i) => [`key${i}`, i]));
      expect(roundTrip(value, MSGPACK)).toEqual(value);
    });

    it('keeps nested arrays 200 levels deep on the msgpack path', () => {
      let value: unknown = ['leaf'];
      for (let i = 0; i < 200; i++) value = [value, i];
      expect(encodePayload(value, MSGPACK).payload.kind).toBe('msgpack');
      expect(roundTrip(value, MSGPACK)).toEqual(value);
    });

    it('decodes with the same result after many encodes (the packer reuses its buffer)', () => {
      const values = Array.from({ length: 50 }, (_, i) => logRecords(i * 20));
      const encoded = values.map((v) => encodePayload(v, MSGPACK));
      encoded.forEach((e, i) => expect(decodePayload(e.payload)).toEqual(values[i]));
    });
  });

  describe('when a value is not plain JSON', () => {
    class Point {
      constructor(
        readonly x: number,
        readonly y: number,
      ) {}
    }
    const cyclic: Record<string, unknown> = { name: 'loop' };
    cyclic['self'] = cyclic;
    let deep: unknown = 'leaf';
    for (let i = 0; i < 1_000; i++) deep = [deep];
    const cases: [string, unknown][] = [
      ['a Date', { at: new Date(0) }],
      ['a Map', { m: new Map([['a', 1]]) }],
      ['a Set', { s: new Set([1, 2]) }],
      ['a typed array', { bytes: new Uint8Array([1, 2, 3]) }],
      ['a Float64Array', [new Float64Array([1.5])]],
      ['undefined inside an object', { a: 1, b: undefined }],
      ['undefined inside an array', [1, undefined, 3]],
      ['an array with a hole', [1, , 3]], // eslint-disable-line no-sparse-arrays
      ['a class instance', { p: new Point(1, 2) }],
      ['a bigint', { n: 10n }],
      ['-0', { zero: -0 }],
      ['a lone surrogate in a string', { s: 'a\uD800b' }],
      ['a lone surrogate in a key', { ['k\uDC00']: 1 }],
      ['an own __proto__ key', JSON.parse('{"a":1,"__proto__":{"x":1}}')],
      ['a cycle', cyclic],
      ['nesting deeper than msgpackr can recurse', deep],
    ];

    it.each(cases)('takes the clone path for %s', (_name, value) => {
      const encoded = encodePayload(value, MSGPACK);
      expect(encoded.payload.kind).toBe('clone');
      expect(encoded.transfer).toEqual([]);
    });

    it.each(cases)('arrives as structured clone delivers it, for %s', (_name, value) => {
      expect(roundTrip(value, MSGPACK)).toStrictEqual(structuredClone(value));
    });

    it('keeps -0 as -0', () => {
      const back = roundTrip({ zero: -0, list: [-0] }, MSGPACK) as { zero: number; list: number[] };
      expect(Object.is(back.zero, -0)).toBe(true);
      expect(Object.is(back.list[0], -0)).toBe(true);
    });

    it('sends a null-prototype object by msgpack; it arrives with Object.prototype, as by structured clone', () => {
      const value = Object.assign(Object.create(null) as Record<string, unknown>, { a: 1, b: 'two' });
      expect(encodePayload(value, MSGPACK).payload.kind).toBe('msgpack');
      const back = roundTrip(value, MSGPACK);
      expect(Object.getPrototypeOf(back)).toBe(Object.getPrototypeOf(structuredClone(value)));
      expect(back).toEqual({ a: 1, b: 'two' });
    });
  });

  describe('an own __proto__ key', () => {
    it('is renamed by msgpackr on decode (why the codec sends such values by clone)', () => {
      const packer = new Packr({ useRecords: true, mapsAsObjects: true });
      const value = JSON.parse('{"__proto__":{"polluted":true},"a":1}') as object;
      const back = new Unpackr({ mapsAsObjects: true }).unpack(packer.pack(value)) as object;
      expect(Object.keys(back)).toEqual(['__proto_', 'a']);
    });

    it('survives the codec as an own key, without touching any prototype', () => {
      const value = JSON.parse('{"__proto__":{"polluted":true},"a":1}') as object;
      const back = roundTrip(value, MSGPACK) as Record<string, unknown>;
      expect(Object.keys(back)).toEqual(['__proto__', 'a']);
      expect(Object.getOwnPropertyDescriptor(back, '__proto__')?.value).toEqual({ polluted: true });
      expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
      expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    });

    it('deep inside an array of records also sends the value by clone', () => {
      const value = logRecords(50);
      (value.records as unknown[]).push(JSON.parse('{"__proto__":1}'));
      expect(encodePayload(value, MSGPACK).payload.kind).toBe('clone');
      expect(roundTrip(value, MSGPACK)).toEqual(value);
    });
  });

  describe('choosing a path with the defaults', () => {
    it('clones a small value', () => {
      expect(encodePayload(logRecords(2)).payload.kind).toBe('clone');
    });

    it('sends a value well above the threshold by msgpack, transferring its buffer', () => {
      const value = logRecords(Math.ceil((DEFAULT_TRANSFER_THRESHOLD * 2) / 100));
      expect(estimateSize(value, Infinity)).toBeGreaterThan(DEFAULT_TRANSFER_THRESHOLD);
      const { payload, transfer } = encodePayload(value);
      expect(payload.kind).toBe('msgpack');
      expect(transfer).toHaveLength(1);
      expect(transfer[0]).toBe((payload as { bytes: Uint8Array }).bytes.buffer);
    });

    it('clones a large value made mostly of text (structured clone copies strings faster)', () => {
      const documents = Math.ceil((DEFAULT_TRANSFER_THRESHOLD * 2) / 24_000);
      const value = { documents: Array.from({ length: documents }, (_, i) => `document ${i} `.repeat(2_000)) };
      expect(estimateSize(value, Infinity)).toBeGreaterThan(DEFAULT_TRANSFER_THRESHOLD);
      expect(encodePayload(value).payload.kind).toBe('clone');
    });

    it('clones a top-level string or number however large', () => {
      expect(encodePayload('x'.repeat(1_000_000), MSGPACK).payload.kind).toBe('clone');
      expect(encodePayload(42, MSGPACK).payload.kind).toBe('clone');
    });

    it('switches to msgpack exactly when estimateSize passes thresholdBytes', () => {
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 200 }), (n) => {
          const value = logRecords(n);
          const estimate = estimateSize(value, Infinity);
          expect(encodePayload(value, { thresholdBytes: estimate }).payload.kind).toBe('clone');
          expect(encodePayload(value, { thresholdBytes: estimate - 1 }).payload.kind).toBe('msgpack');
        }),
        { numRuns: 30 },
      );
    });

    it('clones everything with thresholdBytes Infinity', () => {
      expect(encodePayload(logRecords(10_000), CLONE).payload.kind).toBe('clone');
    });

    it.each([[-1], [NaN], ['1024']])('rejects thresholdBytes %j with TROUPE_RUNTIME_OPTIONS_INVALID', (threshold) => {
      expect(() => encodePayload({}, { thresholdBytes: threshold as number })).toThrow(expect.objectContaining({ code: 'TROUPE_RUNTIME_OPTIONS_INVALID' }));
    });

    it.each([[-0.1], [1.5], [NaN]])('rejects maxStringShare %j with TROUPE_RUNTIME_OPTIONS_INVALID', (share) => {
      expect(() => encodePayload({}, { maxStringShare: share })).toThrow(expect.objectContaining({ code: 'TROUPE_RUNTIME_OPTIONS_INVALID' }));
    });
  });

  describe('decodePayload', () => {
    it('rejects an unknown payload kind with a TypeError', () => {
      expect(() => decodePayload({ kind: 'json', text: '{}' } as unknown as Payload)).toThrow(TypeError);
    });
  });

  describe('estimateSize', () => {
    it('is within 25% of the JSON length of step data', () => {
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 400 }), (n) => {
          const value = logRecords(n);
          const json = JSON.stringify(value).length;
          const estimate = estimateSize(value, Infinity);
          expect(estimate).toBeGreaterThan(json * 0.75);
          expect(estimate).toBeLessThan(json * 1.25);
        }),
        { numRuns: 50 },
      );
    });

    it('stops walking once the estimate passes the limit', () => {
      let reads = 0;
      const value = Array.from({ length: 10_000 }, () =>
        Object.defineProperty({}, 'v', {
          enumerable: true,
          get() {
            reads++;
            return 'abcdefghij';
          },
        }),
      );
      const estimate = estimateSize(value, 1_000);
      expect(estimate).toBeGreaterThan(1_000);
      expect(reads).toBeLessThan(100);
    });

    it('terminates on a cyclic value with a finite limit', () => {
      const cyclic: Record<string, unknown> = {};
      cyclic['self'] = cyclic;
      expect(estimateSize(cyclic, 10_000)).toBeGreaterThan(10_000);
    });

    it('does not overflow the stack on deep nesting', () => {
      let deep: unknown = 1;
      for (let i = 0; i < 100_000; i++) deep = [deep];
      expect(estimateSize(deep, Infinity)).toBe(100_000 * 3 + 9);
    });

    it('counts typed arrays by byteLength', () => {
      expect(estimateSize(new Float64Array(1_000), Infinity)).toBe(8_000);
    });
  });

  describe('the transferred buffer', () => {
    it('is owned by the payload alone: transferring one payload leaves another intact', async () => {
      const a = logRecords(300);
      const b = logRecords(301);
      const encodedA = encodePayload(a, MSGPACK);
      const encodedB = encodePayload(b, MSGPACK);
      const bytesA = (encodedA.payload as { bytes: Uint8Array }).bytes;
      const bytesB = (encodedB.payload as { bytes: Uint8Array }).bytes;
      expect(bytesA.buffer).not.toBe(bytesB.buffer);
      // Exactly the payload: nothing else crosses with it.
      expect(bytesA.byteOffset).toBe(0);
      expect(bytesA.byteLength).toBe(bytesA.buffer.byteLength);

      const { port1, port2 } = new MessageChannel();
      try {
        const received = new Promise<Payload>((resolve) => port2.once('message', resolve));
        port1.postMessage(encodedA.payload, encodedA.transfer);
        // The sender's view is detached: the bytes moved, they were not copied.
        expect(bytesA.byteLength).toBe(0);
        expect(encodedA.transfer[0]?.byteLength).toBe(0);
        // The other payload, encoded before the transfer, is untouched.
        expect(decodePayload(encodedB.payload)).toEqual(b);
        expect(decodePayload(await received)).toEqual(a);
        // And the packer still works after its output's copy was transferred.
        expect(roundTrip(logRecords(302), MSGPACK)).toEqual(logRecords(302));
      } finally {
        port1.close();
        port2.close();
      }
    });
  });

  describe('across a real worker thread', () => {
    let worker: Worker;

    beforeAll(() => {
      worker = startEchoWorker();
    });

    afterAll(async () => {
      await worker.terminate();
    });

    /** Sends `value` through the codec to the worker, which decodes it and sends it back through the codec. */
    function echo(value: unknown, options?: EncodeOptions): Promise<{ sent: Encoded; reply: Payload }> {
      const sent = encodePayload(value, options);
      return new Promise((resolve, reject) => {
        worker.once('message', (reply: EchoReply) => resolve({ sent, reply: (reply as { payload: Payload }).payload }));
        worker.once('error', reject);
        worker.postMessage({ kind: 'codec', payload: sent.payload, options } satisfies EchoRequest, sent.transfer);
      });
    }

    it('carries a large payload both ways as transferred msgpack bytes', async () => {
      const value = logRecords(2_000);
      const { sent, reply } = await echo(value, { thresholdBytes: 64 * 1024 });
      expect(sent.payload.kind).toBe('msgpack');
      expect(sent.transfer[0]?.byteLength).toBe(0);
      expect(reply.kind).toBe('msgpack');
      expect(decodePayload(reply)).toEqual(value);
    });

    it('carries a small payload both ways by structured clone', async () => {
      const value = { step: 'triage', input: { alert: 'disk full', severity: 2 } };
      const { sent, reply } = await echo(value);
      expect(sent.payload.kind).toBe('clone');
      expect(reply.kind).toBe('clone');
      expect(decodePayload(reply)).toEqual(value);
    });
  });
});

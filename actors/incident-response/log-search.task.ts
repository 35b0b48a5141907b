/**
 * The log-search agent's work, run in a worker thread of its pool (the agent's manifest is
 * `log-search.ts`). Generating and scanning a corpus of about 4 MB takes hundreds of milliseconds
 * of synchronous CPU, which would stall every run sharing the runtime's event loop; in a worker it
 * stalls only that worker. The module sees only its task's input and imports nothing from troupe
 * at run time.
 */
import type { WorkerContext } from 'troupe';
import { CorpusCache, isoSeconds, searchCorpus, type AbortCheck } from './lib/log-corpus.js';
import type { LogSearchInput, LogSearchOutput } from './types.js';

/**
 * The corpora this worker generated. Module-level on purpose, and still per worker: each worker
 * thread imports this module into its own isolate, so the cache is shared only by the tasks one
 * worker runs (a worker module has no `setup` hook; this is its state). It goes when the worker is
 * recycled or stops, and it never affects the output, only how fast it comes.
 */
const cache = new CorpusCache();

/**
 * Search the alert's log corpus for its indicators, one regular expression per indicator.
 *
 * @param input - the alert id, its indicators, and optionally the instant and the corpus size.
 * @param ctx - the worker context; its `throwIfAborted` is called every few thousand lines, so a
 * timeout or a cancellation stops the scan (the worker's timers cannot fire while it computes).
 * @returns hit counts, hosts, first/last seen and samples per indicator; the same input always gives the same output.
 * @throws `TROUPE_AGENT_TIMEOUT` or `TROUPE_RUN_CANCELLED` (from `ctx.throwIfAborted`).
 *
 * @example
 * ```ts
 * const out = execute({ alertId: 'ALERT-1', indicators }, ctx);
 * out.hits[0]; // { indicator: '203.0.113.66', kind: 'ip', count: 7, hosts: [...], firstSeen, lastSeen, samples }
 * ```
 */
export function execute(input: LogSearchInput, ctx: WorkerContext): LogSearchOutput {
  return searchLogs(input, ctx, cache);
}

/** What {@link execute} does, with the cache passed in (tests give each case its own). */
export function searchLogs(input: LogSearchInput, abort: AbortCheck, corpora: CorpusCache): LogSearchOutput {
  abort.throwIfAborted();
  const options = { alertId: input.alertId, indicators: input.indicators, around: input.around, lines: input.lines };
  const corpus = corpora.get(options, abort);
  const found = searchCorpus(corpus, input.indicators, abort);
  return {
    corpus: { seed: corpus.seed, lines: corpus.lines.length, from: isoSeconds(corpus.from), to: isoSeconds(corpus.to) },
    ...found,
  };
}

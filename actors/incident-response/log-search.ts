import { defineAgent } from 'troupe';
import { CorpusCache, generateCorpus, isoSeconds, searchCorpus } from './lib/log-corpus.js';
import { logSearchInputSchema, logSearchOutputSchema } from './schemas.js';
import type { LogSearchInput, LogSearchOutput } from './types.js';

/**
 * Log search (capability `log-search`): searches a synthetic log corpus for the indicators, one
 * regular expression per indicator, and reports hit counts, hosts and first/last seen.
 *
 * The corpus (3000 lines by default) is generated on first use from a PRNG seeded by
 * `alertId`, around `around`, with the indicators planted at seeded places; each instance keeps
 * the last few corpora (its `setup` state), so nothing is generated at import. The same input
 * always gives the same output.
 *
 * @example
 * ```ts
 * const out = await logSearch.definition.execute({ alertId: 'ALERT-1', indicators }, ctx);
 * out.hits[0]; // { indicator: '203.0.113.66', kind: 'ip', count: 7, hosts: [...], firstSeen, lastSeen, samples }
 * ```
 */
export const logSearch = defineAgent<LogSearchInput, LogSearchOutput>({
  id: 'log-search',
  capabilities: ['log-search'],
  description: 'Searches a deterministic synthetic log corpus for indicators with regular expressions.',
  input: logSearchInputSchema,
  output: logSearchOutputSchema,
  timeout: '10s',
  retry: { max: 2, backoff: 'exponential', base: '50ms' },
  setup: () => new CorpusCache(8),
  execute(input, ctx) {
    ctx.signal.throwIfAborted();
    const options = { alertId: input.alertId, indicators: input.indicators, around: input.around, lines: input.lines };
    const corpus = ctx.state instanceof CorpusCache ? ctx.state.get(options) : generateCorpus(options);
    const found = searchCorpus(corpus, input.indicators, ctx.signal);
    return {
      corpus: { seed: corpus.seed, lines: corpus.lines.length, from: isoSeconds(corpus.from), to: isoSeconds(corpus.to) },
      ...found,
    };
  },
});

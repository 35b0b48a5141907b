import { defineAgent } from 'troupe';
import { logSearchInputSchema, logSearchOutputSchema } from './schemas.js';
import type { LogSearchInput, LogSearchOutput } from './types.js';

/**
 * Log search (capability `log-search`): a worker agent. It searches a synthetic log corpus of
 * about 4 MB (44,000 lines by default) for the indicators, one regular expression per indicator,
 * and reports hit counts, hosts and first/last seen. That is CPU-bound work, so it runs in a pool
 * of worker threads (`log-search.task.ts`) and the event loop every run shares stays free.
 *
 * The corpus is generated on first use from a PRNG seeded by `alertId`, around `around`, with the
 * indicators planted at seeded places; each worker keeps the last few corpora, so nothing is
 * generated at import. The same input always gives the same output, in whichever worker it runs.
 *
 * @example
 * ```ts
 * const runtime = await createRuntime({ agents: [logSearch] });
 * // a step `{ capability: 'log-search', input: { alertId, indicators } }` runs execute() of log-search.task.ts in a worker
 * ```
 */
export const logSearch = defineAgent<LogSearchInput, LogSearchOutput>({
  kind: 'worker',
  id: 'log-search',
  module: new URL('./log-search.task.ts', import.meta.url),
  pool: { maxThreads: 2, maxQueue: 64, recycleAfter: 1000 },
  capabilities: ['log-search'],
  description: 'Searches a deterministic synthetic log corpus (about 4 MB) for indicators with regular expressions, in a worker thread.',
  input: logSearchInputSchema,
  output: logSearchOutputSchema,
  timeout: '10s',
  retry: { max: 2, backoff: 'exponential', base: '50ms' },
});

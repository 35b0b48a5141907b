import type { ErrorValue } from '../errors/index.js';

/**
 * The typed error for a task whose worker died under it: out of memory (`resourceLimits`),
 * `process.exit()`, an uncaught error outside the task, or an output that could not be cloned.
 *
 * @param err - what the pool adapter reported.
 * @param what - names the task (e.g. `agent log-scan on step logs of run r1`).
 */
export function workerFailure(err: unknown, what: string): ErrorValue {
  const code = (err as { code?: unknown } | null)?.code;
  const message = err instanceof Error ? err.message : String(err);
  if (code === 'ERR_WORKER_OUT_OF_MEMORY' || /out of memory|heap limit|JavaScript heap/i.test(message)) {
    return { code: 'TROUPE_AGENT_OUT_OF_MEMORY', message: `${what} ran out of memory (${message}); its worker was replaced`, data: { reason: message } };
  }
  if ((err as { name?: unknown } | null)?.name === 'DataCloneError' || /could not be cloned/i.test(message)) {
    return { code: 'TROUPE_AGENT_OUTPUT_INVALID', message: `${what}: its output cannot cross the worker boundary (${message}); return plain JSON data`, data: { reason: message } };
  }
  const exit = /exited with code:? (-?\d+)/i.exec(message);
  if (exit) {
    return { code: 'TROUPE_WORKER_EXITED', message: `${what}: its worker exited with code ${exit[1]} before answering; it was replaced`, data: { exitCode: Number(exit[1]) } };
  }
  return { code: 'TROUPE_WORKER_EXITED', message: `${what}: its worker crashed before answering (${message}); it was replaced`, data: { reason: message } };
}

/** How many synchronous continuations may nest on one stack before one waits for a microtask. */
const MAX_NESTED = 32;
let nested = 0;

/**
 * Go on with a run at once (its entry is in an in-memory store already: no promise to wait for),
 * or on a microtask when as many continuations are nested on this stack already. Without the
 * bound a long chain of steps whose agents answer at once would run in one ever deeper stack.
 * `go` handles its own errors.
 */
export function proceed(go: () => void): void {
  if (nested >= MAX_NESTED) {
    queueMicrotask(go);
    return;
  }
  nested++;
  try {
    go();
  } finally {
    nested--;
  }
}

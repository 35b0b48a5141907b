// One 'abort' listener per signal, fanning out to the callbacks registered on it. A listener per
// call would make each removal O(listeners) (10k calls in flight on one runtime signal cost ~500
// µs each) and trip Node's MaxListenersExceededWarning. Keyed weakly by the caller's signal, so it
// holds no state of its own: two runtimes never share a signal, and a dropped signal is collected.
const fanouts = new WeakMap<AbortSignal, Set<() => void>>();

/**
 * Call `fn` once when `signal` aborts, sharing one listener among every callback on that signal.
 *
 * @returns a function that unregisters `fn` (O(1)); a no-op after the signal aborted.
 */
export function onAbort(signal: AbortSignal, fn: () => void): () => void {
  let set = fanouts.get(signal);
  if (set === undefined) {
    const calls = new Set<() => void>();
    fanouts.set(signal, calls);
    signal.addEventListener(
      'abort',
      () => {
        fanouts.delete(signal);
        for (const f of calls) f();
        calls.clear();
      },
      { once: true },
    );
    set = calls;
  }
  const calls = set;
  calls.add(fn);
  return () => calls.delete(fn);
}

/** Freeze a JSON-like value and everything reachable from it; returns it. Already-frozen parts are skipped. */
export function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value;
  Object.freeze(value);
  if (Array.isArray(value)) {
    for (const v of value) deepFreeze(v);
  } else if (!ArrayBuffer.isView(value)) {
    for (const k in value) deepFreeze((value as Record<string, unknown>)[k]);
  }
  return value;
}

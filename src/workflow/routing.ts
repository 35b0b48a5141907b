import type { CompiledNext } from './compile.js';
import type { ContextView } from './context.js';

/**
 * Decide where a run goes next: the first rule whose `when` is true (or that has none), or
 * `null` (the run ends). Static routes cost nothing: no expression is evaluated.
 */
export async function route(next: CompiledNext, view: ContextView): Promise<string | null> {
  if (next.kind === 'static') return next.to;
  for (const rule of next.rules) {
    if (rule.when === null || truthy(await rule.when.evaluate(view))) return rule.to;
  }
  return null;
}

/** JSONata truthiness for conditions: `undefined`, `null`, `false`, 0, '' and empty arrays are false. */
export function truthy(v: unknown): boolean {
  if (Array.isArray(v)) return v.some(truthy);
  return Boolean(v);
}

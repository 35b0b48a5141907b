import { TroupeError } from '../errors/index.js';
import type { InstanceLoad, PolicyName, RoutingPolicy } from './types.js';

/**
 * Round-robin: the candidate at `state.cursor` (modulo the number of candidates), then advance
 * the cursor. Pure but for the router-owned cursor it advances.
 *
 * @param candidates - available instances with mailbox room.
 * @param state - the router's per-target policy state.
 * @returns the chosen index, or -1 when there are no candidates.
 */
export const roundRobin: RoutingPolicy = (candidates, state) => {
  const n = candidates.length;
  if (n === 0) return -1;
  let i = state.cursor % n;
  if (!(i >= 0)) i = 0; // negative or NaN cursor
  state.cursor = i + 1 < n ? i + 1 : 0;
  return i;
};

/** Load relative to capacity: (inFlight + queued) / concurrency. */
function loadOf(c: InstanceLoad): number {
  return (c.inFlight + c.queued) / (c.concurrency > 0 ? c.concurrency : 1);
}

/**
 * Least-loaded: the candidate with the smallest `(inFlight + queued) / concurrency`. Ties are
 * broken by rotating through them from the cursor, so idle peers share a burst evenly instead of
 * all of it landing on index 0.
 *
 * @param candidates - available instances with mailbox room.
 * @param state - the router's per-target policy state (the tie-break cursor).
 * @returns the index of a least-loaded candidate, or -1 when there are none.
 */
export const leastLoaded: RoutingPolicy = (candidates, state) => {
  const n = candidates.length;
  if (n === 0) return -1;
  let start = state.cursor % n;
  if (!(start >= 0)) start = 0;
  let best = start;
  let bestLoad = loadOf(candidates[start]!);
  for (let k = 1; k < n; k++) {
    const i = start + k < n ? start + k : start + k - n;
    const load = loadOf(candidates[i]!);
    if (load < bestLoad) {
      best = i;
      bestLoad = load;
    }
  }
  state.cursor = best + 1 < n ? best + 1 : 0;
  return best;
};

/**
 * Weighted random: candidate `i` is chosen with probability `weight_i / sum(weights)`. A weight
 * of 0 (or a negative or non-finite one) is never chosen. Uses only the injected `random`.
 *
 * @param candidates - available instances with mailbox room.
 * @param _state - unused.
 * @param random - a source of numbers in `[0, 1)`.
 * @returns the chosen index, or -1 when no candidate has a positive weight.
 */
export const weighted: RoutingPolicy = (candidates, _state, random) => {
  const n = candidates.length;
  let total = 0;
  let last = -1;
  for (let i = 0; i < n; i++) {
    const w = candidates[i]!.weight;
    if (w > 0 && w < Infinity) {
      total += w;
      last = i;
    }
  }
  if (last === -1) return -1;
  let r = random() * total;
  for (let i = 0; i < last; i++) {
    const w = candidates[i]!.weight;
    if (w > 0 && w < Infinity) {
      if (r < w) return i;
      r -= w;
    }
  }
  return last; // also absorbs floating-point rounding at the top of the range
};

/** The built-in routing policies by name. */
export const policies: Readonly<Record<PolicyName, RoutingPolicy>> = Object.freeze({
  'round-robin': roundRobin,
  'least-loaded': leastLoaded,
  weighted,
});

/** The names of the built-in policies. */
export const policyNames: readonly PolicyName[] = Object.freeze(Object.keys(policies) as PolicyName[]);

/**
 * Look up a built-in routing policy.
 *
 * @param name - `round-robin`, `least-loaded` or `weighted`.
 * @returns the policy function.
 * @throws TroupeError `TROUPE_ROUTING_POLICY_UNKNOWN` naming the value and the known names.
 * @example
 * ```ts
 * const pick = getPolicy('least-loaded');
 * const i = pick(candidates, { cursor: 0 }, Math.random);
 * ```
 */
export function getPolicy(name: string): RoutingPolicy {
  if (typeof name === 'string' && Object.hasOwn(policies, name)) return policies[name as PolicyName];
  throw new TroupeError(
    'TROUPE_ROUTING_POLICY_UNKNOWN',
    `routing policy: expected one of ${policyNames.join(', ')}, got ${JSON.stringify(name) ?? String(name)}`,
    { data: { policy: name, known: policyNames } },
  );
}

import type { SubscriptionTarget } from './protocol.js';

/** What a client's subscriptions cover. A batch is filtered and framed once per distinct feed. */
export interface Feed {
  /** The all-runs feed… */
  readonly runs: boolean;
  /** …taken as a digest: the overview's events go in `digest` frames, the rest in `events` frames. */
  readonly digest: boolean;
  readonly tree: boolean;
  /** The tree with the runs' actors (not `{ kind: 'tree', runs: false }`). */
  readonly treeRuns: boolean;
  /** Followed runs' ids. */
  readonly followed: ReadonlySet<string>;
}

/** A client's feed, and the keys that group clients getting the same frames. */
export interface FeedKeys {
  readonly feed: Feed;
  /** Clients with the same feed get the same `events` frames. */
  readonly feedKey: string;
  /** Digest clients that follow the same runs get the same digests. */
  readonly followedKey: string;
}

/** A subscription's key among a client's subscriptions (subscribing again to the same target replaces it). */
export function subscriptionKey(t: SubscriptionTarget): string {
  return t.kind === 'run' ? `run:${t.runId}` : t.kind;
}

/** What a client's subscriptions (by {@link subscriptionKey}) cover, taking the all-runs feed as a digest or not. */
export function feedOf(subs: ReadonlyMap<string, SubscriptionTarget>, digest: boolean): FeedKeys {
  const followed = new Set<string>();
  for (const t of subs.values()) if (t.kind === 'run') followed.add(t.runId);
  const runs = subs.has('runs');
  const tree = subs.get('tree') as Extract<SubscriptionTarget, { kind: 'tree' }> | undefined;
  const feed: Feed = { runs, digest: digest && runs, tree: tree !== undefined, treeRuns: tree !== undefined && tree.runs !== false, followed };
  return {
    feed,
    feedKey: `${JSON.stringify([...subs.keys()].sort())}${feed.digest ? '+digest' : ''}${feed.tree && !feed.treeRuns ? '-runactors' : ''}`,
    followedKey: JSON.stringify([...followed].sort()),
  };
}

export type { ContextEntry, EntryKind, RunQuery, RunRecord, RunSnapshot, RunStatus, Store, StoredDecision, CachedResponse, AppendOptions } from './types.js';
export { MemoryStore } from './memory-store.js';
export { genesisHash, entryHash, sealEntry, verifyChain, type ChainCheck, type UnhashedEntry } from './chain.js';
export { LmdbStore, type LmdbStoreOptions, type LmdbReadOnlyOptions } from './lmdb-store.js';
export { DB_NAMES, STORE_FORMAT, type Durability, type DbName } from './lmdb-layout.js';
export { FINISHED_STATUSES, isFinished, assertControllable, type RunControl } from './types.js';

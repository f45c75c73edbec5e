// The values a ShardedCodeCache stores and reports. A cache entry is deliberately three small
// integers: the cache is an index shared between threads through a SharedArrayBuffer, so it cannot
// hold JavaScript objects (a CodeHandle) — the owner keeps those in its own table under codeId.

/** What the cache knows about the compiled code for one guest pc. */
export interface CacheEntry {
  /** The owner's id for the compiled code: a u32, never 0 (0 marks an empty bucket). */
  readonly codeId: number
  /** Tier of the code: 0 (interpreter), 1 (fast) or 2 (optimised). */
  readonly tier: number
  /** Bytes of machine code, counted against maxCodeBytes. */
  readonly size: number
}

/**
 * Why an entry left the cache: 'lru' (capacity: maxEntries, maxCodeBytes or a full shard),
 * 'invalidate' (invalidate, invalidateRange or clear) or 'replace' (an insert at the same pc with a
 * different codeId).
 */
export type CacheEvictReason = 'lru' | 'invalidate' | 'replace'

export interface CacheStatistics {
  /** Lookups by get()/getCodeId()/getInto() that found an entry, summed over all attached threads. */
  hits: number
  misses: number
  /** hits / (hits + misses), 0 before the first lookup. */
  hitRate: number
  /** Capacity evictions (reason 'lru'). */
  evictions: number
  /** Entries removed by invalidate, invalidateRange and clear. */
  invalidations: number
  /** Entries replaced by an insert at the same pc with a different codeId. */
  replacements: number
  /** insert() calls. */
  inserts: number
  /** Live entries now. */
  entries: number
  /** Code bytes of live entries now. */
  bytes: number
  shards: number
}

// The byte layout of a ShardedCodeCache's SharedArrayBuffer.
//
// The layout is a contract, not an implementation detail: other worker threads attach to the same
// buffer (ShardedCodeCache.attach), and the native dispatch loop may one day read it directly. So
// every field is a little-endian 32-bit integer at a fixed offset, the whole buffer is addressed
// through one Int32Array, and everything a reader needs to find its way (shard count, table size,
// region offsets) is in the header rather than recomputed from options.
//
//   offset  size                         region
//   0       256                          header (64 × i32, fields below)
//   256     STAT_SLOTS × 64              statistics slots, one 64-byte cache line each
//   …       shards × 64                  shard headers: lock, sequence, live count (one line each)
//   …       shards × buckets × 32        the open-addressing tables, shard after shard
//
// Regions start on 64-byte boundaries and the hot, written words (clock, global counters, each
// shard's lock/seq, each thread's statistics) sit on separate cache lines so that threads touching
// different shards do not invalidate each other's lines (false sharing).

/** 'VJCC' read as a little-endian u32: identifies a code-cache buffer. */
export const MAGIC = 0x4343_4a56
/** Bumped whenever the layout below changes incompatibly. */
export const LAYOUT_VERSION = 1

export const HEADER_BYTES = 256
export const CACHE_LINE_BYTES = 64

// ---- header fields (i32 indices) -------------------------------------------------------------
// Words 0..15 are written once at creation and never change; 16 and 32 are live counters on their
// own cache lines.
export const H_MAGIC = 0
export const H_VERSION = 1
/** Number of shards (a power of two, 1..256). */
export const H_SHARDS = 2
/** Buckets per shard table (a power of two). */
export const H_BUCKETS = 3
/** Bucket size in i32 words (8). */
export const H_BUCKET_WORDS = 4
export const H_MAX_ENTRIES = 5
export const H_MAX_CODE_BYTES = 6
/** Most live entries one shard may hold (≤ buckets / 2, so a probe always meets an empty bucket). */
export const H_SHARD_CAPACITY = 7
/** A hit re-stamps its bucket only if the stamp is at least this many clock ticks old. */
export const H_RECENCY_GRANULARITY = 8
/** Live buckets examined per approximate-LRU eviction on large tables. */
export const H_EVICTION_SAMPLE = 9
export const H_STAT_SLOTS = 10
export const H_STATS_OFFSET = 11
export const H_SHARDS_OFFSET = 12
export const H_TABLES_OFFSET = 13
/** Total buffer length in bytes (a cheap integrity check on attach). */
export const H_BUFFER_BYTES = 14
/** Next statistics slot to hand out (Atomics.add; taken modulo STAT_SLOTS). */
export const H_NEXT_STAT_SLOT = 15
/** Global recency clock (u32, wraps): every insert and every re-stamping hit takes the next tick. */
export const H_CLOCK = 16
/** Live entries across all shards (Atomics.add/sub by writers). */
export const H_ENTRIES = 32
/** Code bytes of live entries across all shards, as a u32 (maxCodeBytes ≤ 2^31 − 1 keeps it exact). */
export const H_CODE_BYTES = 33
/**
 * resetStatistics() baseline: words 48..59 hold the summed counters (u64 lo/hi pairs, in S_* order)
 * at the last reset; statistics() reports the sums minus this. A reset therefore never writes
 * another thread's slot, which that thread may be bumping without Atomics.
 */
export const H_STATS_BASELINE = 48

// ---- statistics slots ------------------------------------------------------------------------
// Each attached instance (usually: each thread) takes its own slot and counts there, so that a
// counter bump on the lookup path does not bounce a cache line between threads. The first
// STAT_SLOTS instances own their slot and bump hits/misses with plain increments (an Atomics call
// costs ~8 ns in Node 20's V8, a plain increment ~1 ns); later instances share slots round-robin and
// use Atomics.add. Slots are never returned, so past 64 instances over one buffer (rare: one per
// thread is the use) a sharing instance's bumps can race with the owner's plain increments and
// lookups may be slightly undercounted; entries and byte counts are unaffected. Each counter is a
// u64 as two i32 words (lo, hi), the carry going to hi when lo wraps. statistics() sums all slots.
export const STAT_SLOTS = 64
export const STAT_SLOT_BYTES = 64
export const S_HITS = 0
export const S_MISSES = 2
/** Capacity evictions (reason 'lru'). */
export const S_EVICTIONS = 4
/** Removals by invalidate/invalidateRange/clear (reason 'invalidate'). */
export const S_INVALIDATIONS = 6
/** Entries replaced by an insert at the same pc (reason 'replace'). */
export const S_REPLACEMENTS = 8
export const S_INSERTS = 10

// ---- shard headers ---------------------------------------------------------------------------
export const SHARD_HEADER_BYTES = 64
/** 0 = free, 1 = held. Writers take it with Atomics.compareExchange(0 → 1). */
export const SH_LOCK = 0
/** Seqlock sequence: odd while a writer is modifying the shard's table. */
export const SH_SEQ = 1
/** Live entries in this shard. */
export const SH_COUNT = 2

// ---- buckets ---------------------------------------------------------------------------------
// Linear probing from hash & (buckets − 1); a bucket with codeId 0 is empty (codeId 0 is reserved
// for exactly this reason). Deletion shifts later members of the probe run back (no tombstones), so
// a probe stops at the first empty bucket.
export const BUCKET_BYTES = 32
export const BUCKET_WORDS = 8
export const B_PC_LO = 0
export const B_PC_HI = 1
/** u32 stored as i32; 0 = empty bucket. */
export const B_CODE_ID = 2
export const B_TIER = 3
/** Code size in bytes (u32 stored as i32). */
export const B_SIZE = 4
/** Recency stamp: the clock tick of the last insert or re-stamping hit. */
export const B_STAMP = 5
/**
 * check = bucketCheck(lo, hi, codeId, tier, size) (hash.ts). Readers verify it, so an entry mixed
 * from two writes is rejected whatever order the CPU performed the loads in (see ShardedCodeCache).
 */
export const B_CHECK = 6
// word 7 is reserved (zero) so that a bucket is 32 bytes, two per cache line.

/** Shard tables larger than this many buckets in total use sampled (approximate) LRU eviction. */
export const EXACT_LRU_MAX_BUCKETS = 8192

/** The derived geometry of a cache, as stored in its header. */
export interface CacheGeometry {
  shards: number
  buckets: number
  shardCapacity: number
  maxEntries: number
  maxCodeBytes: number
  recencyGranularity: number
  evictionSample: number
  statsOffset: number
  shardsOffset: number
  tablesOffset: number
  bufferBytes: number
}

function nextPowerOfTwo(n: number): number {
  let p = 1
  while (p < n) p *= 2
  return p
}

/**
 * Sizes the tables for `maxEntries` spread over `shards`. Keys hash uniformly, so a shard's share is
 * binomial with mean m = maxEntries / shards; the capacity allows m + 4·√m + 4 (more than four
 * standard deviations) before the shard itself is full, and the table has at least twice that many
 * buckets so that the load factor never exceeds 0.5 and probe runs stay short.
 */
export function computeGeometry(
  shards: number,
  maxEntries: number,
  maxCodeBytes: number,
  recencyGranularity: number,
  evictionSample: number,
): CacheGeometry {
  const mean = maxEntries / shards
  const shardCapacity = Math.ceil(mean + 4 * Math.sqrt(mean) + 4)
  const buckets = Math.max(8, nextPowerOfTwo(2 * shardCapacity))
  const statsOffset = HEADER_BYTES
  const shardsOffset = statsOffset + STAT_SLOTS * STAT_SLOT_BYTES
  const tablesOffset = shardsOffset + shards * SHARD_HEADER_BYTES
  const bufferBytes = tablesOffset + shards * buckets * BUCKET_BYTES
  return {
    shards,
    buckets,
    shardCapacity,
    maxEntries,
    maxCodeBytes,
    recencyGranularity,
    evictionSample,
    statsOffset,
    shardsOffset,
    tablesOffset,
    bufferBytes,
  }
}

/** Writes a fresh header into a zeroed buffer. */
export function writeHeader(i32: Int32Array, g: CacheGeometry): void {
  i32[H_MAGIC] = MAGIC
  i32[H_VERSION] = LAYOUT_VERSION
  i32[H_SHARDS] = g.shards
  i32[H_BUCKETS] = g.buckets
  i32[H_BUCKET_WORDS] = BUCKET_WORDS
  i32[H_MAX_ENTRIES] = g.maxEntries
  i32[H_MAX_CODE_BYTES] = g.maxCodeBytes
  i32[H_SHARD_CAPACITY] = g.shardCapacity
  i32[H_RECENCY_GRANULARITY] = g.recencyGranularity
  i32[H_EVICTION_SAMPLE] = g.evictionSample
  i32[H_STAT_SLOTS] = STAT_SLOTS
  i32[H_STATS_OFFSET] = g.statsOffset
  i32[H_SHARDS_OFFSET] = g.shardsOffset
  i32[H_TABLES_OFFSET] = g.tablesOffset
  i32[H_BUFFER_BYTES] = g.bufferBytes
}

/** Reads and checks the header of a buffer created elsewhere; throws TypeError if it is not ours. */
export function readHeader(buffer: SharedArrayBuffer): CacheGeometry {
  if (buffer.byteLength < HEADER_BYTES) {
    throw new TypeError(`ShardedCodeCache.attach: the buffer is ${buffer.byteLength} bytes, too small to be a code cache`)
  }
  const i32 = new Int32Array(buffer, 0, HEADER_BYTES / 4)
  if (i32[H_MAGIC] !== MAGIC) {
    throw new TypeError('ShardedCodeCache.attach: the buffer is not a ShardedCodeCache buffer (bad magic); pass cache.sharedBuffer')
  }
  if (i32[H_VERSION] !== LAYOUT_VERSION) {
    throw new TypeError(`ShardedCodeCache.attach: the buffer has layout version ${i32[H_VERSION]}, this code reads version ${LAYOUT_VERSION}`)
  }
  if (i32[H_BUFFER_BYTES] !== buffer.byteLength || i32[H_BUCKET_WORDS] !== BUCKET_WORDS || i32[H_STAT_SLOTS] !== STAT_SLOTS) {
    throw new TypeError('ShardedCodeCache.attach: the buffer header is inconsistent with its size (truncated or corrupted buffer)')
  }
  return {
    shards: i32[H_SHARDS],
    buckets: i32[H_BUCKETS],
    shardCapacity: i32[H_SHARD_CAPACITY],
    maxEntries: i32[H_MAX_ENTRIES],
    maxCodeBytes: i32[H_MAX_CODE_BYTES],
    recencyGranularity: i32[H_RECENCY_GRANULARITY],
    evictionSample: i32[H_EVICTION_SAMPLE],
    statsOffset: i32[H_STATS_OFFSET],
    shardsOffset: i32[H_SHARDS_OFFSET],
    tablesOffset: i32[H_TABLES_OFFSET],
    bufferBytes: i32[H_BUFFER_BYTES],
  }
}

/**
 * The layout as one frozen object (i32 word indices within each region, byte sizes), for code that
 * reads the buffer without this module — a native reader, a debugger script — and for tests.
 */
export const CACHE_LAYOUT = Object.freeze({
  magic: MAGIC,
  version: LAYOUT_VERSION,
  headerBytes: HEADER_BYTES,
  header: Object.freeze({
    magic: H_MAGIC,
    version: H_VERSION,
    shards: H_SHARDS,
    buckets: H_BUCKETS,
    bucketWords: H_BUCKET_WORDS,
    maxEntries: H_MAX_ENTRIES,
    maxCodeBytes: H_MAX_CODE_BYTES,
    shardCapacity: H_SHARD_CAPACITY,
    recencyGranularity: H_RECENCY_GRANULARITY,
    evictionSample: H_EVICTION_SAMPLE,
    statSlots: H_STAT_SLOTS,
    statsOffset: H_STATS_OFFSET,
    shardsOffset: H_SHARDS_OFFSET,
    tablesOffset: H_TABLES_OFFSET,
    bufferBytes: H_BUFFER_BYTES,
    nextStatSlot: H_NEXT_STAT_SLOT,
    clock: H_CLOCK,
    entries: H_ENTRIES,
    codeBytes: H_CODE_BYTES,
    statsBaseline: H_STATS_BASELINE,
  }),
  statSlots: STAT_SLOTS,
  statSlotBytes: STAT_SLOT_BYTES,
  stat: Object.freeze({ hits: S_HITS, misses: S_MISSES, evictions: S_EVICTIONS, invalidations: S_INVALIDATIONS, replacements: S_REPLACEMENTS, inserts: S_INSERTS }),
  shardHeaderBytes: SHARD_HEADER_BYTES,
  shard: Object.freeze({ lock: SH_LOCK, seq: SH_SEQ, count: SH_COUNT }),
  bucketBytes: BUCKET_BYTES,
  bucket: Object.freeze({ pcLo: B_PC_LO, pcHi: B_PC_HI, codeId: B_CODE_ID, tier: B_TIER, size: B_SIZE, stamp: B_STAMP, check: B_CHECK }),
})

// ShardedCodeCache: guest pc → { codeId, tier, size }, in a SharedArrayBuffer that any number of
// worker threads can attach to, with lock-free lookups.
//
// The design is QEMU's qht (util/qht.c) cut down to what a JIT's translation index needs:
//
// - The pc space is split over a power-of-two number of shards by hash, each an open-addressing
//   table (linear probing, backward-shift deletion: no tombstones, so lookups stay short).
// - Each shard has a spin lock that writers take with Atomics.compareExchange, and a sequence
//   number (a seqlock). A writer makes the sequence odd, changes the table, makes it even again.
//   A reader takes no lock and never writes the table's structure: it reads the sequence (waits
//   while it is odd), probes, reads the sequence again and retries if it changed — so a reader
//   never returns an entry assembled from two writes (a "torn" entry), and readers never block
//   writers. (A hit may refresh its bucket's recency stamp: an advisory word, see LRU below.)
// - Writers store with Atomics.store; readers and lock holders load with plain loads (tear-free for
//   aligned i32s), because in Node 20's V8 every Atomics call is a ~8 ns builtin call, not an
//   inlined instruction. Only the sequence reads bracketing a probe are Atomics loads, which V8
//   never reorders memory accesses across. x86-64 keeps loads in order, so the seqlock alone is
//   exact there; for weakly ordered CPUs each bucket also carries a check word over its fields
//   (hash.ts bucketCheck) that a reader verifies, so a mixed ("torn") entry is still rejected.
// - LRU: a global 32-bit clock in the buffer; inserts and hits stamp their bucket with the next
//   tick. Eviction removes the entry with the oldest stamp: exactly (a full scan) while the tables
//   are small, approximately (the oldest of `evictionSample` live entries from a random position,
//   as Redis does) when they are large. A hit whose stamp is already recent does not re-stamp (see
//   recencyGranularity), so a hot loop's lookups do not write shared memory at all. The clock is
//   32-bit and wraps; ages are compared modulo 2^32, exact for entries touched within the last
//   2^31 ticks (an entry idle for longer may pass for a recent one: a harmless misordering).
// - Counters (hits, misses, evictions…) are in the buffer too, in per-instance slots (layout.ts),
//   so statistics() in any thread sums what every thread did.
//
// The buffer is sized once, from maxEntries; it never grows (a SharedArrayBuffer cannot be
// reallocated under other threads' feet). Each shard may hold a bounded number of entries (its
// capacity, > 4σ above the mean share); an insert into a full shard first evicts that shard's LRU
// entry (reason 'lru'). Entries are integers only: the owner of the compiled code keeps its
// CodeHandles in its own table under codeId and frees them from onEvict.

import { bucketCheck, hashPc, MAX_PC } from './hash.js'
import {
  B_CHECK,
  B_CODE_ID,
  B_PC_HI,
  B_PC_LO,
  B_SIZE,
  B_STAMP,
  B_TIER,
  BUCKET_WORDS,
  computeGeometry,
  EXACT_LRU_MAX_BUCKETS,
  H_CLOCK,
  H_CODE_BYTES,
  H_ENTRIES,
  H_NEXT_STAT_SLOT,
  H_STATS_BASELINE,
  readHeader,
  S_EVICTIONS,
  S_HITS,
  S_INSERTS,
  S_INVALIDATIONS,
  S_MISSES,
  S_REPLACEMENTS,
  SH_COUNT,
  SH_LOCK,
  SH_SEQ,
  SHARD_HEADER_BYTES,
  STAT_SLOT_BYTES,
  STAT_SLOTS,
  writeHeader,
} from './layout.js'
import type { CacheGeometry } from './layout.js'
import { checkOnEvict, describe, resolveOptions } from './options.js'
import type { AttachOptions, EvictListener, ShardedCodeCacheOptions } from './options.js'
import type { CacheEntry, CacheEvictReason, CacheStatistics } from './types.js'

const SHARD_WORDS = SHARD_HEADER_BYTES / 4
const SLOT_WORDS = STAT_SLOT_BYTES / 4
const COUNTERS = [S_HITS, S_MISSES, S_EVICTIONS, S_INVALIDATIONS, S_REPLACEMENTS, S_INSERTS]

/**
 * How long a thread spins on a shard whose writer does not finish before giving up with an Error.
 * A writer holds a shard for well under a microsecond, but a garbage-collection pause in the writer
 * thread can stretch that to tens of milliseconds; only a writer that died mid-write (a worker
 * terminated inside insert()) holds it for ever, and then an error beats a hang.
 */
const STALL_LIMIT_MS = 2000

/** A removed entry, kept until the locks are released and onEvict may run. */
interface Removed {
  lo: number
  hi: number
  codeId: number
  tier: number
  size: number
  why: CacheEvictReason
}

// attach() passes the existing buffer to the constructor through this slot rather than through a
// constructor parameter, which would otherwise show up in the public signature.
let attaching: { buffer: SharedArrayBuffer; geometry: CacheGeometry; onEvict: EvictListener | undefined } | undefined

/**
 * A sharded map from guest pc to compiled-code entry, shared between threads.
 *
 * ```ts
 * const cache = new ShardedCodeCache({ maxEntries: 10_000, onEvict: (pc, e) => handles.get(e.codeId)?.free() })
 * cache.insert(0x1000n, { codeId: 7, tier: 1, size: 96 })
 * cache.getCodeId(0x1000n) // 7 — the allocation-free fast path; 0 = miss
 * // in a worker: ShardedCodeCache.attach(workerData.cacheBuffer).get(0x1000n)
 * ```
 */
export class ShardedCodeCache {
  readonly #buffer: SharedArrayBuffer
  readonly #i32: Int32Array
  readonly #geometry: CacheGeometry
  readonly #shardMask: number
  readonly #bucketMask: number
  /** i32 index of shard 0's header. */
  readonly #shardsBase: number
  /** i32 index of shard 0's first bucket; the tables are contiguous, shard after shard. */
  readonly #tablesBase: number
  readonly #tableWords: number
  /** i32 index of this instance's statistics slot. */
  readonly #slot: number
  /** Whether no other instance counts in #slot (then lookups bump it without Atomics). */
  readonly #ownSlot: boolean
  readonly #granularity: number
  readonly #onEvict: EvictListener | undefined
  // Scratch views over the same 8 bytes: storing a bigint pc into #pc64[0] and reading #pc32[0] and
  // #pc32[1] splits it into halves without allocating — several times cheaper than
  // Number(pc & 0xffffffffn), where each bigint operation allocates. Host-endian: every platform
  // Node supports is little-endian, so #pc32[0] is the low half.
  readonly #pc64 = new BigUint64Array(1)
  readonly #pc32 = new Int32Array(this.#pc64.buffer)
  // What the last successful #find saw besides the codeId (so that it returns one number).
  #foundTier = 0
  #foundSize = 0
  #stallSince = 0

  /**
   * Creates a cache with a fresh SharedArrayBuffer. A number is taken as the shard count (the
   * seed's `ShardedCodeCache::new(64)`).
   */
  constructor(options: ShardedCodeCacheOptions | number = {}) {
    let buffer: SharedArrayBuffer
    let geometry: CacheGeometry
    let onEvict: EvictListener | undefined
    if (attaching !== undefined) {
      ;({ buffer, geometry, onEvict } = attaching)
      attaching = undefined
    } else {
      const o = resolveOptions(options)
      geometry = computeGeometry(o.shards, o.maxEntries, o.maxCodeBytes, o.recencyGranularity, o.evictionSample)
      buffer = new SharedArrayBuffer(geometry.bufferBytes)
      writeHeader(new Int32Array(buffer), geometry)
      onEvict = o.onEvict
    }
    this.#buffer = buffer
    this.#i32 = new Int32Array(buffer)
    this.#geometry = geometry
    this.#shardMask = geometry.shards - 1
    this.#bucketMask = geometry.buckets - 1
    this.#shardsBase = geometry.shardsOffset / 4
    this.#tablesBase = geometry.tablesOffset / 4
    this.#tableWords = geometry.buckets * BUCKET_WORDS
    this.#granularity = geometry.recencyGranularity
    this.#onEvict = onEvict
    const slot = Atomics.add(this.#i32, H_NEXT_STAT_SLOT, 1)
    this.#ownSlot = slot < STAT_SLOTS
    this.#slot = geometry.statsOffset / 4 + (slot % STAT_SLOTS) * SLOT_WORDS
  }

  /**
   * Uses a cache created elsewhere — typically in another worker thread, which sent
   * `cache.sharedBuffer` through postMessage or workerData. Both instances see the same entries and
   * statistics. `onEvict` is per instance: it hears about the removals this instance performs
   * (including evictions caused by its own inserts), so the thread that owns the compiled code
   * should be the one that inserts, or its listener should forward the news.
   */
  static attach(sharedBuffer: SharedArrayBuffer, options: AttachOptions = {}): ShardedCodeCache {
    if (!(sharedBuffer instanceof SharedArrayBuffer)) {
      throw new TypeError(`ShardedCodeCache.attach: expected the SharedArrayBuffer from cache.sharedBuffer, got ${describe(sharedBuffer)}`)
    }
    if (options === null || typeof options !== 'object') {
      throw new TypeError(`ShardedCodeCache.attach: options must be an object like { onEvict }, got ${describe(options)}`)
    }
    const geometry = readHeader(sharedBuffer)
    attaching = { buffer: sharedBuffer, geometry, onEvict: checkOnEvict('ShardedCodeCache.attach', options.onEvict) }
    try {
      return new ShardedCodeCache()
    } finally {
      attaching = undefined
    }
  }

  /** The buffer holding the whole cache; pass it to ShardedCodeCache.attach in another thread. */
  get sharedBuffer(): SharedArrayBuffer {
    return this.#buffer
  }

  get shards(): number {
    return this.#geometry.shards
  }

  get maxEntries(): number {
    return this.#geometry.maxEntries
  }

  get maxCodeBytes(): number {
    return this.#geometry.maxCodeBytes
  }

  /** Buckets per shard and the most entries one shard may hold (the table geometry). */
  get geometry(): { readonly buckets: number; readonly shardCapacity: number; readonly bufferBytes: number } {
    const { buckets, shardCapacity, bufferBytes } = this.#geometry
    return { buckets, shardCapacity, bufferBytes }
  }

  /** Live entries. */
  get size(): number {
    return Atomics.load(this.#i32, H_ENTRIES)
  }

  /** Sum of the live entries' sizes. */
  get codeBytes(): number {
    return Atomics.load(this.#i32, H_CODE_BYTES) >>> 0
  }

  // ---- lookups -------------------------------------------------------------------------------

  /**
   * The fast path: the codeId cached for `pc`, or 0 on a miss. Counts a hit or miss and refreshes
   * the entry's recency; allocates nothing. pcs are taken modulo 2^64.
   */
  getCodeId(pc: bigint): number {
    return this.#find(pc, true)
  }

  /** The entry for `pc` (a new object), or undefined. Counts a hit or miss and refreshes recency. */
  get(pc: bigint): CacheEntry | undefined {
    const codeId = this.#find(pc, true)
    return codeId === 0 ? undefined : { codeId, tier: this.#foundTier, size: this.#foundSize }
  }

  /**
   * Like get(), but fills `out` instead of allocating; returns whether `pc` was found (`out` is left
   * alone on a miss).
   */
  getInto(pc: bigint, out: { codeId: number; tier: number; size: number }): boolean {
    const codeId = this.#find(pc, true)
    if (codeId === 0) return false
    out.codeId = codeId
    out.tier = this.#foundTier
    out.size = this.#foundSize
    return true
  }

  /** The entry for `pc` without counting a lookup or refreshing its recency. */
  peek(pc: bigint): CacheEntry | undefined {
    const codeId = this.#find(pc, false)
    return codeId === 0 ? undefined : { codeId, tier: this.#foundTier, size: this.#foundSize }
  }

  /** Whether `pc` is cached (no statistics, no recency change). */
  has(pc: bigint): boolean {
    return this.#find(pc, false) !== 0
  }

  /**
   * Seqlock read: probe the shard between two reads of its sequence and retry if a writer was, or
   * became, active. Returns the codeId (0 = miss); tier and size go to #foundTier/#foundSize.
   *
   * Only the two sequence reads are Atomics calls (~8 ns each in Node 20's V8, which does not inline
   * them); the probe uses plain loads, which are tear-free for aligned i32s. V8 does not move memory
   * accesses across an Atomics call, and x86-64 does not reorder loads, so there the seqlock alone
   * guarantees a consistent entry. A weakly ordered CPU (ARM64) may satisfy a plain load after the
   * closing sequence load; the bucket's check word (hash.ts bucketCheck) rejects a mixed entry there.
   */
  #find(pc: bigint, touch: boolean): number {
    this.#pc64[0] = pc
    const lo = this.#pc32[0]
    const hi = this.#pc32[1]
    const h = hashPc(lo, hi)
    const i32 = this.#i32
    const shard = (h >>> 24) & this.#shardMask
    const seqAt = this.#shardsBase + shard * SHARD_WORDS + SH_SEQ
    const table = this.#tablesBase + shard * this.#tableWords
    const mask = this.#bucketMask
    for (let attempt = 1; ; attempt++) {
      const seq = Atomics.load(i32, seqAt)
      if ((seq & 1) === 0) {
        let i = h & mask
        let b = 0
        let id = 0
        let tier = 0
        let size = 0
        let torn = false
        // A consistent table always has an empty bucket (load ≤ 0.5); the bound only matters for
        // a view torn by a concurrent writer, which the sequence check below rejects anyway.
        for (let left = mask; ; left--) {
          b = table + i * BUCKET_WORDS
          id = i32[b + B_CODE_ID]
          if (id === 0) break
          if (i32[b + B_PC_LO] === lo && i32[b + B_PC_HI] === hi) {
            tier = i32[b + B_TIER]
            size = i32[b + B_SIZE]
            torn = i32[b + B_CHECK] !== bucketCheck(lo, hi, id, tier, size)
            break
          }
          if (left === 0) {
            torn = true
            break
          }
          i = (i + 1) & mask
        }
        if (!torn && Atomics.load(i32, seqAt) === seq) {
          if (touch) {
            if (id === 0) {
              this.#bump(S_MISSES)
              return 0
            }
            this.#bump(S_HITS)
            // Re-stamp only if the stamp is not recent: a hot entry is then looked up with no shared
            // write at all. Stamps are advisory, so plain accesses do (if a writer moved the bucket
            // since the check, the stamp lands on another entry: a harmless recency error).
            if ((i32[H_CLOCK] - i32[b + B_STAMP]) >>> 0 >= this.#granularity) {
              i32[b + B_STAMP] = Atomics.add(i32, H_CLOCK, 1) + 1
            }
          }
          if (id === 0) return 0
          this.#foundTier = tier
          this.#foundSize = size >>> 0
          return id >>> 0
        }
      }
      if ((attempt & 0xfff) === 0) this.#stalled(shard, attempt)
    }
  }

  /** Adds one to a lookup counter of this instance's slot: a plain increment if the slot is ours. */
  #bump(counter: number): void {
    const i32 = this.#i32
    const at = this.#slot + counter
    if (this.#ownSlot) {
      const v = (i32[at] + 1) | 0
      i32[at] = v
      if (v === 0) i32[at + 1]++
    } else if (Atomics.add(i32, at, 1) === -1) {
      Atomics.add(i32, at + 1, 1)
    }
  }

  /** Called every 4096 failed attempts to read or lock a shard: gives up after STALL_LIMIT_MS. */
  #stalled(shard: number, attempt: number): void {
    const now = performance.now()
    if (attempt === 0x1000) this.#stallSince = now
    else if (now - this.#stallSince > STALL_LIMIT_MS) {
      throw new Error(
        `ShardedCodeCache: shard ${shard} has been locked for over ${STALL_LIMIT_MS} ms — a writer thread died while ` +
          'modifying it (was a worker terminated during insert/invalidate?); the cache cannot be used any more',
      )
    }
  }

  // ---- writes --------------------------------------------------------------------------------

  /**
   * Caches `entry` for `pc`. An existing entry for `pc` is overwritten; if its codeId differs it is
   * reported to onEvict with reason 'replace' (same codeId: an in-place update, nothing to free).
   * Then, while the cache holds more than maxEntries entries or maxCodeBytes bytes, the least
   * recently used entries other than this one are evicted (reason 'lru').
   */
  insert(pc: bigint, entry: CacheEntry): void {
    const { codeId, tier, size } = this.#checkEntry(pc, entry)
    this.#pc64[0] = pc
    const lo = this.#pc32[0]
    const hi = this.#pc32[1]
    const h = hashPc(lo, hi)
    const shard = (h >>> 24) & this.#shardMask
    const table = this.#tablesBase + shard * this.#tableWords
    const i32 = this.#i32
    const removed: Removed[] = []
    const at = this.#lock(shard)
    try {
      let i = this.#probe(table, lo, hi, h)
      const stamp = Atomics.add(i32, H_CLOCK, 1) + 1
      if (i >= 0) {
        const b = table + i * BUCKET_WORDS
        const oldId = i32[b + B_CODE_ID] >>> 0
        const oldTier = i32[b + B_TIER]
        const oldSize = i32[b + B_SIZE] >>> 0
        Atomics.store(i32, b + B_CODE_ID, codeId)
        Atomics.store(i32, b + B_TIER, tier)
        Atomics.store(i32, b + B_SIZE, size)
        Atomics.store(i32, b + B_CHECK, bucketCheck(lo, hi, codeId, tier, size))
        Atomics.store(i32, b + B_STAMP, stamp)
        Atomics.add(i32, H_CODE_BYTES, size - oldSize)
        if (oldId !== codeId) {
          removed.push({ lo, hi, codeId: oldId, tier: oldTier, size: oldSize, why: 'replace' })
          this.#count(S_REPLACEMENTS, 1)
        }
      } else {
        if (Atomics.load(i32, at + SH_COUNT) >= this.#geometry.shardCapacity) {
          // The shard is full (a very unlikely hash skew): make room inside it.
          removed.push(this.#removeAt(at, table, this.#oldestInShard(table), 'lru'))
          this.#count(S_EVICTIONS, 1)
          i = this.#probe(table, lo, hi, h)
        }
        const b = table + ~i * BUCKET_WORDS
        Atomics.store(i32, b + B_PC_LO, lo)
        Atomics.store(i32, b + B_PC_HI, hi)
        Atomics.store(i32, b + B_TIER, tier)
        Atomics.store(i32, b + B_SIZE, size)
        Atomics.store(i32, b + B_CHECK, bucketCheck(lo, hi, codeId, tier, size))
        Atomics.store(i32, b + B_STAMP, stamp)
        Atomics.store(i32, b + B_CODE_ID, codeId)
        Atomics.add(i32, at + SH_COUNT, 1)
        Atomics.add(i32, H_ENTRIES, 1)
        Atomics.add(i32, H_CODE_BYTES, size)
      }
      this.#count(S_INSERTS, 1)
    } finally {
      this.#unlock(at)
    }
    try {
      this.#evictWhileOver(lo, hi, removed)
    } finally {
      this.#notify(removed)
    }
  }

  /** Removes the entry for `pc` (onEvict reason 'invalidate'); returns whether there was one. */
  invalidate(pc: bigint): boolean {
    if (typeof pc !== 'bigint') throw new TypeError(`ShardedCodeCache.invalidate: pc must be a bigint, got ${describe(pc)}`)
    this.#pc64[0] = pc
    const removed = this.#invalidateHalves(this.#pc32[0], this.#pc32[1])
    if (removed === undefined) return false
    this.#notify([removed])
    return true
  }

  /**
   * Removes every entry with start ≤ pc < end (onEvict reason 'invalidate') and returns how many —
   * for self-modifying code: invalidate the page a guest store hit. Small ranges are looked up pc by
   * pc; larger ones scan the tables, one shard lock at a time (O(total buckets)).
   */
  invalidateRange(start: bigint, end: bigint): number {
    const where = 'ShardedCodeCache.invalidateRange'
    if (typeof start !== 'bigint') throw new TypeError(`${where}: start must be a bigint, got ${describe(start)}`)
    if (typeof end !== 'bigint') throw new TypeError(`${where}: end must be a bigint, got ${describe(end)}`)
    if (start < 0n || start > MAX_PC) throw new RangeError(`${where}: start must be a u64, got ${start}n`)
    if (end < start || end > MAX_PC + 1n) {
      throw new RangeError(`${where}: end must be from start (${start}n) to 2^64, got ${end}n (the range is start ≤ pc < end)`)
    }
    const span = end - start
    if (span === 0n) return 0
    const removed: Removed[] = []
    const totalBuckets = this.#geometry.shards * this.#geometry.buckets
    if (span <= BigInt(Math.max(16, totalBuckets >> 6))) {
      for (let pc = start; pc < end; pc++) {
        this.#pc64[0] = pc
        const r = this.#invalidateHalves(this.#pc32[0], this.#pc32[1])
        if (r !== undefined) removed.push(r)
      }
    } else {
      this.#pc64[0] = start
      const sLo = this.#pc32[0] >>> 0
      const sHi = this.#pc32[1] >>> 0
      const unbounded = end > MAX_PC
      this.#pc64[0] = unbounded ? 0n : end
      const eLo = this.#pc32[0] >>> 0
      const eHi = this.#pc32[1] >>> 0
      const i32 = this.#i32
      for (let shard = 0; shard < this.#geometry.shards; shard++) {
        const table = this.#tablesBase + shard * this.#tableWords
        const at = this.#lock(shard)
        try {
          // Removing at i shifts later members of the run back into i, so i is re-examined; entries
          // only ever move backwards into holes at or after i, so none is skipped.
          for (let i = 0; i <= this.#bucketMask; ) {
            const b = table + i * BUCKET_WORDS
            if (i32[b + B_CODE_ID] !== 0) {
              const lo = i32[b + B_PC_LO] >>> 0
              const hi = i32[b + B_PC_HI] >>> 0
              const geStart = hi > sHi || (hi === sHi && lo >= sLo)
              const ltEnd = unbounded || hi < eHi || (hi === eHi && lo < eLo)
              if (geStart && ltEnd) {
                removed.push(this.#removeAt(at, table, i, 'invalidate'))
                continue
              }
            }
            i++
          }
        } finally {
          this.#unlock(at)
        }
      }
      this.#count(S_INVALIDATIONS, removed.length)
    }
    this.#notify(removed)
    return removed.length
  }

  /** Removes every entry (onEvict reason 'invalidate' for each). Statistics counters are kept. */
  clear(): void {
    const removed: Removed[] = []
    const i32 = this.#i32
    for (let shard = 0; shard < this.#geometry.shards; shard++) {
      const table = this.#tablesBase + shard * this.#tableWords
      const at = this.#lock(shard)
      try {
        let bytes = 0
        for (let i = 0; i <= this.#bucketMask; i++) {
          const b = table + i * BUCKET_WORDS
          if (i32[b + B_CODE_ID] === 0) continue
          const r = this.#readRemoved(b, 'invalidate')
          bytes += r.size
          removed.push(r)
          for (let w = 0; w < BUCKET_WORDS; w++) Atomics.store(i32, b + w, 0)
        }
        Atomics.sub(i32, H_ENTRIES, Atomics.exchange(i32, at + SH_COUNT, 0))
        Atomics.sub(i32, H_CODE_BYTES, bytes)
      } finally {
        this.#unlock(at)
      }
    }
    this.#count(S_INVALIDATIONS, removed.length)
    this.#notify(removed)
  }

  /**
   * Starts the counters (hits, misses, evictions, …) from zero again, for every thread: the current
   * sums become a baseline in the buffer that statistics() subtracts, so no thread's slot is written
   * behind its back. Lookups racing with the reset may land on either side of it.
   */
  resetStatistics(): void {
    const i32 = this.#i32
    for (const counter of COUNTERS) {
      const total = this.#sum(counter)
      Atomics.store(i32, H_STATS_BASELINE + counter, total % 2 ** 32 | 0)
      Atomics.store(i32, H_STATS_BASELINE + counter + 1, Math.floor(total / 2 ** 32) | 0)
    }
  }

  // ---- inspection ----------------------------------------------------------------------------

  /** Counters summed over every thread attached to the buffer, and the current occupancy. */
  statistics(): CacheStatistics {
    const i32 = this.#i32
    const since = (counter: number): number =>
      Math.max(0, this.#sum(counter) - ((Atomics.load(i32, H_STATS_BASELINE + counter) >>> 0) + (Atomics.load(i32, H_STATS_BASELINE + counter + 1) >>> 0) * 2 ** 32))
    const hits = since(S_HITS)
    const misses = since(S_MISSES)
    return {
      hits,
      misses,
      hitRate: hits + misses === 0 ? 0 : hits / (hits + misses),
      evictions: since(S_EVICTIONS),
      invalidations: since(S_INVALIDATIONS),
      replacements: since(S_REPLACEMENTS),
      inserts: since(S_INSERTS),
      entries: this.size,
      bytes: this.codeBytes,
      shards: this.#geometry.shards,
    }
  }

  /** One counter summed over all statistics slots (since the buffer was created). */
  #sum(counter: number): number {
    const i32 = this.#i32
    const base = this.#geometry.statsOffset / 4
    let total = 0
    for (let s = 0; s < STAT_SLOTS; s++) {
      const at = base + s * SLOT_WORDS + counter
      total += (Atomics.load(i32, at) >>> 0) + (Atomics.load(i32, at + 1) >>> 0) * 2 ** 32
    }
    return total
  }

  /** Live entries per shard (to check the hash spreads a workload's pcs). */
  shardSizes(): number[] {
    const sizes: number[] = []
    for (let s = 0; s < this.#geometry.shards; s++) sizes.push(Atomics.load(this.#i32, this.#shardsBase + s * SHARD_WORDS + SH_COUNT))
    return sizes
  }

  /**
   * Every [pc, entry], shard by shard. Each shard is read consistently (seqlock), but the cache as
   * a whole is not frozen: entries written while iterating may or may not appear.
   */
  *entries(): IterableIterator<[bigint, CacheEntry]> {
    const i32 = this.#i32
    const snapshot: number[] = []
    for (let shard = 0; shard < this.#geometry.shards; shard++) {
      const seqAt = this.#shardsBase + shard * SHARD_WORDS + SH_SEQ
      const table = this.#tablesBase + shard * this.#tableWords
      for (let attempt = 1; ; attempt++) {
        snapshot.length = 0
        const seq = Atomics.load(i32, seqAt)
        if ((seq & 1) === 0) {
          for (let i = 0; i <= this.#bucketMask; i++) {
            const b = table + i * BUCKET_WORDS
            const id = Atomics.load(i32, b + B_CODE_ID)
            if (id === 0) continue
            snapshot.push(Atomics.load(i32, b + B_PC_LO), Atomics.load(i32, b + B_PC_HI), id, Atomics.load(i32, b + B_TIER), Atomics.load(i32, b + B_SIZE))
          }
          if (Atomics.load(i32, seqAt) === seq) break
        }
        if ((attempt & 0xfff) === 0) this.#stalled(shard, attempt)
      }
      const entries: [bigint, CacheEntry][] = []
      for (let k = 0; k < snapshot.length; k += 5) {
        entries.push([this.#join(snapshot[k], snapshot[k + 1]), { codeId: snapshot[k + 2] >>> 0, tier: snapshot[k + 3], size: snapshot[k + 4] >>> 0 }])
      }
      yield* entries
    }
  }

  [Symbol.iterator](): IterableIterator<[bigint, CacheEntry]> {
    return this.entries()
  }

  // ---- internals -----------------------------------------------------------------------------

  #checkEntry(pc: unknown, entry: unknown): CacheEntry {
    const where = 'ShardedCodeCache.insert'
    if (typeof pc !== 'bigint') throw new TypeError(`${where}: pc must be a bigint, got ${describe(pc)}`)
    if (pc < 0n || pc > MAX_PC) throw new RangeError(`${where}: pc must be a u64 (0 to 2^64 − 1), got ${pc}n`)
    if (entry === null || typeof entry !== 'object') {
      throw new TypeError(`${where}: entry must be an object { codeId, tier, size }, got ${describe(entry)}`)
    }
    const { codeId, tier, size } = entry as Record<string, unknown>
    if (typeof codeId !== 'number' || !Number.isInteger(codeId) || codeId < 1 || codeId > 0xffff_ffff) {
      throw new RangeError(`${where}: entry.codeId must be an integer from 1 to 2^32 − 1 (0 is reserved), got ${describe(codeId)}`)
    }
    if (typeof tier !== 'number' || !Number.isInteger(tier) || tier < 0 || tier > 2) {
      throw new RangeError(`${where}: entry.tier must be 0, 1 or 2, got ${describe(tier)}`)
    }
    const max = this.#geometry.maxCodeBytes
    if (typeof size !== 'number' || !Number.isInteger(size) || size < 0 || size > max) {
      throw new RangeError(`${where}: entry.size must be an integer from 0 to maxCodeBytes (${max}), got ${describe(size)}`)
    }
    return { codeId: codeId | 0, tier, size }
  }

  /** Takes the shard's lock and opens a write (sequence becomes odd). Returns the shard header index. */
  #lock(shard: number): number {
    const i32 = this.#i32
    const at = this.#shardsBase + shard * SHARD_WORDS
    for (let attempt = 1; Atomics.compareExchange(i32, at + SH_LOCK, 0, 1) !== 0; attempt++) {
      if ((attempt & 0xfff) === 0) this.#stalled(shard, attempt)
    }
    Atomics.add(i32, at + SH_SEQ, 1)
    return at
  }

  /** Closes the write (sequence even again) and releases the lock. */
  #unlock(at: number): void {
    Atomics.add(this.#i32, at + SH_SEQ, 1)
    Atomics.store(this.#i32, at + SH_LOCK, 0)
  }

  /** Under the lock: the bucket holding (lo, hi), or ~(the empty bucket where it would go). */
  #probe(table: number, lo: number, hi: number, h: number): number {
    const i32 = this.#i32
    const mask = this.#bucketMask
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const b = table + i * BUCKET_WORDS
      if (i32[b + B_CODE_ID] === 0) return ~i
      if (i32[b + B_PC_LO] === lo && i32[b + B_PC_HI] === hi) return i
    }
  }

  #readRemoved(b: number, why: CacheEvictReason): Removed {
    const i32 = this.#i32
    return {
      lo: i32[b + B_PC_LO],
      hi: i32[b + B_PC_HI],
      codeId: i32[b + B_CODE_ID] >>> 0,
      tier: i32[b + B_TIER],
      size: i32[b + B_SIZE] >>> 0,
      why,
    }
  }

  /**
   * Under the lock: deletes bucket i by backward shift — each later member of the probe run that
   * may legally sit earlier (its home is not between the hole and itself) moves into the hole —
   * so no tombstones are needed and every run stays gap-free. Updates the counts.
   */
  #removeAt(at: number, table: number, i: number, why: CacheEvictReason): Removed {
    const i32 = this.#i32
    const mask = this.#bucketMask
    const removed = this.#readRemoved(table + i * BUCKET_WORDS, why)
    let hole = i
    for (let j = (i + 1) & mask; ; j = (j + 1) & mask) {
      const bj = table + j * BUCKET_WORDS
      if (i32[bj + B_CODE_ID] === 0) break
      const home = hashPc(i32[bj + B_PC_LO], i32[bj + B_PC_HI]) & mask
      if (((j - home) & mask) >= ((j - hole) & mask)) {
        const bh = table + hole * BUCKET_WORDS
        for (let w = 0; w < BUCKET_WORDS; w++) Atomics.store(i32, bh + w, i32[bj + w])
        hole = j
      }
    }
    const bh = table + hole * BUCKET_WORDS
    for (let w = 0; w < BUCKET_WORDS; w++) Atomics.store(i32, bh + w, 0)
    Atomics.sub(i32, at + SH_COUNT, 1)
    Atomics.sub(i32, H_ENTRIES, 1)
    Atomics.sub(i32, H_CODE_BYTES, removed.size)
    return removed
  }

  /** Under the lock: index of the shard's least recently used bucket (the shard is not empty). */
  #oldestInShard(table: number): number {
    const i32 = this.#i32
    const now = Atomics.load(i32, H_CLOCK)
    let best = -1
    let bestAge = -Infinity
    for (let i = 0; i <= this.#bucketMask; i++) {
      const b = table + i * BUCKET_WORDS
      if (i32[b + B_CODE_ID] === 0) continue
      const age = (now - i32[b + B_STAMP]) | 0
      if (age > bestAge) {
        bestAge = age
        best = i
      }
    }
    return best
  }

  #invalidateHalves(lo: number, hi: number): Removed | undefined {
    const h = hashPc(lo, hi)
    const shard = (h >>> 24) & this.#shardMask
    const table = this.#tablesBase + shard * this.#tableWords
    const at = this.#lock(shard)
    let removed: Removed | undefined
    try {
      const i = this.#probe(table, lo, hi, h)
      if (i >= 0) removed = this.#removeAt(at, table, i, 'invalidate')
    } finally {
      this.#unlock(at)
    }
    if (removed !== undefined) this.#count(S_INVALIDATIONS, 1)
    return removed
  }

  /**
   * Evicts LRU entries (never (keepLo, keepHi), the entry just inserted) until within limits,
   * adding them to `removed` for the caller to report.
   */
  #evictWhileOver(keepLo: number, keepHi: number, removed: Removed[]): void {
    const i32 = this.#i32
    const { maxEntries, maxCodeBytes } = this.#geometry
    // Bounded so that a concurrent writer refilling the cache as fast as we evict cannot keep this
    // thread here for ever; the next insert resumes.
    for (let guard = maxEntries + 64; guard > 0; guard--) {
      if (Atomics.load(i32, H_ENTRIES) <= maxEntries && Atomics.load(i32, H_CODE_BYTES) >>> 0 <= maxCodeBytes) return
      if (!this.#evictOne(keepLo, keepHi, removed)) return
    }
  }

  /**
   * Picks the least recently used entry — among all of them (full scan) when the tables are small,
   * else among `evictionSample` consecutive live buckets from a random position (bucket position
   * is a hash, uncorrelated with recency, so consecutive buckets are a fair sample) — and evicts it.
   * Candidates are read without locks; the victim is re-found under its shard's lock and removed
   * only if it is still there (and added to `removed`). Returns false if there was nothing to evict.
   */
  #evictOne(keepLo: number, keepHi: number, evicted: Removed[]): boolean {
    const i32 = this.#i32
    const { shards, buckets, evictionSample } = this.#geometry
    const total = shards * buckets
    const exact = total <= EXACT_LRU_MAX_BUCKETS
    const start = exact ? 0 : Math.floor(Math.random() * total)
    const want = exact ? total : evictionSample
    const now = Atomics.load(i32, H_CLOCK)
    let found = 0
    let bestAge = -Infinity
    let bestLo = 0
    let bestHi = 0
    let bestId = 0
    for (let k = 0; k < total && found < want; k++) {
      let g = start + k
      if (g >= total) g -= total
      const b = this.#tablesBase + g * BUCKET_WORDS
      const id = i32[b + B_CODE_ID]
      if (id === 0) continue
      const lo = i32[b + B_PC_LO]
      const hi = i32[b + B_PC_HI]
      if (lo === keepLo && hi === keepHi) continue
      found++
      // Signed: a stamp taken after `now` (a concurrent hit) counts as the newest, not the oldest.
      const age = (now - i32[b + B_STAMP]) | 0
      if (age > bestAge) {
        bestAge = age
        bestLo = lo
        bestHi = hi
        bestId = id
      }
    }
    if (found === 0) return false
    const h = hashPc(bestLo, bestHi)
    const shard = (h >>> 24) & this.#shardMask
    const table = this.#tablesBase + shard * this.#tableWords
    let removed: Removed | undefined
    const at = this.#lock(shard)
    try {
      const i = this.#probe(table, bestLo, bestHi, h)
      if (i >= 0 && i32[table + i * BUCKET_WORDS + B_CODE_ID] === bestId) {
        removed = this.#removeAt(at, table, i, 'lru')
      }
    } finally {
      this.#unlock(at)
    }
    // Lost a race with another writer (the candidate changed): report progress anyway so that the
    // caller re-checks the limits, which that writer may have satisfied.
    if (removed === undefined) return true
    this.#count(S_EVICTIONS, 1)
    evicted.push(removed)
    return true
  }

  /** Adds n to one of this instance's u64 counters (lo word + carry into hi). */
  #count(counter: number, n: number): void {
    if (n === 0) return
    const at = this.#slot + counter
    const old = Atomics.add(this.#i32, at, n) >>> 0
    if (old + n > 0xffff_ffff) Atomics.add(this.#i32, at + 1, 1)
  }

  #join(lo: number, hi: number): bigint {
    this.#pc32[0] = lo
    this.#pc32[1] = hi
    return this.#pc64[0]
  }

  /**
   * Tells onEvict about each removed entry. Every entry is reported even if the listener throws
   * (each report is what lets the owner free that entry's code); the first error is rethrown after.
   */
  #notify(removed: Removed[]): void {
    const onEvict = this.#onEvict
    if (onEvict === undefined) return
    let failed = false
    let error: unknown
    for (const r of removed) {
      try {
        onEvict(this.#join(r.lo, r.hi), { codeId: r.codeId, tier: r.tier, size: r.size }, r.why)
      } catch (e) {
        if (!failed) error = e
        failed = true
      }
    }
    if (failed) throw error
  }
}

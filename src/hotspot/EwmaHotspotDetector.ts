// EwmaHotspotDetector: which guest blocks are hot enough to be worth optimising.
//
// Time is divided into epochs. The tiered runtime closes one at each decision point (tick()), after
// passing in the executions it read from the native counters since the last one (observe /
// observeCounters); a standalone user can record executions one at a time (recordExecution) and
// let epochs close every `epochExecutions` executions. At the end of an epoch:
//
//   executed blocks:      rate = alpha · epochCount + (1 − alpha) · rate      (the EWMA)
//   other blocks:         rate = decayRate · rate                               (exponential decay)
//
// so `rate` is a smoothed "executions per epoch" that forgets old behaviour. Decay is applied
// lazily — each block keeps the epoch its rate was computed at and is decayed by
// decayRate^(epochs since) when read — so closing an epoch costs O(blocks executed in it + blocks
// near the threshold), not O(all blocks ever seen).
//
// A block is hot when
//
//   rate ≥ T                                                   (T = the effective threshold), or
//   it was first seen fewer than ⌈1/alpha⌉ epochs ago and its total count ≥ T · max(1, its age).
//
// The second rule exists because an EWMA starting from 0 needs ~1/alpha epochs to warm up: a block
// executed 500 times in its first epoch has rate 100 (alpha 0.2), yet is obviously hot. Before the
// first tick it reduces to the seed's behaviour: hot after `threshold` executions.
//
// Adaptive threshold: T starts at the configured threshold. After each epoch, let H be the number
// of blocks whose rate is at least the configured threshold. If H > maxHotBlocks, the target is
// the rate of the maxHotBlocks-th hottest block — so only about maxHotBlocks blocks qualify and the
// optimising compiler is not flooded when a program's whole working set warms up at once — and T
// rises to it immediately. Otherwise the target is the configured threshold and T falls back
// towards it at the decay rate: T = max(target, threshold + (T − threshold) · decayRate). T never
// goes below the configured threshold.

import { resolveEwmaConfig } from './config.js'
import { kthLargest } from './select.js'
import type { EwmaConfig } from './config.js'

export type { EwmaConfig } from './config.js'

/** One hot block, as listed by hotspots(). */
export interface HotspotInfo {
  pc: bigint
  /** The smoothed rate (executions per epoch). */
  rate: number
  /** Executions recorded in total. */
  executionCount: number
}

export interface HotspotStats {
  /** Blocks the detector has seen. */
  blocksTracked: number
  /** Blocks isHotspot() calls hot now. */
  hotCount: number
  /** Blocks whose rate is at least the configured threshold (H in the adaptive rule). */
  aboveThreshold: number
  /** The configured threshold. */
  threshold: number
  /** The threshold in force (≥ threshold). */
  effectiveThreshold: number
  /** Epochs closed so far. */
  epochs: number
  /** Executions recorded in total. */
  totalExecutions: number
}

const INITIAL_CAPACITY = 256

/**
 * Maps counter indexes to guest pcs for EwmaHotspotDetector.observe-style bulk updates; made by
 * detector.bindCounters(). Unmapped indexes are ignored.
 */
export class CounterBinding {
  #slots = new Int32Array(64).fill(-1)
  #length = 0
  readonly #resolve: (pc: bigint) => number
  readonly #observe: (slots: Int32Array, counters: ArrayLike<number>, n: number) => void

  /** @internal Made by EwmaHotspotDetector.bindCounters(). */
  constructor(resolve: (pc: bigint) => number, observe: (slots: Int32Array, counters: ArrayLike<number>, n: number) => void) {
    this.#resolve = resolve
    this.#observe = observe
  }

  /** Counter `index` counts executions of `pc` from now on (undefined: of nothing). */
  set(index: number, pc: bigint | undefined): void {
    if (!Number.isInteger(index) || index < 0 || index > 0x3fff_ffff) {
      throw new RangeError(`CounterBinding.set: index must be an integer from 0 to 2^30 − 1, got ${String(index)}`)
    }
    if (index >= this.#slots.length) {
      let cap = this.#slots.length
      while (cap <= index) cap *= 2
      const grown = new Int32Array(cap).fill(-1)
      grown.set(this.#slots)
      this.#slots = grown
    }
    this.#slots[index] = pc === undefined ? -1 : this.#resolve(pc)
    if (index >= this.#length) this.#length = index + 1
  }

  /** One past the highest index ever set. */
  get length(): number {
    return this.#length
  }

  /** Records counters[i] executions for every mapped index i (up to counters.length). */
  observe(counters: ArrayLike<number>): void {
    this.#observe(this.#slots, counters, Math.min(this.#length, counters.length))
  }
}

export class EwmaHotspotDetector {
  readonly config: Readonly<EwmaConfig>
  readonly #alpha: number
  readonly #threshold: number
  readonly #decay: number
  /** ⌈1/alpha⌉: epochs during which the total-count rule applies. */
  readonly #warmup: number
  /** decayRate^k for small k, to avoid Math.pow on every read. */
  readonly #decayPow: Float64Array

  // Blocks are numbered (slots) in order of first sighting; per-block data is struct-of-arrays.
  // pcs that fit a double exactly (all real ones: < 2^53) are keyed by number, which a Map hashes
  // much faster than a bigint.
  readonly #byNumber = new Map<number, number>()
  readonly #byBigint = new Map<bigint, number>()
  #pcs: bigint[] = []
  #count = 0
  #total = new Float64Array(INITIAL_CAPACITY)
  /** Executions in the epoch under way. */
  #pending = new Float64Array(INITIAL_CAPACITY)
  /** Rate as of epoch #rateEpoch[slot]. */
  #rate = new Float64Array(INITIAL_CAPACITY)
  #rateEpoch = new Uint32Array(INITIAL_CAPACITY)
  /** Epochs closed when the block was first seen (or reset). */
  #firstEpoch = new Uint32Array(INITIAL_CAPACITY)
  /** Slots with executions in the epoch under way (each once: #isTouched marks them; sized like the slots). */
  #touched = new Int32Array(INITIAL_CAPACITY)
  #touchedCount = 0
  #isTouched = new Uint8Array(INITIAL_CAPACITY)
  /** Slots whose rate was ≥ the configured threshold at the last tick (each once: #isAbove). */
  #above = new Int32Array(INITIAL_CAPACITY)
  #aboveCount = 0
  #isAbove = new Uint8Array(INITIAL_CAPACITY)
  #scratch = new Float64Array(INITIAL_CAPACITY)

  #epoch = 0
  #effective: number
  readonly #epochExecutions: number
  #sinceTick = 0
  #totalExecutions = 0

  // observeCounters' cache: the slot of each index of the last pcs array it was given.
  #bulkPcs: readonly bigint[] | undefined
  #bulkSlots = new Int32Array(0)
  #bulkLength = 0

  /** A detector with the seed's defaults, overridden by `config`'s fields. */
  constructor(config: Partial<EwmaConfig> = {}) {
    this.config = Object.freeze(resolveEwmaConfig(config))
    this.#alpha = this.config.alpha
    this.#threshold = this.config.threshold
    this.#decay = this.config.decayRate
    this.#warmup = Math.ceil(1 / this.#alpha - 1e-9)
    this.#effective = this.#threshold
    this.#epochExecutions = this.config.epochExecutions
    this.#decayPow = new Float64Array(64)
    for (let k = 0; k < 64; k++) this.#decayPow[k] = this.#decay ** k
  }

  /** The seed's `EwmaHotspotDetector::with_config`. */
  static withConfig(config: Partial<EwmaConfig>): EwmaHotspotDetector {
    return new EwmaHotspotDetector(config)
  }

  // ---- recording -----------------------------------------------------------------------------

  /** Records `count` executions of the block at `pc` in the epoch under way. */
  recordExecution(pc: bigint, count = 1): void {
    if (!(count >= 0 && count < Infinity)) {
      throw new RangeError(`EwmaHotspotDetector.recordExecution: count must be a non-negative finite number, got ${String(count)}`)
    }
    this.#add(this.#slotOf(pc, 'recordExecution'), count)
    if (this.#epochExecutions !== 0) this.#autoTick(count)
  }

  /** Alias of recordExecution, for deltas read from native execution counters. */
  observe(pc: bigint, delta: number): void {
    this.recordExecution(pc, delta)
  }

  /**
   * Bulk recordExecution: `counters[i]` executions of `pcs[i]` (zero and negative entries are
   * skipped). The slot of each index is cached for the `pcs` array, so a repeated call with the
   * same (possibly longer) array does no Map lookups; each nonzero delta still costs one bigint
   * comparison (~6 ns) to catch an index whose pc was replaced in place. For the fastest path,
   * where the mapping changes rarely (counters indexed by native unit id), use bindCounters().
   */
  observeCounters(pcs: readonly bigint[], counters: ArrayLike<number>): void {
    const n = pcs.length
    if (counters.length < n) {
      throw new RangeError(`EwmaHotspotDetector.observeCounters: ${n} pcs but only ${counters.length} counters`)
    }
    if (pcs !== this.#bulkPcs || n < this.#bulkLength) {
      this.#bulkPcs = pcs
      this.#bulkLength = 0
    }
    if (n > this.#bulkSlots.length) {
      const grown = new Int32Array(Math.max(n, this.#bulkSlots.length * 2))
      grown.set(this.#bulkSlots.subarray(0, this.#bulkLength))
      this.#bulkSlots = grown
    }
    const slots = this.#bulkSlots
    for (let i = this.#bulkLength; i < n; i++) slots[i] = this.#slotOf(pcs[i], 'observeCounters')
    this.#bulkLength = n
    const known = this.#pcs
    for (let i = 0; i < n; i++) {
      if (counters[i] > 0 && known[slots[i]] !== pcs[i]) slots[i] = this.#slotOf(pcs[i], 'observeCounters')
    }
    this.#observeSlots(slots, counters, n)
  }

  /**
   * A reusable mapping from counter index to pc, for native execution counters indexed by an id
   * (a code unit id) that is assigned when code is installed and reused after it is freed:
   *
   * ```ts
   * const bound = detector.bindCounters()
   * bound.set(unit.id, pc)            // at install (and again when the id is reused)
   * bound.observe(deltas)             // at each decision point: deltas[id] executions of id's pc
   * detector.tick()
   * ```
   *
   * observe() is a typed-array walk: ~2 ns per counter, no Map lookups, no bigint operations.
   */
  bindCounters(): CounterBinding {
    return new CounterBinding(
      (pc) => this.#slotOf(pc, 'bindCounters'),
      (slots, counters, n) => this.#observeSlots(slots, counters, n),
    )
  }

  /** Adds counters[i] executions to slot slots[i] for i < n (skips ≤ 0 and unmapped (−1) entries). */
  #observeSlots(slots: Int32Array, counters: ArrayLike<number>, n: number): void {
    // #add inlined over locals: this loop runs for thousands of blocks at every decision point.
    // No slot is created inside it, so the per-slot arrays cannot be reallocated under it, and
    // #touched has room for every slot.
    const pending = this.#pending
    const total = this.#total
    const isTouched = this.#isTouched
    const touched = this.#touched
    let touchedCount = this.#touchedCount
    let sum = 0
    for (let i = 0; i < n; i++) {
      const d = counters[i]
      if (d > 0) {
        const slot = slots[i]
        if (slot < 0) continue
        if (isTouched[slot] === 0) {
          isTouched[slot] = 1
          touched[touchedCount++] = slot
        }
        pending[slot] += d
        total[slot] += d
        sum += d
      }
    }
    this.#touchedCount = touchedCount
    this.#totalExecutions += sum
    if (this.#epochExecutions !== 0) this.#autoTick(sum)
  }

  /** Closes the epoch under way: updates the rates and the effective threshold. */
  tick(): void {
    const epoch = ++this.#epoch
    const alpha = this.#alpha
    const threshold = this.#threshold
    const touched = this.#touched
    const pending = this.#pending
    const rate = this.#rate
    for (let k = 0; k < this.#touchedCount; k++) {
      const slot = touched[k]
      const v = alpha * pending[slot] + (1 - alpha) * this.#rateAt(slot, epoch - 1)
      rate[slot] = v
      this.#rateEpoch[slot] = epoch
      pending[slot] = 0
      this.#isTouched[slot] = 0
      if (v >= threshold && this.#isAbove[slot] === 0) {
        this.#isAbove[slot] = 1
        this.#above[this.#aboveCount++] = slot
      }
    }
    this.#touchedCount = 0
    this.#sinceTick = 0

    // H = blocks at or above the configured threshold; blocks that cooled below it leave the list.
    const above = this.#above
    const values = this.#scratch
    let h = 0
    for (let k = 0; k < this.#aboveCount; k++) {
      const slot = above[k]
      const v = this.#rateAt(slot, epoch)
      if (v < threshold) {
        this.#isAbove[slot] = 0
      } else {
        above[h] = slot
        values[h++] = v
      }
    }
    this.#aboveCount = h
    let target = threshold
    const k = this.config.maxHotBlocks
    if (this.config.adaptiveThreshold && h > k) target = kthLargest(values, h, k)
    this.#effective = Math.max(target, threshold + (this.#effective - threshold) * this.#decay)
  }

  // ---- queries -------------------------------------------------------------------------------

  /** Whether the block at `pc` is hot (see the rules at the top of this file). */
  isHotspot(pc: bigint): boolean {
    const slot = this.#find(pc)
    if (slot === undefined) return false
    const t = this.#effective
    if (this.#rateAt(slot, this.#epoch) >= t) return true
    const age = this.#epoch - this.#firstEpoch[slot]
    return age < this.#warmup && this.#total[slot] >= t * Math.max(1, age)
  }

  /** Executions recorded for `pc` in total (0 if never seen). */
  executionCount(pc: bigint): number {
    const slot = this.#find(pc)
    return slot === undefined ? 0 : this.#total[slot]
  }

  /** The smoothed rate of `pc` in executions per epoch, as of the last closed epoch (0 if unknown). */
  rate(pc: bigint): number {
    const slot = this.#find(pc)
    return slot === undefined ? 0 : this.#rateAt(slot, this.#epoch)
  }

  /** The threshold in force now (≥ config.threshold). */
  get effectiveThreshold(): number {
    return this.#effective
  }

  /** Epochs closed so far. */
  get epochs(): number {
    return this.#epoch
  }

  /** The hot blocks, hottest (by rate, then by count) first; at most `limit`. O(blocks tracked). */
  hotspots(limit = Infinity): HotspotInfo[] {
    const hot: HotspotInfo[] = []
    for (let slot = 0; slot < this.#count; slot++) {
      if (this.#isHotSlot(slot)) hot.push({ pc: this.#pcs[slot], rate: this.#rateAt(slot, this.#epoch), executionCount: this.#total[slot] })
    }
    hot.sort((a, b) => b.rate - a.rate || b.executionCount - a.executionCount)
    return Number.isFinite(limit) ? hot.slice(0, Math.max(0, limit)) : hot
  }

  /**
   * Forgets the history of `pc` (its rate, counts and age) — e.g. after its code was invalidated, or
   * once it has been optimised and should be judged afresh. Returns whether it was tracked.
   */
  reset(pc: bigint): boolean {
    const slot = this.#find(pc)
    if (slot === undefined) return false
    this.#totalExecutions -= this.#total[slot]
    this.#total[slot] = 0
    this.#pending[slot] = 0 // if it is in #touched, the next tick computes 0 for it
    this.#rate[slot] = 0
    this.#rateEpoch[slot] = this.#epoch
    this.#firstEpoch[slot] = this.#epoch
    // It stays in #above (if there) until the next tick drops it: its rate is 0 now.
    return true
  }

  /** Counts for dashboards and tests. O(blocks tracked). */
  stats(): HotspotStats {
    let hotCount = 0
    for (let slot = 0; slot < this.#count; slot++) if (this.#isHotSlot(slot)) hotCount++
    let aboveThreshold = 0
    for (let k = 0; k < this.#aboveCount; k++) if (this.#rateAt(this.#above[k], this.#epoch) >= this.#threshold) aboveThreshold++
    return {
      blocksTracked: this.#count,
      hotCount,
      aboveThreshold,
      threshold: this.#threshold,
      effectiveThreshold: this.#effective,
      epochs: this.#epoch,
      totalExecutions: this.#totalExecutions,
    }
  }

  // ---- internals -----------------------------------------------------------------------------

  #isHotSlot(slot: number): boolean {
    const t = this.#effective
    if (this.#rateAt(slot, this.#epoch) >= t) return true
    const age = this.#epoch - this.#firstEpoch[slot]
    return age < this.#warmup && this.#total[slot] >= t * Math.max(1, age)
  }

  /** The rate of `slot` decayed to epoch `epoch` (lazy decay; see the top of the file). */
  #rateAt(slot: number, epoch: number): number {
    const v = this.#rate[slot]
    if (v === 0) return 0
    const k = epoch - this.#rateEpoch[slot]
    return k <= 0 ? v : k < 64 ? v * this.#decayPow[k] : v * this.#decay ** k
  }

  #add(slot: number, count: number): void {
    if (this.#isTouched[slot] === 0 && count > 0) {
      this.#isTouched[slot] = 1
      this.#touched[this.#touchedCount++] = slot // #touched has room for every slot (#grow)
    }
    this.#pending[slot] += count
    this.#total[slot] += count
    this.#totalExecutions += count
  }

  #autoTick(count: number): void {
    this.#sinceTick += count
    if (this.#sinceTick >= this.#epochExecutions) this.tick()
  }

  /** The slot of `pc`, or undefined if never seen. */
  #find(pc: bigint): number | undefined {
    const n = Number(pc)
    if (n >= 0 && n <= Number.MAX_SAFE_INTEGER) return this.#byNumber.get(n)
    return typeof pc === 'bigint' ? this.#byBigint.get(pc) : undefined
  }

  /** The slot of `pc`, created on first sight. */
  #slotOf(pc: bigint, where: string): number {
    // Number(pc) is exact below 2^53; a bigint above may round to a safe integer only if it is
    // itself below 2^53 + 1, and 2^53 itself is not "safe", so the test below is exact.
    const n = typeof pc === 'bigint' ? Number(pc) : NaN
    if (n >= 0 && n <= Number.MAX_SAFE_INTEGER) {
      const slot = this.#byNumber.get(n)
      if (slot !== undefined) return slot
      const created = this.#create(pc)
      this.#byNumber.set(n, created)
      return created
    }
    if (typeof pc !== 'bigint') throw new TypeError(`EwmaHotspotDetector.${where}: pc must be a bigint, got ${typeof pc}`)
    if (pc < 0n || pc >= 1n << 64n) throw new RangeError(`EwmaHotspotDetector.${where}: pc must be a u64, got ${pc}n`)
    const slot = this.#byBigint.get(pc)
    if (slot !== undefined) return slot
    const created = this.#create(pc)
    this.#byBigint.set(pc, created)
    return created
  }

  #create(pc: bigint): number {
    const slot = this.#count++
    if (slot === this.#total.length) this.#grow()
    this.#pcs.push(pc)
    this.#rateEpoch[slot] = this.#epoch
    this.#firstEpoch[slot] = this.#epoch
    return slot
  }

  #grow(): void {
    const cap = this.#total.length * 2
    const grow = <T extends Float64Array | Uint32Array | Uint8Array | Int32Array>(a: T, make: (n: number) => T): T => {
      const b = make(cap)
      b.set(a)
      return b
    }
    this.#total = grow(this.#total, (n) => new Float64Array(n))
    this.#pending = grow(this.#pending, (n) => new Float64Array(n))
    this.#rate = grow(this.#rate, (n) => new Float64Array(n))
    this.#rateEpoch = grow(this.#rateEpoch, (n) => new Uint32Array(n))
    this.#firstEpoch = grow(this.#firstEpoch, (n) => new Uint32Array(n))
    this.#isTouched = grow(this.#isTouched, (n) => new Uint8Array(n))
    this.#isAbove = grow(this.#isAbove, (n) => new Uint8Array(n))
    // #touched, #above and #scratch hold at most one entry per slot
    this.#touched = grow(this.#touched, (n) => new Int32Array(n))
    this.#above = grow(this.#above, (n) => new Int32Array(n))
    this.#scratch = new Float64Array(cap)
  }
}

// TieredCompiler: the run loop of the tiered JIT. The guest runs in native code (the dispatch
// loop in crates/vm-jit-core/src/runtime); it comes back here only for a pc with no code yet
// (translate, decide, compile, resume), a decision point (read the execution counters, promote
// hot blocks, install background compiles), or a real exit. All of that is invisible to the
// caller of `run`.

import { Block } from '../ir/Block.js'
import { native, type NativeRuntime, type NativeUnitInfo } from '../native.js'
import { byteView, checkDisjoint, type GuestBuffer } from '../run/buffers.js'
import { toRunExit, type RunExit } from '../run/exit.js'
import { DEFAULT_FUEL, normalizeFuel } from '../run/fuel.js'
import { ShardedCodeCache } from '../cache/ShardedCodeCache.js'
import type { CacheEntry, CacheEvictReason } from '../cache/types.js'
import { EwmaHotspotDetector, type CounterBinding, type EwmaConfig } from '../hotspot/EwmaHotspotDetector.js'
import { EventBasedJitMonitor } from '../monitor/EventBasedJitMonitor.js'
import { ThresholdPolicy, type BlockProfile, type CompilePolicy, type Tier } from './policy.js'
import { formRegion, regionCovers, type RegionInfo } from './regions.js'
import { RecordTable } from './RecordTable.js'
import { DEFAULT_REGION_LIMITS, type RegionLimits } from '../region/Region.js'

/** What `translate` may return: a block, or a block with the guest bytes it covers (for invalidateRange). */
export type Translation = Block | { block: Block; guestSize?: number }

export interface TieredConfig {
  /** Executions before a block gets tier-1 code; 1 compiles on first execution. Default 1. */
  fastPathThreshold?: number
  /** Executions before a block is compiled optimised (in the background). Default 100. */
  optimizedThreshold?: number
  /** Cache entries for tier 0/1 code. Default 10,000. */
  fastCacheSize?: number
  /** Tier-2 blocks at most. Default 1,000. */
  optimizedCacheSize?: number
  /** Guest pc → the block starting there. Needed by `run`. */
  translate?: (pc: bigint) => Translation
  /** Budget of machine-code bytes; least recently used code is evicted past it. Default 64 MiB. */
  maxCodeBytes?: number
  /** Native threads compiling tier 2 in the background. Default 1. */
  compileThreads?: number
  /** Compile tier 2 in the background (true) or stop the guest for it (false). Default true. */
  backgroundCompilation?: boolean
  /**
   * Tier-2 code counts its executions like the lower tiers (true, the default), or leaves the
   * count out (false): one memory increment less at every entry of an optimised block — 1–4 %
   * of a run that goes from block to block. Nothing needs the counts of tier-2 blocks to run
   * (there is no higher tier to promote them to); with false, `executionCount`, the detector's
   * rates and the monitor's hottest blocks stop counting a block when its tier-2 code is
   * installed. Applies to the code this compiler builds (an adopted shared-cache unit counts as
   * its builder chose).
   */
  countOptimizedExecutions?: boolean
  /**
   * Fuel between decision points (see docs/ARCHITECTURE.md). Default 2^22: about 15 ms of guest
   * time, which keeps the policy's cost (a look at every block's counter) under 1 % of run time.
   */
  decisionInterval?: number
  /** What to compile when; default: the seed's thresholds. */
  policy?: CompilePolicy
  /** Hot-spot detection parameters (EwmaConfig). */
  hotspot?: Partial<EwmaConfig>
  /**
   * Another TieredCompiler's `cache.sharedBuffer`, to share its code cache index (worker
   * threads). Default: a cache of this compiler's own.
   */
  sharedCache?: SharedArrayBuffer
  /**
   * Bytes of guest state the runtime is made for: every run's state buffer must have at least
   * this many, and no block may use more. Default: the state buffer of the first `run` — or, if
   * a compile (compileFast, compileOptimized, compileAsync, executeBlock) comes first, that
   * block's stateSize, which later, larger blocks cannot exceed: pass it when compiling first.
   */
  stateSize?: number
  /**
   * Tier 2 compiles a hot block together with the hot blocks its exits reach (a region: guest
   * loops over several blocks become native loops, guest state stays in host registers). true
   * (default) with the default limits, limits of your own, or false for single blocks only.
   * Off (and not allowed) with `sharedCache`.
   */
  regions?: boolean | RegionLimits
  /**
   * Specialise each region on the values the guest registers it reads but never writes hold when
   * it is formed (a multiplier, a shift amount, a loop bound: constants to the optimiser then),
   * under a guard at region entry that falls back to the unspecialised region when they differ
   * (Region.stitch's `specializeOn`, docs/IR.md "Regions"). Results are the same either way.
   * Default true.
   */
  specializeRegions?: boolean
}

export interface TieredRunOptions {
  /** Block entries plus back edges the run may take (docs/IR.md). Default 1e9; Infinity allowed. */
  fuel?: number | bigint
}

/** The runtime's record of one guest block. */
interface BlockRecord {
  pc: bigint
  block: Block
  guestSize: number
  unit: NativeUnitInfo
  tier: Tier
  executions: number
  /** Id of a background compile for this block, if one is under way. */
  pendingJob: number | undefined
  /**
   * Its place in #table, which also keeps its counter snapshot, its executions in the last epoch
   * and whether it is offered to the policy at the next decision point (it ran since the last
   * one, or it is new, or its compile finished: see #profiles).
   */
  slot: number
  /** The slot #bound maps to this record's pc (−1: none yet; see #ran). */
  boundSlot: number
  /** Bumped when the block is invalidated: a compile started before is stale. */
  generation: number
  /** Set when the code is a region starting here: its member blocks (this one first). */
  region: RegionInfo | undefined
}

interface PendingJob {
  pc: bigint
  tier: Tier
  generation: number
  /** A region compile: its members, and each member's generation when it started. */
  region?: RegionInfo
  memberGenerations?: number[]
}

const MISS = 6
const DECISION = 7
// Chaining domains are process-wide (the native registry is shared by all worker threads) but this
// module is loaded once per thread: with a plain counter, runtimes in two workers both got domain 1
// and their blocks chained into each other's code. Tag each thread's numbers with a number unique
// to the thread (the native threadOrdinal, not worker_threads.threadId: that module costs ~2 ms to
// load, in every process that creates a TieredCompiler).
let nextDomain = 1
function newDomain(): number {
  return ((native().threadOrdinal() & 0xffff) * 0x1_0000 + (nextDomain++ & 0xffff)) >>> 0
}

export class TieredCompiler {
  readonly config: Required<Omit<TieredConfig, 'translate' | 'policy' | 'hotspot' | 'sharedCache' | 'stateSize' | 'regions'>>
  /** Region limits, or undefined when regions are off. */
  readonly regionLimits: Readonly<Required<RegionLimits>> | undefined
  readonly cache: ShardedCodeCache
  readonly detector: EwmaHotspotDetector
  readonly policy: CompilePolicy
  #translate: ((pc: bigint) => Translation) | undefined
  #native: NativeRuntime | undefined
  #stateSize = 0
  readonly #domain = newDomain()
  readonly #counters: Uint32Array
  /** [0]: interrupt flag; over a SharedArrayBuffer so another thread can set it. */
  readonly #control: Int32Array
  readonly #blocks = new Map<bigint, BlockRecord>()
  /** #blocks' records in its order, with what decision points read of them (RecordTable.ts). */
  readonly #table = new RecordTable<BlockRecord>()
  readonly #byUnit = new Map<number, BlockRecord>()
  readonly #jobs = new Map<number, PendingJob>()
  #nextJob = 1
  #tier2Count = 0
  #monitor: EventBasedJitMonitor | undefined
  readonly #configuredStateSize: number | undefined

  constructor(config: TieredConfig = {}) {
    const c = {
      fastPathThreshold: config.fastPathThreshold ?? 1,
      optimizedThreshold: config.optimizedThreshold ?? 100,
      fastCacheSize: config.fastCacheSize ?? 10_000,
      optimizedCacheSize: config.optimizedCacheSize ?? 1_000,
      maxCodeBytes: config.maxCodeBytes ?? 64 << 20,
      compileThreads: config.compileThreads ?? 1,
      backgroundCompilation: config.backgroundCompilation ?? true,
      countOptimizedExecutions: config.countOptimizedExecutions ?? true,
      decisionInterval: config.decisionInterval ?? 1 << 22,
      specializeRegions: config.specializeRegions ?? true,
    }
    for (const [k, v] of Object.entries(c)) {
      if (typeof v === 'number' && (!Number.isInteger(v) || v < (k === 'compileThreads' ? 1 : 0))) {
        throw new RangeError(`TieredCompiler: ${k} must be a non-negative integer${k === 'compileThreads' ? ' ≥ 1' : ''}, got ${v}`)
      }
    }
    if (typeof c.countOptimizedExecutions !== 'boolean') {
      throw new TypeError(`TieredCompiler: countOptimizedExecutions must be a boolean, got ${String(c.countOptimizedExecutions)}`)
    }
    if (c.fastPathThreshold > c.optimizedThreshold) {
      throw new RangeError(`TieredCompiler: fastPathThreshold (${c.fastPathThreshold}) exceeds optimizedThreshold (${c.optimizedThreshold})`)
    }
    if (config.stateSize !== undefined && (!Number.isSafeInteger(config.stateSize) || config.stateSize < 0)) {
      throw new RangeError(`TieredCompiler: stateSize must be a non-negative integer, got ${String(config.stateSize)}`)
    }
    this.#configuredStateSize = config.stateSize
    if (config.translate !== undefined && typeof config.translate !== 'function') {
      throw new TypeError('TieredCompiler: translate must be a function (pc: bigint) => Block')
    }
    this.config = c
    // With a shared cache other workers adopt units by pc, and would not know which guest blocks
    // a region covers (so not drop it when one is invalidated): regions stay off there.
    const regions = config.regions ?? !config.sharedCache
    if (typeof regions !== 'boolean' && (regions === null || typeof regions !== 'object')) {
      throw new TypeError(`TieredCompiler: regions must be a boolean or { maxBlocks, maxOps }, got ${String(regions)}`)
    }
    if (regions !== false && config.sharedCache) {
      throw new TypeError('TieredCompiler: regions cannot be combined with sharedCache (workers adopting a region would not know what it covers)')
    }
    this.regionLimits = regions === false ? undefined : Object.freeze({ ...DEFAULT_REGION_LIMITS, ...(regions === true ? {} : regions) })
    for (const [k, v] of Object.entries(this.regionLimits ?? {})) {
      if (!Number.isInteger(v) || v < 1) throw new RangeError(`TieredCompiler: regions.${k} must be a positive integer, got ${String(v)}`)
    }
    this.#translate = config.translate
    this.policy = config.policy ?? new ThresholdPolicy(c)
    this.detector = new EwmaHotspotDetector({ threshold: c.optimizedThreshold, ...config.hotspot })
    // A detector that closes epochs by itself (epochExecutions) must see executions block by block,
    // as it may close one between two blocks; otherwise it takes them all in one pass.
    this.#bound = this.detector.config.epochExecutions === 0 ? this.detector.bindCounters() : undefined
    const onEvict = (pc: bigint, entry: CacheEntry, why: CacheEvictReason): void => this.#evicted(pc, entry, why)
    this.cache = config.sharedCache
      ? ShardedCodeCache.attach(config.sharedCache, { onEvict })
      : new ShardedCodeCache({ maxEntries: c.fastCacheSize + c.optimizedCacheSize, maxCodeBytes: c.maxCodeBytes, onEvict })
    const n = native()
    this.#counters = new Uint32Array(new SharedArrayBuffer(4 * n.runtimeCounterSlots()))
    this.#control = new Int32Array(new SharedArrayBuffer(16))
    this.#clockOffsetMs = performance.now() - n.nativeClockUs() / 1000
  }

  /** performance.now() − native clock, in ms: puts background compile spans on the monitor's clock. */
  readonly #clockOffsetMs: number

  /** The SharedArrayBuffer whose first i32 is the interrupt flag (for `TieredCompiler.interruptVia`). */
  get interruptBuffer(): SharedArrayBuffer {
    return this.#control.buffer as SharedArrayBuffer
  }

  /** Asks a running guest to stop (reason 'interrupt'); safe from another thread via `interruptBuffer`. */
  interrupt(): void {
    Atomics.store(this.#control, 0, 1)
  }

  /** Interrupts the TieredCompiler owning `buffer` (its `interruptBuffer`), e.g. from another worker. */
  static interruptVia(buffer: SharedArrayBuffer): void {
    Atomics.store(new Int32Array(buffer), 0, 1)
  }

  /** Native execution counters, indexed by unit id (read directly: no call per count). */
  get counters(): Uint32Array {
    return this.#counters
  }

  enablePerformanceMonitor(): EventBasedJitMonitor {
    this.#monitor ??= new EventBasedJitMonitor()
    this.#monitor.setExecutionSupplier(() => this.#executionTable())
    return this.#monitor
  }

  /** Stops monitoring and returns the monitor (undefined if it was not enabled). */
  disablePerformanceMonitor(): EventBasedJitMonitor | undefined {
    const m = this.#monitor
    if (m) {
      this.#syncCounters()
      m.setExecutionSupplier(undefined)
      m.recordExecutionsBulk(this.#executionTable())
    }
    this.#monitor = undefined
    return m
  }

  // ---- the seed's API --------------------------------------------------------------------

  /** Compiles `block` at tier 1 now and makes it the code for its pc. */
  compileFast(block: Block): NativeUnitInfo {
    return this.#compileNow(block, 1, 0)
  }

  /** Compiles `block` optimised now (the guest is not running) and makes it the code for its pc. */
  compileOptimized(block: Block): NativeUnitInfo {
    return this.#compileNow(block, 2, 0)
  }

  /** Compiles `block` at `tier` on a background thread; installed at the next decision point. */
  compileAsync(block: Block, tier: Tier = 2): Promise<NativeUnitInfo> {
    // Checked here: a non-Block failed deep in the binding ("Get TypedArray info failed"), a bad
    // tier compiled at tier 0 under a record of that tier, and a block using more state than the
    // runtime has compiled fine and then made the next run() throw when it was installed.
    if (!(block instanceof Block)) {
      return Promise.reject(new TypeError(`TieredCompiler.compileAsync: expected a Block (from IRBuilder.finish() or Block.fromBytes()), got ${block === null ? 'null' : typeof block}`))
    }
    if (tier !== 0 && tier !== 1 && tier !== 2) {
      return Promise.reject(new RangeError(`TieredCompiler.compileAsync: tier must be 0, 1 or 2, got ${String(tier)}`))
    }
    this.#ensureNative(block.stateSize)
    try {
      this.#checkStateSize(block, 'TieredCompiler.compileAsync')
    } catch (e) {
      return Promise.reject(e)
    }
    return this.#startJob(block, tier, undefined)
  }

  /** A background compile of `block` — or of `region`, whose entry it is. */
  #startJob(block: Block, tier: Tier, region: RegionInfo | undefined): Promise<NativeUnitInfo> {
    const rec = this.#blocks.get(block.pc)
    const job = this.#nextJob++
    // The pc's generation, not the record's: a record made after an invalidation starts afresh,
    // and must not accept code compiled from the guest bytes before it (self-modifying code).
    this.#jobs.set(job, {
      pc: block.pc,
      tier,
      generation: this.#generationOf(block.pc),
      region,
      memberGenerations: region?.members.map((m) => this.#generationOf(m.pc)),
    })
    if (rec) rec.pendingJob = job
    else this.#pendingBlocks.set(block.pc, block)
    this.#monitor?.record({ kind: 'compileStart', pc: block.pc, tier, ts: performance.now(), background: true })
    const bytes = (region?.block ?? block).bytes
    return this.#native!.compileUnitAsync(bytes, tier === 2 ? 'speed' : tier === 1 ? 'none' : 'interp', job)
  }

  readonly #pendingBlocks = new Map<bigint, Block>()

  isHotspot(pc: bigint): boolean {
    return this.detector.isHotspot(pc)
  }

  /** The tier `pc` runs at now, or undefined. */
  tierOf(pc: bigint): Tier | undefined {
    return this.#blocks.get(pc)?.tier
  }

  /**
   * Executions of `pc` counted so far (as of the last decision point or run end); with
   * `countOptimizedExecutions: false`, up to its tier-2 code's installation.
   */
  executionCount(pc: bigint): number {
    return this.#blocks.get(pc)?.executions ?? 0
  }

  /**
   * Executes one block (the seed's `execute_block`): its first execution compiles it at the
   * policy's first tier, later ones promote it when it gets hot. Exits return here; nothing
   * chains on.
   */
  executeBlock(block: Block, state: GuestBuffer, memory: GuestBuffer, options: TieredRunOptions = {}): RunExit {
    if (!(block instanceof Block)) throw new TypeError('TieredCompiler.executeBlock: expected a Block')
    const st = byteView(state, 'state', 'TieredCompiler.executeBlock')
    const mem = byteView(memory, 'memory', 'TieredCompiler.executeBlock')
    checkDisjoint(st, mem, 'TieredCompiler.executeBlock')
    this.#ensureNative(st.byteLength)
    let rec = this.#single.get(block.pc)
    if (!rec || rec.block.bytes !== block.bytes) {
      if (rec) this.#native!.release(rec.unit.id)
      const tier = this.policy.firstTier(this.#profile(undefined, block))
      const unit = this.#timedCompile(block, tier, false)
      rec = { pc: block.pc, block, unit, tier, count: 0 }
      this.#single.set(block.pc, rec)
    }
    const stop = this.#native!.runUnit(rec.unit.id, st, mem, normalizeFuel(options.fuel, 'TieredCompiler.executeBlock'), this.#counters, this.#control)
    rec.count++
    this.detector.recordExecution(block.pc, 1)
    if (rec.tier < 2 && (rec.count >= this.config.optimizedThreshold || (rec.tier === 0 && rec.count >= this.config.fastPathThreshold))) {
      const tier: Tier = rec.count >= this.config.optimizedThreshold ? 2 : 1
      const unit = this.#timedCompile(block, tier, false)
      this.#native!.release(rec.unit.id)
      this.#monitor?.record({ kind: 'promotion', pc: block.pc, fromTier: rec.tier, toTier: tier, ts: performance.now() })
      rec.unit = unit
      rec.tier = tier
    }
    return this.#exit(stop)
  }

  readonly #single = new Map<bigint, { pc: bigint; block: Block; unit: NativeUnitInfo; tier: Tier; count: number }>()

  /**
   * Runs the guest from `pc` until it halts, traps, faults, runs out of fuel or is interrupted.
   * `state` and `memory` are used in place.
   */
  run(pc: bigint, state: GuestBuffer, memory: GuestBuffer, options: TieredRunOptions = {}): RunExit {
    if (typeof pc !== 'bigint') throw new TypeError(`TieredCompiler.run: pc must be a bigint, got ${typeof pc}`)
    const st = byteView(state, 'state', 'TieredCompiler.run')
    const mem = byteView(memory, 'memory', 'TieredCompiler.run')
    checkDisjoint(st, mem, 'TieredCompiler.run')
    this.#ensureNative(st.byteLength)
    if (st.byteLength < this.#stateSize) {
      throw new Error(`TieredCompiler.run: guest state is ${st.byteLength} bytes but this runtime was created for ${this.#stateSize}`)
    }
    let fuel = options.fuel === undefined ? DEFAULT_FUEL : normalizeFuel(options.fuel, 'TieredCompiler.run')
    const started = performance.now()
    let dispatched = 0
    for (;;) {
      const stop = this.#native!.run(pc, st, mem, fuel, this.config.decisionInterval, this.#counters, this.#control)
      dispatched += stop.dispatched
      // Code lookups happen natively: every dispatched block was a hit, a miss comes back here.
      if (this.#monitor) {
        if (stop.dispatched > 0) this.#monitor.recordLookup(true, stop.dispatched)
        if (stop.reason === MISS) this.#monitor.recordLookup(false)
      }
      if (fuel !== Infinity) fuel = Number(stop.fuelLeft)
      pc = stop.pc
      if (stop.reason === MISS) {
        this.#miss(pc)
        continue
      }
      this.#decide(st)
      if (stop.reason === DECISION) continue
      const exit = this.#exit(stop)
      if (exit.reason === 'interrupt') Atomics.store(this.#control, 0, 0)
      const ended = performance.now()
      this.#monitor?.record({
        kind: 'run',
        // A span event's ts is its end (monitor/events.ts); with ts = started the run showed up
        // one run-length too early on the timeline.
        start: started,
        ts: ended,
        durationUs: (ended - started) * 1000,
        blocksExecuted: dispatched,
        exitReason: exit.reason,
      })
      return exit
    }
  }

  /** Drops the code for `pc` (self-modifying code): the next execution translates it again. */
  invalidate(pc: bigint): boolean {
    // A compile of `pc` under way (compileAsync of a block with no code yet) is stale too.
    this.#bumpGeneration(pc)
    const removed = this.cache.invalidate(pc)
    const rec = this.#blocks.get(pc)
    if (rec) this.#forget(rec, 'invalidate')
    const regions = this.#dropRegionsCovering(pc, pc + 1n)
    this.#monitor?.record({ kind: 'invalidation', pc, ts: performance.now() })
    return removed || rec !== undefined || regions > 0
  }

  /** Drops every region with a member overlapping guest bytes [start, end). Returns how many. */
  #dropRegionsCovering(start: bigint, end: bigint): number {
    if (this.regionLimits === undefined) return 0 // no record has a region
    let n = 0
    for (const rec of [...this.#blocks.values()]) {
      if (rec.region && regionCovers(rec.region, start, end)) {
        this.cache.invalidate(rec.pc)
        this.#forget(rec, 'invalidate')
        n++
      }
    }
    return n
  }

  /** Regions specialised on guest register values (`specializeRegions`). */
  get specializedRegionCount(): number {
    let n = 0
    for (const rec of this.#blocks.values()) if (rec.region && rec.region.specializedSlots > 0) n++
    return n
  }

  /** Blocks whose code is a region (several guest blocks compiled as one). */
  get regionCount(): number {
    let n = 0
    for (const rec of this.#blocks.values()) if (rec.region) n++
    return n
  }

  /** Drops every block overlapping guest bytes [start, end). Returns how many. */
  invalidateRange(start: bigint, end: bigint): number {
    // A block overlaps when pc < end and pc + max(1, guestSize) > start. None is longer than
    // #longestBlock, so a pc at or below start − #longestBlock is ruled out by a comparison, before
    // the bigint arithmetic: ~0.3 µs a block with TurboFan off made each call ~150 µs for 500
    // blocks, and the RISC-V engine invalidates whenever its translator learns a call site.
    const below = start - BigInt(this.#longestBlock)
    const hit: BlockRecord[] = []
    for (const rec of this.#blocks.values()) {
      if (rec.pc >= end || rec.pc <= below) continue
      if (start < rec.pc + BigInt(Math.max(1, rec.guestSize))) hit.push(rec)
    }
    for (const rec of hit) {
      this.cache.invalidate(rec.pc)
      this.#forget(rec, 'invalidate')
    }
    let n = hit.length
    n += this.#dropRegionsCovering(start, end)
    n += this.cache.invalidateRange(start, end)
    // Compiles under way for blocks in the range that have no code yet are stale too.
    for (const job of this.#jobs.values()) if (job.pc >= start && job.pc < end && !this.#blocks.has(job.pc)) this.#bumpGeneration(job.pc)
    this.#monitor?.record({ kind: 'invalidation', start, end, ts: performance.now() })
    return n
  }

  #adopted = 0

  /** An upper bound of max(1, guestSize) over the records (see invalidateRange). */
  #longestBlock = 1

  /** Blocks whose code this runtime took from a shared cache instead of compiling it. */
  get adoptedCount(): number {
    return this.#adopted
  }

  /** Blocks known to the runtime, by tier. */
  tierCounts(): [number, number, number] {
    const t: [number, number, number] = [0, 0, 0]
    for (const r of this.#blocks.values()) t[r.tier]++
    return t
  }

  // ---- internals -------------------------------------------------------------------------

  #ensureNative(stateSize: number): void {
    if (this.#native) return
    this.#stateSize = this.#configuredStateSize ?? stateSize
    this.#native = new (native().NativeRuntime)(this.#domain, this.#stateSize, this.config.compileThreads, this.config.countOptimizedExecutions)
  }

  /** A clear error (before compiling anything) for a block that uses more state than the runtime has. */
  #checkStateSize(block: Block, where: string): void {
    if (block.stateSize <= this.#stateSize) return
    throw new Error(
      `${where}: the block at pc 0x${block.pc.toString(16)} uses ${block.stateSize} bytes of guest state but this runtime ` +
        `was made for ${this.#stateSize}` +
        (this.#configuredStateSize === undefined ? ' (its first use decided; pass { stateSize } to new TieredCompiler to choose)' : ' (its stateSize option)'),
    )
  }

  #exit(stop: { reason: number; pc: bigint; aux: bigint; fuelLeft: bigint }): RunExit {
    return toRunExit(stop)
  }

  #translateAt(pc: bigint): { block: Block; guestSize: number } {
    if (!this.#translate) {
      throw new Error(`TieredCompiler.run: no code for pc 0x${pc.toString(16)} and no translate function was configured`)
    }
    const t = this.#translate(pc)
    const block = t instanceof Block ? t : t?.block
    if (!(block instanceof Block)) {
      throw new TypeError(`TieredCompiler: translate(0x${pc.toString(16)}) must return a Block or { block, guestSize }`)
    }
    if (block.pc !== pc) {
      throw new Error(`TieredCompiler: translate(0x${pc.toString(16)}) returned a block for pc 0x${block.pc.toString(16)}`)
    }
    const guestSize = t instanceof Block ? 0 : (t.guestSize ?? 0)
    return { block, guestSize }
  }

  #profile(rec: BlockRecord | undefined, block: Block): BlockProfile {
    return {
      pc: block.pc,
      tier: rec?.tier,
      executions: rec?.executions ?? 0,
      recent: rec ? this.#table.recent(rec) : 0,
      rate: this.detector.rate(block.pc),
      hot: this.detector.isHotspot(block.pc),
      opCount: block.opCount,
      codeSize: rec?.unit.size ?? 0,
      pending: rec?.pendingJob !== undefined,
    }
  }

  #timedCompile(block: Block, tier: Tier, chainable = true, regionBlocks?: number): NativeUnitInfo {
    // Timed for the monitor only: this runs for every block translated, and performance.now()
    // costs ~0.25 µs with TurboFan off (the RISC-V CLI), more while still cold.
    const monitor = this.#monitor
    const t0 = monitor ? performance.now() : 0
    monitor?.record({ kind: 'compileStart', pc: block.pc, tier, ts: t0, background: false })
    const unit = this.#native!.compileUnit(block.bytes, tier === 0 ? 'interp' : tier === 1 ? 'none' : 'speed', chainable)
    if (!monitor) return unit
    const t1 = performance.now()
    monitor.record({
      kind: 'compileEnd',
      pc: block.pc,
      tier,
      ts: t1,
      start: t0,
      durationUs: (t1 - t0) * 1000,
      codeSize: unit.size,
      address: unit.address,
      background: false,
      regionBlocks,
    })
    return unit
  }

  #compileNow(block: Block, tier: Tier, guestSize: number): NativeUnitInfo {
    if (!(block instanceof Block)) throw new TypeError('TieredCompiler: expected a Block')
    this.#ensureNative(block.stateSize)
    this.#checkStateSize(block, `TieredCompiler.${tier === 2 ? 'compileOptimized' : 'compileFast'}`)
    const unit = this.#timedCompile(block, tier)
    this.#adopt(block, guestSize, unit, tier)
    return unit
  }

  /** Makes `unit` the code for `block.pc`: native lookup, chaining, cache index, records. */
  #adopt(block: Block, guestSize: number, unit: NativeUnitInfo, tier: Tier, region?: RegionInfo): void {
    const old = this.#blocks.get(block.pc)
    if (tier === 2 && (!old || old.tier !== 2) && this.#tier2Count >= this.config.optimizedCacheSize) {
      // The tier-2 budget is full: keep what runs now.
      this.#native!.release(unit.id)
      return
    }
    this.#native!.install(unit.id)
    const rec: BlockRecord = {
      pc: block.pc,
      block,
      guestSize: guestSize || old?.guestSize || 0,
      unit,
      tier,
      executions: old?.executions ?? 0,
      pendingJob: undefined,
      slot: -1,
      boundSlot: -1,
      generation: this.#generationOf(block.pc),
      region,
    }
    if (old) {
      this.#byUnit.delete(old.unit.id)
      if (old.tier === 2) this.#tier2Count--
      // The cache's 'replace' eviction releases the old unit.
    }
    // Tier-2 code is final: a new record replaces it, so it never needs offering (and its hot loop
    // running would otherwise flag it at every decision point).
    this.#table.add(rec, unit.id, this.#counters[unit.id], old, tier === 2)
    this.#blocks.set(block.pc, rec)
    this.#byUnit.set(unit.id, rec)
    if (rec.guestSize > this.#longestBlock) this.#longestBlock = rec.guestSize
    if (tier === 2) this.#tier2Count++
    this.cache.insert(block.pc, { codeId: unit.id + 1, tier, size: unit.size })
  }

  #miss(pc: bigint): void {
    const { block, guestSize } = this.#translateAt(pc)
    this.#checkStateSize(block, 'TieredCompiler.run')
    // A shared cache (sharedCache: another worker's) may already hold code for pc: adopt that unit
    // instead of compiling. The block is still translated: promotions recompile from it.
    const shared = this.cache.getCodeId(pc)
    if (shared !== 0 && !this.#byUnit.has(shared - 1)) {
      const unit = this.#native!.adopt(shared - 1)
      if (unit && unit.pc === pc) {
        this.#adopted++
        this.#adopt(block, guestSize, unit, unit.tier as Tier)
        return
      }
    }
    const tier = this.policy.firstTier(this.#profile(undefined, block))
    const unit = this.#timedCompile(block, tier)
    this.#adopt(block, guestSize, unit, tier)
  }

  /** Called when the cache lets go of an entry (capacity, invalidation, replacement). */
  #evicted(pc: bigint, entry: CacheEntry, why: CacheEvictReason): void {
    const id = entry.codeId - 1
    const rec = this.#byUnit.get(id)
    if (rec) {
      this.#byUnit.delete(id)
      this.#unlist(rec)
      if (rec.tier === 2) this.#tier2Count--
    }
    this.#native?.release(id)
    // Invalidated (invalidate(pc) goes through here, not #forget): compiles under way are stale.
    if (why === 'invalidate') this.#bumpGeneration(pc)
    if (why !== 'replace') this.#monitor?.record({ kind: 'eviction', pc, tier: entry.tier, ts: performance.now(), reason: why })
  }

  #forget(rec: BlockRecord, _why: string): void {
    rec.generation = this.#bumpGeneration(rec.pc)
    this.#unlist(rec)
    if (this.#byUnit.delete(rec.unit.id)) {
      if (rec.tier === 2) this.#tier2Count--
      this.#native?.release(rec.unit.id)
    }
  }

  /** Removes `rec` from #blocks (and #table) if it is still the record for its pc. */
  #unlist(rec: BlockRecord): void {
    if (this.#blocks.get(rec.pc) !== rec) return
    this.#blocks.delete(rec.pc)
    this.#table.remove(rec)
  }

  /**
   * Invalidations of each pc so far. A background compile records the generation it started in
   * and is dropped if the pc was invalidated meanwhile — kept per pc, outliving the records, since
   * the block is usually translated again (a new record) before the stale compile finishes.
   */
  readonly #staleGenerations = new Map<bigint, number>()

  #generationOf(pc: bigint): number {
    return this.#staleGenerations.get(pc) ?? 0
  }

  #bumpGeneration(pc: bigint): number {
    const g = this.#generationOf(pc) + 1
    this.#staleGenerations.set(pc, g)
    return g
  }

  /** Reads the native counters: executions of the blocks that ran since the last look. */
  #syncCounters(): void {
    this.#table.sync(this.#counters, this.#ran)
    this.#bound?.observe(this.#table.recentCounts)
  }

  /**
   * The detector's bulk path, indexed by #table slot (its recentCounts are the deltas); undefined
   * when each execution is recorded on its own (see the constructor).
   */
  readonly #bound: CounterBinding | undefined

  readonly #ran = (rec: BlockRecord, delta: number): void => {
    rec.executions += delta
    const bound = this.#bound
    if (bound === undefined) {
      this.detector.recordExecution(rec.pc, delta)
    } else if (rec.boundSlot !== rec.slot) {
      // Bound on its first execution, not when installed: the detector starts tracking a block
      // (its age for the warm-up rule) when it first runs, and in the order blocks first run —
      // as recordExecution did. A slot left bound to an old pc (after compaction) is harmless:
      // its count is 0 until a record that runs there rebinds it here, before observe().
      bound.set(rec.slot, rec.pc)
      rec.boundSlot = rec.slot
    }
  }

  #executionTable(): Array<[bigint, number]> {
    return [...this.#blocks.values()].map((r) => [r.pc, r.executions])
  }

  /**
   * A decision point: install finished compiles, read counters, let the policy promote. `state`:
   * the guest state as the run left it, which regions formed now are specialised on.
   */
  #decide(state: Uint8Array): void {
    const n = this.#native!
    // Reported to the monitor as a 'decision' span (the guest track of its timeline shows it
    // running while background compiles are under way; the report's decisions/decisionTimeUs).
    const t0 = this.#monitor ? performance.now() : 0
    let installed = 0
    let requested = 0
    // Counts first: a unit about to be replaced must hand over what it ran since the last look.
    this.#syncCounters()
    for (const done of n.drainCompleted()) {
      const job = this.#jobs.get(done.jobId)
      this.#jobs.delete(done.jobId)
      if (!job) {
        if (done.unit) n.release(done.unit.id)
        continue
      }
      const rec = this.#blocks.get(job.pc)
      const block = rec?.block ?? this.#pendingBlocks.get(job.pc)
      this.#pendingBlocks.delete(job.pc)
      if (rec && rec.pendingJob === done.jobId) {
        rec.pendingJob = undefined
        this.#table.offer(rec)
      }
      const stale =
        this.#generationOf(job.pc) !== job.generation ||
        (job.region?.members.some((m, i) => this.#generationOf(m.pc) !== job.memberGenerations![i]) ?? false)
      // Native timestamps → performance.now() milliseconds (offset measured at construction).
      const toMs = (us: number): number => us / 1000 + this.#clockOffsetMs
      this.#monitor?.record({
        kind: 'compileEnd',
        pc: job.pc,
        tier: job.tier,
        ts: toMs(done.endUs),
        start: toMs(done.startUs),
        durationUs: done.endUs - done.startUs,
        codeSize: done.unit?.size ?? 0,
        address: done.unit?.address,
        background: true,
        thread: done.thread,
        error: done.error ?? undefined,
        regionBlocks: job.region?.members.length,
      })
      if (!done.unit) continue
      if (!block || stale || (rec && rec.tier >= job.tier)) {
        n.release(done.unit.id)
        continue
      }
      const from = rec?.tier
      this.#adopt(block, rec?.guestSize ?? 0, done.unit, job.tier, job.region)
      installed++
      if (from !== undefined) this.#monitor?.record({ kind: 'promotion', pc: job.pc, fromTier: from, toTier: job.tier, ts: performance.now() })
    }
    this.detector.tick()
    const promotions = this.policy.promotions(this.#profiles())
    // Blocks inside a region (installed or being compiled) other than as its entry: promoted on
    // their own, not as the entry of yet another region over the same loop.
    let inRegions: Set<bigint> | undefined
    for (const { pc, tier } of promotions) {
      const rec = this.#blocks.get(pc)
      if (!rec || rec.pendingJob !== undefined || tier <= rec.tier) continue
      if (tier === 2 && this.#tier2Count >= this.config.optimizedCacheSize) continue
      requested++
      let region: RegionInfo | undefined
      if (tier === 2 && this.regionLimits) {
        inRegions ??= this.#regionMembers()
        region = inRegions.has(pc) ? undefined : formRegion(rec, this.#blocks, this.regionLimits, this.config.specializeRegions ? state : undefined)
        for (const m of region?.members.slice(1) ?? []) inRegions.add(m.pc)
      }
      if (tier === 2 && this.config.backgroundCompilation) {
        void this.#startJob(rec.block, 2, region).catch(() => {
          /* reported through the monitor's compileEnd error */
        })
      } else {
        const from = rec.tier
        const unit = this.#timedCompile(region?.block ?? rec.block, tier, true, region?.members.length)
        this.#adopt(rec.block, rec.guestSize, unit, tier, region)
        this.#monitor?.record({ kind: 'promotion', pc, fromTier: from, toTier: tier, ts: performance.now() })
      }
    }
    if (this.#monitor) {
      const t1 = performance.now()
      this.#monitor.record({ kind: 'decision', start: t0, ts: t1, durationUs: (t1 - t0) * 1000, action: 'decide', data: { installed, promotions: requested } })
    }
  }

  /** Pcs that are non-entry members of an installed region or of a region being compiled. */
  #regionMembers(): Set<bigint> {
    const pcs = new Set<bigint>()
    for (const rec of this.#blocks.values()) for (const m of rec.region?.members.slice(1) ?? []) pcs.add(m.pc)
    for (const job of this.#jobs.values()) for (const m of job.region?.members.slice(1) ?? []) pcs.add(m.pc)
    return pcs
  }

  *#profiles(): Generator<BlockProfile> {
    // Blocks at tier 2 or with a compile under way are left out: #decide ignores any move for
    // them (no tier above 2; one compile at a time), and building their profiles was half the
    // cost of a decision point in steady state (bench/runtime.js, detection overhead).
    // So are blocks that have not run since they were last offered: their counts are the same and
    // their detector rate has only decayed, so they cannot have become hotter — and a program that
    // traps to the host often (a system call per line of output) has hundreds of such blocks at
    // every one of its decision points (the RISC-V example's fpmisc spent more time here than
    // translating).
    // The table walks only a typed array of flags to find them (tier-2 records are never flagged:
    // see #adopt).
    const table = this.#table
    for (let k = table.nextOffered(0); k >= 0; k = table.nextOffered(k + 1)) {
      const rec = table.at(k)
      if (rec.tier === 2 || rec.pendingJob !== undefined) continue
      yield this.#profile(table.takeOffered(k), rec.block)
    }
  }
}

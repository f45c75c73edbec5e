// RuntimeEngine: the package's TieredCompiler as the emulator's engine. The guest runs in the
// native dispatch loop (compiled blocks chain into each other, dynamic exits are looked up
// natively) and comes back to JavaScript only to translate a new pc, at decision points, and for
// traps/faults — which is what makes block-heavy guests (calls, switch dispatch) fast.
//
// Every tier runs here; the tier is the compile policy:
//   interp     every block stays in the native interpreter (tier 0)
//   fast       every block is compiled at opt level none on first execution (tier 1)
//   optimized  every block is compiled at opt level speed on first execution (tier 2)
//   tiered     WarmPolicy (the package's thresholds): interpreted first, tier 1 when warm, tier 2 when hot
//              (in the background); plus loop sampling at fuel exits (LoopSampler)

import { TieredCompiler } from 'vm-jit-native'
import type { Block, EventBasedJitMonitor, RunExit } from 'vm-jit-native'
import type { Engine, Tier, Translation } from './Engine.ts'
import { FixedTierPolicy } from './FixedTierPolicy.ts'
import { LoopSampler } from './LoopSampler.ts'
import { WarmPolicy } from './WarmPolicy.ts'

export interface RuntimeEngineOptions {
  tier: Tier
  /** `warm`: a block that is executed often (it may carry learning traps; see WarmPolicy). */
  translate: (pc: bigint, warm: boolean) => Translation
  state: Uint8Array
  memory: Uint8Array
  stateSize: number
  /** Executions before tier 1 (tiered; default 1: compile on first execution). */
  fastPathThreshold?: number
  /** Executions before tier 2 (tiered). */
  optimizedThreshold?: number
  /**
   * The guest pc a loop continues at when stopped at `pc` (a back edge's static target), if
   * `pc` holds a backward jump or branch (tiered: see #continuation).
   */
  backEdgeTarget?: (pc: number) => number | undefined
  /** Record events for the JIT report (--stats). */
  monitor?: boolean
  describe?: () => string[]
}

/**
 * Tiered thresholds. A block starts in the interpreter: most code runs a handful of times (start-up,
 * libc), and a tier-1 compile (~0.2 ms) costs as much as interpreting a block about a thousand
 * times — compiling on first execution made hello world 0.32 s instead of 0.22 s. Tier 1 after 200
 * executions, tier 2 after 1000 or when the hot-spot detector says so. Loops inside one block are
 * found by sampling instead (#sampled).
 */
export const DEFAULT_FAST_PATH_THRESHOLD = 200
export const DEFAULT_OPTIMIZED_THRESHOLD = 1000

/** Fuel per TieredCompiler.run call in tiered mode. */
export const FUEL_SLICE = 1 << 24

/** The first fuel slice, and the first after new code appears (they double up to FUEL_SLICE). */
const FIRST_SLICE = 1 << 12

/** Samples inside a tier-1 block before the engine compiles it optimised. */
const SAMPLES_TO_OPTIMIZE = 2

/** A TieredCompiler tier: 0 interpreter, 1 fast, 2 optimised. */
type Level = 0 | 1 | 2

const FIXED: Partial<Record<Tier, Level>> = { interp: 0, fast: 1, optimized: 2 }

export class RuntimeEngine implements Engine {
  readonly tier: Tier
  readonly jit: TieredCompiler
  readonly #o: RuntimeEngineOptions
  #monitor: EventBasedJitMonitor | undefined
  /** Back edges + block entries per jit.run call (a decision point after each; see run()). */
  #slice: number
  /** The slice of the jit.run call under way. */
  #running = 0
  /** Cold translations that a warm one would not change (see #warmUp), by pc. */
  readonly #cold = new Map<bigint, Translation>()
  /** Guest ranges to invalidate at the next stop (retranslate()). */
  readonly #stale: Array<[bigint, bigint]> = []
  /** Inside jit.run (translate and retranslate are called from there). */
  #inRun = false
  /** This engine asked the runtime to stop (a decision point, not the embedder's interrupt). */
  #interrupted = false
  /** Hot loops found by sampling at fuel exits (tiered only). */
  readonly #sampler: LoopSampler | undefined
  /** The tiered policy (tiered only). */
  readonly #policy: WarmPolicy | undefined
  /**
   * Blocks sent to tier 2 (once per translation): the translation sent, by pc. A block translated
   * again (its site learned an indirect target or return: retranslate()) starts at tier 1 and may
   * be sent again (keyed by pc alone, a loop invalidated after its request could only reach tier
   * 2 again through the policy's entry counts, which a loop that stays inside its block barely has).
   */
  readonly #requested = new Map<bigint, Block>()

  constructor(o: RuntimeEngineOptions) {
    this.#o = o
    this.tier = o.tier
    const fixed = FIXED[o.tier]
    this.#slice = fixed === undefined ? FIRST_SLICE : Infinity
    const sampler = fixed === undefined ? new LoopSampler() : undefined
    this.#sampler = sampler
    const fastPathThreshold = o.fastPathThreshold ?? DEFAULT_FAST_PATH_THRESHOLD
    const optimizedThreshold = o.optimizedThreshold ?? DEFAULT_OPTIMIZED_THRESHOLD
    this.#policy = fixed === undefined ? new WarmPolicy(fastPathThreshold, optimizedThreshold) : undefined
    this.jit = new TieredCompiler({
      // Fixed tiers compile every block they run: translate everything warm.
      translate: sampler ? (pc) => this.#translateTiered(pc, sampler) : (pc) => o.translate(pc, true),
      fastPathThreshold,
      optimizedThreshold,
      stateSize: o.stateSize,
      policy: this.#policy ?? new FixedTierPolicy(fixed!),
      // No tier-2 regions (TieredCompiler's own multi-block compiles): the translator's regions
      // already keep a loop and its branches in one block and predicted exits chain. As first
      // landed, each hot block became a region of its own (strings 1.3 s → 3.1 s from background
      // compile load); formed only around loops, strings, qsort and sieve ran as without them and
      // recursion slower (2.4 → 3.0 s). See README, API gap 18.
      regions: false,
      // Nothing here reads a tier-2 block's count (the policy never looks at them, and --stats
      // lists the hottest blocks by their counts up to tier 2): leave the increment out of
      // tier-2 code (suite −1.8 %, recursion −3.5 %, strings −2.5 %; BENCHMARKS.md).
      countOptimizedExecutions: false,
    })
    if (o.monitor) this.#monitor = this.jit.enablePerformanceMonitor()
  }

  run(pc: bigint): RunExit {
    // Fuel slices: every `fuel` exit is a decision point for the policy (TieredCompiler.run
    // decides before it returns), which is what lets a long computation that never leaves
    // native code get its hot blocks promoted; and it is a sample of where the guest spends its
    // time (LoopSampler). The guest state is complete at a fuel exit (registers are written back
    // before every back edge), so the guest resumes at its pc. Slices start short and double:
    // new code starts interpreted, and decisions come soon after it appears.
    for (;;) {
      this.#retranslatePending()
      this.#running = this.#slice
      this.#inRun = true
      const exit = this.jit.run(pc, this.#o.state, this.#o.memory, { fuel: this.#slice })
      this.#inRun = false
      this.#promoteDue()
      pc = exit.pc
      if (exit.reason === 'interrupt' && this.#interrupted) {
        // Our own (see #translateTiered): a decision point, like a fuel exit.
        this.#interrupted = false
        continue
      }
      if (exit.reason !== 'fuel') return exit
      if (this.#slice < FUEL_SLICE) this.#slice *= 2
      let top: Level = 0
      for (const { block, samples } of this.#sampler?.sample(Number(pc)) ?? []) top = Math.max(top, this.#sampled(block, samples)) as Level
      this.#continuation(Number(pc), top)
    }
  }

  /**
   * A fuel exit stopped the guest inside `block` (at a loop back edge): an interpreted loop is
   * compiled now (tier 1: the guest waits ~0.2 ms instead of interpreting the rest of the loop),
   * a compiled one optimised in the background from its second sample on. Returns its tier.
   */
  #sampled(block: Block, samples: number): Level {
    const tier = this.jit.tierOf(block.pc) ?? 0
    if (tier === 0) {
      this.#warmUp(block.pc, 1)
      return 1
    }
    if (tier === 1 && samples >= SAMPLES_TO_OPTIMIZE && this.#requested.get(block.pc) !== block) {
      this.#requested.set(block.pc, block)
      this.jit.compileAsync(block, 2).catch(() => {
        // A failed compile is reported by the monitor; the block keeps its current code.
      })
    }
    return tier
  }

  /**
   * The guest resumes at the back edge it stopped at, which jumps to the loop's head — a pc that
   * was a label inside the loop's block, so the first time it has no block of its own: the loop
   * would go on in a new, interpreted block until sampled again (a whole slice: matmul's inner
   * loop ran 60 % of its time at tier 1). Give the head a block now, at the loop's tier.
   */
  #continuation(pc: number, tier: Level): void {
    const head = tier === 0 ? undefined : this.#o.backEdgeTarget?.(pc)
    if (head === undefined || this.jit.tierOf(BigInt(head)) !== undefined) return
    this.#policy?.warm.add(BigInt(head))
    const t = this.#o.translate(BigInt(head), true)
    this.#sampler?.add(head, t.guestSize, t.block)
    if (tier === 2) this.jit.compileOptimized(t.block)
    else this.jit.compileFast(t.block)
  }

  /** Interpreted blocks the policy moves up (WarmPolicy.due): translated warm, compiled. */
  #promoteDue(): void {
    const due = this.#policy?.due
    if (!due?.length) return
    for (const { pc, tier } of due) if (this.jit.tierOf(pc) === 0) this.#warmUp(pc, tier)
    due.length = 0
  }

  /** Translates `pc` warm and compiles it at tier 1 now (and optimised in the background for tier 2). */
  #warmUp(pc: bigint, tier: Level): void {
    this.#policy?.warm.add(pc)
    // A cold translation without learnable sites is what a warm one would be: keep it.
    const cold = this.#cold.get(pc)
    const t = cold ?? this.#o.translate(pc, true)
    this.#cold.delete(pc)
    if (cold === undefined) this.#sampler?.add(Number(pc), t.guestSize, t.block)
    this.jit.compileFast(t.block)
    if (tier === 2 && this.#requested.get(pc) !== t.block) {
      this.#requested.set(pc, t.block)
      this.jit.compileAsync(t.block, 2).catch(() => {
        // A failed compile is reported by the monitor; the block keeps its current code.
      })
    }
  }

  /**
   * Invalidation is deferred to the run loop: called from inside jit.run (a miss: translate), the
   * runtime is between blocks, and an interrupt brings the guest back here soon; called between
   * runs (a trap handler), it happens before the next.
   */
  retranslate(start: bigint, end: bigint): void {
    this.#stale.push([start, end])
    if (this.#inRun && !this.#interrupted) {
      this.#interrupted = true
      this.jit.interrupt()
    }
  }

  #retranslatePending(): void {
    for (const [start, end] of this.#stale) this.jit.invalidateRange(start, end)
    this.#stale.length = 0
  }

  /**
   * A miss: new code is running, interpreted until the next decision point. Slices start short
   * again, and a long slice under way is cut short (an interrupt: the runtime decides, and run()
   * goes on) — otherwise a program entering a new phase after its slices have grown interprets
   * the new phase's loops for a whole long slice (qsort's second sort ran 1.5× slower).
   */
  #translateTiered(pc: bigint, sampler: LoopSampler): Translation {
    const warm = this.#policy!.warm.has(pc)
    const t = this.#o.translate(pc, warm)
    sampler.add(Number(pc), t.guestSize, t.block)
    if (!warm && !t.learnable) this.#cold.set(pc, t)
    else this.#cold.delete(pc)
    this.#slice = FIRST_SLICE
    if (this.#running > FIRST_SLICE * 4 && !this.#interrupted) {
      this.#interrupted = true
      this.jit.interrupt()
    }
    return t
  }

  /** Writes /tmp/perf-<pid>.map for `perf report` (needs the monitor: --stats); returns its path. */
  writePerfMap(): string | undefined {
    return this.#monitor?.writePerfMap()
  }

  report(): string {
    const [t0, t1, t2] = this.jit.tierCounts()
    const head = [
      `JIT report (tier ${this.tier}, vm-jit-native TieredCompiler)`,
      `  blocks by tier: interpreted ${t0}, fast ${t1}, optimized ${t2}`,
      ...(this.#sampler ? [`  blocks sampled at fuel exits (hot loops): ${this.#sampler.sampled}`] : []),
    ]
    const extra = (this.#o.describe?.() ?? []).map((l) => `  ${l}`)
    const monitor = this.#monitor ? this.jit.disablePerformanceMonitor()?.textReport() : undefined
    this.#monitor = undefined
    return [...head, ...extra, ...(monitor ? ['', monitor] : [])].join('\n')
  }

  dispose(): void {
    if (this.#monitor) this.jit.disablePerformanceMonitor()
    this.#monitor = undefined
  }
}

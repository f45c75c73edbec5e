// RuntimeEngine: the package's TieredCompiler as the emulator's engine. The guest runs in the
// native dispatch loop (compiled blocks chain into each other, dynamic exits are looked up
// natively) and comes back to JavaScript only to translate a new pc, at decision points, and for
// traps/faults — which is what makes block-heavy guests (calls, switch dispatch) fast.
//
// Every tier runs here; the tier is the compile policy:
//   interp     every block stays in the native interpreter (tier 0)
//   fast       every block is compiled at opt level none on first execution (tier 1)
//   optimized  every block is compiled at opt level speed on first execution (tier 2)
//   tiered     the package's ThresholdPolicy: tier 1 first, tier 2 when hot (in the background)

import { TieredCompiler } from 'vm-jit-native'
import type { Block, BlockProfile, CompilePolicy, EventBasedJitMonitor, RunExit } from 'vm-jit-native'
import type { Engine, Tier } from './Engine.ts'
import { LoopSampler } from './LoopSampler.ts'

export interface RuntimeEngineOptions {
  tier: Tier
  translate: (pc: bigint) => { block: Block; guestSize: number }
  state: Uint8Array
  memory: Uint8Array
  stateSize: number
  /** Executions before tier 1 (tiered; default 1: compile on first execution). */
  fastPathThreshold?: number
  /** Executions before tier 2 (tiered). */
  optimizedThreshold?: number
  /** Record events for the JIT report (--stats). */
  monitor?: boolean
  describe?: () => string[]
}

/** A policy that puts every block at one tier and never moves it. */
class FixedTierPolicy implements CompilePolicy {
  constructor(readonly tier: 0 | 1 | 2) {}
  firstTier(_profile: BlockProfile): 0 | 1 | 2 {
    return this.tier
  }
  promotions(): Array<{ pc: bigint; tier: 0 | 1 | 2 }> {
    return []
  }
}

/**
 * Tiered thresholds: tier 1 on first execution (interpreting first and compiling on the second
 * execution measured slower here: tier-0 blocks do not chain), tier 2 after 1000 executions or
 * when the hot-spot detector says so. Loops inside a block count (see Translator
 * loopExitInterval).
 */
export const DEFAULT_FAST_PATH_THRESHOLD = 1
export const DEFAULT_OPTIMIZED_THRESHOLD = 1000

/** Fuel per TieredCompiler.run call in tiered mode. */
export const FUEL_SLICE = 1 << 22

const FIXED: Partial<Record<Tier, 0 | 1 | 2>> = { interp: 0, fast: 1, optimized: 2 }

export class RuntimeEngine implements Engine {
  readonly tier: Tier
  readonly jit: TieredCompiler
  readonly #o: RuntimeEngineOptions
  #monitor: EventBasedJitMonitor | undefined
  /** Back edges + block entries per jit.run call (a decision point after each; see run()). */
  readonly #slice: number
  /** Hot loops found by sampling at fuel exits (tiered only). */
  readonly #sampler: LoopSampler | undefined

  constructor(o: RuntimeEngineOptions) {
    this.#o = o
    this.tier = o.tier
    const fixed = FIXED[o.tier]
    this.#slice = fixed === undefined ? FUEL_SLICE : Infinity
    const sampler = fixed === undefined ? new LoopSampler() : undefined
    this.#sampler = sampler
    this.jit = new TieredCompiler({
      translate: sampler
        ? (pc) => {
            const t = o.translate(pc)
            sampler.add(Number(pc), t.guestSize, t.block)
            return t
          }
        : o.translate,
      fastPathThreshold: o.fastPathThreshold ?? DEFAULT_FAST_PATH_THRESHOLD,
      optimizedThreshold: o.optimizedThreshold ?? DEFAULT_OPTIMIZED_THRESHOLD,
      stateSize: o.stateSize,
      policy: fixed === undefined ? undefined : new FixedTierPolicy(fixed),
    })
    if (o.monitor) this.#monitor = this.jit.enablePerformanceMonitor()
  }

  run(pc: bigint): RunExit {
    // Fuel slices: every `fuel` exit is a decision point for the policy (TieredCompiler.run
    // decides before it returns), which is what lets a long computation that never leaves
    // native code get its hot blocks promoted; and it is a sample of where the guest spends its
    // time (LoopSampler). The guest state is complete at a fuel exit (registers are written back
    // before every back edge), so the guest resumes at its pc.
    for (;;) {
      const exit = this.jit.run(pc, this.#o.state, this.#o.memory, { fuel: this.#slice })
      if (exit.reason !== 'fuel') return exit
      pc = exit.pc
      for (const block of this.#sampler?.sample(Number(pc)) ?? []) {
        if ((this.jit.tierOf(block.pc) ?? 0) < 2) {
          this.jit.compileAsync(block, 2).catch(() => {
            // A failed compile is reported by the monitor; the block keeps its current code.
          })
        }
      }
    }
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
      ...(this.#sampler ? [`  hot loops found by sampling at fuel exits: ${this.#sampler.promotions}`] : []),
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

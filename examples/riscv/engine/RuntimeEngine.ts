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

const FIXED: Partial<Record<Tier, 0 | 1 | 2>> = { interp: 0, fast: 1, optimized: 2 }

export class RuntimeEngine implements Engine {
  readonly tier: Tier
  readonly jit: TieredCompiler
  readonly #o: RuntimeEngineOptions
  #monitor: EventBasedJitMonitor | undefined

  constructor(o: RuntimeEngineOptions) {
    this.#o = o
    this.tier = o.tier
    const fixed = FIXED[o.tier]
    this.jit = new TieredCompiler({
      translate: o.translate,
      fastPathThreshold: o.fastPathThreshold ?? 1,
      optimizedThreshold: o.optimizedThreshold ?? 1000,
      stateSize: o.stateSize,
      backgroundCompilation: process.env.BGC !== '0',
      policy: fixed === undefined ? undefined : new FixedTierPolicy(fixed),
    })
    if (o.monitor) this.#monitor = this.jit.enablePerformanceMonitor()
  }

  run(pc: bigint): RunExit {
    return this.jit.run(pc, this.#o.state, this.#o.memory, { fuel: Infinity })
  }

  report(): string {
    const [t0, t1, t2] = this.jit.tierCounts()
    const head = [
      `JIT report (tier ${this.tier}, vm-jit-native TieredCompiler)`,
      `  blocks by tier: interpreted ${t0}, fast ${t1}, optimized ${t2}`,
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

// BlockEngine: the emulator's own run loop over the package's per-block API. Each guest pc gets
// one translated Block, cached; depending on the tier it is interpreted every time
// (Interpreter.run), compiled once (CraneliftBackend, opt level none or speed) and run as machine
// code (CodeHandle.run), or tiered up by execution count: interpreted while cold, compiled fast
// when warm, recompiled optimised when hot.
//
// It crosses into native code once per block executed (a block that loops internally stays
// native), which is why blocks are made large. The package's TieredCompiler runs whole chains of
// blocks natively; TieredEngine uses it when it is available.

import { CraneliftBackend, Interpreter } from 'vm-jit-native'
import type { Block, CodeHandle, RunExit } from 'vm-jit-native'
import type { Engine, Tier } from './Engine.ts'
import { formatReport } from './report.ts'
import type { EngineCounters } from './report.ts'

export interface BlockEngineOptions {
  tier: Exclude<Tier, 'tiered'> | 'tiered'
  translate: (pc: bigint) => Block
  state: Uint8Array
  memory: Uint8Array
  /** Block executions before a block is compiled at opt level none (tiered). */
  fastPathThreshold?: number
  /** Block executions before it is recompiled at opt level speed (tiered). */
  optimizedThreshold?: number
  /** Back edges allowed per block run (default unlimited: blocks may keep registers in locals across back edges). */
  fuel?: number
  /** Extra report lines (translation statistics). */
  describe?: () => string[]
}

interface Entry {
  block: Block
  code: CodeHandle | undefined
  runs: number
}

export class BlockEngine implements Engine {
  readonly tier: Tier
  readonly #o: Required<Omit<BlockEngineOptions, 'describe'>> & Pick<BlockEngineOptions, 'describe'>
  readonly #entries = new Map<number, Entry>()
  readonly #interp = new Interpreter()
  readonly #fast = new CraneliftBackend({ optLevel: 'none' })
  readonly #optimized = new CraneliftBackend({ optLevel: 'speed' })
  readonly counters: EngineCounters = {
    blocksTranslated: 0,
    translateMicros: 0,
    compiledFast: 0,
    compiledOptimized: 0,
    compileFastMicros: 0,
    compileOptimizedMicros: 0,
    blockRuns: 0,
    interpretedRuns: 0,
  }

  constructor(options: BlockEngineOptions) {
    this.tier = options.tier
    this.#o = { fastPathThreshold: 2, optimizedThreshold: 200, fuel: Infinity, describe: undefined, ...options }
  }

  run(pc: bigint): RunExit {
    const { state, memory } = this.#o
    const opts = { fuel: this.#o.fuel }
    let p = Number(pc)
    for (;;) {
      let e = this.#entries.get(p)
      if (e === undefined) e = this.#install(p)
      e.runs++
      this.counters.blockRuns++
      let exit: RunExit
      if (e.code !== undefined) {
        if (this.tier === 'tiered' && e.runs === this.#o.optimizedThreshold) this.#compile(e, 'optimized')
        exit = e.code.run(state, memory, opts)
      } else if (this.tier === 'tiered' && e.runs >= this.#o.fastPathThreshold) {
        this.#compile(e, e.runs >= this.#o.optimizedThreshold ? 'optimized' : 'fast')
        exit = e.code!.run(state, memory, opts)
      } else {
        this.counters.interpretedRuns++
        exit = this.#interp.run(e.block, state, memory, opts)
      }
      if (exit.reason !== 'exit') return exit
      p = Number(exit.pc)
    }
  }

  #install(pc: number): Entry {
    const t0 = performance.now()
    const block = this.#o.translate(BigInt(pc))
    this.counters.translateMicros += (performance.now() - t0) * 1000
    this.counters.blocksTranslated++
    const e: Entry = { block, code: undefined, runs: 0 }
    if (this.tier === 'fast' || this.tier === 'optimized') this.#compile(e, this.tier)
    this.#entries.set(pc, e)
    return e
  }

  #compile(e: Entry, level: 'fast' | 'optimized'): void {
    const t0 = performance.now()
    const code = (level === 'fast' ? this.#fast : this.#optimized).compile(e.block)
    const us = (performance.now() - t0) * 1000
    if (level === 'fast') {
      this.counters.compiledFast++
      this.counters.compileFastMicros += us
    } else {
      this.counters.compiledOptimized++
      this.counters.compileOptimizedMicros += us
    }
    e.code?.free()
    e.code = code
  }

  report(): string {
    return formatReport(this.tier, this.counters, this.#o.describe?.() ?? [])
  }

  dispose(): void {
    for (const e of this.#entries.values()) e.code?.free()
    this.#entries.clear()
  }
}

// Optimizer: a pipeline of IR → IR passes run natively on a verified Block, producing a new
// verified Block (tier 2 runs the default pipeline before compiling with optLevel 'speed').
//
//   const o = new Optimizer()
//   o.addPass(OptimizationPass.ConstantFolding)
//   const optimized = o.optimize(block)      // a new Block; block is unchanged
//   console.log(optimized.toString(), o.lastStats)
//
// Every pass preserves everything the interpreter reports — final state and memory, exit reason,
// pc, trap code / fault address and remaining fuel — so an optimised block can replace the
// original anywhere. One native call per optimize(); the result is re-verified natively.

import { Block } from '../ir/Block.js'
import { describe } from '../ir/constants.js'
import { native } from '../native.js'
import { OPTIMIZATION_PASSES } from './OptimizationPass.js'
import type { OptimizationPass } from './OptimizationPass.js'

/** One pass's run. */
export interface PassStats {
  readonly pass: OptimizationPass
  /** Ops in all bodies (main and helpers) before and after the pass. */
  readonly opsBefore: number
  readonly opsAfter: number
  /** Time in the pass, in microseconds. */
  readonly timeUs: number
}

/** What the last optimize() did. */
export interface OptimizeStats {
  readonly opsBefore: number
  readonly opsAfter: number
  readonly passes: readonly PassStats[]
  /** Time in the native verifier, in microseconds. */
  readonly verifyTimeUs: number
  /** Native time of the whole optimisation, in microseconds. */
  readonly totalTimeUs: number
}

export class Optimizer {
  readonly #passes: OptimizationPass[] = []
  #lastStats: OptimizeStats | undefined

  /** An optimiser running `passes` in order (none by default: add them with addPass). */
  constructor(passes: Iterable<OptimizationPass> = []) {
    if (passes === null || typeof passes !== 'object' || typeof (passes as Iterable<unknown>)[Symbol.iterator] !== 'function') {
      throw new TypeError(`new Optimizer: passes must be an iterable of OptimizationPass names, got ${describe(passes)}`)
    }
    for (const p of passes) this.addPass(p)
  }

  /** The tier-2 pipeline (the native side defines it). */
  static defaultPipeline(): Optimizer {
    return new Optimizer(native().defaultOptimizationPipeline() as OptimizationPass[])
  }

  /** Appends a pass (a pass may appear more than once). Returns this optimiser. */
  addPass(pass: OptimizationPass): this {
    if (!OPTIMIZATION_PASSES.includes(pass)) {
      throw new TypeError(
        `Optimizer.addPass: unknown pass ${describe(pass)} (expected one of: ${OPTIMIZATION_PASSES.join(', ')})`,
      )
    }
    this.#passes.push(pass)
    return this
  }

  /** The pipeline, in order. */
  get passes(): readonly OptimizationPass[] {
    return Object.freeze([...this.#passes])
  }

  /** Statistics of the last optimize() call (undefined before the first). */
  get lastStats(): OptimizeStats | undefined {
    return this.#lastStats
  }

  /** Runs the pipeline on `block` and returns the optimised block (verified; `block` is unchanged). */
  optimize(block: Block): Block {
    if (!(block instanceof Block)) {
      throw new TypeError(`Optimizer.optimize: expected a Block (from IRBuilder.finish() or Block.fromBytes()), got ${describe(block)}`)
    }
    const r = native().optimizeBlock(block.bytes, [...this.#passes])
    this.#lastStats = Object.freeze({
      opsBefore: r.opsBefore,
      opsAfter: r.opsAfter,
      passes: Object.freeze(
        r.passes.map((p) => Object.freeze({ pass: p.pass as OptimizationPass, opsBefore: p.opsBefore, opsAfter: p.opsAfter, timeUs: p.timeUs })),
      ),
      verifyTimeUs: r.verifyTimeUs,
      totalTimeUs: r.totalTimeUs,
    })
    return Block.fromVerified(r.bytes, { pc: r.pc, opCount: r.opsAfter, stateSize: r.stateSize })
  }
}

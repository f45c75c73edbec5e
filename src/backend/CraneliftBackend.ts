// CraneliftBackend: compiles verified Blocks to host machine code with Cranelift, natively.
// A backend is just a validated configuration; all the work is one native call per block.
//
// optLevel 'none' is tier 1 (cheapest compile), 'speed' and 'speedAndSize' are tier 2.

import { describe } from '../ir/constants.js'
import { Block } from '../ir/Block.js'
import { native } from '../native.js'
import { CodeHandle } from './CodeHandle.js'

export type OptLevel = 'none' | 'speed' | 'speedAndSize'

export const OPT_LEVELS: readonly OptLevel[] = Object.freeze(['none', 'speed', 'speedAndSize'] as const)

export interface CraneliftOptions {
  /** Cranelift's optimisation level (default 'speed'). */
  optLevel?: OptLevel
  /** Let Cranelift use SIMD instructions where it can (default true). */
  enableSimd?: boolean
  /** Inline helper functions into their callers (default true). */
  enableInlining?: boolean
}

export interface CraneliftConfig {
  readonly optLevel: OptLevel
  readonly enableSimd: boolean
  readonly enableInlining: boolean
}

export class CraneliftBackend {
  readonly #config: CraneliftConfig

  constructor(options: CraneliftOptions = {}) {
    const where = 'new CraneliftBackend'
    if (options === null || typeof options !== 'object') {
      throw new TypeError(`${where}: options must be an object like { optLevel: 'speed' }, got ${describe(options)}`)
    }
    const known = ['optLevel', 'enableSimd', 'enableInlining']
    for (const key of Object.keys(options)) {
      if (!known.includes(key)) throw new TypeError(`${where}: unknown option '${key}' (expected: ${known.join(', ')})`)
    }
    const { optLevel = 'speed', enableSimd = true, enableInlining = true } = options
    if (!OPT_LEVELS.includes(optLevel)) {
      throw new TypeError(`${where}: optLevel must be one of ${OPT_LEVELS.map((o) => `'${o}'`).join(', ')}, got ${describe(optLevel)}`)
    }
    if (typeof enableSimd !== 'boolean') throw new TypeError(`${where}: enableSimd must be a boolean, got ${describe(enableSimd)}`)
    if (typeof enableInlining !== 'boolean') {
      throw new TypeError(`${where}: enableInlining must be a boolean, got ${describe(enableInlining)}`)
    }
    this.#config = Object.freeze({ optLevel, enableSimd, enableInlining })
  }

  /** The validated configuration (frozen). */
  get config(): CraneliftConfig {
    return this.#config
  }

  /** Compiles a verified block. The returned handle owns native code until free() or collection. */
  compile(block: Block): CodeHandle {
    if (!(block instanceof Block)) {
      throw new TypeError(`CraneliftBackend.compile: expected a Block (from IRBuilder.finish() or Block.fromBytes()), got ${describe(block)}`)
    }
    const { optLevel, enableSimd, enableInlining } = this.#config
    return new CodeHandle(native().compileBlock(block.bytes, { optLevel, enableSimd, enableInlining }), block.pc, optLevel)
  }
}

// CodeHandle: one compiled block in native executable memory, and the way to run it.
//
// It is a thin wrapper over the native code object: the native object owns the machine code and
// releases it on `free()` or when it is garbage-collected (its Rust Drop), so this class only
// holds it and never keeps other strong references that would delay collection. It checks
// "freed" itself so that the error is the same whoever freed it, but the native side checks too.

import type { NativeCode } from '../native.js'
import { byteView, checkDisjoint } from '../run/buffers.js'
import type { GuestBuffer } from '../run/buffers.js'
import { toRunExit } from '../run/exit.js'
import type { RunExit } from '../run/exit.js'
import { normalizeFuel } from '../run/fuel.js'
import { runOptions } from '../run/options.js'
import type { RunOptions } from '../run/options.js'
import type { OptLevel } from './CraneliftBackend.js'

export class CodeHandle {
  readonly #code: NativeCode
  #size = -1
  readonly #optLevel: OptLevel
  readonly #pc: bigint
  #freed = false

  /**
   * @internal Created by CraneliftBackend.compile(), which knows the pc and opt level: asking
   * the native object costs a call each, on the compile path that tier 1 keeps short.
   */
  constructor(code: NativeCode, pc: bigint, optLevel: OptLevel) {
    this.#code = code
    this.#optLevel = optLevel
    this.#pc = pc
  }

  /** Bytes of machine code (read once, kept so that a freed handle still describes itself). */
  get size(): number {
    if (this.#size < 0) this.#size = this.#code.size
    return this.#size
  }

  /** 1 for optLevel 'none' (fast compile), 2 for optimised code. */
  get tier(): 1 | 2 {
    return this.#optLevel === 'none' ? 1 : 2
  }

  get optLevel(): OptLevel {
    return this.#optLevel
  }

  /** Guest entry pc of the compiled block. */
  get pc(): bigint {
    return this.#pc
  }

  /** Whether the machine code has been released (by free(), or by the native side). */
  get freed(): boolean {
    return this.#freed || this.#code.freed
  }

  /** Releases the machine code now rather than at garbage collection. Idempotent. */
  free(): void {
    if (this.#freed) return
    if (this.#size < 0) this.#size = this.#code.size
    this.#freed = true
    this.#code.free()
  }

  /**
   * Runs the block against `state` (the guest register file) and `memory` (guest memory), which
   * it reads and writes in place. Both may be any typed array, DataView or Buffer, over an
   * ArrayBuffer or a SharedArrayBuffer. `fuel` (default 1e9, Infinity for none) bounds the back
   * edges taken. Throws if the handle was freed or `state` is smaller than the block's stateSize.
   */
  run(state: GuestBuffer, memory: GuestBuffer, options: RunOptions = {}): RunExit {
    const where = 'CodeHandle.run'
    if (this.#freed) {
      throw new Error(`code handle freed: the code for pc 0x${this.#pc.toString(16)} was released with free(); compile the block again`)
    }
    const { fuel } = runOptions(options, where)
    const s = byteView(state, 'state', where)
    const m = byteView(memory, 'memory', where)
    checkDisjoint(s, m, where)
    return toRunExit(this.#code.run(s, m, normalizeFuel(fuel, where)))
  }
}

// CodeHandle: one compiled block in native executable memory, and the way to run it.
//
// The machine code lives in the native side's per-thread code table under an id
// (crates/vm-jit-napi/src/code.rs). `free()` releases it at once; a handle collected without
// free() releases it through a FinalizationRegistry. A freed handle is then an ordinary object:
// no native finalizer has to run before its memory is reclaimed — which a napi-wrapped object
// needed, from the event loop, so a compile/free loop that never yielded used to grow.

import { native } from '../native.js'
import type { NativeCodeInfo } from '../native.js'
import { byteView, checkDisjoint } from '../run/buffers.js'
import type { GuestBuffer } from '../run/buffers.js'
import { toRunExit } from '../run/exit.js'
import type { RunExit } from '../run/exit.js'
import { normalizeFuel } from '../run/fuel.js'
import { runOptions } from '../run/options.js'
import type { RunOptions } from '../run/options.js'
import type { OptLevel } from './CraneliftBackend.js'

/** Frees the code of handles collected without free(). */
const collected = new FinalizationRegistry<number>((id) => {
  native().freeCode(id)
})

export class CodeHandle {
  readonly #id: number
  readonly #size: number
  readonly #optLevel: OptLevel
  readonly #pc: bigint
  #freed = false

  /**
   * @internal Created by CraneliftBackend.compile(), which knows the pc and opt level (the native
   * info carries them too; taking them from the caller keeps the compile path short).
   */
  constructor(info: NativeCodeInfo, pc: bigint, optLevel: OptLevel) {
    this.#id = info.id
    this.#size = info.size
    this.#optLevel = optLevel
    this.#pc = pc
    collected.register(this, info.id, this)
  }

  /** Bytes of machine code (still reported after free(), so a freed handle describes itself). */
  get size(): number {
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

  /** Whether the machine code has been released by free(). */
  get freed(): boolean {
    return this.#freed
  }

  /** Releases the machine code now rather than at garbage collection. Idempotent. */
  free(): void {
    if (this.#freed) return
    this.#freed = true
    collected.unregister(this)
    native().freeCode(this.#id)
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
    return toRunExit(native().runCode(this.#id, s, m, normalizeFuel(fuel, where)))
  }
}

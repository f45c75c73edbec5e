// Guest state and guest memory as the native side wants them: Uint8Array views over the
// embedder's own bytes. Any typed array, DataView or Buffer (over an ArrayBuffer or a
// SharedArrayBuffer) is accepted and re-viewed in place — never copied — because the block's writes
// must land in the embedder's buffers.

import { describe } from '../ir/constants.js'

export type GuestBuffer = ArrayBufferView | ArrayBuffer | SharedArrayBuffer

/** A Uint8Array over exactly the bytes of `x`. */
export function byteView(x: GuestBuffer, what: string, where: string): Uint8Array {
  if (ArrayBuffer.isView(x)) {
    // A plain Uint8Array passes through; subclasses (Buffer) and other views are re-viewed so the
    // native side always sees the same kind of object.
    if (x.constructor === Uint8Array) return x as Uint8Array
    return new Uint8Array(x.buffer, x.byteOffset, x.byteLength)
  }
  if (x instanceof ArrayBuffer || (typeof SharedArrayBuffer !== 'undefined' && x instanceof SharedArrayBuffer)) {
    return new Uint8Array(x)
  }
  throw new TypeError(`${where}: ${what} must be a typed array, DataView, Buffer or ArrayBuffer, got ${describe(x)}`)
}

/**
 * Refuses state and memory that share bytes: a block's state writes would show up as memory
 * writes (and vice versa) in an order no backend promises, and the native side treats the two as
 * separate buffers.
 */
export function checkDisjoint(state: Uint8Array, memory: Uint8Array, where: string): void {
  if (state.buffer !== memory.buffer) return
  if (state.byteLength === 0 || memory.byteLength === 0) return
  const s0 = state.byteOffset
  const m0 = memory.byteOffset
  if (s0 < m0 + memory.byteLength && m0 < s0 + state.byteLength) {
    throw new Error(
      `${where}: state (bytes ${s0}..${s0 + state.byteLength}) and memory (bytes ${m0}..${m0 + memory.byteLength}) ` +
        `overlap in the same buffer; use separate buffers or disjoint views`,
    )
  }
}

// Block: a verified IR block — the bytes plus what the native verifier learnt about them.
//
// There are exactly two ways to get one: `IRBuilder.finish()` and `Block.fromBytes()`, and both
// run the native verifier. Backends and the interpreter accept only Blocks, so "is this IR
// verified?" is answered by the type. (The native side re-verifies anyway: it never trusts bytes.)

import { native } from '../native.js'
import type { NativeBlockInfo } from '../native.js'
import { describe } from './constants.js'

/** Token that keeps the constructor private to this module and IRBuilder.finish(). */
const VERIFIED = Symbol('verified')

export class Block {
  /** The binary encoding (docs/IR.md "Binary encoding"). Treat as read-only. */
  readonly bytes: Uint8Array
  /** Guest entry pc. */
  readonly pc: bigint
  /** Ops in the block, as counted by the verifier. */
  readonly opCount: number
  /** Bytes of guest state the block touches (largest offset + width); smaller state buffers are rejected. */
  readonly stateSize: number

  /** @internal Use IRBuilder.finish() or Block.fromBytes(). */
  constructor(token: symbol, bytes: Uint8Array, info: NativeBlockInfo) {
    if (token !== VERIFIED) throw new TypeError('new Block: use IRBuilder.finish() or Block.fromBytes(bytes)')
    this.bytes = bytes
    this.pc = info.pc
    this.opCount = info.opCount
    this.stateSize = info.stateSize
  }

  /** @internal For IRBuilder.finish(), which has just verified `bytes` (which nobody else holds). */
  static fromVerified(bytes: Uint8Array, info: NativeBlockInfo): Block {
    return new Block(VERIFIED, bytes, info)
  }

  /**
   * Verifies raw IR bytes (e.g. a block saved from `block.bytes`) and wraps them. Throws the native
   * verifier's Error, which names the body, the op index, the op and what is wrong.
   * The bytes are copied first, so later changes to the caller's buffer cannot un-verify the block.
   */
  static fromBytes(bytes: Uint8Array | ArrayBufferView | ArrayBuffer | SharedArrayBuffer): Block {
    let copy: Uint8Array
    if (ArrayBuffer.isView(bytes)) copy = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength).slice()
    else if (bytes instanceof ArrayBuffer || (typeof SharedArrayBuffer !== 'undefined' && bytes instanceof SharedArrayBuffer)) {
      copy = new Uint8Array(bytes).slice()
    }
    else throw new TypeError(`Block.fromBytes: expected a Uint8Array (or another ArrayBufferView / ArrayBuffer), got ${describe(bytes)}`)
    const info = native().verifyBlock(copy)
    return new Block(VERIFIED, copy, info)
  }

  /**
   * The distinct guest pcs the block's `exit` ops go to when the pc is a constant, in op order:
   * the blocks that can follow this one without a computed jump (what regions are made of).
   */
  exitTargets(): bigint[] {
    return native().blockExitTargets(this.bytes)
  }

  /** The text form (docs/IR.md "Text form"), printed by the native printer. */
  toString(): string {
    return native().blockToText(this.bytes)
  }
}

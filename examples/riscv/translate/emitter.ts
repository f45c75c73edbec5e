// Emitter: an IRWriter plus what makes the translation small and fast.
//
// Guest registers are cached per straight-line segment (between IR labels): a register is read
// at most once per segment and written back once, when the segment ends (before every terminator
// and label). Where they live between segments:
//
// - in the state buffer (Translator `registers: 'state'`, the default, and blocks without loops
//   under 'loops'): every label starts with an empty cache, every terminator (branch, exit,
//   trap) is preceded by the stores, so the state buffer is complete at every block boundary and
//   every back edge, and any fuel/interrupt exit can be resumed at its pc.
// - in IR locals for the whole block (`prologue()`; 'locals', and blocks with loops under
//   'loops'): loaded on entry, stored at exits and traps (`exitSyncMask`, set by the translator
//   per instruction), and before back edges when `backEdgeSync` is set. A loop then carries its
//   registers in host registers instead of through memory; the price is the whole register set
//   loaded at every entry and stored at every exit, which small blocks without loops (most of
//   them, entered and left through chained exits) do not win back — and even with locals only in
//   blocks with loops the benchmark programs ran slower than with 'state' (Cranelift reloads
//   little across a short loop body, and store-to-load forwarding hides the rest).
//
// Float registers are always state-based. Only a memory fault can leave register writes
// unstored, and a fault ends the guest anyway.
//
// x0 reads as the constant 0 and writes to it are dropped. Integer registers whose value is a
// known constant within the segment (lui, auipc, li…) are folded into immediates where that saves
// an op (address computations, addi chains).

import type { Block, IRType, IRWriter, LabelId as Label, LocalId as Local, ValueId as Value } from 'vm-jit-native'
import { fOffset, xOffset } from '../state.ts'

const CANONICAL_NAN_F32 = 0x7fc00000
const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER)
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER)

interface FEntry {
  kind: 'f32' | 'f64'
  v: Value
  dirty: boolean
}

export class Emitter {
  /** The block being written (`begin`). */
  b!: IRWriter
  /** x register values cached in this segment. */
  readonly #x: (Value | undefined)[] = new Array(32).fill(undefined)
  /** Known constant values of x registers in this segment. */
  readonly #xk: (bigint | undefined)[] = new Array(32).fill(undefined)
  readonly #f: (FEntry | undefined)[] = new Array(32).fill(undefined)
  // Bit masks over register numbers (bit r: x`r` or f`r`), walked lowest bit first — the order the
  // stores are written in. Masks instead of lists: no sorting, no allocation.
  /** Registers with something cached (forgotten at the next label). */
  #touchedX = 0
  #touchedF = 0
  /** Registers written in this segment and not yet stored. */
  #dirtyX = 0
  #dirtyF = 0
  /**
   * Constants of this segment, by type, keyed by their bits — as numbers for the types whose bits
   * always fit (i8, i16, i32, f32: no BigInt per lookup), as bigints for i64 and f64.
   */
  readonly #consts32: Record<'i8' | 'i16' | 'i32' | 'f32', Map<number, Value>> = { i8: new Map(), i16: new Map(), i32: new Map(), f32: new Map() }
  readonly #consts64: Record<'i64' | 'f64', Map<bigint, Value>> = { i64: new Map(), f64: new Map() }
  readonly #constMaps: Array<Map<number, Value> | Map<bigint, Value>> = [...Object.values(this.#consts32), ...Object.values(this.#consts64)]
  /** i64 constants from small JS numbers (the common case: immediates, pcs). */
  readonly #smallI64 = new Map<number, Value>()
  /** The last op was a terminator: the next one must be a label. */
  terminated = false
  /** Iterations of loops inside this block (for the translator's periodic loop exits). */
  loopCounter: Local | undefined
  /** x registers (bit mask) to store into the state buffer at an exit from the current point. */
  exitSyncMask = 0
  /** Store registers before back edges too (see the header). */
  readonly backEdgeSync: boolean
  /** The IR local holding each x register (after prologue()). */
  readonly #xLocal: (Local | undefined)[] = new Array(32).fill(undefined)
  /** Some x register lives in a local (prologue()). */
  #hasLocals = false
  /** Labels bound so far: a branch to one of them is a back edge. */
  readonly #bound = new Set<Label>()

  /**
   * One emitter serves every block of a translator (`begin` starts the next): building its caches
   * again for each block was a measurable part of translating one.
   */
  constructor(options: { backEdgeSync: boolean }) {
    this.backEdgeSync = options.backEdgeSync
  }

  /** Starts writing a block into `b`, with nothing cached. */
  begin(b: IRWriter): void {
    this.b = b
    this.#reset()
    this.#dirtyX = 0
    this.#dirtyF = 0
    this.terminated = false
    this.loopCounter = undefined
    this.exitSyncMask = 0
    if (this.#hasLocals) this.#xLocal.fill(undefined)
    this.#hasLocals = false
    this.#bound.clear()
  }

  /** Keeps the x registers in `mask` in locals, loaded here; must come first in the block. */
  prologue(mask: number): void {
    for (let r = 1; r < 32; r++) {
      if (!(mask & (1 << r))) continue
      this.#hasLocals = true
      const l = this.b.local('i64')
      this.#xLocal[r] = l
      this.b.set(l, this.b.getState('i64', xOffset(r)))
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Constants (cached per segment: a const defined in one segment does not dominate the next)

  const(type: IRType, bits: bigint): Value {
    if (type === 'i64' || type === 'f64') {
      const m = this.#consts64[type]
      let v = m.get(bits)
      if (v === undefined) {
        v = type === 'f64' ? this.b.f64Bits(bits) : this.b.const(type, bits)
        m.set(bits, v)
      }
      return v
    }
    return this.#const32(type, Number(bits))
  }

  /** A constant of a type whose bits fit in a number (`bits` unsigned, below 2^32). */
  #const32(type: 'i8' | 'i16' | 'i32' | 'f32', bits: number): Value {
    const m = this.#consts32[type]
    let v = m.get(bits)
    if (v === undefined) {
      v = type === 'f32' ? this.b.f32Bits(bits) : this.b.const(type, bits)
      m.set(bits, v)
    }
    return v
  }

  /** An i64 constant from a signed or unsigned value (taken modulo 2^64). */
  i64(x: bigint | number): Value {
    // Safe integers (nearly all: immediates, pcs, addresses) go by number, through the builder's
    // BigInt-free path; a bigint in that range is converted once here.
    const n = typeof x === 'number' ? x : x >= MIN_SAFE && x <= MAX_SAFE ? Number(x) : undefined
    if (n !== undefined && Number.isSafeInteger(n)) {
      let v = this.#smallI64.get(n)
      if (v === undefined) {
        v = this.b.i64(n)
        this.#smallI64.set(n, v)
      }
      return v
    }
    return this.const('i64', BigInt.asUintN(64, BigInt(x)))
  }

  i32(x: bigint | number): Value {
    // ToUint32 is the value modulo 2^32, as BigInt.asUintN(32, …) for a bigint.
    return this.#const32('i32', typeof x === 'number' && Number.isSafeInteger(x) ? x >>> 0 : Number(BigInt.asUintN(32, BigInt(x))))
  }

  canonicalNanF32(): Value {
    return this.#const32('f32', CANONICAL_NAN_F32)
  }

  // ---------------------------------------------------------------------------------------------
  // Integer registers

  getX(i: number): Value {
    if (i === 0) return this.i64(0)
    let v = this.#x[i]
    if (v === undefined) {
      const l = this.#xLocal[i]
      v = l === undefined ? this.b.getState('i64', xOffset(i)) : this.b.get(l)
      this.#x[i] = v
      this.#touchedX |= 1 << i
    }
    return v
  }

  /** The register's value if it is a known constant in this segment (x0 is 0). */
  knownX(i: number): bigint | undefined {
    return i === 0 ? 0n : this.#xk[i]
  }

  setX(i: number, v: Value, known?: bigint): void {
    if (i === 0) return
    this.#touchedX |= 1 << i
    this.#x[i] = v
    this.#xk[i] = known === undefined ? undefined : BigInt.asIntN(64, known)
    this.#dirtyX |= 1 << i
  }

  /** Sets x`i` to a constant. */
  setXConst(i: number, k: bigint): void {
    if (i === 0) return
    this.setX(i, this.i64(k), k)
  }

  /** `x[rs] + imm` as an i64 Value (a constant when x[rs] is known). */
  addrOf(rs: number, imm: number): Value {
    const k = this.knownX(rs)
    if (k !== undefined) return this.i64(k + BigInt(imm))
    const base = this.getX(rs)
    return imm === 0 ? base : this.b.add(base, this.i64(imm))
  }

  // ---------------------------------------------------------------------------------------------
  // Float registers (64 bits; singles NaN-boxed: upper 32 bits all ones)

  /** f`i` as a double (its raw 64 bits). */
  getF64(i: number): Value {
    const e = this.#f[i]
    if (e !== undefined && e.kind === 'f64') return e.v
    if (e !== undefined) this.#flushF(i)
    const v = this.b.getState('f64', fOffset(i))
    this.#putF(i, { kind: 'f64', v, dirty: false })
    return v
  }

  /** f`i` as a single: its low 32 bits if properly NaN-boxed, else the canonical NaN. */
  getF32(i: number): Value {
    const e = this.#f[i]
    if (e !== undefined && e.kind === 'f32') return e.v
    if (e !== undefined) this.#flushF(i)
    const b = this.b
    const hi = b.getState('i32', fOffset(i) + 4)
    const boxed = b.icmp('eq', hi, this.i32(-1))
    const v = b.select(boxed, b.getState('f32', fOffset(i)), this.canonicalNanF32())
    this.#putF(i, { kind: 'f32', v, dirty: false })
    return v
  }

  /** f`i`'s raw 64 bits as an i64. */
  getFBits(i: number): Value {
    const e = this.#f[i]
    if (e !== undefined && e.kind === 'f64') return this.b.bitcast('i64', e.v)
    if (e !== undefined && e.dirty) this.#flushF(i)
    return this.b.getState('i64', fOffset(i))
  }

  /** f`i`'s raw low 32 bits as an i32 (no NaN-box check: fsw, fmv.x.w). */
  getFLow32(i: number): Value {
    const e = this.#f[i]
    if (e !== undefined && e.kind === 'f32') return this.b.bitcast('i32', e.v)
    if (e !== undefined) return this.b.trunc('i32', this.b.bitcast('i64', e.v))
    return this.b.getState('i32', fOffset(i))
  }

  setF64(i: number, v: Value): void {
    this.#putF(i, { kind: 'f64', v, dirty: true })
  }

  /** Writes a single, NaN-boxed. */
  setF32(i: number, v: Value): void {
    this.#putF(i, { kind: 'f32', v, dirty: true })
  }

  #putF(i: number, e: FEntry): void {
    this.#touchedF |= 1 << i
    if (e.dirty) this.#dirtyF |= 1 << i
    this.#f[i] = e
  }

  #flushF(i: number): void {
    const e = this.#f[i]
    if (e === undefined || !e.dirty) return
    this.b.setState(fOffset(i), e.v)
    if (e.kind === 'f32') this.b.setState(fOffset(i) + 4, this.i32(-1))
    e.dirty = false
  }

  // ---------------------------------------------------------------------------------------------
  // Segments

  /** Writes every dirty register back to the state buffer (values stay cached). */
  flush(): void {
    // Lowest register first (m & -m is the lowest set bit).
    for (let m = this.#dirtyX; m !== 0; m &= m - 1) {
      const i = 31 - Math.clz32(m & -m)
      const l = this.#xLocal[i]
      if (l === undefined) this.b.setState(xOffset(i), this.#x[i]!)
      else this.b.set(l, this.#x[i]!)
    }
    this.#dirtyX = 0
    for (let m = this.#dirtyF; m !== 0; m &= m - 1) this.#flushF(31 - Math.clz32(m & -m))
    this.#dirtyF = 0
  }

  /** Forgets everything cached (the start of a new segment). */
  #reset(): void {
    for (let m = this.#touchedX; m !== 0; m &= m - 1) {
      const i = 31 - Math.clz32(m & -m)
      this.#x[i] = undefined
      this.#xk[i] = undefined
    }
    this.#touchedX = 0
    for (let m = this.#touchedF; m !== 0; m &= m - 1) this.#f[31 - Math.clz32(m & -m)] = undefined
    this.#touchedF = 0
    const maps = this.#constMaps
    for (let k = 0; k < maps.length; k++) if (maps[k]!.size > 0) maps[k]!.clear()
    if (this.#smallI64.size > 0) this.#smallI64.clear()
  }

  /** Stores the x registers in `mask` from their locals (or this segment's values) to the state. */
  #sync(mask: number): void {
    if (!this.#hasLocals) return
    for (let r = 1; r < 32; r++) {
      if (!(mask & (1 << r)) || this.#xLocal[r] === undefined) continue
      const v = this.#x[r] ?? this.b.get(this.#xLocal[r]!)
      this.b.setState(xOffset(r), v)
    }
  }

  /** Binds `label` here, writing back the registers if control falls into it. */
  bind(label: Label): void {
    if (!this.terminated) this.flush()
    this.b.bind(label)
    this.#bound.add(label)
    this.#reset()
    this.terminated = false
  }

  /** Binds a fresh label if the last op was a terminator (code nothing branches to is allowed). */
  ensureOpen(): void {
    if (this.terminated) this.bind(this.b.label())
  }

  jump(label: Label): void {
    this.flush()
    if (this.backEdgeSync && this.#bound.has(label)) this.#sync(this.exitSyncMask)
    this.b.jump(label)
    this.terminated = true
  }

  branchIf(cond: Value, then: Label, otherwise: Label): void {
    this.flush()
    if (this.backEdgeSync && (this.#bound.has(then) || this.#bound.has(otherwise))) this.#sync(this.exitSyncMask)
    this.b.branchIf(cond, then, otherwise)
    this.terminated = true
  }

  /** Exits to the constant guest pc `pc` (chainable). */
  exit(pc: bigint | number): void {
    this.flush()
    this.#sync(this.exitSyncMask)
    this.b.exit(this.i64(pc))
    this.terminated = true
  }

  /** Exits to the guest pc computed in `pc` (an i64 value). */
  exitTo(pc: Value): void {
    this.flush()
    this.#sync(this.exitSyncMask)
    this.b.exit(pc)
    this.terminated = true
  }

  trap(code: number, pc: bigint | number): void {
    this.flush()
    this.#sync(this.exitSyncMask)
    this.b.trap(code, this.i64(pc))
    this.terminated = true
  }

  /** Traps with a computed pc (TRAP_INDIRECT_CALL: the call's target). */
  trapTo(code: number, pc: Value): void {
    this.flush()
    this.#sync(this.exitSyncMask)
    this.b.trap(code, pc)
    this.terminated = true
  }

  finish(): Block {
    return this.b.finish()
  }
}

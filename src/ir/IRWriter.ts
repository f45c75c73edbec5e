// IRWriter: IRBuilder's ops for a translator's hot path. Values, labels and locals are plain
// numbers — the ids the binary IR itself uses — and each call appends its op's bytes after only
// the checks that cost nothing: known type and condition names, ids in range, no op after a
// terminator, each label bound once. Operand types and dominance are left to the native
// verifier, which `finish()` runs as IRBuilder's does (so no unverified IR reaches a compiler
// either way); its errors name an op index instead of the call.
//
// Why a second builder: with V8's optimising compiler off (how the RISC-V CLI runs, see
// examples/riscv/cli.ts), IRBuilder's handle objects and per-operand checks made building the IR
// more than half of translating guest code. The same calls give the same bytes as IRBuilder
// (tested), so a block can be debugged with IRBuilder and written with IRWriter.
//
// Not here: helper functions (`function`/`call`/`ret`: use IRBuilder) and pc defaults (`exit`,
// `halt` and `trap` take their pc as a value, e.g. `w.exit(w.i64(pc))`).

import { Block } from './Block.js'
import { describe, floatConstBits, intConstBits, intConstNumberBits, rawBits } from './constants.js'
import { ByteWriter, pushOpBU, pushOpBUU, pushOpU, pushOpUU, pushOpUUU, pushU64Number, pushUleb } from './encoder.js'
import {
  FCMP_CONDITIONS,
  ICMP_CONDITIONS,
  IR_VERSION,
  LIMITS,
  MAGIC,
  Opcode,
  TYPE_CODES,
  TYPE_NAMES,
} from './types.js'
import type { FcmpCondition, FloatType, IRType, IcmpCondition, IntType } from './types.js'
import { native } from '../native.js'

/** A value of an IRWriter's body: the id of the op that defined it. */
export type ValueId = number
/** A label of an IRWriter's body (`label()`), bound once with `bind`. */
export type LabelId = number
/** A local of an IRWriter's body (`local(type)`). */
export type LocalId = number

export interface IRWriterOptions {
  /** The block's guest entry pc (default 0). */
  pc?: bigint | number
}

// Access widths by type code (i8 i16 i32 i64 f32 f64): a store's default width.
const WIDTH_OF_CODE = [1, 2, 4, 8, 4, 8]
const OPS_LIMIT = LIMITS.opsPerBody
const U64_LIMIT = 1n << 64n

export class IRWriter {
  readonly pc: bigint
  readonly #bytes = new ByteWriter()
  /** #bytes's backing array (ops are pushed straight into it). */
  readonly #o: number[] = this.#bytes.array
  /** Type code of each value, by id (a store's default width). */
  #types = new Uint8Array(64)
  #nvalues = 0
  #nops = 0
  readonly #localTypes: number[] = []
  readonly #labelBound: boolean[] = []
  #terminated = false
  #finished = false

  constructor(options: IRWriterOptions = {}) {
    if (options === null || typeof options !== 'object') {
      throw new TypeError(`new IRWriter: options must be an object like { pc: 0x1000n }, got ${describe(options)}`)
    }
    const pc = options.pc ?? 0n
    if ((typeof pc !== 'bigint' && !(typeof pc === 'number' && Number.isSafeInteger(pc))) || pc < 0 || BigInt(pc) >= U64_LIMIT) {
      throw new TypeError(`new IRWriter: pc must be a bigint (or safe integer) in [0, 2^64), got ${describe(pc)}`)
    }
    this.pc = BigInt(pc)
  }

  /** Ops written so far. */
  get opCount(): number {
    return this.#nops
  }

  // ---------------------------------------------------------------------------------------------
  // Constants

  const(type: IRType, x: bigint | number): ValueId {
    const code = this.#typeCode('const', type)
    if (code >= 4) return this.#constBits(code, floatConstBits(type as FloatType, x as number, 'IRWriter.const'))
    const n = intConstNumberBits(type as IntType, x)
    if (n !== undefined) return this.#constNumber(code, n)
    return this.#constBits(code, intConstBits(type as IntType, x, 'IRWriter.const'))
  }

  i8(x: bigint | number): ValueId { return this.const('i8', x) }
  i16(x: bigint | number): ValueId { return this.const('i16', x) }
  i32(x: bigint | number): ValueId { return this.const('i32', x) }

  i64(x: bigint | number): ValueId {
    // The common case first: a safe integer (an immediate, a pc).
    if (typeof x === 'number' && Number.isSafeInteger(x)) return this.#constNumber(3, x)
    return this.const('i64', x)
  }

  f32(x: number): ValueId { return this.const('f32', x) }
  f64(x: number): ValueId { return this.const('f64', x) }
  /** An f32 constant from its exact bit pattern (NaN payloads, -0…). */
  f32Bits(bits: bigint | number): ValueId { return this.#constBits(4, rawBits(32, bits, 'IRWriter.f32Bits')) }
  /** An f64 constant from its exact bit pattern. */
  f64Bits(bits: bigint | number): ValueId { return this.#constBits(5, rawBits(64, bits, 'IRWriter.f64Bits')) }

  // ---------------------------------------------------------------------------------------------
  // Guest state, locals, guest memory

  getState(type: IRType, offset: number): ValueId {
    const code = this.#typeCode('getState', type)
    const off = this.#offset('getState', offset)
    this.#op('getState')
    pushOpBU(this.#o, Opcode.get_state, code, off)
    return this.#def(code)
  }

  setState(offset: number, value: ValueId): void {
    const off = this.#offset('setState', offset)
    const v = this.#use('setState', value)
    this.#op('setState')
    pushOpUU(this.#o, Opcode.set_state, off, v)
  }

  /** Declares a local of `type` (zero when the body starts). */
  local(type: IRType): LocalId {
    const code = this.#typeCode('local', type)
    if (this.#localTypes.length >= LIMITS.localsPerBody) throw new RangeError(`IRWriter.local: more than ${LIMITS.localsPerBody} locals`)
    this.#localTypes.push(code)
    return this.#localTypes.length - 1
  }

  get(local: LocalId): ValueId {
    const l = this.#local('get', local)
    this.#op('get')
    pushOpU(this.#o, Opcode.local_get, l)
    return this.#def(this.#localTypes[l]!)
  }

  set(local: LocalId, value: ValueId): void {
    const l = this.#local('set', local)
    const v = this.#use('set', value)
    this.#op('set')
    pushOpUU(this.#o, Opcode.local_set, l, v)
  }

  /** Little-endian load of `type` (integers: `width` bytes, zero- or sign-extended). */
  load(type: IRType, addr: ValueId, width?: 1 | 2 | 4 | 8, signed = false): ValueId {
    const code = this.#typeCode('load', type)
    const a = this.#use('load', addr)
    this.#op('load')
    const o = this.#o
    o.push(Opcode.load, code, width ?? WIDTH_OF_CODE[code]!, signed ? 1 : 0)
    pushUleb(o, a)
    return this.#def(code)
  }

  /** Little-endian store of `value`, or of its low `width` bytes. */
  store(addr: ValueId, value: ValueId, width?: 1 | 2 | 4 | 8): void {
    const a = this.#use('store', addr)
    const v = this.#use('store', value)
    this.#op('store')
    pushOpBUU(this.#o, Opcode.store, width ?? WIDTH_OF_CODE[this.#types[v]!]!, a, v)
  }

  // ---------------------------------------------------------------------------------------------
  // Integer arithmetic (docs/IR.md "Total semantics")

  add(a: ValueId, b: ValueId): ValueId { return this.#binary(Opcode.add, 'add', a, b) }
  sub(a: ValueId, b: ValueId): ValueId { return this.#binary(Opcode.sub, 'sub', a, b) }
  mul(a: ValueId, b: ValueId): ValueId { return this.#binary(Opcode.mul, 'mul', a, b) }
  umulhi(a: ValueId, b: ValueId): ValueId { return this.#binary(Opcode.umulhi, 'umulhi', a, b) }
  smulhi(a: ValueId, b: ValueId): ValueId { return this.#binary(Opcode.smulhi, 'smulhi', a, b) }
  sumulhi(a: ValueId, b: ValueId): ValueId { return this.#binary(Opcode.sumulhi, 'sumulhi', a, b) }
  udiv(a: ValueId, b: ValueId): ValueId { return this.#binary(Opcode.udiv, 'udiv', a, b) }
  sdiv(a: ValueId, b: ValueId): ValueId { return this.#binary(Opcode.sdiv, 'sdiv', a, b) }
  urem(a: ValueId, b: ValueId): ValueId { return this.#binary(Opcode.urem, 'urem', a, b) }
  srem(a: ValueId, b: ValueId): ValueId { return this.#binary(Opcode.srem, 'srem', a, b) }
  and(a: ValueId, b: ValueId): ValueId { return this.#binary(Opcode.and, 'and', a, b) }
  or(a: ValueId, b: ValueId): ValueId { return this.#binary(Opcode.or, 'or', a, b) }
  xor(a: ValueId, b: ValueId): ValueId { return this.#binary(Opcode.xor, 'xor', a, b) }
  shl(a: ValueId, b: ValueId): ValueId { return this.#binary(Opcode.shl, 'shl', a, b) }
  ushr(a: ValueId, b: ValueId): ValueId { return this.#binary(Opcode.ushr, 'ushr', a, b) }
  sshr(a: ValueId, b: ValueId): ValueId { return this.#binary(Opcode.sshr, 'sshr', a, b) }
  rotl(a: ValueId, b: ValueId): ValueId { return this.#binary(Opcode.rotl, 'rotl', a, b) }
  rotr(a: ValueId, b: ValueId): ValueId { return this.#binary(Opcode.rotr, 'rotr', a, b) }

  not(a: ValueId): ValueId { return this.#unary(Opcode.not, 'not', a) }
  neg(a: ValueId): ValueId { return this.#unary(Opcode.neg, 'neg', a) }
  clz(a: ValueId): ValueId { return this.#unary(Opcode.clz, 'clz', a) }
  ctz(a: ValueId): ValueId { return this.#unary(Opcode.ctz, 'ctz', a) }
  popcnt(a: ValueId): ValueId { return this.#unary(Opcode.popcnt, 'popcnt', a) }

  /** Integer comparison; the result is an i8 0 or 1. */
  icmp(cc: IcmpCondition, a: ValueId, b: ValueId): ValueId {
    const code: unknown = ICMP_CONDITIONS[cc]
    if (typeof code !== 'number') throw this.#badCondition('icmp', cc, ICMP_CONDITIONS)
    const x = this.#use('icmp', a)
    const y = this.#use('icmp', b)
    this.#op('icmp')
    pushOpBUU(this.#o, Opcode.icmp, code, x, y)
    return this.#def(0)
  }

  /** `cond` non-zero selects `a`, else `b`. */
  select(cond: ValueId, a: ValueId, b: ValueId): ValueId {
    const c = this.#use('select', cond)
    const x = this.#use('select', a)
    const y = this.#use('select', b)
    this.#op('select')
    pushOpUUU(this.#o, Opcode.select, c, x, y)
    return this.#def(this.#types[x]!)
  }

  zext(type: IRType, a: ValueId): ValueId { return this.#convert(Opcode.zext, 'zext', type, a) }
  sext(type: IRType, a: ValueId): ValueId { return this.#convert(Opcode.sext, 'sext', type, a) }
  trunc(type: IRType, a: ValueId): ValueId { return this.#convert(Opcode.trunc, 'trunc', type, a) }

  // ---------------------------------------------------------------------------------------------
  // Floating point

  fadd(a: ValueId, b: ValueId): ValueId { return this.#binary(Opcode.fadd, 'fadd', a, b) }
  fsub(a: ValueId, b: ValueId): ValueId { return this.#binary(Opcode.fsub, 'fsub', a, b) }
  fmul(a: ValueId, b: ValueId): ValueId { return this.#binary(Opcode.fmul, 'fmul', a, b) }
  fdiv(a: ValueId, b: ValueId): ValueId { return this.#binary(Opcode.fdiv, 'fdiv', a, b) }
  fmin(a: ValueId, b: ValueId): ValueId { return this.#binary(Opcode.fmin, 'fmin', a, b) }
  fmax(a: ValueId, b: ValueId): ValueId { return this.#binary(Opcode.fmax, 'fmax', a, b) }
  fcopysign(a: ValueId, b: ValueId): ValueId { return this.#binary(Opcode.fcopysign, 'fcopysign', a, b) }
  fsqrt(a: ValueId): ValueId { return this.#unary(Opcode.fsqrt, 'fsqrt', a) }
  fneg(a: ValueId): ValueId { return this.#unary(Opcode.fneg, 'fneg', a) }
  fabs(a: ValueId): ValueId { return this.#unary(Opcode.fabs, 'fabs', a) }

  /** `a * b + c`, rounded once. */
  fma(a: ValueId, b: ValueId, c: ValueId): ValueId {
    const x = this.#use('fma', a)
    const y = this.#use('fma', b)
    const z = this.#use('fma', c)
    this.#op('fma')
    pushOpUUU(this.#o, Opcode.fma, x, y, z)
    return this.#def(this.#types[x]!)
  }

  /** Float comparison; the result is an i8 0 or 1. `ne` is true when unordered. */
  fcmp(cc: FcmpCondition, a: ValueId, b: ValueId): ValueId {
    const code: unknown = FCMP_CONDITIONS[cc]
    if (typeof code !== 'number') throw this.#badCondition('fcmp', cc, FCMP_CONDITIONS)
    const x = this.#use('fcmp', a)
    const y = this.#use('fcmp', b)
    this.#op('fcmp')
    pushOpBUU(this.#o, Opcode.fcmp, code, x, y)
    return this.#def(0)
  }

  fcvtToSint(type: IRType, a: ValueId): ValueId { return this.#convert(Opcode.fcvt_to_sint, 'fcvtToSint', type, a) }
  fcvtToUint(type: IRType, a: ValueId): ValueId { return this.#convert(Opcode.fcvt_to_uint, 'fcvtToUint', type, a) }
  fcvtFromSint(type: IRType, a: ValueId): ValueId { return this.#convert(Opcode.fcvt_from_sint, 'fcvtFromSint', type, a) }
  fcvtFromUint(type: IRType, a: ValueId): ValueId { return this.#convert(Opcode.fcvt_from_uint, 'fcvtFromUint', type, a) }

  fpromote(a: ValueId): ValueId {
    const x = this.#use('fpromote', a)
    this.#op('fpromote')
    pushOpU(this.#o, Opcode.fpromote, x)
    return this.#def(5)
  }

  fdemote(a: ValueId): ValueId {
    const x = this.#use('fdemote', a)
    this.#op('fdemote')
    pushOpU(this.#o, Opcode.fdemote, x)
    return this.#def(4)
  }

  bitcast(type: IRType, a: ValueId): ValueId { return this.#convert(Opcode.bitcast, 'bitcast', type, a) }

  // ---------------------------------------------------------------------------------------------
  // Control flow

  /** The guest instruction the following ops belong to (faults and fuel exits report it). */
  mark(pc: number | bigint): void {
    if (typeof pc === 'number' && Number.isSafeInteger(pc) && pc >= 0) {
      this.#op('mark')
      this.#o.push(Opcode.mark)
      pushU64Number(this.#o, pc)
      return
    }
    if (typeof pc !== 'bigint' || pc < 0n || pc >= U64_LIMIT) {
      throw new TypeError(`IRWriter.mark: pc must be a bigint (or safe integer) in [0, 2^64), got ${describe(pc)}`)
    }
    this.#op('mark')
    this.#o.push(Opcode.mark)
    this.#bytes.u64(pc)
  }

  /** A new, unbound label. */
  label(): LabelId {
    if (this.#labelBound.length >= LIMITS.labelsPerBody) throw new RangeError(`IRWriter.label: more than ${LIMITS.labelsPerBody} labels`)
    this.#labelBound.push(false)
    return this.#labelBound.length - 1
  }

  /** Binds `label` here; code before it that did not end in a terminator falls into it. */
  bind(label: LabelId): void {
    if (this.#finished) throw new Error('IRWriter.bind: finish() was already called')
    const l = this.#label('bind', label)
    if (this.#labelBound[l]) throw new Error(`IRWriter.bind: label ${l} is already bound (each label is bound exactly once)`)
    if (this.#nops >= OPS_LIMIT) throw new RangeError(`IRWriter.bind: more than ${OPS_LIMIT} ops in one body`)
    this.#labelBound[l] = true
    this.#terminated = false
    this.#op('bind')
    pushOpU(this.#o, Opcode.label, l)
  }

  jump(target: LabelId): void {
    const l = this.#label('jump', target)
    this.#op('jump')
    pushOpU(this.#o, Opcode.jump, l)
    this.#terminated = true
  }

  /** Goes to `then` if `cond` (any integer) is non-zero, else to `otherwise`. */
  branchIf(cond: ValueId, then: LabelId, otherwise: LabelId): void {
    const c = this.#use('branchIf', cond)
    const t = this.#label('branchIf', then)
    const e = this.#label('branchIf', otherwise)
    this.#op('branchIf')
    pushOpUUU(this.#o, Opcode.brif, c, t, e)
    this.#terminated = true
  }

  /** Leaves the block to continue at guest pc `pc` (an i64 value). */
  exit(pc: ValueId): void {
    const p = this.#use('exit', pc)
    this.#op('exit')
    pushOpU(this.#o, Opcode.exit, p)
    this.#terminated = true
  }

  /** Leaves the block because the guest stopped, at `pc` (an i64 value). */
  halt(pc: ValueId): void {
    const p = this.#use('halt', pc)
    this.#op('halt')
    pushOpU(this.#o, Opcode.halt, p)
    this.#terminated = true
  }

  /** Leaves the block to the host with `code` (u32), at `pc` (an i64 value). */
  trap(code: number, pc: ValueId): void {
    if (!Number.isInteger(code) || code < 0 || code > 0xffff_ffff) {
      throw new RangeError(`IRWriter.trap: code must be an integer in [0, 2^32), got ${describe(code)}`)
    }
    const p = this.#use('trap', pc)
    this.#op('trap')
    pushOpUU(this.#o, Opcode.trap, code, p)
    this.#terminated = true
  }

  /** Encodes the block and verifies it natively (throws the verifier's message); one use only. */
  finish(): Block {
    if (this.#finished) throw new Error('IRWriter.finish: finish() was already called')
    for (let k = 0; k < this.#labelBound.length; k++) {
      if (!this.#labelBound[k]) throw new Error(`IRWriter.finish: label ${k} was never bound`)
    }
    if (!this.#terminated) throw new Error('IRWriter.finish: the body must end with a terminator (exit, halt, trap, jump or branchIf)')
    this.#finished = true
    const head = new ByteWriter()
    for (const c of MAGIC) head.u8(c)
    head.u16(IR_VERSION).u16(0).u64(this.pc)
    head.uleb(0) // helper functions
    head.uleb(this.#localTypes.length)
    for (const t of this.#localTypes) head.u8(t)
    head.uleb(this.#labelBound.length)
    head.uleb(this.#nops)
    const bytes = ByteWriter.concat([head, this.#bytes])
    return Block.fromVerified(bytes, native().verifyBlock(bytes))
  }

  // ---------------------------------------------------------------------------------------------

  /**
   * Checks an op may come here and counts it. Every method validates its arguments first, then
   * calls this, then writes: a call that throws leaves the body as it was.
   */
  #op(m: string): void {
    if (this.#terminated || this.#finished || this.#nops >= OPS_LIMIT) {
      if (this.#finished) throw new Error(`IRWriter.${m}: finish() was already called`)
      if (this.#terminated) throw new Error(`IRWriter.${m}: unreachable op after a terminator; bind a label first`)
      throw new RangeError(`IRWriter.${m}: more than ${OPS_LIMIT} ops in one body`)
    }
    this.#nops++
  }

  /** A new value of type `code`. */
  #def(code: number): ValueId {
    const id = this.#nvalues++
    if (id >= this.#types.length) {
      const grown = new Uint8Array(this.#types.length * 2)
      grown.set(this.#types)
      this.#types = grown
    }
    this.#types[id] = code
    return id
  }

  /** `v` as an operand: a value id defined so far. */
  #use(m: string, v: ValueId): number {
    if (v >= 0 && v < this.#nvalues && (v | 0) === v) return v
    throw new TypeError(`IRWriter.${m}: ${describe(v)} is not a value of this writer (ids 0..${this.#nvalues - 1} so far)`)
  }

  #label(m: string, l: LabelId): number {
    if (this.#labelBound[l] !== undefined && (l | 0) === l) return l
    throw new TypeError(`IRWriter.${m}: ${describe(l)} is not a label of this writer`)
  }

  #local(m: string, l: LocalId): number {
    if (this.#localTypes[l] !== undefined && (l | 0) === l) return l
    throw new TypeError(`IRWriter.${m}: ${describe(l)} is not a local of this writer`)
  }

  #typeCode(m: string, t: IRType): number {
    // (Not `=== undefined`: TYPE_CODES['toString'] is a function.)
    const code: unknown = TYPE_CODES[t]
    if (typeof code !== 'number') {
      throw new TypeError(`IRWriter.${m}: unknown type ${describe(t)} (expected one of ${TYPE_NAMES.join(', ')})`)
    }
    return code
  }

  #offset(m: string, off: number): number {
    if (off >= 0 && off < LIMITS.stateOffset && (off | 0) === off) return off
    throw new RangeError(`IRWriter.${m}: state offset must be an integer in [0, 2^24), got ${describe(off)}`)
  }

  #badCondition(m: string, cc: unknown, table: object): TypeError {
    return new TypeError(`IRWriter.${m}: unknown condition ${describe(cc)} (expected one of ${Object.keys(table).join(', ')})`)
  }

  #binary(op: number, m: string, a: ValueId, b: ValueId): ValueId {
    const x = this.#use(m, a)
    const y = this.#use(m, b)
    this.#op(m)
    pushOpUU(this.#o, op, x, y)
    return this.#def(this.#types[x]!)
  }

  #unary(op: number, m: string, a: ValueId): ValueId {
    const x = this.#use(m, a)
    this.#op(m)
    pushOpU(this.#o, op, x)
    return this.#def(this.#types[x]!)
  }

  /** An op with a result type byte and one operand (extensions, conversions, bitcast). */
  #convert(op: number, m: string, type: IRType, a: ValueId): ValueId {
    const code = this.#typeCode(m, type)
    const x = this.#use(m, a)
    this.#op(m)
    pushOpBU(this.#o, op, code, x)
    return this.#def(code)
  }

  #constNumber(code: number, bits: number): ValueId {
    this.#op('const')
    this.#o.push(Opcode.const, code)
    pushU64Number(this.#o, bits)
    return this.#def(code)
  }

  #constBits(code: number, bits: bigint): ValueId {
    this.#op('const')
    this.#o.push(Opcode.const, code)
    this.#bytes.u64(bits)
    return this.#def(code)
  }
}

// IRBuilder: the one way a TypeScript emulator writes block IR. Each method appends one op of
// docs/IR.md to the body's binary encoding as it goes (no intermediate op objects, so building a
// block costs little more than writing its bytes) and checks the op's rules first, so a misuse
// fails at the call that made it, with a TypeError/Error naming the method and the types — not
// later as a verifier message about an op index.
//
// `finish()` still runs the native verifier on the bytes: the TypeScript checks are for good
// messages, the native ones are the guarantee that no unverified IR reaches a compiler.
//
// A helper function's body is built by a nested IRBuilder of the same class, restricted to what a
// helper may contain (no exit/halt/trap, ends with `ret`). A helper gets its index when its body is
// complete, so every helper it can name (it can only name finished ones) has a lower index, which is
// exactly the IR's "helper k calls only helpers < k" rule.

import { Block } from './Block.js'
import { describe, floatConstBits, intConstBits, intConstNumberBits, rawBits } from './constants.js'
import { ControlFlow } from './ControlFlow.js'
import { ByteWriter, pushOpBU, pushOpBUU, pushOpU, pushOpUU, pushOpUUU, pushU64Number, pushUleb } from './encoder.js'
import { Func, Label, Local, ownerOf, Value } from './handles.js'
import {
  FCMP_CONDITIONS,
  ICMP_CONDITIONS,
  IR_VERSION,
  LIMITS,
  MAGIC,
  NO_RESULT,
  Opcode,
  TYPE_CODES,
  TYPE_NAMES,
  isFloatType,
  isIRType,
  isIntType,
  typeWidth,
} from './types.js'
import type {
  FcmpCondition,
  FloatBinaryOp,
  FloatType,
  FloatUnaryOp,
  IRType,
  IcmpCondition,
  IntBinaryOp,
  IntType,
  IntUnaryOp,
  OpName,
} from './types.js'
import { native } from '../native.js'

export interface IRBuilderOptions {
  /** The block's guest entry pc (default 0). */
  pc?: bigint | number
}

/** A guest pc operand: a constant (emitted as an `i64` const) or an `i64` Value. */
export type PcOperand = bigint | number | Value

export interface LoadOptions {
  /** Bytes read: 1, 2, 4 or 8, at most the type's width (default: the type's width). */
  width?: 1 | 2 | 4 | 8
  /** Sign-extend a narrow integer load (default: zero-extend). */
  signed?: boolean
}

export interface StoreOptions {
  /** Bytes written, the low ones of the value: 1, 2, 4 or 8, at most its width (default: its width). */
  width?: 1 | 2 | 4 | 8
}

export interface FunctionSignature {
  params?: readonly IRType[]
  /** The result type, or undefined for a helper that returns nothing. */
  result?: IRType
}

/** Body of a helper: receives the helper's builder and its parameters, and must end with `f.ret(…)`. */
export type FunctionBody = (f: IRBuilder, ...params: Value[]) => void

/** Block-wide state shared by the main body's builder and its helpers' builders. */
class BlockState {
  /** Encoded helper functions, in index order. */
  readonly funcs: ByteWriter[] = []
  finished = false
  constructor(readonly pc: bigint) {}
}

/** Marks a builder as a helper body (not constructible from outside this module). */
class HelperSpec {
  constructor(
    readonly block: BlockState,
    readonly params: readonly IRType[],
    readonly result: IRType | undefined,
  ) {}
}

const WIDTHS = [1, 2, 4, 8]
const U64_LIMIT = 1n << 64n
const I64_MIN = -(1n << 63n)

export class IRBuilder {
  readonly #block: BlockState
  readonly #helper: HelperSpec | undefined
  readonly #ops = new ByteWriter()
  /** #ops's backing array: the hot paths push bytes straight into it. */
  readonly #o: number[] = this.#ops.array
  readonly #cf = new ControlFlow()
  readonly #localTypes: IRType[] = []
  readonly #labelBound: boolean[] = []
  readonly #params: Value[] = []
  #nops = 0
  #nvalues = 0
  #terminated = false
  #lastOp: string | undefined
  #mark: bigint | number | undefined
  /** Why this body accepts no more ops (finished, helper complete…), or undefined while open. */
  #closed: string | undefined

  constructor(options: IRBuilderOptions = {}, helper?: unknown) {
    if (helper instanceof HelperSpec) {
      this.#block = helper.block
      this.#helper = helper
      for (const t of helper.params) this.#params.push(this.#def(t))
      return
    }
    if (options === null || typeof options !== 'object') {
      throw new TypeError(`new IRBuilder: options must be an object like { pc: 0x1000n }, got ${describe(options)}`)
    }
    for (const key of Object.keys(options)) {
      if (key !== 'pc') throw new TypeError(`new IRBuilder: unknown option '${key}' (expected: pc)`)
    }
    const pc = options.pc ?? 0n
    this.#block = new BlockState(this.#u64('new IRBuilder', 'pc', pc))
    this.#helper = undefined
  }

  /** The block's guest entry pc. */
  get pc(): bigint {
    return this.#block.pc
  }

  /** Ops in this body so far. */
  get opCount(): number {
    return this.#nops
  }

  // ---------------------------------------------------------------------------------------------
  // Constants

  const(type: IRType, x: bigint | number): Value {
    const m = 'const'
    this.#begin(m)
    const t = this.#typeArg(m, type)
    const n = isIntType(t) ? intConstNumberBits(t, x) : undefined
    if (n !== undefined) return this.#constNumber(t, n)
    const bits = isIntType(t) ? intConstBits(t, x, this.#where(m)) : floatConstBits(t as FloatType, x as number, this.#where(m))
    return this.#const(t, bits)
  }

  // Integer constants given as numbers take a BigInt-free path (intConstNumberBits): an
  // emulator's immediates and pcs are numbers, and BigInt conversions were a large part of
  // building a block. The bytes are the same either way.

  i8(x: bigint | number): Value {
    this.#begin('i8')
    const n = intConstNumberBits('i8', x)
    if (n !== undefined) return this.#constNumber('i8', n)
    return this.#const('i8', intConstBits('i8', x, this.#where('i8')))
  }

  i16(x: bigint | number): Value {
    this.#begin('i16')
    const n = intConstNumberBits('i16', x)
    if (n !== undefined) return this.#constNumber('i16', n)
    return this.#const('i16', intConstBits('i16', x, this.#where('i16')))
  }

  i32(x: bigint | number): Value {
    this.#begin('i32')
    const n = intConstNumberBits('i32', x)
    if (n !== undefined) return this.#constNumber('i32', n)
    return this.#const('i32', intConstBits('i32', x, this.#where('i32')))
  }

  i64(x: bigint | number): Value {
    this.#begin('i64')
    const n = intConstNumberBits('i64', x)
    if (n !== undefined) return this.#constNumber('i64', n)
    return this.#const('i64', intConstBits('i64', x, this.#where('i64')))
  }

  f32(x: number): Value {
    this.#begin('f32')
    return this.#const('f32', floatConstBits('f32', x, this.#where('f32')))
  }

  f64(x: number): Value {
    this.#begin('f64')
    return this.#const('f64', floatConstBits('f64', x, this.#where('f64')))
  }

  /** An f32 constant from its exact bit pattern (NaN payloads, -0…). */
  f32Bits(bits: bigint | number): Value {
    this.#begin('f32Bits')
    return this.#const('f32', rawBits(32, bits, this.#where('f32Bits')))
  }

  /** An f64 constant from its exact bit pattern. */
  f64Bits(bits: bigint | number): Value {
    this.#begin('f64Bits')
    return this.#const('f64', rawBits(64, bits, this.#where('f64Bits')))
  }

  // ---------------------------------------------------------------------------------------------
  // Guest state, locals, guest memory

  /** Reads `type` at byte `offset` of the guest state buffer. */
  getState(type: IRType, offset: number): Value {
    const m = 'getState'
    this.#begin(m)
    const t = this.#typeArg(m, type)
    const off = this.#stateOffset(m, offset)
    pushOpBU(this.#o, Opcode.get_state, TYPE_CODES[t], off)
    this.#emit('get_state')
    return this.#def(t)
  }

  /** Writes `value` at byte `offset` of the guest state buffer (width from its type). */
  setState(offset: number, value: Value): void {
    const m = 'setState'
    this.#begin(m)
    const off = this.#stateOffset(m, offset)
    const v = this.#value(m, 'value', value)
    this.#use(v, m)
    pushOpUU(this.#o, Opcode.set_state, off, v.id)
    this.#emit('set_state')
  }

  /**
   * Declares a local of `type` (zero when the body starts). With `init` (a constant or a Value of
   * the same type), also emits the `local_set` that assigns it here.
   */
  local(type: IRType, init?: bigint | number | Value): Local {
    const m = 'local'
    this.#open(m)
    const t = this.#typeArg(m, type)
    let initValue: Value | undefined
    let initBits: bigint | undefined
    if (init !== undefined) {
      this.#begin(m)
      if (init instanceof Value) {
        initValue = this.#value(m, 'init', init)
        if (initValue.type !== t) {
          throw new TypeError(`${this.#where(m)}: init ${initValue} does not match the local's type ${t}`)
        }
      } else {
        initBits = isIntType(t) ? intConstBits(t, init, this.#where(m)) : floatConstBits(t as FloatType, init as number, this.#where(m))
      }
    }
    if (this.#localTypes.length >= LIMITS.localsPerBody) {
      throw new RangeError(`${this.#where(m)}: more than ${LIMITS.localsPerBody} locals in one body`)
    }
    const local = new Local(this.#localTypes.length, t, this)
    this.#localTypes.push(t)
    if (initBits !== undefined) initValue = this.#const(t, initBits)
    if (initValue !== undefined) this.set(local, initValue)
    return local
  }

  /** Reads a local (`local_get`). */
  get(local: Local): Value {
    const m = 'get'
    this.#begin(m)
    const l = this.#localArg(m, local)
    pushOpU(this.#o, Opcode.local_get, l.index)
    this.#emit('local_get')
    return this.#def(l.type)
  }

  /** Assigns a local (`local_set`); the value's type must be the local's. */
  set(local: Local, value: Value): void {
    const m = 'set'
    this.#begin(m)
    const l = this.#localArg(m, local)
    const v = this.#value(m, 'value', value)
    if (v.type !== l.type) throw new TypeError(`${this.#where(m)}: cannot assign ${v} to local ${l}`)
    this.#use(v, m)
    pushOpUU(this.#o, Opcode.local_set, l.index, v.id)
    this.#emit('local_set')
  }

  /**
   * Little-endian load of `type` from guest address `addr` (an i64). Integers may read fewer bytes
   * (`width`) and zero- or sign-extend them. An out-of-range address exits with reason `fault`.
   */
  load(type: IRType, addr: Value, options: LoadOptions = {}): Value {
    const m = 'load'
    this.#begin(m)
    const t = this.#typeArg(m, type)
    const a = this.#i64(m, 'addr', addr)
    this.#options(m, options, ['width', 'signed'])
    const width = options.width ?? typeWidth(t)
    const signed = options.signed ?? false
    if (typeof signed !== 'boolean') throw new TypeError(`${this.#where(m)}: signed must be a boolean, got ${describe(signed)}`)
    if (isIntType(t)) {
      if (!WIDTHS.includes(width) || width > typeWidth(t)) {
        throw new RangeError(`${this.#where(m)}: width ${describe(width)} is not 1, 2, 4 or 8 bytes up to ${typeWidth(t)} (the width of ${t})`)
      }
    } else {
      if (width !== typeWidth(t)) throw new RangeError(`${this.#where(m)}: a ${t} load reads exactly ${typeWidth(t)} bytes, got width ${describe(width)}`)
      if (signed) throw new TypeError(`${this.#where(m)}: signed is for integer loads, not ${t}`)
    }
    this.#use(a, m)
    this.#o.push(Opcode.load, TYPE_CODES[t], width, signed ? 1 : 0)
    pushUleb(this.#o, a.id)
    this.#emit('load')
    return this.#def(t)
  }

  /** Little-endian store of `value` (or its low `width` bytes) at guest address `addr` (an i64). */
  store(addr: Value, value: Value, options: StoreOptions = {}): void {
    const m = 'store'
    this.#begin(m)
    const a = this.#i64(m, 'addr', addr)
    const v = this.#value(m, 'value', value)
    this.#options(m, options, ['width'])
    const width = options.width ?? typeWidth(v.type)
    if (isIntType(v.type)) {
      if (!WIDTHS.includes(width) || width > typeWidth(v.type)) {
        throw new RangeError(`${this.#where(m)}: width ${describe(width)} is not 1, 2, 4 or 8 bytes up to ${typeWidth(v.type)} (the width of ${v.type})`)
      }
    } else if (width !== typeWidth(v.type)) {
      throw new RangeError(`${this.#where(m)}: a ${v.type} store writes exactly ${typeWidth(v.type)} bytes, got width ${describe(width)}`)
    }
    this.#use(a, m)
    this.#use(v, m)
    pushOpBUU(this.#o, Opcode.store, width, a.id, v.id)
    this.#emit('store')
  }

  // ---------------------------------------------------------------------------------------------
  // Integer arithmetic (docs/IR.md "Total semantics" defines division by zero, shifts ≥ width…)

  add(a: Value, b: Value): Value { return this.#intBinary('add', a, b) }
  sub(a: Value, b: Value): Value { return this.#intBinary('sub', a, b) }
  mul(a: Value, b: Value): Value { return this.#intBinary('mul', a, b) }
  /** High half of the unsigned product. */
  umulhi(a: Value, b: Value): Value { return this.#intBinary('umulhi', a, b) }
  /** High half of the signed product. */
  smulhi(a: Value, b: Value): Value { return this.#intBinary('smulhi', a, b) }
  /** High half of signed `a` times unsigned `b` (RISC-V `mulhsu`). */
  sumulhi(a: Value, b: Value): Value { return this.#intBinary('sumulhi', a, b) }
  udiv(a: Value, b: Value): Value { return this.#intBinary('udiv', a, b) }
  sdiv(a: Value, b: Value): Value { return this.#intBinary('sdiv', a, b) }
  urem(a: Value, b: Value): Value { return this.#intBinary('urem', a, b) }
  srem(a: Value, b: Value): Value { return this.#intBinary('srem', a, b) }
  and(a: Value, b: Value): Value { return this.#intBinary('and', a, b) }
  or(a: Value, b: Value): Value { return this.#intBinary('or', a, b) }
  xor(a: Value, b: Value): Value { return this.#intBinary('xor', a, b) }
  shl(a: Value, b: Value): Value { return this.#intBinary('shl', a, b) }
  ushr(a: Value, b: Value): Value { return this.#intBinary('ushr', a, b) }
  sshr(a: Value, b: Value): Value { return this.#intBinary('sshr', a, b) }
  rotl(a: Value, b: Value): Value { return this.#intBinary('rotl', a, b) }
  rotr(a: Value, b: Value): Value { return this.#intBinary('rotr', a, b) }

  not(a: Value): Value { return this.#intUnary('not', a) }
  neg(a: Value): Value { return this.#intUnary('neg', a) }
  clz(a: Value): Value { return this.#intUnary('clz', a) }
  ctz(a: Value): Value { return this.#intUnary('ctz', a) }
  popcnt(a: Value): Value { return this.#intUnary('popcnt', a) }

  /** Integer comparison; the result is an i8 0 or 1. */
  icmp(cc: IcmpCondition, a: Value, b: Value): Value {
    const m = 'icmp'
    this.#begin(m)
    const code = this.#condition(m, cc, ICMP_CONDITIONS)
    const x = this.#value(m, 'a', a)
    const y = this.#value(m, 'b', b)
    if (!isIntType(x.type) || x.type !== y.type) {
      throw new TypeError(`${this.#where(m)}: operands must be the same integer type, got ${x.type} and ${y.type}`)
    }
    this.#use(x, m)
    this.#use(y, m)
    pushOpBUU(this.#o, Opcode.icmp, code, x.id, y.id)
    this.#emit('icmp')
    return this.#def('i8')
  }

  /** `cond` (any integer) non-zero selects `a`, else `b`; `a` and `b` have the same type. */
  select(cond: Value, a: Value, b: Value): Value {
    const m = 'select'
    this.#begin(m)
    const c = this.#int(m, 'cond', cond)
    const x = this.#value(m, 'a', a)
    const y = this.#value(m, 'b', b)
    if (x.type !== y.type) throw new TypeError(`${this.#where(m)}: a and b must have the same type, got ${x.type} and ${y.type}`)
    this.#use(c, m)
    this.#use(x, m)
    this.#use(y, m)
    pushOpUUU(this.#o, Opcode.select, c.id, x.id, y.id)
    this.#emit('select')
    return this.#def(x.type)
  }

  /** Zero-extends an integer to a strictly wider integer type. */
  zext(type: IRType, a: Value): Value { return this.#extend('zext', type, a, 1) }
  /** Sign-extends an integer to a strictly wider integer type. */
  sext(type: IRType, a: Value): Value { return this.#extend('sext', type, a, 1) }
  /** Keeps the low bits of an integer as a strictly narrower integer type. */
  trunc(type: IRType, a: Value): Value { return this.#extend('trunc', type, a, -1) }

  // ---------------------------------------------------------------------------------------------
  // Floating point (NaN results are canonical; fmin/fmax propagate NaN; see docs/IR.md)

  fadd(a: Value, b: Value): Value { return this.#floatBinary('fadd', a, b) }
  fsub(a: Value, b: Value): Value { return this.#floatBinary('fsub', a, b) }
  fmul(a: Value, b: Value): Value { return this.#floatBinary('fmul', a, b) }
  fdiv(a: Value, b: Value): Value { return this.#floatBinary('fdiv', a, b) }
  fmin(a: Value, b: Value): Value { return this.#floatBinary('fmin', a, b) }
  fmax(a: Value, b: Value): Value { return this.#floatBinary('fmax', a, b) }
  /** Magnitude of `a` with the sign of `b` (a bit operation). */
  fcopysign(a: Value, b: Value): Value { return this.#floatBinary('fcopysign', a, b) }

  fsqrt(a: Value): Value { return this.#floatUnary('fsqrt', a) }
  fneg(a: Value): Value { return this.#floatUnary('fneg', a) }
  fabs(a: Value): Value { return this.#floatUnary('fabs', a) }

  /** `a * b + c`, rounded once. */
  fma(a: Value, b: Value, c: Value): Value {
    const m = 'fma'
    this.#begin(m)
    const x = this.#float(m, 'a', a)
    const y = this.#value(m, 'b', b)
    const z = this.#value(m, 'c', c)
    if (y.type !== x.type || z.type !== x.type) {
      throw new TypeError(`${this.#where(m)}: operands must be the same float type, got ${x.type}, ${y.type} and ${z.type}`)
    }
    this.#use(x, m)
    this.#use(y, m)
    this.#use(z, m)
    pushOpUUU(this.#o, Opcode.fma, x.id, y.id, z.id)
    this.#emit('fma')
    return this.#def(x.type)
  }

  /** Float comparison; the result is an i8 0 or 1. `ne` is true when unordered. */
  fcmp(cc: FcmpCondition, a: Value, b: Value): Value {
    const m = 'fcmp'
    this.#begin(m)
    const code = this.#condition(m, cc, FCMP_CONDITIONS)
    const x = this.#value(m, 'a', a)
    const y = this.#value(m, 'b', b)
    if (!isFloatType(x.type) || x.type !== y.type) {
      throw new TypeError(`${this.#where(m)}: operands must be the same float type, got ${x.type} and ${y.type}`)
    }
    this.#use(x, m)
    this.#use(y, m)
    pushOpBUU(this.#o, Opcode.fcmp, code, x.id, y.id)
    this.#emit('fcmp')
    return this.#def('i8')
  }

  /** Float to i32/i64, signed, saturating; NaN gives 0. */
  fcvtToSint(type: IRType, a: Value): Value { return this.#floatToInt('fcvtToSint', 'fcvt_to_sint', type, a) }
  /** Float to i32/i64, unsigned, saturating; NaN gives 0. */
  fcvtToUint(type: IRType, a: Value): Value { return this.#floatToInt('fcvtToUint', 'fcvt_to_uint', type, a) }
  /** Signed i32/i64 to f32/f64, round to nearest even. */
  fcvtFromSint(type: IRType, a: Value): Value { return this.#intToFloat('fcvtFromSint', 'fcvt_from_sint', type, a) }
  /** Unsigned i32/i64 to f32/f64, round to nearest even. */
  fcvtFromUint(type: IRType, a: Value): Value { return this.#intToFloat('fcvtFromUint', 'fcvt_from_uint', type, a) }

  /** f32 to f64. */
  fpromote(a: Value): Value {
    const m = 'fpromote'
    this.#begin(m)
    const x = this.#value(m, 'a', a)
    if (x.type !== 'f32') throw new TypeError(`${this.#where(m)}: operand must be f32, got ${x.type}`)
    this.#use(x, m)
    pushOpU(this.#o, Opcode.fpromote, x.id)
    this.#emit('fpromote')
    return this.#def('f64')
  }

  /** f64 to f32 (round to nearest even). */
  fdemote(a: Value): Value {
    const m = 'fdemote'
    this.#begin(m)
    const x = this.#value(m, 'a', a)
    if (x.type !== 'f64') throw new TypeError(`${this.#where(m)}: operand must be f64, got ${x.type}`)
    this.#use(x, m)
    pushOpU(this.#o, Opcode.fdemote, x.id)
    this.#emit('fdemote')
    return this.#def('f32')
  }

  /** Reinterprets the bits between an integer and a float type of the same width. */
  bitcast(type: IRType, a: Value): Value {
    const m = 'bitcast'
    this.#begin(m)
    const t = this.#typeArg(m, type)
    const x = this.#value(m, 'a', a)
    if (typeWidth(t) !== typeWidth(x.type) || isIntType(t) === isIntType(x.type)) {
      throw new TypeError(`${this.#where(m)}: cannot bitcast ${x.type} to ${t} (needs the same width, int <-> float)`)
    }
    this.#use(x, m)
    pushOpBU(this.#o, Opcode.bitcast, TYPE_CODES[t], x.id)
    this.#emit('bitcast')
    return this.#def(t)
  }

  // ---------------------------------------------------------------------------------------------
  // Control flow

  /**
   * Records that the following ops belong to the guest instruction at `pc`: faults and fuel exits
   * report it, and `exit`/`halt`/`trap` default to it.
   */
  mark(pc: bigint | number): void {
    const m = 'mark'
    this.#begin(m)
    if (typeof pc === 'number' && Number.isSafeInteger(pc) && pc >= 0) {
      // The common case (an emulator's pc as a number): no BigInt until an exit needs it.
      this.#o.push(Opcode.mark)
      pushU64Number(this.#o, pc)
      this.#emit('mark')
      this.#mark = pc
      return
    }
    const p = this.#u64(this.#where(m), 'pc', pc)
    this.#ops.u8(Opcode.mark).u64(p)
    this.#emit('mark')
    this.#mark = p
  }

  /** A new, unbound label of this body. */
  label(): Label {
    const m = 'label'
    this.#open(m)
    if (this.#labelBound.length >= LIMITS.labelsPerBody) {
      throw new RangeError(`${this.#where(m)}: more than ${LIMITS.labelsPerBody} labels in one body`)
    }
    this.#labelBound.push(false)
    return new Label(this.#labelBound.length - 1, this)
  }

  /** Binds `label` here. Code before it that did not end in a terminator falls through into it. */
  bind(label: Label): void {
    const m = 'bind'
    this.#begin(m, true)
    const l = this.#labelArg(m, 'label', label)
    if (this.#labelBound[l.index]) throw new Error(`${this.#where(m)}: label ${l} is already bound (each label is bound exactly once)`)
    this.#labelBound[l.index] = true
    pushOpU(this.#o, Opcode.label, l.index)
    this.#cf.bindLabel(l.index, !this.#terminated)
    this.#terminated = false
    this.#emit('label')
  }

  jump(target: Label): void {
    const m = 'jump'
    this.#begin(m)
    const l = this.#labelArg(m, 'target', target)
    pushOpU(this.#o, Opcode.jump, l.index)
    this.#cf.branchTo(l.index)
    this.#emit('jump')
    this.#terminated = true
  }

  /** Goes to `then` if `cond` (any integer) is non-zero, else to `otherwise`. */
  branchIf(cond: Value, then: Label, otherwise: Label): void {
    const m = 'branchIf'
    this.#begin(m)
    const c = this.#int(m, 'cond', cond)
    const t = this.#labelArg(m, 'then', then)
    const e = this.#labelArg(m, 'else', otherwise)
    this.#use(c, m)
    pushOpUUU(this.#o, Opcode.brif, c.id, t.index, e.index)
    this.#cf.branchTo(t.index)
    this.#cf.branchTo(e.index)
    this.#emit('brif')
    this.#terminated = true
  }

  /** Leaves the block to continue at guest `pc` (default: the current mark, else the block pc). */
  exit(pc?: PcOperand): void {
    this.#exitLike('exit', Opcode.exit, pc)
  }

  /** Leaves the block because the guest stopped, at `pc` (default: the current mark or block pc). */
  halt(pc?: PcOperand): void {
    this.#exitLike('halt', Opcode.halt, pc)
  }

  /** Leaves the block to the host (syscall-like) with `code` (u32), at `pc`. */
  trap(code: number, pc?: PcOperand): void {
    const m = 'trap'
    this.#begin(m)
    this.#mainOnly(m)
    if (!Number.isInteger(code) || code < 0 || code > 0xffff_ffff) {
      throw new RangeError(`${this.#where(m)}: code must be an integer in [0, 2^32), got ${describe(code)}`)
    }
    const p = this.#pcOperand(m, pc)
    this.#use(p, m)
    pushOpUU(this.#o, Opcode.trap, code, p.id)
    this.#emit('trap')
    this.#terminated = true
  }

  // ---------------------------------------------------------------------------------------------
  // Helper functions

  /**
   * Defines a helper function. `body(f, ...params)` builds it with `f`, a builder restricted to
   * helper bodies: no exit/halt/trap, and it returns with `f.ret(…)` (its last op must be a
   * terminator: `ret`, or a branch of a loop that never returns). Returns the handle to `call`.
   * Helpers can call only helpers defined before them, the IR's rule for termination.
   */
  function(signature: FunctionSignature, body: FunctionBody): Func {
    const m = 'function'
    this.#open(m)
    if (signature === null || typeof signature !== 'object') {
      throw new TypeError(`${this.#where(m)}: signature must be an object like { params: ['i64'], result: 'i64' }, got ${describe(signature)}`)
    }
    this.#options(m, signature, ['params', 'result'])
    const rawParams = signature.params ?? []
    if (!Array.isArray(rawParams)) throw new TypeError(`${this.#where(m)}: params must be an array of types, got ${describe(rawParams)}`)
    if (rawParams.length > LIMITS.params) {
      throw new RangeError(`${this.#where(m)}: ${rawParams.length} parameters (at most ${LIMITS.params})`)
    }
    const params = rawParams.map((t, k) => this.#typeArg(m, t, `params[${k}]`))
    const result = signature.result === undefined ? undefined : this.#typeArg(m, signature.result, 'result')
    if (typeof body !== 'function') throw new TypeError(`${this.#where(m)}: body must be a function (f, ...params) => { …; f.ret(v) }, got ${describe(body)}`)
    if (this.#block.funcs.length >= LIMITS.helpers) {
      throw new RangeError(`${this.#where(m)}: more than ${LIMITS.helpers} helper functions in one block`)
    }
    const f = new IRBuilder(undefined, new HelperSpec(this.#block, params, result))
    let returned: unknown
    try {
      returned = (body as (f: IRBuilder, ...p: Value[]) => unknown)(f, ...f.#params)
    } catch (err) {
      f.#closed = 'its helper body threw while being built'
      throw err
    }
    if (returned !== null && typeof returned === 'object' && typeof (returned as { then?: unknown }).then === 'function') {
      f.#closed = 'its helper body was asynchronous'
      throw new TypeError(`${this.#where(m)}: the helper body must build synchronously (it returned a promise)`)
    }
    if (this.#block.finished) {
      f.#closed = 'the block was finished while it was being built'
      throw new Error(`${this.#where(m)}: finish() was called while this helper was being built; define helpers before finishing`)
    }
    try {
      f.#checkComplete('function')
    } finally {
      f.#closed = 'the helper body is complete (its callback returned)'
    }
    const w = new ByteWriter()
    w.uleb(params.length)
    for (const t of params) w.u8(TYPE_CODES[t])
    w.u8(result === undefined ? NO_RESULT : TYPE_CODES[result])
    f.#writeBody(w)
    this.#block.funcs.push(w)
    return new Func(this.#block.funcs.length - 1, params, result, this.#block)
  }

  /** Calls a helper of this block; returns its result Value, or undefined if it has none. */
  call(func: Func, ...args: Value[]): Value | undefined {
    const m = 'call'
    this.#begin(m)
    if (!(func instanceof Func)) throw new TypeError(`${this.#where(m)}: expected a Func from b.function(…), got ${describe(func)}`)
    if (ownerOf(func) !== this.#block) throw new TypeError(`${this.#where(m)}: ${func} belongs to another block`)
    if (args.length !== func.params.length) {
      throw new TypeError(`${this.#where(m)}: ${func} takes ${func.params.length} argument(s), got ${args.length}`)
    }
    const vs = args.map((a, k) => {
      const v = this.#value(m, `argument ${k}`, a)
      if (v.type !== func.params[k]) throw new TypeError(`${this.#where(m)}: argument ${k} of ${func} must be ${func.params[k]}, got ${v}`)
      return v
    })
    for (const v of vs) this.#use(v, m)
    pushOpUU(this.#o, Opcode.call, func.index, vs.length)
    for (const v of vs) this.#ops.uleb(v.id)
    this.#emit('call')
    return func.result === undefined ? undefined : this.#def(func.result)
  }

  /** Returns from a helper; `value` is required iff the helper has a result, of that type. */
  ret(value?: Value): void {
    const m = 'ret'
    this.#begin(m)
    const h = this.#helper
    if (h === undefined) {
      throw new Error(`${this.#where(m)}: ret is only for helper bodies; the main body ends with exit, halt, trap or a branch`)
    }
    if (h.result === undefined) {
      if (value !== undefined) throw new TypeError(`${this.#where(m)}: this helper has no result, but ret got ${describe(value)}`)
      this.#o.push(Opcode.ret)
    } else {
      if (value === undefined) throw new TypeError(`${this.#where(m)}: this helper returns ${h.result}; pass the value to ret`)
      const v = this.#value(m, 'value', value)
      if (v.type !== h.result) throw new TypeError(`${this.#where(m)}: this helper returns ${h.result}, got ${v}`)
      this.#use(v, m)
      pushOpU(this.#o, Opcode.ret, v.id)
    }
    this.#emit('ret')
    this.#terminated = true
  }

  // ---------------------------------------------------------------------------------------------
  // Finishing

  /**
   * Completes the block, encodes it and runs the native verifier on the bytes. Returns the
   * verified Block; the builder accepts no more ops.
   */
  finish(): Block {
    // The native verifier checks dominance too; the builder's own check (which names the value
    // and the op in builder terms) runs only to explain a block the verifier rejects.
    const bytes = this.#encodeBlock('finish', false)
    let info
    try {
      info = native().verifyBlock(bytes)
    } catch (err) {
      this.#checkDominance('finish')
      this.#block.finished = true
      this.#closed = 'finish() was already called'
      throw err
    }
    this.#block.finished = true
    this.#closed = 'finish() was already called'
    return Block.fromVerified(bytes, info)
  }

  /**
   * The block's binary encoding, with the builder's own checks but without the native verifier
   * and without finishing: for tools and tests on machines without the addon. Bytes are only
   * compiled or run after native verification (`Block.fromBytes`), so nothing unverified leaks.
   */
  encode(): Uint8Array {
    return this.#encodeBlock('encode')
  }

  // ---------------------------------------------------------------------------------------------
  // Internals

  #encodeBlock(m: string, dominance = true): Uint8Array {
    this.#open(m)
    if (this.#helper !== undefined) {
      throw new Error(`${this.#where(m)}: a helper body is completed when its callback returns; ${m}() is for the main builder`)
    }
    this.#checkComplete(m, dominance)
    const head = new ByteWriter()
    for (const c of MAGIC) head.u8(c)
    head.u16(IR_VERSION).u16(0).u64(this.#block.pc)
    head.uleb(this.#block.funcs.length)
    const body = new ByteWriter()
    this.#writeBodyHeader(body)
    return ByteWriter.concat([head, ...this.#block.funcs, body, this.#ops])
  }

  /** Checks the body is complete: ends with a terminator, all labels bound, uses dominated. */
  #checkComplete(m: string, dominance = true): void {
    const where = this.#where(m)
    const what = this.#helper ? 'the helper body' : 'the main body'
    const ends = this.#helper ? 'ret' : 'exit, halt, trap, jump or branchIf'
    if (this.#nops === 0) throw new Error(`${where}: ${what} is empty; it must end with ${ends}`)
    if (!this.#terminated) {
      throw new Error(`${where}: ${what} does not end with a terminator (last op: ${this.#lastOp}); end it with ${ends}`)
    }
    const unbound = this.#labelBound.indexOf(false)
    if (unbound >= 0) throw new Error(`${where}: label L${unbound} of ${what} is never bound (b.bind(label))`)
    if (dominance) this.#checkDominance(m)
  }

  /** Throws, in builder terms, if a value is used where its definition does not dominate. */
  #checkDominance(m: string): void {
    const bad = this.#cf.check()
    if (bad !== undefined) {
      const what = this.#helper ? 'the helper body' : 'the main body'
      throw new Error(
        `${this.#where(m)}: in ${what}, v${bad.value} (defined in ${bad.defBlock}) is used by ${bad.op} (op ${bad.opIndex}, in ${bad.useBlock}) ` +
          `on a path that does not pass its definition; carry values across labels in a local (b.local, b.set, b.get)`,
      )
    }
  }

  /** Appends `body` (locals, labels, op count, ops) to `w`. */
  #writeBody(w: ByteWriter): void {
    this.#writeBodyHeader(w)
    w.bytes(this.#ops)
  }

  /** The body's locals, label count and op count: what precedes its ops. */
  #writeBodyHeader(w: ByteWriter): void {
    w.uleb(this.#localTypes.length)
    for (const t of this.#localTypes) w.u8(TYPE_CODES[t])
    w.uleb(this.#labelBound.length)
    w.uleb(this.#nops)
  }

  #where(m: string): string {
    return this.#helper ? `IRBuilder.${m} (helper body)` : `IRBuilder.${m}`
  }

  /** Throws if the body accepts nothing more. */
  #open(m: string): void {
    if (this.#closed !== undefined) throw new Error(`${this.#where(m)}: this builder is closed: ${this.#closed}`)
    if (this.#block.finished) throw new Error(`${this.#where(m)}: this block is finished: finish() was already called`)
  }

  /** Checks an op may be appended here (open, reachable, within limits). */
  #begin(m: string, isLabel = false): void {
    // #open's test, inline: this runs for every op.
    if (this.#closed !== undefined || this.#block.finished) this.#open(m)
    if (this.#terminated && !isLabel) {
      throw new Error(`${this.#where(m)}: unreachable op after the terminator ${this.#lastOp}; bind a label first (b.bind(label))`)
    }
    if (this.#nops >= LIMITS.opsPerBody) throw new RangeError(`${this.#where(m)}: more than ${LIMITS.opsPerBody} ops in one body`)
  }

  #emit(op: OpName): void {
    this.#nops++
    this.#lastOp = op
  }

  #def(type: IRType): Value {
    const id = this.#nvalues++
    const cf = this.#cf
    cf.valueBB[id] = cf.bb
    return new Value(id, type, this)
  }

  #use(v: Value, m: string): void {
    // ControlFlow.useValue's test, inline: this runs for every operand.
    const cf = this.#cf
    const def = cf.valueBB[v.id]
    if (def !== cf.bb && def !== 0) cf.useValue(v.id, m, this.#nops)
  }

  #const(t: IRType, bits: bigint): Value {
    this.#ops.u8(Opcode.const).u8(TYPE_CODES[t]).u64(bits)
    this.#emit('const')
    return this.#def(t)
  }

  /** `#const` of bits given as a safe integer (intConstNumberBits; a negative one is an i64). */
  #constNumber(t: IRType, bits: number): Value {
    this.#o.push(Opcode.const, TYPE_CODES[t])
    pushU64Number(this.#o, bits)
    this.#emit('const')
    return this.#def(t)
  }

  #mainOnly(m: string): void {
    if (this.#helper !== undefined) {
      throw new Error(`${this.#where(m)}: ${m} is only allowed in the main body; a helper ends with ret`)
    }
  }

  #exitLike(m: 'exit' | 'halt', opcode: number, pc: PcOperand | undefined): void {
    this.#begin(m)
    this.#mainOnly(m)
    const p = this.#pcOperand(m, pc)
    this.#use(p, m)
    pushOpU(this.#o, opcode, p.id)
    this.#emit(m)
    this.#terminated = true
  }

  /** The pc operand of exit/halt/trap as an i64 Value, emitting a const when given a constant. */
  #pcOperand(m: string, pc: PcOperand | undefined): Value {
    if (pc instanceof Value) return this.#i64(m, 'pc', pc)
    const given = pc === undefined ? (this.#mark ?? this.#block.pc) : pc
    if (typeof given === 'number' && Number.isSafeInteger(given) && given >= 0) return this.#constNumber('i64', given)
    return this.#const('i64', this.#u64(this.#where(m), 'pc', given))
  }

  #u64(where: string, what: string, x: unknown): bigint {
    let v: bigint
    if (typeof x === 'bigint') v = x
    else if (typeof x === 'number' && Number.isSafeInteger(x)) v = BigInt(x)
    else throw new TypeError(`${where}: ${what} must be a bigint (or safe integer), got ${describe(x)}`)
    if (v < I64_MIN || v >= U64_LIMIT) throw new RangeError(`${where}: ${what} ${v} does not fit in 64 bits`)
    return BigInt.asUintN(64, v)
  }

  #typeArg(m: string, t: unknown, what = 'type'): IRType {
    if (!isIRType(t)) {
      throw new TypeError(`${this.#where(m)}: unknown ${what} ${describe(t)} (expected one of ${TYPE_NAMES.join(', ')})`)
    }
    return t
  }

  #value(m: string, what: string, x: unknown): Value {
    if (Value.ownedBy(x, this)) return x
    if (!(x instanceof Value)) {
      throw new TypeError(`${this.#where(m)}: ${what} must be a Value produced by this builder, got ${describe(x)}`)
    }
    const owner = ownerOf(x)
    if (owner !== this) {
      const where = owner instanceof IRBuilder && owner.#block === this.#block
        ? 'another body of this block (values cannot cross between the main body and helpers: pass them as call arguments)'
        : owner instanceof IRBuilder
          ? 'another IRBuilder'
          : 'no builder'
      throw new TypeError(`${this.#where(m)}: ${what} ${x} belongs to ${where}`)
    }
    return x
  }

  #int(m: string, what: string, x: unknown): Value & { type: IntType } {
    const v = this.#value(m, what, x)
    if (!isIntType(v.type)) throw new TypeError(`${this.#where(m)}: ${what} must be an integer, got ${v}`)
    return v as Value & { type: IntType }
  }

  #i64(m: string, what: string, x: unknown): Value {
    const v = this.#value(m, what, x)
    if (v.type !== 'i64') throw new TypeError(`${this.#where(m)}: ${what} must be i64, got ${v}`)
    return v
  }

  #float(m: string, what: string, x: unknown): Value & { type: FloatType } {
    const v = this.#value(m, what, x)
    if (!isFloatType(v.type)) throw new TypeError(`${this.#where(m)}: ${what} must be a float, got ${v}`)
    return v as Value & { type: FloatType }
  }

  #localArg(m: string, x: unknown): Local {
    if (!(x instanceof Local)) throw new TypeError(`${this.#where(m)}: expected a Local from b.local(…), got ${describe(x)}`)
    if (ownerOf(x) !== this) throw new TypeError(`${this.#where(m)}: local ${x} belongs to another builder or body`)
    return x
  }

  #labelArg(m: string, what: string, x: unknown): Label {
    if (!(x instanceof Label)) throw new TypeError(`${this.#where(m)}: ${what} must be a Label from b.label(), got ${describe(x)}`)
    if (ownerOf(x) !== this) throw new TypeError(`${this.#where(m)}: ${what} ${x} belongs to another builder or body`)
    return x
  }

  #condition(m: string, cc: unknown, table: Readonly<Record<string, number>>): number {
    if (typeof cc !== 'string' || !Object.prototype.hasOwnProperty.call(table, cc)) {
      throw new TypeError(`${this.#where(m)}: unknown condition ${describe(cc)} (expected one of ${Object.keys(table).join(', ')})`)
    }
    return table[cc]!
  }

  #stateOffset(m: string, off: unknown): number {
    if (typeof off !== 'number' || !Number.isInteger(off) || off < 0 || off >= LIMITS.stateOffset) {
      throw new RangeError(`${this.#where(m)}: state offset must be an integer in [0, 2^24), got ${describe(off)}`)
    }
    return off
  }

  #options(m: string, options: unknown, allowed: readonly string[]): void {
    if (options === null || typeof options !== 'object') {
      throw new TypeError(`${this.#where(m)}: options must be an object, got ${describe(options)}`)
    }
    for (const key of Object.keys(options)) {
      if (!allowed.includes(key)) throw new TypeError(`${this.#where(m)}: unknown option '${key}' (expected: ${allowed.join(', ')})`)
    }
  }

  #intBinary(op: IntBinaryOp, a: Value, b: Value): Value {
    this.#begin(op)
    const x = this.#value(op, 'a', a)
    const y = this.#value(op, 'b', b)
    if (!isIntType(x.type) || x.type !== y.type) {
      throw new TypeError(`${this.#where(op)}: operands must be the same integer type, got ${x.type} and ${y.type}`)
    }
    this.#use(x, op)
    this.#use(y, op)
    pushOpUU(this.#o, Opcode[op], x.id, y.id)
    this.#emit(op)
    return this.#def(x.type)
  }

  #intUnary(op: IntUnaryOp, a: Value): Value {
    this.#begin(op)
    const x = this.#int(op, 'operand', a)
    this.#use(x, op)
    pushOpU(this.#o, Opcode[op], x.id)
    this.#emit(op)
    return this.#def(x.type)
  }

  #floatBinary(op: FloatBinaryOp, a: Value, b: Value): Value {
    this.#begin(op)
    const x = this.#value(op, 'a', a)
    const y = this.#value(op, 'b', b)
    if (!isFloatType(x.type) || x.type !== y.type) {
      throw new TypeError(`${this.#where(op)}: operands must be the same float type, got ${x.type} and ${y.type}`)
    }
    this.#use(x, op)
    this.#use(y, op)
    pushOpUU(this.#o, Opcode[op], x.id, y.id)
    this.#emit(op)
    return this.#def(x.type)
  }

  #floatUnary(op: FloatUnaryOp, a: Value): Value {
    this.#begin(op)
    const x = this.#float(op, 'operand', a)
    this.#use(x, op)
    pushOpU(this.#o, Opcode[op], x.id)
    this.#emit(op)
    return this.#def(x.type)
  }

  #extend(op: 'zext' | 'sext' | 'trunc', type: IRType, a: Value, direction: 1 | -1): Value {
    this.#begin(op)
    const t = this.#typeArg(op, type)
    const x = this.#int(op, 'operand', a)
    const ok = isIntType(t) && Math.sign(typeWidth(t) - typeWidth(x.type)) === direction
    if (!ok) {
      const need = direction > 0 ? 'a strictly wider integer type' : 'a strictly narrower integer type'
      throw new TypeError(`${this.#where(op)}: cannot ${op} ${x.type} to ${t} (needs ${need})`)
    }
    this.#use(x, op)
    pushOpBU(this.#o, Opcode[op], TYPE_CODES[t], x.id)
    this.#emit(op)
    return this.#def(t)
  }

  #floatToInt(m: string, op: 'fcvt_to_sint' | 'fcvt_to_uint', type: IRType, a: Value): Value {
    this.#begin(m)
    const t = this.#typeArg(m, type)
    if (t !== 'i32' && t !== 'i64') throw new TypeError(`${this.#where(m)}: result type must be i32 or i64, got ${t}`)
    const x = this.#float(m, 'operand', a)
    this.#use(x, m)
    pushOpBU(this.#o, Opcode[op], TYPE_CODES[t], x.id)
    this.#emit(op)
    return this.#def(t)
  }

  #intToFloat(m: string, op: 'fcvt_from_sint' | 'fcvt_from_uint', type: IRType, a: Value): Value {
    this.#begin(m)
    const t = this.#typeArg(m, type)
    if (!isFloatType(t)) throw new TypeError(`${this.#where(m)}: result type must be f32 or f64, got ${t}`)
    const x = this.#value(m, 'operand', a)
    if (x.type !== 'i32' && x.type !== 'i64') throw new TypeError(`${this.#where(m)}: operand must be i32 or i64, got ${x}`)
    this.#use(x, m)
    pushOpBU(this.#o, Opcode[op], TYPE_CODES[t], x.id)
    this.#emit(op)
    return this.#def(t)
  }
}

// The IR's vocabulary as numbers: type codes, opcodes and condition codes, exactly as
// docs/IR.md "Types" and "Binary encoding (version 1)" number them. Everything that writes bytes
// reads its numbers from here, so the encoding contract lives in one place.

/** The six IR value types. Integers carry no sign; ops say how they read them. */
export type IRType = 'i8' | 'i16' | 'i32' | 'i64' | 'f32' | 'f64'
export type IntType = 'i8' | 'i16' | 'i32' | 'i64'
export type FloatType = 'f32' | 'f64'

/** Type names indexed by their type code (docs/IR.md "Types"). */
export const TYPE_NAMES: readonly IRType[] = Object.freeze(['i8', 'i16', 'i32', 'i64', 'f32', 'f64'] as const)

/** Type code of each type name. */
export const TYPE_CODES: Readonly<Record<IRType, number>> = Object.freeze({
  i8: 0,
  i16: 1,
  i32: 2,
  i64: 3,
  f32: 4,
  f64: 5,
})

/** `function.result` byte for a helper that returns nothing. */
export const NO_RESULT = 0xff

const WIDTHS: Readonly<Record<IRType, 1 | 2 | 4 | 8>> = Object.freeze({ i8: 1, i16: 2, i32: 4, i64: 8, f32: 4, f64: 8 })

export function isIRType(x: unknown): x is IRType {
  return typeof x === 'string' && Object.prototype.hasOwnProperty.call(TYPE_CODES, x)
}

export function isIntType(t: IRType): t is IntType {
  return t === 'i8' || t === 'i16' || t === 'i32' || t === 'i64'
}

export function isFloatType(t: IRType): t is FloatType {
  return t === 'f32' || t === 'f64'
}

/** Width of a type in bytes (also the default access width of loads and stores). */
export function typeWidth(t: IRType): 1 | 2 | 4 | 8 {
  return WIDTHS[t]
}

/** Width of a type in bits. */
export function typeBits(t: IRType): 8 | 16 | 32 | 64 {
  return (WIDTHS[t] * 8) as 8 | 16 | 32 | 64
}

/** Opcodes (docs/IR.md, the "hex" column). */
export const Opcode = Object.freeze({
  const: 0x01,
  get_state: 0x02,
  set_state: 0x03,
  load: 0x04,
  store: 0x05,
  local_get: 0x06,
  local_set: 0x07,
  mark: 0x08,
  // int binary: a:v b:v, same int type, result type of a
  add: 0x10,
  sub: 0x11,
  mul: 0x12,
  umulhi: 0x13,
  smulhi: 0x14,
  sumulhi: 0x15,
  udiv: 0x16,
  sdiv: 0x17,
  urem: 0x18,
  srem: 0x19,
  and: 0x1a,
  or: 0x1b,
  xor: 0x1c,
  shl: 0x1d,
  ushr: 0x1e,
  sshr: 0x1f,
  rotl: 0x20,
  rotr: 0x21,
  // int unary: a:v
  not: 0x28,
  neg: 0x29,
  clz: 0x2a,
  ctz: 0x2b,
  popcnt: 0x2c,
  icmp: 0x30,
  select: 0x31,
  zext: 0x32,
  sext: 0x33,
  trunc: 0x34,
  // float binary: a:v b:v, same float type
  fadd: 0x40,
  fsub: 0x41,
  fmul: 0x42,
  fdiv: 0x43,
  fmin: 0x44,
  fmax: 0x45,
  fcopysign: 0x46,
  // float unary
  fsqrt: 0x48,
  fneg: 0x49,
  fabs: 0x4a,
  fma: 0x4b,
  fcmp: 0x4c,
  fcvt_to_sint: 0x50,
  fcvt_to_uint: 0x51,
  fcvt_from_sint: 0x52,
  fcvt_from_uint: 0x53,
  fpromote: 0x54,
  fdemote: 0x55,
  bitcast: 0x56,
  label: 0x60,
  jump: 0x61,
  brif: 0x62,
  exit: 0x63,
  halt: 0x64,
  trap: 0x65,
  call: 0x66,
  ret: 0x67,
} as const)

export type OpName = keyof typeof Opcode

export const INT_BINARY_OPS = Object.freeze([
  'add', 'sub', 'mul', 'umulhi', 'smulhi', 'sumulhi', 'udiv', 'sdiv', 'urem', 'srem',
  'and', 'or', 'xor', 'shl', 'ushr', 'sshr', 'rotl', 'rotr',
] as const)
export type IntBinaryOp = (typeof INT_BINARY_OPS)[number]

export const INT_UNARY_OPS = Object.freeze(['not', 'neg', 'clz', 'ctz', 'popcnt'] as const)
export type IntUnaryOp = (typeof INT_UNARY_OPS)[number]

export const FLOAT_BINARY_OPS = Object.freeze(['fadd', 'fsub', 'fmul', 'fdiv', 'fmin', 'fmax', 'fcopysign'] as const)
export type FloatBinaryOp = (typeof FLOAT_BINARY_OPS)[number]

export const FLOAT_UNARY_OPS = Object.freeze(['fsqrt', 'fneg', 'fabs'] as const)
export type FloatUnaryOp = (typeof FLOAT_UNARY_OPS)[number]

/** `icmp` condition codes. */
export const ICMP_CONDITIONS = Object.freeze({
  eq: 0, ne: 1, slt: 2, sle: 3, sgt: 4, sge: 5, ult: 6, ule: 7, ugt: 8, uge: 9,
} as const)
export type IcmpCondition = keyof typeof ICMP_CONDITIONS

/** `fcmp` condition codes; `ne` is true when unordered, all others except `uno` false. */
export const FCMP_CONDITIONS = Object.freeze({
  eq: 0, ne: 1, lt: 2, le: 3, gt: 4, ge: 5, uno: 6, ord: 7,
} as const)
export type FcmpCondition = keyof typeof FCMP_CONDITIONS

/** Encoding header (docs/IR.md "block"). */
export const MAGIC = Object.freeze([0x56, 0x4a, 0x49, 0x52]) // "VJIR"
export const IR_VERSION = 1

/** Limits the verifier enforces; the builder checks them first to fail early with a clear message. */
export const LIMITS = Object.freeze({
  opsPerBody: 1_000_000,
  localsPerBody: 65_536,
  labelsPerBody: 65_536,
  helpers: 4_096,
  params: 64,
  stateOffset: 1 << 24, // exclusive
})

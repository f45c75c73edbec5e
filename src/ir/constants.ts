// Turning JS numbers into the 64-bit immediate of a `const` op. Integer constants accept both the
// signed and the unsigned reading of their width (an emulator has both at hand) and store the low
// bits; float constants store the IEEE bit pattern, with JS NaN mapped to the canonical NaN so the
// bytes never depend on how the engine happens to represent NaN.

import type { FloatType, IntType } from './types.js'
import { typeBits } from './types.js'

const CANONICAL_NAN_F32 = 0x7fc00000n
const CANONICAL_NAN_F64 = 0x7ff8000000000000n

const scratch = new DataView(new ArrayBuffer(8))

/** Accepted range of an integer constant: the signed minimum to the unsigned maximum. */
const RANGES: Record<IntType, { min: bigint; max: bigint }> = {
  i8: { min: -(1n << 7n), max: (1n << 8n) - 1n },
  i16: { min: -(1n << 15n), max: (1n << 16n) - 1n },
  i32: { min: -(1n << 31n), max: (1n << 32n) - 1n },
  i64: { min: -(1n << 63n), max: (1n << 64n) - 1n },
}

/** Low `bits(type)` bits of an integer constant; throws RangeError when `x` cannot be read as one. */
export function intConstBits(type: IntType, x: bigint | number, where: string): bigint {
  const bits = typeBits(type)
  let v: bigint
  if (typeof x === 'bigint') {
    v = x
  } else if (typeof x === 'number') {
    if (!Number.isSafeInteger(x)) {
      throw new RangeError(`${where}: ${x} is not a safe integer; pass a bigint for ${type} constants`)
    }
    v = BigInt(x)
  } else {
    throw new TypeError(`${where}: expected a bigint or number for an ${type} constant, got ${describe(x)}`)
  }
  const { min, max } = RANGES[type]
  if (v < min || v > max) {
    throw new RangeError(`${where}: ${v} does not fit in ${type} (expected ${min}..${max}, signed or unsigned)`)
  }
  return BigInt.asUintN(bits, v)
}

/** Number ranges of integer constants, as RANGES: the signed minimum to the unsigned maximum. */
const NUMBER_RANGES: Record<IntType, { min: number; max: number; mod: number }> = {
  i8: { min: -0x80, max: 0xff, mod: 0x100 },
  i16: { min: -0x8000, max: 0xffff, mod: 0x1_0000 },
  i32: { min: -0x8000_0000, max: 0xffff_ffff, mod: 0x1_0000_0000 },
  i64: { min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER, mod: 0 },
}

/**
 * intConstBits without BigInts, for a safe-integer `x` in range: the low bits as a number for
 * i8..i32, and for i64 `x` itself (ByteWriter.u64Number stores negatives as two's complement);
 * undefined for anything else (a bigint, an out-of-range or non-integer number), which the caller
 * hands to intConstBits for the value or the error.
 */
export function intConstNumberBits(type: IntType, x: unknown): number | undefined {
  if (typeof x !== 'number' || !Number.isSafeInteger(x)) return undefined
  const r = NUMBER_RANGES[type]
  if (x < r.min || x > r.max) return undefined
  if (r.mod === 0) return x
  return x < 0 ? x + r.mod : x
}

/** IEEE bit pattern of a float constant (rounded to f32 for f32). */
export function floatConstBits(type: FloatType, x: number, where: string): bigint {
  if (typeof x !== 'number') {
    throw new TypeError(`${where}: expected a number for an ${type} constant, got ${describe(x)}`)
  }
  if (type === 'f32') {
    if (Number.isNaN(x)) return CANONICAL_NAN_F32
    scratch.setFloat32(0, x, true)
    return BigInt(scratch.getUint32(0, true))
  }
  if (Number.isNaN(x)) return CANONICAL_NAN_F64
  scratch.setFloat64(0, x, true)
  return scratch.getBigUint64(0, true)
}

/** A raw bit pattern of `bits` bits, for `f32Bits`/`f64Bits` (NaN payloads, signalling NaNs, -0). */
export function rawBits(bits: 32 | 64, x: bigint | number, where: string): bigint {
  let v: bigint
  if (typeof x === 'bigint') v = x
  else if (typeof x === 'number' && Number.isSafeInteger(x)) v = BigInt(x)
  else throw new TypeError(`${where}: expected a bigint (or safe integer) bit pattern, got ${describe(x)}`)
  if (v < 0n || v >= 1n << BigInt(bits)) {
    throw new RangeError(`${where}: bit pattern ${v} is not an unsigned ${bits}-bit integer`)
  }
  return v
}

/** Short description of an unexpected argument for error messages. */
export function describe(x: unknown): string {
  if (x === null) return 'null'
  if (x === undefined) return 'undefined'
  if (typeof x === 'bigint') return `${x}n`
  if (typeof x === 'string') return JSON.stringify(x)
  if (typeof x === 'object') {
    const name = (x as object).constructor?.name
    return name && name !== 'Object' ? `a ${name}` : 'an object'
  }
  if (typeof x === 'function') return 'a function'
  return String(x)
}

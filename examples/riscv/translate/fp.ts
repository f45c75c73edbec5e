// F and D instructions → IR.
//
// - Singles live NaN-boxed in the 64-bit f registers (Emitter.getF32/setF32 do the boxing).
// - The IR's float arithmetic produces canonical NaNs, as RISC-V requires.
// - fmin/fmax are IEEE 754-2019 minimumNumber/maximumNumber: a NaN operand is ignored unless both
//   are NaN (then the canonical NaN); built from fcmp uno + select around the IR's fmin/fmax.
// - float → int conversions honour the static rounding mode: the value is first rounded to an
//   integral float in that mode (exact, with the 2^52 / 2^23 trick), then converted with the IR's
//   truncating saturating conversion; NaN gives the largest integer (the IR gives 0) via select.
// - Arithmetic and int → float conversions round to nearest even, the only mode the IR has. A
//   static rounding mode other than RNE/DYN on those is translated as RNE (see README gaps), and
//   DYN uses RNE whatever frm holds. fflags are not accumulated.

import type { FloatType, IntType, ValueId as Value } from 'vm-jit-native'
import type { Emitter } from './emitter.ts'
import { RM_DYN, RM_RDN, RM_RMM, RM_RNE, RM_RTZ, RM_RUP } from './insn.ts'
import type { Insn } from './insn.ts'

const F32_SIGN = 0x8000_0000n
const F64_SIGN = 0x8000_0000_0000_0000n

/** Statistics of what the translation had to approximate (reported with --verbose). */
export const fpApproximations = { staticRoundingIgnored: 0 }

export function emitFp(e: Emitter, i: Insn): boolean {
  const b = e.b
  const single = i.fmt === 0
  const ft: FloatType = single ? 'f32' : 'f64'
  const get = (r: number): Value => (single ? e.getF32(r) : e.getF64(r))
  const set = (r: number, v: Value): void => (single ? e.setF32(r, v) : e.setF64(r, v))
  const noteRm = (): void => {
    if (i.rm !== RM_RNE && i.rm !== RM_DYN) fpApproximations.staticRoundingIgnored++
  }
  switch (i.op) {
    case 'fadd': noteRm(); set(i.rd, b.fadd(get(i.rs1), get(i.rs2))); return true
    case 'fsub': noteRm(); set(i.rd, b.fsub(get(i.rs1), get(i.rs2))); return true
    case 'fmul': noteRm(); set(i.rd, b.fmul(get(i.rs1), get(i.rs2))); return true
    case 'fdiv': noteRm(); set(i.rd, b.fdiv(get(i.rs1), get(i.rs2))); return true
    case 'fsqrt': noteRm(); set(i.rd, b.fsqrt(get(i.rs1))); return true
    case 'fmadd': case 'fmsub': case 'fnmsub': case 'fnmadd': {
      noteRm()
      const x = get(i.rs1)
      const y = get(i.rs2)
      const z = get(i.rs3)
      const negProduct = i.op === 'fnmsub' || i.op === 'fnmadd'
      const negAddend = i.op === 'fmsub' || i.op === 'fnmadd'
      set(i.rd, b.fma(negProduct ? b.fneg(x) : x, y, negAddend ? b.fneg(z) : z))
      return true
    }
    case 'fsgnj': case 'fsgnjn': case 'fsgnjx': {
      const x = get(i.rs1)
      if (i.rs1 === i.rs2) {
        // fmv / fneg / fabs
        set(i.rd, i.op === 'fsgnj' ? x : i.op === 'fsgnjn' ? b.fneg(x) : b.fabs(x))
        return true
      }
      const y = get(i.rs2)
      if (i.op === 'fsgnj') set(i.rd, b.fcopysign(x, y))
      else if (i.op === 'fsgnjn') set(i.rd, b.fcopysign(x, b.fneg(y)))
      else {
        const it: IntType = single ? 'i32' : 'i64'
        const sign = b.and(b.bitcast(it, y), e.const(it, single ? F32_SIGN : F64_SIGN))
        set(i.rd, b.bitcast(ft, b.xor(b.bitcast(it, x), sign)))
      }
      return true
    }
    case 'fmin': case 'fmax': {
      const x = get(i.rs1)
      const y = get(i.rs2)
      const xNan = b.fcmp('uno', x, x)
      const yNan = b.fcmp('uno', y, y)
      const xx = b.select(xNan, y, x)
      const yy = b.select(yNan, x, y)
      set(i.rd, i.op === 'fmin' ? b.fmin(xx, yy) : b.fmax(xx, yy))
      return true
    }
    case 'feq': case 'flt': case 'fle': {
      const cc = i.op === 'feq' ? 'eq' : i.op === 'flt' ? 'lt' : 'le'
      e.setX(i.rd, b.zext('i64', b.fcmp(cc, get(i.rs1), get(i.rs2))))
      return true
    }
    case 'fcvt.f.f':
      // fmt is the destination precision.
      if (single) e.setF32(i.rd, b.fdemote(e.getF64(i.rs1)))
      else e.setF64(i.rd, b.fpromote(e.getF32(i.rs1)))
      return true
    case 'fcvt.w.f': case 'fcvt.wu.f': case 'fcvt.l.f': case 'fcvt.lu.f':
      e.setX(i.rd, floatToInt(e, get(i.rs1), ft, i))
      return true
    case 'fcvt.f.w': case 'fcvt.f.wu': case 'fcvt.f.l': case 'fcvt.f.lu': {
      noteRm()
      const x = e.getX(i.rs1)
      const wide = i.op === 'fcvt.f.l' || i.op === 'fcvt.f.lu'
      const src = wide ? x : b.trunc('i32', x)
      const signed = i.op === 'fcvt.f.w' || i.op === 'fcvt.f.l'
      set(i.rd, signed ? b.fcvtFromSint(ft, src) : b.fcvtFromUint(ft, src))
      return true
    }
    case 'fmv.x.f':
      e.setX(i.rd, single ? b.sext('i64', e.getFLow32(i.rs1)) : e.getFBits(i.rs1))
      return true
    case 'fmv.f.x': {
      const x = e.getX(i.rs1)
      if (single) e.setF32(i.rd, b.bitcast('f32', b.trunc('i32', x)))
      else e.setF64(i.rd, b.bitcast('f64', x))
      return true
    }
    case 'fclass':
      e.setX(i.rd, fclass(e, get(i.rs1), single))
      return true
    default:
      return false
  }
}

/** fcvt.{w,wu,l,lu}.{s,d}: round in mode rm, convert saturating, NaN → the largest integer. */
function floatToInt(e: Emitter, x: Value, ft: FloatType, i: Insn): Value {
  const b = e.b
  const wide = i.op === 'fcvt.l.f' || i.op === 'fcvt.lu.f'
  const signed = i.op === 'fcvt.w.f' || i.op === 'fcvt.l.f'
  const it: IntType = wide ? 'i64' : 'i32'
  const r = i.rm === RM_RTZ ? x : roundIntegral(e, x, ft, i.rm)
  const conv = signed ? b.fcvtToSint(it, r) : b.fcvtToUint(it, r)
  const nanResult = signed ? (wide ? (1n << 63n) - 1n : (1n << 31n) - 1n) : wide ? (1n << 64n) - 1n : (1n << 32n) - 1n
  const v = b.select(b.fcmp('uno', x, x), e.const(it, nanResult), conv)
  // 32-bit results (also fcvt.wu) are sign-extended into rd.
  return wide ? v : b.sext('i64', v)
}

/**
 * `x` rounded to an integral value in rounding mode `rm` (DYN is taken as RNE). For |x| below
 * 2^52 (2^23 for singles) adding and subtracting that power of two rounds to nearest even
 * exactly; larger values (and infinities) are already integral; NaN stays NaN.
 */
export function roundIntegral(e: Emitter, x: Value, ft: FloatType, rm: number): Value {
  const b = e.b
  const one = ft === 'f32' ? e.const('f32', 0x3f800000n) : e.const('f64', 0x3ff0000000000000n)
  const big = ft === 'f32' ? e.const('f32', 0x4b000000n) : e.const('f64', 0x4330000000000000n) // 2^23, 2^52
  const ax = b.fabs(x)
  const rounded = b.fcopysign(b.fsub(b.fadd(ax, big), big), x)
  const rne = b.select(b.fcmp('lt', ax, big), rounded, x)
  switch (rm) {
    case RM_RDN: return b.select(b.fcmp('gt', rne, x), b.fsub(rne, one), rne)
    case RM_RUP: return b.select(b.fcmp('lt', rne, x), b.fadd(rne, one), rne)
    case RM_RMM: {
      // A tie that RNE rounded towards zero goes one further away from zero.
      const half = ft === 'f32' ? e.const('f32', 0x3f000000n) : e.const('f64', 0x3fe0000000000000n)
      const tieTowardZero = b.fcmp('eq', b.fsub(x, rne), b.fcopysign(half, x))
      return b.select(tieTowardZero, b.fadd(rne, b.fcopysign(one, x)), rne)
    }
    case RM_RTZ:
      // floatToInt never asks (the conversion itself truncates), but the answer is: one step
      // back towards zero if RNE went away from it.
      return b.select(b.fcmp('gt', b.fabs(rne), ax), b.fsub(rne, b.fcopysign(one, x)), rne)
    default:
      return rne
  }
}

/** fclass: a one-hot 10-bit mask of the value's class. */
function fclass(e: Emitter, x: Value, single: boolean): Value {
  const b = e.b
  const it: IntType = single ? 'i32' : 'i64'
  const bits = b.bitcast(it, x)
  const c = (v: bigint): Value => e.const(it, v)
  const mantBits = single ? 23n : 52n
  const expMask = single ? 0xffn : 0x7ffn
  const mantMask = (1n << mantBits) - 1n
  const neg = b.icmp('slt', bits, c(0n))
  const exp = b.and(b.ushr(bits, c(mantBits)), c(expMask))
  const mant = b.and(bits, c(mantMask))
  const expMax = b.icmp('eq', exp, c(expMask))
  const expZero = b.icmp('eq', exp, c(0n))
  const mantZero = b.icmp('eq', mant, c(0n))
  const quiet = b.icmp('ne', b.and(mant, c(1n << (mantBits - 1n))), c(0n))
  const k = (n: number): Value => e.i64(1 << n)
  const sel = (cond: Value, a: Value, y: Value): Value => b.select(cond, a, y)
  const special = sel(mantZero, sel(neg, k(0), k(7)), sel(quiet, k(9), k(8)))
  const zeroOrSub = sel(mantZero, sel(neg, k(3), k(4)), sel(neg, k(2), k(5)))
  const normal = sel(neg, k(1), k(6))
  return sel(expMax, special, sel(expZero, zeroOrSub, normal))
}

export { RM_DYN, RM_RNE }

// RV64I and M computational instructions → IR. W-suffixed instructions compute on the low 32
// bits and sign-extend the 32-bit result; the IR's total division semantics (x/0 = -1, x%0 = x,
// MIN/-1 = MIN, MIN%-1 = 0) are exactly RISC-V's, so div/rem are one op each.

import type { ValueId as Value } from 'vm-jit-native'
import type { Emitter } from './emitter.ts'
import type { Insn } from './insn.ts'

const M64 = (1n << 64n) - 1n

/** sext(trunc32(v)): the W-instruction result convention. */
function sextW(e: Emitter, v: Value): Value {
  return e.b.sext('i64', e.b.trunc('i32', v))
}

function bool(e: Emitter, c: Value): Value {
  return e.b.zext('i64', c)
}

/** Emits `i` if it is an integer computational instruction; returns false otherwise. */
export function emitInt(e: Emitter, i: Insn, pc: number): boolean {
  const b = e.b
  const { rd, rs1, rs2, imm } = i
  // Writes to x0 are hints/nops: nothing to compute (and nothing can fault here).
  if (rd === 0) return isIntOp(i.op)
  const k1 = e.knownX(rs1)
  switch (i.op) {
    case 'lui':
      e.setXConst(rd, BigInt(imm))
      return true
    case 'auipc':
      e.setXConst(rd, BigInt(pc) + BigInt(imm))
      return true
    case 'addi':
      if (k1 !== undefined) e.setXConst(rd, k1 + BigInt(imm))
      else e.setX(rd, imm === 0 ? e.getX(rs1) : b.add(e.getX(rs1), e.i64(imm)))
      return true
    case 'addiw':
      if (k1 !== undefined) e.setXConst(rd, BigInt.asIntN(32, k1 + BigInt(imm)))
      else e.setX(rd, sextW(e, imm === 0 ? e.getX(rs1) : b.add(e.getX(rs1), e.i64(imm))))
      return true
    case 'slti':
      e.setX(rd, bool(e, b.icmp('slt', e.getX(rs1), e.i64(imm))))
      return true
    case 'sltiu':
      e.setX(rd, bool(e, b.icmp('ult', e.getX(rs1), e.i64(imm))))
      return true
    case 'xori':
      e.setX(rd, imm === -1 ? b.not(e.getX(rs1)) : b.xor(e.getX(rs1), e.i64(imm)))
      return true
    case 'ori':
      e.setX(rd, b.or(e.getX(rs1), e.i64(imm)))
      return true
    case 'andi':
      e.setX(rd, b.and(e.getX(rs1), e.i64(imm)))
      return true
    case 'slli':
      if (k1 !== undefined) e.setXConst(rd, (k1 << BigInt(imm)) & M64)
      else e.setX(rd, b.shl(e.getX(rs1), e.i64(imm)))
      return true
    case 'srli':
      e.setX(rd, b.ushr(e.getX(rs1), e.i64(imm)))
      return true
    case 'srai':
      e.setX(rd, b.sshr(e.getX(rs1), e.i64(imm)))
      return true
    case 'slliw':
      e.setX(rd, sextW(e, b.shl(e.getX(rs1), e.i64(imm))))
      return true
    case 'srliw':
      e.setX(rd, b.sext('i64', b.ushr(b.trunc('i32', e.getX(rs1)), e.i32(imm))))
      return true
    case 'sraiw':
      e.setX(rd, b.sext('i64', b.sshr(b.trunc('i32', e.getX(rs1)), e.i32(imm))))
      return true
    default:
      return emitIntReg(e, i)
  }
}

function emitIntReg(e: Emitter, i: Insn): boolean {
  const b = e.b
  const { rd, rs1, rs2 } = i
  const x = (): Value => e.getX(rs1)
  const y = (): Value => e.getX(rs2)
  const w = (v: Value): Value => b.trunc('i32', v)
  const set = (v: Value): void => e.setX(rd, v)
  const setW32 = (v: Value): void => e.setX(rd, b.sext('i64', v))
  switch (i.op) {
    case 'add':
      if (rs1 === 0) set(y())
      else if (rs2 === 0) set(x())
      else set(b.add(x(), y()))
      return true
    case 'sub': set(rs1 === 0 ? b.neg(y()) : b.sub(x(), y())); return true
    case 'sll': set(b.shl(x(), y())); return true
    case 'slt': set(bool(e, b.icmp('slt', x(), y()))); return true
    case 'sltu': set(bool(e, b.icmp('ult', x(), y()))); return true
    case 'xor': set(b.xor(x(), y())); return true
    case 'srl': set(b.ushr(x(), y())); return true
    case 'sra': set(b.sshr(x(), y())); return true
    case 'or': set(b.or(x(), y())); return true
    case 'and': set(b.and(x(), y())); return true
    case 'addw': set(sextW(e, b.add(x(), y()))); return true
    case 'subw': set(sextW(e, b.sub(x(), y()))); return true
    case 'sllw': setW32(b.shl(w(x()), w(y()))); return true
    case 'srlw': setW32(b.ushr(w(x()), w(y()))); return true
    case 'sraw': setW32(b.sshr(w(x()), w(y()))); return true
    case 'mul': set(b.mul(x(), y())); return true
    case 'mulh': set(b.smulhi(x(), y())); return true
    case 'mulhsu': set(b.sumulhi(x(), y())); return true
    case 'mulhu': set(b.umulhi(x(), y())); return true
    case 'div': set(b.sdiv(x(), y())); return true
    case 'divu': set(b.udiv(x(), y())); return true
    case 'rem': set(b.srem(x(), y())); return true
    case 'remu': set(b.urem(x(), y())); return true
    case 'mulw': set(sextW(e, b.mul(x(), y()))); return true
    case 'divw': setW32(b.sdiv(w(x()), w(y()))); return true
    case 'divuw': setW32(b.udiv(w(x()), w(y()))); return true
    case 'remw': setW32(b.srem(w(x()), w(y()))); return true
    case 'remuw': setW32(b.urem(w(x()), w(y()))); return true
    default:
      return false
  }
}

const INT_OPS = new Set<string>([
  'lui', 'auipc', 'addi', 'slti', 'sltiu', 'xori', 'ori', 'andi', 'slli', 'srli', 'srai', 'addiw', 'slliw', 'srliw', 'sraiw',
  'add', 'sub', 'sll', 'slt', 'sltu', 'xor', 'srl', 'sra', 'or', 'and', 'addw', 'subw', 'sllw', 'srlw', 'sraw',
  'mul', 'mulh', 'mulhsu', 'mulhu', 'div', 'divu', 'rem', 'remu', 'mulw', 'divw', 'divuw', 'remw', 'remuw',
])

function isIntOp(op: string): boolean {
  return INT_OPS.has(op)
}

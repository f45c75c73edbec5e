// Decoder for 32-bit RV64GC instructions (RV64I, M, A, F, D, Zicsr, Zifencei).

import { insn } from './insn.ts'
import type { Insn, Op } from './insn.ts'

const bits = (w: number, hi: number, lo: number): number => (w >>> lo) & ((1 << (hi - lo + 1)) - 1)
const sext = (v: number, width: number): number => (v << (32 - width)) >> (32 - width)

const immI = (w: number): number => w >> 20
const immS = (w: number): number => ((w >> 25) << 5) | bits(w, 11, 7)
const immB = (w: number): number =>
  sext((bits(w, 31, 31) << 12) | (bits(w, 7, 7) << 11) | (bits(w, 30, 25) << 5) | (bits(w, 11, 8) << 1), 13)
const immU = (w: number): number => w & 0xfffff000 // as int32 (sign-extended by JS bit ops)
const immJ = (w: number): number =>
  sext((bits(w, 31, 31) << 20) | (bits(w, 19, 12) << 12) | (bits(w, 20, 20) << 11) | (bits(w, 30, 21) << 1), 21)

const BRANCH: (Op | undefined)[] = ['beq', 'bne', undefined, undefined, 'blt', 'bge', 'bltu', 'bgeu']
const LOAD: ([Op, number] | undefined)[] = [['lb', 1], ['lh', 2], ['lw', 4], ['ld', 8], ['lbu', 1], ['lhu', 2], ['lwu', 4], undefined]
const STORE: ([Op, number] | undefined)[] = [['sb', 1], ['sh', 2], ['sw', 4], ['sd', 8], undefined, undefined, undefined, undefined]
const OP_IMM: (Op | undefined)[] = ['addi', 'slli', 'slti', 'sltiu', 'xori', 'srli', 'ori', 'andi']
const OP: (Op | undefined)[] = ['add', 'sll', 'slt', 'sltu', 'xor', 'srl', 'or', 'and']
const OP_M: Op[] = ['mul', 'mulh', 'mulhsu', 'mulhu', 'div', 'divu', 'rem', 'remu']
const OP_32_M: (Op | undefined)[] = ['mulw', undefined, undefined, undefined, 'divw', 'divuw', 'remw', 'remuw']
const CSR: (Op | undefined)[] = [undefined, 'csrrw', 'csrrs', 'csrrc', undefined, 'csrrwi', 'csrrsi', 'csrrci']
const AMO: Record<number, Op> = {
  0x00: 'amoadd', 0x01: 'amoswap', 0x02: 'lr', 0x03: 'sc', 0x04: 'amoxor', 0x08: 'amoor', 0x0c: 'amoand',
  0x10: 'amomin', 0x14: 'amomax', 0x18: 'amominu', 0x1c: 'amomaxu',
}

// Field extraction is written out inline (not through `bits()` calls) in decode32: it runs once
// per guest instruction translated, in V8's baseline code, where every call costs.

const ill = (w: number): Insn => insn('illegal', w, 4)
const R = (op: Op, w: number): Insn => insn(op, w, 4, (w >>> 7) & 31, (w >>> 15) & 31, (w >>> 20) & 31)
const I = (op: Op, w: number, imm: number): Insn => insn(op, w, 4, (w >>> 7) & 31, (w >>> 15) & 31, 0, imm)

export function decode32(w: number): Insn {
  const opcode = w & 0x7f
  const rd = (w >>> 7) & 31
  const f3 = (w >>> 12) & 7
  const rs1 = (w >>> 15) & 31
  const rs2 = (w >>> 20) & 31
  const f7 = w >>> 25
  switch (opcode) {
    case 0x37: return insn('lui', w, 4, rd, 0, 0, immU(w))
    case 0x17: return insn('auipc', w, 4, rd, 0, 0, immU(w))
    case 0x6f: return insn('jal', w, 4, rd, 0, 0, immJ(w))
    case 0x67: return f3 === 0 ? I('jalr', w, immI(w)) : ill(w)
    case 0x63: {
      const op = BRANCH[f3]
      return op ? insn(op, w, 4, 0, rs1, rs2, immB(w)) : ill(w)
    }
    case 0x03: {
      const l = LOAD[f3]
      return l ? insn(l[0], w, 4, rd, rs1, 0, immI(w), l[1]) : ill(w)
    }
    case 0x23: {
      const st = STORE[f3]
      return st ? insn(st[0], w, 4, 0, rs1, rs2, immS(w), st[1]) : ill(w)
    }
    case 0x13: {
      if (f3 === 1) return w >>> 26 === 0 ? I('slli', w, (w >>> 20) & 63) : ill(w)
      if (f3 === 5) {
        const hi = w >>> 26
        if (hi === 0) return I('srli', w, (w >>> 20) & 63)
        if (hi === 0x10) return I('srai', w, (w >>> 20) & 63)
        return ill(w)
      }
      return I(OP_IMM[f3]!, w, immI(w))
    }
    case 0x1b: {
      if (f3 === 0) return I('addiw', w, immI(w))
      if (f3 === 1) return f7 === 0 ? I('slliw', w, rs2) : ill(w)
      if (f3 === 5) return f7 === 0 ? I('srliw', w, rs2) : f7 === 0x20 ? I('sraiw', w, rs2) : ill(w)
      return ill(w)
    }
    case 0x33: {
      if (f7 === 0) return R(OP[f3]!, w)
      if (f7 === 1) return R(OP_M[f3], w)
      if (f7 === 0x20) return f3 === 0 ? R('sub', w) : f3 === 5 ? R('sra', w) : ill(w)
      return ill(w)
    }
    case 0x3b: {
      if (f7 === 0) return f3 === 0 ? R('addw', w) : f3 === 1 ? R('sllw', w) : f3 === 5 ? R('srlw', w) : ill(w)
      if (f7 === 0x20) return f3 === 0 ? R('subw', w) : f3 === 5 ? R('sraw', w) : ill(w)
      if (f7 === 1) {
        const op = OP_32_M[f3]
        return op ? R(op, w) : ill(w)
      }
      return ill(w)
    }
    case 0x0f: return f3 === 0 ? insn('fence', w, 4) : f3 === 1 ? insn('fence.i', w, 4) : ill(w)
    case 0x73: {
      if (f3 === 0) {
        if (w === 0x00000073) return insn('ecall', w, 4)
        if (w === 0x00100073) return insn('ebreak', w, 4)
        return ill(w)
      }
      const op = CSR[f3]
      // imm carries the csr number; for the *i forms rs1 is the 5-bit immediate.
      return op ? insn(op, w, 4, rd, rs1, 0, w >>> 20) : ill(w)
    }
    case 0x2f: {
      if (f3 !== 2 && f3 !== 3) return ill(w)
      const op = AMO[w >>> 27]
      if (!op || (op === 'lr' && rs2 !== 0)) return ill(w)
      return insn(op, w, 4, rd, rs1, rs2, 0, f3 === 2 ? 4 : 8)
    }
    case 0x07: // FLW / FLD
      if (f3 !== 2 && f3 !== 3) return ill(w)
      return insn('fl', w, 4, rd, rs1, 0, immI(w), f3 === 2 ? 4 : 8, 0, 0, f3 - 2)
    case 0x27: // FSW / FSD
      if (f3 !== 2 && f3 !== 3) return ill(w)
      return insn('fs', w, 4, 0, rs1, rs2, immS(w), f3 === 2 ? 4 : 8, 0, 0, f3 - 2)
    case 0x43: case 0x47: case 0x4b: case 0x4f: {
      const fmt = (w >>> 25) & 3
      if (fmt > 1) return ill(w)
      const op: Op = opcode === 0x43 ? 'fmadd' : opcode === 0x47 ? 'fmsub' : opcode === 0x4b ? 'fnmsub' : 'fnmadd'
      return insn(op, w, 4, rd, rs1, rs2, 0, 0, w >>> 27, f3, fmt)
    }
    case 0x53: return decodeFp(w, rd, f3, rs1, rs2, f7)
    default: return ill(w)
  }
}

const FCVT_TO_INT: Op[] = ['fcvt.w.f', 'fcvt.wu.f', 'fcvt.l.f', 'fcvt.lu.f']
const FCVT_FROM_INT: Op[] = ['fcvt.f.w', 'fcvt.f.wu', 'fcvt.f.l', 'fcvt.f.lu']

function decodeFp(w: number, rd: number, rm: number, rs1: number, rs2: number, f7: number): Insn {
  const fmt = f7 & 3
  if (fmt > 1) return ill(w)
  switch (f7 >> 2) {
    case 0x00: return fp('fadd', w, rd, rs1, rs2, rm, fmt)
    case 0x01: return fp('fsub', w, rd, rs1, rs2, rm, fmt)
    case 0x02: return fp('fmul', w, rd, rs1, rs2, rm, fmt)
    case 0x03: return fp('fdiv', w, rd, rs1, rs2, rm, fmt)
    case 0x0b: return rs2 === 0 ? fp('fsqrt', w, rd, rs1, rs2, rm, fmt) : ill(w)
    case 0x04: {
      const op: Op | undefined = rm === 0 ? 'fsgnj' : rm === 1 ? 'fsgnjn' : rm === 2 ? 'fsgnjx' : undefined
      return op ? fp(op, w, rd, rs1, rs2, rm, fmt) : ill(w)
    }
    case 0x05: return rm === 0 ? fp('fmin', w, rd, rs1, rs2, rm, fmt) : rm === 1 ? fp('fmax', w, rd, rs1, rs2, rm, fmt) : ill(w)
    case 0x08: // fcvt.s.d (fmt 0, rs2 1) / fcvt.d.s (fmt 1, rs2 0)
      return rs2 === 1 - fmt ? fp('fcvt.f.f', w, rd, rs1, rs2, rm, fmt) : ill(w)
    case 0x14: {
      const op: Op | undefined = rm === 2 ? 'feq' : rm === 1 ? 'flt' : rm === 0 ? 'fle' : undefined
      return op ? fp(op, w, rd, rs1, rs2, rm, fmt) : ill(w)
    }
    case 0x18: return rs2 < 4 ? fp(FCVT_TO_INT[rs2], w, rd, rs1, rs2, rm, fmt) : ill(w)
    case 0x1a: return rs2 < 4 ? fp(FCVT_FROM_INT[rs2], w, rd, rs1, rs2, rm, fmt) : ill(w)
    case 0x1c:
      if (rs2 !== 0) return ill(w)
      return rm === 0 ? fp('fmv.x.f', w, rd, rs1, rs2, rm, fmt) : rm === 1 ? fp('fclass', w, rd, rs1, rs2, rm, fmt) : ill(w)
    case 0x1e: return rs2 === 0 && rm === 0 ? fp('fmv.f.x', w, rd, rs1, rs2, rm, fmt) : ill(w)
    default: return ill(w)
  }
}

function fp(op: Op, w: number, rd: number, rs1: number, rs2: number, rm: number, fmt: number): Insn {
  return insn(op, w, 4, rd, rs1, rs2, 0, 0, 0, rm, fmt)
}

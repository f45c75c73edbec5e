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

export function decode32(w: number): Insn {
  const opcode = w & 0x7f
  const rd = bits(w, 11, 7)
  const f3 = bits(w, 14, 12)
  const rs1 = bits(w, 19, 15)
  const rs2 = bits(w, 24, 20)
  const f7 = bits(w, 31, 25)
  const ill = (): Insn => insn('illegal', w, 4)
  const R = (op: Op): Insn => insn(op, w, 4, { rd, rs1, rs2 })
  const I = (op: Op, imm = immI(w)): Insn => insn(op, w, 4, { rd, rs1, imm })
  switch (opcode) {
    case 0x37: return insn('lui', w, 4, { rd, imm: immU(w) })
    case 0x17: return insn('auipc', w, 4, { rd, imm: immU(w) })
    case 0x6f: return insn('jal', w, 4, { rd, imm: immJ(w) })
    case 0x67: return f3 === 0 ? I('jalr') : ill()
    case 0x63: {
      const op = BRANCH[f3]
      return op ? insn(op, w, 4, { rs1, rs2, imm: immB(w) }) : ill()
    }
    case 0x03: {
      const l = LOAD[f3]
      return l ? insn(l[0], w, 4, { rd, rs1, imm: immI(w), width: l[1] }) : ill()
    }
    case 0x23: {
      const s = STORE[f3]
      return s ? insn(s[0], w, 4, { rs1, rs2, imm: immS(w), width: s[1] }) : ill()
    }
    case 0x13: {
      const op = OP_IMM[f3]!
      if (f3 === 1) return bits(w, 31, 26) === 0 ? I('slli', bits(w, 25, 20)) : ill()
      if (f3 === 5) {
        const hi = bits(w, 31, 26)
        if (hi === 0) return I('srli', bits(w, 25, 20))
        if (hi === 0x10) return I('srai', bits(w, 25, 20))
        return ill()
      }
      return I(op)
    }
    case 0x1b: {
      if (f3 === 0) return I('addiw')
      if (f3 === 1) return f7 === 0 ? I('slliw', rs2) : ill()
      if (f3 === 5) return f7 === 0 ? I('srliw', rs2) : f7 === 0x20 ? I('sraiw', rs2) : ill()
      return ill()
    }
    case 0x33: {
      if (f7 === 0) return R(OP[f3]!)
      if (f7 === 1) return R(OP_M[f3])
      if (f7 === 0x20) return f3 === 0 ? R('sub') : f3 === 5 ? R('sra') : ill()
      return ill()
    }
    case 0x3b: {
      if (f7 === 0) return f3 === 0 ? R('addw') : f3 === 1 ? R('sllw') : f3 === 5 ? R('srlw') : ill()
      if (f7 === 0x20) return f3 === 0 ? R('subw') : f3 === 5 ? R('sraw') : ill()
      if (f7 === 1) {
        const op = OP_32_M[f3]
        return op ? R(op) : ill()
      }
      return ill()
    }
    case 0x0f: return f3 === 0 ? insn('fence', w, 4) : f3 === 1 ? insn('fence.i', w, 4) : ill()
    case 0x73: {
      if (f3 === 0) {
        if (w === 0x00000073) return insn('ecall', w, 4)
        if (w === 0x00100073) return insn('ebreak', w, 4)
        return ill()
      }
      const op = CSR[f3]
      // imm carries the csr number; for the *i forms rs1 is the 5-bit immediate.
      return op ? insn(op, w, 4, { rd, rs1, imm: bits(w, 31, 20) }) : ill()
    }
    case 0x2f: {
      if (f3 !== 2 && f3 !== 3) return ill()
      const op = AMO[bits(w, 31, 27)]
      if (!op || (op === 'lr' && rs2 !== 0)) return ill()
      return insn(op, w, 4, { rd, rs1, rs2, width: f3 === 2 ? 4 : 8 })
    }
    case 0x07: // FLW / FLD
      if (f3 !== 2 && f3 !== 3) return ill()
      return insn('fl', w, 4, { rd, rs1, imm: immI(w), fmt: f3 - 2, width: f3 === 2 ? 4 : 8 })
    case 0x27: // FSW / FSD
      if (f3 !== 2 && f3 !== 3) return ill()
      return insn('fs', w, 4, { rs1, rs2, imm: immS(w), fmt: f3 - 2, width: f3 === 2 ? 4 : 8 })
    case 0x43: case 0x47: case 0x4b: case 0x4f: {
      const fmt = bits(w, 26, 25)
      if (fmt > 1) return ill()
      const op: Op = opcode === 0x43 ? 'fmadd' : opcode === 0x47 ? 'fmsub' : opcode === 0x4b ? 'fnmsub' : 'fnmadd'
      return insn(op, w, 4, { rd, rs1, rs2, rs3: bits(w, 31, 27), rm: f3, fmt })
    }
    case 0x53: return decodeFp(w, rd, f3, rs1, rs2, f7)
    default: return ill()
  }
}

function decodeFp(w: number, rd: number, rm: number, rs1: number, rs2: number, f7: number): Insn {
  const fmt = f7 & 3
  const ill = (): Insn => insn('illegal', w, 4)
  if (fmt > 1) return ill()
  const F = (op: Op, extra: Partial<Insn> = {}): Insn => insn(op, w, 4, { rd, rs1, rs2, rm, fmt, ...extra })
  switch (f7 >> 2) {
    case 0x00: return F('fadd')
    case 0x01: return F('fsub')
    case 0x02: return F('fmul')
    case 0x03: return F('fdiv')
    case 0x0b: return rs2 === 0 ? F('fsqrt') : ill()
    case 0x04: return rm === 0 ? F('fsgnj') : rm === 1 ? F('fsgnjn') : rm === 2 ? F('fsgnjx') : ill()
    case 0x05: return rm === 0 ? F('fmin') : rm === 1 ? F('fmax') : ill()
    case 0x08: // fcvt.s.d (fmt 0, rs2 1) / fcvt.d.s (fmt 1, rs2 0)
      return rs2 === 1 - fmt ? F('fcvt.f.f') : ill()
    case 0x14: return rm === 2 ? F('feq') : rm === 1 ? F('flt') : rm === 0 ? F('fle') : ill()
    case 0x18: {
      const ops: Op[] = ['fcvt.w.f', 'fcvt.wu.f', 'fcvt.l.f', 'fcvt.lu.f']
      return rs2 < 4 ? F(ops[rs2]) : ill()
    }
    case 0x1a: {
      const ops: Op[] = ['fcvt.f.w', 'fcvt.f.wu', 'fcvt.f.l', 'fcvt.f.lu']
      return rs2 < 4 ? F(ops[rs2]) : ill()
    }
    case 0x1c:
      if (rs2 !== 0) return ill()
      return rm === 0 ? F('fmv.x.f') : rm === 1 ? F('fclass') : ill()
    case 0x1e: return rs2 === 0 && rm === 0 ? F('fmv.f.x') : ill()
    default: return ill()
  }
}

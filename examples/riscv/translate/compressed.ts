// Decoder for the C extension (RV64C): each 16-bit instruction decodes to the same Insn as the
// 32-bit instruction it expands to (len 2), so the translator never sees the difference.

import { insn } from './insn.ts'
import type { Insn, Op } from './insn.ts'

const b = (h: number, hi: number, lo: number): number => (h >>> lo) & ((1 << (hi - lo + 1)) - 1)
const sext = (v: number, width: number): number => (v << (32 - width)) >> (32 - width)
/** The 3-bit register fields name x8..x15. */
const r3 = (v: number): number => v + 8

export function decode16(h: number): Insn {
  const ill = (): Insn => insn('illegal', h, 2)
  const quadrant = h & 3
  const f3 = b(h, 15, 13)
  if (h === 0) return ill() // the all-zero half-word is defined illegal
  if (quadrant === 0) {
    const rdp = r3(b(h, 4, 2))
    const rs1p = r3(b(h, 9, 7))
    const uimmD = (b(h, 12, 10) << 3) | (b(h, 6, 5) << 6)
    const uimmW = (b(h, 12, 10) << 3) | (b(h, 6, 6) << 2) | (b(h, 5, 5) << 6)
    switch (f3) {
      case 0: {
        const nzuimm = (b(h, 12, 11) << 4) | (b(h, 10, 7) << 6) | (b(h, 6, 6) << 2) | (b(h, 5, 5) << 3)
        return nzuimm === 0 ? ill() : insn('addi', h, 2, rdp, 2, 0, nzuimm)
      }
      case 1: return insn('fl', h, 2, rdp, rs1p, 0, uimmD, 8, 0, 0, 1)
      case 2: return insn('lw', h, 2, rdp, rs1p, 0, uimmW, 4)
      case 3: return insn('ld', h, 2, rdp, rs1p, 0, uimmD, 8)
      case 5: return insn('fs', h, 2, 0, rs1p, rdp, uimmD, 8, 0, 0, 1)
      case 6: return insn('sw', h, 2, 0, rs1p, rdp, uimmW, 4)
      case 7: return insn('sd', h, 2, 0, rs1p, rdp, uimmD, 8)
      default: return ill()
    }
  }
  if (quadrant === 1) {
    const rd = b(h, 11, 7)
    const imm6 = sext((b(h, 12, 12) << 5) | b(h, 6, 2), 6)
    switch (f3) {
      case 0: return insn('addi', h, 2, rd, rd, 0, imm6) // c.nop when rd = 0
      case 1: return rd === 0 ? ill() : insn('addiw', h, 2, rd, rd, 0, imm6)
      case 2: return insn('addi', h, 2, rd, 0, 0, imm6)
      case 3: {
        if (rd === 2) {
          const imm = sext((b(h, 12, 12) << 9) | (b(h, 6, 6) << 4) | (b(h, 5, 5) << 6) | (b(h, 4, 3) << 7) | (b(h, 2, 2) << 5), 10)
          return imm === 0 ? ill() : insn('addi', h, 2, 2, 2, 0, imm)
        }
        const imm = sext((b(h, 12, 12) << 17) | (b(h, 6, 2) << 12), 18)
        return imm === 0 ? ill() : insn('lui', h, 2, rd, 0, 0, imm)
      }
      case 4: {
        const rdp = r3(b(h, 9, 7))
        const shamt = (b(h, 12, 12) << 5) | b(h, 6, 2)
        switch (b(h, 11, 10)) {
          case 0: return insn('srli', h, 2, rdp, rdp, 0, shamt)
          case 1: return insn('srai', h, 2, rdp, rdp, 0, shamt)
          case 2: return insn('andi', h, 2, rdp, rdp, 0, imm6)
          default: {
            const rs2 = r3(b(h, 4, 2))
            const ops: (Op | undefined)[] = b(h, 12, 12) === 0 ? ['sub', 'xor', 'or', 'and'] : ['subw', 'addw', undefined, undefined]
            const op = ops[b(h, 6, 5)]
            return op ? insn(op, h, 2, rdp, rdp, rs2) : ill()
          }
        }
      }
      case 5: {
        const imm = sext(
          (b(h, 12, 12) << 11) | (b(h, 11, 11) << 4) | (b(h, 10, 9) << 8) | (b(h, 8, 8) << 10) |
            (b(h, 7, 7) << 6) | (b(h, 6, 6) << 7) | (b(h, 5, 3) << 1) | (b(h, 2, 2) << 5),
          12,
        )
        return insn('jal', h, 2, 0, 0, 0, imm)
      }
      default: {
        const imm = sext((b(h, 12, 12) << 8) | (b(h, 11, 10) << 3) | (b(h, 6, 5) << 6) | (b(h, 4, 3) << 1) | (b(h, 2, 2) << 5), 9)
        return insn(f3 === 6 ? 'beq' : 'bne', h, 2, 0, r3(b(h, 9, 7)), 0, imm)
      }
    }
  }
  if (quadrant === 2) {
    const rd = b(h, 11, 7)
    const rs2 = b(h, 6, 2)
    switch (f3) {
      case 0: return insn('slli', h, 2, rd, rd, 0, (b(h, 12, 12) << 5) | b(h, 6, 2))
      case 1: return insn('fl', h, 2, rd, 2, 0, (b(h, 12, 12) << 5) | (b(h, 6, 5) << 3) | (b(h, 4, 2) << 6), 8, 0, 0, 1)
      case 2: return rd === 0 ? ill() : insn('lw', h, 2, rd, 2, 0, (b(h, 12, 12) << 5) | (b(h, 6, 4) << 2) | (b(h, 3, 2) << 6), 4)
      case 3: return rd === 0 ? ill() : insn('ld', h, 2, rd, 2, 0, (b(h, 12, 12) << 5) | (b(h, 6, 5) << 3) | (b(h, 4, 2) << 6), 8)
      case 4:
        if (b(h, 12, 12) === 0) {
          if (rs2 === 0) return rd === 0 ? ill() : insn('jalr', h, 2, 0, rd)
          return insn('add', h, 2, rd, 0, rs2)
        }
        if (rs2 === 0) return rd === 0 ? insn('ebreak', h, 2) : insn('jalr', h, 2, 1, rd)
        return insn('add', h, 2, rd, rd, rs2)
      case 5: return insn('fs', h, 2, 0, 2, rs2, (b(h, 12, 10) << 3) | (b(h, 9, 7) << 6), 8, 0, 0, 1)
      case 6: return insn('sw', h, 2, 0, 2, rs2, (b(h, 12, 9) << 2) | (b(h, 8, 7) << 6), 4)
      case 7: return insn('sd', h, 2, 0, 2, rs2, (b(h, 12, 10) << 3) | (b(h, 9, 7) << 6), 8)
    }
  }
  return ill()
}

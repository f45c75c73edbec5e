// Which integer registers an instruction reads and writes — for keeping guest registers in IR
// locals across a whole block (see Emitter): the block loads the registers it uses on entry and
// stores the ones it may have written when it leaves. Over-approximating is safe (an extra load,
// or a store of an unchanged value); missing one is not.

import type { Insn } from './insn.ts'

const FP_READS_X = new Set(['fl', 'fs', 'fcvt.f.w', 'fcvt.f.wu', 'fcvt.f.l', 'fcvt.f.lu', 'fmv.f.x'])
const FP_WRITES_X = new Set(['fcvt.w.f', 'fcvt.wu.f', 'fcvt.l.f', 'fcvt.lu.f', 'fmv.x.f', 'fclass', 'feq', 'flt', 'fle'])
const FP_OPS = new Set([
  'fl', 'fs', 'fmadd', 'fmsub', 'fnmsub', 'fnmadd', 'fadd', 'fsub', 'fmul', 'fdiv', 'fsqrt', 'fsgnj', 'fsgnjn', 'fsgnjx',
  'fmin', 'fmax', 'fcvt.f.f', 'fcvt.w.f', 'fcvt.wu.f', 'fcvt.l.f', 'fcvt.lu.f', 'fcvt.f.w', 'fcvt.f.wu', 'fcvt.f.l',
  'fcvt.f.lu', 'fmv.x.f', 'fmv.f.x', 'fclass', 'feq', 'flt', 'fle',
])
const CSR_IMM = new Set(['csrrwi', 'csrrsi', 'csrrci'])

const bit = (r: number): number => (r === 0 ? 0 : 1 << r) >>> 0

/** Bit mask of the x registers `i` may read (x0 never). */
export function xReads(i: Insn): number {
  if (FP_OPS.has(i.op)) return FP_READS_X.has(i.op) ? bit(i.rs1) : 0
  if (CSR_IMM.has(i.op)) return 0
  switch (i.op) {
    case 'lui': case 'auipc': case 'jal': case 'fence': case 'fence.i': case 'illegal': case 'ebreak':
      return 0
    case 'ecall':
      // The host reads a0..a7 from the state buffer, which is written back before the trap.
      return 0
    default:
      return (bit(i.rs1) | bit(i.rs2)) >>> 0
  }
}

/** Bit mask of the x registers `i` may write (x0 never). */
export function xWrites(i: Insn): number {
  if (FP_OPS.has(i.op)) return FP_WRITES_X.has(i.op) ? bit(i.rd) : 0
  switch (i.op) {
    case 'beq': case 'bne': case 'blt': case 'bge': case 'bltu': case 'bgeu':
    case 'sb': case 'sh': case 'sw': case 'sd':
    case 'fence': case 'fence.i': case 'ecall': case 'ebreak': case 'illegal':
      return 0
    default:
      return bit(i.rd)
  }
}

/** The registers in a mask, ascending. */
export function regsOf(mask: number): number[] {
  const out: number[] = []
  for (let r = 1; r < 32; r++) if (mask & (1 << r)) out.push(r)
  return out
}

// Zicsr: the float CSRs (fflags 0x001, frm 0x002, fcsr 0x003) live in the state buffer and are
// translated inline. Every other CSR (cycle, time, instret…) traps to the host, which emulates
// the instruction and resumes after it.

import type { ValueId as Value } from 'vm-jit-native'
import { FCSR_OFFSET } from '../state.ts'
import type { Emitter } from './emitter.ts'
import type { Insn } from './insn.ts'

export const CSR_FFLAGS = 0x001
export const CSR_FRM = 0x002
export const CSR_FCSR = 0x003
export const CSR_CYCLE = 0xc00
export const CSR_TIME = 0xc01
export const CSR_INSTRET = 0xc02

const CSR_OPS = new Set(['csrrw', 'csrrs', 'csrrc', 'csrrwi', 'csrrsi', 'csrrci'])

export function isCsr(i: Insn): boolean {
  return CSR_OPS.has(i.op)
}

/** Is CSR number `csr` one of the float CSRs, translated inline? */
export function isFloatCsr(csr: number): boolean {
  return csr === CSR_FFLAGS || csr === CSR_FRM || csr === CSR_FCSR
}

/** The CSR instruction is left to the host (a trap), rather than translated. */
export function csrNeedsHost(i: Insn): boolean {
  return isCsr(i) && !isFloatCsr(i.imm)
}

/** Field position and width of a float CSR inside fcsr. */
function field(csr: number): { shift: number; mask: number } {
  if (csr === CSR_FFLAGS) return { shift: 0, mask: 0x1f }
  if (csr === CSR_FRM) return { shift: 5, mask: 0x7 }
  return { shift: 0, mask: 0xff }
}

/** Emits a float-CSR instruction (csrNeedsHost(i) must be false). */
export function emitFloatCsr(e: Emitter, i: Insn): void {
  const b = e.b
  const { shift, mask } = field(i.imm)
  const imm = i.op.endsWith('i')
  const kind = i.op.replace(/i$/, '') // csrrw / csrrs / csrrc
  const old = b.getState('i32', FCSR_OFFSET)
  const oldField = b.and(shift ? b.ushr(old, e.i32(shift)) : old, e.i32(mask))
  // csrrs/csrrc with rs1 = x0 (or zimm = 0) only read.
  const writes = kind === 'csrrw' || i.rs1 !== 0
  if (writes) {
    const src: Value = imm ? e.i32(i.rs1) : b.trunc('i32', e.getX(i.rs1))
    let nv: Value
    if (kind === 'csrrw') nv = src
    else if (kind === 'csrrs') nv = b.or(oldField, src)
    else nv = b.and(oldField, b.not(src))
    const placed = b.and(shift ? b.shl(nv, e.i32(shift)) : nv, e.i32(mask << shift))
    const kept = b.and(old, e.i32(~(mask << shift) & 0xff))
    b.setState(FCSR_OFFSET, b.or(kept, placed))
  }
  e.setX(i.rd, b.zext('i64', oldField))
}

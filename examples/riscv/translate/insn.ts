// A decoded RISC-V instruction: the operation and its operands, the same for a 32-bit
// instruction and for the compressed (16-bit) instruction that expands to it.

import { isFloatCsr } from './csr.ts'

/** Rounding-mode field values (rm). */
export const RM_RNE = 0
export const RM_RTZ = 1
export const RM_RDN = 2
export const RM_RUP = 3
export const RM_RMM = 4
export const RM_DYN = 7

export type Op =
  // RV64I
  | 'lui' | 'auipc' | 'jal' | 'jalr'
  | 'beq' | 'bne' | 'blt' | 'bge' | 'bltu' | 'bgeu'
  | 'lb' | 'lh' | 'lw' | 'ld' | 'lbu' | 'lhu' | 'lwu'
  | 'sb' | 'sh' | 'sw' | 'sd'
  | 'addi' | 'slti' | 'sltiu' | 'xori' | 'ori' | 'andi' | 'slli' | 'srli' | 'srai'
  | 'addiw' | 'slliw' | 'srliw' | 'sraiw'
  | 'add' | 'sub' | 'sll' | 'slt' | 'sltu' | 'xor' | 'srl' | 'sra' | 'or' | 'and'
  | 'addw' | 'subw' | 'sllw' | 'srlw' | 'sraw'
  | 'fence' | 'fence.i' | 'ecall' | 'ebreak'
  | 'csrrw' | 'csrrs' | 'csrrc' | 'csrrwi' | 'csrrsi' | 'csrrci'
  // M
  | 'mul' | 'mulh' | 'mulhsu' | 'mulhu' | 'div' | 'divu' | 'rem' | 'remu'
  | 'mulw' | 'divw' | 'divuw' | 'remw' | 'remuw'
  // A (width in `width`)
  | 'lr' | 'sc' | 'amoswap' | 'amoadd' | 'amoxor' | 'amoand' | 'amoor' | 'amomin' | 'amomax' | 'amominu' | 'amomaxu'
  // F and D (precision in `fmt`: 0 single, 1 double)
  | 'fl' | 'fs'
  | 'fmadd' | 'fmsub' | 'fnmsub' | 'fnmadd'
  | 'fadd' | 'fsub' | 'fmul' | 'fdiv' | 'fsqrt'
  | 'fsgnj' | 'fsgnjn' | 'fsgnjx' | 'fmin' | 'fmax'
  | 'fcvt.f.f' // fcvt.s.d / fcvt.d.s: fmt is the destination
  | 'fcvt.w.f' | 'fcvt.wu.f' | 'fcvt.l.f' | 'fcvt.lu.f'
  | 'fcvt.f.w' | 'fcvt.f.wu' | 'fcvt.f.l' | 'fcvt.f.lu'
  | 'fmv.x.f' | 'fmv.f.x' | 'fclass'
  | 'feq' | 'flt' | 'fle'
  | 'illegal'

export interface Insn {
  op: Op
  rd: number
  rs1: number
  rs2: number
  rs3: number
  /** Sign-extended immediate (or shift amount, or csr number for CSR ops). */
  imm: number
  /** Rounding mode (F/D). */
  rm: number
  /** F/D precision: 0 = single (S), 1 = double (D). */
  fmt: number
  /** Memory access width in bytes for loads, stores and atomics. */
  width: number
  /** Instruction length in bytes: 2 (compressed) or 4. */
  len: 2 | 4
  /** The raw instruction bits (16 or 32). */
  bits: number
  /**
   * What the region builder and the translator ask of every instruction, as bits (K_*), computed
   * once when it is decoded: comparing `op` strings for each question was a measurable part of
   * translating with V8's optimiser off.
   */
  kind: number
}

/** A conditional branch (beq … bgeu). */
export const K_BRANCH = 1
/** jal. */
export const K_JAL = 2
/** jalr. */
export const K_JALR = 4
/** Execution does not continue to the next instruction (jal, jalr, ecall, ebreak, illegal). */
export const K_ENDS = 8
/** The block must stop after it (stopsFlow: K_ENDS, or a CSR access left to the host). */
export const K_STOPS = 16
/** Accesses guest memory (a load, store or atomic: can fault at its pc). */
export const K_MEMORY = 32

const MEMORY_OPS: readonly Op[] = [
  'lb', 'lh', 'lw', 'ld', 'lbu', 'lhu', 'lwu', 'sb', 'sh', 'sw', 'sd', 'fl', 'fs',
  'lr', 'sc', 'amoswap', 'amoadd', 'amoxor', 'amoand', 'amoor', 'amomin', 'amomax', 'amominu', 'amomaxu',
]
const OP_KIND = new Map<Op, number>([
  ...(['beq', 'bne', 'blt', 'bge', 'bltu', 'bgeu'] as Op[]).map((op): [Op, number] => [op, K_BRANCH]),
  ['jal', K_JAL | K_ENDS | K_STOPS],
  ['jalr', K_JALR | K_ENDS | K_STOPS],
  ['ecall', K_ENDS | K_STOPS],
  ['ebreak', K_ENDS | K_STOPS],
  ['illegal', K_ENDS | K_STOPS],
  ...MEMORY_OPS.map((op): [Op, number] => [op, K_MEMORY]),
])
const CSR_OPS: ReadonlySet<Op> = new Set<Op>(['csrrw', 'csrrs', 'csrrc', 'csrrwi', 'csrrsi', 'csrrci'])

/** The K_* bits of an instruction (a CSR access stops the block unless csr.ts translates it inline). */
export function kindOf(op: Op, imm: number): number {
  const k = OP_KIND.get(op) ?? 0
  return CSR_OPS.has(op) && !isFloatCsr(imm) ? k | K_STOPS : k
}

/**
 * An instruction; fields after `len` are positional (0 when left out). Positional, not an options
 * object: the decoders build one per instruction they decode, and with V8's optimiser off (as the
 * CLI runs) an object of optional fields cost an allocation and a lookup per field.
 */
export function insn(
  op: Op,
  bits: number,
  len: 2 | 4,
  rd = 0,
  rs1 = 0,
  rs2 = 0,
  imm = 0,
  width = 0,
  rs3 = 0,
  rm = 0,
  fmt = 0,
): Insn {
  // One object shape for every instruction (the translator's hot paths stay monomorphic).
  return { op, rd, rs1, rs2, rs3, imm, rm, fmt, width, len, bits, kind: kindOf(op, imm) }
}

/** Hex of the raw bits, 4 or 8 digits. */
export function bitsHex(i: Insn): string {
  return '0x' + (i.bits >>> 0).toString(16).padStart(i.len * 2, '0')
}

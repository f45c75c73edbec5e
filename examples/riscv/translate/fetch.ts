// Instruction fetch and decode at a guest address: 16-bit parcels, a 32-bit instruction when the
// low two bits are 11, a compressed one otherwise.

import { decode16 } from './compressed.ts'
import { decode32 } from './decode.ts'
import type { Insn } from './insn.ts'

/** Decodes the instruction at `pc` in `memory`, or returns undefined if it is not all in memory. */
export function fetchDecode(memory: Uint8Array, pc: number): Insn | undefined {
  if (pc < 0 || pc + 2 > memory.length || pc % 2 !== 0) return undefined
  const lo = memory[pc] | (memory[pc + 1] << 8)
  if ((lo & 3) !== 3) return decode16(lo)
  if (pc + 4 > memory.length) return undefined
  const w = lo | (memory[pc + 2] << 16) | (memory[pc + 3] << 24)
  if ((w & 0x1f) === 0x1f) return { ...decode32(0), op: 'illegal', bits: w >>> 0, len: 4 } // 48-bit+ encodings
  return decode32(w)
}

// Instruction fetch and decode at a guest address: 16-bit parcels, a 32-bit instruction when the
// low two bits are 11, a compressed one otherwise.

import { decode16 } from './compressed.ts'
import { decode32 } from './decode.ts'
import { kindOf } from './insn.ts'
import type { Insn } from './insn.ts'

/** Decodes the instruction at `pc` in `memory`, or returns undefined if it is not all in memory. */
export function fetchDecode(memory: Uint8Array, pc: number): Insn | undefined {
  if (pc < 0 || pc + 2 > memory.length || pc % 2 !== 0) return undefined
  const lo = memory[pc] | (memory[pc + 1] << 8)
  if ((lo & 3) !== 3) return decode16(lo)
  if (pc + 4 > memory.length) return undefined
  const w = lo | (memory[pc + 2] << 16) | (memory[pc + 3] << 24)
  if ((w & 0x1f) === 0x1f) return { ...decode32(0), op: 'illegal', bits: w >>> 0, len: 4, kind: kindOf('illegal', 0) } // 48-bit+ encodings
  return decode32(w)
}

/**
 * fetchDecode with a memory of what it decoded, by pc: a translator decodes much of its code more
 * than once (regions overlap; warm blocks are translated again — 20–45 % of decodes on the
 * benchmark programs). An entry is used only if the bits at `pc` are still those it was decoded
 * from, so code the guest rewrites is decoded afresh.
 */
export class DecodeCache {
  readonly #insns = new Map<number, Insn>()

  constructor(readonly memory: Uint8Array) {}

  at(pc: number): Insn | undefined {
    const memory = this.memory
    const cached = this.#insns.get(pc)
    if (cached !== undefined && pc + cached.len <= memory.length) {
      const lo = memory[pc]! | (memory[pc + 1]! << 8)
      // As decode32 stores them: a signed 32-bit word (a 48-bit encoding's never matches: decoded again).
      const bits = cached.len === 2 ? lo : lo | (memory[pc + 2]! << 16) | (memory[pc + 3]! << 24)
      if (bits === cached.bits) return cached
    }
    const i = fetchDecode(memory, pc)
    if (i !== undefined) this.#insns.set(pc, i)
    return i
  }
}

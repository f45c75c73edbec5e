// Instructions the host emulates after a TRAP_HOST_INSN: reads of the user counters
// (rdcycle/rdtime/rdinstret and their *h-less 64-bit CSRs). Returns the instruction length, or 0
// when it is not something the host can emulate (→ SIGILL).

import type { GuestMemory } from './memory.ts'
import type { GuestState } from './state.ts'
import { CSR_CYCLE, CSR_INSTRET, CSR_TIME } from './translate/csr.ts'
import { fetchDecode } from './translate/fetch.ts'

/** Timer frequency reported through the time CSR: 10 MHz (ticks of 100 ns). */
export const TIMEBASE_HZ = 10_000_000

export function emulateHostInsn(memory: GuestMemory, state: GuestState, pc: number): number {
  const i = fetchDecode(memory.bytes, pc)
  if (i === undefined) return 0
  const readOnly = (i.op === 'csrrs' || i.op === 'csrrc' || i.op === 'csrrsi' || i.op === 'csrrci') && i.rs1 === 0
  if (!readOnly) return 0
  let value: bigint
  switch (i.imm) {
    case CSR_TIME:
      value = process.hrtime.bigint() / 100n
      break
    case CSR_CYCLE:
    case CSR_INSTRET:
      value = process.hrtime.bigint()
      break
    default:
      return 0
  }
  state.setX(i.rd, value)
  return i.len
}

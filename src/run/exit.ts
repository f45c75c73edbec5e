// How a run ended, as JavaScript sees it. The native side returns a compact record (a reason code
// and one auxiliary 64-bit field); this turns it into the documented object with names, keeping
// only the fields that mean something for the reason (docs/IR.md "Exits").

import type { NativeRunResult } from '../native.js'

export type ExitReason = 'exit' | 'halt' | 'trap' | 'fault' | 'fuel' | 'interrupt'

/** Reason names indexed by their code in docs/IR.md "Exits". */
export const EXIT_REASONS: readonly ExitReason[] = Object.freeze(['exit', 'halt', 'trap', 'fault', 'fuel', 'interrupt'] as const)

export interface RunExit {
  /** Why the block stopped. */
  reason: ExitReason
  /** exit/halt/trap: the pc operand; fault/fuel/interrupt: the current mark of the op that stopped. */
  pc: bigint
  /** reason 'trap' only: the trap code. */
  trapCode?: number
  /** reason 'fault' only: the guest address of the out-of-range access. */
  faultAddress?: bigint
  /** Fuel remaining when the block stopped. */
  fuelLeft: bigint
}

export function toRunExit(r: NativeRunResult): RunExit {
  const reason = EXIT_REASONS[r.reason]
  if (reason === undefined) throw new Error(`vm-jit-native: the native side returned unknown exit reason code ${r.reason}`)
  const exit: RunExit = { reason, pc: r.pc, fuelLeft: r.fuelLeft }
  if (reason === 'trap') exit.trapCode = Number(r.aux)
  else if (reason === 'fault') exit.faultAddress = r.aux
  return exit
}

// Trap codes that translated blocks hand to the host (IR `trap code, pc`). The pc is that of
// the guest instruction concerned, except for TRAP_INDIRECT_CALL.

/** ecall: a Linux system call; the emulator resumes at pc + 4. */
export const TRAP_ECALL = 1
/** ebreak (or c.ebreak): reported as SIGTRAP. */
export const TRAP_EBREAK = 2
/** An instruction the decoder does not know: reported as SIGILL with its bits. */
export const TRAP_ILLEGAL = 3
/** An instruction the host emulates (reads of the cycle/time/instret counters…). */
export const TRAP_HOST_INSN = 4
/** The instruction at pc could not be fetched (outside guest memory): SIGSEGV. */
export const TRAP_FETCH_FAULT = 5

/**
 * An indirect call (`jalr ra, …`) reached a target its block does not predict yet: pc is the
 * target (ra holds the return address); the host learns the pair and continues at pc
 * (translate/indirect.ts).
 */
export const TRAP_INDIRECT_CALL = 6

/**
 * A return (`ret`) went to a site its block does not predict yet: the code is TRAP_RETURN_BASE +
 * the ret's pc / 2 (guest pcs are below 2^32), pc is the return address; the host learns the
 * pair and continues at pc (translate/returns.ts).
 */
export const TRAP_RETURN_BASE = 0x8000_0000

export const returnTrapCode = (retPc: number): number => TRAP_RETURN_BASE + retPc / 2
export const returnTrapSite = (code: number): number => (code - TRAP_RETURN_BASE) * 2

export const TRAP_NAMES: Record<number, string> = {
  [TRAP_ECALL]: 'ecall',
  [TRAP_EBREAK]: 'ebreak',
  [TRAP_ILLEGAL]: 'illegal instruction',
  [TRAP_HOST_INSN]: 'host-emulated instruction',
  [TRAP_FETCH_FAULT]: 'instruction fetch fault',
  [TRAP_INDIRECT_CALL]: 'indirect call to a new target',
}

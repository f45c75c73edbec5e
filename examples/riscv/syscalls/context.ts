// What a system call handler sees: the guest's memory and registers, its file descriptors, the
// host I/O it may use, and a way to end the guest.

import type { GuestMemory } from '../memory.ts'
import type { GuestState } from '../state.ts'
import type { FdTable } from './fd.ts'

/** Host side of the guest's standard streams (the CLI uses the process's; tests capture). */
export interface GuestIO {
  /** Writes to guest fd 1 or 2. */
  write(fd: 1 | 2, bytes: Uint8Array): void
  /** Reads up to `length` bytes of guest stdin into `into`; 0 at end of input. */
  read(into: Uint8Array): number
  /** Host fd backing guest fd 0/1/2, for fstat/isatty (undefined when captured). */
  hostFd(fd: 0 | 1 | 2): number | undefined
}

export class GuestExit extends Error {
  constructor(readonly code: number, readonly signal?: string) {
    super(signal ? `guest killed by ${signal}` : `guest exited with ${code}`)
  }
}

export interface SyscallContext {
  memory: GuestMemory
  state: GuestState
  fds: FdTable
  io: GuestIO
  /** Host path of the executable (readlink /proc/self/exe). */
  exePath: string
  verbose: (msg: string) => void
  /** Ends the guest (exit, exit_group, a fatal signal). */
  exit(code: number, signal?: string): never
  /** Monotonic start time of the guest (ms), for times()/getrusage. */
  startMs: number
}

/** A handler gets the six argument registers as BigInts (a0..a5) and returns the result. */
export type SyscallHandler = (ctx: SyscallContext, args: bigint[]) => bigint | number

/** A 64-bit argument as a JS number (addresses, sizes: the guest's memory is far below 2^53). */
export const n = (x: bigint): number => Number(BigInt.asIntN(64, x))
/** A 32-bit int argument (fd, flags, dirfd…), sign-extended. */
export const i32 = (x: bigint): number => Number(BigInt.asIntN(32, x))

// The system call table: number → handler. Unknown calls return -ENOSYS (and say which with
// --verbose), as a kernel without them would.

import type { SyscallContext, SyscallHandler } from './context.ts'
import { ENOSYS } from './errno.ts'
import { fsSyscalls } from './fs.ts'
import { mmSyscalls } from './mm.ts'
import { SYSCALL_NAMES } from './numbers.ts'
import { processSyscalls } from './process.ts'
import { timeSyscalls } from './time.ts'

export const SYSCALLS: Record<number, SyscallHandler> = {
  ...fsSyscalls,
  ...mmSyscalls,
  ...timeSyscalls,
  ...processSyscalls,
}

/** Performs the system call in a7 with arguments a0..a5 and writes the result to a0. */
export function doSyscall(ctx: SyscallContext): void {
  const s = ctx.state
  const nr = s.xn(17)
  const args = [s.x(10), s.x(11), s.x(12), s.x(13), s.x(14), s.x(15)]
  const handler = SYSCALLS[nr]
  let result: bigint | number
  if (handler === undefined) {
    ctx.verbose(`unimplemented system call ${nr}${SYSCALL_NAMES[nr] ? ` (${SYSCALL_NAMES[nr]})` : ''}: returning -ENOSYS`)
    result = -ENOSYS
  } else {
    result = handler(ctx, args)
  }
  s.setX(10, result)
}

export type { GuestIO, SyscallContext } from './context.ts'
export { GuestExit } from './context.ts'

// Linux errno values (asm-generic), returned negated from system calls.

export const EPERM = 1
export const ENOENT = 2
export const ESRCH = 3
export const EINTR = 4
export const EIO = 5
export const EBADF = 9
export const ECHILD = 10
export const EAGAIN = 11
export const ENOMEM = 12
export const EACCES = 13
export const EFAULT = 14
export const EEXIST = 17
export const ENOTDIR = 20
export const EISDIR = 21
export const EINVAL = 22
export const EMFILE = 24
export const ENOTTY = 25
export const ESPIPE = 29
export const EPIPE = 32
export const ERANGE = 34
export const ENOSYS = 38
export const ENOTEMPTY = 39
export const ELOOP = 40
export const ENAMETOOLONG = 36

/** errno for a Node.js system error code ('ENOENT' → 2…), EIO when unknown. */
export function errnoOf(err: unknown): number {
  const code = (err as { code?: string } | undefined)?.code
  const table: Record<string, number> = {
    EPERM, ENOENT, ESRCH, EINTR, EIO, EBADF, EAGAIN, ENOMEM, EACCES, EFAULT, EEXIST, ENOTDIR, EISDIR, EINVAL,
    EMFILE, ENOTTY, ESPIPE, EPIPE, ERANGE, ENOSYS, ENOTEMPTY, ELOOP, ENAMETOOLONG,
  }
  return (code !== undefined && table[code]) || EIO
}

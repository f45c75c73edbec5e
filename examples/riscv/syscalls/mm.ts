// Memory system calls: brk, mmap (anonymous, and private file mappings by copying), munmap,
// mremap, mprotect and madvise. Guest memory is one flat buffer (memory.ts), so protection is not
// enforced and a mapping is a reserved, zeroed range of it.

import * as fs from 'node:fs'
import { GuestFault, pageUp } from '../memory.ts'
import type { SyscallHandler } from './context.ts'
import { i32, n } from './context.ts'
import { EBADF, EFAULT, EINVAL, ENOMEM, errnoOf } from './errno.ts'
import { SYS } from './numbers.ts'

const MAP_FIXED = 0x10
const MAP_ANONYMOUS = 0x20
const MAP_FIXED_NOREPLACE = 0x100000
const MREMAP_MAYMOVE = 1
const MADV_DONTNEED = 4

const brk: SyscallHandler = (ctx, a) => {
  const want = n(a[0])
  return want === 0 ? ctx.memory.brk : ctx.memory.setBrk(want)
}

const mmap: SyscallHandler = (ctx, a) => {
  const [addr, len, , flags, fd, off] = [n(a[0]), n(a[1]), i32(a[2]), i32(a[3]), i32(a[4]), n(a[5])]
  if (len <= 0) return -EINVAL
  const fixed = (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) !== 0
  const at = ctx.memory.map(addr, len, fixed)
  if (at < 0) return -ENOMEM
  if (!(flags & MAP_ANONYMOUS)) {
    const e = ctx.fds.get(fd)
    if (e === undefined || e.kind !== 'file') {
      ctx.memory.unmap(at, len)
      return -EBADF
    }
    try {
      fs.readSync(e.hostFd, ctx.memory.bytes, at, Math.min(len, ctx.memory.size - at), off)
    } catch (err) {
      ctx.memory.unmap(at, len)
      return -errnoOf(err)
    }
  }
  return at
}

const munmap: SyscallHandler = (ctx, a) => {
  if (n(a[0]) % 4096 !== 0) return -EINVAL
  ctx.memory.unmap(n(a[0]), n(a[1]))
  return 0
}

const mremap: SyscallHandler = (ctx, a) => {
  const r = ctx.memory.remap(n(a[0]), n(a[1]), n(a[2]), (i32(a[3]) & MREMAP_MAYMOVE) !== 0)
  return r < 0 ? -ENOMEM : r
}

const mprotect: SyscallHandler = () => 0

const madvise: SyscallHandler = (ctx, a) => {
  if (i32(a[2]) === MADV_DONTNEED) {
    try {
      ctx.memory.fill(n(a[0]), pageUp(n(a[1])))
    } catch (err) {
      if (err instanceof GuestFault) return -EFAULT
      throw err
    }
  }
  return 0
}

export const mmSyscalls: Record<number, SyscallHandler> = {
  [SYS.brk]: brk,
  [SYS.mmap]: mmap,
  [SYS.munmap]: munmap,
  [SYS.mremap]: mremap,
  [SYS.mprotect]: mprotect,
  [SYS.madvise]: madvise,
  [SYS.msync]: () => 0,
}

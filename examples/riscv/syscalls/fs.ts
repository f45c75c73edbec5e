// File system calls on host files: openat, close, read/write (and the v/p variants), lseek,
// fstat/newfstatat, readlinkat, faccessat, getcwd, getdents64, ioctl, fcntl, dup.

import * as fs from 'node:fs'
import { isAbsolute, join, resolve } from 'node:path'
import { GuestFault } from '../memory.ts'
import type { SyscallContext, SyscallHandler } from './context.ts'
import { i32, n } from './context.ts'
import { EBADF, EFAULT, EINVAL, EISDIR, ENOTDIR, ENOTTY, ESPIPE, errnoOf } from './errno.ts'
import type { FdEntry, HostFile } from './fd.ts'
import { SYS } from './numbers.ts'

const AT_FDCWD = -100
const AT_SYMLINK_NOFOLLOW = 0x100
const AT_EMPTY_PATH = 0x1000

// Guest (asm-generic) open flags.
const O_ACCMODE = 3
const O_CREAT = 0o100
const O_EXCL = 0o200
const O_TRUNC = 0o1000
const O_APPEND = 0o2000
const O_NONBLOCK = 0o4000
const O_DIRECTORY = 0o200000
const O_NOFOLLOW = 0o400000

const S_IFCHR = 0o020000

/** A guest path, resolved against dirfd (AT_FDCWD = the host's working directory). */
function hostPath(ctx: SyscallContext, dirfd: number, path: string): string | number {
  if (isAbsolute(path) || dirfd === AT_FDCWD) return resolve(path)
  const d = ctx.fds.get(dirfd)
  if (d === undefined) return -EBADF
  if (d.kind !== 'dir') return -ENOTDIR
  return join(d.path, path)
}

function hostOpenFlags(f: number): number {
  const c = fs.constants
  let h = (f & O_ACCMODE) === 0 ? c.O_RDONLY : (f & O_ACCMODE) === 1 ? c.O_WRONLY : c.O_RDWR
  if (f & O_CREAT) h |= c.O_CREAT
  if (f & O_EXCL) h |= c.O_EXCL
  if (f & O_TRUNC) h |= c.O_TRUNC
  if (f & O_APPEND) h |= c.O_APPEND
  if (f & O_NONBLOCK) h |= c.O_NONBLOCK
  if (f & O_DIRECTORY) h |= c.O_DIRECTORY ?? 0
  if (f & O_NOFOLLOW) h |= c.O_NOFOLLOW ?? 0
  return h
}

/** Runs a host operation; a thrown Node error becomes -errno, a guest fault -EFAULT. */
function host(f: () => number | bigint): number | bigint {
  try {
    return f()
  } catch (err) {
    if (err instanceof GuestFault) return -EFAULT
    return -errnoOf(err)
  }
}

function file(ctx: SyscallContext, fd: number): FdEntry | number {
  return ctx.fds.get(fd) ?? -EBADF
}

// -----------------------------------------------------------------------------------------------
// struct stat (asm-generic, 128 bytes)

function writeStat(ctx: SyscallContext, addr: number, st: fs.BigIntStats): void {
  const m = ctx.memory
  m.fill(addr, 128)
  m.setU64(addr + 0, st.dev)
  m.setU64(addr + 8, st.ino)
  m.setU32(addr + 16, Number(st.mode))
  m.setU32(addr + 20, Number(st.nlink))
  m.setU32(addr + 24, Number(st.uid))
  m.setU32(addr + 28, Number(st.gid))
  m.setU64(addr + 32, st.rdev)
  m.setI64(addr + 48, st.size)
  m.setI32(addr + 56, Number(st.blksize || 4096n))
  m.setI64(addr + 64, st.blocks)
  const times = [st.atimeNs, st.mtimeNs, st.ctimeNs]
  times.forEach((t, k) => {
    m.setI64(addr + 72 + 16 * k, t / 1_000_000_000n)
    m.setU64(addr + 80 + 16 * k, t % 1_000_000_000n)
  })
}

/** A character device for a captured standard stream. */
function writeCharDevStat(ctx: SyscallContext, addr: number): void {
  const m = ctx.memory
  m.fill(addr, 128)
  m.setU32(addr + 16, S_IFCHR | 0o620)
  m.setU32(addr + 20, 1)
  m.setI32(addr + 56, 1024)
}

function fstatEntry(ctx: SyscallContext, e: FdEntry, addr: number): number | bigint {
  return host(() => {
    if (e.kind === 'std') {
      const h = ctx.io.hostFd(e.fd)
      if (h === undefined) writeCharDevStat(ctx, addr)
      else writeStat(ctx, addr, fs.fstatSync(h, { bigint: true }))
    } else {
      writeStat(ctx, addr, fs.fstatSync(e.hostFd, { bigint: true }))
    }
    return 0
  })
}

// -----------------------------------------------------------------------------------------------
// read / write

function readInto(ctx: SyscallContext, e: FdEntry, buf: Uint8Array, offset?: number): number {
  if (e.kind === 'std') {
    if (e.fd !== 0) return -EBADF
    return ctx.io.read(buf)
  }
  if (e.kind === 'dir') return -EISDIR
  const pos = offset ?? e.position
  const r = fs.readSync(e.hostFd, buf, 0, buf.length, pos)
  if (offset === undefined) e.position += r
  return r
}

function writeFrom(ctx: SyscallContext, e: FdEntry, buf: Uint8Array, offset?: number): number {
  if (e.kind === 'std') {
    if (e.fd === 0) return -EBADF
    ctx.io.write(e.fd, buf)
    return buf.length
  }
  if (e.kind === 'dir') return -EISDIR
  if (offset === undefined && e.flags & O_APPEND) {
    const r = fs.writeSync(e.hostFd, buf, 0, buf.length, null)
    e.position = Number(fs.fstatSync(e.hostFd).size)
    return r
  }
  const pos = offset ?? e.position
  const r = fs.writeSync(e.hostFd, buf, 0, buf.length, pos)
  if (offset === undefined) e.position += r
  return r
}

/** iovec array → guest byte ranges. */
function iovecs(ctx: SyscallContext, addr: number, count: number): [number, number][] {
  const out: [number, number][] = []
  for (let k = 0; k < count; k++) out.push([Number(ctx.memory.u64(addr + 16 * k)), Number(ctx.memory.u64(addr + 16 * k + 8))])
  return out
}

const read: SyscallHandler = (ctx, a) => {
  const e = file(ctx, i32(a[0]))
  if (typeof e === 'number') return e
  return host(() => readInto(ctx, e, ctx.memory.read(n(a[1]), n(a[2]))))
}

const write: SyscallHandler = (ctx, a) => {
  const e = file(ctx, i32(a[0]))
  if (typeof e === 'number') return e
  return host(() => writeFrom(ctx, e, ctx.memory.read(n(a[1]), n(a[2]))))
}

const pread64: SyscallHandler = (ctx, a) => {
  const e = file(ctx, i32(a[0]))
  if (typeof e === 'number') return e
  if (e.kind === 'std') return -ESPIPE
  return host(() => readInto(ctx, e, ctx.memory.read(n(a[1]), n(a[2])), n(a[3])))
}

const pwrite64: SyscallHandler = (ctx, a) => {
  const e = file(ctx, i32(a[0]))
  if (typeof e === 'number') return e
  if (e.kind === 'std') return -ESPIPE
  return host(() => writeFrom(ctx, e, ctx.memory.read(n(a[1]), n(a[2])), n(a[3])))
}

const readv: SyscallHandler = (ctx, a) => {
  const e = file(ctx, i32(a[0]))
  if (typeof e === 'number') return e
  return host(() => {
    let total = 0
    for (const [base, len] of iovecs(ctx, n(a[1]), n(a[2]))) {
      const r = readInto(ctx, e, ctx.memory.read(base, len))
      if (r < 0) return total > 0 ? total : r
      total += r
      if (r < len) break
    }
    return total
  })
}

const writev: SyscallHandler = (ctx, a) => {
  const e = file(ctx, i32(a[0]))
  if (typeof e === 'number') return e
  return host(() => {
    const parts = iovecs(ctx, n(a[1]), n(a[2])).map(([base, len]) => ctx.memory.read(base, len))
    // One write for the whole vector, so a line printed through several iovecs stays together.
    const total = parts.reduce((s, p) => s + p.length, 0)
    const joined = new Uint8Array(total)
    let off = 0
    for (const p of parts) {
      joined.set(p, off)
      off += p.length
    }
    return writeFrom(ctx, e, joined)
  })
}

// -----------------------------------------------------------------------------------------------
// open / close / seek / stat

const openat: SyscallHandler = (ctx, a) =>
  host(() => {
    const flags = i32(a[2])
    const path = hostPath(ctx, i32(a[0]), ctx.memory.cString(n(a[1])))
    if (typeof path === 'number') return path
    const hostFd = fs.openSync(path, hostOpenFlags(flags), Number(a[3] & 0o7777n))
    const isDir = fs.fstatSync(hostFd).isDirectory()
    if (!isDir && flags & O_DIRECTORY) {
      fs.closeSync(hostFd)
      return -ENOTDIR
    }
    const entry: HostFile = { kind: isDir ? 'dir' : 'file', hostFd, path, position: 0, flags }
    return ctx.fds.add(entry, 3)
  })

const close: SyscallHandler = (ctx, a) => (ctx.fds.close(i32(a[0])) ? 0 : -EBADF)

const lseek: SyscallHandler = (ctx, a) => {
  const e = file(ctx, i32(a[0]))
  if (typeof e === 'number') return e
  if (e.kind === 'std') return -ESPIPE
  const off = n(a[1])
  const whence = i32(a[2])
  return host(() => {
    const base = whence === 0 ? 0 : whence === 1 ? e.position : whence === 2 ? Number(fs.fstatSync(e.hostFd).size) : NaN
    if (Number.isNaN(base) || base + off < 0) return -EINVAL
    e.position = base + off
    return e.position
  })
}

const fstat: SyscallHandler = (ctx, a) => {
  const e = file(ctx, i32(a[0]))
  if (typeof e === 'number') return e
  return fstatEntry(ctx, e, n(a[1]))
}

const newfstatat: SyscallHandler = (ctx, a) =>
  host(() => {
    const dirfd = i32(a[0])
    const path = ctx.memory.cString(n(a[1]))
    const flags = i32(a[3])
    if (path === '' && flags & AT_EMPTY_PATH) {
      const e = file(ctx, dirfd)
      if (typeof e === 'number') return e
      return fstatEntry(ctx, e, n(a[2]))
    }
    const p = hostPath(ctx, dirfd, path)
    if (typeof p === 'number') return p
    const st = flags & AT_SYMLINK_NOFOLLOW ? fs.lstatSync(p, { bigint: true }) : fs.statSync(p, { bigint: true })
    writeStat(ctx, n(a[2]), st)
    return 0
  })

const readlinkat: SyscallHandler = (ctx, a) =>
  host(() => {
    const path = ctx.memory.cString(n(a[1]))
    let target: string
    if (path === '/proc/self/exe') target = ctx.exePath
    else {
      const p = hostPath(ctx, i32(a[0]), path)
      if (typeof p === 'number') return p
      target = fs.readlinkSync(p)
    }
    const bytes = Buffer.from(target, 'utf8').subarray(0, n(a[3]))
    ctx.memory.write(n(a[2]), bytes)
    return bytes.length
  })

const faccessat: SyscallHandler = (ctx, a) =>
  host(() => {
    const p = hostPath(ctx, i32(a[0]), ctx.memory.cString(n(a[1])))
    if (typeof p === 'number') return p
    fs.accessSync(p, i32(a[2]) & 7)
    return 0
  })

const getcwd: SyscallHandler = (ctx, a) =>
  host(() => {
    const cwd = Buffer.from(process.cwd() + '\0', 'utf8')
    if (cwd.length > n(a[1])) return -34 // ERANGE
    ctx.memory.write(n(a[0]), cwd)
    return cwd.length
  })

const getdents64: SyscallHandler = (ctx, a) => {
  const e = file(ctx, i32(a[0]))
  if (typeof e === 'number') return e
  if (e.kind !== 'dir') return -ENOTDIR
  return host(() => {
    if (e.dirents === undefined) {
      const DT: Record<string, number> = { file: 8, dir: 4, link: 10, other: 0 }
      e.dirents = [{ name: '.', type: 4 }, { name: '..', type: 4 }]
      for (const d of fs.readdirSync(e.path, { withFileTypes: true })) {
        e.dirents.push({ name: d.name, type: d.isFile() ? DT.file : d.isDirectory() ? DT.dir : d.isSymbolicLink() ? DT.link : DT.other })
      }
    }
    const addr = n(a[1])
    const size = n(a[2])
    let off = 0
    while (e.dirents.length > 0) {
      const d = e.dirents[0]
      const name = Buffer.from(d.name + '\0', 'utf8')
      const reclen = Math.ceil((19 + name.length) / 8) * 8
      if (off + reclen > size) break
      const m = ctx.memory
      m.fill(addr + off, reclen)
      m.setU64(addr + off, BigInt(e.position + 1))
      m.setU64(addr + off + 8, BigInt(e.position + 1))
      m.bytes[addr + off + 16] = reclen & 0xff
      m.bytes[addr + off + 17] = reclen >> 8
      m.bytes[addr + off + 18] = d.type
      m.write(addr + off + 19, name)
      off += reclen
      e.position++
      e.dirents.shift()
    }
    if (off === 0 && e.dirents.length > 0) return -EINVAL
    return off
  })
}

const ioctl: SyscallHandler = (ctx, a) => {
  const e = file(ctx, i32(a[0]))
  if (typeof e === 'number') return e
  // No terminal is emulated: TCGETS, TIOCGWINSZ… say "not a tty", so stdio buffers fully.
  return -ENOTTY
}

const fcntl: SyscallHandler = (ctx, a) => {
  const fd = i32(a[0])
  const e = file(ctx, fd)
  if (typeof e === 'number') return e
  switch (i32(a[1])) {
    case 0: // F_DUPFD
    case 1030: // F_DUPFD_CLOEXEC
      return ctx.fds.add(e, n(a[2]))
    case 1: // F_GETFD
    case 2: // F_SETFD
      return 0
    case 3: // F_GETFL
      return e.kind === 'std' ? (e.fd === 0 ? 0 : 1) : e.flags
    case 4: // F_SETFL
      return 0
    default:
      return -EINVAL
  }
}

const dup: SyscallHandler = (ctx, a) => {
  const e = file(ctx, i32(a[0]))
  if (typeof e === 'number') return e
  return ctx.fds.add(e)
}

const dup3: SyscallHandler = (ctx, a) => {
  const e = file(ctx, i32(a[0]))
  if (typeof e === 'number') return e
  const to = i32(a[1])
  if (to === i32(a[0])) return -EINVAL
  ctx.fds.set(to, e)
  return to
}

const unlinkat: SyscallHandler = (ctx, a) =>
  host(() => {
    const p = hostPath(ctx, i32(a[0]), ctx.memory.cString(n(a[1])))
    if (typeof p === 'number') return p
    if (i32(a[2]) & 0x200) fs.rmdirSync(p)
    else fs.unlinkSync(p)
    return 0
  })

const mkdirat: SyscallHandler = (ctx, a) =>
  host(() => {
    const p = hostPath(ctx, i32(a[0]), ctx.memory.cString(n(a[1])))
    if (typeof p === 'number') return p
    fs.mkdirSync(p, Number(a[2] & 0o7777n))
    return 0
  })

const ftruncate: SyscallHandler = (ctx, a) => {
  const e = file(ctx, i32(a[0]))
  if (typeof e === 'number') return e
  if (e.kind !== 'file') return -EINVAL
  return host(() => {
    fs.ftruncateSync(e.hostFd, n(a[1]))
    return 0
  })
}

const fsync: SyscallHandler = (ctx, a) => (ctx.fds.get(i32(a[0])) ? 0 : -EBADF)

export const fsSyscalls: Record<number, SyscallHandler> = {
  [SYS.read]: read,
  [SYS.write]: write,
  [SYS.readv]: readv,
  [SYS.writev]: writev,
  [SYS.pread64]: pread64,
  [SYS.pwrite64]: pwrite64,
  [SYS.openat]: openat,
  [SYS.close]: close,
  [SYS.lseek]: lseek,
  [SYS.fstat]: fstat,
  [SYS.newfstatat]: newfstatat,
  [SYS.readlinkat]: readlinkat,
  [SYS.faccessat]: faccessat,
  [SYS.faccessat2]: faccessat,
  [SYS.getcwd]: getcwd,
  [SYS.getdents64]: getdents64,
  [SYS.ioctl]: ioctl,
  [SYS.fcntl]: fcntl,
  [SYS.dup]: dup,
  [SYS.dup3]: dup3,
  [SYS.unlinkat]: unlinkat,
  [SYS.mkdirat]: mkdirat,
  [SYS.ftruncate]: ftruncate,
  [SYS.fsync]: fsync,
}


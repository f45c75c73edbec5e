// Process and signal calls for a single-threaded guest: exit, ids, uname, resource limits,
// signal bookkeeping (no signal is ever delivered; kill/tgkill of itself ends the guest like the
// default action), futex for one thread, getrandom, and the thread-setup calls glibc makes at
// startup.

import type { SyscallContext, SyscallHandler } from './context.ts'
import { i32, n } from './context.ts'
import { EAGAIN, EINVAL, ENOSYS, ESRCH } from './errno.ts'
import { SYS } from './numbers.ts'

export const GUEST_PID = 4242

const SIGNALS: Record<number, string> = { 1: 'SIGHUP', 2: 'SIGINT', 3: 'SIGQUIT', 4: 'SIGILL', 5: 'SIGTRAP', 6: 'SIGABRT', 7: 'SIGBUS', 8: 'SIGFPE', 9: 'SIGKILL', 11: 'SIGSEGV', 13: 'SIGPIPE', 14: 'SIGALRM', 15: 'SIGTERM' }
/** Signals whose default action is to ignore them. */
const IGNORED = new Set([17, 23, 28]) // SIGCHLD, SIGURG, SIGWINCH

const exit: SyscallHandler = (ctx, a) => ctx.exit(Number(a[0] & 0xffn))

function writeField(ctx: SyscallContext, addr: number, s: string): void {
  ctx.memory.fill(addr, 65)
  ctx.memory.writeCString(addr, s.slice(0, 64))
}

const uname: SyscallHandler = (ctx, a) => {
  const p = n(a[0])
  const fields = ['Linux', 'vm-jit-riscv', '6.1.0', '#1 SMP vm-jit-native', 'riscv64', '(none)']
  fields.forEach((f, k) => writeField(ctx, p + 65 * k, f))
  return 0
}

const RLIM_INFINITY = (1n << 64n) - 1n
const RLIMIT_STACK = 3
const RLIMIT_NOFILE = 7

function rlimit(resource: number): [bigint, bigint] {
  if (resource === RLIMIT_STACK) return [8n << 20n, RLIM_INFINITY]
  if (resource === RLIMIT_NOFILE) return [1024n, 4096n]
  return [RLIM_INFINITY, RLIM_INFINITY]
}

const prlimit64: SyscallHandler = (ctx, a) => {
  const pid = i32(a[0])
  if (pid !== 0 && pid !== GUEST_PID) return -ESRCH
  const old = n(a[3])
  if (old !== 0) {
    const [cur, max] = rlimit(i32(a[1]))
    ctx.memory.setU64(old, cur)
    ctx.memory.setU64(old + 8, max)
  }
  return 0
}

const getrlimit: SyscallHandler = (ctx, a) => {
  const [cur, max] = rlimit(i32(a[0]))
  ctx.memory.setU64(n(a[1]), cur)
  ctx.memory.setU64(n(a[1]) + 8, max)
  return 0
}

const rt_sigaction: SyscallHandler = (ctx, a) => {
  // struct sigaction (kernel): handler, flags, mask: 24 bytes on riscv64 (no restorer).
  if (n(a[2]) !== 0) ctx.memory.fill(n(a[2]), 24)
  return 0
}

const rt_sigprocmask: SyscallHandler = (ctx, a) => {
  if (n(a[2]) !== 0) ctx.memory.fill(n(a[2]), Math.min(n(a[3]), 128))
  return 0
}

const sigaltstack: SyscallHandler = (ctx, a) => {
  if (n(a[1]) !== 0) {
    ctx.memory.fill(n(a[1]), 24)
    ctx.memory.setI32(n(a[1]) + 8, 2) // SS_DISABLE
  }
  return 0
}

function killSelf(ctx: SyscallContext, sig: number): number {
  if (sig === 0 || IGNORED.has(sig)) return 0
  return ctx.exit(128 + sig, SIGNALS[sig] ?? `signal ${sig}`)
}

const kill: SyscallHandler = (ctx, a) => {
  const pid = i32(a[0])
  if (pid !== GUEST_PID && pid !== 0 && pid !== -1) return -ESRCH
  return killSelf(ctx, i32(a[1]))
}

const tgkill: SyscallHandler = (ctx, a) => {
  if (i32(a[1]) !== GUEST_PID) return -ESRCH
  return killSelf(ctx, i32(a[2]))
}

const tkill: SyscallHandler = (ctx, a) => {
  if (i32(a[0]) !== GUEST_PID) return -ESRCH
  return killSelf(ctx, i32(a[1]))
}

const FUTEX_WAIT = 0
const FUTEX_WAKE = 1
const FUTEX_WAIT_BITSET = 9
const FUTEX_WAKE_BITSET = 10

const futex: SyscallHandler = (ctx, a) => {
  const op = i32(a[1]) & 0x7f
  if (op === FUTEX_WAIT || op === FUTEX_WAIT_BITSET) {
    // One thread: nobody could wake us. If the value differs, EAGAIN like the kernel; if it is
    // equal the guest would block forever, which a single-threaded program never intends.
    return ctx.memory.i32(n(a[0])) !== i32(a[2]) ? -EAGAIN : -EINVAL
  }
  if (op === FUTEX_WAKE || op === FUTEX_WAKE_BITSET) return 0
  return -ENOSYS
}

/** Deterministic getrandom: a xorshift stream, so two runs of a program behave the same. */
let randomState = 0x2545f4914f6cdd1dn
const getrandom: SyscallHandler = (ctx, a) => {
  const buf = ctx.memory.read(n(a[0]), n(a[1]))
  for (let k = 0; k < buf.length; k++) {
    randomState ^= randomState << 13n
    randomState &= (1n << 64n) - 1n
    randomState ^= randomState >> 7n
    randomState ^= randomState << 17n
    randomState &= (1n << 64n) - 1n
    buf[k] = Number(randomState & 0xffn)
  }
  return buf.length
}

const sched_getaffinity: SyscallHandler = (ctx, a) => {
  const size = n(a[1])
  if (size < 8) return -EINVAL
  ctx.memory.fill(n(a[2]), size)
  ctx.memory.bytes[n(a[2])] = 1
  return 8
}

const getrusage: SyscallHandler = (ctx, a) => {
  ctx.memory.fill(n(a[1]), 144)
  const us = BigInt(Math.floor((performance.now() - ctx.startMs) * 1000))
  ctx.memory.setI64(n(a[1]), us / 1_000_000n)
  ctx.memory.setI64(n(a[1]) + 8, us % 1_000_000n)
  return 0
}

const sysinfo: SyscallHandler = (ctx, a) => {
  const p = n(a[0])
  ctx.memory.fill(p, 112)
  ctx.memory.setI64(p, Math.floor(process.uptime()))
  ctx.memory.setU64(p + 32, ctx.memory.size) // totalram
  ctx.memory.setU64(p + 40, ctx.memory.size - ctx.memory.brk) // freeram
  ctx.memory.setI32(p + 104, 1) // mem_unit
  return 0
}

const constant = (v: number): SyscallHandler => () => v

export const processSyscalls: Record<number, SyscallHandler> = {
  [SYS.exit]: exit,
  [SYS.exit_group]: exit,
  [SYS.getpid]: constant(GUEST_PID),
  [SYS.gettid]: constant(GUEST_PID),
  [SYS.getppid]: constant(1),
  [SYS.getuid]: constant(1000),
  [SYS.geteuid]: constant(1000),
  [SYS.getgid]: constant(1000),
  [SYS.getegid]: constant(1000),
  [SYS.set_tid_address]: constant(GUEST_PID),
  [SYS.set_robust_list]: constant(0),
  [SYS.uname]: uname,
  [SYS.prlimit64]: prlimit64,
  [SYS.getrlimit]: getrlimit,
  [SYS.setrlimit]: constant(0),
  [SYS.rt_sigaction]: rt_sigaction,
  [SYS.rt_sigprocmask]: rt_sigprocmask,
  [SYS.sigaltstack]: sigaltstack,
  [SYS.kill]: kill,
  [SYS.tgkill]: tgkill,
  [SYS.tkill]: tkill,
  [SYS.futex]: futex,
  [SYS.getrandom]: getrandom,
  [SYS.sched_getaffinity]: sched_getaffinity,
  [SYS.sched_yield]: constant(0),
  [SYS.getrusage]: getrusage,
  [SYS.sysinfo]: sysinfo,
  [SYS.umask]: constant(0o022),
  [SYS.riscv_flush_icache]: constant(0),
}

// Time: clock_gettime, clock_getres, gettimeofday, nanosleep/clock_nanosleep (they really sleep),
// times. There is no vDSO, so glibc makes these real system calls.

import type { SyscallContext, SyscallHandler } from './context.ts'
import { i32, n } from './context.ts'
import { EINVAL } from './errno.ts'
import { SYS } from './numbers.ts'

const CLOCK_REALTIME = 0
const CLOCK_REALTIME_COARSE = 5
const CLOCK_TAI = 11

/** Nanoseconds on the given clock. */
function clockNs(ctx: SyscallContext, clock: number): bigint | undefined {
  if (clock === CLOCK_REALTIME || clock === CLOCK_REALTIME_COARSE || clock === CLOCK_TAI) {
    return BigInt(Date.now()) * 1_000_000n + (process.hrtime.bigint() % 1_000_000n)
  }
  if (clock >= 1 && clock <= 9) return process.hrtime.bigint() // monotonic, raw, boottime, cpu times
  return undefined
}

function writeTimespec(ctx: SyscallContext, addr: number, ns: bigint): void {
  ctx.memory.setI64(addr, ns / 1_000_000_000n)
  ctx.memory.setI64(addr + 8, ns % 1_000_000_000n)
}

const clock_gettime: SyscallHandler = (ctx, a) => {
  const ns = clockNs(ctx, i32(a[0]))
  if (ns === undefined) return -EINVAL
  writeTimespec(ctx, n(a[1]), ns)
  return 0
}

const clock_getres: SyscallHandler = (ctx, a) => {
  if (clockNs(ctx, i32(a[0])) === undefined) return -EINVAL
  if (n(a[1]) !== 0) writeTimespec(ctx, n(a[1]), 1n)
  return 0
}

const gettimeofday: SyscallHandler = (ctx, a) => {
  if (n(a[0]) !== 0) {
    const us = BigInt(Date.now()) * 1000n
    ctx.memory.setI64(n(a[0]), us / 1_000_000n)
    ctx.memory.setI64(n(a[0]) + 8, us % 1_000_000n)
  }
  return 0
}

function sleepNs(ns: bigint): void {
  const ms = Number(ns / 1_000_000n)
  if (ms > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)
}

const nanosleep: SyscallHandler = (ctx, a) => {
  const sec = ctx.memory.u64(n(a[0]))
  const nsec = ctx.memory.u64(n(a[0]) + 8)
  sleepNs(sec * 1_000_000_000n + nsec)
  return 0
}

const clock_nanosleep: SyscallHandler = (ctx, a) => {
  const t = n(a[2])
  let ns = ctx.memory.u64(t) * 1_000_000_000n + ctx.memory.u64(t + 8)
  if (i32(a[1]) & 1) ns -= clockNs(ctx, i32(a[0])) ?? 0n // TIMER_ABSTIME
  if (ns > 0n) sleepNs(ns)
  return 0
}

const times: SyscallHandler = (ctx, a) => {
  const ticks = BigInt(Math.floor(((performance.now() - ctx.startMs) / 1000) * 100))
  if (n(a[0]) !== 0) {
    ctx.memory.setI64(n(a[0]), ticks)
    for (let k = 1; k < 4; k++) ctx.memory.setI64(n(a[0]) + 8 * k, 0)
  }
  return ticks
}

export const timeSyscalls: Record<number, SyscallHandler> = {
  [SYS.clock_gettime]: clock_gettime,
  [SYS.clock_getres]: clock_getres,
  [SYS.gettimeofday]: gettimeofday,
  [SYS.nanosleep]: nanosleep,
  [SYS.clock_nanosleep]: clock_nanosleep,
  [SYS.times]: times,
}

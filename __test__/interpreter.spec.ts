// The interpreter as the executable specification: the results docs/IR.md defines (total
// division, shifts modulo the width, saturating conversions, canonical NaN, fuel, marks…), each
// computed independently in JS here. Every check also runs every Cranelift tier and requires it to
// agree with the interpreter bit for bit (support/engines.ts).

import test from 'ava'
import type { ExecutionContext } from 'ava'
import { IRBuilder, Interpreter } from 'vm-jit-native'
import type { Value } from 'vm-jit-native'
import { evalOp, runAgreeing } from './support/engines.ts'
import type { ArgSpec } from './support/engines.ts'

type IntT = 'i8' | 'i16' | 'i32' | 'i64'
const INTS: Array<[IntT, number]> = [['i8', 8], ['i16', 16], ['i32', 32], ['i64', 64]]

const f64 = (x: number): bigint => {
  const d = new DataView(new ArrayBuffer(8))
  d.setFloat64(0, x, true)
  return d.getBigUint64(0, true)
}
const f32 = (x: number): bigint => {
  const d = new DataView(new ArrayBuffer(4))
  d.setFloat32(0, x, true)
  return BigInt(d.getUint32(0, true))
}
const NAN64 = 0x7ff8000000000000n
const NAN32 = 0x7fc00000n

function bin(t: ExecutionContext, type: ArgSpec[0], op: string, a: bigint, b: bigint): bigint {
  return evalOp(t, [[type, a], [type, b]], (bb, x, y) => (bb as any)[op](x, y) as Value)
}
function un(t: ExecutionContext, type: ArgSpec[0], op: string, a: bigint): bigint {
  return evalOp(t, [[type, a]], (bb, x) => (bb as any)[op](x) as Value)
}
const u = (bits: number, x: bigint) => BigInt.asUintN(bits, x)
const s = (bits: number, x: bigint) => BigInt.asIntN(bits, x)

test('division and remainder are total (docs/IR.md "Total semantics")', (t) => {
  for (const [T, N] of INTS) {
    const ALL = (1n << BigInt(N)) - 1n
    const MIN = 1n << BigInt(N - 1)
    t.is(bin(t, T, 'udiv', 7n, 0n), ALL, `${T} udiv x,0`)
    t.is(bin(t, T, 'urem', 7n, 0n), 7n, `${T} urem x,0`)
    t.is(bin(t, T, 'sdiv', 7n, 0n), ALL, `${T} sdiv x,0`)
    t.is(bin(t, T, 'srem', u(N, -7n), 0n), u(N, -7n), `${T} srem x,0`)
    t.is(bin(t, T, 'sdiv', MIN, ALL), MIN, `${T} sdiv MIN,-1`)
    t.is(bin(t, T, 'srem', MIN, ALL), 0n, `${T} srem MIN,-1`)
    t.is(bin(t, T, 'sdiv', u(N, -7n), 2n), u(N, -3n), `${T} sdiv truncates`)
    t.is(bin(t, T, 'srem', u(N, -7n), 2n), u(N, -1n), `${T} srem sign of dividend`)
    t.is(bin(t, T, 'udiv', ALL, 2n), ALL >> 1n, `${T} udiv unsigned`)
    t.is(bin(t, T, 'urem', ALL, 10n), ALL % 10n, `${T} urem unsigned`)
  }
})

test('shift and rotate amounts are taken modulo the width', (t) => {
  for (const [T, N] of INTS) {
    const n = BigInt(N)
    const top = 1n << (n - 1n)
    t.is(bin(t, T, 'shl', 1n, n + 1n), 2n, `${T} shl by width+1`)
    t.is(bin(t, T, 'shl', 1n, n), 1n, `${T} shl by width`)
    t.is(bin(t, T, 'ushr', top, n + 1n), top >> 1n, `${T} ushr`)
    t.is(bin(t, T, 'sshr', top, n + 1n), top | (top >> 1n), `${T} sshr`)
    t.is(bin(t, T, 'rotl', top | 1n, n + 1n), 3n, `${T} rotl`)
    t.is(bin(t, T, 'rotr', 3n, n + 1n), top | 1n, `${T} rotr`)
    t.is(bin(t, T, 'shl', 1n, (1n << n) - 1n), top, `${T} shl by all-ones`)
  }
})

test('clz, ctz, popcnt; clz 0 and ctz 0 are the width', (t) => {
  for (const [T, N] of INTS) {
    t.is(un(t, T, 'clz', 0n), BigInt(N), `${T} clz 0`)
    t.is(un(t, T, 'ctz', 0n), BigInt(N), `${T} ctz 0`)
    t.is(un(t, T, 'clz', 1n), BigInt(N - 1), `${T} clz 1`)
    t.is(un(t, T, 'ctz', 1n << BigInt(N - 1)), BigInt(N - 1), `${T} ctz top`)
    t.is(un(t, T, 'popcnt', (1n << BigInt(N)) - 1n), BigInt(N), `${T} popcnt`)
    t.is(un(t, T, 'not', 0n), (1n << BigInt(N)) - 1n, `${T} not`)
    t.is(un(t, T, 'neg', 1n), (1n << BigInt(N)) - 1n, `${T} neg`)
  }
})

test('high multiplies: unsigned, signed, signed x unsigned', (t) => {
  for (const [T, N] of INTS) {
    const n = BigInt(N)
    const hi = (a: bigint, b: bigint, sa: boolean, sb: boolean) => u(N, ((sa ? s(N, a) : a) * (sb ? s(N, b) : b)) >> n)
    const samples = [0n, 1n, 3n, (1n << n) - 1n, 1n << (n - 1n), (1n << (n - 1n)) - 1n, 0x5an]
    for (const a of samples) {
      for (const b of samples) {
        t.is(bin(t, T, 'umulhi', a, b), hi(a, b, false, false), `${T} umulhi ${a} ${b}`)
        t.is(bin(t, T, 'smulhi', a, b), hi(a, b, true, true), `${T} smulhi ${a} ${b}`)
        t.is(bin(t, T, 'sumulhi', a, b), hi(a, b, true, false), `${T} sumulhi ${a} ${b}`)
      }
    }
  }
})

test('float to int conversions saturate; NaN gives 0', (t) => {
  const cv = (op: string, to: 'i32' | 'i64', from: 'f32' | 'f64', x: number) =>
    evalOp(t, [[from, from === 'f64' ? f64(x) : f32(x)]], (b, v) => (b as any)[op](to, v) as Value)
  t.is(cv('fcvtToSint', 'i32', 'f64', NaN), 0n)
  t.is(cv('fcvtToSint', 'i32', 'f64', 1e30), 0x7fffffffn)
  t.is(cv('fcvtToSint', 'i32', 'f64', -1e30), 0x80000000n)
  t.is(cv('fcvtToSint', 'i32', 'f64', Infinity), 0x7fffffffn)
  t.is(cv('fcvtToSint', 'i32', 'f64', -1.9), 0xffffffffn)
  t.is(cv('fcvtToSint', 'i32', 'f64', 2147483647.9), 0x7fffffffn)
  t.is(cv('fcvtToSint', 'i32', 'f64', -2147483648.9), 0x80000000n)
  t.is(cv('fcvtToUint', 'i32', 'f64', -1), 0n)
  t.is(cv('fcvtToUint', 'i32', 'f64', -0.9), 0n)
  t.is(cv('fcvtToUint', 'i32', 'f64', 3e9), 3000000000n)
  t.is(cv('fcvtToUint', 'i32', 'f64', 5e9), 0xffffffffn)
  t.is(cv('fcvtToUint', 'i32', 'f32', NaN), 0n)
  t.is(cv('fcvtToSint', 'i64', 'f32', 1e30), 0x7fffffffffffffffn)
  t.is(cv('fcvtToSint', 'i64', 'f32', -Infinity), 0x8000000000000000n)
  t.is(cv('fcvtToSint', 'i64', 'f64', NaN), 0n)
  t.is(cv('fcvtToUint', 'i64', 'f64', 1e20), 0xffffffffffffffffn)
  t.is(cv('fcvtToUint', 'i64', 'f64', 2 ** 63), 1n << 63n)
  t.is(cv('fcvtToUint', 'i64', 'f64', -Infinity), 0n)
  t.is(cv('fcvtToSint', 'i64', 'f64', -(2 ** 63)), 0x8000000000000000n)
})

test('int to float rounds to nearest, ties to even', (t) => {
  const cv = (op: string, to: 'f32' | 'f64', from: 'i32' | 'i64', x: bigint) =>
    evalOp(t, [[from, x]], (b, v) => (b as any)[op](to, v) as Value)
  t.is(cv('fcvtFromUint', 'f64', 'i64', (1n << 53n) + 1n), f64(2 ** 53))
  t.is(cv('fcvtFromUint', 'f64', 'i64', (1n << 53n) + 3n), f64(2 ** 53 + 4))
  t.is(cv('fcvtFromUint', 'f64', 'i64', 0xffffffffffffffffn), f64(2 ** 64))
  t.is(cv('fcvtFromSint', 'f64', 'i64', 0x8000000000000000n), f64(-(2 ** 63)))
  t.is(cv('fcvtFromSint', 'f64', 'i64', 0xffffffffffffffffn), f64(-1))
  t.is(cv('fcvtFromUint', 'f32', 'i32', 0xffffffffn), f32(2 ** 32))
  t.is(cv('fcvtFromSint', 'f32', 'i32', 0xffffffffn), f32(-1))
  t.is(cv('fcvtFromSint', 'f32', 'i64', (1n << 24n) + 1n), f32(2 ** 24))
  t.is(cv('fcvtFromSint', 'f32', 'i64', (1n << 24n) + 3n), f32(2 ** 24 + 4))
  t.is(cv('fcvtFromUint', 'f32', 'i64', 0xffffffffffffffffn), f32(2 ** 64))
})

test('NaN results are canonical; fneg/fabs/fcopysign/bitcast keep payloads', (t) => {
  const sNaN64 = 0x7ff0000000000001n
  const negNaN64 = 0xfff8000000000005n
  t.is(bin(t, 'f64', 'fadd', sNaN64, f64(1)), NAN64)
  t.is(bin(t, 'f64', 'fsub', negNaN64, f64(1)), NAN64)
  t.is(bin(t, 'f64', 'fmul', f64(0), f64(Infinity)), NAN64)
  t.is(bin(t, 'f64', 'fdiv', f64(0), f64(0)), NAN64)
  t.is(bin(t, 'f32', 'fdiv', f32(0), f32(0)), NAN32)
  t.is(bin(t, 'f32', 'fadd', 0x7f800001n, f32(1)), NAN32)
  t.is(un(t, 'f64', 'fsqrt', f64(-1)), NAN64)
  t.is(un(t, 'f32', 'fsqrt', f32(-1)), NAN32)
  t.is(bin(t, 'f64', 'fmin', negNaN64, f64(1)), NAN64)
  t.is(bin(t, 'f64', 'fmax', f64(1), sNaN64), NAN64)
  t.is(bin(t, 'f32', 'fmin', f32(1), 0xffc00001n), NAN32)
  t.is(evalOp(t, [['f64', negNaN64], ['f64', f64(1)], ['f64', f64(1)]], (b, x, y, z) => b.fma(x!, y!, z!)), NAN64)
  t.is(evalOp(t, [['f32', 0x7f800001n]], (b, x) => b.fpromote(x!)), NAN64)
  t.is(evalOp(t, [['f64', 0xfff0000000000001n]], (b, x) => b.fdemote(x!)), NAN32)
  // pure bit operations
  t.is(un(t, 'f64', 'fneg', sNaN64), 0xfff0000000000001n)
  t.is(un(t, 'f64', 'fabs', negNaN64), 0x7ff8000000000005n)
  t.is(un(t, 'f32', 'fneg', 0x7f800001n), 0xff800001n)
  t.is(bin(t, 'f32', 'fcopysign', 0x7fc00001n, f32(-1)), 0xffc00001n)
  t.is(bin(t, 'f64', 'fcopysign', f64(-2), f64(0)), f64(2))
  t.is(evalOp(t, [['f64', sNaN64]], (b, x) => b.bitcast('i64', x!)), sNaN64)
  t.is(evalOp(t, [['i32', 0x7f800001n]], (b, x) => b.bitcast('f32', x!)), 0x7f800001n)
})

test('fmin/fmax order -0 below +0', (t) => {
  for (const [T, conv] of [['f64', f64], ['f32', f32]] as const) {
    t.is(bin(t, T, 'fmin', conv(-0), conv(0)), conv(-0), `${T} fmin(-0, +0)`)
    t.is(bin(t, T, 'fmin', conv(0), conv(-0)), conv(-0), `${T} fmin(+0, -0)`)
    t.is(bin(t, T, 'fmax', conv(-0), conv(0)), conv(0), `${T} fmax(-0, +0)`)
    t.is(bin(t, T, 'fmax', conv(0), conv(-0)), conv(0), `${T} fmax(+0, -0)`)
    t.is(bin(t, T, 'fmin', conv(-3), conv(2)), conv(-3))
    t.is(bin(t, T, 'fmax', conv(-3), conv(2)), conv(2))
  }
})

test('fma rounds once', (t) => {
  // 0.1 * 10 - 1 is 2^-54 exactly when fused, 0 when the product is rounded first.
  t.is(evalOp(t, [['f64', f64(0.1)], ['f64', f64(10)], ['f64', f64(-1)]], (b, x, y, z) => b.fma(x!, y!, z!)), f64(2 ** -54))
  t.is(evalOp(t, [['f32', f32(0.1)], ['f32', f32(10)], ['f32', f32(-1)]], (b, x, y, z) => b.fma(x!, y!, z!)), f32(2 ** -26))
})

test('fcmp: ne is true when unordered, the rest but uno false', (t) => {
  const cmp = (cc: string, a: bigint, b: bigint) => evalOp(t, [['f64', a], ['f64', b]], (bb, x, y) => bb.fcmp(cc as any, x!, y!))
  const expectNaN: Record<string, bigint> = { eq: 0n, ne: 1n, lt: 0n, le: 0n, gt: 0n, ge: 0n, uno: 1n, ord: 0n }
  for (const [cc, r] of Object.entries(expectNaN)) t.is(cmp(cc, NAN64, f64(1)), r, `${cc} with NaN`)
  const expect12: Record<string, bigint> = { eq: 0n, ne: 1n, lt: 1n, le: 1n, gt: 0n, ge: 0n, uno: 0n, ord: 1n }
  for (const [cc, r] of Object.entries(expect12)) t.is(cmp(cc, f64(1), f64(2)), r, `1 ${cc} 2`)
  t.is(cmp('eq', f64(-0), f64(0)), 1n)
})

test('icmp signed vs unsigned; select on any non-zero; extensions', (t) => {
  const icmp = (cc: string, T: IntT, a: bigint, b: bigint) => evalOp(t, [[T, a], [T, b]], (bb, x, y) => bb.icmp(cc as any, x!, y!))
  t.is(icmp('slt', 'i8', 0xffn, 0n), 1n)
  t.is(icmp('ult', 'i8', 0xffn, 0n), 0n)
  t.is(icmp('sge', 'i64', 0n, 1n << 63n), 1n)
  t.is(icmp('ugt', 'i64', 0n, 1n << 63n), 0n)
  t.is(icmp('eq', 'i32', 5n, 5n), 1n)
  const sel = (c: bigint) => evalOp(t, [['i64', c], ['i32', 11n], ['i32', 22n]], (b, x, y, z) => b.select(x!, y!, z!))
  t.is(sel(0n), 22n)
  t.is(sel(2n), 11n)
  t.is(sel(1n << 63n), 11n)
  t.is(evalOp(t, [['i8', 0x80n]], (b, x) => b.sext('i64', x!)), 0xffffffffffffff80n)
  t.is(evalOp(t, [['i8', 0x80n]], (b, x) => b.zext('i64', x!)), 0x80n)
  t.is(evalOp(t, [['i16', 0x8001n]], (b, x) => b.sext('i32', x!)), 0xffff8001n)
  t.is(evalOp(t, [['i64', 0x123456789n]], (b, x) => b.trunc('i32', x!)), 0x23456789n)
  t.is(evalOp(t, [['f32', f32(1.5)]], (b, x) => b.fpromote(x!)), f64(1.5))
  t.is(evalOp(t, [['f64', f64(0.1)]], (b, x) => b.fdemote(x!)), f32(0.1))
})

test('loads zero/sign-extend, stores write low bytes, unaligned little-endian', (t) => {
  const b = new IRBuilder({ pc: 0x40n })
  const at = (x: bigint) => b.i64(x)
  b.setState(0, b.load('i32', at(1n), { width: 2, signed: true }))
  b.setState(4, b.load('i32', at(1n), { width: 2 }))
  b.setState(8, b.load('i64', at(3n)))
  b.setState(16, b.load('f64', at(3n)))
  b.store(at(20n), b.i64(0x1122334455667788n), { width: 1 })
  b.store(at(30n), b.i64(0x1122334455667788n), { width: 2 })
  b.store(at(41n), b.f32(-2))
  b.exit(0n)
  const memory = new Uint8Array(64).fill(0xee)
  memory.set([0x00, 0x80], 1)
  const run = runAgreeing(t, b.finish(), new Uint8Array(24), memory)
  const st = new DataView(run.state.buffer)
  t.is(st.getUint32(0, true), 0xffff8000)
  t.is(st.getUint32(4, true), 0x8000)
  t.is(st.getBigUint64(8, true), new DataView(memory.buffer).getBigUint64(3, true))
  t.is(st.getBigUint64(16, true), new DataView(memory.buffer).getBigUint64(3, true))
  t.deepEqual([...run.memory.subarray(19, 22)], [0xee, 0x88, 0xee])
  t.deepEqual([...run.memory.subarray(29, 33)], [0xee, 0x88, 0x77, 0xee])
  t.is(new DataView(run.memory.buffer).getFloat32(41, true), -2)
})

test('locals start at zero in every run', (t) => {
  const b = new IRBuilder()
  const l = b.local('i64')
  const f = b.local('f64')
  b.setState(0, b.get(l))
  b.setState(8, b.get(f))
  b.set(l, b.i64(5n))
  b.exit(0n)
  const run = runAgreeing(t, b.finish(), new Uint8Array(16).fill(0xff), new Uint8Array(0))
  t.deepEqual([...run.state], new Array(16).fill(0))
})

test('exit, halt and trap report their pc and code', (t) => {
  const mk = (end: (b: IRBuilder) => void) => {
    const b = new IRBuilder({ pc: 0x1000n })
    end(b)
    return runAgreeing(t, b.finish(), new Uint8Array(8), new Uint8Array(0)).exit
  }
  t.deepEqual(mk((b) => b.exit(b.getState('i64', 0))), { reason: 'exit', pc: 0n, fuelLeft: 1_000_000_000n })
  t.deepEqual(mk((b) => b.halt()), { reason: 'halt', pc: 0x1000n, fuelLeft: 1_000_000_000n })
  t.deepEqual(mk((b) => b.trap(0xffffffff, 0x1234n)), { reason: 'trap', pc: 0x1234n, trapCode: 0xffffffff, fuelLeft: 1_000_000_000n })
  t.deepEqual(mk((b) => { b.mark(0x1008n); b.trap(7) }), { reason: 'trap', pc: 0x1008n, trapCode: 7, fuelLeft: 1_000_000_000n })
  t.deepEqual(mk((b) => b.exit(-1n)), { reason: 'exit', pc: 0xffffffffffffffffn, fuelLeft: 1_000_000_000n })
})

test('fuel: each back edge costs one; exhaustion exits at the branch mark after the side effects so far', (t) => {
  const counter = () => {
    const b = new IRBuilder({ pc: 0x10n })
    const i = b.local('i64')
    const loop = b.label(), done = b.label()
    b.bind(loop)
    b.mark(0x14n)
    const next = b.add(b.get(i), b.i64(1n))
    b.set(i, next)
    b.setState(0, next)
    b.mark(0x18n)
    b.branchIf(b.icmp('ult', next, b.i64(10n)), loop, done)
    b.bind(done)
    b.exit(0x1cn)
    return b.finish()
  }
  const block = counter()
  const full = runAgreeing(t, block, new Uint8Array(8), new Uint8Array(0), { fuel: 100 })
  t.deepEqual(full.exit, { reason: 'exit', pc: 0x1cn, fuelLeft: 91n }) // 9 back edges
  t.is(full.state[0], 10)
  const short = runAgreeing(t, block, new Uint8Array(8), new Uint8Array(0), { fuel: 5 })
  t.deepEqual(short.exit, { reason: 'fuel', pc: 0x18n, fuelLeft: 0n })
  t.is(short.state[0], 6)
  const none = runAgreeing(t, block, new Uint8Array(8), new Uint8Array(0), { fuel: 0n })
  t.deepEqual(none.exit, { reason: 'fuel', pc: 0x18n, fuelLeft: 0n })
  t.is(none.state[0], 1)
  const exact = runAgreeing(t, block, new Uint8Array(8), new Uint8Array(0), { fuel: 9 })
  t.deepEqual(exact.exit, { reason: 'exit', pc: 0x1cn, fuelLeft: 0n })
  const unlimited = runAgreeing(t, block, new Uint8Array(8), new Uint8Array(0), { fuel: Infinity })
  t.is(unlimited.exit.reason, 'exit')
})

test('fuel: forward edges and calls are free', (t) => {
  const b = new IRBuilder()
  const h = b.function({ result: 'i32' }, (f) => f.ret(f.i32(3)))
  const a = b.label(), c = b.label()
  b.jump(a)
  b.bind(a)
  b.branchIf(b.call(h)!, c, c)
  b.bind(c)
  b.exit(0n)
  t.deepEqual(runAgreeing(t, b.finish(), new Uint8Array(0), new Uint8Array(0), { fuel: 0 }).exit, { reason: 'exit', pc: 0n, fuelLeft: 0n })
})

test('the mark of an op is static: the nearest preceding mark in op order', (t) => {
  const b = new IRBuilder({ pc: 0x100n })
  b.mark(0x10n)
  const later = b.label()
  b.jump(later)
  const never = b.label()
  b.bind(never)
  b.mark(0x30n) // never executed, but precedes the load in op order
  b.exit(0n)
  b.bind(later)
  b.load('i64', b.i64(1000n))
  b.exit(0n)
  t.deepEqual(runAgreeing(t, b.finish(), new Uint8Array(0), new Uint8Array(16)).exit, {
    reason: 'fault', pc: 0x30n, faultAddress: 1000n, fuelLeft: 1_000_000_000n,
  })
})

test('faults and fuel inside a helper report the mark of the main-body call', (t) => {
  const b = new IRBuilder({ pc: 0x100n })
  const loadAt = b.function({ params: ['i64'], result: 'i64' }, (f, a) => {
    f.mark(0x999n) // helper marks do not count
    f.ret(f.load('i64', a!))
  })
  const spin = b.function({}, (f) => {
    const l = f.label()
    f.bind(l)
    f.jump(l)
  })
  b.mark(0x104n)
  const addr = b.getState('i64', 0)
  b.setState(8, b.call(loadAt, addr)!)
  b.mark(0x108n)
  b.call(spin)
  b.exit(0n)
  const block = b.finish()
  const state = new Uint8Array(16)
  new DataView(state.buffer).setBigUint64(0, 0xfffffffffffffffcn, true)
  t.deepEqual(runAgreeing(t, block, state, new Uint8Array(8)).exit, {
    reason: 'fault', pc: 0x104n, faultAddress: 0xfffffffffffffffcn, fuelLeft: 1_000_000_000n,
  })
  state.fill(0)
  const r = runAgreeing(t, block, state, new Uint8Array(8), { fuel: 3 })
  t.deepEqual(r.exit, { reason: 'fuel', pc: 0x108n, fuelLeft: 0n })
})

test('Interpreter.run validates its arguments', (t) => {
  const b = new IRBuilder()
  b.exit(0n)
  const block = b.finish()
  const it = new Interpreter()
  t.throws(() => it.run({ bytes: block.bytes } as any, new Uint8Array(0), new Uint8Array(0)), {
    instanceOf: TypeError, message: /Interpreter\.run: expected a Block/,
  })
  t.throws(() => it.run(block, [1, 2] as any, new Uint8Array(0)), { instanceOf: TypeError, message: /Interpreter\.run: state must be a typed array/ })
  t.throws(() => it.run(block, new Uint8Array(0), new Uint8Array(0), { fule: 1 } as any), { instanceOf: TypeError, message: /unknown option 'fule'/ })
  t.deepEqual(it.run(block, new ArrayBuffer(0), new ArrayBuffer(0)), { reason: 'exit', pc: 0n, fuelLeft: 1_000_000_000n })
})

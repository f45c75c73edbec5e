// IRWriter: the same calls give the same bytes as IRBuilder (random programs of every op it has,
// run through both), the native verifier catches what it does not check itself, and its own
// checks fail at the call with the method named.

import test from 'ava'
import { IRBuilder, IRWriter, Interpreter } from 'vm-jit-native'
import type { IRType, Label, Local, Value } from 'vm-jit-native'
import { toHex } from './support/hex.ts'

/** Both builders behind one interface: ids for the writer, handles for the builder. */
interface Pair {
  b: IRBuilder
  w: IRWriter
  vals: Array<{ v: Value; id: number; type: IRType }>
  labels: Array<{ l: Label; id: number; bound: boolean }>
  locals: Array<{ l: Local; id: number; type: IRType }>
}

function rng(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0
    return s / 0x1_0000_0000
  }
}

const INT: IRType[] = ['i8', 'i16', 'i32', 'i64']
const FLOAT: IRType[] = ['f32', 'f64']
const WIDTH: Record<IRType, 1 | 2 | 4 | 8> = { i8: 1, i16: 2, i32: 4, i64: 8, f32: 4, f64: 8 }

function randomBlock(seed: number): { b: Uint8Array; w: Uint8Array } {
  const r = rng(seed)
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!
  const p: Pair = { b: new IRBuilder({ pc: 0x1000 + seed }), w: new IRWriter({ pc: 0x1000 + seed }), vals: [], labels: [], locals: [] }
  const put = (v: Value, id: number, type: IRType): void => {
    p.vals.push({ v, id, type })
  }
  // Values usable here: defined in the current segment (after the last label) — dominance by
  // construction, so the verifier accepts every block both builders write.
  let segmentStart = 0
  const ofType = (t: IRType) => p.vals.slice(segmentStart).filter((x) => x.type === t)
  const some = (t: IRType) => {
    const xs = ofType(t)
    if (xs.length > 0 && r() < 0.8) return pick(xs)
    // A fresh constant of that type.
    if (t === 'f32' || t === 'f64') {
      const x = pick([0, -0, 1.5, -2.25, Infinity, NaN, 1e300, r()])
      const c = { v: p.b.const(t, x), id: p.w.const(t, x), type: t }
      p.vals.push(c)
      return c
    }
    const big = r() < 0.3
    const x = big ? BigInt.asUintN(Number(WIDTH[t]) * 8, BigInt(Math.floor(r() * 2 ** 52)) * 4097n) : Math.floor((r() - 0.5) * 2 ** Math.min(52, Number(WIDTH[t]) * 8 - 1))
    const c = t === 'i64' && typeof x === 'number' ? { v: p.b.i64(x), id: p.w.i64(x), type: t } : { v: p.b.const(t, x), id: p.w.const(t, x), type: t }
    p.vals.push(c)
    return c
  }
  p.locals.push({ l: p.b.local('i64'), id: p.w.local('i64'), type: 'i64' })
  p.locals.push({ l: p.b.local('f64'), id: p.w.local('f64'), type: 'f64' })
  const n = 20 + Math.floor(r() * 60)
  for (let k = 0; k < n; k++) {
    const it = pick(INT)
    const ft = pick(FLOAT)
    switch (Math.floor(r() * 16)) {
      case 0: {
        const off = 8 * Math.floor(r() * 64)
        put(p.b.getState(it, off), p.w.getState(it, off), it)
        break
      }
      case 1: {
        const x = some(ft)
        const off = 8 * Math.floor(r() * 64)
        p.b.setState(off, x.v)
        p.w.setState(off, x.id)
        break
      }
      case 2: {
        const a = some('i64')
        const width = WIDTH[it] === 1 ? 1 : pick([1, 2, 4, 8].filter((w) => w <= WIDTH[it])) as 1 | 2 | 4 | 8
        const signed = r() < 0.5
        if (r() < 0.3) put(p.b.load(it, a.v), p.w.load(it, a.id), it) // default width and signedness
        else put(p.b.load(it, a.v, { width, signed }), p.w.load(it, a.id, width, signed), it)
        const f = pick(FLOAT)
        put(p.b.load(f, a.v), p.w.load(f, a.id), f)
        break
      }
      case 3: {
        const a = some('i64')
        const x = some(it)
        if (r() < 0.5) {
          p.b.store(a.v, x.v)
          p.w.store(a.id, x.id)
        } else {
          p.b.store(a.v, x.v, { width: 1 })
          p.w.store(a.id, x.id, 1)
        }
        break
      }
      case 4: {
        const op = pick(['add', 'sub', 'mul', 'umulhi', 'smulhi', 'sumulhi', 'udiv', 'sdiv', 'urem', 'srem', 'and', 'or', 'xor', 'shl', 'ushr', 'sshr', 'rotl', 'rotr'] as const)
        const [x, y] = [some(it), some(it)]
        put(p.b[op](x.v, y.v), p.w[op](x.id, y.id), it)
        break
      }
      case 5: {
        const op = pick(['not', 'neg', 'clz', 'ctz', 'popcnt'] as const)
        const x = some(it)
        put(p.b[op](x.v), p.w[op](x.id), it)
        break
      }
      case 6: {
        const cc = pick(['eq', 'ne', 'slt', 'sle', 'sgt', 'sge', 'ult', 'ule', 'ugt', 'uge'] as const)
        const [x, y] = [some(it), some(it)]
        put(p.b.icmp(cc, x.v, y.v), p.w.icmp(cc, x.id, y.id), 'i8')
        break
      }
      case 7: {
        const [c, x, y] = [some('i8'), some(ft), some(ft)]
        put(p.b.select(c.v, x.v, y.v), p.w.select(c.id, x.id, y.id), ft)
        break
      }
      case 8: {
        const x = some(pick(['i8', 'i16', 'i32'] as IRType[]))
        const op = pick(['zext', 'sext'] as const)
        put(p.b[op]('i64', x.v), p.w[op]('i64', x.id), 'i64')
        const y = some('i64')
        put(p.b.trunc('i32', y.v), p.w.trunc('i32', y.id), 'i32')
        break
      }
      case 9: {
        const op = pick(['fadd', 'fsub', 'fmul', 'fdiv', 'fmin', 'fmax', 'fcopysign'] as const)
        const [x, y] = [some(ft), some(ft)]
        put(p.b[op](x.v, y.v), p.w[op](x.id, y.id), ft)
        const u = pick(['fsqrt', 'fneg', 'fabs'] as const)
        put(p.b[u](x.v), p.w[u](x.id), ft)
        break
      }
      case 10: {
        const [x, y, z] = [some(ft), some(ft), some(ft)]
        put(p.b.fma(x.v, y.v, z.v), p.w.fma(x.id, y.id, z.id), ft)
        const cc = pick(['eq', 'ne', 'lt', 'le', 'gt', 'ge', 'uno', 'ord'] as const)
        put(p.b.fcmp(cc, x.v, y.v), p.w.fcmp(cc, x.id, y.id), 'i8')
        break
      }
      case 11: {
        const f = some(ft)
        const ti = pick(['i32', 'i64'] as IRType[])
        put(p.b.fcvtToSint(ti, f.v), p.w.fcvtToSint(ti, f.id), ti)
        put(p.b.fcvtToUint(ti, f.v), p.w.fcvtToUint(ti, f.id), ti)
        const i = some(ti)
        put(p.b.fcvtFromSint(ft, i.v), p.w.fcvtFromSint(ft, i.id), ft)
        put(p.b.fcvtFromUint(ft, i.v), p.w.fcvtFromUint(ft, i.id), ft)
        break
      }
      case 12: {
        const s = some('f32')
        put(p.b.fpromote(s.v), p.w.fpromote(s.id), 'f64')
        const d = some('f64')
        put(p.b.fdemote(d.v), p.w.fdemote(d.id), 'f32')
        const bits = some('i64')
        put(p.b.bitcast('f64', bits.v), p.w.bitcast('f64', bits.id), 'f64')
        put(p.b.f32Bits(0x7fa00001), p.w.f32Bits(0x7fa00001), 'f32')
        put(p.b.f64Bits(0xfff8000000000001n), p.w.f64Bits(0xfff8000000000001n), 'f64')
        break
      }
      case 13: {
        const l = pick(p.locals)
        put(p.b.get(l.l), p.w.get(l.id), l.type)
        const x = some(l.type)
        p.b.set(l.l, x.v)
        p.w.set(l.id, x.id)
        break
      }
      case 14: {
        const pc = r() < 0.5 ? 0x2000 + k * 4 : 0x8000_0000_0000_0000n + BigInt(k)
        p.b.mark(pc)
        p.w.mark(pc)
        break
      }
      case 15: {
        // A conditional exit, then a new segment.
        const c = some('i8')
        const [lt, le] = [p.b.label(), p.b.label()]
        const [wt, we] = [p.w.label(), p.w.label()]
        p.b.branchIf(c.v, lt, le)
        p.w.branchIf(c.id, wt, we)
        p.b.bind(lt)
        p.w.bind(wt)
        const pc = some('i64')
        if (r() < 0.5) {
          p.b.exit(pc.v)
          p.w.exit(pc.id)
        } else {
          p.b.trap(70000 + k, pc.v)
          p.w.trap(70000 + k, pc.id)
        }
        p.b.bind(le)
        p.w.bind(we)
        segmentStart = p.vals.length
        break
      }
    }
  }
  const end = some('i64')
  if (r() < 0.5) {
    p.b.halt(end.v)
    p.w.halt(end.id)
  } else {
    p.b.exit(end.v)
    p.w.exit(end.id)
  }
  return { b: p.b.finish().bytes, w: p.w.finish().bytes }
}

test('the same calls give the same bytes as IRBuilder (300 random blocks of every op)', (t) => {
  for (let seed = 1; seed <= 300; seed++) {
    const { b, w } = randomBlock(seed)
    if (toHex(b) !== toHex(w)) {
      t.fail(`seed ${seed}: bytes differ`)
      return
    }
  }
  t.pass()
})

test('jump and labels bound later: the same bytes too', (t) => {
  const b = new IRBuilder({ pc: 0x40n })
  const w = new IRWriter({ pc: 0x40n })
  const [lb, lw] = [b.label(), w.label()]
  b.jump(lb)
  w.jump(lw)
  b.bind(lb)
  w.bind(lw)
  b.exit(b.i64(0x44))
  w.exit(w.i64(0x44))
  t.is(toHex(w.finish().bytes), toHex(b.finish().bytes))
})

test('what IRWriter does not check, the native verifier does, at finish()', (t) => {
  const w = new IRWriter()
  const x = w.i32(1)
  const y = w.i64(2)
  w.add(x, y) // mixed types: not checked by the writer
  w.exit(y)
  t.throws(() => w.finish(), { message: /type|i32|i64/ })
  // The writer is finished either way.
  t.throws(() => w.finish(), { message: /IRWriter\.finish: finish\(\) was already called/ })
})

test('misuse fails at the call, naming the method', (t) => {
  const w = new IRWriter()
  t.throws(() => w.getState('i65' as IRType, 0), { instanceOf: TypeError, message: /IRWriter\.getState: unknown type "i65"/ })
  t.throws(() => w.const('toString' as IRType, 1), { instanceOf: TypeError, message: /IRWriter\.const: unknown type "toString"/ })
  t.throws(() => w.add(0, 1), { instanceOf: TypeError, message: /IRWriter\.add: 0 is not a value of this writer/ })
  const a = w.i64(1)
  t.throws(() => w.add(a, 1.5), { instanceOf: TypeError, message: /IRWriter\.add: 1\.5 is not a value/ })
  t.throws(() => w.icmp('lt' as 'slt', a, a), { instanceOf: TypeError, message: /IRWriter\.icmp: unknown condition "lt"/ })
  t.throws(() => w.setState(-8, a), { instanceOf: RangeError, message: /IRWriter\.setState: state offset/ })
  t.throws(() => w.jump(3), { instanceOf: TypeError, message: /IRWriter\.jump: 3 is not a label/ })
  t.throws(() => w.get(0), { instanceOf: TypeError, message: /IRWriter\.get: 0 is not a local/ })
  t.throws(() => w.trap(-1, a), { instanceOf: RangeError, message: /IRWriter\.trap: code/ })
  const l = w.label()
  w.jump(l)
  t.throws(() => w.add(a, a), { message: /IRWriter\.add: unreachable op after a terminator/ })
  t.throws(() => w.finish(), { message: /label 0 was never bound/ })
  w.bind(l)
  t.throws(() => w.bind(l), { message: /IRWriter\.bind: label 0 is already bound/ })
  t.throws(() => w.finish(), { message: /must end with a terminator/ })
  w.exit(a)
  // The failed calls above wrote nothing: the block verifies with its 4 ops.
  t.is(w.finish().opCount, 4)
  t.throws(() => w.i64(1), { message: /IRWriter\.const: finish\(\) was already called/ })
})

test('a finished block runs: the writer is a drop-in for IRBuilder in a translator', (t) => {
  // state[8] = state[0] * 3 + memory[16..24), exit to 0x99
  const w = new IRWriter({ pc: 0x10 })
  const x = w.getState('i64', 0)
  const m = w.load('i64', w.i64(16))
  w.setState(8, w.add(w.mul(x, w.i64(3)), m))
  w.exit(w.i64(0x99))
  const block = w.finish()
  t.is(block.pc, 0x10n)
  t.is(block.stateSize, 16)
  const state = new BigUint64Array([7n, 0n])
  const memory = new Uint8Array(32)
  new DataView(memory.buffer).setBigUint64(16, 1000n, true)
  const exit = new Interpreter().run(block, new Uint8Array(state.buffer), memory)
  t.is(exit.reason, 'exit')
  t.is(exit.pc, 0x99n)
  t.is(state[1], 1021n)
})

// Guest input can never crash the process: division traps, float conversion traps and wild
// addresses are made unreachable by the lowering, runaway loops run out of fuel, and bad bytes,
// freed handles and undersized buffers are JS Errors — at every tier, with operands only known at
// run time (so nothing is constant-folded away).

import test from 'ava'
import { Block, CraneliftBackend, IRBuilder, Interpreter } from 'vm-jit-native'
import type { IRType, Value } from 'vm-jit-native'
import { OPT_LEVELS, runAgreeing } from './support/engines.ts'

/** `op(a, b)` on operands read from state at run time; result written to state[0..8). */
function binaryFromState(type: IRType, op: (b: IRBuilder, x: Value, y: Value) => Value) {
  const b = new IRBuilder({ pc: 0x200n })
  const r = op(b, b.getState(type, 8), b.getState(type, 16))
  b.setState(0, r)
  b.exit(0x204n)
  return b.finish()
}

function stateWith(a: bigint, c: bigint): Uint8Array {
  const s = new Uint8Array(24)
  const d = new DataView(s.buffer)
  d.setBigUint64(8, a, true)
  d.setBigUint64(16, c, true)
  return s
}

test('division by zero and INT_MIN / -1 do not trap, at any width', (t) => {
  const cases: Array<[IRType, bigint, bigint]> = [
    ['i8', 0x80n, 0xffn],
    ['i16', 0x8000n, 0xffffn],
    ['i32', 0x80000000n, 0xffffffffn],
    ['i64', 1n << 63n, (1n << 64n) - 1n],
  ]
  for (const [type, min, minusOne] of cases) {
    for (const op of ['udiv', 'sdiv', 'urem', 'srem'] as const) {
      const block = binaryFromState(type, (b, x, y) => b[op](x, y))
      for (const [a, c] of [[123n, 0n], [min, minusOne], [min, 0n], [0n, 0n]] as const) {
        const run = runAgreeing(t, block, stateWith(a, c), new Uint8Array(0))
        t.is(run.exit.reason, 'exit', `${type} ${op} ${a} ${c}`)
      }
    }
  }
})

test('NaN and out-of-range float to int conversions do not trap', (t) => {
  const values = [NaN, Infinity, -Infinity, 1e300, -1e300, 2 ** 63, -(2 ** 63) - 4096, 2 ** 64, 4294967296, -1]
  for (const from of ['f32', 'f64'] as const) {
    for (const to of ['i32', 'i64'] as const) {
      for (const op of ['fcvtToSint', 'fcvtToUint'] as const) {
        const b = new IRBuilder()
        b.setState(0, b[op](to, b.getState(from, 8)))
        b.exit(0n)
        const block = b.finish()
        for (const x of values) {
          const state = new Uint8Array(16)
          const d = new DataView(state.buffer)
          if (from === 'f64') d.setFloat64(8, x, true)
          else d.setFloat32(8, x, true)
          t.is(runAgreeing(t, block, state, new Uint8Array(0)).exit.reason, 'exit', `${op} ${from}->${to} ${x}`)
        }
      }
    }
  }
})

test('out-of-range memory accesses fault with the address, and touch nothing', (t) => {
  const mk = (width: 1 | 2 | 4 | 8, store: boolean) => {
    const b = new IRBuilder({ pc: 0x300n })
    b.mark(0x304n)
    const addr = b.getState('i64', 0)
    b.setState(8, b.i64(1n)) // a side effect before the access stays made
    if (store) b.store(addr, b.i64(-1n), { width })
    else b.setState(16, b.load('i64', addr, { width }))
    b.exit(0x308n)
    return b.finish()
  }
  const memory = new Uint8Array(64)
  for (const width of [1, 2, 4, 8] as const) {
    for (const store of [false, true]) {
      const block = mk(width, store)
      const addresses = [64n - BigInt(width) + 1n, 64n, 65n, 1n << 32n, (1n << 64n) - 1n, (1n << 64n) - BigInt(width), (1n << 63n)]
      for (const addr of addresses) {
        const state = new Uint8Array(24)
        new DataView(state.buffer).setBigUint64(0, addr, true)
        const run = runAgreeing(t, block, state, memory)
        t.deepEqual(run.exit, { reason: 'fault', pc: 0x304n, faultAddress: addr, fuelLeft: 1_000_000_000n }, `w${width} ${store ? 'store' : 'load'} at ${addr}`)
        t.is(run.state[8], 1)
        t.true(run.memory.every((x) => x === 0))
      }
      // the last in-range address works
      const state = new Uint8Array(24)
      new DataView(state.buffer).setBigUint64(0, 64n - BigInt(width), true)
      t.is(runAgreeing(t, block, state, memory).exit.reason, 'exit')
    }
  }
})

test('zero-length memory: every access faults', (t) => {
  const b = new IRBuilder()
  b.load('i8', b.i64(0n))
  b.exit(0n)
  t.deepEqual(runAgreeing(t, b.finish(), new Uint8Array(0), new Uint8Array(0)).exit, {
    reason: 'fault', pc: 0n, faultAddress: 0n, fuelLeft: 1_000_000_000n,
  })
})

test('a runaway loop runs out of fuel instead of hanging', (t) => {
  const b = new IRBuilder({ pc: 0x400n })
  const l = b.label()
  b.bind(l)
  b.mark(0x404n)
  b.setState(0, b.add(b.getState('i64', 0), b.i64(1n)))
  b.jump(l)
  const block = b.finish()
  const run = runAgreeing(t, block, new Uint8Array(8), new Uint8Array(0), { fuel: 100_000 })
  t.deepEqual(run.exit, { reason: 'fuel', pc: 0x404n, fuelLeft: 0n })
  t.is(new DataView(run.state.buffer).getBigUint64(0, true), 100_001n)
  // the default fuel ends it too (1e9 back edges; a few seconds at most when compiled)
  const code = new CraneliftBackend().compile(block)
  t.is(code.run(new Uint8Array(8), new Uint8Array(0)).reason, 'fuel')
})

test('malformed bytes are rejected by Block.fromBytes with the verifier message', (t) => {
  const b = new IRBuilder({ pc: 0x1000n })
  b.setState(0, b.add(b.getState('i64', 0), b.i64(1n)))
  b.exit(0n)
  const good = b.finish().bytes
  const mutate = (f: (x: Uint8Array) => Uint8Array | void) => {
    const x = good.slice()
    return f(x) ?? x
  }
  const bad: Array<[string, Uint8Array]> = [
    ['empty', new Uint8Array(0)],
    ['bad magic', mutate((x) => { x[0] = 0x58 })],
    ['wrong version', mutate((x) => { x[4] = 2 })],
    ['nonzero flags', mutate((x) => { x[6] = 1 })],
    ['truncated', good.subarray(0, good.length - 1)],
    ['trailing bytes', Uint8Array.from([...good, 0])],
    ['unknown opcode', mutate((x) => { x[20] = 0xee })],
    ['bad type code', mutate((x) => { x[21] = 9 })],
    ['value used before definition', mutate((x) => { x[good.length - 1] = 9 })],
    ['op count too large', mutate((x) => { x[19] = 0x7f })],
    ['overlong LEB128', Uint8Array.from([...good.subarray(0, 17), 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00])],
    ['random garbage', Uint8Array.from({ length: 64 }, (_, k) => (k * 97 + 13) & 0xff)],
  ]
  for (const [what, bytes] of bad) {
    const err = t.throws(() => Block.fromBytes(bytes), { instanceOf: Error }, what)
    t.true(typeof err?.message === 'string' && err.message.length > 10, `${what}: ${err?.message}`)
    t.log(`${what}: ${err?.message}`)
  }
  t.throws(() => Block.fromBytes('VJIR' as any), { instanceOf: TypeError, message: /Block\.fromBytes: expected a Uint8Array/ })
  // and the good bytes round-trip
  const again = Block.fromBytes(good.buffer.slice(0))
  t.is(again.pc, 0x1000n)
})

test('finish(): a value used where its definition does not dominate is named in builder terms', (t) => {
  // The native verifier rejects the bytes; the builder explains which value and op.
  const b = new IRBuilder({ pc: 0x10n })
  const here = b.label()
  const there = b.label()
  const c = b.getState('i64', 0)
  b.branchIf(b.icmp('eq', c, b.i64(0)), here, there)
  b.bind(here)
  const x = b.add(c, b.i64(1))
  b.exit(x)
  b.bind(there)
  b.exit(x)
  t.throws(() => b.finish(), {
    message: /^IRBuilder\.finish: in the main body, v\d+ \(defined in L0\) is used by exit \(op \d+, in L1\) on a path that does not pass its definition/,
  })
})

test('a type error in raw bytes names the op', (t) => {
  const b = new IRBuilder()
  const x = b.getState('i64', 0)
  const y = b.getState('i32', 8)
  b.setState(0, b.add(x, b.zext('i64', y)))
  b.exit(0n)
  const bytes = b.finish().bytes.slice()
  // make `add v0, v2` (10 00 02) read v1, the i32, instead of v2, its zext to i64
  const at = bytes.findIndex((v, k) => v === 0x10 && bytes[k + 1] === 0 && bytes[k + 2] === 2)
  t.true(at > 0)
  bytes[at + 2] = 1
  const err = t.throws(() => Block.fromBytes(bytes))
  t.regex(err!.message, /add/)
  t.regex(err!.message, /main/)
})

test('a freed handle throws instead of running freed code', (t) => {
  const b = new IRBuilder({ pc: 0x500n })
  b.exit(0n)
  const code = new CraneliftBackend({ optLevel: 'none' }).compile(b.finish())
  t.false(code.freed)
  code.free()
  t.true(code.freed)
  t.notThrows(() => code.free()) // idempotent
  t.throws(() => code.run(new Uint8Array(0), new Uint8Array(0)), { instanceOf: Error, message: /code handle freed/ })
  t.is(code.pc, 0x500n) // metadata stays readable
})

test('a state buffer smaller than the block needs is an Error before anything runs', (t) => {
  const b = new IRBuilder()
  b.store(b.i64(0n), b.i8(1))
  b.setState(90, b.getState('i64', 88))
  b.exit(0n)
  const block = b.finish()
  t.is(block.stateSize, 98)
  const memory = new Uint8Array(8)
  const small = new Uint8Array(97)
  t.throws(() => new Interpreter().run(block, small, memory), { instanceOf: Error })
  for (const optLevel of OPT_LEVELS) {
    const err = t.throws(() => new CraneliftBackend({ optLevel }).compile(block).run(small, memory), { instanceOf: Error })
    t.log(err?.message)
  }
  t.is(memory[0], 0) // nothing ran
  t.notThrows(() => new Interpreter().run(block, new Uint8Array(98), memory))
})

test('state and memory that share bytes are rejected', (t) => {
  const b = new IRBuilder()
  b.exit(0n)
  const block = b.finish()
  const buf = new ArrayBuffer(64)
  const code = new CraneliftBackend().compile(block)
  t.throws(() => code.run(new Uint8Array(buf, 0, 32), new Uint8Array(buf, 16, 32)), { message: /overlap/ })
  t.throws(() => new Interpreter().run(block, buf, new Uint8Array(buf)), { message: /overlap/ })
  // disjoint views of one buffer are fine
  t.is(code.run(new Uint8Array(buf, 0, 32), new Uint8Array(buf, 32, 32)).reason, 'exit')
})

test('bad run options are rejected', (t) => {
  const b = new IRBuilder()
  b.exit(0n)
  const code = new CraneliftBackend().compile(b.finish())
  const s = new Uint8Array(0)
  t.throws(() => code.run(s, s, { fuel: -1 }), { instanceOf: RangeError, message: /CodeHandle\.run: fuel must be a non-negative integer/ })
  t.throws(() => code.run(s, s, { fuel: 1.5 }), { instanceOf: RangeError })
  t.throws(() => code.run(s, s, { fuel: NaN }), { instanceOf: TypeError })
  t.throws(() => code.run(s, s, { fuel: 1n << 60n }), { instanceOf: RangeError, message: /fuel must be in \[0, 2\^53 - 1\]/ })
  t.throws(() => code.run(s, s, { fuel: '10' as any }), { instanceOf: TypeError })
  t.throws(() => code.run(s, s, null as any), { instanceOf: TypeError })
  t.throws(() => code.run(s, 'memory' as any), { instanceOf: TypeError, message: /CodeHandle\.run: memory must be a typed array/ })
})

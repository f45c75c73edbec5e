// CraneliftBackend and CodeHandle: option validation, handle metadata, and running against every
// kind of buffer an emulator might hold its state and memory in — always in place, never copied.

import test from 'ava'
import { Block, CodeHandle, CraneliftBackend, IRBuilder } from 'vm-jit-native'
import { OPT_LEVELS, runAgreeing } from './support/engines.ts'
import { readmeBlock } from './support/readmeBlock.cjs'

test('config defaults and validation', (t) => {
  t.deepEqual(new CraneliftBackend().config, { optLevel: 'speed', enableSimd: true, enableInlining: true })
  t.deepEqual(new CraneliftBackend({ optLevel: 'none', enableSimd: false, enableInlining: false }).config, {
    optLevel: 'none', enableSimd: false, enableInlining: false,
  })
  t.true(Object.isFrozen(new CraneliftBackend().config))
  t.throws(() => new CraneliftBackend({ optLevel: 'fast' as any }), {
    instanceOf: TypeError, message: /new CraneliftBackend: optLevel must be one of 'none', 'speed', 'speedAndSize', got "fast"/,
  })
  t.throws(() => new CraneliftBackend({ enableSimd: 1 as any }), { instanceOf: TypeError, message: /enableSimd must be a boolean, got 1/ })
  t.throws(() => new CraneliftBackend({ enableInlining: 'yes' as any }), { instanceOf: TypeError, message: /enableInlining must be a boolean/ })
  t.throws(() => new CraneliftBackend({ optlevel: 'none' } as any), { instanceOf: TypeError, message: /unknown option 'optlevel'/ })
  t.throws(() => new CraneliftBackend(null as any), { instanceOf: TypeError })
})

test('compile: handle metadata per optLevel', (t) => {
  const block = readmeBlock()
  for (const optLevel of OPT_LEVELS) {
    const code = new CraneliftBackend({ optLevel }).compile(block)
    t.true(code instanceof CodeHandle)
    t.true(code.size > 0, `${optLevel} size ${code.size}`)
    t.is(code.tier, optLevel === 'none' ? 1 : 2)
    t.is(code.optLevel, optLevel)
    t.is(code.pc, 0x1000n)
    t.false(code.freed)
    code.free()
    t.true(code.freed)
  }
  t.throws(() => new CraneliftBackend().compile({ bytes: block.bytes } as any), {
    instanceOf: TypeError, message: /CraneliftBackend\.compile: expected a Block \(from IRBuilder\.finish\(\) or Block\.fromBytes\(\)\), got an object/,
  })
})

test('finish() bytes are encode() bytes; Block.fromBytes round-trips and copies', (t) => {
  const mk = () => {
    const b = new IRBuilder({ pc: 0x2000n })
    b.setState(8, b.getState('i32', 0))
    b.exit(0n)
    return b
  }
  const encoded = mk().encode()
  const block = mk().finish()
  t.deepEqual([...block.bytes], [...encoded])
  t.is(block.pc, 0x2000n)
  t.is(block.opCount, 4)
  t.is(block.stateSize, 12)
  const source = block.bytes.slice()
  const again = Block.fromBytes(source)
  source.fill(0) // later changes to the caller's buffer do not affect the verified block
  t.deepEqual([...again.bytes], [...encoded])
  t.deepEqual([again.pc, again.opCount, again.stateSize], [block.pc, block.opCount, block.stateSize])
  t.throws(() => new (Block as any)(Symbol('x'), encoded, {}), { instanceOf: TypeError, message: /use IRBuilder\.finish\(\) or Block\.fromBytes/ })
})

test('toString prints the text form', (t) => {
  const text = readmeBlock().toString()
  t.true(text.startsWith('block pc=0x1000 state=96 locals=[i64 i64]\n'), text)
  t.regex(text, /^ {2}v0 = get_state\.i64 88$/m)
  t.regex(text, /^ {2}local_set l0, v1$/m)
  t.regex(text, /^L0:$/m)
  t.regex(text, /^ {2}brif v4, L1, L2$/m)
})

test('state and memory may be any typed array, DataView, Buffer or ArrayBuffer, and are mutated in place', (t) => {
  const code = new CraneliftBackend().compile(readmeBlock())
  const kinds: Array<[string, (ab: ArrayBuffer) => ArrayBufferView | ArrayBuffer]> = [
    ['BigUint64Array', (ab) => new BigUint64Array(ab)],
    ['BigInt64Array', (ab) => new BigInt64Array(ab)],
    ['Uint8Array', (ab) => new Uint8Array(ab)],
    ['Uint32Array', (ab) => new Uint32Array(ab)],
    ['Float64Array', (ab) => new Float64Array(ab)],
    ['Int16Array', (ab) => new Int16Array(ab)],
    ['Uint8ClampedArray', (ab) => new Uint8ClampedArray(ab)],
    ['DataView', (ab) => new DataView(ab)],
    ['Buffer', (ab) => Buffer.from(ab)],
    ['ArrayBuffer', (ab) => ab],
  ]
  for (const [name, wrap] of kinds) {
    const stateBuf = new ArrayBuffer(256)
    const memBuf = new ArrayBuffer(8 * 100)
    new BigUint64Array(stateBuf)[11] = 100n
    new BigUint64Array(memBuf).forEach((_, k, a) => (a[k] = BigInt(k)))
    const exit = code.run(wrap(stateBuf), wrap(memBuf))
    t.deepEqual(exit, { reason: 'exit', pc: 0x1010n, fuelLeft: 1_000_000_000n - 100n }, name)
    t.is(new BigUint64Array(stateBuf)[10], 4950n, name)
  }
  code.free()
})

test('views at an offset address only their own bytes', (t) => {
  const code = new CraneliftBackend({ optLevel: 'none' }).compile(readmeBlock())
  const stateBuf = new ArrayBuffer(256 + 96 + 8)
  const state = new BigUint64Array(stateBuf, 256, 12) // byteOffset 256
  state[11] = 2n
  const memBuf = new ArrayBuffer(64)
  const memory = new BigUint64Array(memBuf, 16, 2) // memory[0] is byte 16 of the buffer
  memory[0] = 5n
  memory[1] = 7n
  new BigUint64Array(memBuf)[0] = 1000n // outside the view
  const exit = code.run(state, memory)
  t.is(exit.reason, 'exit')
  t.is(state[10], 12n)
  t.is(new BigUint64Array(stateBuf)[31], 0n) // the byte before the view is untouched
  // an index past the view faults even though the underlying buffer is larger
  state[11] = 3n
  const fault = code.run(state, memory)
  t.deepEqual(fault, { reason: 'fault', pc: 0x1000n, faultAddress: 16n, fuelLeft: 1_000_000_000n - 2n })
})

test('helpers compile with and without inlining and agree with the interpreter', (t) => {
  const b = new IRBuilder()
  const sq = b.function({ params: ['i64'], result: 'i64' }, (f, x) => f.ret(f.mul(x!, x!)))
  const sumsq = b.function({ params: ['i64', 'i64'], result: 'i64' }, (f, x, y) => f.ret(f.add(f.call(sq, x!)!, f.call(sq, y!)!)))
  b.setState(0, b.call(sumsq, b.getState('i64', 8), b.getState('i64', 16))!)
  b.exit(0n)
  const block = b.finish()
  const state = new BigUint64Array([0n, 3n, 4n])
  for (const enableInlining of [true, false]) {
    for (const optLevel of OPT_LEVELS) {
      const s = state.slice()
      const code = new CraneliftBackend({ optLevel, enableInlining }).compile(block)
      t.is(code.run(s, new Uint8Array(0)).reason, 'exit')
      t.is(s[0], 25n, `${optLevel} inlining=${enableInlining}`)
    }
  }
  runAgreeing(t, block, new Uint8Array(state.buffer), new Uint8Array(0))
})

test('a handle runs many times; state carries over between runs', (t) => {
  const b = new IRBuilder()
  b.setState(0, b.add(b.getState('i64', 0), b.i64(1n)))
  b.exit(0n)
  const code = new CraneliftBackend().compile(b.finish())
  const state = new BigUint64Array(1)
  for (let k = 0; k < 1000; k++) code.run(state, new Uint8Array(0))
  t.is(state[0], 1000n)
})

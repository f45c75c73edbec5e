// IRBuilder: the bytes it writes, checked against encodings computed by hand from docs/IR.md, and
// every misuse failing at the call that made it with a message naming the method and the types.
// Uses `encode()` (no native verifier), so this spec passes without the native addon.

import test from 'ava'
import type { ExecutionContext } from 'ava'
import { Func, IRBuilder, Label, Local, Value } from 'vm-jit-native'
import { ByteWriter } from '../dist/ir/encoder.js'
import { hex, toHex } from './support/hex.ts'

const HEADER_PC0 = '564a4952 0100 0000 0000000000000000'
const HEADER_PC1000 = '564a4952 0100 0000 0010000000000000'
const ZERO64 = '0000000000000000'

function same(t: ExecutionContext, actual: Uint8Array, expected: Uint8Array): void {
  t.is(toHex(actual), toHex(expected))
}

/** Main body with no helpers, locals or labels: header(pc 0) nfuncs=0 nlocals=0 nlabels=0 nops ops. */
function mainBody(nops: string, ops: string): Uint8Array {
  return hex(HEADER_PC0, '00', '00 00', nops, ops)
}

// --------------------------------------------------------------------------------------------
// LEB128 and the byte writer

test('uleb: one to five bytes, little groups first', (t) => {
  const enc = (x: number) => toHex(new ByteWriter().uleb(x).toBytes())
  t.is(enc(0), '00')
  t.is(enc(127), '7f')
  t.is(enc(128), '80 01')
  t.is(enc(300), 'ac 02')
  t.is(enc(16383), 'ff 7f')
  t.is(enc(16384), '80 80 01')
  t.is(enc(0xffff_ffff), 'ff ff ff ff 0f')
  t.throws(() => enc(2 ** 32), { instanceOf: RangeError })
  t.throws(() => enc(-1), { instanceOf: RangeError })
  t.throws(() => enc(1.5), { instanceOf: RangeError })
})

test('byte writer: u16/u64 little-endian, any length', (t) => {
  const w = new ByteWriter()
  w.u16(0x0102).u64(0x0807060504030201n)
  for (let k = 0; k < 100; k++) w.u8(k)
  const b = w.toBytes()
  t.is(b.length, 110)
  t.is(toHex(b.subarray(0, 10)), '02 01 01 02 03 04 05 06 07 08')
  t.is(b[109], 99)
})

// --------------------------------------------------------------------------------------------
// Whole blocks

test('smallest block: exit to a constant pc', (t) => {
  const b = new IRBuilder({ pc: 0x1000n })
  b.exit(b.i64(0x1010n))
  same(t, b.encode(), hex(HEADER_PC1000, '00', '00 00 02', '01 03 1010000000000000', '63 00'))
})

test('README block encodes op by op as docs/IR.md says', (t) => {
  const b = new IRBuilder({ pc: 0x1000n })
  const n = b.getState('i64', 88)
  const i = b.local('i64', 0n), acc = b.local('i64', 0n)
  const loop = b.label(), body = b.label(), done = b.label()
  b.jump(loop)
  b.bind(loop)
  b.branchIf(b.icmp('ult', b.get(i), n), body, done)
  b.bind(body)
  b.set(acc, b.add(b.get(acc), b.load('i64', b.shl(b.get(i), b.i64(3n)))))
  b.set(i, b.add(b.get(i), b.i64(1n)))
  b.jump(loop)
  b.bind(done)
  b.setState(80, b.get(acc))
  b.exit(b.i64(0x1010n))
  t.is(b.opCount, 28)
  same(
    t,
    b.encode(),
    hex(
      HEADER_PC1000,
      '00', // nfuncs
      '02 03 03', // nlocals=2: i64 i64
      '03', // nlabels
      '1c', // nops = 28
      '02 03 58', // v0 = get_state.i64 88
      '01 03', ZERO64, // v1 = const 0
      '07 00 01', // local_set l0, v1
      '01 03', ZERO64, // v2 = const 0
      '07 01 02', // local_set l1, v2
      '61 00', // jump L0
      '60 00', // L0:
      '06 00', // v3 = local_get l0
      '30 06 03 00', // v4 = icmp.ult v3, v0
      '62 04 01 02', // brif v4, L1, L2
      '60 01', // L1:
      '06 01', // v5 = local_get l1
      '06 00', // v6 = local_get l0
      '01 03 0300000000000000', // v7 = const 3
      '1d 06 07', // v8 = shl v6, v7
      '04 03 08 00 08', // v9 = load.i64 w8 unsigned [v8]
      '10 05 09', // v10 = add v5, v9
      '07 01 0a', // local_set l1, v10
      '06 00', // v11 = local_get l0
      '01 03 0100000000000000', // v12 = const 1
      '10 0b 0c', // v13 = add v11, v12
      '07 00 0d', // local_set l0, v13
      '61 00', // jump L0
      '60 02', // L2:
      '06 01', // v14 = local_get l1
      '03 50 0e', // set_state 80, v14
      '01 03 1010000000000000', // v15 = const 0x1010
      '63 0f', // exit v15
    ),
  )
})

test('helper function: params are v0.., result byte, body; call and its result', (t) => {
  const b = new IRBuilder({ pc: 0 })
  const add2 = b.function({ params: ['i64', 'i64'], result: 'i64' }, (f, a, c) => {
    t.is(a!.id, 0)
    t.is(c!.id, 1)
    f.ret(f.add(a!, c!))
  })
  t.true(add2 instanceof Func)
  t.is(add2.index, 0)
  const x = b.i64(5n)
  const r = b.call(add2, x, x)
  t.true(r instanceof Value)
  t.is(r!.type, 'i64')
  b.setState(0, r!)
  b.halt(0n)
  same(
    t,
    b.encode(),
    hex(
      HEADER_PC0,
      '01', // nfuncs
      '02 03 03 03', // nparams=2 i64 i64, result i64
      '00 00 02', // nlocals nlabels nops
      '10 00 01', // v2 = add v0, v1
      '67 02', // ret v2
      '00 00 05', // main: nlocals nlabels nops
      '01 03 0500000000000000', // v0 = const 5
      '66 00 02 00 00', // v1 = call fn0(v0, v0)
      '03 00 01', // set_state 0, v1
      '01 03', ZERO64, // v2 = const 0
      '64 02', // halt v2
    ),
  )
})

test('void helper, and a helper defined inside another gets the lower index', (t) => {
  const b = new IRBuilder()
  let inner: Func | undefined
  const outer = b.function({ params: ['i32'] }, (f, p) => {
    inner = f.function({}, (g) => g.ret())
    t.is(f.call(inner), undefined)
    f.setState(0, p!)
    f.ret()
  })
  t.is(inner!.index, 0)
  t.is(outer.index, 1)
  t.is(outer.result, undefined)
  b.call(outer, b.i32(7))
  b.exit(0n)
  same(
    t,
    b.encode(),
    hex(
      HEADER_PC0,
      '02',
      '00 ff', '00 00 01', '67', // fn0: no params, no result; ret
      '01 02 ff', '00 00 03', '66 00 00', '03 00 00', '67', // fn1(i32): call fn0(); set_state 0, v0; ret
      '00 00 04', '01 02 0700000000000000', '66 01 01 00', '01 03', ZERO64, '63 01',
    ),
  )
})

test('every op method writes its opcode from docs/IR.md', (t) => {
  const intBinary: Array<[string, string]> = [
    ['add', '10'], ['sub', '11'], ['mul', '12'], ['umulhi', '13'], ['smulhi', '14'], ['sumulhi', '15'],
    ['udiv', '16'], ['sdiv', '17'], ['urem', '18'], ['srem', '19'], ['and', '1a'], ['or', '1b'],
    ['xor', '1c'], ['shl', '1d'], ['ushr', '1e'], ['sshr', '1f'], ['rotl', '20'], ['rotr', '21'],
  ]
  for (const [op, code] of intBinary) {
    const b = new IRBuilder()
    const r = (b as any)[op](b.getState('i32', 0), b.getState('i32', 4)) as Value
    t.is(r.type, 'i32', op)
    b.exit(0n)
    same(t, b.encode(), mainBody('05', `02 02 00 | 02 02 04 | ${code} 00 01 | 01 03 ${ZERO64} | 63 03`))
  }
  const intUnary: Array<[string, string]> = [['not', '28'], ['neg', '29'], ['clz', '2a'], ['ctz', '2b'], ['popcnt', '2c']]
  for (const [op, code] of intUnary) {
    const b = new IRBuilder()
    t.is(((b as any)[op](b.getState('i16', 0)) as Value).type, 'i16', op)
    b.exit(0n)
    same(t, b.encode(), mainBody('04', `02 01 00 | ${code} 00 | 01 03 ${ZERO64} | 63 02`))
  }
  const floatBinary: Array<[string, string]> = [
    ['fadd', '40'], ['fsub', '41'], ['fmul', '42'], ['fdiv', '43'], ['fmin', '44'], ['fmax', '45'], ['fcopysign', '46'],
  ]
  for (const [op, code] of floatBinary) {
    const b = new IRBuilder()
    t.is(((b as any)[op](b.getState('f64', 0), b.getState('f64', 8)) as Value).type, 'f64', op)
    b.exit(0n)
    same(t, b.encode(), mainBody('05', `02 05 00 | 02 05 08 | ${code} 00 01 | 01 03 ${ZERO64} | 63 03`))
  }
  const floatUnary: Array<[string, string]> = [['fsqrt', '48'], ['fneg', '49'], ['fabs', '4a']]
  for (const [op, code] of floatUnary) {
    const b = new IRBuilder()
    t.is(((b as any)[op](b.getState('f32', 0)) as Value).type, 'f32', op)
    b.exit(0n)
    same(t, b.encode(), mainBody('04', `02 04 00 | ${code} 00 | 01 03 ${ZERO64} | 63 02`))
  }
})

test('icmp and fcmp condition codes', (t) => {
  const icmp = ['eq', 'ne', 'slt', 'sle', 'sgt', 'sge', 'ult', 'ule', 'ugt', 'uge'] as const
  icmp.forEach((cc, code) => {
    const b = new IRBuilder()
    const r = b.icmp(cc, b.getState('i64', 0), b.getState('i64', 8))
    t.is(r.type, 'i8')
    b.exit(0n)
    same(t, b.encode(), mainBody('05', `02 03 00 | 02 03 08 | 30 0${code} 00 01 | 01 03 ${ZERO64} | 63 03`))
  })
  const fcmp = ['eq', 'ne', 'lt', 'le', 'gt', 'ge', 'uno', 'ord'] as const
  fcmp.forEach((cc, code) => {
    const b = new IRBuilder()
    t.is(b.fcmp(cc, b.getState('f32', 0), b.getState('f32', 4)).type, 'i8')
    b.exit(0n)
    same(t, b.encode(), mainBody('05', `02 04 00 | 02 04 04 | 4c 0${code} 00 01 | 01 03 ${ZERO64} | 63 03`))
  })
})

test('select, extensions, fma, conversions, bitcast', (t) => {
  const b = new IRBuilder()
  const c = b.getState('i8', 0) // v0
  const x = b.getState('i32', 4) // v1
  const f = b.getState('f32', 8) // v2
  const d = b.getState('f64', 16) // v3
  t.is(b.select(c, x, x).type, 'i32') // v4
  t.is(b.zext('i64', x).type, 'i64') // v5
  t.is(b.sext('i16', c).type, 'i16') // v6
  t.is(b.trunc('i8', x).type, 'i8') // v7
  t.is(b.fma(f, f, f).type, 'f32') // v8
  t.is(b.fcvtToSint('i32', d).type, 'i32') // v9
  t.is(b.fcvtToUint('i64', f).type, 'i64') // v10
  t.is(b.fcvtFromSint('f64', x).type, 'f64') // v11
  t.is(b.fcvtFromUint('f32', x).type, 'f32') // v12
  t.is(b.fpromote(f).type, 'f64') // v13
  t.is(b.fdemote(d).type, 'f32') // v14
  t.is(b.bitcast('f32', x).type, 'f32') // v15
  t.is(b.bitcast('i64', d).type, 'i64') // v16
  b.exit(0n)
  same(
    t,
    b.encode(),
    mainBody(
      '13', // 19 ops
      '02 00 00 | 02 02 04 | 02 04 08 | 02 05 10 |' +
        '31 00 01 01 | 32 03 01 | 33 01 00 | 34 00 01 | 4b 02 02 02 |' +
        '50 02 03 | 51 03 02 | 52 05 01 | 53 04 01 | 54 02 | 55 03 | 56 04 01 | 56 03 03 |' +
        `01 03 ${ZERO64} | 63 11`,
    ),
  )
})

test('load and store: type, width, signedness bytes', (t) => {
  const b = new IRBuilder()
  const a = b.getState('i64', 0) // v0
  t.is(b.load('i32', a, { width: 2, signed: true }).type, 'i32') // v1
  b.load('i64', a, { width: 1 }) // v2
  b.load('f64', a) // v3
  b.store(a, b.getState('i64', 8), { width: 4 }) // v4
  b.store(a, b.getState('f32', 16)) // v5
  b.exit(0n)
  same(
    t,
    b.encode(),
    mainBody(
      '0a',
      '02 03 00 | 04 02 02 01 00 | 04 03 01 00 00 | 04 05 08 00 00 |' +
        `02 03 08 | 05 04 00 04 | 02 04 10 | 05 04 00 05 | 01 03 ${ZERO64} | 63 06`,
    ),
  )
})

test('constants: signed and unsigned ints, float bit patterns, canonical NaN', (t) => {
  const b = new IRBuilder()
  b.i8(-1)
  b.i8(255)
  b.i16(-2)
  b.i32(0x8000_0000)
  b.i64(-1n)
  b.f32(1.5)
  b.f64(-0)
  b.f32(NaN)
  b.f64(NaN)
  b.f32Bits(0x7f80_0001)
  b.f64Bits(0x7ff0_0000_0000_0001n)
  b.const('i16', 0x1234)
  b.const('f64', 1)
  b.exit(0n)
  same(
    t,
    b.encode(),
    mainBody(
      '0f',
      '01 00 ff00000000000000 | 01 00 ff00000000000000 | 01 01 feff000000000000 | 01 02 0000008000000000 |' +
        '01 03 ffffffffffffffff | 01 04 0000c03f00000000 | 01 05 0000000000000080 | 01 04 0000c07f00000000 |' +
        '01 05 000000000000f87f | 01 04 0100807f00000000 | 01 05 010000000000f07f | 01 01 3412000000000000 |' +
        `01 05 000000000000f03f | 01 03 ${ZERO64} | 63 0d`,
    ),
  )
})

test('integer constants, marks and pcs given as numbers encode exactly as the same values given as bigints', (t) => {
  // Numbers take a BigInt-free path through the builder; the bytes must not depend on it.
  const cases: Array<['i8' | 'i16' | 'i32' | 'i64', number]> = [
    ['i8', -128], ['i8', -1], ['i8', 0], ['i8', 127], ['i8', 255],
    ['i16', -32768], ['i16', -2], ['i16', 65535],
    ['i32', -0x8000_0000], ['i32', -1], ['i32', 0x7fff_ffff], ['i32', 0x8000_0000], ['i32', 0xffff_ffff],
    ['i64', Number.MIN_SAFE_INTEGER], ['i64', -(2 ** 32)], ['i64', -(2 ** 32) - 1], ['i64', -1], ['i64', 0],
    ['i64', 2 ** 32], ['i64', 2 ** 32 + 5], ['i64', Number.MAX_SAFE_INTEGER],
  ]
  const build = (asBigint: boolean): Uint8Array => {
    const b = new IRBuilder({ pc: 0x1000n })
    for (const [type, x] of cases) {
      const v = asBigint ? BigInt(x) : x
      b[type](v)
      b.const(type, v)
    }
    b.mark(asBigint ? 0x2_0000_0004n : 0x2_0000_0004)
    const l = b.label()
    b.branchIf(b.icmp('eq', b.i64(asBigint ? 1n : 1), b.i64(asBigint ? 2n : 2)), l, l)
    b.bind(l)
    b.mark(asBigint ? 0xabcn : 0xabc)
    b.halt() // the current mark as its pc
    return b.encode()
  }
  same(t, build(false), build(true))
  // Out of range or not an integer: the same errors as before, whatever the path.
  const b = new IRBuilder()
  t.throws(() => b.i8(256), { instanceOf: RangeError, message: /IRBuilder.i8: 256 does not fit in i8/ })
  t.throws(() => b.i32(-(2 ** 31) - 1), { instanceOf: RangeError, message: /does not fit in i32/ })
  t.throws(() => b.i64(2 ** 53), { instanceOf: RangeError, message: /not a safe integer/ })
  t.throws(() => b.i16(1.5), { instanceOf: RangeError, message: /not a safe integer/ })
  t.throws(() => b.mark(2 ** 60), { instanceOf: TypeError, message: /IRBuilder.mark: pc must be a bigint \(or safe integer\)/ })
  t.throws(() => b.mark(0.5), { instanceOf: TypeError, message: /IRBuilder.mark: pc must be a bigint/ })
})

test('state offsets are LEB128; mark, and halt/trap default to the current mark', (t) => {
  const b = new IRBuilder({ pc: 0x1000n })
  b.getState('i8', 300)
  b.trap(1) // no mark yet: block pc
  const l = b.label()
  b.bind(l)
  b.mark(0x2000n)
  b.setState(0xff_ffff, b.getState('i8', 0))
  b.halt() // current mark
  same(
    t,
    b.encode(),
    hex(
      HEADER_PC1000,
      '00 | 00 | 01 | 09',
      '02 00 ac 02', // get_state.i8 300
      '01 03 0010000000000000 | 65 01 01', // trap 1, v1 (pc 0x1000)
      '60 00',
      '08 0020000000000000', // mark 0x2000
      '02 00 00 | 03 ffffff07 02', // set_state 0xffffff, v2
      '01 03 0020000000000000 | 64 03', // halt v3
    ),
  )
})

test('locals: declared without init emit nothing; init may be a Value; fall-through into a label', (t) => {
  const b = new IRBuilder()
  const a = b.local('f32')
  const v = b.getState('i16', 0)
  const c = b.local('i16', v)
  t.true(a instanceof Local)
  t.is(a.index, 0)
  t.is(c.index, 1)
  const l = b.label()
  t.true(l instanceof Label)
  b.bind(l) // fall-through from the entry
  b.exit(b.zext('i64', b.get(c)))
  same(t, b.encode(), hex(HEADER_PC0, '00', '02 04 01 | 01 | 06', '02 01 00 | 07 01 00 | 60 00 | 06 01 | 32 03 01 | 63 02'))
})

test('exit/halt/trap take a pc Value or constant', (t) => {
  const b = new IRBuilder()
  const pc = b.getState('i64', 0)
  const l = b.label()
  b.branchIf(b.getState('i8', 8), l, l)
  b.bind(l)
  b.trap(0xffff_ffff, pc)
  same(t, b.encode(), hex(HEADER_PC0, '00 | 00 | 01 | 05', '02 03 00 | 02 00 08 | 62 01 00 00 | 60 00 | 65 ffffffff0f 00'))
})

test('encode() does not finish: the builder stays usable', (t) => {
  const b = new IRBuilder()
  b.exit(0n)
  const first = b.encode()
  const l = b.label()
  b.bind(l)
  b.halt(1n)
  t.true(b.encode().length > first.length)
})

// --------------------------------------------------------------------------------------------
// Misuse: each throws at the offending call, naming the method and the types

test('wrong operand types name the op and the types', (t) => {
  const b = new IRBuilder()
  const i64 = b.getState('i64', 0)
  const i32 = b.getState('i32', 8)
  const f64 = b.getState('f64', 16)
  const f32 = b.getState('f32', 24)
  const cases: Array<[() => unknown, RegExp]> = [
    [() => b.add(i64, i32), /IRBuilder\.add: operands must be the same integer type, got i64 and i32/],
    [() => b.mul(f64, f64), /IRBuilder\.mul: operands must be the same integer type, got f64 and f64/],
    [() => b.fadd(i64, i64), /IRBuilder\.fadd: operands must be the same float type, got i64 and i64/],
    [() => b.fmin(f64, f32), /IRBuilder\.fmin: operands must be the same float type, got f64 and f32/],
    [() => b.clz(f32), /IRBuilder\.clz: operand must be an integer, got v3:f32/],
    [() => b.fsqrt(i32), /IRBuilder\.fsqrt: operand must be a float, got v1:i32/],
    [() => b.icmp('ult', i64, i32), /IRBuilder\.icmp: operands must be the same integer type, got i64 and i32/],
    [() => b.icmp('lt' as any, i64, i64), /IRBuilder\.icmp: unknown condition "lt" \(expected one of eq, ne/],
    [() => b.fcmp('ult' as any, f64, f64), /IRBuilder\.fcmp: unknown condition "ult"/],
    [() => b.fcmp('eq', i64, i64), /IRBuilder\.fcmp: operands must be the same float type, got i64 and i64/],
    [() => b.select(f64, i64, i64), /IRBuilder\.select: cond must be an integer, got v2:f64/],
    [() => b.select(i32, i64, f64), /IRBuilder\.select: a and b must have the same type, got i64 and f64/],
    [() => b.zext('i32', i64), /IRBuilder\.zext: cannot zext i64 to i32 \(needs a strictly wider integer type\)/],
    [() => b.sext('i32', i32), /IRBuilder\.sext: cannot sext i32 to i32/],
    [() => b.trunc('i64', i32), /IRBuilder\.trunc: cannot trunc i32 to i64 \(needs a strictly narrower/],
    [() => b.zext('f64', i32), /IRBuilder\.zext: cannot zext i32 to f64/],
    [() => b.fma(f64, f64, f32), /IRBuilder\.fma: operands must be the same float type, got f64, f64 and f32/],
    [() => b.fcvtToSint('i16', f64), /IRBuilder\.fcvtToSint: result type must be i32 or i64, got i16/],
    [() => b.fcvtToUint('i64', i64), /IRBuilder\.fcvtToUint: operand must be a float, got v0:i64/],
    [() => b.fcvtFromSint('i64', i64), /IRBuilder\.fcvtFromSint: result type must be f32 or f64, got i64/],
    [() => b.fcvtFromUint('f64', b.trunc('i16', i32)), /IRBuilder\.fcvtFromUint: operand must be i32 or i64, got v4:i16/],
    [() => b.fpromote(f64), /IRBuilder\.fpromote: operand must be f32, got f64/],
    [() => b.fdemote(f32), /IRBuilder\.fdemote: operand must be f64, got f32/],
    [() => b.bitcast('f64', i32), /IRBuilder\.bitcast: cannot bitcast i32 to f64 \(needs the same width, int <-> float\)/],
    [() => b.bitcast('i64', i64), /IRBuilder\.bitcast: cannot bitcast i64 to i64/],
    [() => b.load('i64', i32), /IRBuilder\.load: addr must be i64, got v1:i32/],
    [() => b.load('i32', i64, { width: 8 }), /IRBuilder\.load: width 8 is not 1, 2, 4 or 8 bytes up to 4 \(the width of i32\)/],
    [() => b.load('i32', i64, { width: 3 as any }), /IRBuilder\.load: width 3 is not 1, 2, 4 or 8/],
    [() => b.load('f32', i64, { width: 2 }), /IRBuilder\.load: a f32 load reads exactly 4 bytes, got width 2/],
    [() => b.load('f64', i64, { signed: true }), /IRBuilder\.load: signed is for integer loads, not f64/],
    [() => b.load('i64', i64, { size: 4 } as any), /IRBuilder\.load: unknown option 'size' \(expected: width, signed\)/],
    [() => b.load('u32' as any, i64), /IRBuilder\.load: unknown type "u32" \(expected one of i8, i16, i32, i64, f32, f64\)/],
    [() => b.store(i64, i32, { width: 8 }), /IRBuilder\.store: width 8 is not 1, 2, 4 or 8 bytes up to 4 \(the width of i32\)/],
    [() => b.store(i64, f64, { width: 4 }), /IRBuilder\.store: a f64 store writes exactly 8 bytes, got width 4/],
    [() => b.store(f64, i64), /IRBuilder\.store: addr must be i64, got v2:f64/],
    [() => b.add(i64, 1n as any), /IRBuilder\.add: b must be a Value produced by this builder, got 1n/],
    [() => b.add({ id: 0, type: 'i64' } as any, i64), /IRBuilder\.add: a must be a Value produced by this builder, got an object/],
    [() => b.getState('i64', -1), /IRBuilder\.getState: state offset must be an integer in \[0, 2\^24\), got -1/],
    [() => b.getState('i64', 1 << 24), /IRBuilder\.getState: state offset must be an integer/],
    [() => b.i8(256), /IRBuilder\.i8: 256 does not fit in i8 \(expected -128\.\.255/],
    [() => b.i64(1n << 64n), /IRBuilder\.i64: 18446744073709551616 does not fit in i64/],
    [() => b.i32(1.5), /IRBuilder\.i32: 1\.5 is not a safe integer/],
    [() => b.f64(1n as any), /IRBuilder\.f64: expected a number for an f64 constant, got 1n/],
    [() => b.f32Bits(2 ** 32), /IRBuilder\.f32Bits: bit pattern 4294967296 is not an unsigned 32-bit integer/],
    [() => b.const('i128' as any, 0), /IRBuilder\.const: unknown type "i128"/],
    [() => b.trap(-1), /IRBuilder\.trap: code must be an integer in \[0, 2\^32\), got -1/],
    [() => b.exit(i32), /IRBuilder\.exit: pc must be i64, got v1:i32/],
    [() => b.mark('0x10' as any), /IRBuilder\.mark: pc must be a bigint \(or safe integer\), got "0x10"/],
  ]
  for (const [fn, message] of cases) {
    const err = t.throws(fn, undefined, String(message))
    t.true(err instanceof TypeError || err instanceof RangeError, `${message}: ${err?.constructor.name}`)
    t.regex(err!.message, message)
  }
  // After all that, the builder is still fine.
  b.exit(0n)
  t.notThrows(() => b.encode())
})

test('locals: wrong type, wrong builder', (t) => {
  const b = new IRBuilder()
  const l = b.local('i32')
  t.throws(() => b.set(l, b.getState('i64', 0)), { instanceOf: TypeError, message: /IRBuilder\.set: cannot assign v0:i64 to local l0:i32/ })
  t.throws(() => b.local('i32', b.getState('i64', 0)), { instanceOf: TypeError, message: /IRBuilder\.local: init v1:i64 does not match the local's type i32/ })
  t.throws(() => b.local('i8', 300), { instanceOf: RangeError, message: /IRBuilder\.local: 300 does not fit in i8/ })
  t.throws(() => b.get({ index: 0, type: 'i32' } as any), { instanceOf: TypeError, message: /IRBuilder\.get: expected a Local from b\.local/ })
  const other = new IRBuilder()
  t.throws(() => other.get(l), { instanceOf: TypeError, message: /IRBuilder\.get: local l0:i32 belongs to another builder or body/ })
})

test('values and labels from another builder are rejected', (t) => {
  const a = new IRBuilder()
  const b = new IRBuilder()
  const va = a.getState('i64', 0)
  const vb = b.getState('i64', 0)
  t.throws(() => b.add(vb, va), { instanceOf: TypeError, message: /IRBuilder\.add: b v0:i64 belongs to another IRBuilder/ })
  t.throws(() => b.setState(0, va), { instanceOf: TypeError, message: /IRBuilder\.setState: value v0:i64 belongs to another IRBuilder/ })
  const la = a.label()
  t.throws(() => b.jump(la), { instanceOf: TypeError, message: /IRBuilder\.jump: target L0 belongs to another builder or body/ })
  t.throws(() => b.bind(la), { instanceOf: TypeError, message: /IRBuilder\.bind: label L0 belongs to another builder/ })
  t.throws(() => b.jump({ index: 0 } as any), { instanceOf: TypeError, message: /IRBuilder\.jump: target must be a Label from b\.label\(\), got an object/ })
  t.throws(() => b.add(new Value(0, 'i64', {}), vb), { message: /a v0:i64 belongs to no builder/ })
})

test('values cannot cross between the main body and a helper', (t) => {
  const b = new IRBuilder()
  const outer = b.getState('i64', 0)
  const err = t.throws(() => b.function({ params: ['i64'], result: 'i64' }, (f, p) => f.ret(f.add(p!, outer))), { instanceOf: TypeError })
  t.regex(err!.message, /IRBuilder\.add \(helper body\): b v0:i64 belongs to another body of this block \(values cannot cross between the main body and helpers: pass them as call arguments\)/)
  let param: Value | undefined
  b.function({ params: ['i64'], result: 'i64' }, (f, p) => {
    param = p
    f.ret(p!)
  })
  t.throws(() => b.add(outer, param!), { message: /IRBuilder\.add: b v0:i64 belongs to another body of this block/ })
})

test('labels: bound twice, never bound', (t) => {
  const b = new IRBuilder()
  const l = b.label()
  b.bind(l)
  t.throws(() => b.bind(l), { instanceOf: Error, message: /IRBuilder\.bind: label L0 is already bound \(each label is bound exactly once\)/ })
  const never = b.label()
  b.jump(never)
  t.throws(() => b.encode(), { message: /IRBuilder\.encode: label L1 of the main body is never bound/ })
})

test('ops after a terminator need a label first', (t) => {
  const b = new IRBuilder()
  const l = b.label()
  b.jump(l)
  t.throws(() => b.i64(1n), { message: /IRBuilder\.i64: unreachable op after the terminator jump; bind a label first/ })
  t.throws(() => b.local('i64', 0n), { message: /IRBuilder\.local: unreachable op after the terminator jump/ })
  t.notThrows(() => b.local('i64')) // declaring without init emits nothing
  b.bind(l)
  b.halt()
  t.throws(() => b.exit(0n), { message: /IRBuilder\.exit: unreachable op after the terminator halt/ })
})

test('a body must end with a terminator', (t) => {
  t.throws(() => new IRBuilder().encode(), { message: /IRBuilder\.encode: the main body is empty; it must end with exit, halt, trap, jump or branchIf/ })
  const b = new IRBuilder()
  b.i64(1n)
  t.throws(() => b.encode(), { message: /IRBuilder\.encode: the main body does not end with a terminator \(last op: const\)/ })
  const c = new IRBuilder()
  c.exit(0n)
  c.bind(c.label())
  t.throws(() => c.encode(), { message: /does not end with a terminator \(last op: label\)/ })
})

test('ops after finish() throw', (t) => {
  const b = new IRBuilder()
  b.exit(0n)
  try {
    b.finish() // needs the addon to verify; the builder is closed either way
  } catch {}
  t.throws(() => b.i64(0n), { message: /IRBuilder\.i64: this builder is closed: finish\(\) was already called/ })
  t.throws(() => b.label(), { message: /IRBuilder\.label: this builder is closed/ })
  t.throws(() => b.local('i64'), { message: /IRBuilder\.local: this builder is closed/ })
  t.throws(() => b.function({}, (f) => f.ret()), { message: /IRBuilder\.function: this builder is closed/ })
  t.throws(() => b.finish(), { message: /IRBuilder\.finish: this builder is closed: finish\(\) was already called/ })
})

test('helper rules: no exit/halt/trap, ret required and typed, no finish', (t) => {
  const b = new IRBuilder()
  t.throws(() => b.function({}, (f) => f.exit(0n)), { message: /IRBuilder\.exit \(helper body\): exit is only allowed in the main body; a helper ends with ret/ })
  t.throws(() => b.function({}, (f) => f.halt()), { message: /IRBuilder\.halt \(helper body\): halt is only allowed in the main body/ })
  t.throws(() => b.function({}, (f) => f.trap(1)), { message: /IRBuilder\.trap \(helper body\): trap is only allowed in the main body/ })
  t.throws(() => b.function({ result: 'i64' }, (f) => void f.i64(1n)), {
    message: /IRBuilder\.function \(helper body\): the helper body does not end with a terminator \(last op: const\); end it with ret/,
  })
  t.throws(() => b.function({}, () => {}), { message: /IRBuilder\.function \(helper body\): the helper body is empty; it must end with ret/ })
  t.throws(() => b.function({ result: 'i64' }, (f) => f.ret()), { instanceOf: TypeError, message: /IRBuilder\.ret \(helper body\): this helper returns i64; pass the value to ret/ })
  t.throws(() => b.function({ result: 'i64' }, (f) => f.ret(f.i32(0))), { instanceOf: TypeError, message: /this helper returns i64, got v0:i32/ })
  t.throws(() => b.function({}, (f) => f.ret(f.i32(0))), { instanceOf: TypeError, message: /this helper has no result, but ret got a Value/ })
  t.throws(() => b.function({}, (f) => { f.ret(); f.finish() }), { message: /IRBuilder\.finish \(helper body\): a helper body is completed when its callback returns/ })
  t.throws(() => b.ret(), { message: /IRBuilder\.ret: ret is only for helper bodies/ })
  t.throws(() => b.function({ params: ['i65' as any] }, (f) => f.ret()), { instanceOf: TypeError, message: /IRBuilder\.function: unknown params\[0\] "i65"/ })
  t.throws(() => b.function({ params: new Array(65).fill('i8') }, (f) => f.ret()), { instanceOf: RangeError, message: /65 parameters \(at most 64\)/ })
  t.throws(() => b.function({ result: 'i64' } as any, undefined as any), { instanceOf: TypeError, message: /IRBuilder\.function: body must be a function/ })
  t.throws(() => b.function({ args: [] } as any, (f) => f.ret()), { instanceOf: TypeError, message: /unknown option 'args'/ })
  t.throws(() => b.function({}, (async (f: IRBuilder) => f.ret()) as any), { instanceOf: TypeError, message: /must build synchronously/ })
  // A failed helper definition leaves the block usable and uses no helper index.
  const ok = b.function({}, (f) => f.ret())
  t.is(ok.index, 0)
})

test('finishing the block from inside a helper body is an error', (t) => {
  const b = new IRBuilder()
  b.exit(0n)
  t.throws(
    () =>
      b.function({}, (f) => {
        f.ret()
        try {
          b.finish()
        } catch {} // (needs the addon; the block is finished either way)
      }),
    { message: /IRBuilder\.function: finish\(\) was called while this helper was being built/ },
  )
})

test('a helper builder is closed once its callback returns', (t) => {
  const b = new IRBuilder()
  let saved: IRBuilder | undefined
  b.function({}, (f) => {
    saved = f
    f.ret()
  })
  t.throws(() => saved!.i64(0n), { message: /IRBuilder\.i64 \(helper body\): this builder is closed: the helper body is complete/ })
})

test('call: arity, argument types, foreign functions', (t) => {
  const b = new IRBuilder()
  const fn = b.function({ params: ['i64', 'f64'], result: 'i32' }, (f) => f.ret(f.i32(0)))
  const i = b.getState('i64', 0)
  t.throws(() => b.call(fn, i), { instanceOf: TypeError, message: /IRBuilder\.call: fn0\(i64, f64\) -> i32 takes 2 argument\(s\), got 1/ })
  t.throws(() => b.call(fn, i, i), { instanceOf: TypeError, message: /IRBuilder\.call: argument 1 of fn0\(i64, f64\) -> i32 must be f64, got v0:i64/ })
  t.throws(() => b.call({ index: 0 } as any), { instanceOf: TypeError, message: /IRBuilder\.call: expected a Func from b\.function/ })
  const other = new IRBuilder()
  const foreign = other.function({}, (f) => f.ret())
  t.throws(() => b.call(foreign), { instanceOf: TypeError, message: /IRBuilder\.call: fn0\(\) belongs to another block/ })
})

test('a value used where its definition does not dominate is reported in builder terms', (t) => {
  const b = new IRBuilder()
  const then = b.label(), join = b.label()
  b.branchIf(b.getState('i8', 0), then, join)
  b.bind(then)
  const x = b.i64(1n) // only defined on the `then` path
  b.jump(join)
  b.bind(join)
  b.setState(8, x)
  b.exit(0n)
  t.throws(() => b.encode(), {
    message: /IRBuilder\.encode: in the main body, v1 \(defined in L0\) is used by setState \(op 6, in L1\) on a path that does not pass its definition; carry values across labels in a local/,
  })
})

test('dominating uses across labels and loops are accepted', (t) => {
  const b = new IRBuilder()
  const n = b.getState('i64', 0)
  const loop = b.label(), body = b.label(), done = b.label()
  b.bind(loop)
  b.branchIf(b.icmp('eq', n, n), body, done)
  b.bind(body)
  b.setState(0, n)
  b.jump(loop)
  b.bind(done)
  b.exit(n)
  t.notThrows(() => b.encode())
})

test('constructor options', (t) => {
  t.is(new IRBuilder().pc, 0n)
  t.is(new IRBuilder({ pc: 0x10 }).pc, 0x10n)
  t.is(new IRBuilder({ pc: -1n }).pc, 0xffff_ffff_ffff_ffffn)
  t.throws(() => new IRBuilder({ PC: 1n } as any), { instanceOf: TypeError, message: /new IRBuilder: unknown option 'PC' \(expected: pc\)/ })
  t.throws(() => new IRBuilder({ pc: '1' } as any), { instanceOf: TypeError, message: /new IRBuilder: pc must be a bigint/ })
  t.throws(() => new IRBuilder({ pc: 1n << 64n }), { instanceOf: RangeError })
  t.throws(() => new IRBuilder(5 as any), { instanceOf: TypeError, message: /options must be an object/ })
})

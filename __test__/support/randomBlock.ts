// A seeded, reproducible generator of random *valid* blocks for the differential test.
//
// Every block is built through IRBuilder (so it is well-typed and verifies), and covers, across a
// run: every op, forward branches (diamonds, with arms that fall through, jump, or leave the
// block), bounded loops (a counter local that counts down, with `jump` or `brif` back edges, so fuel
// is spent and can run out), guest memory accesses at in-range, boundary and wild addresses,
// helper functions calling earlier helpers, and every kind of exit. Values are only used where
// their definition dominates: each structured region pushes a scope of visible values and pops it
// at its join, and locals carry values across.
//
// Determinism: block `k` of seed `s` depends only on (s, k), so one failing block can be rebuilt
// alone (VMJIT_DIFF_ONLY=k in differential.spec.ts).

import { IRBuilder } from 'vm-jit-native'
import type { Block, Func, IRType, Local, Value } from 'vm-jit-native'

// ---------------------------------------------------------------------------------------------
// PRNG: xoshiro128** seeded through splitmix32. 32-bit integer arithmetic only: fast in JS.

export class Rng {
  #s0: number
  #s1: number
  #s2: number
  #s3: number

  constructor(seed: number, stream = 0) {
    let x = (seed ^ Math.imul(stream + 1, 0x9e3779b9)) >>> 0
    const splitmix = () => {
      x = (x + 0x9e3779b9) >>> 0
      let z = x
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b)
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35)
      return (z ^ (z >>> 16)) >>> 0
    }
    this.#s0 = splitmix()
    this.#s1 = splitmix()
    this.#s2 = splitmix()
    this.#s3 = splitmix() | 1
  }

  /** Uniform u32. */
  next(): number {
    const result = Math.imul(rotl(Math.imul(this.#s1, 5), 7), 9) >>> 0
    const t = this.#s1 << 9
    this.#s2 ^= this.#s0
    this.#s3 ^= this.#s1
    this.#s1 ^= this.#s2
    this.#s0 ^= this.#s3
    this.#s2 ^= t
    this.#s3 = rotl(this.#s3, 11)
    return result
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor((this.next() / 0x1_0000_0000) * n)
  }

  chance(p: number): boolean {
    return this.next() / 0x1_0000_0000 < p
  }

  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!
  }

  u64(): bigint {
    return (BigInt(this.next()) << 32n) | BigInt(this.next())
  }

  fill(bytes: Uint8Array): void {
    for (let k = 0; k < bytes.length; k += 4) {
      const v = this.next()
      for (let j = 0; j < 4 && k + j < bytes.length; j++) bytes[k + j] = (v >>> (8 * j)) & 0xff
    }
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k))
}

// ---------------------------------------------------------------------------------------------

export const STATE_SIZE = 128
export const MEMORY_SIZE = 256

const INT_TYPES = ['i8', 'i16', 'i32', 'i64'] as const
const FLOAT_TYPES = ['f32', 'f64'] as const
const ALL_TYPES: readonly IRType[] = [...INT_TYPES, ...FLOAT_TYPES]
const WIDTH: Record<IRType, 1 | 2 | 4 | 8> = { i8: 1, i16: 2, i32: 4, i64: 8, f32: 4, f64: 8 }
const INT_BINARY = ['add', 'sub', 'mul', 'umulhi', 'smulhi', 'sumulhi', 'udiv', 'sdiv', 'urem', 'srem', 'and', 'or', 'xor', 'shl', 'ushr', 'sshr', 'rotl', 'rotr'] as const
const INT_UNARY = ['not', 'neg', 'clz', 'ctz', 'popcnt'] as const
const FLOAT_BINARY = ['fadd', 'fsub', 'fmul', 'fdiv', 'fmin', 'fmax', 'fcopysign'] as const
const FLOAT_UNARY = ['fsqrt', 'fneg', 'fabs'] as const
const ICMP = ['eq', 'ne', 'slt', 'sle', 'sgt', 'sge', 'ult', 'ule', 'ugt', 'uge'] as const
const FCMP = ['eq', 'ne', 'lt', 'le', 'gt', 'ge', 'uno', 'ord'] as const

/** Every builder method the generator can emit; the differential test checks they all appear. */
export const ALL_OPS: readonly string[] = [
  'const', 'getState', 'setState', 'load', 'store', 'get', 'set', 'mark',
  ...INT_BINARY, ...INT_UNARY, 'icmp', 'select', 'zext', 'sext', 'trunc',
  ...FLOAT_BINARY, ...FLOAT_UNARY, 'fma', 'fcmp', 'fcvtToSint', 'fcvtToUint', 'fcvtFromSint', 'fcvtFromUint',
  'fpromote', 'fdemote', 'bitcast', 'bind', 'jump', 'branchIf', 'exit', 'halt', 'trap', 'function', 'call', 'ret',
]

/** Interesting bit patterns per type, mixed with random ones. */
function interestingBits(rng: Rng, t: IRType): bigint {
  const bits = BigInt(8 * WIDTH[t])
  const mask = (1n << bits) - 1n
  if (t === 'f32') {
    return rng.pick([0n, 0x80000000n, 0x3f800000n, 0xbf800000n, 0x7f800000n, 0xff800000n, 0x7fc00000n, 0x7fc00001n, 0xffc12345n, 0x7f800001n, 0x00000001n, 0x7f7fffffn, 0x4f000000n, 0xcf000000n, 0x5f800000n, 0x3effffffn, BigInt(rng.next())])
  }
  if (t === 'f64') {
    return rng.pick([0n, 1n << 63n, 0x3ff0000000000000n, 0xbff0000000000000n, 0x7ff0000000000000n, 0xfff0000000000000n, 0x7ff8000000000000n, 0x7ff8000000000001n, 0xfff4000000000000n, 0x0000000000000001n, 0x41e0000000000000n, 0xc1e0000000000000n, 0x43e0000000000000n, 0xc3e0000000000000n, 0x43f0000000000000n, 0x3fe0000000000001n, rng.u64()])
  }
  const min = 1n << (bits - 1n)
  return rng.pick([0n, 1n, 2n, 3n, 7n, 31n, 63n, mask, mask - 1n, min, min - 1n, min + 1n, BigInt(rng.int(256)), rng.u64() & mask, rng.u64() & mask]) & mask
}

// ---------------------------------------------------------------------------------------------

interface Shared {
  rng: Rng
  coverage: Map<string, number>
  helpers: Func[]
  /** Budget of ops left in the whole block (keeps blocks small and the test fast). */
  budget: number
}

/** Generates one body (main or helper) on one builder. */
class BodyGen {
  readonly #pools: Record<IRType, Value[]> = { i8: [], i16: [], i32: [], i64: [], f32: [], f64: [] }
  readonly #scopes: Array<Record<IRType, number>> = []
  readonly #locals: Local[] = []
  #terminated = false

  constructor(
    readonly b: IRBuilder,
    readonly s: Shared,
    readonly isMain: boolean,
    readonly callable: readonly Func[],
    /** A helper's result type (undefined: none, or the main body). */
    readonly result?: IRType,
  ) {}

  get rng(): Rng {
    return this.s.rng
  }

  #used(op: string): void {
    this.s.coverage.set(op, (this.s.coverage.get(op) ?? 0) + 1)
  }

  #push(): void {
    const mark = {} as Record<IRType, number>
    for (const t of ALL_TYPES) mark[t] = this.#pools[t].length
    this.#scopes.push(mark)
  }

  #pop(): void {
    const mark = this.#scopes.pop()!
    for (const t of ALL_TYPES) this.#pools[t].length = mark[t]
  }

  add(v: Value | undefined): Value | undefined {
    if (v) this.#pools[v.type].push(v)
    return v
  }

  /** A visible value of type t, creating one (const, state, local, conversion) if needed or by chance. */
  value(t: IRType): Value {
    const pool = this.#pools[t]
    if (pool.length > 0 && !this.rng.chance(0.15)) {
      // prefer recent values: longer dependency chains
      const k = this.rng.chance(0.5) ? pool.length - 1 - this.rng.int(Math.min(4, pool.length)) : this.rng.int(pool.length)
      return pool[k]!
    }
    return this.fresh(t)
  }

  fresh(t: IRType): Value {
    const r = this.rng.int(10)
    if (r < 4) return this.constant(t)
    if (r < 7) return this.getState(t)
    if (r < 8) {
      const l = this.local(t)
      this.#used('get')
      return this.add(this.b.get(l))!
    }
    return this.constant(t)
  }

  constant(t: IRType): Value {
    this.#used('const')
    const bits = interestingBits(this.rng, t)
    const v = t === 'f32' ? this.b.f32Bits(bits) : t === 'f64' ? this.b.f64Bits(bits) : this.b.const(t, bits)
    return this.add(v)!
  }

  getState(t: IRType): Value {
    this.#used('getState')
    return this.add(this.b.getState(t, this.rng.int(STATE_SIZE - WIDTH[t] + 1)))!
  }

  local(t: IRType): Local {
    const same = this.#locals.filter((l) => l.type === t)
    if (same.length > 0 && this.rng.chance(0.8)) return this.rng.pick(same)
    const l = this.b.local(t)
    this.#locals.push(l)
    return l
  }

  intType(): (typeof INT_TYPES)[number] {
    return this.rng.pick(INT_TYPES)
  }

  floatType(): (typeof FLOAT_TYPES)[number] {
    return this.rng.pick(FLOAT_TYPES)
  }

  /** A guest address for a `w`-byte access: mostly in range, sometimes at the edge or wild. */
  address(w: number): Value {
    const r = this.rng.int(100)
    if (r < 4) {
      this.#used('const')
      return this.add(this.b.i64(BigInt(MEMORY_SIZE - w + this.rng.int(2))))!
    }
    if (r < 7) return this.value('i64') // arbitrary 64-bit value: nearly always a fault
    const base = this.rng.chance(0.7) ? this.value('i64') : this.widen(this.value(this.intType()))
    this.#used('and')
    const mask = this.rng.chance(0.7) ? 0xf7n : 0xffn // 0xff reaches past the end for wide accesses
    return this.add(this.b.and(base, this.b.i64(mask)))!
  }

  widen(v: Value): Value {
    if (v.type === 'i64') return v
    this.#used('zext')
    return this.add(this.b.zext('i64', v))!
  }

  /** One random data op (no control flow). */
  op(): void {
    const b = this.b
    const rng = this.rng
    this.s.budget--
    const r = rng.int(100)
    if (r < 22) {
      const op = rng.pick(INT_BINARY)
      const t = this.intType()
      this.#used(op)
      this.add(b[op](this.value(t), this.value(t)))
    } else if (r < 28) {
      const op = rng.pick(INT_UNARY)
      this.#used(op)
      this.add(b[op](this.value(this.intType())))
    } else if (r < 36) {
      const op = rng.pick(FLOAT_BINARY)
      const t = this.floatType()
      this.#used(op)
      this.add(b[op](this.value(t), this.value(t)))
    } else if (r < 39) {
      const op = rng.pick(FLOAT_UNARY)
      this.#used(op)
      this.add(b[op](this.value(this.floatType())))
    } else if (r < 41) {
      const t = this.floatType()
      this.#used('fma')
      this.add(b.fma(this.value(t), this.value(t), this.value(t)))
    } else if (r < 45) {
      const t = this.intType()
      this.#used('icmp')
      this.add(b.icmp(rng.pick(ICMP), this.value(t), this.value(t)))
    } else if (r < 47) {
      const t = this.floatType()
      this.#used('fcmp')
      this.add(b.fcmp(rng.pick(FCMP), this.value(t), this.value(t)))
    } else if (r < 50) {
      const t = rng.pick(ALL_TYPES)
      this.#used('select')
      this.add(b.select(this.value(this.intType()), this.value(t), this.value(t)))
    } else if (r < 55) {
      const from = rng.int(3)
      const to = from + 1 + rng.int(3 - from)
      const op = rng.chance(0.5) ? 'zext' : 'sext'
      this.#used(op)
      this.add(b[op](INT_TYPES[to]!, this.value(INT_TYPES[from]!)))
    } else if (r < 58) {
      const to = rng.int(3)
      const from = to + 1 + rng.int(3 - to)
      this.#used('trunc')
      this.add(b.trunc(INT_TYPES[to]!, this.value(INT_TYPES[from]!)))
    } else if (r < 62) {
      const op = rng.pick(['fcvtToSint', 'fcvtToUint'] as const)
      this.#used(op)
      this.add(b[op](rng.pick(['i32', 'i64'] as const), this.value(this.floatType())))
    } else if (r < 65) {
      const op = rng.pick(['fcvtFromSint', 'fcvtFromUint'] as const)
      this.#used(op)
      this.add(b[op](this.floatType(), this.value(rng.pick(['i32', 'i64'] as const))))
    } else if (r < 67) {
      if (rng.chance(0.5)) {
        this.#used('fpromote')
        this.add(b.fpromote(this.value('f32')))
      } else {
        this.#used('fdemote')
        this.add(b.fdemote(this.value('f64')))
      }
    } else if (r < 69) {
      const [from, to] = rng.pick([['i32', 'f32'], ['f32', 'i32'], ['i64', 'f64'], ['f64', 'i64']] as const)
      this.#used('bitcast')
      this.add(b.bitcast(to, this.value(from)))
    } else if (r < 73) {
      this.getState(rng.pick(ALL_TYPES))
    } else if (r < 78) {
      const t = rng.pick(ALL_TYPES)
      this.#used('setState')
      b.setState(rng.int(STATE_SIZE - WIDTH[t] + 1), this.value(t))
    } else if (r < 83) {
      const t = rng.pick(ALL_TYPES)
      const isInt = t[0] === 'i'
      const width = isInt ? rng.pick([1, 2, 4, 8].filter((w) => w <= WIDTH[t])) as 1 | 2 | 4 | 8 : WIDTH[t]
      this.#used('load')
      this.add(b.load(t, this.address(width), { width, signed: isInt && rng.chance(0.5) }))
    } else if (r < 88) {
      const t = rng.pick(ALL_TYPES)
      const width = t[0] === 'i' ? rng.pick([1, 2, 4, 8].filter((w) => w <= WIDTH[t])) as 1 | 2 | 4 | 8 : WIDTH[t]
      const v = this.value(t)
      this.#used('store')
      b.store(this.address(width), v, { width })
    } else if (r < 92) {
      const t = rng.pick(ALL_TYPES)
      this.#used('set')
      b.set(this.local(t), this.value(t))
    } else if (r < 94) {
      this.#used('get')
      const t = rng.pick(ALL_TYPES)
      this.add(b.get(this.local(t)))
    } else if (r < 96) {
      this.#used('mark')
      b.mark(0x1000n + 4n * BigInt(rng.int(64)))
    } else if (this.callable.length > 0) {
      const f = rng.pick(this.callable)
      this.#used('call')
      this.add(b.call(f, ...f.params.map((t) => this.value(t))))
    } else {
      this.constant(rng.pick(ALL_TYPES))
    }
  }

  /** Straight-line ops, with nested regions while depth and budget allow. */
  sequence(depth: number, maxOps: number): void {
    const n = 1 + this.rng.int(maxOps)
    for (let k = 0; k < n && !this.#terminated; k++) {
      const r = this.rng.int(100)
      if (depth < 2 && this.s.budget > 10 && r < 10) this.diamond(depth + 1)
      else if (depth < 2 && this.s.budget > 10 && r < 17) this.loop(depth + 1)
      else this.op()
    }
  }

  /** brif to two arms that meet again (or leave the block / return early). */
  diamond(depth: number): void {
    const b = this.b
    const then = b.label(), other = b.label(), join = b.label()
    this.#used('branchIf')
    b.branchIf(this.value(this.intType()), then, other)
    let joinReached = false
    for (const [k, arm] of [then, other].entries()) {
      this.#used('bind')
      b.bind(arm)
      // Everything emitted in the arm, including how it ends, is in the arm's scope: its values
      // do not dominate the join.
      this.#push()
      this.sequence(depth, 5)
      if (this.#terminated) {
        this.#terminated = false // the arm already left; the next label starts reachable code again
      } else {
        const r = this.rng.int(10)
        if (r < 2) {
          this.leave() // early exit (or ret) from this arm
        } else if (k === 1 && r < 6) {
          joinReached = true // fall through into the join label
        } else {
          this.#used('jump')
          b.jump(join)
          joinReached = true
        }
      }
      this.#pop()
    }
    this.#used('bind')
    b.bind(join)
    if (!joinReached) {
      // nothing reaches the join: unreachable code, which must still be well-formed
      this.#push()
      this.leave()
      this.#pop()
      this.#terminated = true
    }
  }

  /** A counted loop: a local counts down from 1..5 (sometimes from guest state); back edges cost fuel. */
  loop(depth: number): void {
    const b = this.b
    const rng = this.rng
    const counterType = rng.pick(['i8', 'i32', 'i64'] as const)
    const counter = b.local(counterType)
    const init = rng.chance(0.7)
      ? b.const(counterType, 1 + rng.int(5))
      : b.add(b.and(this.value(counterType), b.const(counterType, 3)), b.const(counterType, 1))
    this.#used('set')
    b.set(counter, init)
    const head = b.label(), exit = b.label()
    const useJump = rng.chance(0.5)
    this.#used('bind')
    if (useJump) {
      // head: if counter == 0 goto exit; body; counter -= 1; jump head
      const body = b.label()
      if (rng.chance(0.5)) {
        this.#used('jump')
        b.jump(head)
      }
      b.bind(head)
      this.#used('branchIf')
      b.branchIf(b.icmp('eq', b.get(counter), b.const(counterType, 0)), exit, body)
      b.bind(body)
      this.#push()
      this.sequence(depth, 6)
      this.#pop()
      if (this.#terminated) {
        this.#terminated = false
      } else {
        b.set(counter, b.sub(b.get(counter), b.const(counterType, 1)))
        if (rng.chance(0.5)) b.mark(0x2000n + 4n * BigInt(rng.int(16)))
        this.#used('jump')
        b.jump(head)
      }
    } else {
      // head: body; counter -= 1; brif counter != 0 → head, else exit
      b.bind(head)
      this.#push()
      this.sequence(depth, 6)
      this.#pop()
      if (this.#terminated) {
        this.#terminated = false
      } else {
        const next = b.sub(b.get(counter), b.const(counterType, 1))
        b.set(counter, next)
        if (rng.chance(0.5)) b.mark(0x2000n + 4n * BigInt(rng.int(16)))
        this.#used('branchIf')
        b.branchIf(next, head, exit)
      }
    }
    b.bind(exit)
  }

  /** Ends the current block of code: a random exit in the main body, ret in a helper. */
  leave(): void {
    const b = this.b
    const rng = this.rng
    if (!this.isMain) {
      this.#used('ret')
      if (this.result === undefined) b.ret()
      else b.ret(this.value(this.result))
      return
    }
    const pc = (): bigint | Value | undefined => {
      const r = rng.int(3)
      return r === 0 ? undefined : r === 1 ? 0x1000n + 4n * BigInt(rng.int(1024)) : this.value('i64')
    }
    const r = rng.int(10)
    if (r < 5) {
      this.#used('exit')
      b.exit(pc())
    } else if (r < 7) {
      this.#used('halt')
      b.halt(pc())
    } else {
      this.#used('trap')
      b.trap(rng.chance(0.5) ? rng.int(16) : rng.next(), pc())
    }
  }

  /** Marks the body as having been terminated by a region that cannot fall out. */
  get terminated(): boolean {
    return this.#terminated
  }
}

export interface RandomCase {
  block: Block
  state: Uint8Array
  memory: Uint8Array
  fuel: number
}

/** Block `index` of `seed`. `coverage` (op → count) accumulates the builder methods used. */
export function randomBlock(seed: number, index: number, coverage: Map<string, number> = new Map()): RandomCase {
  const rng = new Rng(seed, index)
  const shared: Shared = { rng, coverage, helpers: [], budget: 30 + rng.int(50) }
  const b = new IRBuilder({ pc: 0x1000n + 4n * BigInt(rng.int(256)) })

  const nhelpers = rng.chance(0.4) ? 1 + rng.int(3) : 0
  for (let h = 0; h < nhelpers; h++) {
    const params = Array.from({ length: rng.int(4) }, () => rng.pick(ALL_TYPES))
    const result = rng.chance(0.8) ? rng.pick(ALL_TYPES) : undefined
    const callable = [...shared.helpers]
    coverage.set('function', (coverage.get('function') ?? 0) + 1)
    const f = b.function({ params, result }, (fb, ...ps) => {
      const g = new BodyGen(fb, shared, false, callable, result)
      for (const p of ps) g.add(p)
      g.sequence(1, 8)
      if (!g.terminated) g.leave()
    })
    shared.helpers.push(f)
  }

  const g = new BodyGen(b, shared, true, shared.helpers)
  if (rng.chance(0.5)) {
    coverage.set('mark', (coverage.get('mark') ?? 0) + 1)
    b.mark(0x1000n + 4n * BigInt(rng.int(64)))
  }
  while (shared.budget > 0 && !g.terminated) g.sequence(0, 8)
  if (!g.terminated) g.leave()

  const state = new Uint8Array(STATE_SIZE)
  const memory = new Uint8Array(MEMORY_SIZE)
  rng.fill(state)
  rng.fill(memory)
  const r = rng.int(10)
  const fuel = r < 6 ? 1_000_000_000 : r < 9 ? rng.int(12) : Infinity
  let block: Block
  try {
    block = b.finish()
  } catch (err) {
    // keep the bytes, so the report can print the text form of the block the verifier rejected
    throw Object.assign(err as Error, { bytes: b.encode() })
  }
  return { block, state, memory, fuel }
}

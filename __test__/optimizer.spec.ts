// The optimiser from TypeScript: Optimizer / OptimizationPass over the native passes. Every
// optimised block must run exactly like the original (interpreter and compiled code, state,
// memory and exit including fuel), and the pipeline must visibly shrink the README block and a
// naive register-machine block.

import test from 'ava'
import { Block, CraneliftBackend, IRBuilder, Interpreter, OPTIMIZATION_PASSES, OptimizationPass, Optimizer } from 'vm-jit-native'
import type { RunExit } from 'vm-jit-native'
import { native } from '../dist/native.js'
import { readmeBlock } from './support/readmeBlock.cjs'

interface Outcome {
  exit: RunExit
  state: Uint8Array
  memory: Uint8Array
}

const interpreter = new Interpreter()
const backend = new CraneliftBackend({ optLevel: 'speed' })

function runBoth(block: Block, state: Uint8Array, memory: Uint8Array, fuel: number): Outcome[] {
  const out: Outcome[] = []
  {
    const s = state.slice(), m = memory.slice()
    out.push({ exit: interpreter.run(block, s, m, { fuel }), state: s, memory: m })
  }
  {
    const s = state.slice(), m = memory.slice()
    const code = backend.compile(block)
    out.push({ exit: code.run(s, m, { fuel }), state: s, memory: m })
    code.free()
  }
  return out
}

/** Both blocks, interpreted and compiled, agree with the original's interpretation. */
function assertSameBehaviour(t: import('ava').ExecutionContext, before: Block, after: Block, inputs: Array<[Uint8Array, Uint8Array, number]>): void {
  for (const [state, memory, fuel] of inputs) {
    const [want] = runBoth(before, state, memory, fuel)
    for (const got of [...runBoth(before, state, memory, fuel), ...runBoth(after, state, memory, fuel)]) {
      t.deepEqual(got.exit, want.exit)
      t.deepEqual(got.state, want.state)
      t.deepEqual(got.memory, want.memory)
    }
  }
}

function words(n: number, f: (k: number) => bigint): Uint8Array {
  const a = new BigUint64Array(n)
  for (let k = 0; k < n; k++) a[k] = BigInt.asUintN(64, f(k))
  return new Uint8Array(a.buffer)
}

/**
 * A naive register machine: guest register x_k lives at state offset 8k and every guest
 * instruction reads its sources from state and writes its destination back.
 */
function registerMachineBlock(): Block {
  const b = new IRBuilder({ pc: 0x1000n })
  const x = (k: number) => b.getState('i64', 8 * k)
  const setX = (k: number, v: ReturnType<typeof x>) => b.setState(8 * k, v)
  let pc = 0x1000n
  const insn = (f: () => void) => {
    b.mark(pc)
    f()
    pc += 4n
  }
  insn(() => setX(3, b.add(x(1), x(2)))) // add x3, x1, x2
  insn(() => setX(3, b.add(x(3), b.i64(1n)))) // addi x3, x3, 1
  insn(() => b.store(b.add(x(2), b.i64(16n)), x(3))) // sd x3, 16(x2)
  insn(() => setX(4, b.load('i64', b.add(x(2), b.i64(16n)), { width: 4, signed: true }))) // lw x4, 16(x2)
  insn(() => setX(5, b.shl(x(4), b.i64(0n)))) // slli x5, x4, 0
  insn(() => setX(6, b.xor(x(5), x(5)))) // xor x6, x5, x5
  insn(() => setX(7, b.add(x(6), b.i64(5n)))) // addi x7, x6, 5
  insn(() => setX(8, b.sub(x(7), x(3)))) // sub x8, x7, x3
  insn(() => setX(9, b.mul(x(8), b.i64(1n)))) // mul x9, x8, (li 1)
  b.mark(pc)
  const taken = b.label(), fall = b.label()
  b.branchIf(b.icmp('eq', x(7), b.i64(0n)), taken, fall) // beqz x7 (never taken: x7 = 5)
  b.bind(taken)
  b.exit(b.i64(0x2000n))
  b.bind(fall)
  b.exit(b.i64(pc + 4n))
  return b.finish()
}

const count = (text: string, what: string) => text.split('\n').filter((l) => l.includes(what)).length
const countEnding = (text: string, end: string) => text.split('\n').filter((l) => l.endsWith(end)).length

test('OptimizationPass names are the native ones; defaultPipeline is the native pipeline', (t) => {
  t.deepEqual([...OPTIMIZATION_PASSES].sort(), [...native().optimizationPasses()].sort())
  t.is(OptimizationPass.ConstantFolding, 'ConstantFolding')
  const o = Optimizer.defaultPipeline()
  t.deepEqual([...o.passes], native().defaultOptimizationPipeline())
  t.true(o.passes.includes(OptimizationPass.Inlining))
  t.true(o.passes.includes(OptimizationPass.DeadCodeElimination))
})

test('README block: the pipeline removes ops, the text shows it, results are unchanged', (t) => {
  const block = readmeBlock()
  const o = Optimizer.defaultPipeline()
  const optimized = o.optimize(block)
  t.true(optimized instanceof Block)
  t.not(optimized, block)
  const stats = o.lastStats!
  t.is(stats.opsBefore, block.opCount)
  t.is(stats.opsAfter, optimized.opCount)
  t.true(optimized.opCount < block.opCount, `${block.opCount} → ${optimized.opCount}`)
  t.is(stats.passes.length, o.passes.length)
  t.deepEqual(stats.passes.map((p) => p.pass), [...o.passes])
  for (const p of stats.passes) t.true(p.timeUs >= 0 && p.opsAfter >= 0)
  t.log(`README block: ${block.opCount} → ${optimized.opCount} ops; per pass: ${stats.passes.map((p) => `${p.pass} ${p.opsBefore}→${p.opsAfter} (${p.timeUs.toFixed(1)} µs)`).join(', ')}`)
  const before = block.toString(), after = optimized.toString()
  t.not(after, before)
  t.true(after.split('\n').length < before.split('\n').length)
  // the two `const.i64 0` of the locals' initialisers are one constant now
  t.is(countEnding(before, '= const.i64 0'), 2)
  t.is(countEnding(after, '= const.i64 0'), 1)
  t.log(`before:\n${before}\nafter:\n${after}`)
  const inputs: Array<[Uint8Array, Uint8Array, number]> = []
  for (const n of [0n, 1n, 7n, 1024n, 5000n]) {
    for (const fuel of [0, 3, 100, Infinity]) {
      inputs.push([words(32, (k) => (k === 11 ? n : BigInt(k) * 3n)), words(1024, (k) => BigInt(k) * 0x1_0000_0001n), fuel])
    }
  }
  assertSameBehaviour(t, block, optimized, inputs)
})

test('naive register-machine block: state traffic and foldable ops disappear', (t) => {
  const block = registerMachineBlock()
  const o = new Optimizer()
  o.addPass(OptimizationPass.StateForwarding)
  const forwarded = o.optimize(block)
  t.true(count(forwarded.toString(), 'get_state') < count(block.toString(), 'get_state'))
  const full = Optimizer.defaultPipeline()
  const optimized = full.optimize(block)
  const before = block.toString(), after = optimized.toString()
  t.log(`register machine: ${block.opCount} → ${optimized.opCount} ops; per pass: ${full.lastStats!.passes.map((p) => `${p.pass} ${p.opsBefore}→${p.opsAfter}`).join(', ')}`)
  t.log(`after:\n${after}`)
  t.true(optimized.opCount * 2 < block.opCount, `${block.opCount} → ${optimized.opCount}`)
  // registers read before being written stay reads (x1, x2); everything else is forwarded
  t.is(count(after, 'get_state'), 2)
  t.is(count(before, 'get_state'), 14)
  // x7 = 5 is a constant, so the branch on it folds and its dead side goes
  t.is(count(after, 'brif'), 0)
  t.true(after.includes('const.i64 0x1028'))
  // the load reads what the store just wrote: forwarded (truncated and sign-extended)
  t.is(count(after, '= load'), 0)
  t.is(count(after, 'store.8'), 1)
  // x6 = x5 ^ x5 = 0, x7 = x6 + 5 = 5, x9 = x8 * 1 = x8
  t.is(count(after, 'xor'), 0)
  t.is(count(after, 'mul'), 0)
  t.true(after.includes('mark 0x1008'), 'the store keeps its guest pc')
  const inputs: Array<[Uint8Array, Uint8Array, number]> = []
  for (const seed of [1n, 2n, 3n]) {
    // x2 in range (the store and load hit memory) and out of range (they fault)
    for (const x2 of [64n, 4096n, 0xffff_ffff_ffff_fff0n]) {
      inputs.push([words(16, (k) => (k === 2 ? x2 : seed * BigInt(k) * 0x9e37_79b9n)), words(512, (k) => BigInt(k)), 10])
    }
  }
  assertSameBehaviour(t, block, optimized, inputs)
})

test('passes run alone and chained; the input block is never modified', (t) => {
  const block = registerMachineBlock()
  const bytes = block.bytes.slice()
  for (const p of OPTIMIZATION_PASSES) {
    const o = new Optimizer([p])
    const out = o.optimize(block)
    t.is(o.lastStats!.passes.length, 1)
    t.is(o.lastStats!.passes[0]!.pass, p)
    t.true(out.opCount <= block.opCount + 4, p)
  }
  const chained = new Optimizer().addPass(OptimizationPass.ConstantFolding).addPass(OptimizationPass.DeadCodeElimination)
  t.deepEqual([...chained.passes], ['ConstantFolding', 'DeadCodeElimination'])
  t.true(chained.optimize(block).opCount < block.opCount)
  t.deepEqual(block.bytes, bytes)
  // an empty pipeline returns an equivalent block
  const same = new Optimizer().optimize(block)
  t.is(same.toString(), block.toString())
  t.is(new Optimizer().lastStats, undefined)
})

test('bad arguments are TypeErrors that say what was expected', (t) => {
  t.throws(() => new Optimizer().addPass('Peephole' as OptimizationPass), { instanceOf: TypeError, message: /unknown pass "Peephole".*ConstantFolding/ })
  t.throws(() => new Optimizer().optimize({} as Block), { instanceOf: TypeError, message: /expected a Block/ })
  t.throws(() => new Optimizer(42 as unknown as OptimizationPass[]), { instanceOf: TypeError, message: /iterable/ })
  t.throws(() => native().optimizeBlock(readmeBlock().bytes, ['Nope']), { message: /unknown optimization pass "Nope"/ })
  t.throws(() => native().optimizeBlock(new Uint8Array([1, 2, 3]), []), { message: /malformed IR|bad magic/ })
})

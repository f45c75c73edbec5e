// Regions: Region.stitch (several blocks → one block whose exits between members are jumps) and
// the TieredCompiler's tier-2 regions (a hot loop spread over several guest blocks is compiled as
// one region, which invalidating any member drops). Random regions against their members, every
// pass and every engine: crates/vm-jit-core/tests/region_differential.rs.

import test from 'ava'
import { Block, CraneliftBackend, DEFAULT_REGION_LIMITS, Interpreter, IRBuilder, Region, TieredCompiler } from 'vm-jit-native'
import type { CompileEndEvent } from 'vm-jit-native'
import { diffResults, newGuest, reg, runReference, runTiered } from './support/synthGuest/index.cjs'
import { smallProgram } from './support/smallProgram.ts'
import type { Program } from './support/synthGuest/index.cjs'

// ---- Region.stitch ----------------------------------------------------------------------------

/** `A (0x100): x1 += 1 → B` and `B (0x200): x1 < x2 ? → A : → 0x300`, x_k at state offset 8k. */
function twoBlockLoop(): [Block, Block] {
  const a = new IRBuilder({ pc: 0x100n })
  a.setState(8, a.add(a.getState('i64', 8), a.i64(1n)))
  a.exit(a.i64(0x200n))
  const b = new IRBuilder({ pc: 0x200n })
  const again = b.label(), done = b.label()
  b.branchIf(b.icmp('ult', b.getState('i64', 8), b.getState('i64', 16)), again, done)
  b.bind(again)
  b.exit(b.i64(0x100n))
  b.bind(done)
  b.exit(b.i64(0x300n))
  return [a.finish(), b.finish()]
}

test('Block.exitTargets lists the constant pcs a block exits to', (t) => {
  const [a, b] = twoBlockLoop()
  t.deepEqual(a.exitTargets(), [0x200n])
  t.deepEqual(b.exitTargets(), [0x100n, 0x300n])
})

test('Region.stitch: exits between members become jumps, and the region computes what its blocks compute', (t) => {
  const [a, b] = twoBlockLoop()
  const region = Region.stitch([a, b])
  t.is(region.block.pc, 0x100n)
  t.deepEqual(region.members, [0x100n, 0x200n])
  t.is(region.internalEdges, 2)
  const text = region.block.toString()
  t.regex(text, /jump L1/)
  t.regex(text, /jump L0/)
  t.regex(text, /exit v\d+/, 'the exit to 0x300 stays an exit')

  const fresh = () => {
    const s = new BigUint64Array(3)
    s[2] = 100_000n
    return s
  }
  // Member by member, through the interpreter (what a block-at-a-time emulator does)
  const ref = fresh()
  let pc = 0x100n
  const byPc = new Map([[0x100n, a], [0x200n, b]])
  const interp = new Interpreter()
  while (byPc.has(pc)) pc = interp.run(byPc.get(pc)!, ref, new Uint8Array(0)).pc
  t.is(pc, 0x300n)
  for (const optLevel of ['none', 'speed'] as const) {
    const s = fresh()
    const code = new CraneliftBackend({ optLevel }).compile(region.block)
    const exit = code.run(s, new Uint8Array(0))
    code.free()
    t.deepEqual([exit.reason, exit.pc], ['exit', 0x300n], optLevel)
    t.deepEqual([...s], [...ref], optLevel)
  }
})

test('a fuel stop inside a region reports the pc to resume at, with the guest state written back', (t) => {
  const [a, b] = twoBlockLoop()
  const code = new CraneliftBackend({ optLevel: 'speed' }).compile(Region.stitch([a, b]).block)
  const s = new BigUint64Array(3)
  s[2] = 1000n
  const exit = code.run(s, new Uint8Array(0), { fuel: 5 })
  t.deepEqual([exit.reason, exit.pc], ['fuel', 0x100n])
  t.is(s[1], 6n, 'six trips through A are in the state buffer')
  // resuming at the reported pc finishes the loop
  const rest = code.run(s, new Uint8Array(0))
  t.deepEqual([rest.reason, rest.pc, s[1]], ['exit', 0x300n, 1000n])
  code.free()
})

test('Region.stitch: clear errors for bad input and regions over the limits', (t) => {
  const [a, b] = twoBlockLoop()
  t.throws(() => Region.stitch([]), { instanceOf: TypeError, message: /non-empty array of Blocks/ })
  t.throws(() => Region.stitch([a, 'b' as unknown as Block]), { instanceOf: TypeError, message: /blocks\[1\] is not a Block/ })
  t.throws(() => Region.stitch([a, a]), { message: /pc 0x100 is given twice/ })
  t.throws(() => Region.stitch([a, b], { maxBlocks: 1 }), { instanceOf: RangeError, message: /2 blocks; the limit is 1/ })
  t.throws(() => Region.stitch([a, b], { maxOps: 5 }), { instanceOf: RangeError, message: /the limit is 5/ })
  t.throws(() => Region.stitch([a], { maxOps: 0 }), { instanceOf: RangeError, message: /maxOps must be a positive integer/ })
  t.deepEqual({ ...DEFAULT_REGION_LIMITS }, { maxBlocks: 16, maxOps: 4000 })
})

// ---- tier-2 regions in the TieredCompiler -----------------------------------------------------

/**
 * A loop over four guest blocks: r1 counts to n; odd r1 adds r1 to r3, even r1 adds 1 to r4.
 * Blocks: 'loop' (…beq), the odd arm (…j next), 'even' (…blt), 'next' (blt).
 */
function branchyLoop(n: number): Program {
  return smallProgram(`branchy loop ${n}`, (a) => {
    const loop = a.label('loop'), even = a.label('even'), next = a.label('next')
    a.li(1, 0).li(2, n).li(3, 0).li(4, 0).li(6, 1)
    a.bind(loop).addi(1, 1, 1).and(5, 1, 6).beq(5, 0, even)
    a.add(3, 3, 1).j(next)
    a.bind(even).addi(4, 4, 1)
    a.bind(next).blt(1, 2, loop)
    a.bind(a.label('done')).halt()
  })
}

function regionCompiles(events: readonly CompileEndEvent[]): CompileEndEvent[] {
  return events.filter((e) => e.tier === 2 && (e.regionBlocks ?? 0) > 0)
}

test('a hot loop over several guest blocks reaches tier 2 as one region, and computes what the interpreter does', (t) => {
  const p = branchyLoop(2_000_000)
  const want = runReference(p)
  const guest = newGuest(p)
  const jit = new TieredCompiler({ translate: guest.translate, optimizedThreshold: 100, decisionInterval: 4096 })
  const monitor = jit.enablePerformanceMonitor()
  const got = runTiered(jit, guest)
  t.is(diffResults(want, got), undefined)
  t.is(reg(guest.state, 3), 1_000_000n * 1_000_000n)
  t.is(reg(guest.state, 4), 1_000_000n)
  const regions = regionCompiles(monitor.events('compileEnd'))
  t.true(regions.length >= 1, 'a region was compiled')
  t.true(regions.some((e) => e.regionBlocks! >= 3), `region sizes ${regions.map((e) => e.regionBlocks).join(', ')}`)
  t.true(jit.regionCount >= 1)
})

test('invalidating any guest block of a region drops the region', (t) => {
  const p = branchyLoop(300_000)
  const guest = newGuest(p)
  const jit = new TieredCompiler({ translate: guest.translate, optimizedThreshold: 50, decisionInterval: 2048, backgroundCompilation: false })
  runTiered(jit, guest)
  const before = jit.regionCount
  t.true(before >= 1)
  const even = BigInt(p.labels.even!)
  // 'even' is a member of the region(s), not an entry of one of its own at tier 2 only
  jit.invalidate(even)
  t.true(jit.regionCount < before, `regions ${before} → ${jit.regionCount}`)
  // invalidateRange over the whole loop drops every region
  jit.invalidateRange(BigInt(p.codeStart), BigInt(p.codeEnd))
  t.is(jit.regionCount, 0)
  // and running again rebuilds everything from fresh translations, with the same result
  const again = newGuest(p)
  const jit2 = new TieredCompiler({ translate: again.translate, optimizedThreshold: 50, decisionInterval: 2048 })
  t.is(diffResults(runReference(p), runTiered(jit2, again)), undefined)
})

test('regions: false compiles single blocks only; the result is the same', (t) => {
  const p = branchyLoop(500_000)
  const guest = newGuest(p)
  const jit = new TieredCompiler({ translate: guest.translate, optimizedThreshold: 100, decisionInterval: 4096, regions: false })
  const monitor = jit.enablePerformanceMonitor()
  t.is(diffResults(runReference(p), runTiered(jit, guest)), undefined)
  t.is(regionCompiles(monitor.events('compileEnd')).length, 0)
  t.is(jit.regionCount, 0)
  t.is(jit.regionLimits, undefined)
  t.true(monitor.events('compileEnd').some((e) => e.tier === 2))
})

test('regions option: limits of your own, and clear errors', (t) => {
  t.deepEqual(new TieredCompiler({ regions: { maxBlocks: 4 } }).regionLimits, { maxBlocks: 4, maxOps: 4000 })
  t.deepEqual(new TieredCompiler().regionLimits, DEFAULT_REGION_LIMITS)
  t.throws(() => new TieredCompiler({ regions: { maxBlocks: 0 } }), { instanceOf: RangeError, message: /regions.maxBlocks must be a positive integer/ })
  t.throws(() => new TieredCompiler({ regions: 'yes' as unknown as boolean }), { instanceOf: TypeError, message: /regions must be a boolean/ })
  const shared = new TieredCompiler().cache.sharedBuffer
  t.is(new TieredCompiler({ sharedCache: shared }).regionLimits, undefined, 'off by default with a shared cache')
  t.throws(() => new TieredCompiler({ sharedCache: shared, regions: true }), { instanceOf: TypeError, message: /cannot be combined with sharedCache/ })
})

// ---- specialised regions (specializeRegions) ---------------------------------------------------

/**
 * Total steps of x → x·r7 + 1 (odd) / x >> r6 (even) until x = r6, for x = 1..n−1: the collatz
 * kernel of bench/regions.js, with r7 taken from the initial state (3: Collatz; 1 also always
 * ends) — so a second run can change a register the region was specialised on.
 */
function collatz(n: number, r7: bigint): Program {
  const p = smallProgram(`collatz ${n}, r7 = ${r7}`, (a) => {
    const outer = a.label('outer'), inner = a.label('inner'), even = a.label('even'), next = a.label('next')
    a.li(1, 1).li(2, n).li(6, 1)
    a.bind(outer).add(3, 1, 0)
    a.bind(inner).beq(3, 6, next)
    a.and(5, 3, 6).beq(5, 0, even)
    a.mul(3, 3, 7).addi(3, 3, 1).addi(9, 9, 1).j(inner)
    a.bind(even).shr(3, 3, 6).addi(9, 9, 1).j(inner)
    a.bind(next).addi(1, 1, 1).blt(1, 2, outer)
    a.bind(a.label('done')).halt()
  })
  return {
    ...p,
    initialState() {
      const s = p.initialState()
      new DataView(s.buffer).setBigUint64(8 * 7, r7, true)
      return s
    },
  }
}

test('specializeRegions: a guest loop reaches tier 2 specialised on the registers it only reads, with the interpreter\'s result', (t) => {
  const p = collatz(3000, 3n)
  const want = runReference(p)
  for (const specializeRegions of [true, false]) {
    const guest = newGuest(p)
    const jit = new TieredCompiler({ translate: guest.translate, optimizedThreshold: 50, decisionInterval: 2048, backgroundCompilation: false, specializeRegions })
    t.is(diffResults(want, runTiered(jit, guest)), undefined, `specializeRegions ${specializeRegions}`)
    t.true(jit.regionCount >= 1)
    t.is(jit.specializedRegionCount > 0, specializeRegions, `specialised regions: ${jit.specializedRegionCount}`)
  }
  // Region.stitch on its own: a snapshot gives a specialised region, which computes the same.
  const guest = newGuest(p)
  // The inner loop's blocks (one per guest branch): inner, inner + 8 (and, beq), the odd step, even.
  const inner = BigInt(p.labels.inner!)
  const blocks = [inner, inner + 8n, inner + 24n, BigInt(p.labels.even!)].map((pc) => guest.translate(pc).block)
  const plain = Region.stitch(blocks)
  const state = p.initialState()
  new DataView(state.buffer).setBigUint64(8 * 6, 1n, true)
  const special = Region.stitch(blocks, {}, state)
  t.is(plain.specializedSlots, 0)
  t.true(special.specializedSlots >= 2, `slots ${special.specializedSlots}`)
  // Optimised, with the special copy's parity branch a select (r6 and r7 are constants there).
  t.regex(special.block.toString(), /select/)
  t.is(Region.stitch(blocks, { maxOps: plain.block.opCount + 10 }, state).specializedSlots, 0, 'no room to double it')
  for (const x of [27n, 97n, 6n]) {
    const run = (b: Block, r7: bigint) => {
      const s = state.slice()
      const dv = new DataView(s.buffer)
      dv.setBigUint64(8 * 3, x, true)
      dv.setBigUint64(8 * 7, r7, true)
      const code = new CraneliftBackend({ optLevel: 'speed' }).compile(b)
      const e = code.run(s, new Uint8Array(64))
      code.free()
      return { e, s }
    }
    for (const r7 of [3n, 1n]) {
      const a = run(plain.block, r7), b = run(special.block, r7)
      t.deepEqual([b.e.reason, b.e.pc], [a.e.reason, a.e.pc], `x ${x}, r7 ${r7}`)
      t.deepEqual(b.s, a.s, `x ${x}, r7 ${r7}`)
    }
  }
  t.throws(() => Region.stitch(blocks, {}, [1, 2] as unknown as Uint8Array), { instanceOf: TypeError, message: /specializeOn must be a Uint8Array/ })
})

test('specializeRegions: when a register the region was specialised on changes, the region still computes the right result', (t) => {
  const first = collatz(3000, 3n)
  const guest = newGuest(first)
  const jit = new TieredCompiler({ translate: guest.translate, optimizedThreshold: 50, decisionInterval: 2048, backgroundCompilation: false })
  t.is(diffResults(runReference(first), runTiered(jit, guest)), undefined)
  t.true(jit.specializedRegionCount >= 1)
  // Same code, r7 = 1 now: the guard fails at every entry and the unspecialised copy runs.
  const changed = collatz(3000, 1n)
  const want = runReference(changed)
  t.not(reg(want.state, 9), reg(guest.state, 9), 'a different computation')
  guest.state.set(changed.initialState())
  guest.memory.set(changed.memory)
  t.is(diffResults(want, runTiered(jit, { ...guest, program: changed })), undefined)
  t.true(jit.specializedRegionCount >= 1, 'the specialised region was still the code')
  // And back: the guard holds again.
  guest.state.set(first.initialState())
  t.is(diffResults(runReference(first), runTiered(jit, { ...guest, program: first })), undefined)
})

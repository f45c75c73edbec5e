// TieredCompiler: the tiered runtime's behaviour, one feature per test — promotion to tier 2 in the
// background while the guest keeps running, the seed's API (compileFast, compileOptimized,
// compileAsync, isHotspot, executeBlock), interrupts from another thread, fuel, invalidation,
// eviction, translate errors, and what the performance monitor reports. Guest code comes from the
// synthetic register machine (support/synthGuest); whole-program agreement with the reference
// runner is synthetic-guest.spec.ts.

import test from 'ava'
import { Worker } from 'node:worker_threads'
import { fileURLToPath } from 'node:url'
import { Block, IRBuilder, TieredCompiler } from 'vm-jit-native'
import type { CompileEndEvent, RunExit } from 'vm-jit-native'
import {
  buildProgram,
  diffResults,
  encode,
  newGuest,
  OP,
  reg,
  runReference,
  runTiered,
  STATE_BYTES,
  TRAP,
} from './support/synthGuest/index.cjs'
import type { Guest, Program } from './support/synthGuest/index.cjs'
import { smallProgram } from './support/smallProgram.ts'

const WORKER = fileURLToPath(new URL('./support/synthGuest/worker.cjs', import.meta.url))

/** r1 counts to `n` in a one-block loop (label 'loop'); then r4 = 1, r3 = 42 and halt (label 'done'). */
function countingLoop(n: number): Program {
  return smallProgram(`loop ${n}`, (a) => {
    const loop = a.label('loop')
    a.li(1, 0).li(2, n)
    a.bind(loop).addi(1, 1, 1).blt(1, 2, loop)
    a.bind(a.label('done')).li(4, 1).li(3, 42).halt()
  })
}

/** An endless one-block loop at label 'loop' (r1 counts iterations). */
const endless = smallProgram('endless', (a) => {
  const loop = a.label('loop')
  a.li(1, 0).bind(loop).addi(1, 1, 1).j(loop)
})

function setup(p: Program, config: ConstructorParameters<typeof TieredCompiler>[0] = {}) {
  const guest = newGuest(p)
  const jit = new TieredCompiler({ ...config, translate: guest.translate })
  return { guest, jit, pc: (label: string) => BigInt(p.labels[label]!) }
}

// ---- promotion ----------------------------------------------------------------------------

test('a block run more than optimizedThreshold times reaches tier 2, compiled in the background while the guest runs', (t) => {
  const p = countingLoop(3_000_000)
  const { guest, jit, pc } = setup(p, { fastPathThreshold: 1, optimizedThreshold: 100, decisionInterval: 1024 })
  const monitor = jit.enablePerformanceMonitor()
  const exit = jit.run(p.entry, guest.state, guest.memory)
  t.is(exit.reason, 'halt')
  t.is(reg(guest.state, 1), 3_000_000n)
  t.is(reg(guest.state, 3), 42n)
  const loop = pc('loop')
  t.is(jit.tierOf(loop), 2)
  t.true(jit.executionCount(loop) > 100)

  const ends = monitor.events('compileEnd')
  const tier2 = ends.filter((e) => e.tier === 2)
  t.true(tier2.length >= 1)
  t.true(tier2.every((e) => e.background === true), 'tier 2 compiled on a background thread')
  t.true(ends.filter((e) => !e.background).every((e) => e.tier <= 1), 'the guest stopped only for tier 0/1 compiles')

  // The timeline: the decision point that asked for the compile and the one that installed it
  // are different ones, and the native loop reaches a decision point only after decisionInterval
  // fuel of guest execution: the guest kept running while the compile was under way. (How many
  // decision points fall inside the compile thread's own [start, end] depends on scheduling on a
  // loaded machine, so it is only logged.) The run's span covers the compile.
  const c = tier2.find((e) => e.pc === loop)!
  const decisions = monitor.events('decision')
  const asked = decisions.findIndex((d) => Number(d.data?.promotions) > 0)
  const installedAt = decisions.findIndex((d) => Number(d.data?.installed) > 0)
  t.true(asked >= 0 && installedAt > asked, `promotion asked at decision ${asked}, installed at decision ${installedAt}`)
  const during = decisions.filter((d) => d.start! > c.start! && d.ts < c.ts).length
  const [run] = monitor.events('run')
  t.truthy(run)
  t.true(run!.start! <= c.start! && run!.ts >= c.ts, 'the compile happened inside the run')
  const promotion = monitor.events('promotion').find((e) => e.pc === loop)
  t.deepEqual([promotion?.fromTier, promotion?.toTier], [1, 2])
  t.log(`tier-2 compile of the loop: ${c.durationUs.toFixed(0)} µs on thread ${c.thread}; ${installedAt - asked - 1} decision points between asking and installing, ${during} during the compile itself`)
})

test('backgroundCompilation false: tier 2 is compiled with the guest stopped', (t) => {
  const p = countingLoop(200_000)
  const { guest, jit, pc } = setup(p, { optimizedThreshold: 100, decisionInterval: 1024, backgroundCompilation: false })
  const monitor = jit.enablePerformanceMonitor()
  t.is(jit.run(p.entry, guest.state, guest.memory).reason, 'halt')
  t.is(jit.tierOf(pc('loop')), 2)
  const tier2 = monitor.events('compileEnd').filter((e) => e.tier === 2)
  t.true(tier2.length >= 1 && tier2.every((e) => e.background === false))
  t.is(monitor.generateReport().backgroundCompilations, 0)
  // Each tier-2 compile lies inside one decision point's span: the guest waited for it.
  const decisions = monitor.events('decision')
  for (const c of tier2) t.true(decisions.some((d) => d.start! <= c.start! && d.ts >= c.ts))
})

test('countOptimizedExecutions false: tier-2 code runs the same and stops counting', (t) => {
  const n = 1_000_000
  const p = countingLoop(n)
  // No regions: a tier-2 region would run the loop inside itself, entered (and counted) once.
  const config = { optimizedThreshold: 100, backgroundCompilation: false, decisionInterval: 1024, regions: false }
  const counted = setup(p, config)
  const uncounted = setup(p, { ...config, countOptimizedExecutions: false })
  for (const { guest, jit } of [counted, uncounted]) {
    t.is(jit.run(p.entry, guest.state, guest.memory).reason, 'halt')
    t.is(reg(guest.state, 1), BigInt(n))
    t.is(jit.tierOf(counted.pc('loop')), 2)
  }
  const loop = counted.pc('loop')
  t.true(counted.jit.executionCount(loop) >= n - 1, `${counted.jit.executionCount(loop)} counted`)
  // Counted while interpreted and at tier 1 (the promotion needed ~100), not after.
  const before = uncounted.jit.executionCount(loop)
  t.true(before >= 100 && before < 10_000, `${before} counted without tier-2 counts`)
  t.throws(() => new TieredCompiler({ countOptimizedExecutions: 'no' as unknown as boolean }), { instanceOf: TypeError, message: /countOptimizedExecutions must be a boolean/ })
})

test('chained transitions: a hot loop runs through chained exits, not the dispatcher', (t) => {
  const p = countingLoop(1_000_000)
  const { guest, jit, pc } = setup(p)
  const monitor = jit.enablePerformanceMonitor()
  jit.run(p.entry, guest.state, guest.memory)
  const executed = jit.executionCount(pc('loop'))
  const dispatched = monitor.generateReport().timeline.blocksExecuted
  t.true(executed >= 999_000, `${executed} executions counted`)
  // The dispatcher sees the loop block again only every 1024 fuel (the fuel check) and after
  // each installation; every other iteration is a direct jump.
  t.true(dispatched < executed / 100, `${dispatched} blocks entered through the dispatcher`)
})

// ---- the seed's API ----------------------------------------------------------------------

function translateAll(p: Program): Map<string, Block> {
  const guest = newGuest(p)
  return new Map(Object.keys(p.labels).map((l) => [l, guest.translate(BigInt(p.labels[l]!)).block]))
}

test('compileFast and compileOptimized install code that run() uses without translating', (t) => {
  const p = countingLoop(1000)
  const blocks = translateAll(p)
  const jit = new TieredCompiler({ stateSize: STATE_BYTES })
  const fast = jit.compileFast(blocks.get('main')!)
  t.like(fast, { pc: p.entry, tier: 1 })
  t.true(fast.size > 0 && fast.address > 0n)
  t.is(jit.tierOf(p.entry), 1)
  const opt = jit.compileOptimized(blocks.get('loop')!)
  t.like(opt, { pc: BigInt(p.labels.loop!), tier: 2 })
  t.is(jit.tierOf(BigInt(p.labels.loop!)), 2)
  jit.compileFast(blocks.get('done')!)
  t.deepEqual(jit.tierCounts(), [0, 2, 1])
  const guest = newGuest(p)
  const exit = jit.run(p.entry, guest.state, guest.memory)
  t.is(exit.reason, 'halt')
  t.is(reg(guest.state, 1), 1000n)
  t.is(jit.executionCount(BigInt(p.labels.loop!)), 999)
  // Not a block:
  t.throws(() => jit.compileFast({} as Block), { instanceOf: TypeError, message: /expected a Block/ })
})

test('a runtime first used by a compile: a later, larger block is a clear error unless stateSize was given', (t) => {
  const small = new IRBuilder({ pc: 0x100n })
  small.setState(0, small.add(small.getState('i64', 0), small.i64(1n)))
  small.exit(0x200n)
  const big = new IRBuilder({ pc: 0x200n })
  big.setState(120, big.getState('i64', 0))
  big.halt(0x200n)
  const blocks = new Map([[0x100n, small.finish()], [0x200n, big.finish()]])
  const translate = (pc: bigint): Block => blocks.get(pc)!

  const first = new TieredCompiler({ translate })
  first.compileFast(blocks.get(0x100n)!) // the runtime is made for this block's 8 bytes of state
  t.throws(() => first.run(0x100n, new Uint8Array(128), new Uint8Array(8)), { message: /pc 0x200 uses 128 bytes of guest state .* made for 8 .*stateSize/ })
  t.throws(() => first.compileFast(blocks.get(0x200n)!), { message: /stateSize/ })

  const sized = new TieredCompiler({ translate, stateSize: 128 })
  sized.compileFast(blocks.get(0x100n)!)
  const state = new BigUint64Array(16)
  t.is(sized.run(0x100n, state, new Uint8Array(8)).reason, 'halt')
  t.deepEqual([state[0], state[15]], [1n, 1n])
})

test('compileAsync resolves with the unit, which is installed at the next decision point; bad input rejects clearly', async (t) => {
  const p = countingLoop(5000)
  const { guest, jit, pc } = setup(p, { optimizedThreshold: 1_000_000 })
  jit.run(p.entry, guest.state, guest.memory)
  const loop = pc('loop')
  t.is(jit.tierOf(loop), 1)
  const block = guest.translate(loop).block
  const unit = await jit.compileAsync(block)
  t.like(unit, { pc: loop, tier: 2 })
  t.true(unit.size > 0)
  t.is(jit.tierOf(loop), 1, 'not installed until a decision point')
  guest.state.set(p.initialState())
  t.is(jit.run(p.entry, guest.state, guest.memory).reason, 'halt')
  t.is(jit.tierOf(loop), 2)
  t.is(reg(guest.state, 1), 5000n)
  // A compile at tier 1 of a block the runtime has not seen yet.
  const other = newGuest(countingLoop(7)).translate(0x2000n).block
  t.like(await jit.compileAsync(other, 1), { pc: 0x2000n, tier: 1 })

  await t.throwsAsync(jit.compileAsync({} as Block), { instanceOf: TypeError, message: /compileAsync: expected a Block/ })
  await t.throwsAsync(jit.compileAsync(block, 7 as 2), { instanceOf: RangeError, message: /tier must be 0, 1 or 2/ })
  const wide = new IRBuilder({ pc: 0x9000n })
  wide.setState(4096, wide.i64(1n))
  wide.halt(0x9000n)
  await t.throwsAsync(jit.compileAsync(wide.finish()), { message: /compileAsync: the block at pc 0x9000 uses 4104 bytes of guest state but this runtime was made for 128/ })
})

test('the policy is offered the blocks that ran since they were last offered, not every block at every decision', (t) => {
  // Two one-block guests: a halt at 0x100 and a halt at 0x200. Each run() ends at a decision point.
  const halting = (pc: bigint): Block => {
    const b = new IRBuilder({ pc })
    b.setState(8, b.add(b.getState('i64', 8), b.i64(1n)))
    b.halt()
    return b.finish()
  }
  const offered: bigint[][] = []
  const jit = new TieredCompiler({
    translate: (pc) => halting(pc),
    stateSize: 64,
    policy: {
      firstTier: () => 0,
      promotions: (profiles) => {
        offered.push([...profiles].map((p) => p.pc))
        return []
      },
    },
  })
  const state = new BigUint64Array(8)
  const memory = new Uint8Array(64)
  const runAt = (pc: bigint): void => {
    t.is(jit.run(pc, state, memory).reason, 'halt')
  }
  runAt(0x100n)
  runAt(0x100n)
  runAt(0x200n)
  runAt(0x200n)
  runAt(0x100n)
  t.deepEqual(offered, [[0x100n], [0x100n], [0x200n], [0x200n], [0x100n]])
  t.is(state[1], 5n)
  t.is(jit.executionCount(0x100n), 3)
  t.is(jit.executionCount(0x200n), 2)
})

test('isHotspot: the loop is hot, the code around it is not', (t) => {
  const p = countingLoop(2_000_000)
  const { guest, jit, pc } = setup(p, { decisionInterval: 4096 })
  jit.run(p.entry, guest.state, guest.memory)
  t.true(jit.isHotspot(pc('loop')))
  t.false(jit.isHotspot(pc('main')))
  t.false(jit.isHotspot(pc('done')))
  t.false(jit.isHotspot(0xdead0n))
})

test('executeBlock: the first execution compiles fast (or interprets), later ones promote', (t) => {
  const p = countingLoop(1 << 30)
  const block = translateAll(p).get('loop')!
  for (const fastPathThreshold of [1, 3]) {
    const jit = new TieredCompiler({ fastPathThreshold, optimizedThreshold: 10 })
    const monitor = jit.enablePerformanceMonitor()
    const guest = newGuest(p)
    new DataView(guest.state.buffer).setBigUint64(8 * 2, 1n << 30n, true) // r2: the loop bound
    const tiers: number[] = []
    monitor.on('compileEnd', (e) => tiers.push(e.tier))
    for (let k = 1; k <= 12; k++) {
      const exit = jit.executeBlock(block, guest.state, guest.memory)
      t.deepEqual([exit.reason, exit.pc], ['exit', BigInt(p.labels.loop!)], 'the exit comes back: nothing chains on')
      t.is(reg(guest.state, 1), BigInt(k))
      if (k === 1) t.deepEqual(tiers, [fastPathThreshold === 1 ? 1 : 0], 'first execution')
    }
    t.deepEqual(tiers, fastPathThreshold === 1 ? [1, 2] : [0, 1, 2], `fastPathThreshold ${fastPathThreshold}: compiles by tier`)
    t.true(monitor.events('compileEnd').every((e) => e.background === false))
    t.deepEqual(monitor.events('promotion').map((e) => `${e.fromTier}→${e.toTier}`), fastPathThreshold === 1 ? ['1→2'] : ['0→1', '1→2'])
  }
  t.throws(() => new TieredCompiler().executeBlock({} as Block, new Uint8Array(8), new Uint8Array(8)), { instanceOf: TypeError })
})

// ---- stopping and resuming ------------------------------------------------------------------

test('interrupt() from another worker stops an endless guest loop; the guest resumes from the pc returned', async (t) => {
  const { guest, jit, pc } = setup(endless)
  const worker = new Worker(WORKER, { workerData: { mode: 'interrupt', buffer: jit.interruptBuffer, delayMs: 300 } })
  const done = new Promise<void>((resolve, reject) => {
    worker.on('message', (m) => (m.interrupted ? resolve() : undefined))
    worker.on('error', reject)
  })
  await new Promise<void>((resolve) => worker.once('message', (m) => m.ready && resolve()))
  const started = performance.now()
  const exit = jit.run(endless.entry, guest.state, guest.memory, { fuel: Infinity })
  const ms = performance.now() - started
  await done
  await worker.terminate()
  t.is(exit.reason, 'interrupt')
  t.is(exit.pc, pc('loop'))
  const count = reg(guest.state, 1)
  t.true(count > 1000n, `${count} iterations before the interrupt (${ms.toFixed(0)} ms)`)
  // The flag was cleared: the next run is not interrupted at once.
  const again = jit.run(exit.pc, guest.state, guest.memory, { fuel: 100_000 })
  t.is(again.reason, 'fuel')
  t.true(reg(guest.state, 1) > count + 40_000n)
  // In this thread too.
  jit.interrupt()
  t.is(jit.run(again.pc, guest.state, guest.memory, { fuel: Infinity }).reason, 'interrupt')
})

test("fuel exhaustion returns 'fuel' with the pc to resume from; resuming gives the reference result", (t) => {
  const p = buildProgram({ sections: ['calls', 'smc'], seed: 3 })
  const ref = runReference(p)
  for (const fuel of [1, 777, 10_000]) {
    const { guest, jit } = setup(p, { optimizedThreshold: 50 })
    let exits = 0
    const result = runTiered(jit, guest, {
      fuel,
      onStop: (e) => {
        if (e.reason === 'fuel') {
          exits++
          t.is(e.fuelLeft, 0n)
        }
      },
    })
    t.is(diffResults(result, ref), undefined, `fuel ${fuel}`)
    // (Each jit.run starts with `fuel` again, and the guest traps often: fuel 10,000 may never run out.)
    if (fuel <= 777) t.true(exits >= (fuel === 1 ? 1000 : 2), `fuel ${fuel}: ${exits} fuel exits`)
  }
  // One block per run.
  const { guest, jit } = setup(countingLoop(50))
  let runs = 0
  let e: RunExit
  let pc = guest.program.entry
  do {
    e = jit.run(pc, guest.state, guest.memory, { fuel: 1 })
    pc = e.pc
    runs++
  } while (e.reason === 'fuel')
  t.is(e.reason, 'halt')
  t.is(reg(guest.state, 1), 50n)
  t.true(runs >= 50)
})

// ---- invalidation, eviction ---------------------------------------------------------------

test('invalidate and invalidateRange drop code; the next execution translates again', (t) => {
  const p = countingLoop(1000)
  const { guest, jit, pc } = setup(p, { optimizedThreshold: 1_000_000 })
  jit.run(p.entry, guest.state, guest.memory)
  t.is(guest.translations, 3)
  t.true(jit.invalidate(pc('loop')))
  t.is(jit.tierOf(pc('loop')), undefined)
  t.false(jit.invalidate(0x7777n))
  guest.state.set(p.initialState())
  jit.run(p.entry, guest.state, guest.memory)
  t.is(guest.translations, 4)
  // Rewrite `li r3, 42` (inside the last block, not at its start) and invalidate just that insn.
  const li = p.labels.done! + 8
  guest.memory.set(encode(OP.li, 3, 0, 0, 99), li)
  t.is(jit.invalidateRange(BigInt(li), BigInt(li + 8)), 1)
  t.deepEqual(jit.tierCounts(), [0, 2, 0])
  guest.state.set(p.initialState())
  jit.run(p.entry, guest.state, guest.memory)
  t.is(reg(guest.state, 3), 99n)
  t.is(jit.invalidateRange(BigInt(p.codeStart), BigInt(p.codeEnd)), 3)
  t.deepEqual(jit.tierCounts(), [0, 0, 0])
  t.is(jit.cache.statistics().entries, 0)
})

test('a background compile that finishes after its block was invalidated is dropped, not installed', async (t) => {
  // f(r1) = r1 * 3, called from a loop that prints each result.
  const p = smallProgram('stale', (a) => {
    const f = a.label('f')
    a.li(12, 0).li(13, 20)
    const loop = a.here()
    a.add(1, 12, 0).jal(f).ecall(TRAP.PUT64).addi(12, 12, 1).blt(12, 13, loop).halt()
    a.bind(f).li(2, 3).mul(1, 1, 2).ret()
  })
  const { guest, jit, pc } = setup(p, { optimizedThreshold: 1_000_000 })
  t.deepEqual(runTiered(jit, guest).out.slice(0, 3), [0n, 3n, 6n])
  const f = pc('f')
  // Compile the current f at tier 2; it finishes, but no decision point has installed it yet.
  const oldF = guest.translate(f).block
  await jit.compileAsync(oldF, 2)
  // The guest's code changes (f now multiplies by 5) and the host invalidates f.
  guest.memory.set(encode(OP.li, 2, 0, 0, 5), p.labels.f!)
  t.is(jit.invalidateRange(f, f + 24n), 1)
  guest.state.set(p.initialState())
  const out = runTiered(jit, guest).out
  t.deepEqual(out, Array.from({ length: 20 }, (_, k) => BigInt(k * 5)))
  t.is(jit.tierOf(f), 1)
})

test('eviction under maxCodeBytes: the cache stays within budget, evicted blocks are compiled again, results are right', (t) => {
  const p = buildProgram({ sections: ['loops'], seed: 5 })
  const ref = runReference(p)
  const budget = 16 << 10
  const { guest, jit } = setup(p, { maxCodeBytes: budget })
  const monitor = jit.enablePerformanceMonitor()
  const result = runTiered(jit, guest)
  t.is(diffResults(result, ref), undefined)
  const stats = jit.cache.statistics()
  t.true(stats.bytes <= budget)
  t.true(stats.evictions > 0)
  const evictions = monitor.events('eviction')
  t.true(evictions.length >= stats.evictions && evictions.some((e) => e.reason === 'lru'))
  t.true(guest.translations > ref.distinctBlocks, 'evicted blocks were translated again')
  t.true(monitor.generateReport().evictions > 0)
})

// ---- translate errors ---------------------------------------------------------------------

test('translate errors are clear errors, and the runtime stays usable after them', (t) => {
  const p = countingLoop(10)
  const good = newGuest(p)
  let mode: 'throw' | 'wrong pc' | 'not a block' | 'ok' = 'throw'
  const translate = (pc: bigint): { block: Block; guestSize: number } => {
    if (mode === 'throw') throw new Error(`no guest code at 0x${pc.toString(16)}`)
    if (mode === 'wrong pc') return good.translate(pc + 8n)
    if (mode === 'not a block') return { block: 'nope' as unknown as Block, guestSize: 8 }
    return good.translate(pc)
  }
  const jit = new TieredCompiler({ translate })
  const run = (): RunExit => jit.run(p.entry, good.state, good.memory)
  t.throws(run, { message: /no guest code at 0x1000/ })
  mode = 'wrong pc'
  t.throws(run, { message: /translate\(0x1000\) returned a block for pc 0x1008/ })
  mode = 'not a block'
  t.throws(run, { instanceOf: TypeError, message: /translate\(0x1000\) must return a Block or \{ block, guestSize \}/ })
  mode = 'ok'
  t.is(run().reason, 'halt')
  t.is(reg(good.state, 1), 10n)
  t.throws(() => new TieredCompiler().run(0x1000n, new Uint8Array(128), new Uint8Array(8)), { message: /no translate function/ })
  t.throws(() => new TieredCompiler({ translate: 5 as never }), { instanceOf: TypeError })
})

// ---- the monitor --------------------------------------------------------------------------

function monitoredWorkload() {
  const p = buildProgram({ sections: ['loops', 'calls'], seed: 9 })
  const { guest, jit } = setup(p, { decisionInterval: 1 << 14 })
  const monitor = jit.enablePerformanceMonitor()
  const result = runTiered(jit, guest)
  return { p, guest, jit, monitor, result }
}

test("the report's fields are present and sane", (t) => {
  const { jit, monitor, p } = monitoredWorkload()
  const ends = monitor.events('compileEnd')
  const r = monitor.generateReport()
  t.is(r.eventsDropped, 0)
  t.is(r.totalCompilations, ends.length)
  t.true(r.totalCompilations > 300)
  t.true(r.avgCompileTimeUs > 1 && r.avgCompileTimeUs < 100_000, `avg ${r.avgCompileTimeUs} µs`)
  t.true(r.cacheHitRate > 0.5 && r.cacheHitRate <= 1, `hit rate ${r.cacheHitRate}`)
  t.is(r.cacheMisses, ends.filter((e) => !e.background).length, 'every foreground compile followed a miss')
  const inCode = (pc: bigint): boolean => pc >= BigInt(p.codeStart) && pc < BigInt(p.codeEnd)
  t.is(r.slowestBlocks.length, 10)
  t.true(r.slowestBlocks.every(([pc, us], k, all) => inCode(pc) && us > 0 && (k === 0 || us <= all[k - 1]![1])))
  t.is(r.hottestBlocks.length, 10)
  t.true(r.hottestBlocks.every(([pc, n], k, all) => inCode(pc) && (k === 0 || n <= all[k - 1]![1])))
  t.is(r.hottestBlocks[0]![1], jit.executionCount(r.hottestBlocks[0]![0]))
  t.true(r.hottestBlocks[0]![1] > 1000)
  t.true(r.perTier[1]!.compilations > 0 && r.perTier[2]!.compilations > 0)
  t.is(r.perTier[1]!.compilations + r.perTier[2]!.compilations, r.totalCompilations)
  t.true(r.perTier[2]!.medianUs > r.perTier[1]!.medianUs, 'optimised compiles take longer')
  t.is(r.backgroundCompilations, r.perTier[2]!.compilations)
  t.true(r.promotions > 0 && r.promotionsByRoute['1→2']! > 0)
  t.true(r.timeline.decisions > 0 && r.timeline.runs > 0 && r.timeline.blocksExecuted > 0)
  const text = monitor.textReport()
  t.regex(text, /Total compilations: \d+/)
  t.regex(text, /Top 5 Hottest Blocks:\n {2}0x[0-9a-f]+: \d+ executions/)
  t.log(text)
})

test('toChromeTrace() parses and has compile spans on per-tier tracks; the perf map names JIT blocks', (t) => {
  const { monitor, p } = monitoredWorkload()
  const trace = JSON.parse(JSON.stringify(monitor.toChromeTrace())) as { traceEvents: Array<{ name: string; ph: string; tid: number; cat?: string; args?: Record<string, unknown>; dur?: number }> }
  const names = new Map(trace.traceEvents.filter((e) => e.ph === 'M' && e.name === 'thread_name').map((e) => [e.tid, String(e.args!.name)]))
  const compiles = trace.traceEvents.filter((e) => e.ph === 'X' && e.cat === 'compile')
  t.is(compiles.length, monitor.events('compileEnd').length)
  for (const e of compiles) {
    const track = names.get(e.tid)
    const tier = e.args!.tier as number
    t.regex(track ?? '', new RegExp(`^tier ${tier} compiles · ${e.args!.background ? 'thread \\d+' : 'main thread'}$`))
  }
  t.true([...names.values()].includes('tier 1 compiles · main thread'))
  t.true([...names.values()].includes('tier 2 compiles · thread 0'))
  t.true(trace.traceEvents.some((e) => e.ph === 'X' && e.cat === 'run' && names.get(e.tid) === 'guest'))

  // One line per compile, in order, except code that later code overwrote (code memory is
  // recycled): no two lines overlap.
  const all = monitor.events('compileEnd') as Array<CompileEndEvent & { ts: number }>
  const overlaps = (a: CompileEndEvent, b: CompileEndEvent) =>
    a.address! < b.address! + BigInt(b.codeSize) && b.address! < a.address! + BigInt(a.codeSize)
  const ends = all.filter((e, k) => !all.slice(k + 1).some((later) => overlaps(e, later)))
  t.true(ends.length > 0.9 * all.length, `${ends.length} of ${all.length} compiles kept`)
  const lines = monitor.toPerfMap().trimEnd().split('\n')
  t.is(lines.length, ends.length)
  for (const [k, line] of lines.entries()) {
    const m = /^([0-9a-f]+) ([0-9a-f]+) jit_t([12])_0x([0-9a-f]+)$/.exec(line)
    t.truthy(m, line)
    const e = ends[k]
    t.is(BigInt(`0x${m![1]}`), e!.address!)
    t.is(parseInt(m![2]!, 16), e!.codeSize)
    t.is(Number(m![3]), e!.tier)
    t.is(BigInt(`0x${m![4]}`), e!.pc)
    t.true(e!.pc >= BigInt(p.codeStart) && e!.pc < BigInt(p.codeEnd))
  }
})

// ---- threads ------------------------------------------------------------------------------

test('runtimes in different worker threads never chain into each other’s code', async (t) => {
  const sync = new SharedArrayBuffer(8)
  const run = (first: boolean, value: number): Promise<{ r0: number; reason?: string }> =>
    new Promise((resolve, reject) => {
      const w = new Worker(WORKER, { workerData: { mode: 'domain', first, value, sync } })
      w.once('message', (m) => {
        resolve(m)
        void w.terminate()
      })
      w.once('error', reject)
    })
  const [a, b] = await Promise.all([run(true, 1), run(false, 2)])
  t.is(b.r0, 2)
  t.is(a.r0, 1, "worker A's block 0x100 jumped into worker B's block 0x200")
  t.is(a.reason, 'halt')
})

test('guest state and memory may be SharedArrayBuffer-backed', (t) => {
  const p = buildProgram({ sections: ['calls'], seed: 2 })
  const ref = runReference(p)
  const guest: Guest = newGuest(p, { sharedMemory: true })
  t.true(guest.memory.buffer instanceof SharedArrayBuffer)
  const jit = new TieredCompiler({ translate: guest.translate })
  t.is(diffResults(runTiered(jit, guest), ref), undefined)
})

test('RecordTable keeps records in the order of a Map of them, through replacements, removals and compaction', async (t) => {
  // The policy sees blocks in this order, and the order of promotions is the order of compiles:
  // the table must iterate exactly as the pc → record Map the runtime keeps beside it.
  const { RecordTable } = await import('../src/tiered/RecordTable.ts')
  type Rec = { pc: number; unit: number; slot: number; settled: boolean }
  const table = new RecordTable<Rec>()
  const map = new Map<number, Rec>()
  const counters = new Uint32Array(4096)
  let seed = 12345
  const random = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff
    return seed % n
  }
  let nextUnit = 0
  for (let step = 0; step < 5000; step++) {
    const pc = random(300)
    const old = map.get(pc)
    const op = random(10)
    if (op < 5) {
      const rec = { pc, unit: nextUnit++ % counters.length, slot: -1, settled: random(4) === 0 }
      table.add(rec, rec.unit, counters[rec.unit], old, rec.settled)
      map.set(pc, rec)
    } else if (op < 8 && old) {
      table.remove(old)
      map.delete(pc)
    } else {
      for (let i = 0; i < 20; i++) counters[random(counters.length)] += 1 + random(3)
      const moved: number[] = []
      table.sync(counters, (rec) => moved.push(rec.pc))
      const order = [...map.keys()]
      t.deepEqual(moved, order.filter((p) => moved.includes(p)), 'sync reports in Map order')
      const offered: number[] = []
      for (let k = table.nextOffered(0); k >= 0; k = table.nextOffered(k + 1)) offered.push(table.takeOffered(k).pc)
      t.deepEqual(offered, order.filter((p) => offered.includes(p)), 'offers come in Map order')
      t.true(moved.every((p) => offered.includes(p) === !map.get(p)!.settled), 'a record that ran is offered, unless settled')
    }
  }
  // Everything still in the map is offered once when marked, unless settled; nothing removed is.
  for (const rec of map.values()) table.offer(rec)
  const all: number[] = []
  for (let k = table.nextOffered(0); k >= 0; k = table.nextOffered(k + 1)) all.push(table.takeOffered(k).pc)
  t.deepEqual(all, [...map.values()].filter((r) => !r.settled).map((r) => r.pc))
})

test('the hot-spot detector sees every execution the runtime counts, through invalidations, in bulk or block by block', (t) => {
  // Decision points feed the detector in one pass (bindCounters, by RecordTable slot), or, when it
  // closes epochs on its own (epochExecutions), one block at a time. Invalidating many blocks leaves
  // holes that the table squeezes out, moving records to other slots.
  const halting = (pc: bigint): Block => {
    const b = new IRBuilder({ pc })
    b.setState(8, b.add(b.getState('i64', 8), b.i64(1n)))
    b.halt()
    return b.finish()
  }
  for (const hotspot of [{}, { epochExecutions: 7 }]) {
    const jit = new TieredCompiler({ translate: halting, stateSize: 64, hotspot })
    const state = new BigUint64Array(8)
    const memory = new Uint8Array(64)
    const pcs = Array.from({ length: 120 }, (_, i) => 0x1000n + BigInt(i) * 0x10n)
    const never = 0x9000n
    jit.compileFast(halting(never)) // installed, never run: the detector must not know it
    for (let round = 0; round < 4; round++) {
      for (const [i, pc] of pcs.entries()) if ((i + round) % 3 !== 0) jit.run(pc, state, memory)
      // Drop two thirds of the blocks: more than 32 holes, squeezed out at the next decision point.
      t.true(jit.invalidateRange(0x1000n + BigInt(round % 3) * 0x10n, 0x1000n + 80n * 0x10n) > 32)
    }
    const ran = pcs.filter((pc) => jit.detector.executionCount(pc) > 0)
    t.is(jit.detector.stats().blocksTracked, ran.length, JSON.stringify(hotspot))
    t.is(jit.detector.executionCount(never), 0)
    t.is(jit.detector.stats().totalExecutions, Number(state[1]))
    // Blocks never invalidated keep their runtime record: both counts agree.
    for (const pc of pcs.slice(80)) t.is(jit.detector.executionCount(pc), jit.executionCount(pc))
  }
})

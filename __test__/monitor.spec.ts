// EventBasedJitMonitor: the report computed from synthetic events (the seed's fields, per-tier
// statistics, the timeline), Chrome trace JSON that Perfetto/chrome://tracing accept (tracks named
// by metadata, X events with durations), the perf map format, listeners, and a disabled monitor.

import test from 'ava'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { EventBasedJitMonitor, formatPerfMap, latestPerfMapEntries, perfSymbolName, writePerfMap } from 'vm-jit-native'
import type { ChromeTrace, JitEvent, TraceEvent } from 'vm-jit-native'

/** A small synthetic session: compiles at three tiers, promotions, evictions, runs. */
function session(m: EventBasedJitMonitor): void {
  // tier 1 compiles (foreground): 10, 20, 30, 40 µs
  ;[10, 20, 30, 40].forEach((us, k) => {
    const pc = 0x1000n + BigInt(k) * 0x10n
    m.record({ kind: 'compileStart', pc, tier: 1, ts: 1 + k })
    m.record({ kind: 'compileEnd', pc, tier: 1, ts: 1 + k + us / 1000, durationUs: us, codeSize: 100, background: false, address: 0x7f00_0000_0000n + BigInt(k) * 0x100n })
  })
  // tier 2 compiles (background, threads 0 and 1): 100, 200, 300, 400, 500 µs
  ;[100, 200, 300, 400, 500].forEach((us, k) => {
    const pc = 0x1000n + BigInt(k % 2) * 0x10n
    m.record({ kind: 'compileEnd', pc, tier: 2, ts: 20 + k, durationUs: us, codeSize: 300, background: true, thread: k % 2 })
  })
  // a tier-0 "compile" (interpreter handle) and a failed compile
  m.record({ kind: 'compileEnd', pc: 0x5000n, tier: 0, ts: 2, durationUs: 1, codeSize: 0 })
  m.record({ kind: 'compileEnd', pc: 0x6000n, tier: 2, ts: 30, durationUs: 50, codeSize: 0, background: true, thread: 1, error: 'verifier: bad IR' })
  m.record({ kind: 'promotion', pc: 0x1000n, fromTier: 1, toTier: 2, ts: 21 })
  m.record({ kind: 'promotion', pc: 0x1010n, fromTier: 1, toTier: 2, ts: 22 })
  m.record({ kind: 'promotion', pc: 0x5000n, fromTier: 0, toTier: 1, ts: 3 })
  m.record({ kind: 'eviction', pc: 0x1020n, tier: 1, ts: 25, reason: 'lru' })
  m.record({ kind: 'eviction', pc: 0x1030n, tier: 1, ts: 26, reason: 'invalidate' })
  m.record({ kind: 'invalidation', pc: 0x1030n, ts: 26 })
  m.record({ kind: 'invalidation', start: 0x1000n, end: 0x2000n, ts: 27, count: 0 })
  m.record({ kind: 'cacheLookup', hit: true, count: 90 })
  m.record({ kind: 'cacheLookup', hit: false })
  m.recordLookup(false, 9)
  m.record({ kind: 'run', ts: 40, durationUs: 39_000, blocksExecuted: 1_000_000, exitReason: 'halt' })
  m.record({ kind: 'run', ts: 50, start: 45, durationUs: 5_000, blocksExecuted: 500, exitReason: 'fuel' })
  m.record({ kind: 'decision', ts: 10, durationUs: 12, action: 'promote', data: { hot: 3, threshold: 100, pc: 0x1000n } })
  m.record({ kind: 'decision', ts: 11, pc: 0x1010n, tier: 2, action: 'compile', reason: 'hot' })
  m.recordExecutions(0x1000n, 5000)
  m.recordExecutions(0x1010n, 7000)
  m.recordExecutions(0x1000n, 1000)
  m.recordExecutionsBulk([[0x1020n, 10]])
}

test('generateReport: the seed\'s fields from synthetic events', (t) => {
  const m = new EventBasedJitMonitor()
  session(m)
  const r = m.generateReport()
  t.is(r.totalCompilations, 11)
  t.is(r.avgCompileTimeUs, (10 + 20 + 30 + 40 + 100 + 200 + 300 + 400 + 500 + 1 + 50) / 11)
  t.is(r.cacheHitRate, 90 / 100)
  t.is(r.cacheHits, 90)
  t.is(r.cacheMisses, 10)
  // the slowest compile of each block, slowest first: 0x1000 had t2 compiles of 100, 300, 500 µs
  t.deepEqual(r.slowestBlocks.slice(0, 3), [
    [0x1000n, 500],
    [0x1010n, 400],
    [0x6000n, 50],
  ])
  t.deepEqual(r.hottestBlocks, [
    [0x1010n, 7000],
    [0x1000n, 6000],
    [0x1020n, 10],
  ])
  t.is(r.backgroundCompilations, 6)
  t.is(r.failedCompilations, 1)
  t.is(r.promotions, 3)
  t.deepEqual(r.promotionsByRoute, { '1→2': 2, '0→1': 1 })
  t.is(r.evictions, 2)
  t.deepEqual(r.evictionsByReason, { lru: 1, invalidate: 1 })
  t.is(r.invalidations, 2)
  t.is(r.eventsRecorded, 4 + 4 + 5 + 2 + 3 + 2 + 2 + 2 + 2) // cache lookups are not stored
  t.is(r.eventsDropped, 0)
})

test('generateReport: per-tier statistics (median and p90 interpolate between ranks)', (t) => {
  const m = new EventBasedJitMonitor()
  session(m)
  const { perTier } = m.generateReport()
  t.deepEqual(Object.keys(perTier), ['0', '1', '2'])
  t.deepEqual(perTier[1], { compilations: 4, totalUs: 100, avgUs: 25, medianUs: 25, p90Us: 37, maxUs: 40, codeBytes: 400 })
  // tier 2: 50 (failed), 100, 200, 300, 400, 500
  t.is(perTier[2]!.compilations, 6)
  t.is(perTier[2]!.medianUs, 250)
  t.is(perTier[2]!.p90Us, 450)
  t.is(perTier[2]!.maxUs, 500)
  t.is(perTier[2]!.codeBytes, 1500)
  t.is(perTier[0]!.medianUs, 1)
})

test('generateReport: timeline summary', (t) => {
  const m = new EventBasedJitMonitor()
  session(m)
  const { timeline } = m.generateReport()
  t.is(timeline.runs, 2)
  t.is(timeline.runTimeUs, 44_000)
  t.is(timeline.blocksExecuted, 1_000_500)
  t.deepEqual(timeline.exitReasons, { halt: 1, fuel: 1 })
  t.is(timeline.foregroundCompileUs, 101)
  t.is(timeline.backgroundCompileUs, 1550)
  t.is(timeline.compileShareOfRunTime, 101 / 44_000)
  t.is(timeline.decisions, 2)
  t.is(timeline.decisionTimeUs, 12)
  t.is(timeline.startMs, 1, 'the first run started at 40 − 39 ms = 1 ms, as did the first compile')
  t.is(timeline.endMs, 50)
  t.is(timeline.spanMs, 49)
})

test('an empty report is all zeros, not NaN', (t) => {
  const r = new EventBasedJitMonitor().generateReport()
  t.is(r.totalCompilations, 0)
  t.is(r.avgCompileTimeUs, 0)
  t.is(r.cacheHitRate, 0)
  t.deepEqual(r.slowestBlocks, [])
  t.deepEqual(r.hottestBlocks, [])
  t.deepEqual(r.perTier, {})
  t.is(r.timeline.spanMs, 0)
  t.false(JSON.stringify(r, (_, v) => (typeof v === 'bigint' ? String(v) : v)).includes('null'))
})

test('suppliers: execution counts and cache statistics asked for at report time', (t) => {
  const m = new EventBasedJitMonitor()
  let table: [bigint, number][] = [[0x10n, 3]]
  m.setExecutionSupplier(() => table)
  m.setCacheStatsSupplier(() => ({ hits: 30, misses: 10 }))
  m.recordExecutions(0x10n, 1)
  t.deepEqual(m.generateReport().hottestBlocks, [[0x10n, 4]])
  table = [[0x10n, 3], [0x20n, 100]]
  t.deepEqual(m.generateReport().hottestBlocks, [[0x20n, 100], [0x10n, 4]])
  t.is(m.generateReport().cacheHitRate, 0.75)
  m.setExecutionSupplier(undefined)
  t.deepEqual(m.generateReport().hottestBlocks, [[0x10n, 1]])
  t.deepEqual(m.generateReport({ top: 0 }).hottestBlocks, [])
})

test('textReport prints the seed\'s lines', (t) => {
  const m = new EventBasedJitMonitor()
  session(m)
  const text = m.textReport()
  t.regex(text, /^=== JIT Performance Report ===$/m)
  t.regex(text, /^Total compilations: 11 \(background: 6, failed: 1\)$/m)
  t.regex(text, /^Avg compile time: 150\.1 μs$/m)
  t.regex(text, /^Cache hit rate: 90\.0% \(90 hits, 10 misses\)$/m)
  t.regex(text, /^ {2}tier 2: 6 compiles, avg 258\.3 μs, median 250\.0 μs, p90 450\.0 μs, max 500\.0 μs, 1500 code bytes$/m)
  t.regex(text, /^Top 5 Slowest Blocks:\n {2}0x1000: 500\.0 μs\n {2}0x1010: 400\.0 μs$/m)
  t.regex(text, /^Top 3 Hottest Blocks:\n {2}0x1010: 7000 executions$/m)
  t.regex(text, /^Promotions: 3 \(1→2: 2, 0→1: 1\)$/m)
})

test('chrome trace: valid JSON, named tracks, X events with durations, instants', (t) => {
  const m = new EventBasedJitMonitor()
  session(m)
  m.record({ kind: 'compileStart', pc: 0x7000n, tier: 2, ts: 60, background: true, thread: 3 }) // never ends
  const dir = mkdtempSync(join(tmpdir(), 'vjit-trace-'))
  try {
    const path = m.writeChromeTrace(join(dir, 'trace.json'))
    const trace = JSON.parse(readFileSync(path, 'utf8')) as ChromeTrace
    t.deepEqual(trace, JSON.parse(JSON.stringify(m.toChromeTrace())))
    t.is(trace.displayTimeUnit, 'ms')
    t.true(Array.isArray(trace.traceEvents))
    const events = trace.traceEvents
    for (const e of events) {
      t.true(['X', 'i', 'M'].includes(e.ph), `phase ${e.ph}`)
      t.is(typeof e.name, 'string')
      t.is(e.pid, process.pid)
      t.is(typeof e.tid, 'number')
      if (e.ph !== 'M') t.is(typeof e.ts, 'number')
      if (e.ph === 'X') t.true(typeof e.dur === 'number' && e.dur >= 0, `X event ${e.name} has dur`)
      if (e.ph === 'i') t.is(e.s, 't')
    }
    const threadNames = new Map(events.filter((e) => e.ph === 'M' && e.name === 'thread_name').map((e) => [e.tid, (e.args as { name: string }).name]))
    const used = new Set(events.filter((e) => e.ph !== 'M').map((e) => e.tid))
    for (const tid of used) t.true(threadNames.has(tid), `track ${tid} is named`)
    t.truthy(events.find((e) => e.ph === 'M' && e.name === 'process_name'))
    const names = [...threadNames.values()]
    t.true(names.includes('guest'))
    t.true(names.includes('tier 1 compiles · main thread'))
    t.true(names.includes('tier 2 compiles · thread 0'))
    t.true(names.includes('tier 2 compiles · thread 1'))
    t.true(names.includes('tier 2 compiles · thread 3'), 'the unfinished compile has its track')
    // compiles: one X event each, on their tier/thread track, in µs
    const compiles = events.filter((e) => e.ph === 'X' && e.cat === 'compile')
    t.is(compiles.length, 11)
    const c = compiles.find((e) => e.name === 'compile t1 0x1010')!
    t.is(c.dur, 20)
    t.is(c.ts, 2000, 'starts at ts − dur = 2.02 ms − 20 µs = 2000 µs')
    t.is(threadNames.get(c.tid), 'tier 1 compiles · main thread')
    t.like(c.args, { pc: '0x1010', tier: 1, codeSize: 100, background: false, address: '0x7f0000000100' })
    const failed = compiles.find((e) => e.name.startsWith('FAILED'))!
    t.like(failed.args, { error: 'verifier: bad IR', thread: 1 })
    // runs are spans on the guest track; an explicit start wins
    const runs = events.filter((e) => e.cat === 'run')
    t.deepEqual(
      runs.map((e) => [e.ts, e.dur, threadNames.get(e.tid)]),
      [
        [1000, 39_000, 'guest'],
        [45_000, 5_000, 'guest'],
      ],
    )
    t.is(events.filter((e) => e.cat === 'promotion' && e.ph === 'i').length, 3)
    t.is(events.filter((e) => e.cat === 'eviction' && e.ph === 'i').length, 2)
    t.is(events.filter((e) => e.cat === 'invalidation').length, 2)
    t.truthy(events.find((e) => e.name === 'invalidate [0x1000, 0x2000)'))
    const decision = events.find((e) => e.cat === 'decision' && e.ph === 'X') as TraceEvent
    t.like(decision.args, { action: 'promote', hot: 3, pc: '0x1000' })
    t.truthy(events.find((e) => e.name === 'compile t2 0x7000 (no end recorded)'))
    // tracks sort guest first
    const sort = new Map(events.filter((e) => e.name === 'thread_sort_index').map((e) => [e.tid, (e.args as { sort_index: number }).sort_index]))
    const guestTid = [...threadNames].find(([, n]) => n === 'guest')![0]
    t.is(Math.min(...sort.values()), sort.get(guestTid)!)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('perf map: START SIZE name lines in hex; append-friendly file', (t) => {
  t.is(perfSymbolName(0x1000n, 2), 'jit_t2_0x1000')
  t.is(
    formatPerfMap([
      { address: 0x7f12_3456_0000n, size: 0x40, name: 'jit_t1_0x1000' },
      { address: 0x7f12_3456_0040n, size: 300, name: 'block with spaces\nand a newline' },
    ]),
    '7f1234560000 40 jit_t1_0x1000\n7f1234560040 12c block with spaces and a newline\n',
  )
  t.throws(() => formatPerfMap([{ address: -1n, size: 1, name: 'x' }]), { instanceOf: TypeError })
  t.throws(() => formatPerfMap([{ address: 1n, size: -1, name: 'x' }]), { instanceOf: RangeError })
  const m = new EventBasedJitMonitor()
  session(m)
  // by default: every successful compile recorded with an address
  t.is(m.toPerfMap(), ['7f0000000000 64 jit_t1_0x1000', '7f0000000100 64 jit_t1_0x1010', '7f0000000200 64 jit_t1_0x1020', '7f0000000300 64 jit_t1_0x1030', ''].join('\n'))
  for (const line of m.toPerfMap().trim().split('\n')) t.regex(line, /^[0-9a-f]+ [0-9a-f]+ \S.*$/)
  const dir = mkdtempSync(join(tmpdir(), 'vjit-perf-'))
  try {
    const path = join(dir, `perf-${process.pid}.map`)
    t.is(m.writePerfMap(undefined, path), path)
    writePerfMap([{ address: 0x10n, size: 16, name: 'later' }], path)
    const lines = readFileSync(path, 'utf8').trim().split('\n')
    t.is(lines.length, 5, 'the second write appended')
    t.is(lines[4], '10 10 later')
    writePerfMap([{ address: 0x20n, size: 1, name: 'fresh' }], path, false)
    t.is(readFileSync(path, 'utf8'), '20 1 fresh\n')
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('perf map: code placed where freed code was replaces it (latestPerfMapEntries, the monitor default)', (t) => {
  const e = (address: bigint, size: number, name: string) => ({ address, size, name })
  const placed = [
    e(0x1000n, 0x100, 'old_a'), // overlapped at its end by new_c
    e(0x1100n, 0x10, 'b'), // untouched
    e(0x2000n, 0x40, 'old_d'), // covered entirely by new_e
    e(0x10f0n, 0x10, 'new_c'),
    e(0x1ff0n, 0x100, 'new_e'),
    e(0x3000n, 0, 'empty'),
  ]
  t.deepEqual(latestPerfMapEntries(placed).map((x) => x.name), ['b', 'new_c', 'new_e', 'empty'])
  t.deepEqual(latestPerfMapEntries([]), [])
  // The monitor drops what later compiles overwrote.
  const m = new EventBasedJitMonitor()
  const compile = (pc: bigint, tier: 0 | 1 | 2, address: bigint, codeSize: number) =>
    m.record({ kind: 'compileEnd', pc, tier, ts: 1, start: 0, durationUs: 5, codeSize, address, background: false })
  compile(0x1000n, 1, 0x7f00_0000_0000n, 0x80)
  compile(0x2000n, 1, 0x7f00_0000_0080n, 0x80)
  compile(0x3000n, 2, 0x7f00_0000_0000n, 0x40) // reuses the freed code of 0x1000's tier 1
  t.is(m.toPerfMap(), '7f0000000080 80 jit_t1_0x2000\n7f0000000000 40 jit_t2_0x3000\n')
})

test('listeners: per kind and "*", delivered synchronously, unsubscribable', (t) => {
  const m = new EventBasedJitMonitor()
  const compiles: Array<JitEvent & { ts: number }> = []
  const all: string[] = []
  const off = m.on('compileEnd', (e) => compiles.push(e))
  m.on('*', (e) => all.push(e.kind))
  m.record({ kind: 'compileEnd', pc: 1n, tier: 1, durationUs: 5, codeSize: 10 })
  t.is(compiles.length, 1)
  t.is(typeof compiles[0]!.ts, 'number', 'the monitor stamped it')
  m.record({ kind: 'promotion', pc: 1n, fromTier: 1, toTier: 2 })
  m.record({ kind: 'cacheLookup', hit: true })
  t.deepEqual(all, ['compileEnd', 'promotion', 'cacheLookup'])
  off()
  m.record({ kind: 'compileEnd', pc: 2n, tier: 1, durationUs: 5, codeSize: 10 })
  t.is(compiles.length, 1)
  t.is(all.length, 4)
  // the typed listener sees its own kind's fields
  m.on('eviction', (e) => t.is(e.reason, 'lru'))
  m.record({ kind: 'eviction', pc: 3n, tier: 1, reason: 'lru' })
  t.throws(() => m.on('compile' as never, () => {}), { instanceOf: TypeError, message: /unknown event kind "compile"/ })
  t.throws(() => m.record({ kind: 'bogus' } as never), { instanceOf: TypeError, message: /unknown event kind "bogus"/ })
  t.throws(() => m.record({ kind: 'compileEnd', pc: 1n, tier: 1, codeSize: 1 } as never), { instanceOf: TypeError, message: /durationUs/ })
})

test('events(), clear() and a bounded event buffer whose totals stay exact', (t) => {
  const m = new EventBasedJitMonitor({ maxEvents: 10 })
  for (let k = 0; k < 25; k++) m.record({ kind: 'compileEnd', pc: BigInt(k), tier: 1, ts: k, durationUs: k, codeSize: 1 })
  const kept = m.events('compileEnd')
  t.deepEqual(kept.map((e) => e.pc), Array.from({ length: 10 }, (_, k) => BigInt(15 + k)), 'the newest ten, oldest first')
  const r = m.generateReport()
  t.is(r.totalCompilations, 25)
  t.is(r.eventsRecorded, 10)
  t.is(r.eventsDropped, 15)
  t.is(r.perTier[1]!.medianUs, 12)
  t.regex(m.textReport(), /15 early events were dropped/)
  t.is(m.toChromeTrace().traceEvents.filter((e) => e.ph === 'X').length, 10)
  m.clear()
  t.is(m.generateReport().totalCompilations, 0)
  t.deepEqual(m.events(), [])
})

test('a disabled monitor records nothing, calls no listener, and costs next to nothing', (t) => {
  const m = new EventBasedJitMonitor({ enabled: false })
  let heard = 0
  m.on('*', () => heard++)
  const event: JitEvent = { kind: 'compileEnd', pc: 1n, tier: 1, ts: 1, durationUs: 5, codeSize: 10 }
  const t0 = performance.now()
  for (let k = 0; k < 1_000_000; k++) m.record(event)
  const ms = performance.now() - t0
  m.recordLookup(true, 5)
  m.recordExecutions(1n, 5)
  const r = m.generateReport()
  t.is(r.totalCompilations, 0)
  t.is(r.cacheHits, 0)
  t.deepEqual(r.hottestBlocks, [])
  t.deepEqual(m.events(), [])
  t.is(heard, 0)
  t.true(ms < 500, `a million disabled record() calls took ${ms.toFixed(1)} ms`)
  // switching on and off
  m.enabled = true
  m.record(event)
  m.disable()
  m.record(event)
  t.is(m.generateReport().totalCompilations, 1)
  t.is(heard, 1)
  t.is(m.enable(), m)
  t.throws(() => new EventBasedJitMonitor({ maxEvents: 0 }), { instanceOf: RangeError })
  t.throws(() => new EventBasedJitMonitor({ enable: true } as never), { instanceOf: TypeError, message: /unknown option 'enable'/ })
})

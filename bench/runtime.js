'use strict'
// The tiered runtime (TieredCompiler over the native dispatch loop):
//
//   transitions   block transitions per second in the native loop: chained (exits to constant
//                 pcs jump straight into the next block) and unchained (computed exit pcs go
//                 through the dispatcher's lookup), against one napi call per block (a JS loop
//                 calling CodeHandle.run per block); and, from the Rust example
//                 crates/vm-jit-core/examples/transitions.rs, the same loop without Node and the
//                 dispatcher's native pc → unit lookup alone
//   lookup        ShardedCodeCache.getCodeId(pc) from TypeScript, over 1,000 and 10,000 entries
//   detection     hot-spot detection overhead on the synthetic guest: decision points (counter
//                 sync, EWMA detector, policy) at the default decisionInterval vs. a huge one
//   steady        time to steady state on the synthetic guest from cold: when the last compile
//                 lands (the monitor's compileEnd events), overall and after its phase change
//   stall         the guest's stall while tier 2 compiles: backgroundCompilation true vs false —
//                 the longest time the guest was stopped, the total, and the run time
//
// The synthetic guest is __test__/support/synthGuest (a register machine with hundreds of blocks:
// nested loops, calls through a guest stack, a phase change; its self-modifying section is left
// out of the timed workloads so that steady state exists). Its results are checked against the
// reference runner (every block in the tier-0 Interpreter) before anything is timed, and every
// timed run's output is checked against the first.
//
// Timing: interleaved rounds (contenders alternate, in a rotating order), medians and p90s.
// The Rust example is built and run with cargo (the first time builds vm-jit-core's release
// profile with the `testing` feature: minutes); VMJIT_BENCH_CARGO=0 skips it.

const path = require('node:path')
const { spawnSync } = require('node:child_process')
const { TieredCompiler, CraneliftBackend, IRBuilder, ShardedCodeCache } = require('..')
const guestLib = require('../__test__/support/synthGuest/index.cjs')
const { nowNs, summary, fmt, table } = require('./util.js')

const ROOT = path.resolve(__dirname, '..')
const WORKLOAD = ['loops', 'calls', 'phases']

// ---- transitions ----------------------------------------------------------------------------

/**
 * A ring of `n` blocks at 0x10, 0x20, …, each exiting to the next: chained (constant exit pc) or
 * unchained (exit pc = r0 + constant, r0 = 0: computed, so it never chains). Like the Rust example.
 */
function ring(n, chained) {
  const blocks = new Map()
  for (let k = 0; k < n; k++) {
    const pc = BigInt(0x10 * (k + 1))
    const next = BigInt(0x10 * (((k + 1) % n) + 1))
    const b = new IRBuilder({ pc })
    b.mark(pc)
    if (chained) b.exit(next)
    else b.exit(b.add(b.getState('i64', 0), b.i64(next)))
    blocks.set(pc, b.finish())
  }
  return blocks
}

function nativeLoop(blocks) {
  const jit = new TieredCompiler({ stateSize: 64, decisionInterval: 2 ** 52, optimizedThreshold: 2 ** 30, translate: (pc) => blocks.get(pc) })
  for (const b of blocks.values()) jit.compileOptimized(b)
  const state = new Uint8Array(64)
  const memory = new Uint8Array(8)
  return (n) => {
    const e = jit.run(0x10n, state, memory, { fuel: n })
    if (e.reason !== 'fuel' || e.fuelLeft !== 0n) throw new Error(`transitions: expected a fuel exit, got ${e.reason}`)
  }
}

function napiLoop(blocks) {
  const backend = new CraneliftBackend({ optLevel: 'speed' })
  const handles = new Map([...blocks].map(([pc, b]) => [pc, backend.compile(b)]))
  const state = new Uint8Array(64)
  const memory = new Uint8Array(8)
  return (n) => {
    let pc = 0x10n
    for (let k = 0; k < n; k++) {
      const e = handles.get(pc).run(state, memory)
      pc = e.pc
    }
    if (!handles.has(pc)) throw new Error('transitions: napi loop left the ring')
  }
}

/** The Rust example: its chained/unchained figures and the native lookup micro-benchmark. */
function rustExample(quick) {
  const args = ['run', '--release', '-q', '-p', 'vm-jit-core', '--example', 'transitions', '--features', 'testing']
  if (process.env.VMJIT_BENCH_CARGO === '0') return { command: `cargo ${args.join(' ')}`, error: 'skipped (VMJIT_BENCH_CARGO=0)' }
  const r = spawnSync('cargo', args, { cwd: ROOT, encoding: 'utf8', timeout: (quick ? 15 : 30) * 60 * 1000 })
  const command = `cargo ${args.join(' ')}`
  if (r.status !== 0) return { command, error: (r.error?.message ?? r.stderr ?? '').trim().split('\n').slice(-3).join(' ') || `exit ${r.status}` }
  const out = r.stdout
  const num = (re) => {
    const m = re.exec(out)
    return m ? Number(m[1]) : undefined
  }
  const lookups = [...out.matchAll(/^lookup (\d+) units: ([\d.]+) ns per lookup/gm)].map((m) => ({ units: Number(m[1]), ns: Number(m[2]) }))
  return {
    command,
    chainedNs: num(/^chained: ([\d.]+) ns per transition/m),
    unchainedNs: num(/^unchained: ([\d.]+) ns per transition/m),
    lookups,
    output: out.trim().split('\n'),
  }
}

function transitions(quick) {
  const rounds = quick ? 5 : 15
  const nNative = quick ? 5_000_000 : 20_000_000
  const nNapi = quick ? 50_000 : 200_000
  const contenders = []
  // Ring sizes: 2 (as in the Rust example), 8 and 64. Every unit starts at offset 0 of its own page,
  // so all block entries share one L1i set: past the cache's associativity (8 ways on the
  // reference machine) chained transitions miss in L1i — the 64-block ring shows that cost.
  for (const size of [2, 8, 64]) {
    contenders.push({ who: `chained-${size}`, label: `native loop, chained (ring of ${size})`, n: nNative, run: nativeLoop(ring(size, true)) })
    contenders.push({ who: `unchained-${size}`, label: `native loop, unchained (ring of ${size})`, n: nNative / 4, run: nativeLoop(ring(size, false)) })
  }
  contenders.push({ who: 'napi-2', label: 'one napi call per block (CodeHandle.run, ring of 2)', n: nNapi, run: napiLoop(ring(2, false)) })
  const samples = new Map(contenders.map((c) => [c.who, []]))
  for (let r = -1; r < rounds; r++) {
    for (let k = 0; k < contenders.length; k++) {
      const c = contenders[(k + Math.max(r, 0)) % contenders.length]
      const t = nowNs()
      c.run(c.n)
      const dt = nowNs() - t
      if (r >= 0) samples.get(c.who).push(dt / c.n)
    }
  }
  const rows = contenders.map((c) => {
    const s = summary(samples.get(c.who))
    return { who: c.who, label: c.label, transitions: c.n, medianNs: s.median, p90Ns: s.p90, perSecond: 1e9 / s.median }
  })
  table(
    `Block transitions (ns per transition; median of ${rounds} interleaved runs)`,
    ['contender', 'transitions/run', 'median ns', 'p90 ns', 'M transitions/s'],
    rows.map((x) => [x.label, x.transitions.toLocaleString('en-US'), fmt(x.medianNs, 2), fmt(x.p90Ns, 2), fmt(x.perSecond / 1e6, 1)]),
  )
  return { rounds, rows }
}

// ---- lookups --------------------------------------------------------------------------------

function tsLookup(quick) {
  const rounds = quick ? 7 : 21
  const out = []
  for (const entries of [1_000, 10_000]) {
    const cache = new ShardedCodeCache({ maxEntries: entries })
    const rnd = guestLib.prng(entries)
    const pcs = []
    let pc = 0x8000_0000n
    for (let k = 0; k < entries; k++) {
      pc += BigInt(4 * (1 + Math.floor(rnd() * 16)))
      pcs.push(pc)
      cache.insert(pc, { codeId: k + 1, tier: 1, size: 100 })
    }
    for (let k = pcs.length - 1; k > 0; k--) {
      const j = Math.floor(rnd() * (k + 1))
      ;[pcs[k], pcs[j]] = [pcs[j], pcs[k]]
    }
    const reps = Math.max(1, Math.floor((quick ? 200_000 : 1_000_000) / entries))
    const samples = []
    let sum = 0
    for (let r = -2; r < rounds; r++) {
      const t = nowNs()
      for (let k = 0; k < reps; k++) for (let i = 0; i < pcs.length; i++) sum += cache.getCodeId(pcs[i])
      const dt = nowNs() - t
      if (r >= 0) samples.push(dt / (reps * entries))
    }
    if (sum === 0) throw new Error('lookup: no hits')
    const s = summary(samples)
    out.push({ entries, lookupsPerRound: reps * entries, medianNs: s.median, p90Ns: s.p90 })
  }
  table(
    `ShardedCodeCache.getCodeId(pc) from TypeScript (ns per lookup, shuffled pcs, all hits; median of ${rounds} rounds)`,
    ['entries', 'lookups/round', 'median ns', 'p90 ns'],
    out.map((x) => [x.entries.toLocaleString('en-US'), x.lookupsPerRound.toLocaleString('en-US'), fmt(x.medianNs, 1), fmt(x.p90Ns, 1)]),
  )
  return out
}

// ---- the synthetic guest ----------------------------------------------------------------------

/** Checks the timed workload's results against the reference runner at scale 1. */
function verifyGuest() {
  const p = guestLib.buildProgram({ sections: WORKLOAD, scale: 1 })
  const ref = guestLib.runReference(p)
  const guest = guestLib.newGuest(p)
  const jit = new TieredCompiler({ translate: guest.translate })
  const diff = guestLib.diffResults(guestLib.runTiered(jit, guest), ref)
  if (diff) throw new Error(`GUEST MISMATCH: the tiered runtime disagrees with the reference runner: ${diff}`)
  return { blocks: ref.distinctBlocks, executions: ref.blocks }
}

function sameOutput(a, b) {
  return a.length === b.length && a.every((x, k) => x === b[k])
}

/** A warmed-up runtime for `program` (run until a run compiles nothing), and its output. */
function warmed(program, config) {
  const guest = guestLib.newGuest(program)
  const jit = new TieredCompiler({ ...config, translate: guest.translate })
  let out
  for (let k = 0; k < 12; k++) {
    if (k > 0) guestLib.resetGuest(guest, jit)
    const before = jit.cache.statistics().inserts
    const r = guestLib.runTiered(jit, guest)
    if (out && !sameOutput(out, r.out)) throw new Error('GUEST MISMATCH: warm-up runs disagree')
    out = r.out
    if (k >= 2 && jit.cache.statistics().inserts === before) break
  }
  return { guest, jit, out }
}

function detection(quick, scale) {
  const rounds = quick ? 7 : 31
  const p = guestLib.buildProgram({ sections: WORKLOAD, scale })
  // One warmed-up runtime, run alternately with either interval: the same machine code in the
  // same places (two runtimes differ by where each block's page landed, which moves run times
  // by several per cent on its own). TieredCompiler reads config.decisionInterval at each run.
  const shared = warmed(p, {})
  const contenders = [
    { who: 'default', label: `decisionInterval 2^${Math.log2(shared.jit.config.decisionInterval)} (default)`, interval: shared.jit.config.decisionInterval, ...shared },
    { who: 'huge', label: 'decisionInterval 2^52 (decisions only at exits)', interval: 2 ** 52, ...shared },
  ]
  const useInterval = (c) => {
    c.jit.config.decisionInterval = c.interval
  }
  // Decision points per run, from a monitored (untimed) run of each.
  let executions = 0
  for (const c of contenders) {
    useInterval(c)
    guestLib.resetGuest(c.guest, c.jit)
    const m = c.jit.enablePerformanceMonitor()
    const before = c.jit.counters.slice()
    guestLib.runTiered(c.jit, c.guest)
    // Block executions per run: every block entry, chained or dispatched, bumps its unit's counter.
    executions = 0
    for (let k = 0; k < before.length; k++) executions += (c.jit.counters[k] - before[k]) >>> 0
    const rep = m.generateReport()
    c.decisions = rep.timeline.decisions
    c.blocksDispatched = rep.timeline.blocksExecuted
    c.decisionUs = rep.timeline.decisionTimeUs
    c.jit.disablePerformanceMonitor()
  }
  // Each round runs both, back to back (order alternating), and keeps their ratio: on a busy
  // machine the load drifts between rounds far more than within a pair.
  const samples = new Map(contenders.map((c) => [c.who, []]))
  const ratios = []
  let compiled = 0
  for (let r = -1; r < rounds; r++) {
    const ms = {}
    for (let k = 0; k < contenders.length; k++) {
      const c = contenders[(k + Math.max(r, 0)) % contenders.length]
      useInterval(c)
      guestLib.resetGuest(c.guest, c.jit)
      const before = c.jit.cache.statistics().inserts
      const t = nowNs()
      const res = guestLib.runTiered(c.jit, c.guest)
      const dt = nowNs() - t
      compiled += c.jit.cache.statistics().inserts - before
      if (!sameOutput(res.out, c.out)) throw new Error('GUEST MISMATCH during timing')
      ms[c.who] = dt / 1e6
      if (r >= 0) samples.get(c.who).push(dt / 1e6)
    }
    if (r >= 0) ratios.push(ms.default / ms.huge)
  }
  const rows = contenders.map((c) => {
    const s = summary(samples.get(c.who))
    return { who: c.who, label: c.label, medianMs: s.median, p90Ms: s.p90, decisionsPerRun: c.decisions, decisionUsPerRun: c.decisionUs }
  })
  const ratio = summary(ratios)
  const overheadPct = (ratio.median - 1) * 100
  // The same from the monitor: the extra time spent in decision points, over the run time.
  const decidingPct = ((rows[0].decisionUsPerRun - rows[1].decisionUsPerRun) / 1000 / rows[1].medianMs) * 100
  table(
    `Hot-spot detection overhead (synthetic guest, scale ${scale}, steady state; ms per run, median of ${rounds} interleaved runs)`,
    ['decision points', 'median ms', 'p90 ms', 'decisions/run', 'µs deciding/run'],
    rows.map((x) => [x.label, fmt(x.medianMs, 2), fmt(x.p90Ms, 2), x.decisionsPerRun, fmt(x.decisionUsPerRun, 0)]),
  )
  console.log(
    `  overhead: median of per-round ratios ${fmt(overheadPct, 2)} % (p10 ${fmt((ratio.p10 - 1) * 100, 1)} %, p90 ${fmt((ratio.p90 - 1) * 100, 1)} %); ` +
      `extra time in decision points (monitor) ${fmt(decidingPct, 2)} % of the run (target < 1 %)`,
  )
  console.log(
    `  ${executions.toLocaleString('en-US')} block executions per run (${fmt((rows[1].medianMs * 1e6) / executions, 2)} ns each); ` +
      `${fmt((rows[0].decisionUsPerRun - rows[1].decisionUsPerRun) / Math.max(1, rows[0].decisionsPerRun - rows[1].decisionsPerRun), 0)} µs per extra decision point; compiles during the timed runs: ${compiled}`,
  )
  return {
    scale,
    rounds,
    rows,
    overheadPct,
    ratioP10: ratio.p10,
    ratioP90: ratio.p90,
    decidingPct,
    compilesDuringTiming: compiled,
    blockExecutionsPerRun: executions,
  }
}

/** One cold run of `program` with the monitor on; when compiles stopped, and where the guest stopped. */
function coldRun(program, config) {
  const guest = guestLib.newGuest(program)
  const jit = new TieredCompiler({ ...config, translate: guest.translate })
  const m = jit.enablePerformanceMonitor()
  const traps = []
  const t0 = performance.now()
  const res = guestLib.runTiered(jit, guest, { onStop: (e) => e.reason === 'trap' && traps.push(performance.now()) })
  const t1 = performance.now()
  const ends = m.events('compileEnd')
  const last = (pred) => Math.max(0, ...ends.filter(pred).map((e) => e.ts - t0))
  const doneAt = Float64Array.from(ends.map((e) => e.ts - t0)).sort()
  const quantile = (q) => doneAt[Math.min(doneAt.length - 1, Math.ceil(q * doneAt.length) - 1)]
  // Spans with the guest stopped: tier-1 compiles on misses (the same in both modes) and
  // decision points, where the tier-2 work of the main thread happens — compiling in the
  // foreground; submitting compiles and installing finished ones in the background mode.
  const misses = ends.filter((e) => !e.background && e.tier !== 2)
  const decisions = m.events('decision')
  const decisionUs = decisions.map((d) => d.durationUs ?? 0)
  const stopsUs = [...misses.map((e) => e.durationUs), ...decisionUs]
  return {
    out: res.out,
    totalMs: t1 - t0,
    lastCompileMs: last(() => true),
    lastTier1Ms: last((e) => e.tier === 1),
    lastTier2Ms: last((e) => e.tier === 2),
    compiles50Ms: quantile(0.5),
    compiles90Ms: quantile(0.9),
    compiles99Ms: quantile(0.99),
    compileTimes: doneAt,
    traps: traps.map((x) => x - t0),
    compiles: ends.length,
    longestStopUs: Math.max(0, ...stopsUs),
    missCompileMs: misses.reduce((s, e) => s + e.durationUs, 0) / 1000,
    longestDecisionUs: Math.max(0, ...decisionUs),
    decisionMs: decisionUs.reduce((s, x) => s + x, 0) / 1000,
    decisions: decisions.length,
  }
}

function steady(quick, scale) {
  const runs = quick ? 3 : 9
  const p = guestLib.buildProgram({ sections: WORKLOAD, scale })
  const samples = []
  let out
  for (let r = 0; r < runs; r++) {
    const c = coldRun(p, {})
    if (out && !sameOutput(out, c.out)) throw new Error('GUEST MISMATCH between cold runs')
    out = c.out
    // The phase change: phase B starts after the 4th trap (loops, fib, calls, phase A print).
    // Its own steady state: when 99 % of the compiles made after it had landed.
    const phaseB = c.traps[3]
    const after = c.compileTimes.filter((x) => x >= phaseB)
    const after99 = after.length ? after[Math.ceil(0.99 * after.length) - 1] - phaseB : 0
    samples.push({ ...c, afterPhaseChangeMs: after99, phaseBStartMs: phaseB, phaseBCompiles: after.length })
  }
  const med = (f) => summary(samples.map(f)).median
  const r = {
    scale,
    runs,
    totalMs: med((s) => s.totalMs),
    compiles50Ms: med((s) => s.compiles50Ms),
    compiles90Ms: med((s) => s.compiles90Ms),
    compiles99Ms: med((s) => s.compiles99Ms),
    lastCompileMs: med((s) => s.lastCompileMs),
    lastTier1Ms: med((s) => s.lastTier1Ms),
    lastTier2Ms: med((s) => s.lastTier2Ms),
    phaseBStartMs: med((s) => s.phaseBStartMs),
    phaseBCompiles: med((s) => s.phaseBCompiles),
    afterPhaseChangeMs: med((s) => s.afterPhaseChangeMs),
    compiles: med((s) => s.compiles),
  }
  table(
    `Time to steady state (synthetic guest, scale ${scale}, from cold; medians of ${runs} runs; ms from the start of the run until that share of all its compiles had landed)`,
    ['run time', '50 %', '90 %', '99 %', 'last compile', 'last tier 2', 'compiles', 'phase B starts', 'its compiles', '99 % of them after'],
    [[
      fmt(r.totalMs, 1), fmt(r.compiles50Ms, 1), fmt(r.compiles90Ms, 1), fmt(r.compiles99Ms, 1), fmt(r.lastCompileMs, 1), fmt(r.lastTier2Ms, 1),
      fmt(r.compiles, 0), fmt(r.phaseBStartMs, 1), fmt(r.phaseBCompiles, 0), fmt(r.afterPhaseChangeMs, 1),
    ]],
  )
  return r
}

function stall(quick, scale) {
  const rounds = quick ? 3 : 9
  const p = guestLib.buildProgram({ sections: WORKLOAD, scale })
  const contenders = [
    { who: 'background', label: 'backgroundCompilation true', config: { backgroundCompilation: true }, samples: [] },
    { who: 'foreground', label: 'backgroundCompilation false', config: { backgroundCompilation: false }, samples: [] },
  ]
  let out
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < contenders.length; k++) {
      const c = contenders[(k + r) % contenders.length]
      const s = coldRun(p, c.config)
      if (out && !sameOutput(out, s.out)) throw new Error('GUEST MISMATCH between background and foreground runs')
      out = s.out
      c.samples.push(s)
    }
  }
  const rows = contenders.map((c) => {
    const med = (f) => summary(c.samples.map(f)).median
    return {
      who: c.who,
      label: c.label,
      totalMs: med((s) => s.totalMs),
      longestStopUs: med((s) => s.longestStopUs),
      longestDecisionUs: med((s) => s.longestDecisionUs),
      decisionMs: med((s) => s.decisionMs),
      decisions: med((s) => s.decisions),
      missCompileMs: med((s) => s.missCompileMs),
    }
  })
  table(
    `Guest stall while tier 2 compiles (synthetic guest, scale ${scale}, cold runs; medians of ${rounds} interleaved runs; ` +
      'decision points hold the main thread\'s tier-2 work: compiles in the foreground mode, submissions and installs in the background one)',
    ['mode', 'run ms', 'longest stop µs', 'longest decision point µs', 'in decision points ms', 'decision points', 'in tier-1 compiles (misses) ms'],
    rows.map((x) => [x.label, fmt(x.totalMs, 1), fmt(x.longestStopUs, 0), fmt(x.longestDecisionUs, 0), fmt(x.decisionMs, 1), fmt(x.decisions, 0), fmt(x.missCompileMs, 1)]),
  )
  return { scale, rounds, rows, runTimeDifferenceMs: rows[1].totalMs - rows[0].totalMs }
}

/** Runs `f`, printing how long it took (this section is long; the split helps keep it in budget). */
function timed(name, f) {
  const t = nowNs()
  const r = f()
  console.log(`  (${name}: ${((nowNs() - t) / 1e9).toFixed(1)} s)`)
  return r
}

async function run({ quick }) {
  const verified = timed('verify', () => verifyGuest())
  console.log(`synthetic guest: ${verified.blocks} distinct blocks, ${verified.executions.toLocaleString('en-US')} block executions at scale 1; tiered runtime agrees with the reference runner`)
  const t = timed('transitions', () => transitions(quick))

  const rust = timed('rust example', () => rustExample(quick))
  if (rust.error) console.log(`\n(native figures: \`${rust.command}\` failed: ${rust.error})`)
  else {
    table(
      'The Rust example (crates/vm-jit-core/examples/transitions.rs: the dispatch loop without Node; Runtime::lookup alone)',
      ['figure', 'ns'],
      [
        ['chained transition', fmt(rust.chainedNs, 2)],
        ['unchained transition', fmt(rust.unchainedNs, 2)],
        ['unchained − chained (upper bound of lookup + call)', fmt(rust.unchainedNs - rust.chainedNs, 2)],
        ...rust.lookups.map((l) => [`Runtime::lookup, ${l.units.toLocaleString('en-US')} units`, fmt(l.ns, 2)]),
      ],
    )
  }
  const lookup = timed('lookup', () => tsLookup(quick))

  // Scale 200: ~14M block executions per run, a few million between the guest's traps, so the
  // default interval (2^22 fuel) really adds decision points to the ones every trap brings.
  const det = timed('detection', () => detection(quick, 200))
  const st = timed('steady', () => steady(quick, quick ? 200 : 1000))
  const sl = timed('stall', () => stall(quick, quick ? 20 : 50))

  const chained = t.rows.find((x) => x.who === 'chained-2').medianNs
  const nativeLookup = rust.lookups?.find((l) => l.units === 1000)?.ns
  const tsLookupNs = lookup.find((x) => x.entries === 1000).medianNs
  const targets = [
    { target: 'chained transition ≤ 5 ns (aim 2)', value: `${fmt(chained, 2)} ns`, met: chained <= 5 },
    { target: 'native lookup ≤ 20 ns', value: nativeLookup === undefined ? 'not measured' : `${fmt(nativeLookup, 2)} ns`, met: nativeLookup !== undefined && nativeLookup <= 20 },
    { target: 'TS index lookup ≤ 100 ns', value: `${fmt(tsLookupNs, 1)} ns`, met: tsLookupNs <= 100 },
    {
      target: 'detection overhead < 1 %',
      value: `${fmt(det.overheadPct, 2)} % (in decision points: ${fmt(det.decidingPct, 2)} %)`,
      met: det.overheadPct < 1 && det.decidingPct < 1,
    },
  ]
  table('Runtime targets', ['target', 'measured', 'met'], targets.map((x) => [x.target, x.value, x.met ? 'yes' : 'NO']))
  return { verified, transitions: t, rust, lookup, detection: det, steady: st, stall: sl, targets }
}

module.exports = { name: 'runtime', title: 'tiered runtime: transitions, lookups, detection overhead, steady state, stalls', run }

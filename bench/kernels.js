'use strict'
// Loop kernels: the same loop as IR in the tier-0 interpreter, compiled at optLevel 'none' (tier 1)
// and 'speed' (tier 2), and as plain Rust (`referenceKernel`, crates/vm-jit-core/src/kernels.rs,
// built with the addon's release optimisations).
//
// Before anything is timed, every tier's result (and, for the sieve, the memory it leaves) is
// checked against the Rust kernel's at every n used; a mismatch fails the section loudly. Results
// are checked again after every timed run.
//
// Timing: rounds of one sample per contender, in a rotating order, so noise hits all alike. A
// sample is one or more back-to-back runs (one napi call each; the ~µs call overhead is
// negligible at these ms run times) lasting about as long as one interpreter run; the reported
// figure is the median (and p90) over rounds, divided by runs × n for ns per element. The
// interpreter may run a smaller n (sum, crc32: linear kernels) to keep a run ~10–20 ms.

const { CraneliftBackend, Interpreter } = require('..')
const { sumBlock, sieveBlock, crc32Block, prng, N_OFFSET, RESULT_OFFSET } = require('./blocks.js')
const { nowNs, median, summary, fmt, table } = require('./util.js')

/** The Rust reference kernels live in the native binding (the napi-generated loader). */
function referenceKernel() {
  const fromPackage = require('..').referenceKernel
  if (typeof fromPackage === 'function') return fromPackage
  const binding = require('../index.js')
  if (typeof binding.referenceKernel !== 'function') throw new Error('the native binding has no referenceKernel export; rebuild the addon (npm run build:native)')
  return binding.referenceKernel
}

const FUEL = Infinity

const KERNELS = [
  {
    name: 'sum',
    element: 'word',
    make: sumBlock,
    exitPc: 0x1010n,
    // 1M words = 8 MiB (fits the 32 MiB L3 of the reference machine); interpreter on 256K words
    n: 1 << 20,
    interpN: 1 << 18,
    quickN: 1 << 18,
    quickInterpN: 1 << 16,
    memBytes: (n) => n * 8,
    fill(mem) {
      const r = prng(11)
      for (let k = 0; k < mem.length; k++) mem[k] = Math.floor(r() * 256)
    },
    reset: null,
    known: { n: 1024, fill: (mem) => fillWords(mem, 1024), result: 523776n },
  },
  {
    name: 'sieve',
    element: 'byte of the sieve',
    make: sieveBlock,
    exitPc: 0x2020n,
    // Work grows like n·log log n, so every contender runs the same n (no per-element rescaling).
    n: 1 << 18,
    interpN: 1 << 18,
    quickN: 1 << 17,
    quickInterpN: 1 << 17,
    memBytes: (n) => n,
    fill(mem) {
      mem.fill(0)
    },
    reset(mem, n) {
      mem.fill(0, 0, n)
    },
    known: { n: 100, fill: (mem) => mem.fill(0), result: 25n },
  },
  {
    name: 'crc32',
    element: 'byte',
    make: crc32Block,
    exitPc: 0x3010n,
    n: 1 << 18,
    interpN: 1 << 15,
    quickN: 1 << 17,
    quickInterpN: 1 << 14,
    memBytes: (n) => n,
    fill(mem) {
      const r = prng(23)
      for (let k = 0; k < mem.length; k++) mem[k] = Math.floor(r() * 256)
    },
    reset: null,
    known: { n: 9, fill: (mem) => mem.set(Buffer.from('123456789')), result: 0xcbf43926n },
  },
]

function fillWords(mem, n) {
  const dv = new DataView(mem.buffer, mem.byteOffset, mem.byteLength)
  for (let k = 0; k < n; k++) dv.setBigUint64(8 * k, BigInt(k), true)
}

function newState(n) {
  const state = new Uint8Array(256)
  const dv = new DataView(state.buffer)
  dv.setBigUint64(N_OFFSET, BigInt(n), true)
  return { state, dv }
}

function resultOf(dv) {
  return dv.getBigUint64(RESULT_OFFSET, true)
}

/** The four ways to run a kernel. `run(state, memory)` returns nothing; it throws on a bad exit. */
function contenders(kernel, block, codeNone, codeSpeed, ref, interp) {
  const want = kernel.exitPc
  const check = (who, r) => {
    if (r.reason !== 'exit' || r.pc !== want) {
      throw new Error(`${kernel.name} ${who}: expected exit at 0x${want.toString(16)}, got ${r.reason} at 0x${r.pc.toString(16)}${r.faultAddress !== undefined ? ` (fault address 0x${r.faultAddress.toString(16)})` : ''}`)
    }
  }
  return [
    { who: 'interp', label: 'interpreter (tier 0)', run: (s, m) => check('interpreter', interp.run(block, s, m, { fuel: FUEL })) },
    { who: 'none', label: "compiled, optLevel 'none' (tier 1)", run: (s, m) => check("optLevel 'none'", codeNone.run(s, m, { fuel: FUEL })) },
    { who: 'speed', label: "compiled, optLevel 'speed' (tier 2)", run: (s, m) => check("optLevel 'speed'", codeSpeed.run(s, m, { fuel: FUEL })) },
    { who: 'rust', label: 'plain Rust (referenceKernel)', run: (s, m) => ref(kernel.name, s, m) },
  ]
}

/** Runs every contender at `n` on a fresh copy of the input and compares with Rust. */
function verify(kernel, runners, n, mem, fill) {
  const outcomes = runners.map((c) => {
    const m = new Uint8Array(mem.length)
    fill(m)
    const { state, dv } = newState(n)
    c.run(state, m)
    return { who: c.who, result: resultOf(dv), mem: m, state }
  })
  const rust = outcomes.find((o) => o.who === 'rust')
  for (const o of outcomes) {
    if (o.result !== rust.result) {
      throw new Error(`KERNEL MISMATCH: ${kernel.name} n=${n}: ${o.who} gives ${o.result} (0x${o.result.toString(16)}), Rust gives ${rust.result} (0x${rust.result.toString(16)})`)
    }
    if (Buffer.compare(o.mem, rust.mem) !== 0) {
      let k = 0
      while (o.mem[k] === rust.mem[k]) k++
      throw new Error(`KERNEL MISMATCH: ${kernel.name} n=${n}: ${o.who} leaves memory different from Rust's, first at byte ${k} (${o.mem[k]} vs ${rust.mem[k]})`)
    }
    if (Buffer.compare(o.state.subarray(0, 80), rust.state.subarray(0, 80)) !== 0 || Buffer.compare(o.state.subarray(96), rust.state.subarray(96)) !== 0) {
      throw new Error(`KERNEL MISMATCH: ${kernel.name} n=${n}: ${o.who} wrote guest state outside x10`)
    }
  }
  return rust.result
}

async function run({ quick }) {
  const ref = referenceKernel()
  const interp = new Interpreter()
  const none = new CraneliftBackend({ optLevel: 'none' })
  const speed = new CraneliftBackend({ optLevel: 'speed' })
  const rounds = quick ? 5 : 31
  const minRounds = quick ? 5 : 15
  const budgetNs = (quick ? 2 : 12) * 1e9
  const warmup = 2
  const out = []

  for (const kernel of KERNELS) {
    const block = kernel.make()
    const n = quick ? kernel.quickN : kernel.n
    const interpN = quick ? kernel.quickInterpN : kernel.interpN

    // Compile time of the kernel itself (informational): median of 15 interleaved compiles.
    const ct = { none: [], speed: [] }
    for (let k = 0; k < 15; k++) {
      for (const [lvl, be] of [['none', none], ['speed', speed]]) {
        const t = nowNs()
        const h = be.compile(block)
        ct[lvl].push((nowNs() - t) / 1000)
        h.free()
      }
    }
    const codeNone = none.compile(block)
    const codeSpeed = speed.compile(block)
    const runners = contenders(kernel, block, codeNone, codeSpeed, ref, interp)

    // Correctness first: a known answer at a small n, then every n the timing uses.
    const known = new Uint8Array(Math.max(kernel.memBytes(kernel.known.n), 64))
    const knownResult = verify(kernel, runners, kernel.known.n, known, kernel.known.fill)
    if (knownResult !== kernel.known.result) {
      throw new Error(`KERNEL MISMATCH: ${kernel.name} n=${kernel.known.n}: expected ${kernel.known.result}, all tiers and Rust give ${knownResult}`)
    }
    const mem = new Uint8Array(kernel.memBytes(n))
    kernel.fill(mem)
    const expected = new Map()
    for (const nn of new Set([n, interpN])) expected.set(nn, verify(kernel, runners, nn, mem, kernel.fill))

    // Samples. On a shared machine a long sample is preempted more often than a short one, so
    // samples of very different lengths would bias the ratios in favour of the fast contenders.
    // A sample is therefore `reps` back-to-back runs, `reps` chosen per contender (below) so that
    // every sample lasts about as long as one interpreter run. Repeating a run needs no reset:
    // sum and crc32 do not write memory, and a second sieve over its own output does exactly the
    // same loads, stores and count (composites are already 1, primes still 0).
    const nOf = (c) => (c.who === 'interp' ? interpN : n)
    const sample = (c, reps) => {
      const nn = nOf(c)
      if (kernel.reset) kernel.reset(mem, nn)
      const { state, dv } = newState(nn)
      const t = nowNs()
      for (let j = 0; j < reps; j++) c.run(state, mem)
      const dt = nowNs() - t
      const got = resultOf(dv)
      if (got !== expected.get(nn)) throw new Error(`KERNEL MISMATCH: ${kernel.name} ${c.who} n=${nn} gave ${got} during timing, expected ${expected.get(nn)}`)
      return dt
    }
    // How many runs make a sample is re-estimated after every round from the medians so far (of
    // time per run, interleaved, so contention hits the estimates alike): about one interpreter
    // run, clamped to 5–25 ms. Two rounds of single runs seed the estimates (warm-up, not kept).
    const perRun = new Map(runners.map((c) => [c.who, []])) // ns per run, every sample so far
    const repsOf = new Map(runners.map((c) => [c.who, 1]))
    const kept = new Map(runners.map((c) => [c.who, []])) // { dt, reps } of the timed samples
    const t0 = nowNs()
    for (let r = -warmup; r < rounds; r++) {
      if (r >= minRounds && nowNs() - t0 > budgetNs) break
      for (let k = 0; k < runners.length; k++) {
        const c = runners[(k + Math.max(r, 0)) % runners.length]
        const reps = repsOf.get(c.who)
        const dt = sample(c, reps)
        perRun.get(c.who).push(dt / reps)
        if (r >= 0) kept.get(c.who).push({ dt, reps })
      }
      const targetNs = Math.min(Math.max(median(perRun.get('interp')), 5e6), 25e6)
      for (const c of runners) repsOf.set(c.who, Math.max(1, Math.round(targetNs / median(perRun.get(c.who)))))
    }
    codeNone.free()
    codeSpeed.free()

    const rows = runners.map((c) => {
      const nn = nOf(c)
      const ks = kept.get(c.who)
      const ns = summary(ks.map((x) => x.dt / x.reps / nn))
      const sampleMs = summary(ks.map((x) => x.dt / 1e6))
      const reps = summary(ks.map((x) => x.reps))
      return {
        who: c.who,
        label: c.label,
        n: nn,
        repsPerSample: reps.median,
        repsRange: [reps.min, reps.max],
        samples: ns.n,
        medianSampleMs: sampleMs.median,
        p90SampleMs: sampleMs.p90,
        medianMsPerRun: (ns.median * nn) / 1e6,
        nsPerElement: ns.median,
        p90NsPerElement: ns.p90,
      }
    })
    const per = Object.fromEntries(rows.map((r) => [r.who, r.nsPerElement]))
    const ratios = {
      noneOverInterpSpeedup: per.interp / per.none,
      speedOverInterpSpeedup: per.interp / per.speed,
      speedOverNoneSpeedup: per.none / per.speed,
      speedVsRustSlowdown: per.speed / per.rust,
      noneVsRustSlowdown: per.none / per.rust,
    }
    const compileUs = { none: summary(ct.none).median, speed: summary(ct.speed).median }
    out.push({ kernel: kernel.name, element: kernel.element, ops: block.opCount, result: String(expected.get(n)), compileUs, rows, ratios })

    table(
      `${kernel.name} (${block.opCount} IR ops; ns per ${kernel.element}; median of ${rows[0].samples} interleaved samples; compile ${fmt(compileUs.none, 0)} µs none / ${fmt(compileUs.speed, 0)} µs speed)`,
      ['contender', 'n', 'runs/sample', 'ms/sample', 'p90', 'ms/run', 'ns/elem', 'p90 ns/elem'],
      rows.map((r) => [r.label, r.n.toLocaleString('en-US'), r.repsPerSample, fmt(r.medianSampleMs, 2), fmt(r.p90SampleMs, 2), fmt(r.medianMsPerRun, 2), fmt(r.nsPerElement, 2), fmt(r.p90NsPerElement, 2)]),
    )
    console.log(
      `  none/interp ${fmt(ratios.noneOverInterpSpeedup, 1)}× faster, speed/interp ${fmt(ratios.speedOverInterpSpeedup, 1)}× faster, ` +
        `speed is ${fmt(ratios.speedVsRustSlowdown, 2)}× the Rust time (none ${fmt(ratios.noneVsRustSlowdown, 2)}×)`,
    )
  }

  const targets = out.map((k) => ({
    kernel: k.kernel,
    tier1Speedup: k.ratios.noneOverInterpSpeedup,
    tier1Meets5x: k.ratios.noneOverInterpSpeedup >= 5,
    tier2Speedup: k.ratios.speedOverInterpSpeedup,
    tier2Meets20x: k.ratios.speedOverInterpSpeedup >= 20,
    vsRust: k.ratios.speedVsRustSlowdown,
    within2xOfRust: k.ratios.speedVsRustSlowdown <= 2,
  }))
  table(
    'Kernel targets (tier 1 ≥ 5× interp, tier 2 ≥ 20× interp, tier 2 within 2× of Rust)',
    ['kernel', 'none/interp', '≥5×', 'speed/interp', '≥20×', 'speed÷rust', '≤2×'],
    targets.map((t) => [
      t.kernel,
      `${fmt(t.tier1Speedup, 1)}×`, t.tier1Meets5x ? 'yes' : 'NO',
      `${fmt(t.tier2Speedup, 1)}×`, t.tier2Meets20x ? 'yes' : 'NO',
      `${fmt(t.vsRust, 2)}×`, t.within2xOfRust ? 'yes' : 'NO',
    ]),
  )
  return { maxRounds: rounds, minRounds, kernels: out, targets }
}

module.exports = { name: 'kernels', title: 'loop kernels: interpreter vs compiled vs Rust', run }

'use strict'
// Loop kernels: the same loop as IR in the tier-0 interpreter, compiled at optLevel 'none' (tier 1)
// and 'speed' (tier 2), and as plain Rust (`referenceKernel`, crates/vm-jit-core/src/kernels.rs,
// built with the addon's release optimisations).
//
// Before anything is timed, every tier's result (and, for the sieve, the memory it leaves) is
// checked against the Rust kernel's at every n used; a mismatch fails the section loudly. Results
// are checked again after every timed run.
//
// Timing: rounds of one run per contender, in a rotating order, so noise hits all alike; the
// reported figure is the median (and p90) over rounds of the time of one whole run (one napi call;
// its ~µs call overhead is negligible at these ms run times), divided by n for ns per element.
// The interpreter may run a smaller n (sum, crc32: linear kernels) to keep a run ~10–20 ms.

const { CraneliftBackend, Interpreter } = require('..')
const { sumBlock, sieveBlock, crc32Block, prng, N_OFFSET, RESULT_OFFSET } = require('./blocks.js')
const { nowNs, summary, fmt, table } = require('./util.js')

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
  const warmup = quick ? 1 : 2
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

    // Timed rounds.
    const samples = new Map(runners.map((c) => [c.who, []]))
    const nOf = (c) => (c.who === 'interp' ? interpN : n)
    for (let r = -warmup; r < rounds; r++) {
      for (let k = 0; k < runners.length; k++) {
        const c = runners[(k + Math.max(r, 0)) % runners.length]
        const nn = nOf(c)
        if (kernel.reset) kernel.reset(mem, nn)
        const { state, dv } = newState(nn)
        const t = nowNs()
        c.run(state, mem)
        const dt = nowNs() - t
        const got = resultOf(dv)
        if (got !== expected.get(nn)) throw new Error(`KERNEL MISMATCH: ${kernel.name} ${c.who} n=${nn} gave ${got} during timing, expected ${expected.get(nn)}`)
        if (r >= 0) samples.get(c.who).push(dt)
      }
    }
    codeNone.free()
    codeSpeed.free()

    const rows = runners.map((c) => {
      const nn = nOf(c)
      const s = summary(samples.get(c.who))
      return {
        who: c.who,
        label: c.label,
        n: nn,
        runs: s.n,
        medianMs: s.median / 1e6,
        p90Ms: s.p90 / 1e6,
        nsPerElement: s.median / nn,
        p90NsPerElement: s.p90 / nn,
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
      `${kernel.name} (${block.opCount} IR ops; ns per ${kernel.element}; median of ${rounds} interleaved runs; compile ${fmt(compileUs.none, 0)} µs none / ${fmt(compileUs.speed, 0)} µs speed)`,
      ['contender', 'n', 'ms/run', 'p90 ms', 'ns/elem', 'p90 ns/elem'],
      rows.map((r) => [r.label, r.n.toLocaleString('en-US'), fmt(r.medianMs, 2), fmt(r.p90Ms, 2), fmt(r.nsPerElement, 2), fmt(r.p90NsPerElement, 2)]),
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
  return { rounds, kernels: out, targets }
}

module.exports = { name: 'kernels', title: 'loop kernels: interpreter vs compiled vs Rust', run }

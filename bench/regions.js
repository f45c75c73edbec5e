'use strict'
// Regions: loop kernels written as register-machine guest programs (the synthetic guest of
// __test__/support/synthGuest: 16 registers in the state buffer, one guest instruction = a mark
// plus getState/setState around a few IR ops, a block per guest branch — what a naive emulator
// front end emits), run by the TieredCompiler at
//
//   tier 1            every block at optLevel 'none' (optimizedThreshold never reached)
//   tier 2            hot blocks optimised one by one (regions: false)
//   tier 2 + regions  hot blocks optimised with the hot blocks their exits reach (the default)
//   Rust              the same algorithm on the same registers and memory, in plain Rust
//                     (crates/vm-jit-core/src/guest_kernels.rs, release build of the addon)
//
// Kernels: lcg (a one-block loop: multiply-add chain), collatz (a loop nest over six blocks with
// a data-dependent branch), prefix (in-place prefix sum: a load and a store per iteration),
// fnv (byte loads and a multiply chain). Every configuration's final registers and memory must
// equal Rust's, checked on every timed run.
//
// Method: one TieredCompiler per configuration, warmed up by two whole runs (tier-2 compiles are
// foreground: backgroundCompilation false, so steady state is reached before timing); then
// interleaved rounds, each running every contender once in a rotating order from a fresh copy of
// the initial registers and memory; medians of ns per guest loop iteration.

const { TieredCompiler } = require('..')
// The Rust kernels are in the native binding (the napi-generated loader), not the package's API.
const { referenceKernel } = require('../index.js')
const guestLib = require('../__test__/support/synthGuest/index.cjs')
const { nowNs, summary, fmt, table } = require('./util.js')

/** Guest data lives at [0, DATA); code above it. */
const DATA = 1 << 16
const CODE_BASE = DATA

const U64 = (x) => BigInt.asUintN(64, BigInt(x))

const KERNELS = [
  {
    name: 'lcg',
    what: 'x = x·a + c; acc ^= x >> 33 (one block)',
    iterations: 20_000_000,
    quickIterations: 2_000_000,
    regs: (n) => ({ 2: n, 3: 0x1234_5678n, 5: 6364136223846793005n, 6: 1442695040888963407n, 7: 33n }),
    asm(a) {
      const loop = a.label('loop')
      a.li(1, 0)
      a.bind(loop).mul(3, 3, 5).add(3, 3, 6).shr(8, 3, 7).xor(4, 4, 8).addi(1, 1, 1).blt(1, 2, loop)
      a.halt()
    },
    check: [1, 3, 4],
  },
  {
    name: 'collatz',
    what: 'total Collatz steps of 1..n (six blocks, data-dependent branch)',
    // iterations = total inner steps, counted by the Rust run (r9)
    iterations: 100_000,
    quickIterations: 20_000,
    regs: (n) => ({ 2: n, 9: 0n }),
    asm(a) {
      const outer = a.label('outer'), inner = a.label('inner'), even = a.label('even'), next = a.label('next')
      a.li(1, 1).li(6, 1).li(7, 3)
      a.bind(outer).add(3, 1, 0)
      a.bind(inner).beq(3, 6, next)
      a.and(5, 3, 6).beq(5, 0, even)
      a.mul(3, 3, 7).addi(3, 3, 1).addi(9, 9, 1).j(inner)
      a.bind(even).shr(3, 3, 6).addi(9, 9, 1).j(inner)
      a.bind(next).addi(1, 1, 1).blt(1, 2, outer)
      a.halt()
    },
    check: [1, 9],
    countFrom: 9,
  },
  {
    name: 'prefix',
    what: 'in-place prefix sum of 8,192 words, 200 passes (load + store per iteration)',
    iterations: 200,
    quickIterations: 20,
    perPass: 8191,
    regs: (passes) => ({ 2: 8n * 8192n, 10: passes }),
    memory: 'words',
    asm(a) {
      const pass = a.label('pass'), loop = a.label('loop')
      a.bind(pass).li(1, 8).ld(3, 0, 0)
      a.bind(loop).ld(4, 1, 0).add(3, 3, 4).st(3, 1, 0).addi(1, 1, 8).blt(1, 2, loop)
      a.addi(10, 10, -1).blt(0, 10, pass)
      a.halt()
    },
    check: [1, 3, 10],
  },
  {
    name: 'fnv',
    what: 'FNV-1a over 65,536 bytes, 100 passes (byte load + multiply chain)',
    iterations: 100,
    quickIterations: 10,
    perPass: DATA,
    regs: (passes) => ({ 2: BigInt(DATA), 3: 0xcbf29ce484222325n, 5: 0x100000001b3n, 10: passes }),
    memory: 'bytes',
    asm(a) {
      const pass = a.label('pass'), loop = a.label('loop')
      a.bind(pass).li(1, 0)
      a.bind(loop).lb(4, 1, 0).xor(3, 3, 4).mul(3, 3, 5).addi(1, 1, 1).blt(1, 2, loop)
      a.addi(10, 10, -1).blt(0, 10, pass)
      a.halt()
    },
    check: [1, 3, 10],
  },
]

/** The kernel's guest program: code at CODE_BASE, data below it. */
function program(k, n) {
  const a = new guestLib.Assembler({ base: CODE_BASE })
  a.bind(a.label('main'))
  k.asm(a)
  const image = a.image(CODE_BASE + 0x1000)
  const memory = image.memory
  const rnd = guestLib.prng(7)
  if (k.memory === 'words') {
    const dv = new DataView(memory.buffer, memory.byteOffset)
    for (let i = 0; i < 8192; i++) dv.setBigUint64(8 * i, U64(Math.floor(rnd() * 2 ** 32)), true)
  } else if (k.memory === 'bytes') {
    for (let i = 0; i < DATA; i++) memory[i] = Math.floor(rnd() * 256)
  }
  const state = new Uint8Array(guestLib.STATE_BYTES)
  const sv = new DataView(state.buffer)
  for (const [r, v] of Object.entries(k.regs(BigInt(n)))) sv.setBigUint64(8 * Number(r), U64(v), true)
  return { entry: BigInt(image.labels.main), memory, state }
}

function reg(state, r) {
  return new DataView(state.buffer, state.byteOffset).getBigUint64(8 * r, true)
}

const CONFIGS = [
  { name: 'tier 1', options: { optimizedThreshold: 2 ** 31 - 1, regions: false } },
  { name: 'tier 2', options: { regions: false } },
  { name: 'tier 2 + regions', options: { regions: true } },
]

/** A contender: run() does one whole run from fresh buffers and returns them. */
function jitContender(cfg, prog) {
  const state = new Uint8Array(prog.state.length)
  const memory = new Uint8Array(prog.memory.length)
  const translate = guestLib.makeTranslator(memory)
  const jit = new TieredCompiler({ translate, backgroundCompilation: false, stateSize: state.length, ...cfg.options })
  return {
    name: cfg.name,
    jit,
    run() {
      state.set(prog.state)
      memory.set(prog.memory)
      const t0 = nowNs()
      let pc = prog.entry
      for (;;) {
        const exit = jit.run(pc, state, memory)
        if (exit.reason === 'halt') break
        if (exit.reason !== 'fuel') throw new Error(`${cfg.name}: unexpected exit ${exit.reason} at 0x${exit.pc.toString(16)}`)
        pc = exit.pc
      }
      return { ns: nowNs() - t0, state, memory }
    },
  }
}

function rustContender(k, prog) {
  const state = new Uint8Array(prog.state.length)
  const memory = new Uint8Array(prog.memory.length)
  return {
    name: 'Rust',
    run() {
      state.set(prog.state)
      memory.set(prog.memory)
      const t0 = nowNs()
      referenceKernel(`guest:${k.name}`, state, memory)
      return { ns: nowNs() - t0, state, memory }
    },
  }
}

function sameResult(k, want, got) {
  for (const r of k.check) if (reg(want.state, r) !== reg(got.state, r)) return `r${r}: want ${reg(want.state, r)}, got ${reg(got.state, r)}`
  for (let i = 0; i < DATA; i++) if (want.memory[i] !== got.memory[i]) return `memory byte ${i}: want ${want.memory[i]}, got ${got.memory[i]}`
  return undefined
}

async function run({ quick }) {
  const rounds = quick ? 3 : 11
  const results = {}
  for (const k of KERNELS) {
    const n = quick ? k.quickIterations : k.iterations
    const prog = program(k, n)
    const rust = rustContender(k, prog)
    const ref = rust.run()
    const copy = { state: ref.state.slice(), memory: ref.memory.slice() }
    const iterations = k.countFrom !== undefined ? Number(reg(ref.state, k.countFrom)) : k.perPass ? n * k.perPass : n
    const contenders = [...CONFIGS.map((c) => jitContender(c, prog)), rust]
    // warm-up: compile everything (tier 2 in the foreground), check every result
    for (const c of contenders) {
      for (let w = 0; w < 2; w++) {
        const r = c.run()
        const bad = sameResult(k, copy, r)
        if (bad) throw new Error(`regions bench: ${k.name} under ${c.name} computed something else than Rust: ${bad}`)
      }
    }
    const samples = Object.fromEntries(contenders.map((c) => [c.name, []]))
    for (let round = 0; round < rounds; round++) {
      for (let j = 0; j < contenders.length; j++) {
        const c = contenders[(round + j) % contenders.length]
        const r = c.run()
        const bad = sameResult(k, copy, r)
        if (bad) throw new Error(`regions bench: ${k.name} under ${c.name}, round ${round}: ${bad}`)
        samples[c.name].push(r.ns / iterations)
      }
    }
    const stats = Object.fromEntries(Object.entries(samples).map(([name, xs]) => [name, summary(xs)]))
    const tiers = Object.fromEntries(contenders.filter((c) => c.jit).map((c) => [c.name, { tiers: c.jit.tierCounts(), regions: c.jit.regionCount }]))
    const med = (name) => stats[name].median
    results[k.name] = {
      what: k.what,
      iterations,
      rounds,
      stats,
      tiers,
      ratios: {
        tier1OverRegions: med('tier 1') / med('tier 2 + regions'),
        tier2OverRegions: med('tier 2') / med('tier 2 + regions'),
        regionsOverRust: med('tier 2 + regions') / med('Rust'),
        tier2OverRust: med('tier 2') / med('Rust'),
      },
    }
    table(
      `${k.name}: ${k.what}; ${iterations.toLocaleString('en')} iterations per run, ${rounds} rounds`,
      ['contender', 'ns/iter median', 'p10', 'p90', 'blocks per tier [0,1,2]', 'regions'],
      contenders.map((c) => [
        c.name,
        fmt(stats[c.name].median, 3),
        fmt(stats[c.name].p10, 3),
        fmt(stats[c.name].p90, 3),
        tiers[c.name] ? JSON.stringify(tiers[c.name].tiers) : '',
        tiers[c.name] ? String(tiers[c.name].regions) : '',
      ]),
    )
    const r = results[k.name].ratios
    console.log(
      `  tier 1 / (tier 2 + regions) = ${r.tier1OverRegions.toFixed(2)}×   tier 2 / (tier 2 + regions) = ${r.tier2OverRegions.toFixed(2)}×   ` +
        `(tier 2 + regions) / Rust = ${r.regionsOverRust.toFixed(2)}×   tier 2 / Rust = ${r.tier2OverRust.toFixed(2)}×`,
    )
  }
  return results
}

module.exports = { name: 'regions', title: 'regions: register-machine guest kernels, tier 1 vs tier 2 vs tier 2 + regions vs Rust', run, KERNELS }

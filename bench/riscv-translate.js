#!/usr/bin/env node
// What translating guest code costs the RISC-V emulator's JavaScript, in the setting the CLI runs
// it (V8's optimising compiler off: see examples/riscv/cli.ts; `--opt` keeps it on to compare).
//
//   node bench/riscv-translate.js [program.elf [args…]] [--opt]
//
// 1. IRBuilder and IRWriter alone: a 68-op block (13 frame loads and state writes, as in a
//    function epilogue) built 2,000 times with each, then finish() (encoding and the native
//    verifier) — best of 5 rounds. The two write the same bytes.
// 2. The emulator's translator: the program runs once (tiered), every block it translated is
//    translated again 5 times — steady-state cost per guest instruction, with every instruction
//    already in the translator's decode cache (the first, cold pass is what a run pays;
//    bench/riscv-timeline.js shows it over time).
// Needs `npm run build:ts`. Default program: examples/riscv/programs/bin/qsort.elf 2000000.

'use strict'

const path = require('node:path')
const v8 = require('node:v8')

const argv = process.argv.slice(2)
const keepOpt = argv.includes('--opt')
if (!keepOpt) v8.setFlagsFromString('--no-opt')
const rest = argv.filter((a) => a !== '--opt')
const root = path.join(__dirname, '..')
const [program = path.join(root, 'examples/riscv/programs/bin/qsort.elf'), ...args] = rest.length ? rest : [undefined, '2000000']

const { IRBuilder, IRWriter } = require(path.join(root, 'dist', 'index.js'))
const { Machine } = require(path.join(root, 'dist', 'examples', 'riscv', 'index.js'))

function frameBlock(pc, Builder) {
  const b = new Builder({ pc: BigInt(pc) })
  const sp = b.getState('i64', 16)
  for (let k = 0; k < 13; k++) {
    b.mark(pc + 2 * k)
    const v = b.load('i64', b.add(sp, b.i64(8 * k + 40)))
    b.setState(40 + 8 * k, v)
  }
  b.exit(b.i64(pc + 100))
  return b
}

function builder(Builder) {
  let best = { build: Infinity, finish: Infinity }
  let ops = 0
  for (let round = 0; round < 5; round++) {
    let build = 0
    let finish = 0
    for (let i = 0; i < 2000; i++) {
      let t = performance.now()
      const b = frameBlock(0x10000 + 4 * i, Builder)
      build += performance.now() - t
      ops = b.opCount
      t = performance.now()
      b.finish()
      finish += performance.now() - t
    }
    best = { build: Math.min(best.build, build / 2), finish: Math.min(best.finish, finish / 2) }
  }
  console.log(`${Builder.name}: a ${ops}-op block builds in ${best.build.toFixed(1)} µs (${((best.build * 1000) / ops).toFixed(0)} ns/op), finish() ${best.finish.toFixed(1)} µs`)
}

function translator() {
  const io = { write: (_fd, b) => b.length, read: () => 0, hostFd: () => undefined }
  const m = Machine.fromFile(program, { tier: 'tiered', argv: [program, ...args], io })
  const tr = m.translator
  const original = tr.translateRegion.bind(tr)
  const seen = []
  let cold = 0
  tr.translateRegion = (pc, learn) => {
    const t = performance.now()
    const r = original(pc, learn)
    cold += performance.now() - t
    seen.push([pc, learn])
    return r
  }
  m.run()
  let insns = 0
  for (const [pc] of seen) insns += tr.region(Number(pc)).insns.length
  const times = []
  for (let rep = 0; rep < 5; rep++) {
    const t = performance.now()
    for (const [pc, learn] of seen) original(pc, learn)
    times.push(performance.now() - t)
  }
  times.sort((a, b) => a - b)
  const median = times[2]
  console.log(`translator (${path.basename(program)}): ${seen.length} translations, ${insns} guest instructions`)
  console.log(`  in the run (cold): ${cold.toFixed(1)} ms, ${((cold * 1000) / insns).toFixed(2)} µs per instruction`)
  console.log(`  again (median of 5): ${median.toFixed(1)} ms, ${((median * 1000) / insns).toFixed(2)} µs per instruction`)
}

console.log(`V8 optimising compiler ${keepOpt ? 'on (--opt)' : 'off (as the CLI runs)'}`)
builder(IRBuilder)
builder(IRWriter)
translator()

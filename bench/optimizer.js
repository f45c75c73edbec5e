'use strict'
// The optimiser on realistic translated code: how many IR ops each pass removes, alone and in the
// default (tier-2) pipeline, and what each pass costs in compile time.
//
// Workloads:
//   synthetic guest  every block reachable in the synthetic guest's generated program
//                    (__test__/support/synthGuest: loops, calls, a phase change; 16 registers in
//                    the state buffer, a mark + getState/setState per guest instruction — a naive
//                    emulator front end), found by following constant exits and call returns
//   regions          the four register-machine kernels of the regions section, each stitched into
//                    the region the TieredCompiler builds for its hot loop (Region.stitch)
//   RISC-V blocks    every block the RISC-V example (examples/riscv, built to dist/) translates
//                    while running the bundled qsort program (interpreter tier, so the same set
//                    every run): glibc start-up, qsort, printf —
//                    real compiler output, registers in the state buffer, regions with branches
//   README example   the README's sum loop (hand-written IR: little to remove)
//
// For each pass alone: ops before/after over the workload and the time in the pass (native, as
// reported by Optimizer.lastStats). For the pipeline: ops after each step and time per step. And,
// for scale, Cranelift at optLevel 'speed' on the pipeline's output (CraneliftBackend.compile,
// from the TypeScript call to a runnable handle).

const { CraneliftBackend, OPTIMIZATION_PASSES, Optimizer, Region } = require('..')
const { readmeBlock } = require('../__test__/support/readmeBlock.cjs')
const guestLib = require('../__test__/support/synthGuest/index.cjs')
const regionsBench = require('./regions.js')
const { nowNs, fmt, table } = require('./util.js')

/** Every block reachable from the entry by constant exits, plus the instruction after each call. */
function syntheticGuestBlocks() {
  const p = guestLib.buildProgram({ sections: ['loops', 'calls', 'phases'], scale: 1 })
  const memory = new Uint8Array(p.memory)
  const translate = guestLib.makeTranslator(memory)
  const view = new DataView(memory.buffer)
  const blocks = new Map()
  const queue = [p.entry]
  while (queue.length) {
    const pc = queue.pop()
    if (blocks.has(pc) || pc < BigInt(p.codeStart) || pc >= BigInt(p.codeEnd)) continue
    const { block, guestSize } = translate(pc)
    blocks.set(pc, block)
    queue.push(...block.exitTargets())
    // a call's return lands after the `jal` that ends the block (reached by a computed `ret`)
    const last = Number(pc) + guestSize - guestLib.INSN_BYTES
    if (guestLib.decode(view, last).op === guestLib.OP.jal) queue.push(BigInt(last + guestLib.INSN_BYTES))
  }
  return [...blocks.values()]
}

/** The regions the TieredCompiler forms for the kernels' hot loops: all blocks of each kernel. */
function kernelRegions() {
  const out = []
  for (const k of regionsBench.KERNELS) {
    const a = new guestLib.Assembler({ base: 0x10000 })
    a.bind(a.label('main'))
    k.asm(a)
    const image = a.image(0x11000)
    const translate = guestLib.makeTranslator(image.memory)
    const loopLabel = image.labels.loop ?? image.labels.inner
    const blocks = new Map()
    const queue = [BigInt(loopLabel)]
    while (queue.length) {
      const pc = queue.shift()
      if (blocks.has(pc) || pc < BigInt(image.codeStart) || pc >= BigInt(image.codeEnd)) continue
      const { block } = translate(pc)
      blocks.set(pc, block)
      queue.push(...block.exitTargets())
    }
    out.push(Region.stitch([...blocks.values()]).block)
  }
  return out
}

/** The RISC-V example's translations of a real program (the last one of each pc), or [] unbuilt. */
function riscvBlocks() {
  const path = require('node:path')
  const dist = path.join(__dirname, '..', 'dist', 'examples', 'riscv', 'index.js')
  let Machine
  try {
    ;({ Machine } = require(dist))
  } catch (err) {
    if (err.code !== 'MODULE_NOT_FOUND' || !String(err.message).includes(dist)) throw err
    console.log('  (RISC-V blocks skipped: dist/examples/riscv is not built — npm run build:ts)')
    return []
  }
  const elf = path.join(__dirname, '..', 'examples', 'riscv', 'programs', 'bin', 'qsort.elf')
  const io = { write: (fd, b) => b.length, read: () => 0, hostFd: () => undefined }
  // Interpreter tier: no background compiles while the passes are timed, and the same blocks
  // every run (tiered mode would translate hot blocks again with learned call targets).
  const m = Machine.fromFile(elf, { tier: 'interp', argv: [elf, '20000'], io })
  const blocks = new Map()
  const translate = m.translator.translateRegion.bind(m.translator)
  m.translator.translateRegion = (pc, learn) => {
    const t = translate(pc, learn)
    blocks.set(Number(pc), t.block)
    return t
  }
  try {
    m.run()
  } finally {
    m.dispose()
  }
  return [...blocks.values()]
}

/** Runs `optimizer` over every block `reps` times; totals from the last repetition, time = median over reps. */
function measure(optimizer, blocks, reps) {
  const times = []
  let opsBefore = 0, opsAfter = 0
  let perPass = []
  let outputs = []
  for (let r = 0; r < reps; r++) {
    let t = 0
    opsBefore = opsAfter = 0
    perPass = optimizer.passes.map((p) => ({ pass: p, opsAfter: 0, timeUs: 0 }))
    outputs = []
    for (const b of blocks) {
      outputs.push(optimizer.optimize(b))
      const s = optimizer.lastStats
      opsBefore += s.opsBefore
      opsAfter += s.opsAfter
      t += s.totalTimeUs
      s.passes.forEach((p, k) => {
        perPass[k].opsAfter += p.opsAfter
        perPass[k].timeUs += p.timeUs
      })
    }
    times.push(t)
  }
  times.sort((x, y) => x - y)
  return { opsBefore, opsAfter, timeUs: times[times.length >> 1], perPass, outputs }
}

async function run({ quick }) {
  const reps = quick ? 1 : 5
  const workloads = [
    ['synthetic guest', syntheticGuestBlocks()],
    ['regions', kernelRegions()],
    ['RISC-V blocks', riscvBlocks()],
    ['README example', [readmeBlock()]],
  ]
  const results = {}
  for (const [name, blocks] of workloads) {
    if (blocks.length === 0) continue
    const ops = blocks.reduce((s, b) => s + b.opCount, 0)
    const alone = {}
    const rows = []
    for (const pass of OPTIMIZATION_PASSES) {
      const m = measure(new Optimizer([pass]), blocks, reps)
      alone[pass] = { opsBefore: m.opsBefore, opsAfter: m.opsAfter, timeUs: m.timeUs }
      rows.push([pass, String(m.opsBefore), String(m.opsAfter), `${fmt((100 * (m.opsBefore - m.opsAfter)) / m.opsBefore, 1)} %`, fmt(m.timeUs / blocks.length, 2)])
    }
    const pipeline = Optimizer.defaultPipeline()
    const m = measure(pipeline, blocks, reps)
    rows.push(['default pipeline', String(m.opsBefore), String(m.opsAfter), `${fmt((100 * (m.opsBefore - m.opsAfter)) / m.opsBefore, 1)} %`, fmt(m.timeUs / blocks.length, 2)])
    table(`${name}: ${blocks.length} block(s), ${ops} ops — each pass alone, then the pipeline`, ['pass', 'ops before', 'ops after', 'removed', 'µs per block'], rows)
    let before = m.opsBefore
    table(
      `${name}: the default pipeline step by step`,
      ['step', 'ops after', 'removed by the step', 'µs per block'],
      m.perPass.map((p) => {
        const row = [p.pass, String(p.opsAfter), String(before - p.opsAfter), fmt(p.timeUs / blocks.length, 2)]
        before = p.opsAfter
        return row
      }),
    )
    // Cranelift on the optimised blocks, for scale
    const backend = new CraneliftBackend({ optLevel: 'speed' })
    const t0 = nowNs()
    for (const b of m.outputs) backend.compile(b).free()
    const cranelift = (nowNs() - t0) / 1e3 / blocks.length
    console.log(`  Cranelift (speed) on the pipeline's output: ${fmt(cranelift, 1)} µs per block; the pipeline: ${fmt(m.timeUs / blocks.length, 1)} µs per block`)
    results[name] = { blocks: blocks.length, ops, alone, pipeline: { opsBefore: m.opsBefore, opsAfter: m.opsAfter, timeUs: m.timeUs, steps: m.perPass }, craneliftUsPerBlock: cranelift }
  }
  // The text form shows what changed: the README example and one naive block, before and after.
  const sample = syntheticGuestBlocks().find((b) => b.opCount >= 30 && b.opCount <= 60)
  for (const b of [readmeBlock(), sample]) {
    const after = Optimizer.defaultPipeline().optimize(b)
    results[`text ${b.pc}`] = { before: b.toString(), after: after.toString() }
  }
  return results
}

module.exports = { name: 'optimizer', title: 'optimiser: ops removed and time per pass on translated code and regions', run }


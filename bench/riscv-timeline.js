'use strict'
// Where a RISC-V run's time goes, over time: blocks translated (every 50th, and the first
// translation of every block later compiled) with the translator's time so far, and tier-1/2
// compiles (when they started, how long they took, foreground or background), in ms from the
// start of the run — the start-up analysis under "RISC-V emulator" in BENCHMARKS.md.
//
//   node bench/riscv-timeline.js examples/riscv/programs/bin/nbody.elf 1000000
//
// Needs `npm run build` (dist/). The guest's output is discarded.

const path = require('node:path')
const { Machine } = require(path.join(__dirname, '..', 'dist', 'examples', 'riscv', 'index.js'))

const [prog, ...args] = process.argv.slice(2)
if (!prog) {
  console.error('usage: node bench/riscv-timeline.js program.elf [args...]')
  process.exit(2)
}
const io = { write: (fd, b) => b.length, read: () => 0, hostFd: () => undefined }
const t0 = performance.now()
const m = Machine.fromFile(prog, { tier: 'tiered', argv: [prog, ...args], io })
if (!m.engine.jit) {
  console.error('riscv-timeline: this engine has no TieredCompiler (the runtime engine is needed)')
  process.exit(2)
}
const events = []
const compiled = new Set()
m.engine.jit.enablePerformanceMonitor().on('compileEnd', (e) => {
  if (e.tier < 1) return
  compiled.add(Number(e.pc))
  const start = e.start ?? e.ts - e.durationUs / 1000
  const how = e.error ? `FAILED: ${e.error}` : `${e.durationUs.toFixed(0)} µs, ${e.background ? 'background' : 'guest stopped'}`
  events.push({ ts: start, text: `tier ${e.tier} compile of 0x${e.pc.toString(16)} starts (${how})` })
})
const translator = m.translator
const translate = translator.translateRegion.bind(translator)
const firstTranslated = new Map()
let count = 0
let spent = 0
translator.translateRegion = (pc, learn) => {
  const a = performance.now()
  const t = translate(pc, learn)
  spent += performance.now() - a
  count++
  const text = `translation #${count} (0x${Number(pc).toString(16)}); translating so far ${spent.toFixed(1)} ms`
  if (!firstTranslated.has(Number(pc))) firstTranslated.set(Number(pc), { ts: a, text })
  if (count % 50 === 0) events.push({ ts: a, text })
  return t
}
const start = performance.now()
let result
try {
  result = m.run()
} finally {
  m.dispose()
}
const end = performance.now()
for (const pc of compiled) {
  const e = firstTranslated.get(pc)
  if (e && !events.includes(e)) events.push({ ts: e.ts, text: `${e.text} — first translation of a block compiled later` })
}
for (const e of events.sort((x, y) => x.ts - y.ts)) console.log(`${(e.ts - start).toFixed(1).padStart(8)} ms  ${e.text}`)
console.log(`machine setup ${(start - t0).toFixed(1)} ms; run ${(end - start).toFixed(1)} ms, of which translating ${spent.toFixed(1)} ms (${count} translations); exit ${result.exitCode}`)

'use strict'
// Where a RISC-V run's time goes, over time: when blocks are translated (and how long the
// translator took so far) and when blocks are compiled at tier 1 and 2, in ms from the start of
// the run — the start-up analysis under "RISC-V emulator" in BENCHMARKS.md.
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
const m = Machine.fromFile(prog, { tier: 'tiered', stats: true, argv: [prog, ...args], io })
const events = []
m.engine.jit.enablePerformanceMonitor().on('compileEnd', (e) => {
  if (e.tier >= 1) events.push({ ts: e.ts, text: `tier ${e.tier} 0x${e.pc.toString(16)} (${e.durationUs.toFixed(0)} µs, ${e.background ? 'background' : 'guest stopped'})` })
})
const translator = m.translator
const translate = translator.translateRegion.bind(translator)
let count = 0
let spent = 0
translator.translateRegion = (pc, learn) => {
  const a = performance.now()
  const t = translate(pc, learn)
  spent += performance.now() - a
  if (++count % 50 === 0) events.push({ ts: a, text: `translation #${count} (0x${Number(pc).toString(16)}); translating so far ${spent.toFixed(1)} ms` })
  return t
}
const start = performance.now()
const result = m.run()
const end = performance.now()
for (const e of events.sort((x, y) => x.ts - y.ts)) console.log(`${(e.ts - start).toFixed(1).padStart(8)} ms  ${e.text}`)
console.log(`machine setup ${(start - t0).toFixed(1)} ms; run ${(end - start).toFixed(1)} ms, of which translating ${spent.toFixed(1)} ms (${count} translations); exit ${result.exitCode}`)

#!/usr/bin/env node
'use strict'
// Renders a results file (default bench/results/latest.json) as the Markdown tables used in
// BENCHMARKS.md, so the figures there are copied from a real run rather than retyped.
//
//   node bench/report.js [results.json]

const fs = require('node:fs')
const path = require('node:path')
const { fmt, fmtBytes } = require('./util.js')

const file = process.argv[2] ?? path.join(__dirname, 'results', 'latest.json')
const r = JSON.parse(fs.readFileSync(file, 'utf8'))
const out = []
const md = (head, rows) => {
  out.push(`| ${head.join(' | ')} |`)
  out.push(`|${head.map((_, k) => (k === 0 ? '---' : '---:')).join('|')}|`)
  for (const row of rows) out.push(`| ${row.join(' | ')} |`)
  out.push('')
}

const m = r.meta
out.push(`Run: ${m.date}, ${m.cpu} (${m.cores} cores), ${m.platform}, Linux ${m.kernel}, node ${m.node}, ${m.rustc}, commit ${m.commit}` +
  `${m.quick ? ', --quick' : ''}; load average ${m.loadavgAtStart.join(' ')} at start, ${m.loadavgAtEnd?.join(' ')} at end; ${m.totalSeconds} s in all.`)
out.push('')

const c = r.sections.compile
if (c && !c.error) {
  out.push(`### compile (${c.rounds} rounds × 6 contenders × ${c.batch} compiles, ${c.elapsedS.toFixed(1)} s)`)
  out.push('')
  md(
    ['block', 'IR ops', 'optLevel', 'median µs', 'p90 µs', 'p10 µs', 'min µs', 'reps', 'after a switch: median µs', 'p90 µs'],
    c.rows.map((x) => [x.block, x.ops, `\`${x.optLevel}\``, fmt(x.medianUs, 1), fmt(x.p90Us, 1), fmt(x.p10Us, 1), fmt(x.minUs, 1), x.reps, fmt(x.afterSwitch.medianUs, 1), fmt(x.afterSwitch.p90Us, 1)]),
  )
  const a = c.anatomy
  md(
    ['anatomy of the ~20-op `none` compile (back to back)', 'median µs', 'p90 µs'],
    [
      ['`backend.compile(block)` (the headline)', fmt(c.headline.medianUs, 1), fmt(c.headline.p90Us, 1)],
      ["the binding's `compileBlock` alone (no TypeScript layer)", fmt(a.nativeCompileUs.median, 1), fmt(a.nativeCompileUs.p90, 1)],
      ['`verifyBlock` alone (napi call + decode + verify)', fmt(a.verifyUs.median, 1), fmt(a.verifyUs.p90, 1)],
      ['an almost empty napi call (`codeMemoryStats`)', fmt(a.napiCallUs.median, 1), fmt(a.napiCallUs.p90, 1)],
      ['`free()` (not part of the compile figure)', fmt(a.freeUs.median, 1), fmt(a.freeUs.p90, 1)],
    ],
  )
}

const k = r.sections.kernels
if (k && !k.error) {
  out.push('### kernels (medians of interleaved samples; a sample = `runs` back-to-back runs, about one interpreter run long)')
  out.push('')
  for (const x of k.kernels) {
    out.push(`**${x.kernel}** — ${x.ops} IR ops, ns per ${x.element}, result ${x.result}, ${x.rows[0].samples} samples each; compile ${fmt(x.compileUs.none, 0)} µs (\`none\`) / ${fmt(x.compileUs.speed, 0)} µs (\`speed\`)`)
    out.push('')
    md(
      ['contender', 'n', 'runs/sample', 'median ms/sample', 'p90 ms/sample', 'median ms/run', 'median ns/elem', 'p90 ns/elem'],
      x.rows.map((y) => [y.label, y.n.toLocaleString('en-US'), y.repsPerSample, fmt(y.medianSampleMs, 2), fmt(y.p90SampleMs, 2), fmt(y.medianMsPerRun, 2), fmt(y.nsPerElement, 2), fmt(y.p90NsPerElement, 2)]),
    )
  }
  md(
    ['kernel', '`none` ÷ interp (speed-up)', '`speed` ÷ interp (speed-up)', '`speed` vs Rust (slowdown)', '`none` vs Rust (slowdown)'],
    k.kernels.map((x) => [x.kernel, `${fmt(x.ratios.noneOverInterpSpeedup, 1)}×`, `${fmt(x.ratios.speedOverInterpSpeedup, 1)}×`, `${fmt(x.ratios.speedVsRustSlowdown, 2)}×`, `${fmt(x.ratios.noneVsRustSlowdown, 2)}×`]),
  )
}

const ch = r.sections.churn
if (ch && !ch.error) {
  out.push(`### churn (${ch.cycles.toLocaleString('en-US')} cycles per variant, ~20-op block, optLevel \`none\`)`)
  out.push('')
  for (const v of ch.variants) {
    out.push(`**${v.title}** — ${v.seconds.toFixed(1)} s, ${fmt(v.usPerCycle, 1)} µs/cycle`)
    out.push('')
    md(
      ['when', 'RSS', 'JS heap used', 'liveBytes', 'liveHandles', 'cachedBytes'],
      v.samples.map((s) => [s.label, fmtBytes(s.rss), fmtBytes(s.heapUsed), fmtBytes(s.liveBytes), s.liveHandles.toLocaleString('en-US'), fmtBytes(s.cachedBytes)]),
    )
  }
  md(
    ['variant', 'RSS before', 'RSS after', 'RSS max (probed every 100 cycles)', 'growth after the first checkpoint', 'live code before → max', 'code returned'],
    ch.variants.map((v) => [v.variant, fmtBytes(v.rssBefore), fmtBytes(v.rssAfter), fmtBytes(v.rssMaxSampled), fmtBytes(v.rssGrowthAfterFirstCheckpoint), `${fmtBytes(v.liveBytesBefore)} (${v.liveHandlesBefore}) → ${fmtBytes(v.maxLiveBytes)} (${v.maxLiveHandles})`, v.codeReturned ? 'yes' : 'NO']),
  )
}

console.log(out.join('\n'))

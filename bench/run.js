#!/usr/bin/env node
'use strict'
// vm-jit-native benchmarks (speed is measured here, never in tests). Results: BENCHMARKS.md.
//
//   npm run bench                         all sections (~2–3 minutes)
//   npm run bench -- --quick              a fast smoke run (fewer repetitions, smaller churn)
//   npm run bench -- --only compile       one section (or a comma list: --only compile,kernels)
//   npm run bench -- --out file.json      write the JSON elsewhere (default bench/results/latest.json)
//
// Sections: compile (compile latency), kernels (loop kernels: interpreter vs tier 1 vs tier 2 vs
// plain Rust), churn (100,000 compile/free cycles; GC-only variant in a child process), runtime
// (the tiered runtime: block transitions, cache lookups, detection overhead, steady state, stalls).

const fs = require('node:fs')
const path = require('node:path')
const { machine, nowNs } = require('./util.js')

const SECTIONS = [require('./compile.js'), require('./kernels.js'), require('./churn.js'), require('./runtime.js'), require('./regions.js'), require('./optimizer.js')]

function usage(message) {
  if (message) console.error(`bench: ${message}`)
  console.error('usage: node bench/run.js [--quick] [--only <section>[,<section>…]] [--out <file.json>]')
  console.error(`sections: ${SECTIONS.map((s) => s.name).join(', ')}`)
  process.exit(2)
}

function parseArgs(argv) {
  const opts = { quick: false, only: undefined, out: path.join(__dirname, 'results', 'latest.json') }
  for (let k = 0; k < argv.length; k++) {
    const a = argv[k]
    if (a === '--quick') opts.quick = true
    else if (a === '--only' || a.startsWith('--only=')) {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++k]
      if (!v) usage('--only needs a section name')
      opts.only = v.split(',').map((x) => x.trim()).filter(Boolean)
    } else if (a === '--out' || a.startsWith('--out=')) {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++k]
      if (!v) usage('--out needs a file name')
      opts.out = path.resolve(v)
    } else if (a === '--help' || a === '-h') usage()
    else usage(`unknown argument ${a}`)
  }
  if (opts.only) {
    for (const name of opts.only) if (!SECTIONS.some((s) => s.name === name)) usage(`unknown section '${name}'`)
  }
  return opts
}

async function main() {
  const opts = parseArgs(process.argv.slice(2))
  const chosen = SECTIONS.filter((s) => !opts.only || opts.only.includes(s.name))
  const meta = machine()
  console.log(`vm-jit-native benchmarks${opts.quick ? ' (--quick: smoke run, numbers are rough)' : ''}`)
  console.log(`${meta.date}  ${meta.cpu}, ${meta.cores} cores  node ${meta.node}  ${meta.rustc ?? 'rustc ?'}  commit ${meta.commit ?? '?'}`)
  console.log(`load average at start: ${meta.loadavgAtStart.join(' ')}`)
  if (meta.distStale) console.log(`warning: dist/ is older than ${meta.distStale.join(', ')}; run \`npm run build:ts\` to measure the current TypeScript`)
  const results = { meta: { ...meta, quick: opts.quick, sections: chosen.map((s) => s.name) }, sections: {} }
  const t0 = nowNs()
  let failed = false
  for (const section of chosen) {
    console.log(`\n=== ${section.name}: ${section.title} ===`)
    const s0 = nowNs()
    try {
      results.sections[section.name] = await section.run(opts)
    } catch (err) {
      failed = true
      console.error(`\nbench section '${section.name}' FAILED: ${err && err.stack ? err.stack : err}`)
      results.sections[section.name] = { error: String(err && err.message ? err.message : err) }
    }
    console.log(`(${section.name}: ${((nowNs() - s0) / 1e9).toFixed(1)} s)`)
  }
  results.meta.totalSeconds = Number(((nowNs() - t0) / 1e9).toFixed(1))
  results.meta.loadavgAtEnd = require('node:os').loadavg().map((x) => Number(x.toFixed(2)))
  fs.mkdirSync(path.dirname(opts.out), { recursive: true })
  fs.writeFileSync(opts.out, JSON.stringify(results, null, 2) + '\n')
  console.log(`\ntotal ${results.meta.totalSeconds} s; load average at end: ${results.meta.loadavgAtEnd.join(' ')}`)
  console.log(`results written to ${path.relative(process.cwd(), opts.out) || opts.out}`)
  if (failed) process.exitCode = 1
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})

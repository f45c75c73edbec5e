#!/usr/bin/env node
// A/B of whole emulator runs: two or more builds of the RISC-V CLI, each program of the suite run
// by every build in turn (the order rotates each round), wall time of the whole process, with
// only PATH and HOME in the environment (as bench/riscv.js runs it). Prints per program the
// median and minimum of each build, the ratio of medians to the first build, and the geometric
// means of those ratios (medians and minimums). How the before/after figures in BENCHMARKS.md
// ("RISC-V emulator") were measured: on a shared 2-core machine a single run says little, the
// minimum of several interleaved runs is the steadiest figure.
//
//   node bench/riscv-ab.js <rounds> <all|prog,prog,...> <cli A> <cli B> [<cli C> ...]
//
// A build is a copy of the package (dist/, index.js, package.json, the .node file, a
// node_modules link) with its CLI at <copy>/dist/vm-jit-riscv.cjs. `NAME=value@<cli>` runs that
// build with an extra environment variable.

'use strict'

const path = require('node:path')
const { spawnSync } = require('node:child_process')
const { PROGRAMS } = require('./riscv-programs.js')

const [roundsArg, only, ...builds] = process.argv.slice(2)
const rounds = Number(roundsArg)
if (!(rounds >= 1) || !only || builds.length < 2) {
  console.error('usage: node bench/riscv-ab.js <rounds> <all|prog,prog,...> <cli A> <cli B> [<cli C> ...]')
  process.exit(2)
}
const bin = path.join(__dirname, '..', 'examples', 'riscv', 'programs', 'bin')
const programs = only === 'all' ? PROGRAMS : PROGRAMS.filter((p) => only.split(',').includes(p.name))
const contenders = builds.map((b) => {
  const at = b.indexOf('@')
  if (at < 0) return { cli: b, env: {} }
  const [name, value] = b.slice(0, at).split('=')
  return { cli: b.slice(at + 1), env: { [name]: value } }
})
const base = { PATH: process.env.PATH, HOME: process.env.HOME }

const times = contenders.map(() => new Map())
for (let r = 0; r < rounds; r++) {
  for (const p of programs) {
    for (let j = 0; j < contenders.length; j++) {
      const k = (j + r) % contenders.length
      const { cli, env } = contenders[k]
      const t0 = process.hrtime.bigint()
      const res = spawnSync(process.execPath, [cli, path.join(bin, `${p.name}.elf`), ...p.args], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...base, ...env } })
      const ms = Number(process.hrtime.bigint() - t0) / 1e6
      if (res.status !== 0) throw new Error(`${builds[k]} ${p.name}: exit ${res.status}\n${res.stderr}`)
      const list = times[k].get(p.name) ?? []
      list.push(ms)
      times[k].set(p.name, list)
    }
  }
}

const median = (a) => {
  const s = [...a].sort((x, y) => x - y)
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}
const logs = contenders.map(() => ({ median: 0, min: 0 }))
console.log(`program      ${builds.map((b, k) => `${String.fromCharCode(65 + k)}: median/min ms`).join('   ')}`)
for (const p of programs) {
  const row = [p.name.padEnd(11)]
  const a = times[0].get(p.name)
  for (let k = 0; k < contenders.length; k++) {
    const t = times[k].get(p.name)
    row.push(`${median(t).toFixed(0).padStart(6)}/${Math.min(...t).toFixed(0).padStart(5)}`)
    if (k > 0) {
      row.push(`(${(median(t) / median(a)).toFixed(3)})`)
      logs[k].median += Math.log(median(t) / median(a))
      logs[k].min += Math.log(Math.min(...t) / Math.min(...a))
    }
  }
  console.log(row.join(' '))
}
for (let k = 1; k < contenders.length; k++) {
  const g = (x) => Math.exp(x / programs.length).toFixed(4)
  console.log(`${String.fromCharCode(65 + k)} (${builds[k]}) / A (${builds[0]}): geometric mean of medians ${g(logs[k].median)}, of minimums ${g(logs[k].min)} (${rounds} rounds)`)
}

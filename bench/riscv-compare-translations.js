#!/usr/bin/env node
// Do two builds of the RISC-V emulator translate the same guest code to the same IR? For
// refactoring the translator for speed: every block a tiered run of build A translates is
// translated again, cold and warm, by fresh translators of both builds, and the blocks' bytes,
// guest sizes and learnable flags are compared.
//
//   node bench/riscv-compare-translations.js <rootA> <rootB> program.elf [args…]
//
// A root is a checkout (or a copy of one) with dist/ built, e.g. a copy of dist/, package.json,
// index.js and the .node file of the build before a change. Exits 1 if any translation differs.

'use strict'

const path = require('node:path')
const crypto = require('node:crypto')

const [rootA, rootB, program, ...args] = process.argv.slice(2)
if (!rootA || !rootB || !program) {
  console.error('usage: node bench/riscv-compare-translations.js <rootA> <rootB> program.elf [args…]')
  process.exit(2)
}
const io = { write: (_fd, b) => b.length, read: () => 0, hostFd: () => undefined }

function machine(root) {
  const { Machine } = require(path.resolve(root, 'dist', 'examples', 'riscv', 'index.js'))
  return Machine.fromFile(program, { tier: 'tiered', argv: [program, ...args], io })
}

// The pcs a tiered run of build A translates, in order.
const first = machine(rootA)
const pcs = []
const translate = first.translator.translateRegion.bind(first.translator)
first.translator.translateRegion = (pc, learn) => {
  pcs.push([Number(pc), learn])
  return translate(pc, learn)
}
first.run()

function fingerprints(root) {
  const m = machine(root)
  const out = []
  for (const [pc, learn] of pcs) {
    for (const l of [false, learn]) {
      const t = m.translator.translateRegion(pc, l)
      out.push(`${crypto.createHash('sha1').update(t.block.bytes).digest('hex')} ${t.guestSize} ${t.learnable}`)
    }
  }
  return out
}

const a = fingerprints(rootA)
const b = fingerprints(rootB)
let differ = 0
for (let k = 0; k < a.length; k++) {
  if (a[k] === b[k]) continue
  if (differ < 5) console.log(`differs: pc 0x${pcs[k >> 1][0].toString(16)} (${k % 2 ? 'warm' : 'cold'})`)
  differ++
}
console.log(`${path.basename(program)}: ${a.length} translations compared, ${differ} differ`)
process.exitCode = differ === 0 ? 0 : 1

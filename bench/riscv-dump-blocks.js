#!/usr/bin/env node
// Writes every block the RISC-V emulator translates while running a program (tiered), one file of
// IR bytes (`Block.bytes`) per translation, named <sequence>-<pc>.bin — input for the Rust tools
// that look at real translated code:
//
//   node bench/riscv-dump-blocks.js /tmp/blocks examples/riscv/programs/bin/qsort.elf 300000
//   cargo run --release -p vm-jit-core --example tier1_anatomy -- /tmp/blocks none
//   cargo run --release -p vm-jit-core --example disasm -- /tmp/blocks/00276-1081a.bin speed --opt
//
// Needs `npm run build:ts` (dist/). The guest's output is discarded.

'use strict'

const fs = require('node:fs')
const path = require('node:path')

const [out, program, ...args] = process.argv.slice(2)
if (!out || !program) {
  console.error('usage: node bench/riscv-dump-blocks.js <out dir> program.elf [args...]')
  process.exit(2)
}
const { Machine } = require(path.join(__dirname, '..', 'dist', 'examples', 'riscv', 'index.js'))
const io = { write: (_fd, b) => b.length, read: () => 0, hostFd: () => undefined }
const m = Machine.fromFile(program, { tier: 'tiered', argv: [program, ...args], io })
const translate = m.translator.translateRegion.bind(m.translator)
fs.mkdirSync(out, { recursive: true })
let n = 0
m.translator.translateRegion = (pc, learn) => {
  const t = translate(pc, learn)
  fs.writeFileSync(path.join(out, `${String(n++).padStart(5, '0')}-${Number(pc).toString(16)}.bin`), t.block.bytes)
  return t
}
m.run()
console.log(`${n} blocks written to ${out}`)

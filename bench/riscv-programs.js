'use strict'
// The RISC-V benchmark suite: the programs (examples/riscv/programs/bin/<name>.elf) and their
// arguments — full-size, and `quick` for smoke runs. Shared by bench/riscv.js and bench/riscv-ab.js.

// Inputs sized so that qemu-riscv64 takes roughly 0.5–2 s on the machine this was tuned on.
const PROGRAMS = [
  { name: 'hello', args: [], quick: [] },
  { name: 'sieve', args: ['4000000', '40'], quick: ['2000000', '5'] },
  { name: 'matmul', args: ['700'], quick: ['200'] },
  { name: 'crc32', args: ['100000000'], quick: ['4000000'] },
  { name: 'strings', args: ['300000'], quick: ['20000'] },
  { name: 'qsort', args: ['2000000'], quick: ['300000'] },
  { name: 'recursion', args: ['40', '11'], quick: ['30', '9'] },
  { name: 'bytecode', args: ['4000000'], quick: ['300000'] },
  { name: 'nbody', args: ['1000000'], quick: ['100000'] },
  { name: 'mandelbrot', args: ['1000'], quick: ['200'] },
  { name: 'fpmisc', args: ['20000000'], quick: ['200000'] },
]

module.exports = { PROGRAMS }

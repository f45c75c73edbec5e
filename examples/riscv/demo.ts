// `npm run demo`: real RISC-V Linux programs (static glibc executables, RV64GC) running on
// vm-jit-native through the emulator in this folder — a hello world, then a small benchmark —
// with the JIT report of the tiered runtime.
//
//   node dist/examples/riscv/demo.js [--tier interp|fast|optimized|tiered]

import { join } from 'node:path'
import { TIERS } from './engine/Engine.ts'
import type { Tier } from './engine/Engine.ts'
import { Machine } from './machine.ts'

const programs = join(__dirname, '..', '..', '..', 'examples', 'riscv', 'programs', 'bin')

function run(tier: Tier, name: string, args: string[], stats: boolean): number {
  const path = join(programs, `${name}.elf`)
  process.stdout.write(`\n$ vm-jit-riscv --tier ${tier} examples/riscv/programs/bin/${name}.elf ${args.join(' ')}\n`)
  const m = Machine.fromFile(path, { tier, argv: [`${name}.elf`, ...args], env: ['VMJIT_GREETING=hello from npm run demo'], stats })
  const t0 = performance.now()
  const r = m.run()
  const ms = performance.now() - t0
  process.stdout.write(`[exit code ${r.exitCode}, ${ms.toFixed(0)} ms]\n`)
  if (stats) process.stdout.write(`\n${m.report()}\n`)
  m.dispose()
  return r.exitCode
}

function main(): void {
  const k = process.argv.indexOf('--tier')
  const tier = (k >= 0 ? process.argv[k + 1] : 'tiered') as Tier
  if (!TIERS.includes(tier)) throw new Error(`--tier must be one of ${TIERS.join(', ')}`)
  process.stdout.write('vm-jit-native demo: a RISC-V (RV64GC) Linux user-mode emulator built on the package API\n')
  run(tier, 'hello', ['from', 'the demo'], false)
  run(tier, 'mandelbrot', ['96'], false)
  run(tier, 'nbody', ['200000'], true)
}

main()

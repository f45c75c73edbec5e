#!/usr/bin/env node
// vm-jit-riscv: run a static RISC-V (RV64GC) Linux executable under vm-jit-native.
//
//   vm-jit-riscv [--tier interp|fast|optimized|tiered] [--engine runtime|blocks] [--stats]
//                [--verbose] [--count] [--memory MiB] program [args…]
//
// The exit code is the guest's (128 + signal number when it dies of a signal).

import { setFlagsFromString } from 'node:v8'
import { TIERS } from './engine/Engine.ts'
import type { Tier } from './engine/Engine.ts'
import { ENGINE_KINDS } from './engine/createEngine.ts'
import type { EngineKind } from './engine/createEngine.ts'
import { Machine } from './machine.ts'

const USAGE = `usage: vm-jit-riscv [options] program [args...]

Runs a static RISC-V 64-bit Linux executable (riscv64-linux-gnu-gcc -static) with a JIT.

options:
  --tier T        interp | fast | optimized | tiered (default tiered)
  --engine E      runtime: the package's TieredCompiler (default); blocks: one native call
                  per block through Interpreter / CraneliftBackend / CodeHandle
  --stats         print the JIT report to stderr when the guest exits
  --count         count guest instructions retired (slower; shown by --stats)
  --verbose       report unimplemented system calls and other approximations
  --memory MiB    guest memory size (default 256)
  --perf-map      write /tmp/perf-<pid>.map at exit (symbols for \`perf record\`; tiered runtime)
  -h, --help      this help
`

interface CliOptions {
  tier: Tier
  engine: EngineKind
  stats: boolean
  verbose: boolean
  count: boolean
  perfMap: boolean
  memoryMiB: number
  program: string
  args: string[]
}

function parse(argv: string[]): CliOptions | string {
  const o: Partial<CliOptions> & { tier: Tier; engine: EngineKind } = { tier: 'tiered', engine: 'runtime', stats: false, verbose: false, count: false, perfMap: false, memoryMiB: 256 }
  let k = 0
  for (; k < argv.length; k++) {
    const a = argv[k]
    if (!a.startsWith('-')) break
    if (a === '--') {
      k++
      break
    }
    const [flag, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined]
    const value = (): string => {
      const v = inline ?? argv[++k]
      if (v === undefined) throw new Error(`${flag} needs a value`)
      return v
    }
    switch (flag) {
      case '--tier': {
        const t = value()
        if (!TIERS.includes(t as Tier)) return `unknown tier '${t}' (expected ${TIERS.join(', ')})`
        o.tier = t as Tier
        break
      }
      case '--engine': {
        const e = value()
        if (!ENGINE_KINDS.includes(e as EngineKind)) return `unknown engine '${e}' (expected ${ENGINE_KINDS.join(', ')})`
        o.engine = e as EngineKind
        break
      }
      case '--stats': o.stats = true; break
      case '--verbose': o.verbose = true; break
      case '--count': o.count = true; break
      case '--perf-map': o.perfMap = true; break
      case '--memory': {
        const m = Number(value())
        if (!Number.isInteger(m) || m < 16 || m > 4096) return `--memory takes MiB between 16 and 4096`
        o.memoryMiB = m
        break
      }
      case '-h': case '--help': return USAGE
      default: return `unknown option ${a}\n\n${USAGE}`
    }
  }
  if (k >= argv.length) return USAGE
  return { ...o, program: argv[k], args: argv.slice(k + 1) } as CliOptions
}

function main(): number {
  // No optimising JavaScript compiler: the JavaScript here (translation, system calls) runs in
  // short bursts, and on a small machine TurboFan's background compiles compete with the guest
  // and the Cranelift compiles without paying off (hello world: 0.42 s → 0.30 s). Functions
  // compiled after this point are affected, which is all of the emulator's hot code.
  if (!process.execArgv.some((a) => a.startsWith('--opt') || a.startsWith('--turbofan'))) setFlagsFromString('--no-opt')
  let opts: CliOptions | string
  try {
    opts = parse(process.argv.slice(2))
  } catch (err) {
    opts = `${(err as Error).message}\n\n${USAGE}`
  }
  if (typeof opts === 'string') {
    process.stderr.write(opts.endsWith('\n') ? opts : opts + '\n')
    return opts === USAGE ? 0 : 2
  }
  const verbose = opts.verbose ? (m: string) => process.stderr.write(`vm-jit-riscv: ${m}\n`) : undefined
  let machine: Machine
  try {
    machine = Machine.fromFile(opts.program, {
      tier: opts.tier,
      argv: [opts.program, ...opts.args],
      env: Object.entries(process.env).map(([k, v]) => `${k}=${v}`),
      memorySize: opts.memoryMiB << 20,
      verbose,
      translator: { countInstructions: opts.count },
      stats: opts.stats || opts.perfMap,
      engine: opts.engine,
    })
  } catch (err) {
    process.stderr.write(`vm-jit-riscv: ${(err as Error).message}\n`)
    return 127
  }
  const t0 = performance.now()
  const result = machine.run()
  const ms = performance.now() - t0
  if (opts.stats) {
    process.stderr.write(`${machine.report()}\n  wall time             ${ms.toFixed(1)} ms\n`)
    if (result.instructions !== undefined) {
      process.stderr.write(`  guest MIPS            ${(Number(result.instructions) / ms / 1000).toFixed(1)}\n`)
    }
  }
  if (opts.perfMap) {
    const path = machine.engine.writePerfMap?.()
    process.stderr.write(path ? `vm-jit-riscv: wrote ${path}\n` : 'vm-jit-riscv: --perf-map needs the runtime engine\n')
  }
  machine.dispose()
  return result.exitCode
}

process.exitCode = main()

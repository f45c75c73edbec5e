// The RISC-V emulator (examples/riscv) runs the bundled guest programs — real static glibc
// executables — with the same stdout and exit status as qemu-riscv64, at every tier of the
// package's runtime (TieredCompiler), and through the per-block API (BlockEngine) too.

import test from 'ava'
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { BufferIO, Machine } from '../examples/riscv/index.ts'
import type { EngineKind, Tier, TranslatorOptions } from '../examples/riscv/index.ts'

const root = fileURLToPath(new URL('..', import.meta.url))
const bin = (name: string): string => `examples/riscv/programs/bin/${name}.elf`
const TIERS: Tier[] = ['interp', 'fast', 'optimized', 'tiered']
/** Runtime engine at every tier; the per-block engine at the tiers that exercise other API paths. */
const VARIANTS: [Tier, EngineKind, TranslatorOptions][] = [
  ...TIERS.map((t): [Tier, EngineKind, TranslatorOptions] => [t, 'runtime', {}]),
  ['interp', 'blocks', {}],
  ['fast', 'blocks', {}],
  // The translator's other register strategies (see examples/riscv/translate/emitter.ts).
  ['optimized', 'runtime', { registers: 'loops' }],
  ['fast', 'runtime', { registers: 'locals' }],
]
const ENV = { VMJIT_GREETING: 'hello from the test' }

interface Program {
  name: string
  args: string[]
  stdin?: string
}

// Small inputs: the interpreter tier runs every block through the IR interpreter.
const PROGRAMS: Program[] = [
  { name: 'hello', args: ['one', 'two words'] },
  { name: 'hello', args: [] },
  { name: 'sieve', args: ['30000', '1'] },
  { name: 'matmul', args: ['24'] },
  { name: 'crc32', args: ['20000'] },
  { name: 'strings', args: ['300'] },
  { name: 'qsort', args: ['3000'] },
  { name: 'recursion', args: ['18', '4'] },
  { name: 'bytecode', args: ['5000'] },
  { name: 'nbody', args: ['300'] },
  { name: 'mandelbrot', args: ['32'] },
  { name: 'fpmisc', args: ['2000'] },
  { name: 'wc', args: ['examples/riscv/programs/Makefile', 'no-such-file'] },
  { name: 'wc', args: [], stdin: 'words on\nstdin, three lines\n\n' },
  { name: 'signals', args: ['exit', '42'] },
  { name: 'signals', args: ['abort'] },
  { name: 'signals', args: ['segv'] },
]

const SIGNAL_NUMBERS: Record<string, number> = { SIGILL: 4, SIGTRAP: 5, SIGABRT: 6, SIGSEGV: 11 }

interface Outcome {
  stdout: string
  status: number
}

const qemu = spawnSync('qemu-riscv64', ['--version'], { encoding: 'utf8' })
const haveQemu = qemu.status === 0
if (!haveQemu) {
  console.warn('riscv.spec: qemu-riscv64 is not installed, so the differential tests are skipped (apt-get install qemu-user)')
}

const references = new Map<string, Outcome>()
function reference(p: Program): Outcome {
  const key = JSON.stringify(p)
  let r = references.get(key)
  if (r === undefined) {
    const q = spawnSync('qemu-riscv64', [bin(p.name), ...p.args], { cwd: root, env: ENV, input: p.stdin ?? '', encoding: 'utf8' })
    const status = q.status ?? 128 + (SIGNAL_NUMBERS[q.signal ?? ''] ?? 0)
    r = { stdout: q.stdout, status }
    references.set(key, r)
  }
  return r
}

function emulate(p: Program, tier: Tier, engine: EngineKind, translator: TranslatorOptions): Outcome & { fatal: string[] } {
  const io = new BufferIO(p.stdin ?? '')
  const fatal: string[] = []
  const cwd = process.cwd()
  process.chdir(root)
  try {
    const m = Machine.fromFile(bin(p.name), {
      tier,
      engine,
      translator,
      argv: [bin(p.name), ...p.args],
      env: Object.entries(ENV).map(([k, v]) => `${k}=${v}`),
      io,
      memorySize: 64 << 20,
      onFatal: (msg) => fatal.push(msg),
    })
    const r = m.run()
    m.dispose()
    return { stdout: io.stdout, status: r.exitCode, fatal }
  } finally {
    process.chdir(cwd)
  }
}

for (const p of PROGRAMS) {
  for (const [tier, engine, translator] of VARIANTS) {
    const variant = `${tier}, ${engine}${translator.registers ? `, registers: ${translator.registers}` : ''}`
    const title = `${p.name} ${p.args.join(' ')}${p.stdin ? ' <stdin' : ''} [${variant}] matches qemu-riscv64`
    if (!haveQemu) {
      test.skip(title, () => {})
      continue
    }
    test(title, (t) => {
      const expected = reference(p)
      const got = emulate(p, tier, engine, translator)
      t.is(got.stdout, expected.stdout)
      t.is(got.status, expected.status)
      if (p.name === 'signals' && p.args[0] === 'segv') t.regex(got.fatal.join('\n'), /SIGSEGV: segmentation fault: access to 0x10000000000 at pc 0x[0-9a-f]+/)
    })
  }
}

test('the CLI runs a program and exits with its code; --stats prints the JIT report', (t) => {
  const r = spawnSync(process.execPath, ['--import', '@oxc-node/core/register', 'examples/riscv/cli.ts', '--stats', bin('hello'), 'a', 'b'], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, VMJIT_GREETING: 'cli' },
  })
  t.is(r.status, 3, r.stderr)
  t.regex(r.stdout, /^Hello from RISC-V! argc=3\nargv\[1\] = a\nargv\[2\] = b\ngreeting: cli\n/)
  t.regex(r.stderr, /JIT report/)
})

test('the published command (the bundled CLI, package.json bin) runs a program like the sources do', (t) => {
  const pkg = JSON.parse(readFileSync(`${root}/package.json`, 'utf8')) as { bin: Record<string, string> }
  t.is(pkg.bin['vm-jit-riscv'], 'dist/vm-jit-riscv.cjs')
  const r = spawnSync(process.execPath, [pkg.bin['vm-jit-riscv']!, '--stats', bin('hello'), 'a', 'b'], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, VMJIT_GREETING: 'bundle' },
  })
  t.is(r.status, 3, r.stderr)
  t.regex(r.stdout, /^Hello from RISC-V! argc=3\nargv\[1\] = a\nargv\[2\] = b\ngreeting: bundle\n/)
  t.regex(r.stderr, /JIT report \(tier tiered, vm-jit-native TieredCompiler\)/)
})

test('the published command starts from its code cache, and runs the same without it or with a damaged one', (t) => {
  const run = (dir: string) =>
    spawnSync(process.execPath, [`${dir}/vm-jit-riscv.cjs`, '--verbose', bin('hello'), 'x', 'y'], { cwd: root, encoding: 'utf8', env: { ...process.env, VMJIT_GREETING: 'cache' } })
  const shipped = run(`${root}/dist`)
  t.is(shipped.status, 3, shipped.stderr)
  t.regex(shipped.stderr, /vm-jit-riscv: code cache used/)
  // A copy beside dist/ (the bundle requires ../index.js), first without a cache, then with garbage.
  const dir = mkdtempSync(`${root}/.code-cache-test-`)
  try {
    for (const f of ['vm-jit-riscv.cjs', 'vm-jit-riscv.main.cjs']) copyFileSync(`${root}/dist/${f}`, `${dir}/${f}`)
    const none = run(dir)
    t.regex(none.stderr, /vm-jit-riscv: code cache none \(compiling\)/)
    writeFileSync(`${dir}/vm-jit-riscv.code-cache`, randomBytes(4096))
    const damaged = run(dir)
    t.regex(damaged.stderr, /vm-jit-riscv: code cache rejected by this V8 \(compiling\)/)
    for (const r of [none, damaged]) {
      t.is(r.status, shipped.status, r.stderr)
      t.is(r.stdout, shipped.stdout)
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('the CLI refuses a file that is not a RISC-V executable', (t) => {
  const r = spawnSync(process.execPath, ['--import', '@oxc-node/core/register', 'examples/riscv/cli.ts', 'package.json'], { cwd: root, encoding: 'utf8' })
  t.is(r.status, 127)
  t.regex(r.stderr, /not a RISC-V 64-bit Linux executable: no ELF magic/)
})

test('the bundled binaries are static RV64GC executables', (t) => {
  for (const p of new Set(PROGRAMS.map((x) => x.name))) {
    const b = readFileSync(`${root}/${bin(p)}`)
    t.is(b.readUInt16LE(18), 243, `${p}: e_machine RISC-V`)
    t.is(b.readUInt16LE(16), 2, `${p}: ET_EXEC`)
    t.is(b.readUInt32LE(48) & 1, 1, `${p}: RVC`)
  }
})

#!/usr/bin/env node
'use strict'
// RISC-V emulator benchmark (`npm run bench:riscv`): wall time of each guest program
// (examples/riscv/programs) under the emulator at every tier, under qemu-riscv64, and natively
// (the same C compiled for the host with gcc -O2), all in one run, interleaved, medians; guest MIPS
// from an instruction count. Writes its table into BENCHMARKS.md (its own section only).
//
//   npm run bench:riscv                       3 repetitions (interp: 1), ~6 minutes here
//   npm run bench:riscv -- --quick            1 repetition, smaller inputs (a smoke run)
//   npm run bench:riscv -- --reps 5           more repetitions
//   npm run bench:riscv -- --only nbody,sieve some programs
//   npm run bench:riscv -- --no-write         do not touch BENCHMARKS.md
//   npm run bench:riscv -- --modes interp,tiered  some contenders only (implies --no-write)
//   npm run bench:riscv -- --cli dist/x/cli.js  another build of the CLI (e.g. a snapshot of dist/)
//
// Wall time is the whole process: node start, loading the addon, the ELF, translation and
// compilation included — what a user of `vm-jit-riscv` waits for — like qemu's and native's.

const { spawnSync, execFileSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

const root = path.join(__dirname, '..')
const programsDir = path.join(root, 'examples', 'riscv', 'programs')
// The published command: the bundled CLI (scripts/bundle-cli.js), as `npx vm-jit-riscv` runs it.
let cli = path.join(root, 'dist', 'vm-jit-riscv.cjs')

const { PROGRAMS } = require('./riscv-programs.js')

const EMULATOR_TIERS = ['interp', 'fast', 'optimized', 'tiered']
const MODES = [...EMULATOR_TIERS, 'qemu', 'native']
const INTERP_TIMEOUT_S = 120

function parseArgs(argv) {
  const o = { reps: 3, quick: false, only: undefined, modes: undefined, write: true }
  for (let k = 0; k < argv.length; k++) {
    const a = argv[k]
    if (a === '--quick') o.quick = true
    else if (a === '--reps') o.reps = Number(argv[++k])
    else if (a === '--only') o.only = argv[++k].split(',')
    else if (a === '--no-write') o.write = false
    else if (a === '--modes') {
      o.modes = argv[++k].split(',')
      const unknown = o.modes.filter((m) => !MODES.includes(m))
      if (unknown.length > 0) throw new Error(`--modes: unknown ${unknown.join(', ')} (known: ${MODES.join(', ')})`)
      o.write = false // a partial table must not replace the full one
    }
    else if (a === '--cli') cli = path.resolve(argv[++k])
    else {
      console.error(`bench:riscv: unknown argument ${a}`)
      console.error('usage: node bench/riscv.js [--quick] [--reps N] [--only prog,...] [--modes m,...] [--no-write] [--cli path]')
      process.exit(2)
    }
  }
  if (o.quick) o.reps = 1
  if (!Number.isInteger(o.reps) || o.reps < 1) throw new Error('--reps needs a positive integer')
  return o
}

const have = (cmd) => spawnSync(cmd, ['--version'], { encoding: 'utf8' }).status === 0

function buildNative() {
  if (!have('gcc')) return undefined
  const dir = path.join(os.tmpdir(), 'vm-jit-riscv-native')
  execFileSync('make', ['-s', '-C', programsDir, 'native', `NATIVE_DIR=${dir}`], { stdio: ['ignore', 'ignore', 'inherit'] })
  return dir
}

function command(mode, p, args, nativeDir) {
  const elf = path.join(programsDir, 'bin', `${p.name}.elf`)
  if (mode === 'qemu') return ['qemu-riscv64', [elf, ...args]]
  if (mode === 'native') return [path.join(nativeDir, p.name), args]
  return [process.execPath, [cli, '--tier', mode, elf, ...args]]
}

function runOnce(mode, p, args, nativeDir) {
  const [cmd, argv] = command(mode, p, args, nativeDir)
  const t0 = process.hrtime.bigint()
  const r = spawnSync(cmd, argv, {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 64 << 20,
    timeout: mode === 'interp' ? INTERP_TIMEOUT_S * 1000 : 0,
    env: { PATH: process.env.PATH, HOME: process.env.HOME },
  })
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9
  if (r.error && r.error.code === 'ETIMEDOUT') return { seconds: Infinity, stdout: '', status: null, timedOut: true }
  return { seconds, stdout: r.stdout, status: r.status, stderr: r.stderr }
}

function countInstructions(p, args) {
  const elf = path.join(programsDir, 'bin', `${p.name}.elf`)
  const r = spawnSync(process.execPath, [cli, '--tier', 'fast', '--count', '--stats', elf, ...args], { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20 })
  const m = /guest insns retired\s+(\d+)/.exec(r.stderr)
  return m ? Number(m[1]) : undefined
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}
const geomean = (xs) => Math.exp(xs.reduce((s, x) => s + Math.log(x), 0) / xs.length)

function fmtS(x) {
  if (x === undefined || Number.isNaN(x)) return '–'
  if (x === Infinity) return `> ${INTERP_TIMEOUT_S} s`
  return x >= 10 ? `${x.toFixed(1)} s` : `${x.toFixed(3)} s`
}

function fmtMips(insns, s) {
  if (!insns || !Number.isFinite(s)) return '–'
  const mips = insns / s / 1e6
  return mips >= 100 ? mips.toFixed(0) : mips.toFixed(1)
}

function main() {
  const o = parseArgs(process.argv.slice(2))
  if (!fs.existsSync(cli)) {
    console.error(`bench:riscv: ${path.relative(root, cli)} is missing; run \`npm run build:ts\` first`)
    process.exit(1)
  }
  const programs = PROGRAMS.filter((p) => !o.only || o.only.includes(p.name))
  const haveQemu = have('qemu-riscv64')
  let nativeDir
  try {
    nativeDir = buildNative()
  } catch (err) {
    console.error(`bench:riscv: could not build the native programs (${err.message}); skipping native`)
  }
  const modes = MODES.filter((m) => (m === 'qemu' ? haveQemu : m === 'native' ? nativeDir !== undefined : true)).filter(
    (m) => !o.modes || o.modes.includes(m),
  )
  const argsOf = (p) => (o.quick ? p.quick : p.args)
  console.error(`bench:riscv: ${programs.length} programs × ${modes.join(', ')}; ${o.reps} repetition(s) (interp: 1)`)

  const loadBefore = os.loadavg()[0]
  const times = new Map() // `${name}/${mode}` → seconds[]
  const outputs = new Map() // `${name}` → reference stdout (qemu, else the first emulator run)
  const mismatches = []
  const started = Date.now()
  for (let rep = 0; rep < o.reps; rep++) {
    for (const p of programs) {
      for (const mode of modes) {
        if (mode === 'interp' && rep > 0) continue
        const r = runOnce(mode, p, argsOf(p), nativeDir)
        const key = `${p.name}/${mode}`
        if (!times.has(key)) times.set(key, [])
        times.get(key).push(r.seconds)
        if (!r.timedOut && mode !== 'native') {
          const ref = outputs.get(p.name)
          if (ref === undefined) outputs.set(p.name, r.stdout)
          else if (ref !== r.stdout) mismatches.push(`${p.name} [${mode}]: stdout differs from ${haveQemu ? 'qemu' : 'the first run'}`)
        }
        process.stderr.write(`  rep ${rep + 1} ${p.name.padEnd(10)} ${mode.padEnd(9)} ${fmtS(r.seconds)}\n`)
      }
    }
  }
  const insns = new Map()
  for (const p of programs) insns.set(p.name, countInstructions(p, argsOf(p)))

  const med = (p, m) => median(times.get(`${p.name}/${m}`) ?? [])
  const emuModes = modes.filter((m) => EMULATOR_TIERS.includes(m))
  const header = ['program', 'guest insns', ...modes.map((m) => (EMULATOR_TIERS.includes(m) ? `${m}` : m)), ...emuModes.filter((m) => m !== 'interp').map((m) => `${m} MIPS`), ...(haveQemu ? ['qemu MIPS'] : [])]
  const rows = programs.map((p) => {
    const n = insns.get(p.name)
    return [
      `${p.name} ${argsOf(p).join(' ')}`.trim(),
      n ? `${(n / 1e6).toFixed(1)} M` : '–',
      ...modes.map((m) => fmtS(med(p, m))),
      ...emuModes.filter((m) => m !== 'interp').map((m) => fmtMips(n, med(p, m))),
      ...(haveQemu ? [fmtMips(n, med(p, 'qemu'))] : []),
    ]
  })
  const finite = (m) => programs.map((p) => med(p, m)).filter((x) => Number.isFinite(x))
  const gm = (m) => (finite(m).length === programs.length ? geomean(finite(m)) : NaN)
  rows.push(['**geometric mean**', '', ...modes.map((m) => fmtS(gm(m))), ...emuModes.filter((m) => m !== 'interp').map(() => ''), ...(haveQemu ? [''] : [])])
  const table = [`| ${header.join(' | ')} |`, `|${header.map((_, k) => (k < 2 ? '---' : '---:')).join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n')

  const ratios = []
  const ratio = (a, b, among = programs) => {
    const xs = among.map((p) => med(p, b) / med(p, a)).filter((x) => Number.isFinite(x) && x > 0)
    return xs.length === among.length ? geomean(xs) : NaN
  }
  const compute = programs.filter((p) => p.name !== 'hello')
  // Only the ratios whose contenders ran (`--modes` may leave some out).
  const ran = (m) => modes.includes(m)
  if (haveQemu && ran('tiered') && ran('qemu')) {
    ratios.push(`- tiered vs qemu-riscv64: ${ratio('tiered', 'qemu').toFixed(2)}× (geometric mean of qemu time / tiered time; > 1 means the emulator is faster)`)
    if (compute.length > 0 && compute.length < programs.length) {
      ratios.push(`- tiered vs qemu-riscv64 without hello (start-up only): ${ratio('tiered', 'qemu', compute).toFixed(2)}×`)
    }
  }
  if (ran('tiered') && ran('interp')) ratios.push(`- tiered vs interpreter only: ${ratio('tiered', 'interp').toFixed(1)}× (geometric mean of interp time / tiered time)`)
  if (ran('fast') && ran('optimized') && ran('interp')) {
    ratios.push(`- fast vs interpreter only: ${ratio('fast', 'interp').toFixed(1)}×; optimized vs interpreter only: ${ratio('optimized', 'interp').toFixed(1)}×`)
  }
  if (nativeDir && ran('tiered') && ran('native')) ratios.push(`- tiered vs native: ${(1 / ratio('tiered', 'native')).toFixed(1)}× slower (geometric mean)`)
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU'
  const when = new Date().toISOString().replace('T', ' ').slice(0, 16)
  const section = [
    `Run: ${when} UTC, ${cpu} × ${os.cpus().length}, Node ${process.version}, ${o.reps} repetition(s) (interp 1), ` +
      `medians; ${((Date.now() - started) / 1000).toFixed(0)} s in all${o.quick ? ', --quick inputs' : ''}; ` +
      `load average ${loadBefore.toFixed(1)} at the start, ${os.loadavg()[0].toFixed(1)} at the end (the machine is shared).`,
    '',
    table,
    '',
    ...ratios,
    ...(mismatches.length ? ['', '**Output mismatches:**', ...mismatches.map((m) => `- ${m}`)] : []),
  ].join('\n')
  console.log(`\n${section}\n`)

  if (o.write && !o.quick && !o.only) writeSection(section)
}

const START = '<!-- riscv-bench:start (written by `npm run bench:riscv`; edit bench/riscv.js, not this) -->'
const END = '<!-- riscv-bench:end -->'

function writeSection(section) {
  const file = path.join(root, 'BENCHMARKS.md')
  const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '# Benchmarks\n'
  const block = `${START}\n${section}\n${END}`
  const a = text.indexOf(START.slice(0, 25))
  const b = text.indexOf(END)
  let out
  if (a >= 0 && b > a) out = text.slice(0, a) + block + text.slice(b + END.length)
  else out = `${text.trimEnd()}\n\n## RISC-V emulator — \`npm run bench:riscv\`\n\n${INTRO}\n\n${block}\n`
  fs.writeFileSync(file, out)
  console.error('bench:riscv: wrote the RISC-V section of BENCHMARKS.md')
}

const INTRO = `The reference embedding (examples/riscv: a RV64GC Linux user-mode emulator) running real static
glibc executables (examples/riscv/programs) at each tier, against qemu-riscv64 (TCG) and the same C
compiled natively with \`gcc -O2\`. Times are whole-process wall times (node start, addon load,
translation and compilation included); guest MIPS = guest instructions retired (counted once with
\`--count\`) / wall time. \`interp\` runs every block in the package's native interpreter, \`fast\` and
\`optimized\` compile every block at opt level none / speed on first execution, \`tiered\` is the
emulator's default (TieredCompiler with its WarmPolicy). See examples/riscv/README.md for what the
emulator does.`

main()

'use strict'
// Shared helpers for the benchmark sections: statistics, a monotonic clock, table printing and a
// description of the machine. Plain CommonJS, no dependencies.

const os = require('node:os')
const fs = require('node:fs')
const path = require('node:path')
const { execFileSync } = require('node:child_process')

/** Nanoseconds from a monotonic clock, as a Number (fine for intervals below ~100 days). */
function nowNs() {
  return Number(process.hrtime.bigint())
}

function sorted(xs) {
  return Float64Array.from(xs).sort()
}

function median(xs) {
  const s = sorted(xs)
  const n = s.length
  if (n === 0) return NaN
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2
}

/** Nearest-rank percentile (p in 0..100). */
function percentile(xs, p) {
  const s = sorted(xs)
  if (s.length === 0) return NaN
  const rank = Math.max(1, Math.ceil((p / 100) * s.length))
  return s[Math.min(rank, s.length) - 1]
}

/** median, p10, p90, min, max and count of a sample. */
function summary(xs) {
  const s = sorted(xs)
  return {
    n: s.length,
    median: median(s),
    p10: percentile(s, 10),
    p90: percentile(s, 90),
    min: s[0],
    max: s[s.length - 1],
  }
}

/** Formats a number with `digits` significant-ish decimals, compactly. */
function fmt(x, digits = 2) {
  if (x === undefined || x === null || Number.isNaN(x)) return '—'
  if (!Number.isFinite(x)) return String(x)
  const a = Math.abs(x)
  if (a >= 1000) return Math.round(x).toLocaleString('en-US')
  if (a >= 100) return x.toFixed(Math.max(0, digits - 2))
  if (a >= 10) return x.toFixed(Math.max(0, digits - 1))
  return x.toFixed(digits)
}

function fmtBytes(b) {
  if (b === undefined || b === null) return '—'
  const mib = b / (1024 * 1024)
  if (Math.abs(mib) >= 1) return `${mib.toFixed(1)} MiB`
  return `${(b / 1024).toFixed(1)} KiB`
}

/** Prints a table: `head` is an array of column titles, `rows` arrays of cells (strings). */
function table(title, head, rows) {
  const cells = [head, ...rows].map((r) => r.map((c) => String(c)))
  const widths = head.map((_, k) => Math.max(...cells.map((r) => (r[k] ?? '').length)))
  const line = (r) => r.map((c, k) => (k === 0 ? c.padEnd(widths[k]) : c.padStart(widths[k]))).join('  ')
  const out = []
  if (title) out.push(`\n${title}`)
  out.push(line(cells[0]))
  out.push(widths.map((w) => '-'.repeat(w)).join('  '))
  for (const r of cells.slice(1)) out.push(line(r))
  console.log(out.join('\n'))
}

function tryRun(cmd, args) {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
  } catch {
    return undefined
  }
}

/** What the numbers were measured on. */
function machine() {
  let cpu = os.cpus()[0]?.model
  try {
    const info = fs.readFileSync('/proc/cpuinfo', 'utf8')
    const m = /^model name\s*:\s*(.*)$/m.exec(info)
    const fam = /^cpu family\s*:\s*(\d+)$/m.exec(info)
    const mod = /^model\s*:\s*(\d+)$/m.exec(info)
    if (m) cpu = m[1].trim()
    if (fam && mod) cpu += ` (family ${fam[1]}, model ${mod[1]})`
  } catch {}
  const root = path.resolve(__dirname, '..')
  const commit = tryRun('git', ['-C', root, 'rev-parse', '--short', 'HEAD'])
  const dirty = tryRun('git', ['-C', root, 'status', '--porcelain', '--untracked-files=no'])
  let addon
  try {
    const f = fs.readdirSync(root).find((x) => /^vm-jit-native\..*\.node$/.test(x))
    if (f) addon = { file: f, mtime: fs.statSync(path.join(root, f)).mtime.toISOString() }
  } catch {}
  // dist/ is what require('..') loads; say so when src/ has changed since it was built.
  let distStale
  try {
    const built = fs.statSync(path.join(root, 'dist', 'index.js')).mtimeMs
    const newer = []
    const walk = (dir) => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name)
        if (e.isDirectory()) walk(p)
        else if (e.name.endsWith('.ts') && fs.statSync(p).mtimeMs > built) newer.push(path.relative(root, p))
      }
    }
    walk(path.join(root, 'src'))
    distStale = newer.length ? newer : false
  } catch {}
  return {
    date: new Date().toISOString(),
    cpu,
    cores: os.cpus().length,
    memTotalBytes: os.totalmem(),
    platform: `${process.platform}-${process.arch}`,
    kernel: os.release(),
    node: process.version,
    rustc: tryRun('rustc', ['--version']),
    commit: commit && (dirty ? `${commit} (+ uncommitted changes)` : commit),
    addon,
    distStale,
    loadavgAtStart: os.loadavg().map((x) => Number(x.toFixed(2))),
  }
}

module.exports = { nowNs, median, percentile, summary, fmt, fmtBytes, table, machine }

'use strict'
// Memory churn: many compile cycles of a ~20-op block at optLevel 'none', watching the process RSS
// and codeMemoryStats() — before, every 20,000 cycles, and after — to show that code memory is
// really returned and stays bounded.
//
// Each variant runs in its own child process (a clean baseline, unaffected by the other sections):
//   free        compile → handle.free(), the way a code cache evicts, in one synchronous loop
//               that never returns to the event loop;
//   free-yield  the same, yielding one event-loop turn (setImmediate) every 1,000 cycles;
//   drop        compile → drop the handle without free(), relying on garbage collection: the
//               child runs with --expose-gc and calls gc() every 1,000 cycles, then yields one
//               event-loop turn (napi finalizers run a turn after the collection that found them).
// The first two differ because Node runs napi finalizers (which release the native side of every
// handle's JS wrapper, freed or not) from the event loop: a loop that never yields keeps them.
//
// Run directly as a child: node [--expose-gc] bench/churn.js --child <variant> <cycles> <every>

const path = require('node:path')
const { spawnSync } = require('node:child_process')
const { fmt, fmtBytes, table } = require('./util.js')

const GC_EVERY = 1000
const SAMPLE_EVERY = 100 // cycles between max-RSS / max-live-code probes (cheap: one napi call)

async function child(variant, cycles, every) {
  const { CraneliftBackend, codeMemoryStats } = require('..')
  const { emulatorBlock } = require('./blocks.js')
  const block = emulatorBlock(20)
  const backend = new CraneliftBackend({ optLevel: 'none' })
  const samples = []
  let maxRss = 0
  let maxLiveBytes = 0
  let maxLiveHandles = 0
  const snap = (label, cycle) => {
    const mu = process.memoryUsage()
    const s = { label, cycle, rss: mu.rss, heapUsed: mu.heapUsed, ...codeMemoryStats() }
    maxRss = Math.max(maxRss, s.rss)
    samples.push(s)
    return s
  }
  const yieldTurn = () => new Promise((resolve) => setImmediate(resolve))
  // Compiling in plain (non-async) functions keeps the last handle out of this async function's
  // frame, which would otherwise keep it reachable across the awaits below.
  const compileFree = () => backend.compile(block).free()
  const compileDrop = () => {
    backend.compile(block)
  }

  // Warm up (allocator pools, JIT of this loop) before the baseline.
  for (let k = 0; k < 200; k++) compileFree()
  if (global.gc) {
    global.gc()
    await yieldTurn()
  }
  snap('before', 0)
  const t0 = process.hrtime.bigint()
  for (let k = 1; k <= cycles; k++) {
    if (variant === 'drop') compileDrop()
    else compileFree()
    if (k % GC_EVERY === 0) {
      if (variant === 'drop') global.gc()
      if (variant !== 'free') await yieldTurn()
    }
    if (k % SAMPLE_EVERY === 0) {
      const st = codeMemoryStats()
      maxLiveBytes = Math.max(maxLiveBytes, st.liveBytes)
      maxLiveHandles = Math.max(maxLiveHandles, st.liveHandles)
      maxRss = Math.max(maxRss, process.memoryUsage.rss())
    }
    if (k % every === 0) snap(`${k.toLocaleString('en-US')} cycles`, k)
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9
  // After: give pending finalizers an event-loop turn or two and, with --expose-gc, let the
  // collector catch up with whatever is still unreachable.
  let settleRounds = 0
  for (; settleRounds < 50; settleRounds++) {
    if (global.gc) global.gc()
    await yieldTurn()
    if (settleRounds >= 2 && codeMemoryStats().liveHandles === samples[0].liveHandles) break
  }
  snap('after (settled)', cycles)
  const maxRssKb = process.resourceUsage().maxRSS
  process.stdout.write(JSON.stringify({ variant, cycles, seconds, usPerCycle: (seconds * 1e6) / cycles, samples, maxRss, maxRssProcessLifetime: maxRssKb * 1024, maxLiveBytes, maxLiveHandles, settleRounds }) + '\n')
}

function spawnVariant(variant, cycles, every) {
  const args = [...(variant === 'drop' ? ['--expose-gc'] : []), __filename, '--child', variant, String(cycles), String(every)]
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', cwd: path.resolve(__dirname, '..'), maxBuffer: 64 << 20 })
  if (r.status !== 0) throw new Error(`churn child '${variant}' failed (status ${r.status}, signal ${r.signal}):\n${r.stderr}`)
  const line = r.stdout.trim().split('\n').pop()
  return JSON.parse(line)
}

async function run({ quick }) {
  const cycles = quick ? 10_000 : 100_000
  const every = cycles / 5
  const variants = [
    { variant: 'free', title: 'compile → free(), never yielding to the event loop' },
    { variant: 'free-yield', title: `compile → free(), yielding every ${GC_EVERY.toLocaleString('en-US')} cycles` },
    { variant: 'drop', title: `compile → drop, gc() every ${GC_EVERY.toLocaleString('en-US')} cycles (--expose-gc child)` },
  ]
  const out = []
  for (const v of variants) {
    const r = spawnVariant(v.variant, cycles, every)
    const before = r.samples[0]
    const after = r.samples[r.samples.length - 1]
    const first = r.samples[1] // after the first `every` cycles
    const rssGrowthAfterFirstCheckpoint = after.rss - first.rss
    const summary = {
      variant: v.variant,
      title: v.title,
      cycles,
      seconds: r.seconds,
      usPerCycle: r.usPerCycle,
      rssBefore: before.rss,
      rssAfter: after.rss,
      rssMaxSampled: r.maxRss,
      rssMaxProcessLifetime: r.maxRssProcessLifetime,
      rssGrowthAfterFirstCheckpoint,
      liveBytesBefore: before.liveBytes,
      liveHandlesBefore: before.liveHandles,
      maxLiveBytes: r.maxLiveBytes,
      maxLiveHandles: r.maxLiveHandles,
      liveHandlesAfter: after.liveHandles,
      liveBytesAfter: after.liveBytes,
      cachedBytesAfter: after.cachedBytes,
      codeReturned: after.liveHandles === before.liveHandles && after.liveBytes === before.liveBytes,
      samples: r.samples,
    }
    out.push(summary)
    table(
      `${v.title}: ${cycles.toLocaleString('en-US')} cycles in ${r.seconds.toFixed(1)} s (${fmt(r.usPerCycle, 1)} µs/cycle)`,
      ['when', 'RSS', 'JS heap', 'liveBytes', 'liveHandles', 'cachedBytes'],
      r.samples.map((s) => [s.label, fmtBytes(s.rss), fmtBytes(s.heapUsed), fmtBytes(s.liveBytes), s.liveHandles.toLocaleString('en-US'), fmtBytes(s.cachedBytes)]),
    )
    console.log(
      `  RSS before ${fmtBytes(summary.rssBefore)}, after ${fmtBytes(summary.rssAfter)}, max sampled ${fmtBytes(summary.rssMaxSampled)} ` +
        `(process peak ${fmtBytes(summary.rssMaxProcessLifetime)}); growth from ${first.label} to the end ${fmtBytes(rssGrowthAfterFirstCheckpoint)}; ` +
        `live code before ${fmtBytes(before.liveBytes)} in ${before.liveHandles} handle(s), max ${fmtBytes(summary.maxLiveBytes)} in ${summary.maxLiveHandles.toLocaleString('en-US')}; ` +
        `code returned: ${summary.codeReturned ? 'yes' : 'NO'}`,
    )
  }
  return { cycles, variants: out }
}

if (require.main === module && process.argv[2] === '--child') {
  const [variant, cycles, every] = process.argv.slice(3)
  if (!['free', 'free-yield', 'drop'].includes(variant)) throw new Error(`churn child: unknown variant ${variant}`)
  if (variant === 'drop' && typeof global.gc !== 'function') throw new Error('churn child drop: run with --expose-gc')
  child(variant, Number(cycles), Number(every)).catch((e) => {
    console.error(e)
    process.exit(1)
  })
}

module.exports = { name: 'churn', title: 'memory churn: compile/free and compile/drop cycles', run }

// Child-process half of gc.spec.ts (run with --expose-gc): compiles many handles, drops them,
// collects, and reports native code memory statistics at each step as one line of JSON.
'use strict'
const { CraneliftBackend, codeMemoryStats } = require('vm-jit-native')
const { readmeBlock } = require('./readmeBlock.cjs')

const N = Number(process.argv[2] || 500)
const block = readmeBlock()
const backend = new CraneliftBackend({ optLevel: 'none' })

/** Collects until `done()` holds (native finalizers may run a turn after the GC that found them). */
async function settle(done) {
  for (let k = 0; k < 200; k++) {
    global.gc()
    await new Promise((resolve) => setImmediate(resolve))
    if (done()) return true
  }
  return false
}

async function main() {
  const base = codeMemoryStats()
  let handles = []
  for (let k = 0; k < N; k++) handles.push(backend.compile(block))
  const held = codeMemoryStats()
  handles = null
  const collected = await settle(() => codeMemoryStats().liveHandles === base.liveHandles)
  const afterGc = codeMemoryStats()

  const one = backend.compile(block)
  const withOne = codeMemoryStats()
  one.free()
  const afterFree = codeMemoryStats()

  // compile/free churn: nothing accumulates
  for (let k = 0; k < 3 * N; k++) backend.compile(block).free()
  const afterChurn = codeMemoryStats()

  // compile/drop churn without free(): the collector keeps up
  let peakHandles = 0
  let peakLiveBytes = held.liveBytes
  for (let k = 0; k < 3 * N; k++) {
    backend.compile(block)
    const s = codeMemoryStats()
    peakHandles = Math.max(peakHandles, s.liveHandles)
    peakLiveBytes = Math.max(peakLiveBytes, s.liveBytes)
  }
  const dropCollected = await settle(() => codeMemoryStats().liveHandles === base.liveHandles)
  const afterDropChurn = codeMemoryStats()

  console.log(JSON.stringify({ n: N, base, held, collected, afterGc, withOne, afterFree, afterChurn, peakHandles, peakLiveBytes, dropCollected, afterDropChurn }))
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})

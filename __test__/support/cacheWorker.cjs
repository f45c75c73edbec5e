// Worker-thread half of cache.spec.ts. Attaches to the main thread's ShardedCodeCache and either
// hammers lookups (mode 'reader': counts torn entries — every entry the test writes has
// size = codeId * 7 and tier = codeId % 3, so a mix of two writes shows) or writes its own pcs
// (mode 'writer': inserts and invalidates concurrently with the main thread), until the main thread
// raises the stop flag. Then it checks the final state the main thread sends and reports.
'use strict'
const { parentPort, workerData } = require('node:worker_threads')
const { ShardedCodeCache } = require('vm-jit-native')

const { buffer, control, pcs, mode, seed } = workerData
const stop = new Int32Array(control)
const cache = ShardedCodeCache.attach(buffer)
const out = { codeId: 0, tier: 0, size: 0 }
let reads = 0
let hits = 0
let torn = 0
let writes = 0
let x = seed >>> 0
const rand = () => {
  x ^= x << 13
  x ^= x >>> 17
  x ^= x << 5
  return (x >>> 0) / 2 ** 32
}

parentPort.postMessage({ ready: true })
while (Atomics.load(stop, 0) === 0) {
  if (mode === 'reader') {
    for (let k = 0; k < pcs.length; k++) {
      const pc = pcs[k]
      // both read paths: the allocating one and the fill-in one
      const e = k & 1 ? cache.get(pc) : cache.getInto(pc, out) ? out : undefined
      reads++
      if (e !== undefined) {
        hits++
        if (e.size !== e.codeId * 7 || e.tier !== e.codeId % 3) torn++
      }
    }
  } else {
    const pc = pcs[Math.floor(rand() * pcs.length)]
    if (rand() < 0.7) {
      const codeId = 1 + Math.floor(rand() * 1_000_000)
      cache.insert(pc, { codeId, tier: codeId % 3, size: codeId * 7 })
    } else {
      cache.invalidate(pc)
    }
    writes++
  }
}

parentPort.once('message', (expected) => {
  // expected: [pc, codeId | 0][] for every pc this worker knows
  let finalMismatches = 0
  for (const [pc, codeId] of expected) {
    const e = cache.get(pc)
    if ((e?.codeId ?? 0) !== codeId) finalMismatches++
    if (e && e.size !== e.codeId * 7) torn++
  }
  parentPort.postMessage({ reads, hits, torn, writes, finalMismatches, stats: cache.statistics() })
})
parentPort.postMessage({ stopped: true })

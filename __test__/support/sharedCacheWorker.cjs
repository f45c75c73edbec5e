// Runs the countdown guest under a TieredCompiler attached to another thread's code cache and
// reports what it compiled, what it adopted, and the result.
const { parentPort, workerData } = require('node:worker_threads')
const { TieredCompiler } = require('../..')
const { translate } = require('./countdownGuest.cjs')

const jit = new TieredCompiler({ translate, sharedCache: workerData.cache, optimizedThreshold: 1e9 })
const monitor = jit.enablePerformanceMonitor()
const state = new BigUint64Array(4)
state[1] = BigInt(workerData.n)
const exit = jit.run(0x100n, state, new Uint8Array(16), { fuel: Infinity })
const report = monitor.generateReport()
parentPort.postMessage({
  reason: exit.reason,
  sum: state[2].toString(),
  adopted: jit.adoptedCount,
  compilations: report.totalCompilations,
})

// Worker threads sharing one code cache: a runtime in another thread finds code compiled here
// through the shared index (lock-free reads) and runs it without compiling.

import test from 'ava'
import { Worker } from 'node:worker_threads'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { TieredCompiler } from 'vm-jit-native'

const require = createRequire(import.meta.url)
const { translate } = require('./support/countdownGuest.cjs') as { translate: (pc: bigint) => never }

function runWorker(cache: SharedArrayBuffer, n: number): Promise<{ reason: string; sum: string; adopted: number; compilations: number }> {
  const file = fileURLToPath(new URL('./support/sharedCacheWorker.cjs', import.meta.url))
  return new Promise((resolve, reject) => {
    const w = new Worker(file, { workerData: { cache, n } })
    w.once('message', resolve)
    w.once('error', reject)
  })
}

test('a worker attached to the cache adopts code compiled by another thread instead of compiling', async (t) => {
  const jit = new TieredCompiler({ translate, optimizedThreshold: 1e9 })
  const state = new BigUint64Array(4)
  state[1] = 1000n
  t.is(jit.run(0x100n, state, new Uint8Array(16), { fuel: Infinity }).reason, 'halt')
  t.is(state[2], 499500n)
  t.is(jit.cache.size, 2)

  const r = await runWorker(jit.cache.sharedBuffer, 100_000)
  t.is(r.reason, 'halt')
  t.is(r.sum, ((100_000 * 99_999) / 2).toString())
  // The entry block is adopted on its first miss; its exit to 0x200 is already chained (in the
  // first thread's domain) to the halt block, so that one may be reached without a miss at all.
  t.true(r.adopted >= 1, `adopted ${r.adopted}`)
  t.is(r.compilations, 0, 'the worker compiled nothing')

  // The code still runs here too, after the worker (and its runtime) is gone.
  state[1] = 10n
  state[2] = 0n
  t.is(jit.run(0x100n, state, new Uint8Array(16), { fuel: Infinity }).reason, 'halt')
  t.is(state[2], 45n)
})

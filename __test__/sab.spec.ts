// State and memory over SharedArrayBuffer: napi-rs has no SharedArrayBuffer type, so typed arrays
// over one must go through the typed-array path and still be read and written in place — on the
// main thread and from worker threads (each with its own copy of the addon's per-thread state).

import test from 'ava'
import { Worker } from 'node:worker_threads'
import { fileURLToPath } from 'node:url'
import { CraneliftBackend, IRBuilder, Interpreter } from 'vm-jit-native'
import { OPT_LEVELS } from './support/engines.ts'
import { readmeBlock } from './support/readmeBlock.cjs'

function sharedInputs(n: bigint) {
  const stateSab = new SharedArrayBuffer(256)
  const memorySab = new SharedArrayBuffer(8 * 1024)
  new BigUint64Array(stateSab)[11] = n
  new BigUint64Array(memorySab).forEach((_, k, a) => (a[k] = BigInt(k)))
  return { stateSab, memorySab }
}

test('typed arrays, DataViews and the SharedArrayBuffer itself work on the main thread', (t) => {
  const block = readmeBlock()
  const views = [
    (sab: SharedArrayBuffer) => new BigUint64Array(sab),
    (sab: SharedArrayBuffer) => new Uint8Array(sab),
    (sab: SharedArrayBuffer) => new DataView(sab),
    (sab: SharedArrayBuffer) => sab,
  ]
  for (const view of views) {
    for (const engine of ['interpreter', ...OPT_LEVELS] as const) {
      const { stateSab, memorySab } = sharedInputs(1024n)
      const exit =
        engine === 'interpreter'
          ? new Interpreter().run(block, view(stateSab), view(memorySab))
          : new CraneliftBackend({ optLevel: engine }).compile(block).run(view(stateSab), view(memorySab))
      t.is(exit.reason, 'exit')
      t.is(new BigUint64Array(stateSab)[10], 523776n, engine)
    }
  }
})

test('stores into shared memory are visible through other views', (t) => {
  const b = new IRBuilder()
  b.store(b.i64(8n), b.getState('i64', 0))
  b.exit(0n)
  const block = b.finish()
  const memorySab = new SharedArrayBuffer(16)
  const state = new BigUint64Array(new SharedArrayBuffer(8))
  state[0] = 0xdeadbeefn
  new CraneliftBackend().compile(block).run(state, new Uint8Array(memorySab))
  t.is(Atomics.load(new BigUint64Array(memorySab), 1), 0xdeadbeefn)
})

for (const engine of ['interpreter', 'none', 'speed'] as const) {
  test(`a worker thread runs the block (${engine}) on shared state and memory`, async (t) => {
    const { stateSab, memorySab } = sharedInputs(512n)
    const worker = new Worker(fileURLToPath(new URL('./support/sabWorker.cjs', import.meta.url)), {
      workerData: { stateSab, memorySab, engine },
    })
    const exit = await new Promise<{ reason: string; pc: bigint; fuelLeft: bigint }>((resolve, reject) => {
      worker.once('message', resolve)
      worker.once('error', reject)
      worker.once('exit', (code) => code !== 0 && reject(new Error(`worker exited with ${code}`)))
    })
    await worker.terminate()
    t.deepEqual(exit, { reason: 'exit', pc: 0x1010n, fuelLeft: 1_000_000_000n - 512n })
    t.is(new BigUint64Array(stateSab)[10], 130816n) // sum of 0..511, written by the worker
  })
}

test('several workers run at once on their own shared buffers', async (t) => {
  const jobs = [100n, 200n, 300n, 400n].map(async (n) => {
    const { stateSab, memorySab } = sharedInputs(n)
    const worker = new Worker(fileURLToPath(new URL('./support/sabWorker.cjs', import.meta.url)), {
      workerData: { stateSab, memorySab, engine: 'speed' },
    })
    await new Promise((resolve, reject) => {
      worker.once('message', resolve)
      worker.once('error', reject)
    })
    await worker.terminate()
    return new BigUint64Array(stateSab)[10]
  })
  t.deepEqual(await Promise.all(jobs), [4950n, 19900n, 44850n, 79800n])
})

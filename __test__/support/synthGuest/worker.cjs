// Worker-thread half of tiered.spec.ts.
//   mode 'interrupt': wait `delayMs`, then TieredCompiler.interruptVia(buffer) — stopping a guest
//                     that the main thread runs in an endless loop.
//   mode 'domain':    a TieredCompiler of this thread runs two chained blocks, 0x100 → 0x200, whose
//                     0x200 writes `value` to r0; two workers (values 1 and 2) take turns through
//                     `sync` so that the second compiles its 0x200 while the first's 0x100 is
//                     linked to its own 0x200, then the first runs again and reports r0.
'use strict'
const { parentPort, workerData } = require('node:worker_threads')
const { TieredCompiler, IRBuilder } = require('vm-jit-native')

const { mode } = workerData
if (mode === 'interrupt') {
  parentPort.postMessage({ ready: true })
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, workerData.delayMs)
  TieredCompiler.interruptVia(workerData.buffer)
  parentPort.postMessage({ interrupted: true })
} else if (mode === 'domain') {
  const { first, value, sync } = workerData
  const flags = new Int32Array(sync)
  const blocks = new Map()
  {
    const b = new IRBuilder({ pc: 0x100n })
    b.mark(0x100n)
    b.setState(8, b.i64(7n))
    b.exit(0x200n)
    blocks.set(0x100n, b.finish())
  }
  {
    const b = new IRBuilder({ pc: 0x200n })
    b.mark(0x200n)
    b.setState(0, b.i64(BigInt(value)))
    b.halt(0x200n)
    blocks.set(0x200n, b.finish())
  }
  const jit = new TieredCompiler({ fastPathThreshold: 1, translate: (pc) => blocks.get(pc) })
  const state = new BigUint64Array(2)
  const memory = new Uint8Array(8)
  if (first) {
    jit.run(0x100n, state, memory) // compiles 0x100 and 0x200; 0x100's exit gets linked to 0x200
    Atomics.store(flags, 0, 1)
    Atomics.notify(flags, 0)
    Atomics.wait(flags, 1, 0) // until the other worker has compiled its own 0x200
    state.fill(0n)
    const e = jit.run(0x100n, state, memory)
    parentPort.postMessage({ r0: Number(state[0]), reason: e.reason })
  } else {
    Atomics.wait(flags, 0, 0)
    jit.run(0x200n, state, memory)
    Atomics.store(flags, 1, 1)
    Atomics.notify(flags, 1)
    parentPort.postMessage({ r0: Number(state[0]) })
  }
}

// Worker-thread half of sab.spec.ts: compiles and runs the README block in this thread, on state
// and memory the main thread shares through SharedArrayBuffers, and reports the exit.
'use strict'
const { parentPort, workerData } = require('node:worker_threads')
const { CraneliftBackend, Interpreter } = require('vm-jit-native')
const { readmeBlock } = require('./readmeBlock.cjs')

const { stateSab, memorySab, engine } = workerData
const state = new BigUint64Array(stateSab)
const memory = new BigUint64Array(memorySab)
const block = readmeBlock()
let exit
if (engine === 'interpreter') {
  exit = new Interpreter().run(block, state, memory)
} else {
  const code = new CraneliftBackend({ optLevel: engine }).compile(block)
  exit = code.run(state, memory)
  code.free()
}
parentPort.postMessage({ reason: exit.reason, pc: exit.pc, fuelLeft: exit.fuelLeft })

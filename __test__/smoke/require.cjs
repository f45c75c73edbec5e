// CommonJS consumer: require('vm-jit-native') through the package's exports map.
'use strict'
const jit = require('vm-jit-native')
const { IRBuilder, CraneliftBackend, Interpreter, Block } = jit
const b = new IRBuilder({ pc: 0x10n })
b.setState(0, b.add(b.getState('i32', 0), b.i32(1)))
b.exit(0x14n)
const block = b.finish()
const state = new Uint32Array([41])
const a = new CraneliftBackend().compile(block).run(state, new Uint8Array(0))
const c = new Interpreter().run(Block.fromBytes(block.bytes), state, new Uint8Array(0))
console.log(`cjs ${a.reason} ${c.pc.toString(16)} ${state[0]} ${typeof require('vm-jit-native/package.json').version}`)

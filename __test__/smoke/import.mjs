// ES module consumer: named imports from the CommonJS build, through the exports map.
import { IRBuilder, CraneliftBackend, Interpreter, Block } from 'vm-jit-native'
import jit from 'vm-jit-native'

const b = new IRBuilder({ pc: 0x10n })
b.setState(0, b.add(b.getState('i32', 0), b.i32(1)))
b.exit(0x14n)
const block = b.finish()
const state = new Uint32Array([41])
const a = new CraneliftBackend().compile(block).run(state, new Uint8Array(0))
const c = new Interpreter().run(Block.fromBytes(block.bytes), state, new Uint8Array(0))
console.log(`esm ${a.reason} ${c.pc.toString(16)} ${state[0]} ${jit.IRBuilder === IRBuilder}`)

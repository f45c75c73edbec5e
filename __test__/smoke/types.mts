// Type-checked (not run) as an ES module TypeScript consumer would write it.
import { IRBuilder, CraneliftBackend, Interpreter } from 'vm-jit-native'
import type { Block, RunExit, Value, OptLevel } from 'vm-jit-native'
const b = new IRBuilder({ pc: 0x10n })
const v: Value = b.add(b.getState('i32', 0), b.i32(1))
b.setState(0, v)
b.exit(0x14n)
const block: Block = b.finish()
const level: OptLevel = 'speedAndSize'
const a: RunExit = new CraneliftBackend({ optLevel: level }).compile(block).run(new Uint32Array(1), new Uint8Array(0))
const c: RunExit = new Interpreter().run(block, new Uint32Array(1), new Uint8Array(0), { fuel: Infinity })
const pc: bigint = a.pc + c.pc
// @ts-expect-error: wrong operand types are also caught at compile time where the signature can say so
b.add(1n, v)
export { pc }

// Type-checked (not run) as a CommonJS TypeScript consumer would write it.
import jit = require('vm-jit-native')
const b: jit.IRBuilder = new jit.IRBuilder({ pc: 0x10n })
const v: jit.Value = b.add(b.getState('i32', 0), b.i32(1))
b.setState(0, v)
b.exit(0x14n)
const block: jit.Block = b.finish()
const exit: jit.RunExit = new jit.CraneliftBackend({ optLevel: 'none' }).compile(block).run(new Uint32Array(1), new Uint8Array(0), { fuel: 10n })
const reason: 'exit' | 'halt' | 'trap' | 'fault' | 'fuel' | 'interrupt' = exit.reason
export { reason }

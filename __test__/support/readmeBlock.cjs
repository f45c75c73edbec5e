// The README example's block (sum n 64-bit words of memory into x10; n in x11), as plain
// CommonJS so worker threads and child processes can build it without a TypeScript loader.
'use strict'
const { IRBuilder } = require('vm-jit-native')

function readmeBlock() {
  const b = new IRBuilder({ pc: 0x1000n })
  const n = b.getState('i64', 88)
  const i = b.local('i64', 0n), acc = b.local('i64', 0n)
  const loop = b.label(), body = b.label(), done = b.label()
  b.jump(loop)
  b.bind(loop)
  b.branchIf(b.icmp('ult', b.get(i), n), body, done)
  b.bind(body)
  b.set(acc, b.add(b.get(acc), b.load('i64', b.shl(b.get(i), b.i64(3n)))))
  b.set(i, b.add(b.get(i), b.i64(1n)))
  b.jump(loop)
  b.bind(done)
  b.setState(80, b.get(acc))
  b.exit(b.i64(0x1010n))
  return b.finish()
}

module.exports = { readmeBlock }

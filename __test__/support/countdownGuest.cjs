// A two-block guest for runtime tests: 0x100 counts x1 down to 0 adding it into x2, then exits
// to 0x200, which halts. State: x1 at offset 8, x2 at offset 16.
const { IRBuilder } = require('../..')

function translate(pc) {
  const b = new IRBuilder({ pc })
  if (pc === 0x100n) {
    const x1 = b.sub(b.getState('i64', 8), b.i64(1n))
    b.setState(8, x1)
    b.setState(16, b.add(b.getState('i64', 16), x1))
    const again = b.label(), done = b.label()
    b.branchIf(b.icmp('ne', x1, b.i64(0n)), again, done)
    b.bind(again)
    b.exit(b.i64(0x100n))
    b.bind(done)
    b.exit(b.i64(0x200n))
  } else if (pc === 0x200n) {
    b.halt(b.i64(pc))
  } else {
    throw new Error(`no guest code at 0x${pc.toString(16)}`)
  }
  return b.finish()
}

module.exports = { translate }

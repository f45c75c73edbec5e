// Interpreter: tier 0, the native interpreter over verified IR. It is the executable
// specification (docs/IR.md): compiled code at every tier must agree with it bit for bit, which is
// what the differential test checks. No compile cost, so it is also how cold blocks run.

import { describe } from '../ir/constants.js'
import { Block } from '../ir/Block.js'
import { native } from '../native.js'
import { byteView, checkDisjoint } from '../run/buffers.js'
import type { GuestBuffer } from '../run/buffers.js'
import { toRunExit } from '../run/exit.js'
import type { RunExit } from '../run/exit.js'
import { normalizeFuel } from '../run/fuel.js'
import { runOptions } from '../run/options.js'
import type { RunOptions } from '../run/options.js'

export class Interpreter {
  /** Interprets `block` against `state` and `memory` in place; same contract as CodeHandle.run. */
  run(block: Block, state: GuestBuffer, memory: GuestBuffer, options: RunOptions = {}): RunExit {
    const where = 'Interpreter.run'
    if (!(block instanceof Block)) {
      throw new TypeError(`${where}: expected a Block (from IRBuilder.finish() or Block.fromBytes()), got ${describe(block)}`)
    }
    const { fuel } = runOptions(options, where)
    const s = byteView(state, 'state', where)
    const m = byteView(memory, 'memory', where)
    checkDisjoint(s, m, where)
    return toRunExit(native().interpretBlock(block.bytes, s, m, normalizeFuel(fuel, where)))
  }
}

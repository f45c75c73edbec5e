// LoopSampler: finds hot loops the tiered policy cannot see. The policy counts block entries, but
// a loop that runs inside one block enters it once. The engine runs the runtime in fuel slices,
// and a fuel exit stops the guest at a loop back edge — a sample of where the time goes. A block
// whose code is caught by two samples is hot: compile it optimised (in the background, installed
// at the next decision point). This costs nothing per loop iteration.

import type { Block } from 'vm-jit-native'

interface Translated {
  pc: number
  end: number
  block: Block
  samples: number
  requested: boolean
}

/** Samples at a block before it is compiled optimised. */
const SAMPLES_TO_PROMOTE = 2

export class LoopSampler {
  /** Translated blocks, by entry pc (the latest translation of each). */
  readonly #blocks = new Map<number, Translated>()
  promotions = 0

  /** Records a block the engine translated. */
  add(pc: number, guestSize: number, block: Block): void {
    this.#blocks.set(pc, { pc, end: pc + guestSize, block, samples: 0, requested: false })
  }

  /**
   * The guest was stopped at `pc` (a back edge): returns the blocks covering it that are now hot
   * enough to optimise (each once).
   */
  sample(pc: number): Block[] {
    const out: Block[] = []
    for (const t of this.#blocks.values()) {
      if (pc < t.pc || pc >= t.end || t.requested) continue
      if (++t.samples >= SAMPLES_TO_PROMOTE) {
        t.requested = true
        out.push(t.block)
      }
    }
    this.promotions += out.length
    return out
  }
}

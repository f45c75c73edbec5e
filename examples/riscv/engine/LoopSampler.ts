// LoopSampler: finds hot loops the tiered policy cannot see. The policy counts block entries, but
// a loop that runs inside one block enters it once. The engine runs the runtime in fuel slices,
// and a fuel exit stops the guest at a loop back edge — a sample of where the time goes. The
// engine moves a sampled block up a tier per sample (RuntimeEngine.run). This costs nothing per
// loop iteration.

import type { Block } from 'vm-jit-native'

export interface Sampled {
  block: Block
  /** Samples that fell into this block so far, this one included. */
  samples: number
}

interface Translated {
  pc: number
  end: number
  block: Block
  samples: number
}

export class LoopSampler {
  /** Translated blocks, by entry pc (the latest translation of each). */
  readonly #blocks = new Map<number, Translated>()
  /** Blocks a sample fell into (for the report). */
  sampled = 0

  /** Records a block the engine translated. */
  add(pc: number, guestSize: number, block: Block): void {
    this.#blocks.set(pc, { pc, end: pc + guestSize, block, samples: 0 })
  }

  /** The guest was stopped at `pc` (a back edge): the blocks covering it, with their sample counts. */
  sample(pc: number): Sampled[] {
    const out: Sampled[] = []
    for (const t of this.#blocks.values()) {
      if (pc < t.pc || pc >= t.end) continue
      if (++t.samples === 1) this.sampled++
      out.push({ block: t.block, samples: t.samples })
    }
    return out
  }
}

// A synthetic-guest Program from hand-written assembly, for specs that need a few guest blocks of
// their own (tiered.spec.ts, regions.spec.ts): code at 0x1000, 64 KiB of memory, stack at the top.

import { Assembler, SP, STATE_BYTES } from './synthGuest/index.cjs'
import type { Program } from './synthGuest/index.cjs'

export const SMALL_MEMORY = 1 << 16

/** `build` assembles after the 'main' label, which is the entry. */
export function smallProgram(name: string, build: (a: Assembler) => void): Program {
  const a = new Assembler({ base: 0x1000 })
  a.bind(a.label('main'))
  build(a)
  const image = a.image(SMALL_MEMORY)
  return {
    name,
    sections: [],
    scale: 1,
    seed: 0,
    memory: image.memory,
    labels: image.labels,
    entry: BigInt(image.labels.main!),
    codeStart: image.codeStart,
    codeEnd: image.codeEnd,
    instructions: (image.codeEnd - image.codeStart) / 8,
    initialState() {
      const s = new Uint8Array(STATE_BYTES)
      new DataView(s.buffer).setBigUint64(8 * SP, BigInt(SMALL_MEMORY), true)
      return s
    },
  }
}

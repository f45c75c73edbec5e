// Picks the engine for a tier:
//   runtime  the package's TieredCompiler (native dispatch loop, chaining, tier policies) — default
//   blocks   BlockEngine: the emulator's own loop over Interpreter.run / CraneliftBackend.compile /
//            CodeHandle.run, one native call per block (the per-block API, and a fallback)

import { TieredCompiler } from 'vm-jit-native'
import { BlockEngine } from './BlockEngine.ts'
import type { Engine, Tier, Translation } from './Engine.ts'
import { RuntimeEngine } from './RuntimeEngine.ts'

export type EngineKind = 'runtime' | 'blocks'
export const ENGINE_KINDS: readonly EngineKind[] = ['runtime', 'blocks']

export interface EngineSetup {
  /** `warm`: the block runs often (see RuntimeEngine's WarmPolicy); cold blocks may be cheaper. */
  translate: (pc: bigint, warm: boolean) => Translation
  /** The static target of a backward jump or branch at `pc` (see RuntimeEngine). */
  backEdgeTarget?: (pc: number) => number | undefined
  state: Uint8Array
  memory: Uint8Array
  stateSize: number
  /** Collect what --stats reports (the tiered runtime's monitor costs a little). */
  stats?: boolean
  describe?: () => string[]
}

export function createEngine(tier: Tier, setup: EngineSetup, kind: EngineKind = 'runtime'): Engine {
  if (kind === 'runtime' && typeof TieredCompiler === 'function') {
    return new RuntimeEngine({ tier, ...setup, monitor: setup.stats })
  }
  return new BlockEngine({ tier, ...setup, translate: (pc) => setup.translate(pc, true).block })
}

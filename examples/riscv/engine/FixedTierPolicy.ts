// FixedTierPolicy: the compile policy of the fixed tiers (--tier interp|fast|optimized): every
// block at one tier from its first execution, never moved.

import type { BlockProfile, CompilePolicy } from 'vm-jit-native'

export class FixedTierPolicy implements CompilePolicy {
  constructor(readonly tier: 0 | 1 | 2) {}

  firstTier(_profile: BlockProfile): 0 | 1 | 2 {
    return this.tier
  }

  promotions(): Array<{ pc: bigint; tier: 0 | 1 | 2 }> {
    return []
  }
}

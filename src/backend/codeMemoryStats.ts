// How much native executable memory compiled code holds right now. Exposed so embedders (and the
// GC test) can see that freed or collected handles really return their memory.

import { native } from '../native.js'

export interface CodeMemoryStats {
  /** Bytes of machine code owned by live handles. */
  liveBytes: number
  /** Handles whose code has not been freed yet. */
  liveHandles: number
  /** Bytes of freed executable pages the allocator keeps for reuse (0 if it keeps none). */
  cachedBytes: number
}

export function codeMemoryStats(): CodeMemoryStats {
  const { liveBytes, liveHandles, cachedBytes = 0 } = native().codeMemoryStats()
  return { liveBytes, liveHandles, cachedBytes }
}

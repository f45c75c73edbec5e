// Engine: what the emulator needs from a JIT — run guest code from a pc until something the host
// must handle (a trap, a fault, a halt, fuel). Block-to-block `exit`s never reach the emulator.
// The emulator is written against this interface only, so the execution strategy (interpret,
// compile everything, or tier up) is one constructor argument.

import type { Block, RunExit } from 'vm-jit-native'

export type Tier = 'interp' | 'fast' | 'optimized' | 'tiered'
export const TIERS: readonly Tier[] = ['interp', 'fast', 'optimized', 'tiered']

/** What the emulator's translator hands an engine for a pc. */
export interface Translation {
  block: Block
  /** Guest bytes the block covers. */
  guestSize: number
  /** Would a warm translation (with learning traps) differ from this one? */
  learnable?: boolean
}

export interface Engine {
  readonly tier: Tier
  /** Runs from `pc` until an exit other than a plain `exit` to the next block. */
  run(pc: bigint): RunExit
  /**
   * Drops the code of blocks overlapping guest bytes [start, end): they are translated again when
   * next run (the translator learnt something about them). Optional: an engine may ignore it.
   */
  retranslate?(start: bigint, end: bigint): void
  /** The JIT report for --stats. */
  report(): string
  /** Writes a perf map of the compiled code (/tmp/perf-<pid>.map), if the engine can. */
  writePerfMap?(): string | undefined
  /** Releases compiled code. */
  dispose(): void
}

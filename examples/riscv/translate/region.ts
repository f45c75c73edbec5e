// Region formation: which guest instructions go into the block that starts at `entry`.
//
// Decoding runs forward from the entry. A conditional branch or a `j` whose target lies a little
// ahead extends the region to that target, so if/else diamonds and loop bodies stay in one block;
// a branch back to an instruction already in the region becomes an IR back edge, so a loop whose
// head is in the block runs entirely inside it. Decoding stops after an instruction that does not
// fall through (jal/jalr/ecall/…) unless some forward branch still targets code after it, or at
// the size limit.

import { DecodeCache } from './fetch.ts'
import { K_BRANCH, K_JAL, K_JALR, K_STOPS } from './insn.ts'
import type { Insn } from './insn.ts'

export interface RegionOptions {
  /** Most guest instructions in one block. */
  maxInsns: number
  /** How far ahead (bytes) a forward branch may pull the region. */
  maxForward: number
  /**
   * Most guest instructions in a block with an indirect jump (not a return): typically a switch,
   * whose cases follow it and are best dispatched inside the block.
   */
  maxInsnsSwitch: number
  /** How far past such an indirect jump (bytes) the region keeps going for its cases. */
  switchForward: number
}

// Small regions: most code runs a few times (startup, libc), and translating and compiling it is
// what a short run spends its time on; hot loops are small, and the runtime chains blocks, so a
// block boundary costs a jump. Switches are the exception (see maxInsnsSwitch).
export const DEFAULT_REGION: RegionOptions = {
  maxInsns: 32,
  maxForward: 128,
  maxInsnsSwitch: 256,
  switchForward: 2048,
}

export interface Region {
  entry: number
  /** Instructions in address order, contiguous. */
  insns: Insn[]
  pcs: number[]
  /** Address after the last instruction. */
  end: number
  /** pc → index into insns. */
  index: Map<number, number>
  /** The entry could not be fetched at all. */
  fetchFault: boolean
}

/**
 * Is insns[k] the indirect jump of a switch: `jr rs` (not a return) shortly after an index scaled
 * by 4 or 8 (slli) and a load of `rs` — GCC's jump-table pattern (`slli; add; lw; [add]; jr`).
 * A tail call through a function pointer (`ld a5, 24(a0); jr a5`) has no scaled index.
 */
export function isSwitchJump(insns: Insn[], k: number): boolean {
  const j = insns[k]
  if ((j.kind & K_JALR) === 0 || j.rd !== 0 || j.rs1 === 1) return false
  let scaled = false
  let loaded = false
  for (let m = k - 1; m >= 0 && m >= k - 6; m--) {
    const i = insns[m]
    if (i.op === 'slli' && (i.imm === 2 || i.imm === 3)) scaled = true
    if ((i.op === 'lw' || i.op === 'lwu' || i.op === 'ld') && i.rd === j.rs1) loaded = true
  }
  return scaled && loaded
}

/** Does execution never continue to the next instruction after `i`? */
export function stopsFlow(i: Insn): boolean {
  return (i.kind & K_STOPS) !== 0
}

/** The branch/jump target of `i` at `pc`, if it has a static one. */
export function staticTarget(i: Insn, pc: number): number | undefined {
  return (i.kind & (K_BRANCH | K_JAL)) !== 0 ? pc + i.imm : undefined
}

/**
 * The region at `entry` in `memory` — or in `cache.memory`, decoding through the cache (a
 * translator's: see DecodeCache).
 */
export function scanRegion(memory: Uint8Array | DecodeCache, entry: number, opts: RegionOptions = DEFAULT_REGION): Region {
  const cache = memory instanceof DecodeCache ? memory : new DecodeCache(memory)
  const insns: Insn[] = []
  const pcs: number[] = []
  const index = new Map<number, number>()
  let pc = entry
  let furthest = entry
  let limit = opts.maxInsns
  while (insns.length < limit) {
    const i = cache.at(pc)
    if (i === undefined) break
    index.set(pc, insns.length)
    insns.push(i)
    pcs.push(pc)
    const next = pc + i.len
    const t = staticTarget(i, pc)
    // Only branches that stay local pull the region forward (a `jal ra` is a call: never).
    if (t !== undefined && t > pc && t - pc <= opts.maxForward && (i.op !== 'jal' || i.rd === 0)) {
      furthest = Math.max(furthest, t)
    }
    if (isSwitchJump(insns, insns.length - 1)) {
      // A switch: its cases usually follow; keep them in the block (see translator.ts).
      limit = Math.max(limit, opts.maxInsnsSwitch)
      furthest = Math.max(furthest, next + opts.switchForward)
    }
    if (stopsFlow(i) && next > furthest) {
      pc = next
      break
    }
    pc = next
  }
  return { entry, insns, pcs, end: pc, index, fetchFault: insns.length === 0 }
}

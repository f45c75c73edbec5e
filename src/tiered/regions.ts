// Region formation for tier 2: which blocks to compile together with a hot entry block.
//
// Starting from the entry, follow exits to constant pcs (Block.exitTargets) breadth-first and take
// each block the runtime already knows that has run often enough to be part of the hot path —
// at least 1/16 as often as the entry, so a loop's body and latch come in but a loop's one-time
// exit path does not. Blocks never executed are never translated for a region: what the guest
// has not run stays out. A region is formed only when the entry is on a loop through its members
// (some member exits back to the entry): that loop becomes a native loop with guest state in
// registers, which is what regions are for; a straight chain of blocks gains little over chained
// tier-2 blocks and costs compile time. (The runtime also compiles a block that is already inside
// another region on its own: overlapping regions multiplied compile work — TieredCompiler.)

import type { Block } from '../ir/Block.js'
import { Region, type RegionLimits } from '../region/Region.js'

/** What formation needs to know of a block the runtime has. */
export interface RegionCandidate {
  pc: bigint
  block: Block
  guestSize: number
  executions: number
}

/** A region compiled for an entry: its stitched block and the guest ranges of its members. */
export interface RegionInfo {
  block: Block
  members: ReadonlyArray<{ pc: bigint; guestSize: number }>
  /** Guest state slots the block is specialised on (Region.stitch's `specializeOn`); 0 if none. */
  specializedSlots: number
}

/** Members run at least this fraction as often as the entry. */
const MIN_RELATIVE_EXECUTIONS = 1 / 16

/**
 * `state`: the guest state now, to specialise the region on the values of the registers it only
 * reads (Region.stitch) — formation happens while the loop is hot, so they are the loop's.
 */
export function formRegion(
  entry: RegionCandidate,
  known: ReadonlyMap<bigint, RegionCandidate>,
  limits: Readonly<Required<RegionLimits>>,
  state?: Uint8Array,
): RegionInfo | undefined {
  const members = [entry]
  const seen = new Set([entry.pc])
  let ops = entry.block.opCount
  let loops = false
  const floor = Math.max(1, entry.executions * MIN_RELATIVE_EXECUTIONS)
  for (let i = 0; i < members.length; i++) {
    for (const pc of members[i].block.exitTargets()) {
      if (pc === entry.pc) loops = true
      if (seen.has(pc)) continue
      seen.add(pc)
      const m = known.get(pc)
      if (!m || m.executions < floor || members.length >= limits.maxBlocks) continue
      // Stitching adds a few ops per member and edge: keep a margin under the limit.
      if (ops + m.block.opCount + 8 > limits.maxOps * 0.9) continue
      members.push(m)
      ops += m.block.opCount
    }
  }
  if (!loops) return undefined
  try {
    const region = Region.stitch(members.map((m) => m.block), limits, state)
    return {
      block: region.block,
      members: members.map((m) => ({ pc: m.pc, guestSize: m.guestSize })),
      specializedSlots: region.specializedSlots,
    }
  } catch {
    // Over the limits after all (stitching's additions): compile the entry alone.
    return undefined
  }
}

/** Does a member of `region` overlap guest bytes [start, end)? (A member of unknown size covers its pc.) */
export function regionCovers(region: RegionInfo, start: bigint, end: bigint): boolean {
  return region.members.some((m) => m.pc < end && start < m.pc + BigInt(Math.max(1, m.guestSize)))
}

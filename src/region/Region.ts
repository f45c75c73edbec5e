// Region: several guest blocks compiled as one (docs/IR.md "Regions"). `Region.stitch(blocks)`
// makes one verified Block of them: every exit of a member to another member's pc becomes a
// jump inside the block, so a guest loop spread over several blocks becomes a loop inside one
// function, and the optimised tier keeps guest state in host registers across it (written back
// at every exit). The TieredCompiler forms regions from hot blocks by itself (`regions` option);
// this is the building block, for emulators that want to form their own.
//
//   const region = Region.stitch([head, body, latch])   // entry first
//   new CraneliftBackend({ optLevel: 'speed' }).compile(region.block)

import { Block } from '../ir/Block.js'
import { describe } from '../ir/constants.js'
import { native } from '../native.js'

/** Size limits of a region. */
export interface RegionLimits {
  /** Member blocks at most. Default 16. */
  maxBlocks?: number
  /** IR ops at most, over all members plus what stitching adds. Default 4,000. */
  maxOps?: number
}

export const DEFAULT_REGION_LIMITS: Readonly<Required<RegionLimits>> = Object.freeze({ maxBlocks: 16, maxOps: 4000 })

export class Region {
  /** The region as one verified block; its pc is the entry member's. */
  readonly block: Block
  /** Member pcs, entry first. */
  readonly members: readonly bigint[]
  /** Exits of members that became jumps inside the region. */
  readonly internalEdges: number
  /** Guest state slots the region is specialised on (0 when it is not; see `stitch`). */
  readonly specializedSlots: number

  private constructor(block: Block, members: bigint[], internalEdges: number, specializedSlots: number) {
    this.block = block
    this.members = Object.freeze(members)
    this.internalEdges = internalEdges
    this.specializedSlots = specializedSlots
  }

  /**
   * Stitches `blocks` (entry first, distinct pcs) into one region. Throws a RangeError when the
   * region is over `limits`, a TypeError for anything but a non-empty array of Blocks.
   *
   * `specializeOn` (the guest state buffer as it is now) specialises the region on the values of
   * up to four integer slots the region reads but never writes and uses as a multiplier, divisor,
   * shift amount, mask or compare operand: the region then starts with a guard comparing those
   * slots with the values seen here, runs a copy in which they are constants when it holds (the
   * optimiser folds them: `x * r7` with r7 = 3 becomes a `lea`), and the region as stitched when
   * it does not. Results are the same either way. Skipped when nothing is worth it or the doubled
   * region would exceed `maxOps` (docs/IR.md "Regions").
   */
  static stitch(blocks: readonly Block[], limits: RegionLimits = {}, specializeOn?: Uint8Array): Region {
    if (!Array.isArray(blocks) || blocks.length === 0) {
      throw new TypeError(`Region.stitch: expected a non-empty array of Blocks, got ${describe(blocks)}`)
    }
    blocks.forEach((b, i) => {
      if (!(b instanceof Block)) throw new TypeError(`Region.stitch: blocks[${i}] is not a Block (got ${describe(b)})`)
    })
    const maxBlocks = limits.maxBlocks ?? DEFAULT_REGION_LIMITS.maxBlocks
    const maxOps = limits.maxOps ?? DEFAULT_REGION_LIMITS.maxOps
    for (const [k, v] of [['maxBlocks', maxBlocks], ['maxOps', maxOps]] as const) {
      if (!Number.isInteger(v) || v < 1 || v > 0xffff_ffff) throw new RangeError(`Region.stitch: ${k} must be a positive integer, got ${describe(v)}`)
    }
    if (specializeOn !== undefined && !(specializeOn instanceof Uint8Array)) {
      throw new TypeError(`Region.stitch: specializeOn must be a Uint8Array (the guest state), got ${describe(specializeOn)}`)
    }
    let r
    try {
      r = native().stitchRegion(blocks.map((b) => b.bytes), maxBlocks, maxOps, specializeOn)
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e)
      throw msg.includes('the limit is') ? new RangeError(msg) : e
    }
    const block = Block.fromVerified(r.bytes, { pc: r.pc, opCount: r.opCount, stateSize: r.stateSize })
    return new Region(block, r.members, r.internalEdges, r.specializedSlots)
  }
}

// Indirect-call prediction. A call through a function pointer (`jalr ra, 0(s6)`: qsort's
// comparator, stdio's vtables) exits with a computed pc, which the runtime looks up in its
// dispatch loop, and the callee's `ret` cannot be predicted (returns.ts knows callees from direct
// calls only): qsort spent a third of its time in the dispatch loop. So an indirect call with
// fewer than MAX_TARGETS known targets traps to the host on an unknown one (TRAP_INDIRECT_CALL);
// the host learns the pair and has the call site's block translated again, which then compares
// the target with those seen and exits to a match as a constant pc (which chains); the callee's
// returns are predicted like those of a direct call. A stale guess costs a compare, never
// correctness; a site with more targets than that is left to the dispatch loop.

import { fetchDecode } from './fetch.ts'

/** Targets compared at most per call site (a site with more is left to the dispatch loop). */
const MAX_TARGETS = 2

export interface IndirectCall {
  /** The call instruction's pc and length. */
  site: number
  len: number
}

export class IndirectCalls {
  readonly #targets = new Map<number, number[]>()

  /** The targets seen at the call site `pc`, in the order learnt. */
  targetsFor(pc: number): readonly number[] {
    return this.#targets.get(pc) ?? []
  }

  /** Can the site at `pc` still learn a target (trap on an unknown one)? */
  learning(pc: number): boolean {
    return this.targetsFor(pc).length < MAX_TARGETS
  }

  /**
   * The indirect call whose return address is `ra` went to `target` (TRAP_INDIRECT_CALL): the
   * call site, if the pair is new (its block should be translated again), else undefined.
   */
  learn(memory: Uint8Array, target: number, ra: number): IndirectCall | undefined {
    for (const len of [2, 4]) {
      const site = ra - len
      const i = site >= 0 ? fetchDecode(memory, site) : undefined
      if (i === undefined || i.op !== 'jalr' || i.rd !== 1 || i.len !== len) continue
      const t = this.#targets.get(site) ?? []
      if (t.includes(target) || t.length >= MAX_TARGETS) return undefined
      t.push(target)
      this.#targets.set(site, t)
      return { site, len }
    }
    return undefined
  }
}

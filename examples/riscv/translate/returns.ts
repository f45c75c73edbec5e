// Return prediction. A return (`ret` = jalr x0, 0(ra)) jumps to a computed address, which the
// runtime must look up; an exit to a constant pc it can chain straight into the next block. So
// the translator remembers every call it translates (`jal ra, F` → return site pc + len, by
// callee F), and a return in a function whose entry is F compares ra with F's known return sites
// and exits to the matching one as a constant. That guess is made when the ret is translated,
// often before the calls that matter (a recursive function's second call; a tail call's
// caller's caller): so a ret that misses traps to the host while it can still learn (the
// TRAP_RETURN_BASE codes), which records the site for that ret and has its block translated
// again. No match exits with the computed address, so a wrong guess costs a compare, never
// correctness.

/** Return sites compared at most per return, from calls seen / learnt at the ret. */
const MAX_SITES = 4
const MAX_LEARNT = 4

export class ReturnSites {
  /** Callee entry → return sites, most recent last. */
  readonly #sites = new Map<number, number[]>()
  /** Callee entries, sorted (for "which function contains this pc"). */
  #entries: number[] = []

  /** Records a call to `callee` that returns to `returnPc`. */
  addCall(callee: number, returnPc: number): void {
    let s = this.#sites.get(callee)
    if (s === undefined) {
      s = []
      this.#sites.set(callee, s)
      // Keep entries sorted: insert in place.
      let k = this.#entries.length
      while (k > 0 && this.#entries[k - 1] > callee) k--
      this.#entries.splice(k, 0, callee)
    }
    if (!s.includes(returnPc)) {
      s.push(returnPc)
      if (s.length > MAX_SITES) s.shift()
    }
  }

  /** Return sites learnt at each ret (by its pc). */
  readonly #learnt = new Map<number, number[]>()

  /** The sites the ret at `pc` should compare with: learnt ones first, then its function's. */
  predict(pc: number): readonly number[] {
    const learnt = this.#learnt.get(pc)
    if (learnt === undefined) return this.sitesFor(pc)
    return [...learnt, ...this.sitesFor(pc).filter((s) => !learnt.includes(s))]
  }

  /** Can the ret at `pc` still learn sites (trap on a miss)? */
  learning(pc: number): boolean {
    return (this.#learnt.get(pc)?.length ?? 0) < MAX_LEARNT
  }

  /** The ret at `pc` returned to `site`; true if that is new (its block should be translated again). */
  learn(pc: number, site: number): boolean {
    const l = this.#learnt.get(pc) ?? []
    if (l.includes(site) || l.length >= MAX_LEARNT) return false
    l.push(site)
    this.#learnt.set(pc, l)
    return true
  }

  /** The return sites of the function that probably contains `pc` (nearest known entry below). */
  sitesFor(pc: number): readonly number[] {
    const e = this.#entries
    let lo = 0
    let hi = e.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (e[mid] <= pc) lo = mid + 1
      else hi = mid
    }
    return lo === 0 ? [] : (this.#sites.get(e[lo - 1]) ?? [])
  }
}

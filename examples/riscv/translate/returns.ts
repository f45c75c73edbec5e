// Return prediction. A return (`ret` = jalr x0, 0(ra)) jumps to a computed address, which the
// runtime must look up; an exit to a constant pc it can chain straight into the next block. So
// the translator remembers every call it translates (`jal ra, F` → return site pc + len, by
// callee F), and a return in a function whose entry is F compares ra with F's known return sites
// and exits to the matching one as a constant. No match (or an unknown function) exits with the
// computed address as before, so a wrong guess costs a compare, never correctness.

/** Return sites compared at most per return. */
const MAX_SITES = 4

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

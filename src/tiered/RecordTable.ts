// RecordTable: the TieredCompiler's block records in the order of its pc → record Map, with what a
// decision point reads of each (counter snapshot, executions in the last epoch, "offer to the
// policy") in typed arrays beside them.
//
// A decision point used to walk the Map and every record's fields, twice (counters, then offers),
// and hand each record that ran to the hot-spot detector on its own: ~100 µs per decision point
// for qsort's ~400 blocks in the RISC-V CLI (TurboFan off), although only about one record in ten
// had run since the last look. Here the walks are over typed arrays (tens of ns a slot in V8's
// baseline code, no allocation) and only the records whose counter moved, or that are offered,
// are touched.
//
// Slots follow the Map's iteration order exactly — a new pc is appended; new code for a pc keeps
// its slot, as Map.set on an existing key keeps its place; a removed record leaves a hole,
// squeezed out at a later sync — so the detector and the policy see blocks in the order they
// always did (the order of promotions decides the order of compiles).

/** What the table needs of a record: where it is. */
export interface Slotted {
  /** Its index in the table (maintained by the table). */
  slot: number
}

const OFFERED = 1
const SETTLED = 2

export class RecordTable<T extends Slotted> {
  #recs: Array<T | undefined> = []
  /** Native unit id of each slot's code: its index in the counter array. */
  #units = new Int32Array(64)
  /** The unit's counter at the last sync (counters are u32 and wrap). */
  #last = new Uint32Array(64)
  /** Executions between the last two syncs. */
  #recent = new Uint32Array(64)
  /**
   * OFFERED: to be offered to the policy (it ran, is new, or its compile finished); SETTLED: never
   * to be offered (its code is final), whatever happens; 0: neither.
   */
  #offer = new Uint8Array(64)
  #length = 0
  #holes = 0

  /**
   * Adds `rec`, whose code is unit `unitId` with counter value `count` now, to be offered — or,
   * `settled`, never. With `old` (the record it replaces for the same pc), it takes old's slot.
   */
  add(rec: T, unitId: number, count: number, old: T | undefined, settled: boolean): void {
    let k: number
    if (old !== undefined && this.#recs[old.slot] === old) {
      k = old.slot
    } else {
      k = this.#length++
      if (k === this.#units.length) this.#grow()
    }
    rec.slot = k
    this.#recs[k] = rec
    this.#units[k] = unitId
    this.#last[k] = count
    this.#recent[k] = 0
    this.#offer[k] = settled ? SETTLED : OFFERED
  }

  /** Removes `rec` (no-op if it is not in the table). */
  remove(rec: T): void {
    const k = rec.slot
    if (this.#recs[k] !== rec) return
    this.#recs[k] = undefined
    this.#offer[k] = 0
    this.#holes++
  }

  /**
   * Reads the counters: calls `moved(rec, delta)`, in table order, for every record whose counter
   * changed since the last sync (and marks it to be offered); every record's recent() becomes
   * its delta (see recentCounts). Squeezes out holes first when they are many — records change
   * slots — so call it only when no iteration over slots (nextOffered) is under way.
   */
  sync(counters: Uint32Array, moved: (rec: T, delta: number) => void): void {
    if (this.#holes > 32 && this.#holes * 2 > this.#length) this.#compact()
    const units = this.#units
    const last = this.#last
    const recent = this.#recent
    const offer = this.#offer
    const recs = this.#recs
    for (let k = 0; k < this.#length; k++) {
      const c = counters[units[k]]
      const delta = (c - last[k]) >>> 0
      recent[k] = delta
      if (delta === 0) continue
      last[k] = c
      const rec = recs[k]
      if (rec === undefined) {
        recent[k] = 0
        continue
      }
      if (offer[k] === 0) offer[k] = OFFERED
      moved(rec, delta)
    }
  }

  /**
   * Executions between the last two syncs by slot (0 for holes and for slots past the end): the
   * counters for a CounterBinding whose index is the slot. Read-only.
   */
  get recentCounts(): Uint32Array {
    return this.#recent
  }

  /** Executions of `rec` between the last two syncs. */
  recent(rec: T): number {
    return this.#recent[rec.slot]
  }

  /** Marks `rec` to be offered at the next decision point (unless it is settled). */
  offer(rec: T): void {
    if (this.#recs[rec.slot] === rec && this.#offer[rec.slot] === 0) this.#offer[rec.slot] = OFFERED
  }

  /** The first slot at or after `from` holding a record marked to be offered, or −1. */
  nextOffered(from: number): number {
    const offer = this.#offer
    for (let k = from; k < this.#length; k++) if (offer[k] === OFFERED) return k
    return -1
  }

  /** The record in slot `k` (a slot nextOffered returned), no longer marked to be offered. */
  takeOffered(k: number): T {
    this.#offer[k] = 0
    return this.#recs[k]!
  }

  /** The record in slot `k` (a slot nextOffered returned). */
  at(k: number): T {
    return this.#recs[k]!
  }

  #compact(): void {
    let n = 0
    for (let k = 0; k < this.#length; k++) {
      const rec = this.#recs[k]
      if (rec === undefined) continue
      rec.slot = n
      this.#recs[n] = rec
      this.#units[n] = this.#units[k]
      this.#last[n] = this.#last[k]
      this.#recent[n] = this.#recent[k]
      this.#offer[n] = this.#offer[k]
      n++
    }
    this.#recs.length = n
    this.#offer.fill(0, n, this.#length)
    this.#recent.fill(0, n, this.#length)
    this.#length = n
    this.#holes = 0
  }

  #grow(): void {
    const cap = this.#units.length * 2
    const grown = <A extends Int32Array | Uint32Array | Uint8Array>(a: A, b: A): A => {
      b.set(a)
      return b
    }
    this.#units = grown(this.#units, new Int32Array(cap))
    this.#last = grown(this.#last, new Uint32Array(cap))
    this.#recent = grown(this.#recent, new Uint32Array(cap))
    this.#offer = grown(this.#offer, new Uint8Array(cap))
  }
}

// The control-flow bookkeeping a builder needs to reject a value used where its definition does
// not dominate the use (docs/IR.md "Values, locals, labels") *in builder terms*, before encoding.
// The native verifier checks the same rule on the bytes; this copy exists only so that the
// mistake is reported naming the builder call and the value rather than an op index.
//
// Basic blocks start at the body entry and at every `label`. Within one basic block a value is
// always defined before it is used (the builder creates it before it can be passed), so only uses
// in a different basic block than the definition are recorded and checked at the end, against the
// dominator tree (Cooper, Harvey & Kennedy, "A Simple, Fast Dominance Algorithm").

interface CrossUse {
  bb: number
  value: number
  op: string
  opIndex: number
}

export interface DominanceError {
  value: number
  defBlock: string
  op: string
  opIndex: number
  useBlock: string
}

export class ControlFlow {
  /** Current basic block. */
  bb = 0
  #bbLabel: number[] = [-1] // label that starts each basic block (-1 for the entry)
  #succLabels: number[][] = [[]]
  #fallInto: number[] = [-1]
  /** Basic block of each value's definition (read and written inline by IRBuilder's hot path). */
  readonly valueBB: number[] = []
  #labelBB: number[] = []
  #uses: CrossUse[] = []

  defineValue(id: number): void {
    this.valueBB[id] = this.bb
  }

  useValue(id: number, op: string, opIndex: number): void {
    const def = this.valueBB[id]
    // Same basic block: defined earlier, fine. Entry block: it dominates every reachable block
    // (and unreachable uses are the verifier's business), so the common case records nothing.
    if (def !== this.bb && def !== 0) this.#uses.push({ bb: this.bb, value: id, op, opIndex })
  }

  /** A terminator's successor label (jump target, brif then/else). */
  branchTo(label: number): void {
    this.#succLabels[this.bb]!.push(label)
  }

  /** `label` op: starts a new basic block, entered by fall-through unless the last op terminated. */
  bindLabel(label: number, fallsThrough: boolean): void {
    const next = this.#bbLabel.length
    this.#bbLabel.push(label)
    this.#succLabels.push([])
    this.#fallInto.push(-1)
    if (fallsThrough) this.#fallInto[this.bb] = next
    this.#labelBB[label] = next
    this.bb = next
  }

  /** First dominance violation among the recorded uses, or undefined. */
  check(): DominanceError | undefined {
    if (this.#uses.length === 0) return undefined
    const n = this.#bbLabel.length
    const succ: number[][] = []
    for (let b = 0; b < n; b++) {
      const s = this.#succLabels[b]!.map((l) => this.#labelBB[l]!)
      if (this.#fallInto[b]! >= 0) s.push(this.#fallInto[b]!)
      succ.push(s)
    }
    // Reverse postorder from the entry, iteratively (bodies may have many thousands of labels).
    const order = new Int32Array(n).fill(-1) // RPO index of each reachable block
    const post: number[] = []
    const seen = new Uint8Array(n)
    const stack: number[] = [0]
    const next: number[] = new Array(n).fill(0)
    seen[0] = 1
    while (stack.length > 0) {
      const b = stack[stack.length - 1]!
      const s = succ[b]!
      if (next[b]! < s.length) {
        const c = s[next[b]!++]!
        if (!seen[c]) {
          seen[c] = 1
          stack.push(c)
        }
      } else {
        stack.pop()
        post.push(b)
      }
    }
    const rpo = post.reverse()
    rpo.forEach((b, k) => (order[b] = k))
    const preds: number[][] = Array.from({ length: n }, () => [])
    for (const b of rpo) for (const c of succ[b]!) preds[c]!.push(b)
    const idom = new Int32Array(n).fill(-1)
    idom[0] = 0
    const intersect = (a: number, b: number): number => {
      while (a !== b) {
        while (order[a]! > order[b]!) a = idom[a]!
        while (order[b]! > order[a]!) b = idom[b]!
      }
      return a
    }
    for (let changed = true; changed; ) {
      changed = false
      for (let k = 1; k < rpo.length; k++) {
        const b = rpo[k]!
        let nd = -1
        for (const p of preds[b]!) {
          if (idom[p] === -1) continue
          nd = nd === -1 ? p : intersect(p, nd)
        }
        if (nd !== idom[b]) {
          idom[b] = nd
          changed = true
        }
      }
    }
    // Pre/post numbers on the dominator tree make each "a dominates b" query O(1).
    const children: number[][] = Array.from({ length: n }, () => [])
    for (const b of rpo) if (b !== 0) children[idom[b]!]!.push(b)
    const tin = new Int32Array(n).fill(-1)
    const tout = new Int32Array(n).fill(-1)
    let clock = 0
    const dfs: Array<[number, number]> = [[0, 0]]
    tin[0] = clock++
    while (dfs.length > 0) {
      const top = dfs[dfs.length - 1]!
      const kids = children[top[0]]!
      if (top[1] < kids.length) {
        const c = kids[top[1]++]!
        tin[c] = clock++
        dfs.push([c, 0])
      } else {
        tout[top[0]] = clock++
        dfs.pop()
      }
    }
    for (const u of this.#uses) {
      if (tin[u.bb] === -1) continue // unreachable use: the verifier has the last word
      const d = this.valueBB[u.value]!
      const dominates = tin[d] !== -1 && tin[d]! <= tin[u.bb]! && tout[u.bb]! <= tout[d]!
      if (!dominates) {
        return { value: u.value, defBlock: this.#name(d), op: u.op, opIndex: u.opIndex, useBlock: this.#name(u.bb) }
      }
    }
    return undefined
  }

  #name(bb: number): string {
    const l = this.#bbLabel[bb]!
    return l < 0 ? 'the entry' : `L${l}`
  }
}

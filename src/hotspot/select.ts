// Quickselect: the k-th largest of n numbers in O(n) expected time, in place. The adaptive
// threshold needs it at every epoch while many blocks are hot; a full sort would be O(n log n).

/**
 * The k-th largest (1-based) of a[0..n), reordering a[0..n). Requires 1 ≤ k ≤ n.
 * Hoare partitioning with a median-of-three pivot (no quadratic case on sorted or equal inputs).
 */
export function kthLargest(a: Float64Array, n: number, k: number): number {
  const target = n - k // index of the answer in ascending order
  let lo = 0
  let hi = n - 1
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    // median of a[lo], a[mid], a[hi] as the pivot value
    let x = a[lo]!
    let y = a[mid]!
    let z = a[hi]!
    if (x > y) [x, y] = [y, x]
    if (y > z) y = z
    const pivot = x > y ? x : y
    let i = lo
    let j = hi
    while (i <= j) {
      while (a[i]! < pivot) i++
      while (a[j]! > pivot) j--
      if (i <= j) {
        const t = a[i]!
        a[i] = a[j]!
        a[j] = t
        i++
        j--
      }
    }
    // now a[lo..j] ≤ pivot ≤ a[i..hi], and a[j+1..i-1] == pivot
    if (target <= j) hi = j
    else if (target >= i) lo = i
    else return a[target]!
  }
  return a[target]!
}

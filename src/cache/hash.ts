// Guest pc → (lo, hi) halves → 32-bit hash. Part of the buffer contract (see layout.ts): any
// reader of the shared tables, in JavaScript or native code, must hash exactly like this.
//
//   h      = fmix32(lo ^ imul(hi, 0x27d4eb2f))      (murmur3's finaliser, all arithmetic mod 2^32)
//   shard  = (h >>> 24) & (shards − 1)             (top byte; at most 256 shards)
//   bucket = h & (buckets − 1)                     (low bits; at most 2^24 buckets per shard)
//
// Guest pcs are aligned and clustered (a program's blocks are a few KiB apart), so the raw bits are
// a poor hash; the finaliser spreads every input bit over the whole word, and taking the shard from
// the top byte and the bucket from the low bits keeps the two choices independent.

/** Mixes the two halves of a pc (as i32s) into a 32-bit hash (returned as an i32). */
export function hashPc(lo: number, hi: number): number {
  let h = lo ^ Math.imul(hi, 0x27d4eb2f)
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h
}

/**
 * A scratch pair of views over 8 bytes: storing a bigint into `u64[0]` and reading `i32[0]`,
 * `i32[1]` splits it into halves without allocating, which is much cheaper than
 * `Number(pc & 0xffffffffn)` (two bigint operations, each allocating). The split is host-endian;
 * every platform Node supports is little-endian, so i32[0] is the low half.
 */
export class PcSplitter {
  readonly u64 = new BigUint64Array(1)
  readonly i32 = new Int32Array(this.u64.buffer)

  /** Joins halves back into a pc (off the hot path: iteration, callbacks). */
  join(lo: number, hi: number): bigint {
    this.i32[0] = lo
    this.i32[1] = hi
    return this.u64[0]!
  }
}

/** Largest guest pc (u64). */
export const MAX_PC = (1n << 64n) - 1n

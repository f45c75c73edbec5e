// Guest pc → (lo, hi) halves → 32-bit hash. Part of the buffer contract (see layout.ts): any
// reader of the shared tables, in JavaScript or native code, must hash exactly like this.
//
//   h      = fmix32(lo ^ imul(hi, 0x27d4eb2f))      (murmur3's finaliser, all arithmetic mod 2^32)
//   shard  = (h >>> 24) & (shards − 1)             (top byte; at most 256 shards)
//   bucket = h & (buckets − 1)                     (low bits; at most 2^24 buckets per shard)
//   check  = bucketCheck(lo, hi, codeId, tier, size) (bucket word 6, see below)
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
 * A bucket's check word: a hash of every other field the reader returns. Lookups read a bucket with
 * plain loads (an Atomics.load is a ~8 ns call in Node 20) between two Atomics loads of the shard's
 * sequence. On x86-64 loads are not reordered, so the seqlock alone is exact; on weakly ordered CPUs
 * (ARM64) a plain load may be satisfied after the closing sequence load, and then this check is what
 * rejects an entry mixed from two writes (a mix passes with probability 2^-32).
 */
export function bucketCheck(lo: number, hi: number, codeId: number, tier: number, size: number): number {
  let h = lo ^ Math.imul(hi, 0x9e3779b1) ^ Math.imul(codeId, 0x85ebca6b) ^ Math.imul(size, 0xc2b2ae35) ^ Math.imul(tier + 1, 0x27d4eb2f)
  h ^= h >>> 15
  h = Math.imul(h, 0x2c1b3c6d)
  h ^= h >>> 12
  h = Math.imul(h, 0x297a2d39)
  h ^= h >>> 15
  return h
}

/** Largest guest pc (u64). */
export const MAX_PC = (1n << 64n) - 1n

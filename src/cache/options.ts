// Options of ShardedCodeCache and their validation. Kept apart from the class so the class reads as
// the data structure it is; the messages name the option, the accepted range and what was given.

import type { CacheEntry, CacheEvictReason } from './types.js'

/** Called after an entry leaves the cache, outside any lock, in the thread that removed it. */
export type EvictListener = (pc: bigint, entry: CacheEntry, why: CacheEvictReason) => void

export interface ShardedCodeCacheOptions {
  /** Number of shards: a power of two from 1 to 256 (default 64, as in the seed). */
  shards?: number
  /** Most live entries before LRU eviction (default 10 000; at most 4 194 304). */
  maxEntries?: number
  /** Most code bytes (sum of entry sizes) before LRU eviction (default 64 MiB; at most 2^31 − 1). */
  maxCodeBytes?: number
  /** Told about every entry that leaves the cache: free its code here. */
  onEvict?: EvictListener
  /**
   * A hit re-stamps its entry only when the entry's stamp is at least this many clock ticks old
   * (default max(1, ⌊maxEntries / 128⌋)). 1 is exact LRU order; larger values let hot entries be
   * looked up without any shared write, at the price of ordering entries that were all used within
   * the last `recencyGranularity` ticks arbitrarily — those are never eviction candidates anyway
   * while the value is small against maxEntries.
   */
  recencyGranularity?: number
  /**
   * Live entries compared per eviction when the tables hold more than 8192 buckets in total
   * (default 16). Smaller tables are scanned completely (exact LRU).
   */
  evictionSample?: number
}

export interface AttachOptions {
  /** Told about entries that leave the cache through this instance (see EvictListener). */
  onEvict?: EvictListener
}

export interface ResolvedOptions {
  shards: number
  maxEntries: number
  maxCodeBytes: number
  onEvict: EvictListener | undefined
  recencyGranularity: number
  evictionSample: number
}

export const MAX_SHARDS = 256
export const MAX_ENTRIES = 1 << 22
export const MAX_CODE_BYTES = 0x7fff_ffff

export function describe(x: unknown): string {
  if (x === null) return 'null'
  if (x === undefined) return 'undefined'
  if (typeof x === 'bigint') return `${x}n`
  if (typeof x === 'string') return JSON.stringify(x)
  if (typeof x === 'function') return 'a function'
  if (typeof x === 'object') {
    const name = (x as object).constructor?.name
    return name && name !== 'Object' ? `a ${name}` : 'an object'
  }
  return String(x)
}

function integerIn(where: string, name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number') throw new TypeError(`${where}: ${name} must be a number, got ${describe(value)}`)
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${where}: ${name} must be an integer from ${min} to ${max}, got ${describe(value)}`)
  }
  return value
}

export function checkOnEvict(where: string, onEvict: unknown): EvictListener | undefined {
  if (onEvict !== undefined && typeof onEvict !== 'function') {
    throw new TypeError(`${where}: onEvict must be a function (pc, entry, why) => void, got ${describe(onEvict)}`)
  }
  return onEvict as EvictListener | undefined
}

const KNOWN = ['shards', 'maxEntries', 'maxCodeBytes', 'onEvict', 'recencyGranularity', 'evictionSample']

export function resolveOptions(options: ShardedCodeCacheOptions | number | undefined): ResolvedOptions {
  const where = 'new ShardedCodeCache'
  // The seed's `ShardedCodeCache::new(64)`: a bare number is the shard count.
  if (typeof options === 'number') options = { shards: options }
  if (options === undefined) options = {}
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`${where}: expected a shard count or an options object like { shards: 64 }, got ${describe(options)}`)
  }
  for (const key of Object.keys(options)) {
    if (!KNOWN.includes(key)) throw new TypeError(`${where}: unknown option '${key}' (expected: ${KNOWN.join(', ')})`)
  }
  const shards = integerIn(where, 'shards', options.shards ?? 64, 1, MAX_SHARDS)
  if ((shards & (shards - 1)) !== 0) {
    throw new RangeError(`${where}: shards must be a power of two (1, 2, 4, … 256), got ${shards}`)
  }
  const maxEntries = integerIn(where, 'maxEntries', options.maxEntries ?? 10_000, 1, MAX_ENTRIES)
  const maxCodeBytes = integerIn(where, 'maxCodeBytes', options.maxCodeBytes ?? 64 << 20, 1, MAX_CODE_BYTES)
  const recencyGranularity = integerIn(
    where,
    'recencyGranularity',
    options.recencyGranularity ?? Math.max(1, Math.floor(maxEntries / 128)),
    1,
    1 << 30,
  )
  const evictionSample = integerIn(where, 'evictionSample', options.evictionSample ?? 16, 1, 1 << 16)
  return { shards, maxEntries, maxCodeBytes, onEvict: checkOnEvict(where, options.onEvict), recencyGranularity, evictionSample }
}

// Linux perf map files: how `perf report` learns the names of JIT-compiled code.
//
// perf samples instruction addresses; addresses inside anonymous executable memory mean nothing to
// it unless the process wrote /tmp/perf-<pid>.map, a text file with one line per code region:
//
//   START SIZE symbolname          (START and SIZE in hex without 0x; the name runs to end of line)
//
// perf reads the file when the report is made (`perf report`, `perf script`), not while recording,
// so the file may be written at any time before — including after the code was freed — and may be
// appended to as code is compiled. Because code memory is recycled, a run can place new code where
// freed code was; perf attributes a sample in overlapping regions to any one of them (a tier-2
// block's samples were reported under the freed tier-1 code of another block). So the monitor
// writes, by default, latestPerfMapEntries(): for each address only the code placed there last,
// which names right every sample taken while that code was there; samples from before the reuse
// get its name too, so a map written once per run phase (or the jitdump format, for exact timing)
// is more precise still.

import { appendFileSync, writeFileSync } from 'node:fs'

export interface PerfMapEntry {
  /** Host address of the first byte of the code. */
  address: bigint
  /** Bytes of code. */
  size: number
  /** Symbol perf should show, e.g. perfSymbolName(pc, tier) = 'jit_t2_0x1000'. */
  name: string
}

/** The conventional symbol name for a compiled guest block: jit_t<tier>_0x<pc>. */
export function perfSymbolName(pc: bigint, tier: number): string {
  return `jit_t${tier}_0x${pc.toString(16)}`
}

/** The default perf map path for this process: /tmp/perf-<pid>.map. */
export function defaultPerfMapPath(pid = process.pid): string {
  return `/tmp/perf-${pid}.map`
}

/** The perf map text for `entries` (one line each, each ending in a newline). */
export function formatPerfMap(entries: Iterable<PerfMapEntry>): string {
  let out = ''
  for (const e of entries) {
    if (typeof e.address !== 'bigint' || e.address < 0n) {
      throw new TypeError(`perf map: address must be a non-negative bigint, got ${String(e.address)}`)
    }
    if (!Number.isSafeInteger(e.size) || e.size < 0) throw new RangeError(`perf map: size must be a non-negative integer, got ${e.size}`)
    // A newline would start a bogus entry; perf takes the rest of the line, spaces included.
    const name = String(e.name).replace(/[\r\n]+/g, ' ')
    out += `${e.address.toString(16)} ${e.size.toString(16)} ${name}\n`
  }
  return out
}

/**
 * `entries` (in the order the code was placed) without those that later code overlaps: what each
 * address held last. Keeps the original order.
 */
export function latestPerfMapEntries(entries: readonly PerfMapEntry[]): PerfMapEntry[] {
  // Walk from the newest back, keeping the ranges taken so far sorted by start.
  const starts: bigint[] = []
  const ends: bigint[] = []
  const keep: boolean[] = new Array(entries.length).fill(false)
  for (let k = entries.length - 1; k >= 0; k--) {
    const { address, size } = entries[k]
    const end = address + BigInt(size)
    // First kept range starting at or after `end`; the one before it is the only one that can
    // reach into [address, end) from below.
    let lo = 0
    let hi = starts.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (starts[mid] < end) lo = mid + 1
      else hi = mid
    }
    if (lo > 0 && ends[lo - 1] > address) continue
    starts.splice(lo, 0, address)
    ends.splice(lo, 0, end)
    keep[k] = true
  }
  return entries.filter((_, k) => keep[k])
}

/**
 * Writes `entries` to a perf map (default /tmp/perf-<pid>.map), appending unless `append` is false.
 * Returns the path.
 */
export function writePerfMap(entries: Iterable<PerfMapEntry>, path = defaultPerfMapPath(), append = true): string {
  const text = formatPerfMap(entries)
  if (append) appendFileSync(path, text)
  else writeFileSync(path, text)
  return path
}

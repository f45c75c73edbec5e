// Linux perf map files: how `perf report` learns the names of JIT-compiled code.
//
// perf samples instruction addresses; addresses inside anonymous executable memory mean nothing to
// it unless the process wrote /tmp/perf-<pid>.map, a text file with one line per code region:
//
//   START SIZE symbolname          (START and SIZE in hex without 0x; the name runs to end of line)
//
// perf reads the file when the report is made (`perf report`, `perf script`), not while recording,
// so the file may be written at any time before — including after the code was freed — and may be
// appended to as code is compiled. Because code memory is recycled, the file can list overlapping
// regions over a long run; perf then attributes a sample to one of them, so a map written once per
// run phase (or the jitdump format, for exact timing) is more precise than one written for ever.

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
 * Writes `entries` to a perf map (default /tmp/perf-<pid>.map), appending unless `append` is false.
 * Returns the path.
 */
export function writePerfMap(entries: Iterable<PerfMapEntry>, path = defaultPerfMapPath(), append = true): string {
  const text = formatPerfMap(entries)
  if (append) appendFileSync(path, text)
  else writeFileSync(path, text)
  return path
}

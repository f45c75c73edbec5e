// The performance report (the seed's `generate_report()`), its statistics helpers and the text
// printer (the seed's println block).

/** Compile-time statistics of one tier, in µs. */
export interface TierReport {
  compilations: number
  totalUs: number
  avgUs: number
  medianUs: number
  p90Us: number
  maxUs: number
  /** Bytes of code produced at this tier. */
  codeBytes: number
}

/** How the recorded time splits up (ms on the performance.now() clock, µs for durations). */
export interface TimelineSummary {
  /** First and last event time (ms); 0 when nothing was recorded. */
  startMs: number
  endMs: number
  spanMs: number
  runs: number
  runTimeUs: number
  blocksExecuted: number
  /** Compile time with the guest stopped (foreground), and on background threads. */
  foregroundCompileUs: number
  backgroundCompileUs: number
  /** foregroundCompileUs as a fraction of the time spent in runs (0 if there were none). */
  compileShareOfRunTime: number
  decisions: number
  decisionTimeUs: number
  /** How runs ended: exit reason → count. */
  exitReasons: Record<string, number>
}

export interface JitReport {
  /** Finished compiles (successful or not). */
  totalCompilations: number
  avgCompileTimeUs: number
  /** Hits / lookups (0 without lookups). */
  cacheHitRate: number
  /** [pc, µs] of the slowest compile of each block, slowest first. */
  slowestBlocks: [bigint, number][]
  /** [pc, executions], most executed first. */
  hottestBlocks: [bigint, number][]
  /** Compile statistics per tier (only tiers that compiled something). */
  perTier: Record<number, TierReport>
  promotions: number
  /** Promotions by route, e.g. { '1→2': 12 }. */
  promotionsByRoute: Record<string, number>
  evictions: number
  /** Evictions by reason, e.g. { lru: 3, invalidate: 1 }. */
  evictionsByReason: Record<string, number>
  /** Invalidation events (a pc or a range each). */
  invalidations: number
  backgroundCompilations: number
  failedCompilations: number
  cacheHits: number
  cacheMisses: number
  timeline: TimelineSummary
  /** Events kept for traces, and events dropped because more than maxEvents were recorded. */
  eventsRecorded: number
  eventsDropped: number
}

/**
 * The q-quantile (0 ≤ q ≤ 1) of ascending `sorted`, interpolating linearly between closest ranks
 * (numpy's default), so the median of [1, 2, 3, 4] is 2.5. 0 for an empty list.
 */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length
  if (n === 0) return 0
  const pos = (n - 1) * q
  const lo = Math.floor(pos)
  const hi = Math.min(n - 1, lo + 1)
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo)
}

/** Compile-time statistics from a list of durations (µs) and the bytes produced. */
export function tierReport(durationsUs: readonly number[], codeBytes: number): TierReport {
  const sorted = Float64Array.from(durationsUs).sort()
  let total = 0
  for (const d of durationsUs) total += d
  const n = durationsUs.length
  return {
    compilations: n,
    totalUs: total,
    avgUs: n === 0 ? 0 : total / n,
    medianUs: quantile(sorted, 0.5),
    p90Us: quantile(sorted, 0.9),
    maxUs: n === 0 ? 0 : sorted[n - 1]!,
    codeBytes,
  }
}

/** The `top` largest [key, value] pairs of `map`, largest first (ties: smaller key first). */
export function topEntries(map: Iterable<[bigint, number]>, top: number): [bigint, number][] {
  const all = [...map]
  all.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
  return all.slice(0, Math.max(0, top))
}

const hex = (pc: bigint): string => `0x${pc.toString(16)}`
const us = (x: number): string => (x >= 1000 ? x.toFixed(0) : x.toFixed(1))

/** The report as text, in the spirit of the seed's println block. */
export function formatTextReport(r: JitReport, top = 5): string {
  const lines = [
    '=== JIT Performance Report ===',
    `Total compilations: ${r.totalCompilations} (background: ${r.backgroundCompilations}, failed: ${r.failedCompilations})`,
    `Avg compile time: ${us(r.avgCompileTimeUs)} μs`,
    `Cache hit rate: ${(r.cacheHitRate * 100).toFixed(1)}% (${r.cacheHits} hits, ${r.cacheMisses} misses)`,
  ]
  const tiers = Object.keys(r.perTier).map(Number).sort((a, b) => a - b)
  if (tiers.length > 0) {
    lines.push('', 'Per tier:')
    for (const t of tiers) {
      const s = r.perTier[t]!
      lines.push(
        `  tier ${t}: ${s.compilations} compiles, avg ${us(s.avgUs)} μs, median ${us(s.medianUs)} μs, ` +
          `p90 ${us(s.p90Us)} μs, max ${us(s.maxUs)} μs, ${s.codeBytes} code bytes`,
      )
    }
  }
  const routes = Object.entries(r.promotionsByRoute).map(([k, v]) => `${k}: ${v}`)
  const reasons = Object.entries(r.evictionsByReason).map(([k, v]) => `${k}: ${v}`)
  lines.push(
    '',
    `Promotions: ${r.promotions}${routes.length ? ` (${routes.join(', ')})` : ''}`,
    `Evictions: ${r.evictions}${reasons.length ? ` (${reasons.join(', ')})` : ''}`,
    `Invalidations: ${r.invalidations}`,
  )
  const t = r.timeline
  if (t.runs > 0) {
    const exits = Object.entries(t.exitReasons).map(([k, v]) => `${k}: ${v}`)
    lines.push(
      `Runs: ${t.runs}, ${t.blocksExecuted} blocks in ${(t.runTimeUs / 1000).toFixed(2)} ms (exits ${exits.join(', ')}); ` +
        `compiling with the guest stopped: ${(t.compileShareOfRunTime * 100).toFixed(1)}% of run time`,
    )
  }
  if (t.decisions > 0) lines.push(`Decision points: ${t.decisions}, ${(t.decisionTimeUs / 1000).toFixed(2)} ms in all`)
  if (r.slowestBlocks.length > 0) {
    lines.push('', `Top ${Math.min(top, r.slowestBlocks.length)} Slowest Blocks:`)
    for (const [pc, time] of r.slowestBlocks.slice(0, top)) lines.push(`  ${hex(pc)}: ${us(time)} μs`)
  }
  if (r.hottestBlocks.length > 0) {
    lines.push('', `Top ${Math.min(top, r.hottestBlocks.length)} Hottest Blocks:`)
    for (const [pc, count] of r.hottestBlocks.slice(0, top)) lines.push(`  ${hex(pc)}: ${count} executions`)
  }
  if (r.eventsDropped > 0) lines.push('', `(${r.eventsDropped} early events were dropped from the trace buffer; totals above are complete)`)
  return lines.join('\n')
}

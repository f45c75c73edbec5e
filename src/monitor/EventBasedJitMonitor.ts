// EventBasedJitMonitor: what the JIT did, when, and how long it took.
//
// The runtime records events (events.ts) as they happen; the monitor keeps running totals for the
// report (exact, whatever the run length), a bounded buffer of the events themselves for traces
// (the oldest are dropped past maxEvents), and calls listeners subscribed to each kind — the
// "event-based" part: a dashboard or a test can watch compiles live without polling.
//
// Cost: a disabled monitor returns from record() after one field test. An enabled one does a
// switch, a few additions and an array store per event; cache lookups are never stored, only
// counted, since there is one per block dispatch.
//
// Outputs: generateReport() (the seed's fields and more), textReport() (the seed's println block),
// toChromeTrace()/writeChromeTrace() (a timeline for Perfetto or chrome://tracing) and
// toPerfMap()/writePerfMap() (symbol names for `perf report`).

import { writeFileSync } from 'node:fs'
import { buildChromeTrace } from './chromeTrace.js'
import type { ChromeTrace } from './chromeTrace.js'
import { EVENT_KINDS } from './events.js'
import type { CacheLookupEvent, JitEvent, JitEventKind, JitEventOf, RecordedEvent } from './events.js'
import { defaultPerfMapPath, formatPerfMap, latestPerfMapEntries, perfSymbolName, writePerfMap } from './perfMap.js'
import type { PerfMapEntry } from './perfMap.js'
import { formatTextReport, tierReport, topEntries } from './report.js'
import type { JitReport, TierReport } from './report.js'

export interface MonitorOptions {
  /** Record events (default true). A disabled monitor ignores record() entirely. */
  enabled?: boolean
  /** Events kept for traces and events(); older ones are dropped (default 100 000). Totals are kept regardless. */
  maxEvents?: number
}

export interface ReportOptions {
  /** Length of slowestBlocks and hottestBlocks (default 10). */
  top?: number
}

/**
 * What a listener for `K` receives: the recorded event, with `ts` filled in (cache lookups, which
 * are not stored, arrive as given).
 */
export type DeliveredEvent<K extends JitEventKind | '*'> = K extends 'cacheLookup'
  ? CacheLookupEvent
  : K extends JitEventKind
    ? JitEventOf<K> & { ts: number }
    : RecordedEvent | CacheLookupEvent

export type JitEventListener<K extends JitEventKind | '*' = '*'> = (event: DeliveredEvent<K>) => void

/** Source of execution counts for hottestBlocks: [pc, executions] pairs. */
export type ExecutionSupplier = () => Iterable<[bigint, number]>

/** Source of cache lookup counts (e.g. () => cache.statistics()), used instead of cacheLookup events. */
export type CacheStatsSupplier = () => { hits: number; misses: number }

interface TierTotals {
  durations: number[]
  codeBytes: number
}

export class EventBasedJitMonitor {
  #enabled: boolean
  readonly #maxEvents: number
  // Ring buffer of stored events: #events[(#head + k) % #maxEvents] for k < #events.length.
  #events: RecordedEvent[] = []
  #head = 0
  #dropped = 0
  readonly #listeners = new Map<JitEventKind | '*', Set<(e: JitEvent) => void>>()
  #hasListeners = false

  // running totals for the report
  #tiers = new Map<number, TierTotals>()
  #compileUsTotal = 0
  #compilations = 0
  #background = 0
  #backgroundUs = 0
  #failed = 0
  #slowest = new Map<bigint, number>()
  #promotions = 0
  #routes = new Map<number, number>()
  #evictions = 0
  #evictionReasons = new Map<string, number>()
  #invalidations = 0
  #hits = 0
  #misses = 0
  #runs = 0
  #runUs = 0
  #blocks = 0
  #exitReasons = new Map<string, number>()
  #decisions = 0
  #decisionUs = 0
  #firstTs = Infinity
  #lastTs = -Infinity
  #executions = new Map<bigint, number>()
  #executionSupplier: ExecutionSupplier | undefined
  #cacheSupplier: CacheStatsSupplier | undefined
  #perfEntries: PerfMapEntry[] = []

  constructor(options: MonitorOptions = {}) {
    if (options === null || typeof options !== 'object') throw new TypeError('EventBasedJitMonitor: options must be an object like { enabled: true }')
    for (const key of Object.keys(options)) {
      if (key !== 'enabled' && key !== 'maxEvents') throw new TypeError(`EventBasedJitMonitor: unknown option '${key}' (expected: enabled, maxEvents)`)
    }
    const { enabled = true, maxEvents = 100_000 } = options
    if (typeof enabled !== 'boolean') throw new TypeError(`EventBasedJitMonitor: enabled must be a boolean, got ${String(enabled)}`)
    if (!Number.isSafeInteger(maxEvents) || maxEvents < 1) {
      throw new RangeError(`EventBasedJitMonitor: maxEvents must be a positive integer, got ${String(maxEvents)}`)
    }
    this.#enabled = enabled
    this.#maxEvents = maxEvents
  }

  /** Whether record() records. Turning it off keeps what was recorded. */
  get enabled(): boolean {
    return this.#enabled
  }

  set enabled(on: boolean) {
    this.#enabled = on === true
  }

  enable(): this {
    this.#enabled = true
    return this
  }

  disable(): this {
    this.#enabled = false
    return this
  }

  /** The monitor's clock: performance.now(), in ms (µs resolution). Events without `ts` get this. */
  now(): number {
    return performance.now()
  }

  // ---- recording -----------------------------------------------------------------------------

  /**
   * Records one event. Stored events are kept by reference (do not mutate them afterwards); an
   * event without `ts` is stored as a copy with ts = now(). Listeners run synchronously, after the
   * totals are updated; an exception from a listener propagates to the caller.
   */
  record(event: JitEvent): void {
    if (!this.#enabled) return
    if (event.kind === 'cacheLookup') {
      const n = event.count ?? 1
      if (event.hit) this.#hits += n
      else this.#misses += n
      if (this.#hasListeners) this.#deliver(event)
      return
    }
    const e = (event.ts === undefined ? { ...event, ts: performance.now() } : event) as RecordedEvent
    switch (e.kind) {
      case 'compileStart':
        break
      case 'compileEnd': {
        if (typeof e.durationUs !== 'number' || !(e.durationUs >= 0)) {
          throw new TypeError(`EventBasedJitMonitor.record: compileEnd needs durationUs ≥ 0 (µs), got ${String(e.durationUs)}`)
        }
        let t = this.#tiers.get(e.tier)
        if (t === undefined) this.#tiers.set(e.tier, (t = { durations: [], codeBytes: 0 }))
        t.durations.push(e.durationUs)
        t.codeBytes += e.codeSize || 0
        this.#compilations++
        this.#compileUsTotal += e.durationUs
        if (e.background) {
          this.#background++
          this.#backgroundUs += e.durationUs
        }
        if (e.error !== undefined) this.#failed++
        if (!(e.durationUs <= (this.#slowest.get(e.pc) ?? -1))) this.#slowest.set(e.pc, e.durationUs)
        if (e.address !== undefined && e.error === undefined && e.codeSize > 0) {
          this.#perfEntries.push({ address: e.address, size: e.codeSize, name: perfSymbolName(e.pc, e.tier) })
        }
        break
      }
      case 'promotion': {
        this.#promotions++
        // a numeric key (no string built per event); spelt 'from→to' in the report
        const route = e.fromTier * 65536 + e.toTier
        this.#routes.set(route, (this.#routes.get(route) ?? 0) + 1)
        break
      }
      case 'eviction':
        this.#evictions++
        this.#evictionReasons.set(e.reason, (this.#evictionReasons.get(e.reason) ?? 0) + 1)
        break
      case 'invalidation':
        this.#invalidations++
        break
      case 'run':
        this.#runs++
        this.#runUs += e.durationUs
        this.#blocks += e.blocksExecuted
        this.#exitReasons.set(e.exitReason, (this.#exitReasons.get(e.exitReason) ?? 0) + 1)
        break
      case 'decision':
        this.#decisions++
        this.#decisionUs += e.durationUs ?? 0
        break
      default:
        throw new TypeError(`EventBasedJitMonitor.record: unknown event kind ${JSON.stringify((e as { kind: unknown }).kind)} (expected: ${EVENT_KINDS.join(', ')})`)
    }
    const start = 'durationUs' in e && e.durationUs !== undefined ? (e.start ?? e.ts - e.durationUs / 1000) : e.ts
    if (start < this.#firstTs) this.#firstTs = start
    if (e.ts > this.#lastTs) this.#lastTs = e.ts
    this.#store(e)
    if (this.#hasListeners) this.#deliver(e)
  }

  /** Counts `count` code cache lookups (cheaper than record({ kind: 'cacheLookup' })). */
  recordLookup(hit: boolean, count = 1): void {
    if (!this.#enabled) return
    if (hit) this.#hits += count
    else this.#misses += count
  }

  /** Adds `count` executions of `pc` (for hottestBlocks). */
  recordExecutions(pc: bigint, count: number): void {
    if (!this.#enabled) return
    this.#executions.set(pc, (this.#executions.get(pc) ?? 0) + count)
  }

  /** Adds every [pc, count] of `table` (for hottestBlocks). */
  recordExecutionsBulk(table: Iterable<[bigint, number]>): void {
    if (!this.#enabled) return
    for (const [pc, count] of table) this.#executions.set(pc, (this.#executions.get(pc) ?? 0) + count)
  }

  /**
   * Lets the report ask the runtime for execution counts instead of being told (undefined: stop).
   * The report adds the supplier's counts to those recorded with recordExecutions.
   */
  setExecutionSupplier(supplier: ExecutionSupplier | undefined): void {
    if (supplier !== undefined && typeof supplier !== 'function') throw new TypeError('EventBasedJitMonitor.setExecutionSupplier: expected a function or undefined')
    this.#executionSupplier = supplier
  }

  /**
   * Lets the report take hit/miss counts from the code cache (e.g. () => cache.statistics()),
   * added to those recorded with cacheLookup events (undefined: stop).
   */
  setCacheStatsSupplier(supplier: CacheStatsSupplier | undefined): void {
    if (supplier !== undefined && typeof supplier !== 'function') throw new TypeError('EventBasedJitMonitor.setCacheStatsSupplier: expected a function or undefined')
    this.#cacheSupplier = supplier
  }

  /**
   * Calls `listener` with every recorded event of `kind` ('*': every kind) while enabled. Returns
   * a function that unsubscribes it.
   */
  on<K extends JitEventKind | '*'>(kind: K, listener: JitEventListener<K>): () => void {
    if (kind !== '*' && !EVENT_KINDS.includes(kind as JitEventKind)) {
      throw new TypeError(`EventBasedJitMonitor.on: unknown event kind ${JSON.stringify(kind)} (expected '*' or one of: ${EVENT_KINDS.join(', ')})`)
    }
    if (typeof listener !== 'function') throw new TypeError('EventBasedJitMonitor.on: listener must be a function')
    let set = this.#listeners.get(kind)
    if (set === undefined) this.#listeners.set(kind, (set = new Set()))
    set.add(listener as (e: JitEvent) => void)
    this.#hasListeners = true
    return () => this.off(kind, listener as (e: JitEvent) => void)
  }

  /** Unsubscribes a listener added with on(). */
  off(kind: JitEventKind | '*', listener: (event: never) => void): void {
    const set = this.#listeners.get(kind)
    if (set === undefined) return
    set.delete(listener as (e: JitEvent) => void)
    if (set.size === 0) this.#listeners.delete(kind)
    this.#hasListeners = this.#listeners.size > 0
  }

  /** The stored events (oldest first), optionally of one kind. */
  events<K extends JitEventKind>(kind?: K): Array<JitEventOf<K> & { ts: number }> {
    const all = this.#ordered()
    return (kind === undefined ? all : all.filter((e) => e.kind === kind)) as Array<JitEventOf<K> & { ts: number }>
  }

  /** Forgets everything recorded (events, totals, executions); keeps listeners and suppliers. */
  clear(): void {
    this.#events = []
    this.#head = 0
    this.#dropped = 0
    this.#tiers = new Map()
    this.#compileUsTotal = 0
    this.#compilations = 0
    this.#background = 0
    this.#backgroundUs = 0
    this.#failed = 0
    this.#slowest = new Map()
    this.#promotions = 0
    this.#routes = new Map()
    this.#evictions = 0
    this.#evictionReasons = new Map()
    this.#invalidations = 0
    this.#hits = 0
    this.#misses = 0
    this.#runs = 0
    this.#runUs = 0
    this.#blocks = 0
    this.#exitReasons = new Map()
    this.#decisions = 0
    this.#decisionUs = 0
    this.#firstTs = Infinity
    this.#lastTs = -Infinity
    this.#executions = new Map()
    this.#perfEntries = []
  }

  // ---- outputs -------------------------------------------------------------------------------

  /** The performance report: the seed's fields (totalCompilations, avgCompileTimeUs, …) and more. */
  generateReport(options: ReportOptions = {}): JitReport {
    const top = options.top ?? 10
    const perTier: Record<number, TierReport> = {}
    for (const tier of [...this.#tiers.keys()].sort((a, b) => a - b)) {
      const t = this.#tiers.get(tier)!
      perTier[tier] = tierReport(t.durations, t.codeBytes)
    }
    let hits = this.#hits
    let misses = this.#misses
    if (this.#cacheSupplier) {
      const s = this.#cacheSupplier()
      hits += s.hits
      misses += s.misses
    }
    let executions: Iterable<[bigint, number]> = this.#executions
    if (this.#executionSupplier) {
      const merged = new Map(this.#executions)
      for (const [pc, n] of this.#executionSupplier()) merged.set(pc, (merged.get(pc) ?? 0) + n)
      executions = merged
    }
    const any = this.#lastTs >= this.#firstTs
    return {
      totalCompilations: this.#compilations,
      avgCompileTimeUs: this.#compilations === 0 ? 0 : this.#compileUsTotal / this.#compilations,
      cacheHitRate: hits + misses === 0 ? 0 : hits / (hits + misses),
      slowestBlocks: topEntries(this.#slowest, top),
      hottestBlocks: topEntries(executions, top),
      perTier,
      promotions: this.#promotions,
      promotionsByRoute: Object.fromEntries([...this.#routes].map(([k, n]) => [`${Math.floor(k / 65536)}→${k % 65536}`, n])),
      evictions: this.#evictions,
      evictionsByReason: Object.fromEntries(this.#evictionReasons),
      invalidations: this.#invalidations,
      backgroundCompilations: this.#background,
      failedCompilations: this.#failed,
      cacheHits: hits,
      cacheMisses: misses,
      timeline: {
        startMs: any ? this.#firstTs : 0,
        endMs: any ? this.#lastTs : 0,
        spanMs: any ? this.#lastTs - this.#firstTs : 0,
        runs: this.#runs,
        runTimeUs: this.#runUs,
        blocksExecuted: this.#blocks,
        foregroundCompileUs: this.#compileUsTotal - this.#backgroundUs,
        backgroundCompileUs: this.#backgroundUs,
        compileShareOfRunTime: this.#runUs === 0 ? 0 : (this.#compileUsTotal - this.#backgroundUs) / this.#runUs,
        decisions: this.#decisions,
        decisionTimeUs: this.#decisionUs,
        exitReasons: Object.fromEntries(this.#exitReasons),
      },
      eventsRecorded: this.#events.length,
      eventsDropped: this.#dropped,
    }
  }

  /** The report as text, like the seed's println block (`top` blocks per list, default 5). */
  textReport(top = 5): string {
    return formatTextReport(this.generateReport({ top }), top)
  }

  /** The stored events as Chrome trace-event JSON (see chromeTrace.ts for the tracks). */
  toChromeTrace(): ChromeTrace {
    return buildChromeTrace(this.#ordered())
  }

  /** Writes toChromeTrace() to `path` (open it in https://ui.perfetto.dev or chrome://tracing). */
  writeChromeTrace(path: string): string {
    writeFileSync(path, JSON.stringify(this.toChromeTrace()))
    return path
  }

  /**
   * Perf map text (see perfMap.ts) for `entries`, by default every compile recorded with an
   * `address` (named jit_t<tier>_0x<pc>) whose code was not later overwritten by newer code placed
   * in the same memory (latestPerfMapEntries).
   */
  toPerfMap(entries: Iterable<PerfMapEntry> = latestPerfMapEntries(this.#perfEntries)): string {
    return formatPerfMap(entries)
  }

  /** Appends toPerfMap(entries) to `path` (default /tmp/perf-<pid>.map, where perf looks). */
  writePerfMap(entries: Iterable<PerfMapEntry> = latestPerfMapEntries(this.#perfEntries), path = defaultPerfMapPath()): string {
    return writePerfMap(entries, path)
  }

  // ---- internals -----------------------------------------------------------------------------

  #store(e: RecordedEvent): void {
    if (this.#events.length < this.#maxEvents) {
      this.#events.push(e)
    } else {
      this.#events[this.#head] = e
      this.#head = (this.#head + 1) % this.#maxEvents
      this.#dropped++
    }
  }

  #ordered(): RecordedEvent[] {
    return this.#head === 0 ? this.#events.slice() : [...this.#events.slice(this.#head), ...this.#events.slice(0, this.#head)]
  }

  #deliver(e: JitEvent): void {
    const specific = this.#listeners.get(e.kind)
    if (specific) for (const l of specific) l(e)
    const all = this.#listeners.get('*')
    if (all) for (const l of all) l(e)
  }
}

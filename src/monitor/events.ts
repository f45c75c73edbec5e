// The events a JIT reports to EventBasedJitMonitor: a union discriminated by `kind`.
//
// Clock: `ts` and `start` are milliseconds on performance.now()'s clock (a monotonic clock starting
// at the thread's time origin, with microsecond resolution or better in Node), so the runtime can
// pass `performance.now()` straight through; omit `ts` and the monitor stamps the event itself.
// Durations are microseconds (`durationUs`), as in the seed's report. For span events (compileEnd,
// run, decision with a duration) `ts` is when the span ENDED — the moment the event is recorded —
// and it started at `start` if given, else at ts − durationUs / 1000.
//
// Worker threads have their own time origin: an event timed in another thread should be converted,
// ts = theirNow + (theirTimeOrigin − performance.timeOrigin), with performance.timeOrigin read in
// each thread.

/** A compile began (foreground or background). Optional: compileEnd alone is enough for reports. */
export interface CompileStartEvent {
  kind: 'compileStart'
  pc: bigint
  tier: number
  ts?: number
  background?: boolean
  /** The compiling thread's number, for background compiles. */
  thread?: number
}

/** A compile finished (or failed: `error`). */
export interface CompileEndEvent {
  kind: 'compileEnd'
  pc: bigint
  tier: number
  /** End of the compile (ms, performance.now() clock). */
  ts?: number
  /** Start of the compile (ms); default ts − durationUs / 1000. */
  start?: number
  /** Time spent compiling, in µs. */
  durationUs: number
  /** Bytes of machine code produced (0 if it failed). */
  codeSize: number
  /** Compiled on a background thread rather than with the guest stopped. */
  background?: boolean
  thread?: number
  /** Guest blocks compiled as one region (tier-2 regions); absent for a single block. */
  regionBlocks?: number
  /** Host address of the code, for perf maps. */
  address?: bigint
  /** Why the compile failed, if it did. */
  error?: string
}

/** A block moved to another tier. */
export interface PromotionEvent {
  kind: 'promotion'
  pc: bigint
  fromTier: number
  toTier: number
  ts?: number
}

/** Compiled code left the code cache. */
export interface EvictionEvent {
  kind: 'eviction'
  pc: bigint
  tier: number
  ts?: number
  /** 'lru', 'invalidate', 'replace', or the runtime's own word. */
  reason: string
}

/** Code was invalidated: one pc, or the guest range [start, end) (self-modifying code). */
export interface InvalidationEvent {
  kind: 'invalidation'
  ts?: number
  pc?: bigint
  start?: bigint
  end?: bigint
  /** Blocks removed (default 1 for a pc, unknown for a range). */
  count?: number
}

/**
 * Code cache lookups. Not stored one by one: the monitor only adds them to its hit/miss counters
 * (`count` lookups at once, default 1) — lookups are far too frequent to keep as objects.
 */
export interface CacheLookupEvent {
  kind: 'cacheLookup'
  hit: boolean
  count?: number
}

/** One run of the guest (from entry to exit back to the embedder). */
export interface RunEvent {
  kind: 'run'
  /** End of the run (ms). */
  ts?: number
  /** Start of the run (ms); default ts − durationUs / 1000. */
  start?: number
  durationUs: number
  blocksExecuted: number
  exitReason: string
}

/** A decision point of the tiered runtime: what it decided, and how long deciding took. */
export interface DecisionEvent {
  kind: 'decision'
  ts?: number
  start?: number
  durationUs?: number
  /** The block concerned, for a per-block decision. */
  pc?: bigint
  tier?: number
  /** What was decided ('promote', 'wait', 'interpret', 'compile'…). */
  action?: string
  reason?: string
  /** Anything else worth seeing in the trace (counts, thresholds). */
  data?: Record<string, number | string | boolean | bigint>
}

export type JitEvent =
  | CompileStartEvent
  | CompileEndEvent
  | PromotionEvent
  | EvictionEvent
  | InvalidationEvent
  | CacheLookupEvent
  | RunEvent
  | DecisionEvent

export type JitEventKind = JitEvent['kind']

/** An event of the given kind. */
export type JitEventOf<K extends JitEventKind> = Extract<JitEvent, { kind: K }>

/** A stored event: `ts` is always set (the monitor fills it in if the event had none). */
export type RecordedEvent = Exclude<JitEvent, CacheLookupEvent> & { ts: number }

export const EVENT_KINDS: readonly JitEventKind[] = Object.freeze([
  'compileStart',
  'compileEnd',
  'promotion',
  'eviction',
  'invalidation',
  'cacheLookup',
  'run',
  'decision',
] as const)

/** Start (ms) of a span event. */
export function spanStart(e: { ts: number; start?: number; durationUs?: number }): number {
  return e.start ?? e.ts - (e.durationUs ?? 0) / 1000
}

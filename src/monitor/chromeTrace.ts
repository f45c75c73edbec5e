// Chrome trace-event JSON (the "JSON Object Format" that chrome://tracing, Perfetto's UI and
// speedscope open): recorded JIT events on a timeline.
//
//   track (tid)                          shows
//   guest                                each run as a span; decision points (spans or instants)
//   code cache                           promotions, evictions and invalidations as instants
//   tier N compiles · main thread        foreground compiles of tier N as spans
//   tier N compiles · thread K           background compiles of tier N on compile thread K
//
// All tracks are threads of one process (pid = this process's pid), named with `thread_name`
// metadata events and ordered with `thread_sort_index`. Timestamps are µs (the format's unit) on
// the performance.now() clock; `displayTimeUnit: 'ms'` only sets how the viewer labels them.
// pcs are shown as hex strings: JSON has no 64-bit integers.

import type { CompileStartEvent, RecordedEvent } from './events.js'
import { spanStart } from './events.js'

/** One trace event (the fields this file emits). */
export interface TraceEvent {
  name: string
  ph: 'X' | 'i' | 'M' | 'C'
  pid: number
  tid: number
  ts?: number
  dur?: number
  cat?: string
  /** Instant scope: 't' (thread). */
  s?: 't' | 'p' | 'g'
  args?: Record<string, unknown>
}

export interface ChromeTrace {
  traceEvents: TraceEvent[]
  displayTimeUnit: 'ms' | 'ns'
  otherData?: Record<string, string>
}

const GUEST_TID = 1
const CACHE_TID = 2
const hex = (pc: bigint): string => `0x${pc.toString(16)}`
const openKey = (pc: bigint, tier: number, background: boolean | undefined): string => `${pc}/${tier}/${background === true}`

/** Builds the trace for `events` (in any order). */
export function buildChromeTrace(events: Iterable<RecordedEvent>, pid = process.pid): ChromeTrace {
  const out: TraceEvent[] = []
  const tracks = new Map<string, number>()
  const names: [number, string, number][] = [
    [GUEST_TID, 'guest', 0],
    [CACHE_TID, 'code cache', 1],
  ]
  const compileTrack = (tier: number, thread: number | undefined): number => {
    const key = thread === undefined ? `main/${tier}` : `${thread}/${tier}`
    let tid = tracks.get(key)
    if (tid === undefined) {
      tid = 10 + tracks.size
      tracks.set(key, tid)
      const where = thread === undefined ? 'main thread' : `thread ${thread}`
      // sort: main-thread tracks by tier, then background threads by number and tier
      names.push([tid, `tier ${tier} compiles · ${where}`, thread === undefined ? 10 + tier : 100 + thread * 4 + tier])
    }
    return tid
  }
  const micros = (ms: number): number => Math.round(ms * 1000 * 1000) / 1000 // µs, to the ns
  const open = new Map<string, CompileStartEvent[]>()

  for (const e of events) {
    switch (e.kind) {
      case 'compileEnd': {
        open.get(openKey(e.pc, e.tier, e.background))?.shift()
        const thread = e.background ? (e.thread ?? 0) : undefined
        const args: Record<string, unknown> = { pc: hex(e.pc), tier: e.tier, codeSize: e.codeSize, background: e.background === true }
        if (e.thread !== undefined) args.thread = e.thread
        if (e.address !== undefined) args.address = hex(e.address)
        if (e.error !== undefined) args.error = e.error
        out.push({
          name: `${e.error === undefined ? 'compile' : 'FAILED compile'} t${e.tier} ${hex(e.pc)}`,
          cat: 'compile',
          ph: 'X',
          ts: micros(spanStart(e)),
          dur: Math.max(0, e.durationUs),
          pid,
          tid: compileTrack(e.tier, thread),
          args,
        })
        break
      }
      case 'compileStart': {
        // The span of a finished compile comes from its compileEnd; a start matters only if no end
        // follows (a compile still running, or lost), and then shows as an instant.
        const k = openKey(e.pc, e.tier, e.background)
        const list = open.get(k)
        if (list) list.push(e)
        else open.set(k, [e])
        break
      }
      case 'run':
        out.push({
          name: `run → ${e.exitReason}`,
          cat: 'run',
          ph: 'X',
          ts: micros(spanStart(e)),
          dur: Math.max(0, e.durationUs),
          pid,
          tid: GUEST_TID,
          args: { blocksExecuted: e.blocksExecuted, exitReason: e.exitReason },
        })
        break
      case 'decision': {
        const args: Record<string, unknown> = {}
        if (e.pc !== undefined) args.pc = hex(e.pc)
        if (e.tier !== undefined) args.tier = e.tier
        if (e.action !== undefined) args.action = e.action
        if (e.reason !== undefined) args.reason = e.reason
        for (const [k, v] of Object.entries(e.data ?? {})) args[k] = typeof v === 'bigint' ? hex(v) : v
        const name = `decide${e.action ? `: ${e.action}` : ''}${e.pc !== undefined ? ` ${hex(e.pc)}` : ''}`
        if (e.durationUs !== undefined) {
          out.push({ name, cat: 'decision', ph: 'X', ts: micros(spanStart(e)), dur: Math.max(0, e.durationUs), pid, tid: GUEST_TID, args })
        } else {
          out.push({ name, cat: 'decision', ph: 'i', s: 't', ts: micros(e.ts), pid, tid: GUEST_TID, args })
        }
        break
      }
      case 'promotion':
        out.push({
          name: `promote t${e.fromTier}→t${e.toTier} ${hex(e.pc)}`,
          cat: 'promotion',
          ph: 'i',
          s: 't',
          ts: micros(e.ts),
          pid,
          tid: CACHE_TID,
          args: { pc: hex(e.pc), fromTier: e.fromTier, toTier: e.toTier },
        })
        break
      case 'eviction':
        out.push({
          name: `evict (${e.reason}) t${e.tier} ${hex(e.pc)}`,
          cat: 'eviction',
          ph: 'i',
          s: 't',
          ts: micros(e.ts),
          pid,
          tid: CACHE_TID,
          args: { pc: hex(e.pc), tier: e.tier, reason: e.reason },
        })
        break
      case 'invalidation': {
        const args: Record<string, unknown> = {}
        if (e.pc !== undefined) args.pc = hex(e.pc)
        if (e.start !== undefined) args.start = hex(e.start)
        if (e.end !== undefined) args.end = hex(e.end)
        if (e.count !== undefined) args.count = e.count
        const what = e.pc !== undefined ? hex(e.pc) : `[${e.start === undefined ? '?' : hex(e.start)}, ${e.end === undefined ? '?' : hex(e.end)})`
        out.push({ name: `invalidate ${what}`, cat: 'invalidation', ph: 'i', s: 't', ts: micros(e.ts), pid, tid: CACHE_TID, args })
        break
      }
    }
  }
  for (const list of open.values()) {
    for (const e of list) {
      out.push({
        name: `compile t${e.tier} ${hex(e.pc)} (no end recorded)`,
        cat: 'compile',
        ph: 'i',
        s: 't',
        ts: micros(e.ts ?? 0),
        pid,
        tid: compileTrack(e.tier, e.background ? (e.thread ?? 0) : undefined),
        args: { pc: hex(e.pc), tier: e.tier, background: e.background === true },
      })
    }
  }
  return { traceEvents: [...metadata(pid, names), ...out], displayTimeUnit: 'ms', otherData: { generator: 'vm-jit-native EventBasedJitMonitor', clock: 'performance.now()' } }
}

function metadata(pid: number, names: [number, string, number][]): TraceEvent[] {
  const out: TraceEvent[] = [{ name: 'process_name', ph: 'M', pid, tid: 0, args: { name: `vm-jit-native (pid ${pid})` } }]
  for (const [tid, name, sort] of names) {
    out.push({ name: 'thread_name', ph: 'M', pid, tid, args: { name } })
    out.push({ name: 'thread_sort_index', ph: 'M', pid, tid, args: { sort_index: sort } })
  }
  return out
}

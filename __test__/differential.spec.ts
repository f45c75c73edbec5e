// Differential test: random valid blocks (support/randomBlock.ts) run in the interpreter — the
// executable specification — and compiled at optLevel 'none' and 'speed', each on its own copy of
// the same random state and memory. All three must agree on the final state bytes, memory bytes,
// exit reason, pc, aux (trap code / fault address) and remaining fuel.
//
//   VMJIT_SEED         seed (decimal or 0x…; 'random' picks one and prints it); fixed by default
//   VMJIT_DIFF_COUNT   number of blocks (default 10000)
//   VMJIT_DIFF_ONLY    run just this block index (to reproduce a reported failure)
//
// It calls the binding directly (one level below CodeHandle) so it compares the raw results.

import test from 'ava'
import { native } from '../dist/native.js'
import type { NativeRunResult } from '../dist/native.js'
import { ALL_OPS, randomBlock } from './support/randomBlock.ts'

const DEFAULT_SEED = 0x5eed_2024

function seedFromEnv(): number {
  const raw = process.env.VMJIT_SEED
  if (raw === undefined || raw === '') return DEFAULT_SEED
  if (raw === 'random') return (Math.random() * 0x1_0000_0000) >>> 0
  const n = Number(raw)
  if (!Number.isInteger(n) || n < 0 || n > 0xffff_ffff) throw new Error(`VMJIT_SEED must be a u32 (or 'random'), got ${raw}`)
  return n
}

const SEED = seedFromEnv()
const COUNT = Number(process.env.VMJIT_DIFF_COUNT ?? 10_000)
const ONLY = process.env.VMJIT_DIFF_ONLY === undefined ? undefined : Number(process.env.VMJIT_DIFF_ONLY)
const OPT_LEVELS = ['none', 'speed'] as const

interface Outcome {
  engine: string
  result: NativeRunResult
  state: Uint8Array
  memory: Uint8Array
}

function describeResult(r: NativeRunResult): string {
  return `reason=${r.reason} pc=0x${r.pc.toString(16)} aux=0x${r.aux.toString(16)} fuelLeft=${r.fuelLeft}`
}

function compare(a: Outcome, b: Outcome): string | undefined {
  const ra = describeResult(a.result)
  const rb = describeResult(b.result)
  if (ra !== rb) return `${a.engine}: ${ra}\n${b.engine}: ${rb}`
  for (const [what, x, y] of [['state', a.state, b.state], ['memory', a.memory, b.memory]] as const) {
    for (let k = 0; k < x.length; k++) {
      if (x[k] !== y[k]) return `${what} byte ${k}: ${a.engine} 0x${x[k]!.toString(16)} vs ${b.engine} 0x${y[k]!.toString(16)} (${ra})`
    }
  }
  return undefined
}

test(`interpreter, optLevel none and speed agree on ${ONLY === undefined ? COUNT : 1} random blocks`, (t) => {
  const n = native()
  const coverage = new Map<string, number>()
  const failures: string[] = []
  const reasons = new Map<number, number>()
  let ops = 0
  const started = process.hrtime.bigint()
  const first = ONLY ?? 0
  const last = ONLY === undefined ? COUNT : ONLY + 1
  for (let index = first; index < last && failures.length < 3; index++) {
    const where = `seed 0x${SEED.toString(16)} (VMJIT_SEED=${SEED}) block ${index} (VMJIT_DIFF_ONLY=${index})`
    let text: (() => string) | undefined
    try {
      const c = randomBlock(SEED, index, coverage)
      const bytes = c.block.bytes
      ops += c.block.opCount
      text = () => c.block.toString()
      const s0 = c.state.slice()
      const m0 = c.memory.slice()
      const reference: Outcome = { engine: 'interpreter', result: n.interpretBlock(bytes, s0, m0, c.fuel), state: s0, memory: m0 }
      reasons.set(reference.result.reason, (reasons.get(reference.result.reason) ?? 0) + 1)
      for (const optLevel of OPT_LEVELS) {
        const code = n.compileBlock(bytes, { optLevel })
        const s = c.state.slice()
        const m = c.memory.slice()
        let result: NativeRunResult
        try {
          result = n.runCode(code.id, s, m, c.fuel)
        } finally {
          n.freeCode(code.id)
        }
        const d = compare(reference, { engine: `cranelift ${optLevel}`, result, state: s, memory: m })
        if (d !== undefined) {
          failures.push(`${where}, fuel ${c.fuel}: ${d}\n${c.block.toString()}`)
          break
        }
      }
    } catch (err) {
      const e = err as Error & { bytes?: Uint8Array }
      let dump = text ? text() : ''
      if (!dump && e.bytes) {
        try {
          dump = n.blockToText(e.bytes)
        } catch {}
      }
      failures.push(`${where}: threw ${e.stack ?? e}\n${dump}`)
    }
  }
  const ms = Number(process.hrtime.bigint() - started) / 1e6
  const names = ['exit', 'halt', 'trap', 'fault', 'fuel', 'interrupt']
  t.log(`seed 0x${SEED.toString(16)}: ${last - first} blocks, ${ops} ops in ${ms.toFixed(0)} ms; exits ${[...reasons].map(([r, k]) => `${names[r]}=${k}`).join(' ')}`)
  if (failures.length > 0) t.fail(failures.join('\n\n'))
  if (ONLY === undefined && COUNT >= 2000) {
    t.deepEqual(ALL_OPS.filter((op) => !coverage.has(op)), [], 'every op is generated')
    for (const r of [0, 1, 2, 3, 4]) t.true((reasons.get(r) ?? 0) > 0, `some block ends with ${names[r]}`)
  }
  t.pass()
})

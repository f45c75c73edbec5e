// Running one block on every engine — the interpreter and Cranelift at each optLevel — on copies
// of the same state and memory. The interpreter is the reference (docs/IR.md): every compiled
// tier must end with the same exit, the same state bytes and the same memory bytes.

import type { ExecutionContext } from 'ava'
import { CraneliftBackend, IRBuilder, Interpreter } from 'vm-jit-native'
import type { Block, OptLevel, RunExit, Value } from 'vm-jit-native'

export const OPT_LEVELS: readonly OptLevel[] = ['none', 'speed', 'speedAndSize']

const interpreter = new Interpreter()
const backends = new Map<OptLevel, CraneliftBackend>()

export function backend(optLevel: OptLevel): CraneliftBackend {
  let b = backends.get(optLevel)
  if (!b) backends.set(optLevel, (b = new CraneliftBackend({ optLevel })))
  return b
}

export interface EngineRun {
  engine: string
  exit: RunExit
  state: Uint8Array
  memory: Uint8Array
}

export interface RunAllOptions {
  fuel?: number | bigint
  optLevels?: readonly OptLevel[]
}

/** Runs `block` on the interpreter and each optLevel, each on fresh copies of state and memory. */
export function runAll(block: Block, state: Uint8Array, memory: Uint8Array, options: RunAllOptions = {}): EngineRun[] {
  const runs: EngineRun[] = []
  const fuel = options.fuel === undefined ? {} : { fuel: options.fuel }
  {
    const s = state.slice()
    const m = memory.slice()
    runs.push({ engine: 'interpreter', exit: interpreter.run(block, s, m, fuel), state: s, memory: m })
  }
  for (const optLevel of options.optLevels ?? OPT_LEVELS) {
    const code = backend(optLevel).compile(block)
    const s = state.slice()
    const m = memory.slice()
    try {
      runs.push({ engine: `cranelift ${optLevel}`, exit: code.run(s, m, fuel), state: s, memory: m })
    } finally {
      code.free()
    }
  }
  return runs
}

/** First difference between two runs, described; undefined when they agree bit for bit. */
export function difference(a: EngineRun, b: EngineRun): string | undefined {
  const ea = JSON.stringify(a.exit, bigintJson)
  const eb = JSON.stringify(b.exit, bigintJson)
  if (ea !== eb) return `exit: ${a.engine} ${ea} vs ${b.engine} ${eb}`
  const ds = firstDiff(a.state, b.state)
  if (ds >= 0) return `state byte ${ds}: ${a.engine} 0x${hex2(a.state[ds]!)} vs ${b.engine} 0x${hex2(b.state[ds]!)}`
  const dm = firstDiff(a.memory, b.memory)
  if (dm >= 0) return `memory byte ${dm}: ${a.engine} 0x${hex2(a.memory[dm]!)} vs ${b.engine} 0x${hex2(b.memory[dm]!)}`
  return undefined
}

/** Runs everywhere, asserts all engines agree with the interpreter, returns the interpreter's run. */
export function runAgreeing(
  t: ExecutionContext,
  block: Block,
  state: Uint8Array,
  memory: Uint8Array,
  options: RunAllOptions = {},
): EngineRun {
  const runs = runAll(block, state, memory, options)
  for (const r of runs.slice(1)) {
    const d = difference(runs[0]!, r)
    if (d !== undefined) t.fail(`engines disagree: ${d}\n${block.toString()}`)
  }
  return runs[0]!
}

function firstDiff(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length)
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return k
  return -1
}

function hex2(x: number): string {
  return x.toString(16).padStart(2, '0')
}

export function bigintJson(_key: string, v: unknown): unknown {
  return typeof v === 'bigint' ? `${v}n` : v
}

// ---------------------------------------------------------------------------------------------
// Evaluating one op on given operand bit patterns, on every engine.

export type ArgSpec = [type: 'i8' | 'i16' | 'i32' | 'i64' | 'f32' | 'f64', bits: bigint]

const WIDTH = { i8: 1, i16: 2, i32: 4, i64: 8, f32: 4, f64: 8 } as const

/**
 * Evaluates `build(b, ...args)` with the operands given as bit patterns, twice: once with the
 * operands as constants (so optimising tiers may fold them) and once read from guest state (so
 * they cannot). Asserts every engine agrees in both, and returns the result's bits (unsigned).
 */
export function evalOp(t: ExecutionContext, args: ArgSpec[], build: (b: IRBuilder, ...args: Value[]) => Value): bigint {
  let result: bigint | undefined
  for (const fromState of [false, true]) {
    const b = new IRBuilder({ pc: 0x100n })
    const state = new Uint8Array(8 + 8 * args.length)
    const view = new DataView(state.buffer)
    const vals = args.map(([type, bits], k) => {
      const off = 8 * (k + 1)
      if (fromState) {
        view.setBigUint64(off, bits, true)
        return b.getState(type, off)
      }
      return type === 'f32' ? b.f32Bits(bits) : type === 'f64' ? b.f64Bits(bits) : b.const(type, bits)
    })
    const r = build(b, ...vals)
    b.setState(0, r)
    b.exit(0x104n)
    const run = runAgreeing(t, b.finish(), state, new Uint8Array(16))
    t.is(run.exit.reason, 'exit')
    const bits = new DataView(run.state.buffer).getBigUint64(0, true) & ((1n << BigInt(8 * WIDTH[r.type])) - 1n)
    if (result !== undefined && bits !== result) t.fail(`constant and state operands disagree: ${result} vs ${bits}`)
    result = bits
  }
  return result!
}

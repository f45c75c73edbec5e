// Machine: one RISC-V Linux process. It loads the executable, owns guest memory and the register
// file, and runs the guest through an Engine, handling what blocks hand back: system calls
// (ecall traps), host-emulated instructions, and fatal conditions (memory faults → SIGSEGV,
// illegal instructions → SIGILL), until the guest exits.

import { readFileSync, realpathSync } from 'node:fs'
import type { RunExit } from 'vm-jit-native'
import { createEngine } from './engine/createEngine.ts'
import type { EngineKind } from './engine/createEngine.ts'
import type { Engine, Tier } from './engine/Engine.ts'
import { loadElf } from './loader.ts'
import type { LoadedProgram } from './loader.ts'
import { DEFAULT_MEMORY_SIZE, GuestMemory } from './memory.ts'
import { GuestState, STATE_SIZE, X_NAMES } from './state.ts'
import { FdTable } from './syscalls/fd.ts'
import { doSyscall, GuestExit } from './syscalls/index.ts'
import type { GuestIO, SyscallContext } from './syscalls/index.ts'
import { emulateHostInsn } from './hostInsn.ts'
import { bitsHex } from './translate/insn.ts'
import { fetchDecode } from './translate/fetch.ts'
import { fpApproximations } from './translate/fp.ts'
import { Translator } from './translate/translator.ts'
import type { TranslatorOptions } from './translate/translator.ts'
import { processIO } from './io.ts'
import { returnTrapSite, TRAP_EBREAK, TRAP_ECALL, TRAP_FETCH_FAULT, TRAP_HOST_INSN, TRAP_ILLEGAL, TRAP_INDIRECT_CALL, TRAP_RETURN_BASE } from './traps.ts'

/** Loop iterations between exits of a loop running inside one block (tiered runtime). */
export const LOOP_EXIT_INTERVAL = 0

export interface MachineOptions {
  /** Execution strategy (default 'tiered'). */
  tier?: Tier
  /** argv[0] first (default: the program's path). */
  argv?: string[]
  /** Environment strings "NAME=value" (default: none). */
  env?: string[]
  /** Guest memory size in bytes (default 256 MiB). */
  memorySize?: number
  /** Standard streams (default: this process's). */
  io?: GuestIO
  /** Diagnostics (--verbose); default: none. */
  verbose?: (msg: string) => void
  /** Fatal-signal messages ("segmentation fault at …"); default: stderr. */
  onFatal?: (msg: string) => void
  /** Translation options (region size; instruction counting). */
  translator?: TranslatorOptions
  /** Host path of the executable (for /proc/self/exe). */
  exePath?: string
  /** Collect statistics for report() (the tiered runtime's performance monitor). */
  stats?: boolean
  /** 'runtime' (TieredCompiler, default) or 'blocks' (the emulator's per-block loop). */
  engine?: EngineKind
}

export interface MachineResult {
  exitCode: number
  /** Set when the guest was killed by a signal (SIGSEGV, SIGILL, SIGABRT…). */
  signal?: string
  /** Guest instructions retired (when translator.countInstructions is set). */
  instructions?: bigint
}

export class Machine {
  readonly memory: GuestMemory
  readonly state: GuestState
  readonly translator: Translator
  readonly engine: Engine
  readonly program: LoadedProgram
  readonly #ctx: SyscallContext
  readonly #onFatal: (msg: string) => void
  readonly #verbose: (msg: string) => void
  #result: MachineResult | undefined

  static fromFile(path: string, options: MachineOptions = {}): Machine {
    return new Machine(readFileSync(path), { exePath: realpathSync(path), argv: [path], ...options })
  }

  constructor(image: Uint8Array, options: MachineOptions = {}) {
    const tier = options.tier ?? 'tiered'
    this.memory = new GuestMemory(options.memorySize ?? DEFAULT_MEMORY_SIZE)
    this.state = new GuestState()
    const argv = options.argv ?? ['program']
    this.program = loadElf(this.memory, image, { argv, env: options.env ?? [], execPath: argv[0] })
    this.state.setX(2, this.program.sp)
    // The tiered policy counts block entries: let loops leave their block now and then (chained,
    // nearly free) so that hot loops are seen and optimised. Fixed tiers keep loops inside.
    const tieredRuntime = tier === 'tiered' && (options.engine ?? 'runtime') === 'runtime'
    const loopExitInterval = tieredRuntime ? LOOP_EXIT_INTERVAL : 0
    // The tiered runtime runs in fuel slices (decision points), so loops must leave a complete
    // register file at back edges; the other engines run with unlimited fuel.
    // Indirect-call learning (translator option `learnIndirect`) is off: since the runtime's jump
    // cache serves exits to computed pcs without the dispatch loop, trapping to learn targets and
    // translating and compiling the block again cost more than the compare chains they bought
    // (strings −3 %, qsort −3 %, recursion −1 % without it; README "Returns and indirect calls").
    this.translator = new Translator(this.memory.bytes, { loopExitInterval, backEdgeSync: tieredRuntime, ...options.translator })
    this.#verbose = options.verbose ?? (() => {})
    this.#onFatal = options.onFatal ?? ((msg) => process.stderr.write(`vm-jit-riscv: ${msg}\n`))
    this.engine = createEngine(tier, {
      translate: (pc, warm) => this.translator.translateRegion(pc, warm),
      backEdgeTarget: (pc) => this.translator.backEdgeTarget(pc),
      state: this.state.bytes,
      memory: this.memory.bytes,
      stateSize: STATE_SIZE,
      stats: options.stats,
      describe: () => this.#describe(),
    }, options.engine)
    this.#ctx = {
      memory: this.memory,
      state: this.state,
      fds: new FdTable(),
      io: options.io ?? processIO(),
      exePath: options.exePath ?? argv[0],
      verbose: this.#verbose,
      startMs: performance.now(),
      exit: (code: number, signal?: string): never => {
        throw new GuestExit(code, signal)
      },
    }
  }

  /** Runs the guest to its end; returns its exit code (128 + signal number when killed). */
  run(): MachineResult {
    if (this.#result !== undefined) return this.#result
    let pc = BigInt(this.program.entry)
    try {
      for (;;) pc = this.#handle(this.engine.run(pc))
    } catch (err) {
      if (!(err instanceof GuestExit)) throw err
      this.#result = { exitCode: err.code, signal: err.signal }
    } finally {
      this.#ctx.fds.closeAll()
    }
    if (this.translator.countInstructions) this.#result.instructions = this.state.instructionCount
    return this.#result
  }

  /** What to do about an exit from the engine; returns the pc to continue at. */
  #handle(exit: RunExit): bigint {
    const pc = exit.pc
    this.state.pc = pc
    switch (exit.reason) {
      case 'trap':
        if (exit.trapCode! >= TRAP_RETURN_BASE) {
          // A ret to a site it did not predict: learn it; its block is translated again.
          const ret = returnTrapSite(exit.trapCode!)
          if (this.translator.learnReturn(ret, Number(pc))) this.engine.retranslate?.(BigInt(ret), BigInt(ret + 2))
          return pc
        }
        switch (exit.trapCode) {
          case TRAP_INDIRECT_CALL: {
            // Learn the target; the call site's block is translated again to predict it.
            const call = this.translator.learnIndirectCall(Number(pc), Number(this.state.ux(1)))
            if (call !== undefined) this.engine.retranslate?.(BigInt(call.site), BigInt(call.site + call.len))
            return pc
          }
          case TRAP_ECALL:
            doSyscall(this.#ctx)
            return pc + 4n
          case TRAP_HOST_INSN: {
            const len = emulateHostInsn(this.memory, this.state, Number(pc))
            if (len === 0) return this.#fatal(4, 'SIGILL', `illegal instruction ${this.#insnAt(pc)} at pc 0x${pc.toString(16)}`)
            return pc + BigInt(len)
          }
          case TRAP_ILLEGAL:
            return this.#fatal(4, 'SIGILL', `illegal instruction ${this.#insnAt(pc)} at pc 0x${pc.toString(16)}`)
          case TRAP_EBREAK:
            return this.#fatal(5, 'SIGTRAP', `breakpoint (ebreak) at pc 0x${pc.toString(16)}`)
          case TRAP_FETCH_FAULT:
            return this.#fatal(11, 'SIGSEGV', `segmentation fault: cannot fetch an instruction at pc 0x${pc.toString(16)}`)
          default:
            throw new Error(`vm-jit-riscv: unknown trap code ${exit.trapCode} at pc 0x${pc.toString(16)}`)
        }
      case 'fault':
        return this.#fatal(
          11,
          'SIGSEGV',
          `segmentation fault: access to 0x${BigInt.asUintN(64, exit.faultAddress ?? 0n).toString(16)} at pc 0x${pc.toString(16)} ` +
            `(guest memory is 0..0x${this.memory.size.toString(16)})`,
        )
      case 'fuel':
      case 'interrupt':
        if (this.translator.registers !== 'state' && !this.translator.backEdgeSync) {
          throw new Error(`vm-jit-riscv: unexpected ${exit.reason} exit at pc 0x${pc.toString(16)}: blocks were translated for unlimited fuel (registers are not stored at back edges), so the guest cannot resume`)
        }
        return pc
      case 'halt':
        throw new GuestExit(0)
      default:
        throw new Error(`vm-jit-riscv: unexpected exit ${exit.reason} at pc 0x${pc.toString(16)}`)
    }
  }

  #insnAt(pc: bigint): string {
    const i = fetchDecode(this.memory.bytes, Number(pc))
    return i ? bitsHex(i) : '(unreadable)'
  }

  #fatal(signo: number, signal: string, msg: string): never {
    const regs = [1, 2, 10, 11].map((r) => `${X_NAMES[r]}=0x${this.state.ux(r).toString(16)}`).join(' ')
    this.#onFatal(`${signal}: ${msg} [${regs}]`)
    throw new GuestExit(128 + signo, signal)
  }

  #describe(): string[] {
    const t = this.translator.stats
    const lines = [
      `guest insns translated ${t.guestInstructions} (${(t.guestInstructions / Math.max(1, t.blocks)).toFixed(1)} per block, ${(t.irOps / Math.max(1, t.guestInstructions)).toFixed(1)} IR ops per insn)`,
    ]
    if (this.translator.countInstructions) lines.push(`guest insns retired    ${this.state.instructionCount}`)
    if (fpApproximations.staticRoundingIgnored > 0) {
      lines.push(`fp ops with a static rounding mode translated as RNE: ${fpApproximations.staticRoundingIgnored}`)
    }
    return lines
  }

  /** The engine's JIT report (--stats). */
  report(): string {
    return this.engine.report()
  }

  dispose(): void {
    this.engine.dispose()
  }
}

// Translator: guest code at a pc → one verified IR Block (see region.ts for what goes in it).
//
// Every guest instruction that can stop the block where it is — a memory access (fault) or a
// branch/jump that may be a back edge (fuel) — starts with `mark pc`, so faults and fuel exits
// name it exactly. (Other instructions cannot report a pc, so their marks would only cost IR.)
// Branches whose target is inside the region become IR branches to labels (back edges included:
// loops run inside the block); others exit with the constant target pc. An indirect jump first
// tries the region's "indirect entry points" (code after an unconditional jump, typically switch
// cases) with a binary search on the target, and exits with the computed pc if none matches; a
// return compares with the return sites it can predict (returns.ts).
// ecall traps (TRAP_ECALL) with the ecall's pc; the host resumes at pc + 4.

import { IRWriter } from 'vm-jit-native'
import type { Block, IcmpCondition, LabelId as Label, ValueId as Value } from 'vm-jit-native'
import { INSN_COUNT_OFFSET } from '../state.ts'
import { returnTrapCode, TRAP_EBREAK, TRAP_ECALL, TRAP_FETCH_FAULT, TRAP_HOST_INSN, TRAP_ILLEGAL, TRAP_INDIRECT_CALL } from '../traps.ts'
import { csrNeedsHost, emitFloatCsr, isCsr } from './csr.ts'
import { Emitter } from './emitter.ts'
import { emitFp } from './fp.ts'
import { DecodeCache, fetchDecode } from './fetch.ts'
import { K_BRANCH, K_JAL, K_JALR, K_MEMORY } from './insn.ts'
import type { Insn } from './insn.ts'
import { emitInt } from './int.ts'
import { emitMem } from './mem.ts'
import { xReads, xWrites } from './regs.ts'
import { ReturnSites } from './returns.ts'
import { IndirectCalls } from './indirect.ts'
import type { IndirectCall } from './indirect.ts'
import { DEFAULT_REGION, isSwitchJump, scanRegion, staticTarget, stopsFlow } from './region.ts'
import type { Region, RegionOptions } from './region.ts'

export interface TranslatorOptions extends Partial<RegionOptions> {
  /** Add the number of guest instructions retired to the state's counter (INSN_COUNT_OFFSET). */
  countInstructions?: boolean
  /**
   * Leave the block (a constant exit to the loop head, which the runtime chains) on every Nth
   * iteration of a loop that runs inside it (N a power of two; 0 = never). The tiered runtime
   * counts block entries, not loop iterations, so without this a hot loop inside a block that
   * was entered once would never look hot enough to be optimised.
   */
  loopExitInterval?: number
  /**
   * With registers in locals: store the registers to the state buffer before every loop back edge too,
   * so that a fuel or interrupt exit there can be resumed (default true). Engines that run blocks
   * with unlimited fuel and never interrupt can turn it off: loops then keep guest registers in
   * host registers. (With registers in the state buffer it is always complete at back edges.)
   */
  backEdgeSync?: boolean
  /**
   * Where x registers live between segments (see emitter.ts): 'state' (default: the state
   * buffer), 'locals' (IR locals for the whole block: loaded on entry, stored at exits), or
   * 'loops' (locals in blocks that contain a loop, the state buffer in the others). Both local
   * strategies measured slower on the benchmark programs (bench/riscv.js) than 'state'.
   */
  registers?: 'state' | 'locals' | 'loops'
  /**
   * Indirect calls and returns trap to the host on targets they do not predict yet
   * (TRAP_INDIRECT_CALL, indirect.ts; TRAP_RETURN_BASE, returns.ts); for engines that chain
   * blocks and can translate them again. Default false.
   */
  learnIndirect?: boolean
}

export interface Translation {
  block: Block
  /** Guest bytes the block covers. */
  guestSize: number
  /** Would a translation with learning (translateRegion's `learn`) differ? */
  learnable: boolean
}

export interface TranslationStats {
  blocks: number
  guestInstructions: number
  irOps: number
  /** Microseconds spent decoding and building IR (including the native verifier). */
  micros: number
}

const BRANCH_CC: Record<string, IcmpCondition> = { beq: 'eq', bne: 'ne', blt: 'slt', bge: 'sge', bltu: 'ult', bgeu: 'uge' }

export class Translator {
  readonly memory: Uint8Array
  readonly options: RegionOptions
  readonly countInstructions: boolean
  readonly loopExitInterval: number
  readonly backEdgeSync: boolean
  readonly registers: 'state' | 'locals' | 'loops'
  readonly learnIndirect: boolean
  /** Learning traps in the block being translated. */
  #learn = false
  /** The block being translated has a site that could learn (a warm translation would differ). */
  #learnable = false
  /** Calls seen so far, for return prediction. */
  readonly returns = new ReturnSites()
  /** Targets seen at indirect call sites (indirect.ts). */
  readonly indirect = new IndirectCalls()
  readonly stats: TranslationStats = { blocks: 0, guestInstructions: 0, irOps: 0, micros: 0 }
  /** Instructions decoded so far, by pc (checked against memory on every use). */
  readonly #decoded: DecodeCache
  /** Writes every block (one emitter, reset per block). */
  #emitter: Emitter | undefined

  constructor(memory: Uint8Array, options: TranslatorOptions = {}) {
    this.memory = memory
    this.#decoded = new DecodeCache(memory)
    this.options = { ...DEFAULT_REGION, ...stripUndefined(options) }
    this.countInstructions = options.countInstructions ?? false
    this.loopExitInterval = options.loopExitInterval ?? 0
    this.backEdgeSync = options.backEdgeSync ?? true
    this.registers = options.registers ?? 'state'
    this.learnIndirect = options.learnIndirect ?? false
    if (this.loopExitInterval & (this.loopExitInterval - 1)) throw new RangeError('loopExitInterval must be a power of two (or 0)')
  }

  /** The block for guest code at `pc`. */
  translate(pc: bigint | number): Block {
    return this.translateRegion(pc).block
  }

  /**
   * The block for guest code at `pc`, and how many guest bytes it covers. `learn` (default: the
   * learnIndirect option) lets its indirect calls and returns trap to learn targets; an engine
   * may leave it off for cold code, where learning costs more than it saves.
   */
  translateRegion(pc: bigint | number, learn = this.learnIndirect): Translation {
    const t0 = performance.now()
    const entry = Number(pc)
    const region = scanRegion(this.#decoded, entry, this.options)
    this.#learn = learn && this.learnIndirect
    this.#learnable = false
    const block = this.#emit(region)
    this.stats.blocks++
    this.stats.guestInstructions += region.insns.length
    this.stats.irOps += block.opCount
    this.stats.micros += (performance.now() - t0) * 1000
    return { block, guestSize: Math.max(2, region.end - entry), learnable: this.#learnable }
  }

  /**
   * A TRAP_INDIRECT_CALL to `target` with return address `ra`: learns the pair — also as a call,
   * for return prediction — and returns the call site if it is new (its block should be
   * translated again to predict it).
   */
  learnIndirectCall(target: number, ra: number): IndirectCall | undefined {
    const call = this.indirect.learn(this.memory, target, ra)
    if (call !== undefined) this.returns.addCall(target, ra)
    return call
  }

  /** A ret at `retPc` trapped returning to `site`: true if new (translate its block again). */
  learnReturn(retPc: number, site: number): boolean {
    return this.returns.learn(retPc, site)
  }

  /** The target of the jump or branch at `pc` if it goes backwards (a loop's back edge). */
  backEdgeTarget(pc: number): number | undefined {
    const i = fetchDecode(this.memory, pc)
    const t = i === undefined ? undefined : staticTarget(i, pc)
    return t !== undefined && t <= pc ? t : undefined
  }

  /** The region a block at `pc` would cover (for tools and tests). */
  region(pc: number): Region {
    return scanRegion(this.#decoded, pc, this.options)
  }

  #emit(r: Region): Block {
    const b = new IRWriter({ pc: r.entry })
    const e = (this.#emitter ??= new Emitter({ backEdgeSync: this.backEdgeSync }))
    e.begin(b)
    if (r.fetchFault) {
      e.trap(TRAP_FETCH_FAULT, r.entry)
      return e.finish()
    }
    // With registers in locals the block keeps every x register it mentions in a local. `upTo[k]`:
    // registers written by instructions 0..k. With back-edge syncs, everything written since the last store
    // to the state was written by an instruction at or before the current one (paths only go
    // backwards through a back edge, where the registers are stored), so an exit at k stores
    // upTo[k]; without them an exit inside a loop may follow later instructions: store them all.
    let used = 0
    let written = 0
    const upTo: number[] = []
    if (this.registers !== 'state') {
      for (const i of r.insns) {
        used |= xReads(i) | xWrites(i)
        written |= xWrites(i)
        upTo.push(written >>> 0)
      }
      const hasLoop = r.insns.some((i, k) => {
        const t = staticTarget(i, r.pcs[k])
        return (t !== undefined && t <= r.pcs[k] && r.index.has(t)) || isSwitchJump(r.insns, k)
      })
      if (this.registers === 'locals' || hasLoop) e.prologue(used)
    }
    // Labels: internal branch targets, and the instruction after each conditional branch.
    const labels = new Map<number, Label>()
    const labelAt = (pc: number): Label => {
      let l = labels.get(pc)
      if (l === undefined) {
        l = b.label()
        labels.set(pc, l)
      }
      return l
    }
    const inside = (pc: number): boolean => r.index.has(pc)
    // Indirect entry points: instructions right after one that does not fall through.
    const indirect: number[] = []
    for (let k = 0; k < r.insns.length; k++) {
      const i = r.insns[k]
      const pc = r.pcs[k]
      const t = staticTarget(i, pc)
      if (t !== undefined && inside(t) && ((i.kind & K_BRANCH) !== 0 || i.rd === 0)) labelAt(t)
      if ((i.kind & K_BRANCH) !== 0 && inside(pc + i.len)) labelAt(pc + i.len)
      if (k + 1 < r.insns.length && stopsFlow(i)) indirect.push(r.pcs[k + 1])
    }
    // The entry points nearest the (first) indirect jump, in address order.
    const jr = r.insns.findIndex((_, k) => isSwitchJump(r.insns, k))
    const dispatch =
      jr < 0
        ? []
        : indirect
            .sort((a, b) => Math.abs(a - r.pcs[jr]) - Math.abs(b - r.pcs[jr]))
            .slice(0, MAX_INDIRECT_TARGETS)
            .sort((a, b) => a - b)
    for (const pc of dispatch) labelAt(pc)

    for (let k = 0; k < r.insns.length; k++) {
      const i = r.insns[k]
      const pc = r.pcs[k]
      const l = labels.get(pc)
      if (l !== undefined) e.bind(l)
      else e.ensureOpen()
      if (this.countInstructions && (k === 0 || l !== undefined || stopsFlow(r.insns[k - 1]) || (r.insns[k - 1].kind & K_BRANCH) !== 0)) {
        this.#count(e, r, k, labels)
      }
      if (upTo.length > 0) e.exitSyncMask = this.backEdgeSync ? upTo[k] : written
      if (needsMark(i, pc, labels)) b.mark(pc)
      this.#insn(e, i, pc, r, labels, inside, dispatch)
    }
    // Fell off the end of the region: continue at the next address.
    if (!e.terminated) e.exit(r.end)
    return e.finish()
  }

  /**
   * An indirect jump: exits to each of `likely` as a constant (chainable) pc if it is the target;
   * otherwise traps with `learnTrap` (the host learns the target) or exits with the computed pc.
   */
  #predictExit(e: Emitter, target: Value, likely: readonly number[], learnTrap?: number): void {
    const b = e.b
    for (const site of likely) {
      const hit = b.label()
      const miss = b.label()
      e.branchIf(b.icmp('eq', target, e.i64(site)), hit, miss)
      e.bind(hit)
      e.exit(site)
      e.bind(miss)
    }
    if (learnTrap !== undefined) e.trapTo(learnTrap, target)
    else e.exitTo(target)
  }

  /** A loop back edge to `label` (guest `target`) that exits to `target` every loopExitInterval-th time. */
  #backEdge(e: Emitter, target: number, label: Label): void {
    const b = e.b
    e.loopCounter ??= b.local('i32')
    const n = b.add(b.get(e.loopCounter), e.i32(1))
    b.set(e.loopCounter, n)
    const stay = b.icmp('ne', b.and(n, e.i32(this.loopExitInterval - 1)), e.i32(0))
    const leave = b.label()
    e.branchIf(stay, label, leave)
    e.bind(leave)
    e.exit(target)
  }

  /**
   * Jumps to the label of `target` if it is one of `pcs` (sorted), by binary search; otherwise
   * exits to it.
   */
  #dispatch(e: Emitter, target: Value, pcs: number[], labels: Map<number, Label>): void {
    const b = e.b
    const search = (lo: number, hi: number): void => {
      if (hi - lo <= 2) {
        for (let k = lo; k < hi; k++) {
          const miss = b.label()
          e.branchIf(b.icmp('eq', target, e.i64(pcs[k])), labels.get(pcs[k])!, miss)
          e.bind(miss)
        }
        e.exitTo(target)
        return
      }
      const mid = (lo + hi) >> 1
      const low = b.label()
      const high = b.label()
      e.branchIf(b.icmp('ult', target, e.i64(pcs[mid])), low, high)
      e.bind(low)
      search(lo, mid)
      e.bind(high)
      search(mid, hi)
    }
    search(0, pcs.length)
  }

  /** Adds the length of the straight-line run starting at insn `k` to the instruction counter. */
  #count(e: Emitter, r: Region, k: number, labels: Map<number, Label>): void {
    let n = 0
    for (let j = k; j < r.insns.length; j++) {
      n++
      const i = r.insns[j]
      if (stopsFlow(i) || (i.kind & K_BRANCH) !== 0) break
      if (j + 1 < r.insns.length && labels.has(r.pcs[j + 1])) break
    }
    const b = e.b
    b.setState(INSN_COUNT_OFFSET, b.add(b.getState('i64', INSN_COUNT_OFFSET), e.i64(n)))
  }

  #insn(e: Emitter, i: Insn, pc: number, r: Region, labels: Map<number, Label>, inside: (pc: number) => boolean, dispatch: number[]): void {
    const b = e.b
    const next = pc + i.len
    switch (i.op) {
      case 'jal': {
        const target = pc + i.imm
        if (i.rd === 1) this.returns.addCall(target, next)
        if (i.rd !== 0) e.setXConst(i.rd, BigInt(next))
        if (i.rd === 0 && labels.has(target)) {
          if (target <= pc && this.loopExitInterval > 0) this.#backEdge(e, target, labels.get(target)!)
          else e.jump(labels.get(target)!)
        } else e.exit(target)
        return
      }
      case 'jalr': {
        const known = e.knownX(i.rs1)
        if (known !== undefined) {
          // A constant target (e.g. a return to a call made earlier in this segment).
          const target = Number(BigInt.asUintN(64, known + BigInt(i.imm)) & ~1n)
          if (i.rd !== 0) e.setXConst(i.rd, BigInt(next))
          if (i.rd === 0 && labels.has(target)) e.jump(labels.get(target)!)
          else e.exit(target)
          return
        }
        const base = e.getX(i.rs1)
        const sum = i.imm === 0 ? base : b.add(base, e.i64(i.imm))
        const target = b.and(sum, e.i64(-2))
        if (i.rd !== 0) e.setXConst(i.rd, BigInt(next))
        if (i.rd === 0 && i.rs1 !== 1 && dispatch.length > 0) this.#dispatch(e, target, dispatch, labels)
        // A return: the known return sites of this function (returns.ts).
        else if (i.rd === 0 && i.rs1 === 1 && i.imm === 0) {
          const learn = this.#learn && this.returns.learning(pc)
          this.#learnable ||= this.learnIndirect && this.returns.learning(pc)
          this.#predictExit(e, target, this.returns.predict(pc), learn ? returnTrapCode(pc) : undefined)
        }
        // An indirect call: the targets seen there (indirect.ts).
        else if (i.rd === 1) {
          this.#learnable ||= this.learnIndirect && this.indirect.learning(pc)
          this.#predictExit(e, target, this.indirect.targetsFor(pc), this.#learn && this.indirect.learning(pc) ? TRAP_INDIRECT_CALL : undefined)
        }
        else e.exitTo(target)
        return
      }
      case 'beq': case 'bne': case 'blt': case 'bge': case 'bltu': case 'bgeu': {
        const target = pc + i.imm
        const cond = b.icmp(BRANCH_CC[i.op], e.getX(i.rs1), e.getX(i.rs2))
        const back = target <= pc && labels.has(target) && this.loopExitInterval > 0
        const taken = back ? b.label() : (labels.get(target) ?? b.label())
        const fall = inside(next) ? labels.get(next)! : b.label()
        e.branchIf(cond, taken, fall)
        if (back) {
          e.bind(taken)
          this.#backEdge(e, target, labels.get(target)!)
        } else if (!labels.has(target)) {
          e.bind(taken)
          e.exit(target)
        }
        if (!inside(next)) {
          e.bind(fall)
          e.exit(next)
        }
        return
      }
      case 'ecall':
        e.trap(TRAP_ECALL, pc)
        return
      case 'ebreak':
        e.trap(TRAP_EBREAK, pc)
        return
      case 'illegal':
        e.trap(TRAP_ILLEGAL, pc)
        return
      case 'fence': case 'fence.i':
        return
    }
    if (isCsr(i)) {
      if (csrNeedsHost(i)) e.trap(TRAP_HOST_INSN, pc)
      else emitFloatCsr(e, i)
      return
    }
    if (emitInt(e, i, pc) || emitMem(e, i) || emitFp(e, i)) return
    // The decoder produced an op no emitter handles: a translator bug, reported as SIGILL.
    e.trap(TRAP_ILLEGAL, pc)
  }
}

/** Most indirect entry points a block dispatches to itself (beyond that: exit to the runtime). */
const MAX_INDIRECT_TARGETS = 64

/**
 * Can the instruction stop the block at its own pc: a memory access (fault), or a jump back to a
 * label (fuel at a back edge; an indirect jump may dispatch backwards)?
 */
function needsMark(i: Insn, pc: number, labels: Map<number, Label>): boolean {
  const k = i.kind
  if ((k & (K_MEMORY | K_JALR)) !== 0) return true
  return (k & (K_BRANCH | K_JAL)) !== 0 && i.imm <= 0 && labels.has(pc + i.imm)
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>
}

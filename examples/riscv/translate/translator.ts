// Translator: guest code at a pc → one verified IR Block (see region.ts for what goes in it).
//
// Every guest instruction starts with `mark pc`, so faults and fuel exits name it. Branches whose
// target is inside the region become IR branches to labels (back edges included: loops run inside
// the block); others exit with the constant target pc. Indirect jumps exit with the computed pc.
// ecall traps (TRAP_ECALL) with the ecall's pc; the host resumes at pc + 4.

import { IRBuilder } from 'vm-jit-native'
import type { Block, IcmpCondition, Label } from 'vm-jit-native'
import { INSN_COUNT_OFFSET } from '../state.ts'
import { TRAP_EBREAK, TRAP_ECALL, TRAP_FETCH_FAULT, TRAP_HOST_INSN, TRAP_ILLEGAL } from '../traps.ts'
import { csrNeedsHost, emitFloatCsr, isCsr } from './csr.ts'
import { Emitter } from './emitter.ts'
import { emitFp } from './fp.ts'
import { isConditionalBranch } from './insn.ts'
import type { Insn } from './insn.ts'
import { emitInt } from './int.ts'
import { emitMem } from './mem.ts'
import { DEFAULT_REGION, scanRegion, staticTarget, stopsFlow } from './region.ts'
import type { Region, RegionOptions } from './region.ts'

export interface TranslatorOptions extends Partial<RegionOptions> {
  /** Add the number of guest instructions retired to the state's counter (INSN_COUNT_OFFSET). */
  countInstructions?: boolean
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
  readonly stats: TranslationStats = { blocks: 0, guestInstructions: 0, irOps: 0, micros: 0 }

  constructor(memory: Uint8Array, options: TranslatorOptions = {}) {
    this.memory = memory
    this.options = { ...DEFAULT_REGION, ...stripUndefined(options) }
    this.countInstructions = options.countInstructions ?? false
  }

  /** The block for guest code at `pc`. */
  translate(pc: bigint | number): Block {
    const t0 = performance.now()
    const entry = Number(pc)
    const region = scanRegion(this.memory, entry, this.options)
    const block = this.#emit(region)
    this.stats.blocks++
    this.stats.guestInstructions += region.insns.length
    this.stats.irOps += block.opCount
    this.stats.micros += (performance.now() - t0) * 1000
    return block
  }

  /** The region a block at `pc` would cover (for tools and tests). */
  region(pc: number): Region {
    return scanRegion(this.memory, pc, this.options)
  }

  #emit(r: Region): Block {
    const b = new IRBuilder({ pc: BigInt(r.entry) })
    const e = new Emitter(b)
    if (r.fetchFault) {
      e.trap(TRAP_FETCH_FAULT, r.entry)
      return e.finish()
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
    for (let k = 0; k < r.insns.length; k++) {
      const i = r.insns[k]
      const pc = r.pcs[k]
      const t = staticTarget(i, pc)
      if (t !== undefined && inside(t) && (isConditionalBranch(i.op) || i.rd === 0)) labelAt(t)
      if (isConditionalBranch(i.op) && inside(pc + i.len)) labelAt(pc + i.len)
    }

    for (let k = 0; k < r.insns.length; k++) {
      const i = r.insns[k]
      const pc = r.pcs[k]
      const l = labels.get(pc)
      if (l !== undefined) e.bind(l)
      else e.ensureOpen()
      if (this.countInstructions && (k === 0 || l !== undefined || stopsFlow(r.insns[k - 1]) || isConditionalBranch(r.insns[k - 1].op))) {
        this.#count(e, r, k, labels)
      }
      b.mark(pc)
      this.#insn(e, i, pc, r, labels, inside)
    }
    // Fell off the end of the region: continue at the next address.
    if (!e.terminated) e.exit(r.end)
    return e.finish()
  }

  /** Adds the length of the straight-line run starting at insn `k` to the instruction counter. */
  #count(e: Emitter, r: Region, k: number, labels: Map<number, Label>): void {
    let n = 0
    for (let j = k; j < r.insns.length; j++) {
      n++
      const i = r.insns[j]
      if (stopsFlow(i) || isConditionalBranch(i.op)) break
      if (j + 1 < r.insns.length && labels.has(r.pcs[j + 1])) break
    }
    const b = e.b
    b.setState(INSN_COUNT_OFFSET, b.add(b.getState('i64', INSN_COUNT_OFFSET), e.i64(n)))
  }

  #insn(e: Emitter, i: Insn, pc: number, r: Region, labels: Map<number, Label>, inside: (pc: number) => boolean): void {
    const b = e.b
    const next = pc + i.len
    switch (i.op) {
      case 'jal': {
        const target = pc + i.imm
        if (i.rd !== 0) e.setXConst(i.rd, BigInt(next))
        if (i.rd === 0 && labels.has(target)) e.jump(labels.get(target)!)
        else e.exit(target)
        return
      }
      case 'jalr': {
        const base = e.getX(i.rs1)
        const sum = i.imm === 0 ? base : b.add(base, e.i64(i.imm))
        const target = b.and(sum, e.i64(-2))
        if (i.rd !== 0) e.setXConst(i.rd, BigInt(next))
        e.exit(target)
        return
      }
      case 'beq': case 'bne': case 'blt': case 'bge': case 'bltu': case 'bgeu': {
        const target = pc + i.imm
        const cond = b.icmp(BRANCH_CC[i.op], e.getX(i.rs1), e.getX(i.rs2))
        const taken = labels.get(target) ?? b.label()
        const fall = inside(next) ? labels.get(next)! : b.label()
        e.branchIf(cond, taken, fall)
        if (!labels.has(target)) {
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

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>
}

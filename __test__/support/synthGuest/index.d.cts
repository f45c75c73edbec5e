// Types of the synthetic guest (index.cjs).
import type { Block } from 'vm-jit-native'

export declare const OP: Readonly<Record<'halt' | 'li' | 'add' | 'sub' | 'mul' | 'xor' | 'shl' | 'and' | 'or' | 'shr' | 'addi' | 'ld' | 'st' | 'lb' | 'sb' | 'beq' | 'bne' | 'blt' | 'j' | 'jal' | 'ret' | 'ecall', number>>
export declare const TRAP: Readonly<{ PUTC: number; PUT64: number; SMC: number; ILLEGAL: number; FETCH: number }>
export declare const INSN_BYTES: 8
export declare const NREGS: 16
export declare const SP: 15
export declare const STATE_BYTES: 128
export declare const MAX_BLOCK_INSNS: number
export declare const CODE_BASE: number
export declare const DATA_BASE: number
export declare const MEMORY_SIZE: number
export declare const ALL_SECTIONS: readonly SectionName[]

export interface Insn {
  op: number
  rd: number
  rs1: number
  rs2: number
  imm: number
}
export declare function encode(op: number, rd?: number, rs1?: number, rs2?: number, imm?: number): Uint8Array
export declare function decode(view: DataView, at: number): Insn
export declare function disassemble(insn: Insn): string

export declare class Label {
  readonly name: string | undefined
  readonly at: number | undefined
}
export declare class Assembler {
  constructor(options?: { base?: number })
  pc: number
  label(name?: string): Label
  bind(label: Label | string): this
  here(name?: string): Label
  halt(): this
  li(rd: number, imm: number): this
  add(rd: number, rs1: number, rs2: number): this
  sub(rd: number, rs1: number, rs2: number): this
  mul(rd: number, rs1: number, rs2: number): this
  xor(rd: number, rs1: number, rs2: number): this
  and(rd: number, rs1: number, rs2: number): this
  or(rd: number, rs1: number, rs2: number): this
  shl(rd: number, rs1: number, rs2: number): this
  shr(rd: number, rs1: number, rs2: number): this
  addi(rd: number, rs1: number, imm: number): this
  ld(rd: number, rs1: number, imm?: number): this
  st(rs2: number, rs1: number, imm?: number): this
  lb(rd: number, rs1: number, imm?: number): this
  sb(rs2: number, rs1: number, imm?: number): this
  beq(rs1: number, rs2: number, target: Label): this
  bne(rs1: number, rs2: number, target: Label): this
  blt(rs1: number, rs2: number, target: Label): this
  j(target: Label): this
  jal(target: Label): this
  ret(): this
  ecall(code: number): this
  words(values: ReadonlyArray<bigint | number>): this
  bytes(bytes: ArrayLike<number>): this
  align(n: number): this
  org(at: number): this
  image(memorySize: number): { memory: Uint8Array; labels: Record<string, number>; codeStart: number; codeEnd: number }
}

export interface Translation {
  block: Block
  guestSize: number
}
export type Translate = (pc: bigint) => Translation
export declare function makeTranslator(memory: Uint8Array, options?: { onTranslate?: (pc: bigint) => void }): Translate

export type SectionName = 'loops' | 'calls' | 'phases' | 'smc'
export interface Program {
  name: string
  sections: SectionName[]
  scale: number
  seed: number
  /** The initial guest memory image (copy it: runs write memory). */
  memory: Uint8Array
  labels: Record<string, number>
  entry: bigint
  codeStart: number
  codeEnd: number
  instructions: number
  /** A fresh register file: 128 bytes, sp = top of memory. */
  initialState(): Uint8Array
}
export declare function buildProgram(options?: { sections?: readonly SectionName[]; scale?: number; seed?: number }): Program
export declare function prng(seed: number): () => number

export interface Guest {
  program: Program
  memory: Uint8Array
  state: Uint8Array
  /** Translations made so far through `translate`. */
  translations: number
  translate: Translate
}
export declare function newGuest(program: Program, options?: { sharedMemory?: boolean }): Guest

export type Output = Array<bigint | number>
export interface ReferenceResult {
  state: Uint8Array
  memory: Uint8Array
  out: Output
  blocks: number
  translations: number
  smc: number
  distinctBlocks: number
}
export declare function runReference(program: Program, options?: { maxBlocks?: number }): ReferenceResult

export interface RunExitLike {
  reason: string
  pc: bigint
  trapCode?: number
  faultAddress?: bigint
  fuelLeft: bigint
}
export interface TieredLike {
  run(pc: bigint, state: Uint8Array, memory: Uint8Array, options?: { fuel?: number | bigint }): RunExitLike
  invalidateRange(start: bigint, end: bigint): number
}
export interface TieredResult {
  state: Uint8Array
  memory: Uint8Array
  out: Output
  runs: number
  stops: { halt: number; trap: number; fuel: number; interrupt: number }
  smc: number
  translations: number
}
export declare function runTiered(
  jit: TieredLike,
  guest: Guest,
  options?: { fuel?: number | bigint; onStop?: (exit: RunExitLike) => void; maxRuns?: number },
): TieredResult
export declare function resetGuest(guest: Guest, jit?: TieredLike): number
export declare function serviceTrap(code: number, pc: bigint, guest: Guest, out: Output, invalidate: (start: bigint, end: bigint) => void): void
export declare function diffResults(a: { state: Uint8Array; memory: Uint8Array; out: Output }, b: { state: Uint8Array; memory: Uint8Array; out: Output }): string | undefined
export declare function reg(state: Uint8Array, r: number): bigint

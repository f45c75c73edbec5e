// A tiny RISC-V assembler for the instruction tests: encoders for the base formats and the
// compressed instructions the tests use, plus a harness that runs a snippet (ending in ecall) on
// the emulator's translator at a given tier and returns the register file.

import { createEngine } from '../../examples/riscv/engine/createEngine.ts'
import type { EngineKind } from '../../examples/riscv/engine/createEngine.ts'
import type { Tier } from '../../examples/riscv/engine/Engine.ts'
import { GuestMemory } from '../../examples/riscv/memory.ts'
import { GuestState, STATE_SIZE } from '../../examples/riscv/state.ts'
import { Translator } from '../../examples/riscv/translate/translator.ts'
import type { TranslatorOptions } from '../../examples/riscv/translate/translator.ts'
import type { RunExit } from 'vm-jit-native'

const R = (f7: number, rs2: number, rs1: number, f3: number, rd: number, op: number): number =>
  ((f7 << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op) >>> 0
const I = (imm: number, rs1: number, f3: number, rd: number, op: number): number =>
  (((imm & 0xfff) << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op) >>> 0
const S = (imm: number, rs2: number, rs1: number, f3: number, op: number): number =>
  ((((imm >> 5) & 0x7f) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | ((imm & 0x1f) << 7) | op) >>> 0
const B = (imm: number, rs2: number, rs1: number, f3: number): number =>
  ((((imm >> 12) & 1) << 31) | (((imm >> 5) & 0x3f) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) |
    (((imm >> 1) & 0xf) << 8) | (((imm >> 11) & 1) << 7) | 0x63) >>> 0
const J = (imm: number, rd: number): number =>
  ((((imm >> 20) & 1) << 31) | (((imm >> 1) & 0x3ff) << 21) | (((imm >> 11) & 1) << 20) | (((imm >> 12) & 0xff) << 12) |
    (rd << 7) | 0x6f) >>> 0

export const asm = {
  lui: (rd: number, imm20: number) => (((imm20 & 0xfffff) << 12) | (rd << 7) | 0x37) >>> 0,
  auipc: (rd: number, imm20: number) => (((imm20 & 0xfffff) << 12) | (rd << 7) | 0x17) >>> 0,
  jal: (rd: number, off: number) => J(off, rd),
  jalr: (rd: number, rs1: number, off: number) => I(off, rs1, 0, rd, 0x67),
  beq: (rs1: number, rs2: number, off: number) => B(off, rs2, rs1, 0),
  bne: (rs1: number, rs2: number, off: number) => B(off, rs2, rs1, 1),
  blt: (rs1: number, rs2: number, off: number) => B(off, rs2, rs1, 4),
  bge: (rs1: number, rs2: number, off: number) => B(off, rs2, rs1, 5),
  bltu: (rs1: number, rs2: number, off: number) => B(off, rs2, rs1, 6),
  bgeu: (rs1: number, rs2: number, off: number) => B(off, rs2, rs1, 7),
  lb: (rd: number, rs1: number, off: number) => I(off, rs1, 0, rd, 0x03),
  lh: (rd: number, rs1: number, off: number) => I(off, rs1, 1, rd, 0x03),
  lw: (rd: number, rs1: number, off: number) => I(off, rs1, 2, rd, 0x03),
  ld: (rd: number, rs1: number, off: number) => I(off, rs1, 3, rd, 0x03),
  lbu: (rd: number, rs1: number, off: number) => I(off, rs1, 4, rd, 0x03),
  lhu: (rd: number, rs1: number, off: number) => I(off, rs1, 5, rd, 0x03),
  lwu: (rd: number, rs1: number, off: number) => I(off, rs1, 6, rd, 0x03),
  sb: (rs2: number, rs1: number, off: number) => S(off, rs2, rs1, 0, 0x23),
  sh: (rs2: number, rs1: number, off: number) => S(off, rs2, rs1, 1, 0x23),
  sw: (rs2: number, rs1: number, off: number) => S(off, rs2, rs1, 2, 0x23),
  sd: (rs2: number, rs1: number, off: number) => S(off, rs2, rs1, 3, 0x23),
  addi: (rd: number, rs1: number, imm: number) => I(imm, rs1, 0, rd, 0x13),
  slti: (rd: number, rs1: number, imm: number) => I(imm, rs1, 2, rd, 0x13),
  sltiu: (rd: number, rs1: number, imm: number) => I(imm, rs1, 3, rd, 0x13),
  xori: (rd: number, rs1: number, imm: number) => I(imm, rs1, 4, rd, 0x13),
  ori: (rd: number, rs1: number, imm: number) => I(imm, rs1, 6, rd, 0x13),
  andi: (rd: number, rs1: number, imm: number) => I(imm, rs1, 7, rd, 0x13),
  slli: (rd: number, rs1: number, sh: number) => I(sh, rs1, 1, rd, 0x13),
  srli: (rd: number, rs1: number, sh: number) => I(sh, rs1, 5, rd, 0x13),
  srai: (rd: number, rs1: number, sh: number) => I(0x400 | sh, rs1, 5, rd, 0x13),
  addiw: (rd: number, rs1: number, imm: number) => I(imm, rs1, 0, rd, 0x1b),
  slliw: (rd: number, rs1: number, sh: number) => I(sh, rs1, 1, rd, 0x1b),
  srliw: (rd: number, rs1: number, sh: number) => I(sh, rs1, 5, rd, 0x1b),
  sraiw: (rd: number, rs1: number, sh: number) => I(0x400 | sh, rs1, 5, rd, 0x1b),
  add: (rd: number, a: number, b: number) => R(0, b, a, 0, rd, 0x33),
  sub: (rd: number, a: number, b: number) => R(0x20, b, a, 0, rd, 0x33),
  sll: (rd: number, a: number, b: number) => R(0, b, a, 1, rd, 0x33),
  slt: (rd: number, a: number, b: number) => R(0, b, a, 2, rd, 0x33),
  sltu: (rd: number, a: number, b: number) => R(0, b, a, 3, rd, 0x33),
  xor: (rd: number, a: number, b: number) => R(0, b, a, 4, rd, 0x33),
  srl: (rd: number, a: number, b: number) => R(0, b, a, 5, rd, 0x33),
  sra: (rd: number, a: number, b: number) => R(0x20, b, a, 5, rd, 0x33),
  or: (rd: number, a: number, b: number) => R(0, b, a, 6, rd, 0x33),
  and: (rd: number, a: number, b: number) => R(0, b, a, 7, rd, 0x33),
  addw: (rd: number, a: number, b: number) => R(0, b, a, 0, rd, 0x3b),
  subw: (rd: number, a: number, b: number) => R(0x20, b, a, 0, rd, 0x3b),
  sllw: (rd: number, a: number, b: number) => R(0, b, a, 1, rd, 0x3b),
  srlw: (rd: number, a: number, b: number) => R(0, b, a, 5, rd, 0x3b),
  sraw: (rd: number, a: number, b: number) => R(0x20, b, a, 5, rd, 0x3b),
  mul: (rd: number, a: number, b: number) => R(1, b, a, 0, rd, 0x33),
  mulh: (rd: number, a: number, b: number) => R(1, b, a, 1, rd, 0x33),
  mulhsu: (rd: number, a: number, b: number) => R(1, b, a, 2, rd, 0x33),
  mulhu: (rd: number, a: number, b: number) => R(1, b, a, 3, rd, 0x33),
  div: (rd: number, a: number, b: number) => R(1, b, a, 4, rd, 0x33),
  divu: (rd: number, a: number, b: number) => R(1, b, a, 5, rd, 0x33),
  rem: (rd: number, a: number, b: number) => R(1, b, a, 6, rd, 0x33),
  remu: (rd: number, a: number, b: number) => R(1, b, a, 7, rd, 0x33),
  mulw: (rd: number, a: number, b: number) => R(1, b, a, 0, rd, 0x3b),
  divw: (rd: number, a: number, b: number) => R(1, b, a, 4, rd, 0x3b),
  divuw: (rd: number, a: number, b: number) => R(1, b, a, 5, rd, 0x3b),
  remw: (rd: number, a: number, b: number) => R(1, b, a, 6, rd, 0x3b),
  remuw: (rd: number, a: number, b: number) => R(1, b, a, 7, rd, 0x3b),
  ecall: () => 0x00000073,
  ebreak: () => 0x00100073,
  fence: () => 0x0ff0000f,
  // A extension (width 4 = .w, 8 = .d)
  lr: (w: 4 | 8, rd: number, rs1: number) => R(0x02 << 2, 0, rs1, w === 4 ? 2 : 3, rd, 0x2f),
  sc: (w: 4 | 8, rd: number, rs1: number, rs2: number) => R(0x03 << 2, rs2, rs1, w === 4 ? 2 : 3, rd, 0x2f),
  amo: (funct5: number, w: 4 | 8, rd: number, rs1: number, rs2: number) => R(funct5 << 2, rs2, rs1, w === 4 ? 2 : 3, rd, 0x2f),
  // F/D: fmt 0 = S, 1 = D
  fl: (fmt: number, rd: number, rs1: number, off: number) => I(off, rs1, fmt ? 3 : 2, rd, 0x07),
  fs: (fmt: number, rs2: number, rs1: number, off: number) => S(off, rs2, rs1, fmt ? 3 : 2, 0x27),
  fop: (funct5: number, fmt: number, rd: number, rs1: number, rs2: number, rm = 7) => R((funct5 << 2) | fmt, rs2, rs1, rm, rd, 0x53),
  fma: (op: 0x43 | 0x47 | 0x4b | 0x4f, fmt: number, rd: number, rs1: number, rs2: number, rs3: number, rm = 7) =>
    ((rs3 << 27) | (fmt << 25) | (rs2 << 20) | (rs1 << 15) | (rm << 12) | (rd << 7) | op) >>> 0,
  csr: (f3: number, rd: number, rs1: number, csr: number) => I(csr, rs1, f3, rd, 0x73),
}

/** funct5 values of the F/D OP-FP instructions. */
export const FP = {
  add: 0x00, sub: 0x01, mul: 0x02, div: 0x03, sgnj: 0x04, minmax: 0x05, cvtff: 0x08, sqrt: 0x0b,
  cmp: 0x14, cvtif: 0x18, cvtfi: 0x1a, mvxf: 0x1c, mvfx: 0x1e,
}

export interface SnippetResult {
  exit: RunExit
  state: GuestState
  memory: GuestMemory
}

export const CODE_BASE = 0x10000
export const DATA_BASE = 0x20000

/**
 * Runs `code` (32-bit words, or { half } for a 16-bit parcel) at CODE_BASE, followed by an
 * ecall, with the given registers, at `tier` on the given engine; returns the exit and the final
 * state.
 */
export function runSnippet(
  code: (number | { half: number })[],
  setup: { x?: Record<number, bigint | number>; f?: Record<number, bigint>; data?: Uint8Array } = {},
  tier: Tier = 'fast',
  engineKind: EngineKind = 'runtime',
  translatorOptions: TranslatorOptions = {},
): SnippetResult {
  const memory = new GuestMemory(16 << 20)
  let p = CODE_BASE
  for (const w of [...code, asm.ecall()]) {
    if (typeof w === 'number') {
      memory.setU32(p, w)
      p += 4
    } else {
      memory.bytes[p] = w.half & 0xff
      memory.bytes[p + 1] = w.half >> 8
      p += 2
    }
  }
  if (setup.data) memory.write(DATA_BASE, setup.data)
  const state = new GuestState()
  for (const [r, v] of Object.entries(setup.x ?? {})) state.setX(Number(r), BigInt(v))
  for (const [r, v] of Object.entries(setup.f ?? {})) state.setFBits(Number(r), v)
  const translator = new Translator(memory.bytes, translatorOptions)
  const engine = createEngine(
    tier,
    { translate: (pc) => translator.translateRegion(pc), state: state.bytes, memory: memory.bytes, stateSize: STATE_SIZE },
    engineKind,
  )
  const exit = engine.run(BigInt(CODE_BASE))
  engine.dispose()
  return { exit, state, memory }
}

/** NaN-boxes single-precision bits. */
export const box = (bits32: number): bigint => 0xffff_ffff_0000_0000n | BigInt(bits32 >>> 0)
export const f64bits = (x: number): bigint => {
  const v = new DataView(new ArrayBuffer(8))
  v.setFloat64(0, x, true)
  return v.getBigUint64(0, true)
}
export const f32bits = (x: number): number => {
  const v = new DataView(new ArrayBuffer(4))
  v.setFloat32(0, x, true)
  return v.getUint32(0, true)
}

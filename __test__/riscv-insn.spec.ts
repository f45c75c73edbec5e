// The RISC-V emulator's instruction translation, one instruction class at a time, against values
// from the ISA manual (edge cases included), at every tier and on both engines: each snippet runs
// through the translator and then the interpreter, tier-1 code, tier-2 code and the tiered policy,
// in the package's runtime (TieredCompiler) and through the per-block API (Interpreter.run,
// CodeHandle.run), and must give the documented registers.

import test from 'ava'
import { decode16 } from '../examples/riscv/translate/compressed.ts'
import { decode32 } from '../examples/riscv/translate/decode.ts'
import { TRAP_ECALL, TRAP_ILLEGAL } from '../examples/riscv/traps.ts'
import { asm, box, DATA_BASE, f32bits, f64bits, FP, runSnippet } from './support/riscvAsm.ts'
import type { Tier } from '../examples/riscv/engine/Engine.ts'
import type { EngineKind } from '../examples/riscv/engine/createEngine.ts'
import type { TranslatorOptions } from '../examples/riscv/translate/translator.ts'

const TIERS: Tier[] = ['interp', 'fast', 'optimized', 'tiered']
const ENGINES: EngineKind[] = ['runtime', 'blocks']
/** tier, engine, translator options (registers in locals is an option of the translator). */
const VARIANTS: [Tier, EngineKind, TranslatorOptions][] = [
  ...ENGINES.flatMap((e) => TIERS.map((t): [Tier, EngineKind, TranslatorOptions] => [t, e, {}])),
  ['fast', 'runtime', { registers: 'loops' }],
  ['optimized', 'runtime', { registers: 'locals', backEdgeSync: false }],
  ['tiered', 'runtime', { registers: 'locals', backEdgeSync: true, loopExitInterval: 4 }],
]
const label = (tier: Tier, engine: EngineKind, o: TranslatorOptions): string =>
  `${tier}, ${engine}${o.registers ? `, registers: ${o.registers}` : ''}${o.backEdgeSync === false ? ', no back-edge stores' : ''}${o.loopExitInterval ? `, loop exits every ${o.loopExitInterval}` : ''}`
const M64 = (1n << 64n) - 1n
const u = (x: bigint): bigint => BigInt.asUintN(64, x)
const MIN64 = 1n << 63n
const CANON_F64 = 0x7ff8000000000000n
const CANON_F32 = 0x7fc00000
const SNAN_F64 = 0x7ff0000000000001n

interface Case {
  name: string
  code: (number | { half: number })[]
  x?: Record<number, bigint | number>
  f?: Record<number, bigint>
  data?: Uint8Array
  /** Expected x registers (compared as unsigned 64-bit). */
  ex?: Record<number, bigint | number>
  /** Expected f registers (raw bits). */
  ef?: Record<number, bigint>
  /** Expected fcsr. */
  fcsr?: number
}

const cases: Case[] = [
  // ---- RV64I ---------------------------------------------------------------------------------
  { name: 'add/sub wrap around', code: [asm.add(3, 1, 2), asm.sub(4, 0, 1)], x: { 1: -1n, 2: 2 }, ex: { 3: 1, 4: 1 } },
  { name: 'addw sign-extends the 32-bit sum', code: [asm.addw(3, 1, 2)], x: { 1: 0x7fffffff, 2: 1 }, ex: { 3: u(-0x80000000n) } },
  { name: 'addiw of a 64-bit value keeps the low 32 bits', code: [asm.addiw(3, 1, 0)], x: { 1: 0x1_8000_0000n }, ex: { 3: u(-0x80000000n) } },
  { name: 'subw', code: [asm.subw(3, 1, 2)], x: { 1: 0, 2: 1 }, ex: { 3: M64 } },
  { name: 'lui sign-extends', code: [asm.lui(5, 0x80000)], ex: { 5: u(-0x80000000n) } },
  { name: 'auipc adds the pc', code: [asm.addi(0, 0, 0), asm.auipc(5, 1)], ex: { 5: 0x10004n + 0x1000n } },
  { name: 'slt/sltu/slti/sltiu', code: [asm.slt(3, 1, 2), asm.sltu(4, 1, 2), asm.slti(5, 1, 0), asm.sltiu(6, 2, -1)], x: { 1: -1n, 2: 1 }, ex: { 3: 1, 4: 0, 5: 1, 6: 1 } },
  { name: 'shift amounts use the low 6 bits', code: [asm.sll(3, 1, 2), asm.srl(4, 1, 2), asm.sra(5, 1, 2)], x: { 1: MIN64, 2: 65 }, ex: { 3: 0, 4: 1n << 62n, 5: u(-(1n << 62n)) } },
  { name: 'sllw/srlw/sraw use the low 5 bits and sign-extend', code: [asm.sllw(3, 1, 2), asm.srlw(4, 1, 2), asm.sraw(5, 1, 2)], x: { 1: 0x8000_0001n, 2: 33 }, ex: { 3: 2, 4: 0x4000_0000n, 5: u(-0x4000_0000n) } },
  { name: 'slliw sign-extends; srliw zero-fills bit 31 first', code: [asm.slliw(3, 1, 31), asm.srliw(4, 1, 0), asm.sraiw(5, 1, 4)], x: { 1: 0xffff_ffff_8000_0001n }, ex: { 3: u(-0x80000000n), 4: u(-0x7fffffffn), 5: u(-0x0800_0000n) } },
  { name: 'srai/srli 63', code: [asm.srai(3, 1, 63), asm.srli(4, 1, 63)], x: { 1: MIN64 }, ex: { 3: M64, 4: 1 } },
  { name: 'logic ops', code: [asm.xori(3, 1, -1), asm.ori(4, 1, 0x0f0), asm.andi(5, 1, -16), asm.xor(6, 1, 2), asm.or(7, 1, 2), asm.and(8, 1, 2)], x: { 1: 0xff, 2: 0x0f }, ex: { 3: u(~0xffn), 4: 0xff, 5: 0xf0, 6: 0xf0, 7: 0xff, 8: 0x0f } },
  { name: 'x0 reads 0 and ignores writes', code: [asm.addi(0, 0, 5), asm.add(3, 0, 0)], ex: { 0: 0, 3: 0 } },
  // ---- loads and stores -------------------------------------------------------------------------
  {
    name: 'loads sign- and zero-extend',
    code: [asm.lb(3, 1, 0), asm.lbu(4, 1, 0), asm.lh(5, 1, 0), asm.lhu(6, 1, 0), asm.lw(7, 1, 0), asm.lwu(8, 1, 0), asm.ld(9, 1, 0)],
    x: { 1: DATA_BASE },
    data: Uint8Array.from([0x80, 0x90, 0xa0, 0xb0, 0x01, 0x02, 0x03, 0x04]),
    ex: { 3: u(-128n), 4: 0x80, 5: u(-0x6f80n), 6: 0x9080, 7: u(-0x4f5f6f80n), 8: 0xb0a09080n, 9: 0x04030201b0a09080n },
  },
  {
    name: 'stores write the low bytes; negative offsets',
    code: [asm.sd(0, 1, 0), asm.sb(2, 1, 0), asm.sh(2, 1, 2), asm.sw(2, 1, 4), asm.ld(3, 1, 0), asm.addi(4, 1, 8), asm.sw(2, 4, -4), asm.lwu(5, 1, 4)],
    x: { 1: DATA_BASE, 2: 0x1122334455667788n },
    ex: { 3: 0x5566778877880088n, 5: 0x55667788n },
  },
  // ---- control flow -----------------------------------------------------------------------------
  { name: 'jal links pc+4 and jumps', code: [asm.jal(1, 8), asm.addi(5, 0, 1), asm.addi(6, 0, 2)], ex: { 1: 0x10004n, 5: 0, 6: 2 } },
  { name: 'jalr clears bit 0 and links', code: [asm.jalr(1, 2, 1), asm.addi(5, 0, 1), asm.addi(6, 0, 2)], x: { 2: 0x10008n }, ex: { 1: 0x10004n, 5: 0, 6: 2 } },
  { name: 'jalr with rd = rs1 reads before linking', code: [asm.jalr(2, 2, 0), asm.addi(5, 0, 1), asm.addi(6, 0, 2)], x: { 2: 0x10008n }, ex: { 2: 0x10004n, 5: 0, 6: 2 } },
  {
    name: 'branches: signed vs unsigned, taken and not',
    code: [asm.blt(1, 2, 8), asm.addi(5, 0, 1), asm.bltu(1, 2, 8), asm.addi(6, 0, 1), asm.bge(1, 1, 8), asm.addi(7, 0, 1), asm.bgeu(2, 1, 8), asm.addi(8, 0, 1)],
    x: { 1: -1n, 2: 1 },
    ex: { 5: 0, 6: 1, 7: 0, 8: 1 },
  },
  {
    name: 'a loop inside one block (back edge): sum 1..100',
    code: [asm.addi(5, 0, 0), asm.addi(6, 0, 100), asm.add(5, 5, 6), asm.addi(6, 6, -1), asm.bne(6, 0, -8)],
    ex: { 5: 5050, 6: 0 },
  },
  // ---- M ----------------------------------------------------------------------------------------
  { name: 'div/rem by zero: -1 and the dividend', code: [asm.div(3, 1, 0), asm.divu(4, 1, 0), asm.rem(5, 1, 0), asm.remu(6, 1, 0)], x: { 1: -7n }, ex: { 3: M64, 4: M64, 5: u(-7n), 6: u(-7n) } },
  { name: 'div overflow: MIN / -1 = MIN, rem 0', code: [asm.div(3, 1, 2), asm.rem(4, 1, 2)], x: { 1: -(1n << 63n), 2: -1n }, ex: { 3: MIN64, 4: 0 } },
  { name: 'div/rem round towards zero', code: [asm.div(3, 1, 2), asm.rem(4, 1, 2), asm.divu(5, 1, 2)], x: { 1: -7n, 2: 2 }, ex: { 3: u(-3n), 4: u(-1n), 5: (u(-7n) / 2n) } },
  { name: 'divw/remw by zero and overflow', code: [asm.divw(3, 1, 0), asm.remw(4, 1, 0), asm.divw(5, 1, 2), asm.remw(6, 1, 2), asm.divuw(7, 1, 0), asm.remuw(8, 1, 0)], x: { 1: 0xffff_ffff_8000_0000n, 2: -1n }, ex: { 3: M64, 4: u(-0x80000000n), 5: u(-0x80000000n), 6: 0, 7: M64, 8: u(-0x80000000n) } },
  { name: 'divuw/remuw read 32-bit unsigned operands', code: [asm.divuw(3, 1, 2), asm.remuw(4, 1, 2)], x: { 1: 0x1_ffff_fff0n, 2: 0x1_0000_0010n }, ex: { 3: 0x0fff_ffffn, 4: 0 } },
  { name: 'mulh/mulhu/mulhsu', code: [asm.mulh(3, 1, 2), asm.mulhu(4, 1, 2), asm.mulhsu(5, 1, 2), asm.mul(6, 1, 2)], x: { 1: -2n, 2: -3n }, ex: { 3: 0, 4: u(-5n), 5: u(-2n), 6: 6 } },
  { name: 'mulw sign-extends', code: [asm.mulw(3, 1, 2)], x: { 1: 0x10000, 2: 0x8000 }, ex: { 3: u(-0x80000000n) } },
  // ---- A ----------------------------------------------------------------------------------------
  {
    name: 'lr/sc succeed on the reserved address, then fail',
    code: [asm.lr(8, 3, 1), asm.sc(8, 4, 1, 2), asm.sc(8, 5, 1, 2), asm.ld(6, 1, 0)],
    x: { 1: DATA_BASE, 2: 99 },
    data: Uint8Array.from([7, 0, 0, 0, 0, 0, 0, 0]),
    ex: { 3: 7, 4: 0, 5: 1, 6: 99 },
  },
  {
    name: 'amoadd.w returns the sign-extended old value',
    code: [asm.amo(0x00, 4, 3, 1, 2), asm.lwu(4, 1, 0)],
    x: { 1: DATA_BASE, 2: 1 },
    data: Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0x55, 0, 0, 0]),
    ex: { 3: M64, 4: 0, 5: 0 },
  },
  {
    name: 'amoswap.d, amomaxu.w, amomin.w',
    code: [asm.amo(0x01, 8, 3, 1, 2), asm.addi(6, 1, 8), asm.amo(0x1c, 4, 4, 6, 7), asm.amo(0x10, 4, 5, 6, 2), asm.lw(8, 6, 0)],
    x: { 1: DATA_BASE, 2: 5, 7: -1n },
    data: Uint8Array.from([1, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0]),
    ex: { 3: 1, 4: 3, 5: M64, 8: M64 },
  },
  // ---- F / D ------------------------------------------------------------------------------------
  { name: 'fadd.d', code: [asm.fop(FP.add, 1, 3, 1, 2)], f: { 1: f64bits(1.5), 2: f64bits(2.25) }, ef: { 3: f64bits(3.75) } },
  { name: 'fdiv.d 0/0 is the canonical NaN, 1/0 is inf', code: [asm.fop(FP.div, 1, 3, 1, 1), asm.fop(FP.div, 1, 4, 2, 1)], f: { 1: 0n, 2: f64bits(1) }, ef: { 3: CANON_F64, 4: f64bits(Infinity) } },
  { name: 'fadd.s result is NaN-boxed', code: [asm.fop(FP.add, 0, 3, 1, 2)], f: { 1: box(f32bits(1.5)), 2: box(f32bits(2)) }, ef: { 3: box(f32bits(3.5)) } },
  { name: 'an improperly boxed single reads as the canonical NaN', code: [asm.fop(FP.add, 0, 3, 1, 2)], f: { 1: BigInt(f32bits(1.5)), 2: box(f32bits(2)) }, ef: { 3: box(CANON_F32) } },
  { name: 'fmin/fmax.d ignore one NaN', code: [asm.fop(FP.minmax, 1, 3, 1, 2, 0), asm.fop(FP.minmax, 1, 4, 2, 1, 1)], f: { 1: SNAN_F64, 2: f64bits(1) }, ef: { 3: f64bits(1), 4: f64bits(1) } },
  { name: 'fmin.d of two NaNs is the canonical NaN', code: [asm.fop(FP.minmax, 1, 3, 1, 2, 0)], f: { 1: SNAN_F64, 2: 0xfff0000000000005n }, ef: { 3: CANON_F64 } },
  { name: 'fmin(-0, +0) = -0, fmax(-0, +0) = +0', code: [asm.fop(FP.minmax, 1, 3, 1, 2, 0), asm.fop(FP.minmax, 1, 4, 1, 2, 1)], f: { 1: MIN64, 2: 0n }, ef: { 3: MIN64, 4: 0n } },
  { name: 'fmin.s with a NaN', code: [asm.fop(FP.minmax, 0, 3, 1, 2, 0)], f: { 1: box(CANON_F32), 2: box(f32bits(-2)) }, ef: { 3: box(f32bits(-2)) } },
  { name: 'fsgnj/fsgnjn/fsgnjx.d', code: [asm.fop(FP.sgnj, 1, 3, 1, 2, 0), asm.fop(FP.sgnj, 1, 4, 1, 2, 1), asm.fop(FP.sgnj, 1, 5, 2, 2, 2), asm.fop(FP.sgnj, 1, 6, 1, 1, 1)], f: { 1: f64bits(3), 2: f64bits(-2) }, ef: { 3: f64bits(-3), 4: f64bits(3), 5: f64bits(2), 6: f64bits(-3) } },
  { name: 'fsgnjx.d flips by the sign of rs2', code: [asm.fop(FP.sgnj, 1, 3, 1, 2, 2)], f: { 1: f64bits(-3), 2: f64bits(-1) }, ef: { 3: f64bits(3) } },
  { name: 'fcvt.w.d NaN → 2^31-1, -inf → -2^31, 1e10 → 2^31-1', code: [asm.fop(FP.cvtif, 1, 3, 1, 0, 1), asm.fop(FP.cvtif, 1, 4, 2, 0, 1), asm.fop(FP.cvtif, 1, 5, 3, 0, 1)], f: { 1: CANON_F64, 2: f64bits(-Infinity), 3: f64bits(1e10) }, ex: { 3: 0x7fffffff, 4: u(-0x80000000n), 5: 0x7fffffff } },
  { name: 'fcvt.wu.d: negative → 0, NaN → all ones (sign-extended)', code: [asm.fop(FP.cvtif, 1, 3, 1, 1, 1), asm.fop(FP.cvtif, 1, 4, 2, 1, 1), asm.fop(FP.cvtif, 1, 5, 3, 1, 1)], f: { 1: f64bits(-1), 2: CANON_F64, 3: f64bits(3e9) }, ex: { 3: 0, 4: M64, 5: u(BigInt.asIntN(32, 3_000_000_000n)) } },
  { name: 'fcvt.l.d / fcvt.lu.d NaN and saturation', code: [asm.fop(FP.cvtif, 1, 3, 1, 2, 1), asm.fop(FP.cvtif, 1, 4, 1, 3, 1), asm.fop(FP.cvtif, 1, 5, 2, 2, 1), asm.fop(FP.cvtif, 1, 6, 2, 3, 1)], f: { 1: CANON_F64, 2: f64bits(-1e30) }, ex: { 3: (1n << 63n) - 1n, 4: M64, 5: MIN64, 6: 0 } },
  {
    name: 'fcvt.w.d rounding modes: 2.5 and -2.5 (rne, rtz, rdn, rup, rmm)',
    code: [0, 1, 2, 3, 4].flatMap((rm) => [asm.fop(FP.cvtif, 1, 10 + rm, 1, 0, rm), asm.fop(FP.cvtif, 1, 20 + rm, 2, 0, rm)]),
    f: { 1: f64bits(2.5), 2: f64bits(-2.5) },
    ex: { 10: 2, 11: 2, 12: 2, 13: 3, 14: 3, 20: u(-2n), 21: u(-2n), 22: u(-3n), 23: u(-2n), 24: u(-3n) },
  },
  {
    name: 'fcvt.l.d rounding at 0.5 ± ulp and tiny negatives',
    code: [asm.fop(FP.cvtif, 1, 3, 1, 2, 4), asm.fop(FP.cvtif, 1, 4, 2, 2, 3), asm.fop(FP.cvtif, 1, 5, 2, 2, 2)],
    f: { 1: f64bits(0.49999999999999994), 2: f64bits(-0.25) },
    ex: { 3: 0, 4: 0, 5: M64 },
  },
  { name: 'fcvt.s.w and fcvt.d.lu', code: [asm.fop(FP.cvtfi, 0, 3, 1, 0), asm.fop(FP.cvtfi, 1, 4, 2, 3)], x: { 1: -3n, 2: -1n }, ef: { 3: box(f32bits(-3)), 4: f64bits(18446744073709551615) } },
  { name: 'fcvt.s.d of NaN is the boxed canonical NaN; fcvt.d.s widens', code: [asm.fop(FP.cvtff, 0, 3, 1, 1), asm.fop(FP.cvtff, 1, 4, 2, 0)], f: { 1: SNAN_F64, 2: box(f32bits(0.5)) }, ef: { 3: box(CANON_F32), 4: f64bits(0.5) } },
  { name: 'fmv.x.w sign-extends the raw low bits; fmv.w.x boxes', code: [asm.fop(FP.mvxf, 0, 3, 1, 0, 0), asm.fop(FP.mvfx, 0, 4, 5, 0, 0)], f: { 1: 0x1234_5678_8000_0000n }, x: { 5: 0xdead_beef_3f80_0000n }, ex: { 3: u(-0x80000000n) }, ef: { 4: box(0x3f800000) } },
  { name: 'fmv.x.d / fmv.d.x keep NaN payloads', code: [asm.fop(FP.mvxf, 1, 3, 1, 0, 0), asm.fop(FP.mvfx, 1, 4, 3, 0, 0)], f: { 1: SNAN_F64 }, ex: { 3: SNAN_F64 }, ef: { 4: SNAN_F64 } },
  {
    name: 'fclass.d',
    code: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((r) => asm.fop(FP.mvxf, 1, r, r, 0, 1)),
    f: { 1: f64bits(-Infinity), 2: f64bits(-1), 3: 0x800fffffffffffffn, 4: MIN64, 5: 0n, 6: 1n, 7: f64bits(1), 8: f64bits(Infinity), 9: SNAN_F64, 10: CANON_F64 },
    ex: { 1: 1, 2: 2, 3: 4, 4: 8, 5: 16, 6: 32, 7: 64, 8: 128, 9: 256, 10: 512 },
  },
  { name: 'fclass.s of a non-boxed value is qNaN', code: [asm.fop(FP.mvxf, 0, 3, 1, 0, 1)], f: { 1: 0n }, ex: { 3: 512 } },
  { name: 'feq/flt/fle with NaN are 0', code: [asm.fop(FP.cmp, 1, 3, 1, 2, 2), asm.fop(FP.cmp, 1, 4, 1, 2, 1), asm.fop(FP.cmp, 1, 5, 2, 2, 0), asm.fop(FP.cmp, 1, 6, 3, 2, 1)], f: { 1: CANON_F64, 2: f64bits(1), 3: f64bits(0.5) }, ex: { 3: 0, 4: 0, 5: 1, 6: 1 } },
  { name: 'fsqrt.d of -1 is the canonical NaN', code: [asm.fop(FP.sqrt, 1, 3, 1, 0), asm.fop(FP.sqrt, 1, 4, 2, 0)], f: { 1: f64bits(-1), 2: f64bits(2.25) }, ef: { 3: CANON_F64, 4: f64bits(1.5) } },
  { name: 'fmadd/fmsub/fnmsub/fnmadd.d', code: [asm.fma(0x43, 1, 4, 1, 2, 3), asm.fma(0x47, 1, 5, 1, 2, 3), asm.fma(0x4b, 1, 6, 1, 2, 3), asm.fma(0x4f, 1, 7, 1, 2, 3)], f: { 1: f64bits(2), 2: f64bits(3), 3: f64bits(1) }, ef: { 4: f64bits(7), 5: f64bits(5), 6: f64bits(-5), 7: f64bits(-7) } },
  { name: 'fma rounds once', code: [asm.fma(0x43, 1, 4, 1, 2, 3)], f: { 1: f64bits(0.1), 2: f64bits(10), 3: f64bits(-1) }, ef: { 4: f64bits(5.551115123125783e-17) } },
  { name: 'flw boxes, fsw stores the raw low half, fld/fsd', code: [asm.fl(0, 3, 1, 0), asm.fs(0, 3, 1, 8), asm.fl(1, 4, 1, 0), asm.fs(1, 4, 1, 16), asm.ld(5, 1, 8), asm.ld(6, 1, 16)], x: { 1: DATA_BASE }, data: Uint8Array.from([0, 0, 0xc0, 0x3f, 1, 2, 3, 4]), ef: { 3: box(0x3fc00000) }, ex: { 5: 0x3fc00000, 6: 0x040302013fc00000n } },
  // ---- Zicsr (float CSRs) -----------------------------------------------------------------------
  { name: 'csrrw frm, csrrs fflags, csrr fcsr', code: [asm.csr(1, 3, 1, 2), asm.csr(2, 4, 2, 1), asm.csr(2, 5, 0, 3)], x: { 1: 3, 2: 0x11 }, ex: { 3: 0, 4: 0, 5: (3 << 5) | 0x11 }, fcsr: (3 << 5) | 0x11 },
  { name: 'csrrwi / csrrci', code: [asm.csr(5, 3, 0x1f, 1), asm.csr(7, 4, 0x3, 1), asm.csr(2, 5, 0, 1)], ex: { 3: 0, 4: 0x1f, 5: 0x1c } },
  // ---- C (compressed) ---------------------------------------------------------------------------
  {
    name: 'compressed: c.li, c.addi, c.lui, c.addiw, c.slli, c.srai, c.andi, c.mv, c.add',
    code: [{ half: 0x5515 } /* c.li a0,-27 */, { half: 0x0505 } /* c.addi a0,1 */, { half: 0x75fd } /* c.lui a1,0xfffff */, { half: 0x2585 } /* c.addiw a1,1 */, { half: 0x0612 } /* c.slli a2,4 (a2) */, { half: 0x8505 } /* c.srai a0,1 */, { half: 0x9975 } /* c.andi a0,-3 */, { half: 0x86aa } /* c.mv a3,a0 */, { half: 0x96ae } /* c.add a3,a1 */],
    x: { 12: 3 },
  },
]

// The compressed case's expectations are derived from the decoder-independent semantics below.
const compressedCase = cases[cases.length - 1]
{
  let a0 = -27n + 1n
  let a1 = BigInt.asIntN(64, 0xfffffn << 12n) // c.lui sign-extends
  a1 = BigInt.asIntN(32, a1 + 1n)
  const a2 = 3n << 4n
  a0 = a0 >> 1n
  a0 = a0 & -3n
  const a3 = a0 + a1
  compressedCase.ex = { 10: u(a0), 11: u(a1), 12: a2, 13: u(a3) }
}

for (const c of cases) {
  for (const [tier, engine, options] of VARIANTS) {
    test(`${c.name} [${label(tier, engine, options)}]`, (t) => {
      const { exit, state } = runSnippet(c.code, { x: c.x, f: c.f, data: c.data }, tier, engine, options)
      t.is(exit.reason, 'trap')
      t.is(exit.trapCode, TRAP_ECALL)
      for (const [r, v] of Object.entries(c.ex ?? {})) t.is(state.ux(Number(r)), u(BigInt(v)), `x${r}`)
      for (const [r, v] of Object.entries(c.ef ?? {})) t.is(state.fBits(Number(r)).toString(16), v.toString(16), `f${r}`)
      if (c.fcsr !== undefined) t.is(state.fcsr, c.fcsr)
    })
  }
}

test('a load outside guest memory faults at its own pc, naming the address', (t) => {
  for (const [tier, engine, options] of VARIANTS) {
    const { exit } = runSnippet([asm.addi(5, 0, 1), asm.ld(3, 1, 8)], { x: { 1: 1n << 40n } }, tier, engine, options)
    t.is(exit.reason, 'fault', tier)
    t.is(exit.pc, 0x10004n, tier)
    t.is(exit.faultAddress, (1n << 40n) + 8n, tier)
  }
})

test('an unknown instruction traps as illegal at its pc', (t) => {
  for (const [tier, engine, options] of VARIANTS) {
    const { exit, state } = runSnippet([asm.addi(5, 0, 7), 0xffffffff], {}, tier, engine, options)
    t.is(exit.reason, 'trap', tier)
    t.is(exit.trapCode, TRAP_ILLEGAL, tier)
    t.is(exit.pc, 0x10004n, tier)
    t.is(state.x(5), 7n, `${tier}: registers written before the trap are in the state`)
  }
})

// ---- decoder: compressed instructions decode like their 32-bit expansions ----------------------

const same = (half: number, word: number): [ReturnType<typeof decode16>, ReturnType<typeof decode32>] => {
  const c = decode16(half)
  const w = decode32(word)
  return [{ ...c, len: 4, bits: 0 }, { ...w, bits: 0 }]
}

const expansions: [string, number, number][] = [
  ['c.addi4spn a0, sp, 16', 0x0808, asm.addi(10, 2, 16)],
  ['c.fld fa0, 8(a1)', 0x2588, asm.fl(1, 10, 11, 8)],
  ['c.lw a0, 4(a1)', 0x41c8, asm.lw(10, 11, 4)],
  ['c.ld a0, 8(a1)', 0x6588, asm.ld(10, 11, 8)],
  ['c.fsd fa0, 8(a1)', 0xa588, asm.fs(1, 10, 11, 8)],
  ['c.sw a0, 4(a1)', 0xc1c8, asm.sw(10, 11, 4)],
  ['c.sd a0, 8(a1)', 0xe588, asm.sd(10, 11, 8)],
  ['c.addi a0, -1', 0x157d, asm.addi(10, 10, -1)],
  ['c.addiw a0, 1', 0x2505, asm.addiw(10, 10, 1)],
  ['c.li a0, 5', 0x4515, asm.addi(10, 0, 5)],
  ['c.addi16sp sp, -64', 0x7139, asm.addi(2, 2, -64)],
  ['c.lui a0, 1', 0x6505, asm.lui(10, 1)],
  ['c.srli a0, 3', 0x810d, asm.srli(10, 10, 3)],
  ['c.srai a0, 63', 0x957d, asm.srai(10, 10, 63)],
  ['c.andi a0, 7', 0x891d, asm.andi(10, 10, 7)],
  ['c.sub a0, a1', 0x8d0d, asm.sub(10, 10, 11)],
  ['c.xor a0, a1', 0x8d2d, asm.xor(10, 10, 11)],
  ['c.or a0, a1', 0x8d4d, asm.or(10, 10, 11)],
  ['c.and a0, a1', 0x8d6d, asm.and(10, 10, 11)],
  ['c.subw a0, a1', 0x9d0d, asm.subw(10, 10, 11)],
  ['c.addw a0, a1', 0x9d2d, asm.addw(10, 10, 11)],
  ['c.j -2', 0xbffd, asm.jal(0, -2)],
  ['c.j 2046', 0xaffd, asm.jal(0, 2046)],
  ['c.beqz a0, 16', 0xc901, asm.beq(10, 0, 16)],
  ['c.bnez a0, -4', 0xfd75, asm.bne(10, 0, -4)],
  ['c.slli a0, 32', 0x1502, asm.slli(10, 10, 32)],
  ['c.fldsp fa0, 8(sp)', 0x2522, asm.fl(1, 10, 2, 8)],
  ['c.lwsp a0, 12(sp)', 0x4532, asm.lw(10, 2, 12)],
  ['c.ldsp a0, 24(sp)', 0x6562, asm.ld(10, 2, 24)],
  ['c.jr ra', 0x8082, asm.jalr(0, 1, 0)],
  ['c.mv a0, a1', 0x852e, asm.add(10, 0, 11)],
  ['c.jalr a5', 0x9782, asm.jalr(1, 15, 0)],
  ['c.add a0, a1', 0x952e, asm.add(10, 10, 11)],
  ['c.fsdsp fa0, 8(sp)', 0xa42a, asm.fs(1, 10, 2, 8)],
  ['c.swsp a0, 12(sp)', 0xc62a, asm.sw(10, 2, 12)],
  ['c.sdsp a0, 24(sp)', 0xec2a, asm.sd(10, 2, 24)],
]

for (const [name, half, word] of expansions) {
  test(`compressed ${name} decodes as its expansion`, (t) => {
    const [c, w] = same(half, word)
    t.deepEqual(c, w)
  })
}

test('reserved compressed encodings are illegal', (t) => {
  t.is(decode16(0x0000).op, 'illegal') // all zeros
  t.is(decode16(0x0004).op, 'illegal') // c.addi4spn with nzuimm 0
  t.is(decode16(0x6101).op, 'illegal') // c.addi16sp with imm 0
  t.is(decode16(0x8002).op, 'illegal') // c.jr x0
})

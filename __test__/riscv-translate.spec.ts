// Translation strategies of the RISC-V embedding that are not an instruction's semantics:
// indirect-call learning (examples/riscv/translate/indirect.ts) and loop back-edge targets.

import test from 'ava'
import { GuestMemory } from '../examples/riscv/memory.ts'
import { IndirectCalls } from '../examples/riscv/translate/indirect.ts'
import { Translator } from '../examples/riscv/translate/translator.ts'
import { TRAP_ECALL, TRAP_INDIRECT_CALL } from '../examples/riscv/traps.ts'
import { asm, CODE_BASE, runSnippet } from './support/riscvAsm.ts'

/** c.jalr rs1 (call through a register, 2 bytes). */
const cJalr = (rs1: number): number => 0x9002 | (rs1 << 7)

test('IndirectCalls learns a call site from the return address, 2- and 4-byte jalr, at most two targets', (t) => {
  const m = new GuestMemory(16 << 20)
  m.bytes[0x100] = cJalr(22) & 0xff
  m.bytes[0x101] = cJalr(22) >> 8
  m.setU32(0x200, asm.jalr(1, 15, 8))
  const ic = new IndirectCalls()
  t.deepEqual(ic.learn(m.bytes, 0x5000, 0x102), { site: 0x100, len: 2 })
  t.is(ic.learn(m.bytes, 0x5000, 0x102), undefined, 'a known pair is not new')
  t.true(ic.learning(0x100))
  t.deepEqual(ic.learn(m.bytes, 0x6000, 0x102), { site: 0x100, len: 2 })
  t.false(ic.learning(0x100))
  t.is(ic.learn(m.bytes, 0x7000, 0x102), undefined, 'a third target is left to the dispatch loop')
  t.deepEqual(ic.targetsFor(0x100), [0x5000, 0x6000])
  t.deepEqual(ic.learn(m.bytes, 0x5000, 0x204), { site: 0x200, len: 4 })
  t.is(ic.learn(m.bytes, 0x5000, 0x300), undefined, 'no call before the return address')
})

test('an indirect call traps to learn a new target (learnIndirect), else exits to it', (t) => {
  // x5 = CODE_BASE + 12: jalr ra, 0(x5) → the ecall after a nop.
  const code = [asm.jalr(1, 5, 0), asm.addi(6, 0, 1), asm.addi(7, 0, 2)]
  const target = CODE_BASE + 12
  const learning = runSnippet(code, { x: { 5: target } }, 'fast', 'runtime', { learnIndirect: true })
  t.is(learning.exit.reason, 'trap')
  t.is(learning.exit.trapCode, TRAP_INDIRECT_CALL)
  t.is(learning.exit.pc, BigInt(target))
  t.is(learning.state.ux(1), BigInt(CODE_BASE + 4), 'ra is the return address')
  // Without learning (the default): a plain computed exit.
  const plain = runSnippet(code, { x: { 5: target } }, 'fast', 'runtime')
  t.is(plain.exit.trapCode, TRAP_ECALL)
  t.is(plain.exit.pc, BigInt(target))
  t.is(plain.state.ux(1), BigInt(CODE_BASE + 4))
  t.is(plain.state.ux(6), 0n, 'the call skipped the fall-through')
})

test('backEdgeTarget: the target of a backward branch or jump, nothing for forward ones', (t) => {
  const m = new GuestMemory(16 << 20)
  m.setU32(0x1000, asm.addi(5, 5, 1))
  m.setU32(0x1004, asm.bne(5, 6, -4))
  m.setU32(0x1008, asm.bne(5, 6, 8))
  m.setU32(0x100c, asm.jal(0, -12))
  const tr = new Translator(m.bytes)
  t.is(tr.backEdgeTarget(0x1004), 0x1000)
  t.is(tr.backEdgeTarget(0x1008), undefined)
  t.is(tr.backEdgeTarget(0x100c), 0x1000)
  t.is(tr.backEdgeTarget(0x1000), undefined)
})

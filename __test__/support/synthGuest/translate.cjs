// The synthetic guest's translator: guest instructions in guest memory → one IR block, the way an
// emulator's front end does it. Decoding starts at `pc` and stops after the first instruction
// that leaves the block (branch, jump, call, return, trap, halt) or after MAX_BLOCK_INSNS.
//
// - Registers live in the state buffer and are read/written through getState/setState at every
//   instruction (no caching across instructions: removing redundant state traffic is the
//   optimiser's job). r0 reads as a constant 0; writes to it are dropped.
// - One `b.mark(pc)` per guest instruction, so a memory fault reports the faulting instruction.
// - Memory ops are b.load/b.store (bounds-checked by the IR: out of range is reason 'fault').
// - Conditional branches: `branchIf` to two `exit`s with constant pcs (chainable); `j`/`jal` exit
//   to a constant pc (chainable); `ret` exits to the pc popped from the guest stack (computed,
//   never chained); `ecall` is `b.trap(code, pc)`; `halt` is `b.halt(pc)`.
'use strict'

const { IRBuilder } = require('vm-jit-native')
const { OP, TRAP, INSN_BYTES, SP, decode } = require('./isa.cjs')

const MAX_BLOCK_INSNS = 32
const U64 = (x) => BigInt.asUintN(64, BigInt(x))

/**
 * A translate function over guest memory `memory` (a Uint8Array, read at translation time, so a
 * translation made after the guest rewrote its code sees the new code).
 * `options.onTranslate(pc)` is called for every translation (for counting).
 */
function makeTranslator(memory, options = {}) {
  const view = new DataView(memory.buffer, memory.byteOffset, memory.byteLength)
  const onTranslate = options.onTranslate
  return function translate(pc) {
    if (typeof pc !== 'bigint') throw new TypeError(`synthGuest translate: pc must be a bigint, got ${typeof pc}`)
    if (onTranslate) onTranslate(pc)
    const b = new IRBuilder({ pc })
    const get = (r) => (r === 0 ? b.i64(0n) : b.getState('i64', 8 * r))
    const set = (r, v) => {
      if (r !== 0) b.setState(8 * r, v)
    }
    const imm64 = (imm) => b.i64(U64(imm))
    let at = pc
    let n = 0
    for (;;) {
      b.mark(at)
      if (at + BigInt(INSN_BYTES) > BigInt(memory.byteLength)) {
        b.trap(TRAP.FETCH, at)
        n++
        break
      }
      const i = decode(view, Number(at))
      n++
      const next = at + BigInt(INSN_BYTES)
      const target = U64(at + BigInt(i.imm))
      let ends = true
      switch (i.op) {
        case OP.halt:
          b.halt(at)
          break
        case OP.li:
          set(i.rd, imm64(i.imm))
          ends = false
          break
        case OP.add: case OP.sub: case OP.mul: case OP.xor: case OP.and: case OP.or: case OP.shl: case OP.shr: {
          const x = get(i.rs1)
          const y = get(i.rs2)
          const f = { [OP.add]: 'add', [OP.sub]: 'sub', [OP.mul]: 'mul', [OP.xor]: 'xor', [OP.and]: 'and', [OP.or]: 'or', [OP.shl]: 'shl', [OP.shr]: 'ushr' }[i.op]
          set(i.rd, b[f](x, y))
          ends = false
          break
        }
        case OP.addi:
          set(i.rd, b.add(get(i.rs1), imm64(i.imm)))
          ends = false
          break
        case OP.ld:
          set(i.rd, b.load('i64', b.add(get(i.rs1), imm64(i.imm))))
          ends = false
          break
        case OP.lb:
          set(i.rd, b.load('i64', b.add(get(i.rs1), imm64(i.imm)), { width: 1 }))
          ends = false
          break
        case OP.st:
          b.store(b.add(get(i.rs1), imm64(i.imm)), get(i.rs2))
          ends = false
          break
        case OP.sb:
          b.store(b.add(get(i.rs1), imm64(i.imm)), get(i.rs2), { width: 1 })
          ends = false
          break
        case OP.beq: case OP.bne: case OP.blt: {
          const cc = i.op === OP.beq ? 'eq' : i.op === OP.bne ? 'ne' : 'slt'
          const taken = b.label()
          const fall = b.label()
          b.branchIf(b.icmp(cc, get(i.rs1), get(i.rs2)), taken, fall)
          b.bind(taken)
          b.exit(target)
          b.bind(fall)
          b.exit(next)
          break
        }
        case OP.j:
          b.exit(target)
          break
        case OP.jal: {
          const sp = b.sub(get(SP), b.i64(8n))
          b.store(sp, b.i64(next))
          set(SP, sp)
          b.exit(target)
          break
        }
        case OP.ret: {
          const sp = get(SP)
          const ra = b.load('i64', sp)
          set(SP, b.add(sp, b.i64(8n)))
          b.exit(ra)
          break
        }
        case OP.ecall:
          b.trap(i.imm >>> 0, at)
          break
        default:
          b.trap(TRAP.ILLEGAL, at)
          break
      }
      if (ends) break
      at = next
      if (n >= MAX_BLOCK_INSNS) {
        b.exit(at)
        break
      }
    }
    return { block: b.finish(), guestSize: n * INSN_BYTES }
  }
}

module.exports = { makeTranslator, MAX_BLOCK_INSNS }

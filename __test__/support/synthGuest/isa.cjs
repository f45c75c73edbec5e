// The synthetic guest's instruction set: a small 64-bit register machine, just rich enough to look
// like what an emulator translates (ALU ops, loads and stores, pc-relative branches, calls through a
// stack in guest memory, computed returns, traps to the host, and code that rewrites itself).
//
// Guest state (the register file) is 16 x 64-bit registers, r0..r15, at byte offset 8*i of the
// state buffer (STATE_BYTES = 128). r0 always reads 0 (writes to it are dropped); r15 is the stack
// pointer used by `jal` and `ret`. The pc is not in the state: it is the exit pc of each block.
//
// Every instruction is 8 bytes, little-endian:
//   byte 0 opcode | byte 1 rd | byte 2 rs1 | byte 3 rs2 | bytes 4..7 imm (i32, sign-extended)
//
//   halt                  stop (reason 'halt' at this pc)
//   li    rd, imm         rd = imm
//   add/sub/mul/xor/and/or rd, rs1, rs2
//   shl/shr rd, rs1, rs2  shift left / logical right by rs2 mod 64
//   addi  rd, rs1, imm    rd = rs1 + imm
//   ld    rd, imm(rs1)    rd = mem64[rs1 + imm]          st  rs2, imm(rs1)   mem64[rs1 + imm] = rs2
//   lb    rd, imm(rs1)    rd = mem8[rs1 + imm] (zero-ext) sb  rs2, imm(rs1)   mem8[rs1 + imm] = rs2
//   beq/bne/blt rs1, rs2, imm   if (rs1 ==/!=/< (signed) rs2) pc += imm else pc += 8
//   j     imm             pc += imm
//   jal   imm             sp -= 8; mem64[sp] = pc + 8; pc += imm      (call)
//   ret                   pc = mem64[sp]; sp += 8                       (return: a computed pc)
//   ecall imm             trap to the host with code imm; the host resumes at pc + 8
// An unknown opcode traps with TRAP.ILLEGAL; fetching outside memory traps with TRAP.FETCH.
'use strict'

const OP = Object.freeze({
  halt: 0x00,
  li: 0x01,
  add: 0x02,
  sub: 0x03,
  mul: 0x04,
  xor: 0x05,
  shl: 0x06,
  and: 0x07,
  or: 0x08,
  shr: 0x09,
  addi: 0x0a,
  ld: 0x10,
  st: 0x11,
  lb: 0x12,
  sb: 0x13,
  beq: 0x20,
  bne: 0x21,
  blt: 0x22,
  j: 0x23,
  jal: 0x24,
  ret: 0x25,
  ecall: 0x30,
})

/** Trap codes (the `ecall` immediate) the host services, and the translator's own. */
const TRAP = Object.freeze({
  /** Output the low byte of r1. */
  PUTC: 1,
  /** Output r1 as a 64-bit number. */
  PUT64: 2,
  /** The guest rewrote guest bytes [r1, r2): drop any translation of them. */
  SMC: 3,
  ILLEGAL: 0xfff0,
  FETCH: 0xfff1,
})

const INSN_BYTES = 8
const NREGS = 16
const SP = 15
const STATE_BYTES = NREGS * 8

/** One instruction word as 8 bytes. */
function encode(op, rd = 0, rs1 = 0, rs2 = 0, imm = 0) {
  for (const [what, r] of [['rd', rd], ['rs1', rs1], ['rs2', rs2]]) {
    if (!Number.isInteger(r) || r < 0 || r >= NREGS) throw new RangeError(`synthGuest: ${what} must be a register 0..15, got ${r}`)
  }
  if (!Number.isInteger(imm) || imm < -0x8000_0000 || imm > 0x7fff_ffff) throw new RangeError(`synthGuest: imm must be an i32, got ${imm}`)
  const bytes = new Uint8Array(INSN_BYTES)
  const dv = new DataView(bytes.buffer)
  dv.setUint8(0, op)
  dv.setUint8(1, rd)
  dv.setUint8(2, rs1)
  dv.setUint8(3, rs2)
  dv.setInt32(4, imm, true)
  return bytes
}

/** Decodes the instruction at byte `at` of `view` (a DataView over guest memory). */
function decode(view, at) {
  return {
    op: view.getUint8(at),
    rd: view.getUint8(at + 1) & 15,
    rs1: view.getUint8(at + 2) & 15,
    rs2: view.getUint8(at + 3) & 15,
    imm: view.getInt32(at + 4, true),
  }
}

const NAMES = Object.freeze(Object.fromEntries(Object.entries(OP).map(([k, v]) => [v, k])))

/** Text of one decoded instruction (for failure messages). */
function disassemble(insn) {
  const n = NAMES[insn.op] ?? `op_0x${insn.op.toString(16)}`
  return `${n} rd=r${insn.rd} rs1=r${insn.rs1} rs2=r${insn.rs2} imm=${insn.imm}`
}

module.exports = { OP, TRAP, INSN_BYTES, NREGS, SP, STATE_BYTES, encode, decode, disassemble }

// Assembler for the synthetic guest (isa.cjs): methods per instruction, labels, data words, and an
// image of guest memory. Branch and call targets are labels, resolved when the image is built.
//
//   const a = new Assembler({ base: 0x1000 })
//   const loop = a.label()
//   a.li(1, 0).bind(loop).addi(1, 1, 1).li(2, 10).blt(1, 2, loop).halt()
//   const image = a.image(1 << 16)     // { memory: Uint8Array, labels, codeStart, codeEnd }
'use strict'

const { OP, INSN_BYTES, encode } = require('./isa.cjs')

class Label {
  constructor(name) {
    this.name = name
    /** Byte address once bound. */
    this.at = undefined
  }
}

class Assembler {
  constructor({ base = 0x1000 } = {}) {
    this.base = base
    /** Instructions and data: { at, bytes } or { at, op, rd, rs1, rs2, target: Label }. */
    this.items = []
    this.pc = base
    this.named = new Map()
  }

  /** A new label (named ones can be looked up in the image's `labels`). */
  label(name) {
    const l = new Label(name)
    if (name !== undefined) {
      if (this.named.has(name)) throw new Error(`synthGuest asm: label '${name}' defined twice`)
      this.named.set(name, l)
    }
    return l
  }

  /** Binds `label` (or a new label named `label`) to the current address; returns this. */
  bind(label) {
    const l = typeof label === 'string' ? this.label(label) : label
    if (l.at !== undefined) throw new Error(`synthGuest asm: label ${l.name ?? '(anonymous)'} bound twice`)
    l.at = this.pc
    return this
  }

  /** A label bound here. */
  here(name) {
    const l = this.label(name)
    this.bind(l)
    return l
  }

  #insn(op, rd, rs1, rs2, imm, target) {
    this.items.push({ at: this.pc, op, rd, rs1, rs2, imm, target })
    this.pc += INSN_BYTES
    return this
  }

  halt() { return this.#insn(OP.halt, 0, 0, 0, 0) }
  li(rd, imm) { return this.#insn(OP.li, rd, 0, 0, imm) }
  add(rd, rs1, rs2) { return this.#insn(OP.add, rd, rs1, rs2, 0) }
  sub(rd, rs1, rs2) { return this.#insn(OP.sub, rd, rs1, rs2, 0) }
  mul(rd, rs1, rs2) { return this.#insn(OP.mul, rd, rs1, rs2, 0) }
  xor(rd, rs1, rs2) { return this.#insn(OP.xor, rd, rs1, rs2, 0) }
  and(rd, rs1, rs2) { return this.#insn(OP.and, rd, rs1, rs2, 0) }
  or(rd, rs1, rs2) { return this.#insn(OP.or, rd, rs1, rs2, 0) }
  shl(rd, rs1, rs2) { return this.#insn(OP.shl, rd, rs1, rs2, 0) }
  shr(rd, rs1, rs2) { return this.#insn(OP.shr, rd, rs1, rs2, 0) }
  addi(rd, rs1, imm) { return this.#insn(OP.addi, rd, rs1, 0, imm) }
  ld(rd, rs1, imm = 0) { return this.#insn(OP.ld, rd, rs1, 0, imm) }
  st(rs2, rs1, imm = 0) { return this.#insn(OP.st, 0, rs1, rs2, imm) }
  lb(rd, rs1, imm = 0) { return this.#insn(OP.lb, rd, rs1, 0, imm) }
  sb(rs2, rs1, imm = 0) { return this.#insn(OP.sb, 0, rs1, rs2, imm) }
  beq(rs1, rs2, target) { return this.#insn(OP.beq, 0, rs1, rs2, 0, target) }
  bne(rs1, rs2, target) { return this.#insn(OP.bne, 0, rs1, rs2, 0, target) }
  blt(rs1, rs2, target) { return this.#insn(OP.blt, 0, rs1, rs2, 0, target) }
  j(target) { return this.#insn(OP.j, 0, 0, 0, 0, target) }
  jal(target) { return this.#insn(OP.jal, 0, 0, 0, 0, target) }
  ret() { return this.#insn(OP.ret, 0, 0, 0, 0) }
  ecall(code) { return this.#insn(OP.ecall, 0, 0, 0, code) }
  /** Raw 64-bit data words at the current address. */
  words(values) {
    const bytes = new Uint8Array(values.length * 8)
    const dv = new DataView(bytes.buffer)
    values.forEach((v, k) => dv.setBigUint64(8 * k, BigInt.asUintN(64, BigInt(v)), true))
    return this.bytes(bytes)
  }

  /** Raw bytes at the current address. */
  bytes(bytes) {
    this.items.push({ at: this.pc, bytes: Uint8Array.from(bytes) })
    this.pc += bytes.length
    return this
  }

  /** Pads with zero bytes to a multiple of `n`. */
  align(n) {
    const pad = (n - ((this.pc - this.base) % n)) % n
    if (pad) this.bytes(new Uint8Array(pad))
    return this
  }

  /** Moves the current address forward to `at`. */
  org(at) {
    if (at < this.pc) throw new Error(`synthGuest asm: org 0x${at.toString(16)} is below the current address 0x${this.pc.toString(16)}`)
    this.pc = at
    return this
  }

  /** Encodes one instruction with its target resolved against address `at` (for patches). */
  static encodeAt(item, at = item.at) {
    let imm = item.imm ?? 0
    if (item.target) {
      if (item.target.at === undefined) throw new Error(`synthGuest asm: label ${item.target.name ?? '(anonymous)'} used but never bound`)
      imm = item.target.at - at
    }
    return encode(item.op, item.rd, item.rs1, item.rs2, imm)
  }

  /**
   * The guest memory image: `memorySize` bytes with everything assembled so far placed at its
   * address. `codeEnd` is the end of the last instruction or data item.
   */
  image(memorySize) {
    if (this.pc > memorySize) throw new Error(`synthGuest asm: the program ends at 0x${this.pc.toString(16)}, beyond memory of ${memorySize} bytes`)
    const memory = new Uint8Array(memorySize)
    for (const it of this.items) memory.set(it.bytes ?? Assembler.encodeAt(it), it.at)
    const labels = {}
    for (const [name, l] of this.named) {
      if (l.at === undefined) throw new Error(`synthGuest asm: label '${name}' never bound`)
      labels[name] = l.at
    }
    return { memory, labels, codeStart: this.base, codeEnd: this.pc }
  }
}

module.exports = { Assembler, Label }

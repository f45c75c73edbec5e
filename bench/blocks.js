'use strict'
// The IR the benchmarks compile and run, built with the public IRBuilder, deterministically.
//
// - emulatorBlock(targetOps): what a RISC-V-style emulator hands over for one guest basic block:
//   per guest instruction a `mark`, register reads/writes in guest state (x1..x31 as i64 slots at
//   8*k), ALU ops with registers and immediates, loads and stores at register+offset addresses
//   (bounds-checked by the IR), ending in a conditional branch (beq/bne/bltu-like) with two exits.
// - sumBlock / sieveBlock / crc32Block: the loop kernels of crates/vm-jit-core/src/kernels.rs,
//   written as the IR a guest loop would become (n in x11 = state offset 88, result in x10 = 80).

const { IRBuilder } = require('..')

const N_OFFSET = 88 // x11
const RESULT_OFFSET = 80 // x10

/** Small deterministic PRNG (mulberry32). */
function prng(seed) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const reg = (k) => 8 * k

/**
 * A guest basic block of about `targetOps` IR ops (the exact count is `block.opCount`). The first
 * instructions are fixed (an add-immediate, then a load, then for bigger blocks a store) so that
 * even the smallest block touches memory; the rest are drawn from a seeded PRNG.
 */
function emulatorBlock(targetOps, seed = 1) {
  const rnd = prng(seed * 7919 + targetOps)
  const pick = (xs) => xs[Math.floor(rnd() * xs.length)]
  const anyReg = () => 1 + Math.floor(rnd() * 31)
  const pc0 = 0x8000_0000n + BigInt(targetOps) * 0x1000n
  const b = new IRBuilder({ pc: pc0 })
  let pc = pc0
  const TAIL = 11 // ops of the closing conditional branch
  const kinds = ['alu', 'alu', 'alu', 'alui', 'alui', 'alui', 'load', 'store', 'lui', 'shift']
  let k = 0
  while (b.opCount + TAIL < targetOps) {
    const kind = k === 0 ? 'alui' : k === 1 ? 'load0' : k === 2 && targetOps >= 40 ? 'store' : pick(kinds)
    k++
    b.mark(pc)
    pc += 4n
    switch (kind) {
      case 'alu': { // add/sub/xor/and/or/sltu rd, rs1, rs2
        const x = b.getState('i64', reg(anyReg()))
        const y = b.getState('i64', reg(anyReg()))
        const op = pick(['add', 'sub', 'xor', 'and', 'or', 'sltu'])
        const r = op === 'sltu' ? b.zext('i64', b.icmp('ult', x, y)) : b[op](x, y)
        b.setState(reg(anyReg()), r)
        break
      }
      case 'alui': { // addi/xori/andi rd, rs1, imm
        const x = b.getState('i64', reg(anyReg()))
        const imm = b.i64(BigInt.asUintN(64, BigInt(Math.floor(rnd() * 4096) - 2048)))
        b.setState(reg(anyReg()), b[pick(['add', 'xor', 'and', 'or'])](x, imm))
        break
      }
      case 'shift': { // slli/srli/srai rd, rs1, shamt
        const x = b.getState('i64', reg(anyReg()))
        const sh = b.i64(BigInt(Math.floor(rnd() * 64)))
        b.setState(reg(anyReg()), b[pick(['shl', 'ushr', 'sshr'])](x, sh))
        break
      }
      case 'lui': { // lui rd, imm
        b.setState(reg(anyReg()), b.i64(BigInt.asUintN(64, BigInt((Math.floor(rnd() * 0xfffff) - 0x80000) * 4096))))
        break
      }
      case 'load0': { // ld rd, 0(rs1)
        const a = b.getState('i64', reg(anyReg()))
        b.setState(reg(anyReg()), b.load('i64', a))
        break
      }
      case 'load': { // lw/ld/lbu rd, off(rs1)
        const a = b.add(b.getState('i64', reg(anyReg())), b.i64(BigInt(Math.floor(rnd() * 256) * 4)))
        const w = pick([1, 4, 8])
        b.setState(reg(anyReg()), b.load('i64', a, { width: w, signed: w === 4 }))
        break
      }
      case 'store': { // sw/sd rs2, off(rs1)
        const a = b.add(b.getState('i64', reg(anyReg())), b.i64(BigInt(Math.floor(rnd() * 256) * 4)))
        b.store(a, b.getState('i64', reg(anyReg())), { width: pick([4, 8]) })
        break
      }
      default:
        throw new Error(`unknown kind ${kind}`)
    }
  }
  // bltu/bne rs1, rs2, target: two exits
  b.mark(pc)
  const x = b.getState('i64', reg(anyReg()))
  const y = b.getState('i64', reg(anyReg()))
  const taken = b.label()
  const fall = b.label()
  b.branchIf(b.icmp(pick(['ne', 'ult', 'slt']), x, y), taken, fall)
  b.bind(taken)
  b.exit(pc0 - 0x40n)
  b.bind(fall)
  b.exit(pc + 4n)
  return b.finish()
}

/** `sum`: the README example. Sums n little-endian i64 words at guest address 0. */
function sumBlock() {
  const b = new IRBuilder({ pc: 0x1000n })
  const n = b.getState('i64', N_OFFSET)
  const i = b.local('i64', 0n)
  const acc = b.local('i64', 0n)
  const loop = b.label()
  const body = b.label()
  const done = b.label()
  b.jump(loop)
  b.bind(loop)
  b.branchIf(b.icmp('ult', b.get(i), n), body, done)
  b.bind(body)
  b.mark(0x1008n)
  b.set(acc, b.add(b.get(acc), b.load('i64', b.shl(b.get(i), b.i64(3n)))))
  b.set(i, b.add(b.get(i), b.i64(1n)))
  b.jump(loop)
  b.bind(done)
  b.setState(RESULT_OFFSET, b.get(acc))
  b.exit(0x1010n)
  return b.finish()
}

/**
 * `sieve`: sieve of Eratosthenes over n bytes of (zeroed) memory; marks composites with 1 and
 * counts the primes below n:
 *   for (i = 2; i < n; i++) if (mem[i] == 0) { count++; for (j = i*i; j < n; j += i) mem[j] = 1 }
 */
function sieveBlock() {
  const b = new IRBuilder({ pc: 0x2000n })
  const n = b.getState('i64', N_OFFSET)
  const i = b.local('i64', 2n)
  const j = b.local('i64')
  const count = b.local('i64', 0n)
  const outer = b.label()
  const test = b.label()
  const prime = b.label()
  const inner = b.label()
  const mark = b.label()
  const next = b.label()
  const done = b.label()
  b.jump(outer)
  b.bind(outer)
  b.branchIf(b.icmp('ult', b.get(i), n), test, done)
  b.bind(test)
  b.mark(0x2008n)
  const flag = b.load('i64', b.get(i), { width: 1 })
  b.branchIf(b.icmp('eq', flag, b.i64(0n)), prime, next)
  b.bind(prime)
  b.set(count, b.add(b.get(count), b.i64(1n)))
  b.set(j, b.mul(b.get(i), b.get(i)))
  b.jump(inner)
  b.bind(inner)
  b.branchIf(b.icmp('ult', b.get(j), n), mark, next)
  b.bind(mark)
  b.mark(0x2010n)
  b.store(b.get(j), b.i8(1), { width: 1 })
  b.set(j, b.add(b.get(j), b.get(i)))
  b.jump(inner)
  b.bind(next)
  b.set(i, b.add(b.get(i), b.i64(1n)))
  b.jump(outer)
  b.bind(done)
  b.setState(RESULT_OFFSET, b.get(count))
  b.exit(0x2020n)
  return b.finish()
}

/**
 * `crc32`: bitwise reflected CRC-32 (poly 0xEDB88320) of n bytes at guest address 0, with a real
 * inner loop of 8 iterations per byte (as a guest loop would be); the result is ~crc, zero-extended.
 *   crc = ~0; for each byte { crc ^= byte; for (k = 0; k < 8; k++) crc = (crc >> 1) ^ (0xEDB88320 & -(crc & 1)) }
 */
function crc32Block() {
  const b = new IRBuilder({ pc: 0x3000n })
  const n = b.getState('i64', N_OFFSET)
  const i = b.local('i64', 0n)
  const k = b.local('i32')
  const crc = b.local('i32', 0xffff_ffff)
  const outer = b.label()
  const body = b.label()
  const inner = b.label()
  const next = b.label()
  const done = b.label()
  b.jump(outer)
  b.bind(outer)
  b.branchIf(b.icmp('ult', b.get(i), n), body, done)
  b.bind(body)
  b.mark(0x3008n)
  b.set(crc, b.xor(b.get(crc), b.load('i32', b.get(i), { width: 1 })))
  b.set(k, b.i32(0))
  b.jump(inner)
  b.bind(inner)
  const c = b.get(crc)
  const mask = b.and(b.i32(0xedb8_8320), b.neg(b.and(c, b.i32(1))))
  b.set(crc, b.xor(b.ushr(c, b.i32(1)), mask))
  const k1 = b.add(b.get(k), b.i32(1))
  b.set(k, k1)
  b.branchIf(b.icmp('ult', k1, b.i32(8)), inner, next)
  b.bind(next)
  b.set(i, b.add(b.get(i), b.i64(1n)))
  b.jump(outer)
  b.bind(done)
  b.setState(RESULT_OFFSET, b.zext('i64', b.not(b.get(crc))))
  b.exit(0x3010n)
  return b.finish()
}

module.exports = { emulatorBlock, sumBlock, sieveBlock, crc32Block, prng, N_OFFSET, RESULT_OFFSET }

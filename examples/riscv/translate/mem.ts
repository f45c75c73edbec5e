// Loads, stores and the A extension → IR. Guest addresses are offsets into guest memory, so an
// access is one IR load/store (bounds-checked by the IR: out of range exits with `fault`).
//
// Atomics run single-threaded: an AMO is load, op, store; LR records the address in the state's
// reservation slot, SC succeeds when the reservation is for the same address (and always clears
// it). A failing SC stores the old value back rather than branching, which is the same thing for
// a single hart and keeps the block straight-line.

import type { ValueId as Value } from 'vm-jit-native'
import { RESERVATION_NONE, RESERVATION_OFFSET } from '../state.ts'
import type { Emitter } from './emitter.ts'
import type { Insn } from './insn.ts'

const SIGNED_LOADS = new Set(['lb', 'lh', 'lw', 'ld'])

/** Emits `i` if it is a load, store or atomic; returns false otherwise. */
export function emitMem(e: Emitter, i: Insn): boolean {
  const b = e.b
  const width = i.width as 1 | 2 | 4 | 8
  switch (i.op) {
    case 'lb': case 'lh': case 'lw': case 'ld': case 'lbu': case 'lhu': case 'lwu': {
      const v = b.load('i64', e.addrOf(i.rs1, i.imm), width, SIGNED_LOADS.has(i.op) && width < 8)
      e.setX(i.rd, v)
      return true
    }
    case 'sb': case 'sh': case 'sw': case 'sd':
      b.store(e.addrOf(i.rs1, i.imm), e.getX(i.rs2), width)
      return true
    case 'fl': {
      const addr = e.addrOf(i.rs1, i.imm)
      if (i.fmt === 0) e.setF32(i.rd, b.load('f32', addr))
      else e.setF64(i.rd, b.load('f64', addr))
      return true
    }
    case 'fs': {
      const addr = e.addrOf(i.rs1, i.imm)
      if (i.fmt === 0) b.store(addr, e.getFLow32(i.rs2), 4)
      else b.store(addr, e.getFBits(i.rs2))
      return true
    }
    case 'lr': {
      const addr = e.getX(i.rs1)
      const v = b.load('i64', addr, width, width === 4)
      b.setState(RESERVATION_OFFSET, addr)
      e.setX(i.rd, v)
      return true
    }
    case 'sc': {
      const addr = e.getX(i.rs1)
      const ok = b.icmp('eq', b.getState('i64', RESERVATION_OFFSET), addr)
      const old = b.load('i64', addr, width)
      b.store(addr, b.select(ok, e.getX(i.rs2), old), width)
      b.setState(RESERVATION_OFFSET, e.i64(RESERVATION_NONE))
      e.setX(i.rd, b.select(ok, e.i64(0), e.i64(1)))
      return true
    }
    case 'amoswap': case 'amoadd': case 'amoxor': case 'amoand': case 'amoor':
    case 'amomin': case 'amomax': case 'amominu': case 'amomaxu':
      emitAmo(e, i, width as 4 | 8)
      return true
    default:
      return false
  }
}

function emitAmo(e: Emitter, i: Insn, width: 4 | 8): void {
  const b = e.b
  const addr = e.getX(i.rs1)
  const src = e.getX(i.rs2)
  // The old value, sign-extended for .w (that is what rd receives).
  const old = b.load('i64', addr, width, width === 4)
  let nv: Value
  switch (i.op) {
    case 'amoswap': nv = src; break
    case 'amoadd': nv = b.add(old, src); break
    case 'amoxor': nv = b.xor(old, src); break
    case 'amoand': nv = b.and(old, src); break
    case 'amoor': nv = b.or(old, src); break
    default: {
      // min/max compare at the access width.
      const a = width === 4 ? b.trunc('i32', old) : old
      const c = width === 4 ? b.trunc('i32', src) : src
      const cc = i.op === 'amomin' ? 'slt' : i.op === 'amomax' ? 'sgt' : i.op === 'amominu' ? 'ult' : 'ugt'
      nv = b.select(b.icmp(cc, a, c), old, src)
    }
  }
  b.store(addr, nv, width)
  e.setX(i.rd, old)
}

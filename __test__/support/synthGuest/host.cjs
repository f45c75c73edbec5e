// The host side of the synthetic guest: servicing traps, the reference runner (the executable
// spec: every block translated and run in the tier-0 Interpreter, block by block, in a JS loop)
// and the same host loop around a TieredCompiler.
'use strict'

const { Interpreter } = require('vm-jit-native')
const { TRAP, INSN_BYTES, disassemble, decode } = require('./isa.cjs')
const { makeTranslator } = require('./translate.cjs')

const hex = (x) => `0x${BigInt(x).toString(16)}`

/** Guest memory, state and a translator over that memory, for one run of `program`. */
function newGuest(program, options = {}) {
  const memory = options.sharedMemory ? new Uint8Array(new SharedArrayBuffer(program.memory.length)) : new Uint8Array(program.memory.length)
  memory.set(program.memory)
  const state = program.initialState()
  const guest = { program, memory, state, translations: 0, translate: undefined }
  guest.translate = makeTranslator(memory, { onTranslate: () => guest.translations++ })
  return guest
}

function reg(state, r) {
  return new DataView(state.buffer, state.byteOffset, state.byteLength).getBigUint64(8 * r, true)
}

/**
 * Services trap `code` raised at `pc`: PUTC/PUT64 append to `out`; SMC calls
 * `invalidate(start, end)` with [r1, r2). Anything else is an error naming the instruction.
 */
function serviceTrap(code, pc, guest, out, invalidate) {
  switch (code) {
    case TRAP.PUTC:
      out.push(Number(reg(guest.state, 1) & 0xffn))
      return
    case TRAP.PUT64:
      out.push(reg(guest.state, 1))
      return
    case TRAP.SMC:
      invalidate(reg(guest.state, 1), reg(guest.state, 2))
      return
    default: {
      let what = ''
      if (pc >= 0n && pc + BigInt(INSN_BYTES) <= BigInt(guest.memory.length)) {
        what = ` (${disassemble(decode(new DataView(guest.memory.buffer, guest.memory.byteOffset), Number(pc)))})`
      }
      throw new Error(`synthGuest: unexpected trap ${code} at ${hex(pc)}${what}`)
    }
  }
}

function unexpected(e, guest) {
  const extra = e.faultAddress !== undefined ? ` fault address ${hex(e.faultAddress)}` : e.trapCode !== undefined ? ` trap ${e.trapCode}` : ''
  return new Error(`synthGuest ${guest.program.name}: unexpected exit '${e.reason}' at ${hex(e.pc)}${extra}`)
}

/**
 * Runs `program` block by block: translate (cached per pc, dropped by SMC like a real emulator's
 * block cache), then `new Interpreter().run(block, state, memory)`. The executable spec of a run.
 */
function runReference(program, { maxBlocks = 100_000_000 } = {}) {
  const guest = newGuest(program)
  const interp = new Interpreter()
  const cache = new Map()
  const out = []
  let pc = program.entry
  let blocks = 0
  let smc = 0
  for (;;) {
    let t = cache.get(pc)
    if (!t) {
      t = guest.translate(pc)
      if (t.block.pc !== pc) throw new Error(`synthGuest: translate(${hex(pc)}) returned a block for ${hex(t.block.pc)}`)
      cache.set(pc, t)
    }
    const e = interp.run(t.block, guest.state, guest.memory)
    if (++blocks > maxBlocks) throw new Error(`synthGuest ${program.name}: more than ${maxBlocks} blocks, giving up`)
    if (e.reason === 'exit') {
      pc = e.pc
      continue
    }
    if (e.reason === 'halt') break
    if (e.reason !== 'trap') throw unexpected(e, guest)
    serviceTrap(e.trapCode, e.pc, guest, out, (start, end) => {
      smc++
      for (const [p, tr] of cache) if (p < end && start < p + BigInt(tr.guestSize)) cache.delete(p)
    })
    pc = e.pc + BigInt(INSN_BYTES)
  }
  return { state: guest.state, memory: guest.memory, out, blocks, translations: guest.translations, smc, distinctBlocks: new Set(cache.keys()).size }
}

/**
 * The host loop around a TieredCompiler whose `translate` is `guest.translate`: jit.run until
 * halt, servicing traps (resume at pc + 8), resuming after 'fuel' from the pc returned. Returns
 * the output and what stopped the runs.
 * `fuel`: fuel per jit.run call (default 1e9). `onStop(exit)`: called for every jit.run result.
 */
function runTiered(jit, guest, { fuel, onStop, maxRuns = 10_000_000 } = {}) {
  const out = []
  const stops = { halt: 0, trap: 0, fuel: 0, interrupt: 0 }
  let pc = guest.program.entry
  let runs = 0
  let smc = 0
  for (;;) {
    const e = jit.run(pc, guest.state, guest.memory, fuel === undefined ? {} : { fuel })
    if (onStop) onStop(e)
    if (++runs > maxRuns) throw new Error(`synthGuest ${guest.program.name}: more than ${maxRuns} jit.run calls, giving up`)
    if (e.reason in stops) stops[e.reason]++
    if (e.reason === 'halt') break
    if (e.reason === 'fuel' || e.reason === 'interrupt') {
      pc = e.pc
      continue
    }
    if (e.reason !== 'trap') throw unexpected(e, guest)
    serviceTrap(e.trapCode, e.pc, guest, out, (start, end) => {
      smc++
      jit.invalidateRange(start, end)
    })
    pc = e.pc + BigInt(INSN_BYTES)
  }
  return { state: guest.state, memory: guest.memory, out, runs, stops, smc, translations: guest.translations }
}

/**
 * Puts `guest` back to its program's initial memory and registers, for another run with the same
 * TieredCompiler (its translate reads this memory). Code words the last run rewrote (self-modifying
 * code) are changed back behind the JIT's back, so each such word is invalidated in `jit`, as an
 * emulator reloading a program would. Returns the number of code words restored.
 */
function resetGuest(guest, jit) {
  const { program, memory } = guest
  let restored = 0
  for (let at = program.codeStart; at < program.codeEnd; at += INSN_BYTES) {
    let same = true
    for (let k = 0; k < INSN_BYTES; k++) if (memory[at + k] !== program.memory[at + k]) same = false
    if (!same) {
      restored++
      if (jit) jit.invalidateRange(BigInt(at), BigInt(at + INSN_BYTES))
    }
  }
  memory.set(program.memory)
  guest.state.set(program.initialState())
  return restored
}

/** First difference between two results (state, memory, output), or undefined. */
function diffResults(a, b) {
  const firstDiff = (x, y) => {
    const n = Math.min(x.length, y.length)
    for (let k = 0; k < n; k++) if (x[k] !== y[k]) return k
    return x.length === y.length ? -1 : n
  }
  let k = firstDiff(a.state, b.state)
  if (k >= 0) return `state differs first at byte ${k} (register r${k >> 3}): ${hex(reg(a.state, k >> 3))} vs ${hex(reg(b.state, k >> 3))}`
  k = firstDiff(a.memory, b.memory)
  if (k >= 0) return `memory differs first at byte ${hex(k)}: ${a.memory[k]} vs ${b.memory[k]}`
  k = firstDiff(a.out, b.out)
  if (k >= 0) return `output differs first at item ${k}: ${a.out[k]} vs ${b.out[k]} (lengths ${a.out.length}, ${b.out.length})`
  return undefined
}

module.exports = { newGuest, resetGuest, serviceTrap, runReference, runTiered, diffResults, reg }

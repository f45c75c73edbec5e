// The guest register file: where each RV64GC register lives in the state buffer that blocks
// read and write with get_state/set_state. x registers at 8*i (so x10 = a0 is at 80, like the
// package README's example), f registers after them, then fcsr and the LR/SC reservation.

/** Byte offset of integer register x`i` (x0 is never written: it reads as a constant). */
export const xOffset = (i: number): number => 8 * i

/** Byte offset of float register f`i` (64 bits; singles are NaN-boxed in the low half). */
export const fOffset = (i: number): number => 256 + 8 * i

/** fcsr as an i32: frm in bits 7..5, fflags in bits 4..0. */
export const FCSR_OFFSET = 512

/** The address of the last LR, or RESERVATION_NONE when there is no reservation. */
export const RESERVATION_OFFSET = 520
export const RESERVATION_NONE = -1n

/** The pc where the guest stopped (written by the emulator, not by blocks). */
export const PC_OFFSET = 528

/** Guest instructions retired, counted by blocks translated with `countInstructions`. */
export const INSN_COUNT_OFFSET = 536

/** Bytes of state every block may touch. */
export const STATE_SIZE = 544

/** ABI names of the x registers, for messages and dumps. */
export const X_NAMES = [
  'zero', 'ra', 'sp', 'gp', 'tp', 't0', 't1', 't2', 's0', 's1', 'a0', 'a1', 'a2', 'a3', 'a4', 'a5',
  'a6', 'a7', 's2', 's3', 's4', 's5', 's6', 's7', 's8', 's9', 's10', 's11', 't3', 't4', 't5', 't6',
]

/** Typed views of one state buffer, for the host side (syscalls, the loader, tests). */
export class GuestState {
  readonly bytes: Uint8Array
  readonly #x: BigInt64Array
  readonly #view: DataView

  constructor(bytes: Uint8Array = new Uint8Array(STATE_SIZE)) {
    if (bytes.byteLength < STATE_SIZE) throw new RangeError(`guest state needs ${STATE_SIZE} bytes, got ${bytes.byteLength}`)
    this.bytes = bytes
    this.#x = new BigInt64Array(bytes.buffer, bytes.byteOffset, 32)
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    this.reservation = RESERVATION_NONE
  }

  /** x`i` as a signed 64-bit value. */
  x(i: number): bigint {
    return i === 0 ? 0n : this.#x[i]
  }

  /** x`i` as an unsigned 64-bit value. */
  ux(i: number): bigint {
    return BigInt.asUintN(64, this.x(i))
  }

  /** x`i` as a JS number (for addresses, lengths, fds: values below 2^53). */
  xn(i: number): number {
    return Number(this.x(i))
  }

  setX(i: number, v: bigint | number): void {
    if (i !== 0) this.#x[i] = BigInt.asIntN(64, BigInt(v))
  }

  /** f`i`'s raw 64 bits. */
  fBits(i: number): bigint {
    return this.#view.getBigUint64(fOffset(i), true)
  }

  setFBits(i: number, v: bigint): void {
    this.#view.setBigUint64(fOffset(i), BigInt.asUintN(64, v), true)
  }

  get fcsr(): number {
    return this.#view.getUint32(FCSR_OFFSET, true)
  }

  set fcsr(v: number) {
    this.#view.setUint32(FCSR_OFFSET, v & 0xff, true)
  }

  get reservation(): bigint {
    return this.#view.getBigInt64(RESERVATION_OFFSET, true)
  }

  set reservation(v: bigint) {
    this.#view.setBigInt64(RESERVATION_OFFSET, v, true)
  }

  /** Instructions retired (only counted when the translator instruments blocks). */
  get instructionCount(): bigint {
    return this.#view.getBigUint64(INSN_COUNT_OFFSET, true)
  }

  set instructionCount(v: bigint) {
    this.#view.setBigUint64(INSN_COUNT_OFFSET, v, true)
  }

  get pc(): bigint {
    return this.#view.getBigUint64(PC_OFFSET, true)
  }

  set pc(v: bigint) {
    this.#view.setBigUint64(PC_OFFSET, v, true)
  }
}

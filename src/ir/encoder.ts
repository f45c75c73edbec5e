// A growable little-endian byte writer with unsigned LEB128: the only primitives the IR's
// binary encoding (docs/IR.md) needs. Kept free of IR knowledge so it can be tested on its own.

const U32_LIMIT = 0x1_0000_0000
const U64_MASK = (1n << 64n) - 1n

export class ByteWriter {
  #buf: Uint8Array
  #len = 0

  constructor(initialCapacity = 256) {
    this.#buf = new Uint8Array(Math.max(16, initialCapacity))
  }

  /** Bytes written so far. */
  get length(): number {
    return this.#len
  }

  #reserve(n: number): void {
    const need = this.#len + n
    if (need <= this.#buf.length) return
    let cap = this.#buf.length * 2
    while (cap < need) cap *= 2
    const next = new Uint8Array(cap)
    next.set(this.#buf.subarray(0, this.#len))
    this.#buf = next
  }

  u8(x: number): this {
    this.#reserve(1)
    this.#buf[this.#len++] = x & 0xff
    return this
  }

  u16(x: number): this {
    this.#reserve(2)
    this.#buf[this.#len++] = x & 0xff
    this.#buf[this.#len++] = (x >>> 8) & 0xff
    return this
  }

  /** Fixed 8 bytes, little-endian; `x` is taken modulo 2^64 (callers pass already-masked bits). */
  u64(x: bigint): this {
    this.#reserve(8)
    let v = x & U64_MASK
    for (let k = 0; k < 8; k++) {
      this.#buf[this.#len++] = Number(v & 0xffn)
      v >>= 8n
    }
    return this
  }

  /**
   * Unsigned LEB128 of a value below 2^32 (the IR's `uN`). Numbers keep this on the fast path:
   * nearly every uN is a small value id or label.
   */
  uleb(x: number): this {
    if (!Number.isInteger(x) || x < 0 || x >= U32_LIMIT) {
      throw new RangeError(`ByteWriter.uleb: ${x} is not an integer in [0, 2^32)`)
    }
    this.#reserve(5)
    let v = x
    while (v >= 0x80) {
      this.#buf[this.#len++] = (v & 0x7f) | 0x80
      v = Math.floor(v / 128)
    }
    this.#buf[this.#len++] = v
    return this
  }

  bytes(b: Uint8Array): this {
    this.#reserve(b.length)
    this.#buf.set(b, this.#len)
    this.#len += b.length
    return this
  }

  /** A copy of the bytes written, exactly `length` long. */
  toBytes(): Uint8Array {
    return this.#buf.slice(0, this.#len)
  }
}

/** Number of bytes `uleb(x)` writes. */
export function ulebSize(x: number): number {
  let n = 1
  let v = x
  while (v >= 0x80) {
    v = Math.floor(v / 128)
    n++
  }
  return n
}

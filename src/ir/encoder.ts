// A growable little-endian byte writer with unsigned LEB128: the only primitives the IR's
// binary encoding (docs/IR.md) needs. Kept free of IR knowledge so it can be tested on its own.

const U32_LIMIT = 0x1_0000_0000
const U64_MASK = (1n << 64n) - 1n

export class ByteWriter {
  // A plain array of small integers, not a Uint8Array: V8 allocates typed arrays of more than a
  // few dozen bytes outside the JS heap, which made buffer allocation (and its GC bookkeeping)
  // the main cost of building a block. Pushing SMIs is cheap; `toBytes()` allocates the one
  // Uint8Array of exactly the final size.
  readonly #a: number[] = []

  /**
   * @internal The backing array, for IRBuilder's hot path (it pushes opcode bytes directly: a
   * method call per byte was a large part of building a block with V8's optimiser off).
   */
  get array(): number[] {
    return this.#a
  }

  /** Bytes written so far. */
  get length(): number {
    return this.#a.length
  }

  u8(x: number): this {
    this.#a.push(x & 0xff)
    return this
  }

  u16(x: number): this {
    this.#a.push(x & 0xff, (x >>> 8) & 0xff)
    return this
  }

  /** Fixed 8 bytes, little-endian; `x` is taken modulo 2^64. */
  u64(x: bigint): this {
    // Two 32-bit halves: one BigInt split instead of eight BigInt shifts (constants are common).
    const v = x & U64_MASK
    const lo = Number(v & 0xffff_ffffn)
    const hi = Number(v >> 32n)
    this.#a.push(
      lo & 0xff, (lo >>> 8) & 0xff, (lo >>> 16) & 0xff, lo >>> 24,
      hi & 0xff, (hi >>> 8) & 0xff, (hi >>> 16) & 0xff, hi >>> 24,
    )
    return this
  }

  /**
   * Fixed 8 bytes, little-endian, of a safe integer (negative ones as two's complement): the
   * BigInt-free path for the constants and pcs an emulator has as plain numbers.
   */
  u64Number(x: number): this {
    pushU64Number(this.#a, x)
    return this
  }

  /**
   * Unsigned LEB128 of a value below 2^32 (the IR's `uN`). Numbers keep this on the fast path:
   * nearly every uN is a small value id or label.
   */
  uleb(x: number): this {
    pushUleb(this.#a, x)
    return this
  }

  /** Appends bytes (a Uint8Array, or another writer's contents). */
  bytes(b: Uint8Array | ByteWriter): this {
    const src = b instanceof ByteWriter ? b.#a : b
    const a = this.#a
    for (let k = 0; k < src.length; k++) a.push(src[k]!)
    return this
  }

  /** A new Uint8Array holding the bytes written, exactly `length` long. */
  toBytes(): Uint8Array {
    return new Uint8Array(this.#a)
  }

  /**
   * The bytes of several writers one after the other, in one new Uint8Array: a block's header,
   * helpers and body are written apart and joined once here (`set` copies a writer's array in
   * native code, where appending one writer to another went byte by byte in JavaScript).
   */
  static concat(parts: readonly ByteWriter[]): Uint8Array {
    let n = 0
    for (const p of parts) n += p.#a.length
    const out = new Uint8Array(n)
    let at = 0
    for (const p of parts) {
      out.set(p.#a, at)
      at += p.#a.length
    }
    return out
  }
}

/** `ByteWriter.u64Number` on a writer's backing array (see `array`). */
export function pushU64Number(a: number[], x: number): void {
  const lo = x >>> 0
  const hi = Math.floor(x / 0x1_0000_0000) >>> 0
  a.push(lo & 0xff, (lo >>> 8) & 0xff, (lo >>> 16) & 0xff, lo >>> 24, hi & 0xff, (hi >>> 8) & 0xff, (hi >>> 16) & 0xff, hi >>> 24)
}

/** `ByteWriter.uleb` on a writer's backing array (see `array`). */
export function pushUleb(a: number[], x: number): void {
  if (x >= 0 && x < 0x80 && (x | 0) === x) {
    a.push(x)
    return
  }
  if (!Number.isInteger(x) || x < 0 || x >= U32_LIMIT) {
    throw new RangeError(`ByteWriter.uleb: ${x} is not an integer in [0, 2^32)`)
  }
  let v = x
  while (v >= 0x80) {
    a.push((v & 0x7f) | 0x80)
    v = Math.floor(v / 128)
  }
  a.push(v)
}

// Ops as IRBuilder writes them into a body's backing array: an opcode (and immediate bytes), then
// LEB128 operands — B is a byte, U a uleb. Each pushes once when its operands are below 128, as
// value ids, labels and state offsets nearly always are (a method call per byte was a large part
// of building a block with V8's optimiser off).

export function pushOpU(a: number[], op: number, x: number): void {
  if (x < 0x80) a.push(op, x)
  else {
    a.push(op)
    pushUleb(a, x)
  }
}

export function pushOpUU(a: number[], op: number, x: number, y: number): void {
  if (x < 0x80 && y < 0x80) a.push(op, x, y)
  else {
    a.push(op)
    pushUleb(a, x)
    pushUleb(a, y)
  }
}

export function pushOpUUU(a: number[], op: number, x: number, y: number, z: number): void {
  if (x < 0x80 && y < 0x80 && z < 0x80) a.push(op, x, y, z)
  else {
    a.push(op)
    pushUleb(a, x)
    pushUleb(a, y)
    pushUleb(a, z)
  }
}

export function pushOpBU(a: number[], op: number, b: number, x: number): void {
  if (x < 0x80) a.push(op, b, x)
  else {
    a.push(op, b)
    pushUleb(a, x)
  }
}

export function pushOpBUU(a: number[], op: number, b: number, x: number, y: number): void {
  if (x < 0x80 && y < 0x80) a.push(op, b, x, y)
  else {
    a.push(op, b)
    pushUleb(a, x)
    pushUleb(a, y)
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

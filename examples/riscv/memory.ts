// Guest memory: one flat byte buffer in which a guest address is the offset of its byte. Static
// non-PIE RISC-V executables link at 0x10000, so the image, the heap (brk), anonymous mappings and
// the stack all fit in one buffer of a few hundred MiB, and generated code needs no address
// translation: a load's guest address is its offset, bounds-checked by the block IR itself.
//
// Layout (top down): the stack (STACK_SIZE) at the end of the buffer, anonymous mmaps below it
// growing down, the brk heap above the image growing up. Pages below 0x10000 exist (the IR's
// memory is one range starting at 0) but nothing is ever placed there.

export const PAGE_SIZE = 4096
export const STACK_SIZE = 8 << 20
export const DEFAULT_MEMORY_SIZE = 256 << 20

export const pageUp = (x: number): number => Math.ceil(x / PAGE_SIZE) * PAGE_SIZE
export const pageDown = (x: number): number => Math.floor(x / PAGE_SIZE) * PAGE_SIZE

/** Thrown by host-side accesses outside guest memory; syscalls turn it into -EFAULT. */
export class GuestFault extends Error {
  constructor(readonly address: number, readonly length: number) {
    super(`guest address 0x${address.toString(16)} (+${length}) is outside guest memory`)
  }
}

interface Mapping {
  start: number
  end: number
}

export class GuestMemory {
  readonly bytes: Uint8Array
  readonly view: DataView
  readonly size: number
  /** Lowest address of the stack region. */
  readonly stackBottom: number
  /** brk: the start of the heap (after the image) and its current end. */
  brkStart = 0
  brk = 0
  /** Anonymous mappings (sorted by start), allocated top-down below the stack. */
  readonly #maps: Mapping[] = []
  /** Highest end of the image: mappings never go below this plus the heap's reach. */
  #imageEnd = 0

  constructor(size = DEFAULT_MEMORY_SIZE) {
    if (size % PAGE_SIZE !== 0 || size < 16 << 20) throw new RangeError(`guest memory size must be a multiple of 4 KiB and at least 16 MiB, got ${size}`)
    this.bytes = new Uint8Array(size)
    this.view = new DataView(this.bytes.buffer)
    this.size = size
    this.stackBottom = size - STACK_SIZE
  }

  /** Called by the loader: the heap starts at the first page after the image. */
  setImageEnd(end: number): void {
    this.#imageEnd = pageUp(end)
    this.brkStart = this.brk = this.#imageEnd
  }

  check(addr: number, len: number): void {
    if (!(addr >= 0 && len >= 0 && addr + len <= this.size)) throw new GuestFault(addr, len)
  }

  read(addr: number, len: number): Uint8Array {
    this.check(addr, len)
    return this.bytes.subarray(addr, addr + len)
  }

  write(addr: number, data: Uint8Array): void {
    this.check(addr, data.length)
    this.bytes.set(data, addr)
  }

  fill(addr: number, len: number, value = 0): void {
    this.check(addr, len)
    this.bytes.fill(value, addr, addr + len)
  }

  u8(addr: number): number { this.check(addr, 1); return this.bytes[addr] }
  u16(addr: number): number { this.check(addr, 2); return this.view.getUint16(addr, true) }
  u32(addr: number): number { this.check(addr, 4); return this.view.getUint32(addr, true) }
  i32(addr: number): number { this.check(addr, 4); return this.view.getInt32(addr, true) }
  u64(addr: number): bigint { this.check(addr, 8); return this.view.getBigUint64(addr, true) }
  setU32(addr: number, v: number): void { this.check(addr, 4); this.view.setUint32(addr, v >>> 0, true) }
  setI32(addr: number, v: number): void { this.check(addr, 4); this.view.setInt32(addr, v | 0, true) }
  setU64(addr: number, v: bigint | number): void { this.check(addr, 8); this.view.setBigUint64(addr, BigInt.asUintN(64, BigInt(v)), true) }
  setI64(addr: number, v: bigint | number): void { this.check(addr, 8); this.view.setBigInt64(addr, BigInt.asIntN(64, BigInt(v)), true) }

  /** A NUL-terminated string at `addr` (at most `max` bytes), decoded as UTF-8. */
  cString(addr: number, max = 4096): string {
    this.check(addr, 1)
    const end = Math.min(this.size, addr + max)
    let p = addr
    while (p < end && this.bytes[p] !== 0) p++
    if (p === end) throw new GuestFault(addr, max)
    return Buffer.from(this.bytes.buffer, addr, p - addr).toString('utf8')
  }

  /** Writes `s` NUL-terminated at `addr`; returns the bytes written (with the NUL). */
  writeCString(addr: number, s: string): number {
    const b = Buffer.from(s + '\0', 'utf8')
    this.write(addr, b)
    return b.length
  }

  // -------------------------------------------------------------------------------------------
  // brk and anonymous mappings

  /** The lowest address a mapping may use: above the heap, with room for it to grow a little. */
  #mapFloor(): number {
    return pageUp(this.brk)
  }

  /** Sets the program break; returns the new (or unchanged, on failure) break, like the syscall. */
  setBrk(addr: number): number {
    if (addr < this.brkStart) return this.brk
    const limit = this.#maps.length > 0 ? this.#maps[0].start : this.stackBottom
    if (addr > limit) return this.brk
    if (addr > this.brk) this.bytes.fill(0, this.brk, addr)
    this.brk = addr
    return this.brk
  }

  /**
   * Maps `len` bytes of zeroed memory. `fixed` places it at `addr` exactly (replacing what was
   * there); otherwise the highest free gap below the stack is used. Returns the address or -1.
   */
  map(addr: number, len: number, fixed: boolean): number {
    len = pageUp(len)
    if (len === 0) return -1
    if (fixed) {
      if (addr % PAGE_SIZE !== 0 || addr < PAGE_SIZE || addr + len > this.size) return -1
      this.unmap(addr, len)
      this.#insert({ start: addr, end: addr + len })
      this.bytes.fill(0, addr, addr + len)
      return addr
    }
    // Top-down first fit in the gaps between the stack, the mappings and the heap.
    const place = (start: number): number => {
      this.#insert({ start, end: start + len })
      this.bytes.fill(0, start, start + len)
      return start
    }
    let top = this.stackBottom
    for (let k = this.#maps.length - 1; k >= 0; k--) {
      const m = this.#maps[k]
      if (m.start >= top) continue
      if (top - len >= m.end) return place(top - len)
      top = m.start
    }
    return top - len >= this.#mapFloor() ? place(top - len) : -1
  }

  /** Unmaps [addr, addr+len) from the anonymous mappings (parts of mappings are split off). */
  unmap(addr: number, len: number): void {
    const start = addr
    const end = addr + pageUp(len)
    const kept: Mapping[] = []
    for (const m of this.#maps) {
      if (m.end <= start || m.start >= end) kept.push(m)
      else {
        if (m.start < start) kept.push({ start: m.start, end: start })
        if (m.end > end) kept.push({ start: end, end: m.end })
      }
    }
    this.#maps.length = 0
    this.#maps.push(...kept)
  }

  /** Grows or shrinks a mapping in place when possible, else moves it; returns the address or -1. */
  remap(old: number, oldLen: number, newLen: number, mayMove: boolean): number {
    oldLen = pageUp(oldLen)
    newLen = pageUp(newLen)
    const m = this.#maps.find((x) => x.start === old)
    if (m === undefined) return -1
    if (newLen <= oldLen) {
      this.unmap(old + newLen, oldLen - newLen)
      return old
    }
    const next = this.#maps.find((x) => x.start >= m.end)
    const limit = next ? next.start : this.stackBottom
    if (old + newLen <= limit) {
      this.bytes.fill(0, m.end, old + newLen)
      m.end = old + newLen
      return old
    }
    if (!mayMove) return -1
    const moved = this.map(0, newLen, false)
    if (moved < 0) return -1
    this.bytes.copyWithin(moved, old, old + oldLen)
    this.unmap(old, oldLen)
    return moved
  }

  /** Bytes currently mapped with mmap (for stats). */
  get mappedBytes(): number {
    return this.#maps.reduce((s, m) => s + (m.end - m.start), 0)
  }

  #insert(m: Mapping): void {
    let k = 0
    while (k < this.#maps.length && this.#maps[k].start < m.start) k++
    this.#maps.splice(k, 0, m)
  }
}

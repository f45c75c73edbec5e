// GuestIO implementations: this process's standard streams (the CLI), or in-memory buffers
// (tests, embedding).

import { readSync, writeSync } from 'node:fs'
import type { GuestIO } from './syscalls/context.ts'

function writeAll(fd: number, bytes: Uint8Array): void {
  let off = 0
  while (off < bytes.length) {
    try {
      off += writeSync(fd, bytes, off, bytes.length - off)
    } catch (err) {
      if ((err as { code?: string }).code === 'EAGAIN') continue
      if ((err as { code?: string }).code === 'EPIPE') return
      throw err
    }
  }
}

export function processIO(): GuestIO {
  return {
    write: (fd, bytes) => writeAll(fd, bytes),
    read: (into) => {
      for (;;) {
        try {
          return readSync(0, into, 0, into.length, null)
        } catch (err) {
          const code = (err as { code?: string }).code
          if (code === 'EAGAIN') continue
          if (code === 'EOF') return 0
          throw err
        }
      }
    },
    hostFd: (fd) => fd,
  }
}

/** Captures stdout/stderr in memory; stdin is the given bytes. */
export class BufferIO implements GuestIO {
  readonly #out: Uint8Array[] = []
  readonly #err: Uint8Array[] = []
  #in: Uint8Array

  constructor(stdin: Uint8Array | string = new Uint8Array(0)) {
    this.#in = typeof stdin === 'string' ? Buffer.from(stdin, 'utf8') : stdin
  }

  write(fd: 1 | 2, bytes: Uint8Array): void {
    ;(fd === 1 ? this.#out : this.#err).push(bytes.slice())
  }

  read(into: Uint8Array): number {
    const n = Math.min(into.length, this.#in.length)
    into.set(this.#in.subarray(0, n))
    this.#in = this.#in.subarray(n)
    return n
  }

  hostFd(): number | undefined {
    return undefined
  }

  get stdout(): string {
    return Buffer.concat(this.#out).toString('utf8')
  }

  get stderr(): string {
    return Buffer.concat(this.#err).toString('utf8')
  }
}

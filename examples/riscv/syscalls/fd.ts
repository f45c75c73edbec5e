// The guest's file descriptor table: 0, 1, 2 are the standard streams (through GuestIO); others
// are host files opened by openat, with their own offsets (host fds are read positionally, so
// guest offsets are exact even for files that are also open elsewhere).

import { closeSync } from 'node:fs'

export interface HostFile {
  kind: 'file' | 'dir'
  hostFd: number
  path: string
  position: number
  flags: number
  /** Directory entries not yet returned by getdents64. */
  dirents?: { name: string; type: number }[]
}

export type FdEntry = { kind: 'std'; fd: 0 | 1 | 2 } | HostFile

export class FdTable {
  readonly #fds = new Map<number, FdEntry>([
    [0, { kind: 'std', fd: 0 }],
    [1, { kind: 'std', fd: 1 }],
    [2, { kind: 'std', fd: 2 }],
  ])

  get(fd: number): FdEntry | undefined {
    return this.#fds.get(fd)
  }

  /** The lowest free descriptor ≥ `min`. */
  add(entry: FdEntry, min = 0): number {
    let fd = min
    while (this.#fds.has(fd)) fd++
    this.#fds.set(fd, entry)
    return fd
  }

  set(fd: number, entry: FdEntry): void {
    this.close(fd)
    this.#fds.set(fd, entry)
  }

  close(fd: number): boolean {
    const e = this.#fds.get(fd)
    if (e === undefined) return false
    this.#fds.delete(fd)
    if (e.kind !== 'std' && ![...this.#fds.values()].includes(e)) {
      try {
        closeSync(e.hostFd)
      } catch {
        // already closed
      }
    }
    return true
  }

  closeAll(): void {
    for (const fd of [...this.#fds.keys()]) if (fd > 2) this.close(fd)
  }
}

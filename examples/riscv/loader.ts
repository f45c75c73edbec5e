// Loads a static RISC-V ELF executable into guest memory and builds the initial stack that the
// Linux kernel would: argc, argv, envp, the auxiliary vector, and the strings they point to.
// glibc's static startup (_start → __libc_start_main) reads exactly this.

import { parseElf, PT_LOAD, PT_PHDR } from './elf.ts'
import type { ElfImage } from './elf.ts'
import { GuestMemory, PAGE_SIZE, pageUp } from './memory.ts'

/** Where a static-pie (ET_DYN) executable is placed. */
const PIE_BASE = 0x40_0000

// Auxiliary vector keys (linux/auxvec.h).
const AT_NULL = 0
const AT_PHDR = 3
const AT_PHENT = 4
const AT_PHNUM = 5
const AT_PAGESZ = 6
const AT_BASE = 7
const AT_FLAGS = 8
const AT_ENTRY = 9
const AT_UID = 11
const AT_EUID = 12
const AT_GID = 13
const AT_EGID = 14
const AT_PLATFORM = 15
const AT_HWCAP = 16
const AT_CLKTCK = 17
const AT_SECURE = 23
const AT_RANDOM = 25
const AT_EXECFN = 31

/** AT_HWCAP for RV64GC: one bit per single-letter extension (I M A F D C). */
export const HWCAP_RV64GC = [..."IMAFDC"].reduce((m, c) => m | (1 << (c.charCodeAt(0) - 65)), 0)

export interface LoadOptions {
  /** argv[0] first. */
  argv: string[]
  /** "NAME=value" strings. */
  env: string[]
  /** The 16 bytes AT_RANDOM points at (default: a fixed pattern, so runs are reproducible). */
  random?: Uint8Array
  /** The path AT_EXECFN names (default argv[0]). */
  execPath?: string
}

export interface LoadedProgram {
  elf: ElfImage
  entry: number
  /** Initial stack pointer (points at argc). */
  sp: number
  /** Address where the image's program headers are mapped (AT_PHDR). */
  phdr: number
  /** Load bias (0 for ET_EXEC). */
  bias: number
}

export function loadElf(memory: GuestMemory, bytes: Uint8Array, options: LoadOptions, name = options.argv[0] ?? 'program'): LoadedProgram {
  const elf = parseElf(bytes, name)
  const loads = elf.programHeaders.filter((p) => p.type === PT_LOAD)
  if (loads.length === 0) throw new Error(`${name}: no PT_LOAD segments`)
  const lowest = Math.min(...loads.map((p) => p.vaddr))
  const bias = elf.type === 'dyn' && lowest < PAGE_SIZE * 16 ? PIE_BASE : 0
  let end = 0
  for (const p of loads) {
    const at = p.vaddr + bias
    if (at < PAGE_SIZE || at + p.memsz > memory.stackBottom - (16 << 20)) {
      throw new Error(`${name}: segment at 0x${at.toString(16)} (+0x${p.memsz.toString(16)}) does not fit guest memory of ${memory.size >> 20} MiB`)
    }
    memory.write(at, bytes.subarray(p.offset, p.offset + p.filesz))
    memory.fill(at + p.filesz, p.memsz - p.filesz)
    end = Math.max(end, at + p.memsz)
  }
  memory.setImageEnd(end)

  // AT_PHDR: PT_PHDR if present, else the program headers inside the first segment that holds them.
  const phdrSeg = elf.programHeaders.find((p) => p.type === PT_PHDR)
  let phdr = phdrSeg ? phdrSeg.vaddr + bias : 0
  if (!phdrSeg) {
    const holder = loads.find((p) => elf.phoff >= p.offset && elf.phoff < p.offset + p.filesz)
    if (holder) phdr = holder.vaddr + bias + (elf.phoff - holder.offset)
  }
  const entry = elf.entry + bias
  const sp = buildStack(memory, options, { phdr, phnum: elf.phnum, phent: elf.phentsize, entry })
  return { elf, entry, sp, phdr, bias }
}

function buildStack(memory: GuestMemory, options: LoadOptions, img: { phdr: number; phnum: number; phent: number; entry: number }): number {
  const top = memory.size - PAGE_SIZE
  let p = top
  const pushBytes = (b: Uint8Array): number => {
    p -= b.length
    memory.write(p, b)
    return p
  }
  const pushString = (s: string): number => pushBytes(Buffer.from(s + '\0', 'utf8'))
  const execfn = pushString(options.execPath ?? options.argv[0] ?? '')
  const envPtrs = options.env.map(pushString)
  const argPtrs = options.argv.map(pushString)
  const platform = pushString('riscv64')
  const random = pushBytes(options.random ?? Uint8Array.from({ length: 16 }, (_, k) => (k * 37 + 11) & 0xff))
  const auxv: [number, number][] = [
    [AT_PHDR, img.phdr],
    [AT_PHENT, img.phent],
    [AT_PHNUM, img.phnum],
    [AT_PAGESZ, PAGE_SIZE],
    [AT_BASE, 0],
    [AT_FLAGS, 0],
    [AT_ENTRY, img.entry],
    [AT_UID, 1000],
    [AT_EUID, 1000],
    [AT_GID, 1000],
    [AT_EGID, 1000],
    [AT_PLATFORM, platform],
    [AT_HWCAP, HWCAP_RV64GC],
    [AT_CLKTCK, 100],
    [AT_SECURE, 0],
    [AT_RANDOM, random],
    [AT_EXECFN, execfn],
    [AT_NULL, 0],
  ]
  // argc, argv[], NULL, envp[], NULL, auxv pairs; sp 16-byte aligned.
  const words = 1 + argPtrs.length + 1 + envPtrs.length + 1 + 2 * auxv.length
  p = Math.floor((p - words * 8) / 16) * 16
  const sp = p
  let w = sp
  const put = (v: number): void => {
    memory.setU64(w, v)
    w += 8
  }
  put(argPtrs.length)
  for (const a of argPtrs) put(a)
  put(0)
  for (const e of envPtrs) put(e)
  put(0)
  for (const [k, v] of auxv) {
    put(k)
    put(v)
  }
  if (pageUp(top) !== top) throw new Error('stack top not page aligned')
  return sp
}

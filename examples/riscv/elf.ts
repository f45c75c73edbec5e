// ELF64 parsing for static RISC-V executables: the header and the program headers the loader
// needs. Anything that is not a little-endian ELF64 RISC-V executable is refused with a message
// that says why.

export const PT_LOAD = 1
export const PT_INTERP = 3
export const PT_PHDR = 6
export const PT_TLS = 7
export const PF_X = 1
export const PF_W = 2
export const PF_R = 4

const EM_RISCV = 243
const ET_EXEC = 2
const ET_DYN = 3

export interface ProgramHeader {
  type: number
  flags: number
  offset: number
  vaddr: number
  filesz: number
  memsz: number
  align: number
}

export interface ElfImage {
  bytes: Uint8Array
  type: 'exec' | 'dyn'
  entry: number
  /** File offset of the program header table. */
  phoff: number
  phentsize: number
  phnum: number
  /** e_flags: bit 0 RVC, bits 2..1 float ABI. */
  flags: number
  programHeaders: ProgramHeader[]
}

export class ElfError extends Error {}

/** Parses the headers of an ELF64 little-endian RISC-V executable. */
export function parseElf(bytes: Uint8Array, name = 'program'): ElfImage {
  const fail = (why: string): never => {
    throw new ElfError(`${name}: not a RISC-V 64-bit Linux executable: ${why}`)
  }
  if (bytes.length < 64) fail('file too short for an ELF header')
  if (bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) fail('no ELF magic')
  if (bytes[4] !== 2) fail('not ELF64 (EI_CLASS)')
  if (bytes[5] !== 1) fail('not little-endian (EI_DATA)')
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const etype = v.getUint16(16, true)
  const machine = v.getUint16(18, true)
  if (machine !== EM_RISCV) fail(`e_machine is ${machine}, not RISC-V (243)`)
  if (etype !== ET_EXEC && etype !== ET_DYN) fail(`e_type ${etype} is not an executable`)
  const u64 = (off: number): number => {
    const x = v.getBigUint64(off, true)
    if (x > BigInt(Number.MAX_SAFE_INTEGER)) fail(`64-bit field at byte ${off} is too large`)
    return Number(x)
  }
  const entry = u64(24)
  const phoff = u64(32)
  const flags = v.getUint32(48, true)
  const phentsize = v.getUint16(54, true)
  const phnum = v.getUint16(56, true)
  if (phentsize < 56) fail(`e_phentsize ${phentsize} < 56`)
  if (phoff + phnum * phentsize > bytes.length) fail('program headers past the end of the file')
  const programHeaders: ProgramHeader[] = []
  for (let k = 0; k < phnum; k++) {
    const o = phoff + k * phentsize
    const ph: ProgramHeader = {
      type: v.getUint32(o, true),
      flags: v.getUint32(o + 4, true),
      offset: u64(o + 8),
      vaddr: u64(o + 16),
      filesz: u64(o + 32),
      memsz: u64(o + 40),
      align: u64(o + 48),
    }
    if (ph.type === PT_LOAD && ph.offset + ph.filesz > bytes.length) fail(`segment ${k} extends past the end of the file`)
    if (ph.type === PT_LOAD && ph.filesz > ph.memsz) fail(`segment ${k} has filesz > memsz`)
    programHeaders.push(ph)
  }
  if (programHeaders.some((p) => p.type === PT_INTERP)) {
    fail('it is dynamically linked (has PT_INTERP); build with -static')
  }
  return { bytes, type: etype === ET_EXEC ? 'exec' : 'dyn', entry, phoff, phentsize, phnum, flags, programHeaders }
}

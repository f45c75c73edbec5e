// vm-jit-riscv: a RISC-V (RV64GC) Linux user-mode emulator built on vm-jit-native's public API.
// The reference embedding of the package: see README.md in this folder.

export { Machine } from './machine.ts'
export type { MachineOptions, MachineResult } from './machine.ts'
export { BufferIO, processIO } from './io.ts'
export { TIERS } from './engine/Engine.ts'
export type { Engine, Tier } from './engine/Engine.ts'
export { ENGINE_KINDS } from './engine/createEngine.ts'
export type { EngineKind } from './engine/createEngine.ts'
export { Translator } from './translate/translator.ts'
export type { TranslatorOptions } from './translate/translator.ts'
export { decode32 } from './translate/decode.ts'
export { decode16 } from './translate/compressed.ts'
export { GuestState, STATE_SIZE, fOffset, xOffset } from './state.ts'
export { GuestMemory } from './memory.ts'
export { parseElf } from './elf.ts'

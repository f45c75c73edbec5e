// The native binding's surface (crates/vm-jit-napi), declared here by hand so the TypeScript layer
// does not depend on the generated `index.d.ts` to compile. `__test__/binding.spec.ts` checks the
// generated declaration and the loaded module against this interface.
//
// The addon is loaded lazily, on first use: building IR and encoding it must work (and be
// testable) on a machine where the addon has not been built, and a missing addon should surface as
// one clear error at the first native call rather than as a failure to `require` the package.

/** What the native verifier learns about a block. */
export interface NativeBlockInfo {
  pc: bigint
  opCount: number
  stateSize: number
}

/** A run's outcome. `reason` is the code from docs/IR.md "Exits"; `aux` is trapCode or faultAddress. */
export interface NativeRunResult {
  reason: number
  pc: bigint
  aux: bigint
  fuelLeft: bigint
}

export interface NativeCompileOptions {
  optLevel: string
  enableSimd?: boolean
  enableInlining?: boolean
}

/** What `compileBlock` returns: compiled code in this thread's native code table (crates/vm-jit-napi/src/code.rs). */
export interface NativeCodeInfo {
  /** For runCode / freeCode; never reused. */
  id: number
  size: number
  optLevel: string
  pc: bigint
}

export interface NativeCodeMemoryStats {
  liveBytes: number
  liveHandles: number
  /** Bytes of freed executable pages kept for reuse (not counted as live). */
  cachedBytes?: number
}

/** A code unit of the tiered runtime (crates/vm-jit-napi/src/runtime.rs). */
export interface NativeUnitInfo {
  id: number
  pc: bigint
  tier: number
  size: number
  opCount: number
  address: bigint
}

export interface NativeCompletedCompile {
  jobId: number
  pc: bigint
  unit?: NativeUnitInfo | null
  error?: string | null
  startUs: number
  endUs: number
  thread: number
}

/** reason: exit codes 0–5, 6 = miss, 7 = decision point. */
export interface NativeRuntimeStop {
  reason: number
  pc: bigint
  aux: bigint
  fuelLeft: bigint
  dispatched: number
}

export interface NativeRuntime {
  readonly compileThreads: number
  readonly installedCount: number
  compileUnit(bytes: Uint8Array, optLevel: string, chainable?: boolean): NativeUnitInfo
  compileUnitAsync(bytes: Uint8Array, optLevel: string, jobId: number): Promise<NativeUnitInfo>
  drainCompleted(): NativeCompletedCompile[]
  install(id: number): void
  adopt(id: number): NativeUnitInfo | null | undefined
  uninstall(pc: bigint): boolean
  release(id: number): boolean
  installed(pc: bigint): NativeUnitInfo | null | undefined
  run(pc: bigint, state: Uint8Array, memory: Uint8Array, fuel: number, slice: number, counters: Uint32Array, control: Int32Array): NativeRuntimeStop
  runUnit(id: number, state: Uint8Array, memory: Uint8Array, fuel: number, counters: Uint32Array, control: Int32Array): NativeRuntimeStop
}

export interface NativeBinding {
  NativeRuntime: new (domain: number, stateSize: number, compileThreads: number, countOptimized?: boolean) => NativeRuntime
  nativeClockUs(): number
  threadOrdinal(): number
  runtimeCounterSlots(): number
  verifyBlock(bytes: Uint8Array): NativeBlockInfo
  blockToText(bytes: Uint8Array): string
  compileBlock(bytes: Uint8Array, options: NativeCompileOptions): NativeCodeInfo
  /** `fuel` is an f64: a non-negative integer, or Infinity for unlimited. */
  runCode(id: number, state: Uint8Array, memory: Uint8Array, fuel: number): NativeRunResult
  freeCode(id: number): boolean
  interpretBlock(bytes: Uint8Array, state: Uint8Array, memory: Uint8Array, fuel: number): NativeRunResult
  codeMemoryStats(): NativeCodeMemoryStats
  optimizeBlock(bytes: Uint8Array, passes: string[]): NativeOptimizeResult
  optimizationPasses(): string[]
  defaultOptimizationPipeline(): string[]
  stitchRegion(blocks: Uint8Array[], maxBlocks: number, maxOps: number, state?: Uint8Array): NativeStitchedRegion
  blockExitTargets(bytes: Uint8Array): bigint[]
}

/** What `stitchRegion` returns (crates/vm-jit-napi/src/region.rs). */
export interface NativeStitchedRegion {
  bytes: Uint8Array
  pc: bigint
  opCount: number
  stateSize: number
  members: bigint[]
  internalEdges: number
  /** Guest state slots the region is specialised on (0: not specialised). */
  specializedSlots: number
}

/** One optimisation pass's run (crates/vm-jit-napi/src/opt.rs). */
export interface NativeOptimizePassStats {
  pass: string
  opsBefore: number
  opsAfter: number
  timeUs: number
}

/** What `optimizeBlock` returns: the optimised (verified) block's bytes and statistics. */
export interface NativeOptimizeResult {
  bytes: Uint8Array
  pc: bigint
  opsBefore: number
  opsAfter: number
  stateSize: number
  passes: NativeOptimizePassStats[]
  verifyTimeUs: number
  totalTimeUs: number
}

import { join } from 'node:path'

let cached: NativeBinding | undefined

/** The loaded addon. Throws a single explanatory Error when it cannot be loaded. */
export function native(): NativeBinding {
  if (cached !== undefined) return cached
  // VMJIT_NATIVE_ADDON=/path/to/addon.node loads that file instead (e.g. a debug build from
  // target/debug, to test the binding without a release build).
  const override = process.env.VMJIT_NATIVE_ADDON
  try {
    // `../index.js` is the napi-generated loader at the package root (dist/ and src/ are siblings
    // of it). It picks the `vm-jit-native.<platform>.node` that fits this machine.
    cached = (override ? require(override) : require('../index.js')) as NativeBinding
  } catch (cause) {
    const detail = cause instanceof Error ? cause.message : String(cause)
    // The install script builds the addon when no prebuilt one fits, but package managers may skip
    // install scripts (npm's allowScripts, --ignore-scripts), so say how to run it by hand.
    const installer = join(__dirname, '..', 'scripts', 'install.js')
    throw new Error(
      `vm-jit-native: the native addon could not be loaded for ${process.platform}-${process.arch}` +
        (override ? ` from VMJIT_NATIVE_ADDON=${override} ` : ' ') +
        `(${detail}). Build it from source (needs a Rust toolchain, https://rustup.rs): ` +
        `run \`node ${installer}\`, or \`npm run build:native\` in a checkout of the repository.`,
      { cause },
    )
  }
  return cached
}

/** Whether the addon loads here (never throws). */
export function nativeAvailable(): boolean {
  try {
    native()
    return true
  } catch {
    return false
  }
}

// vm-jit-native: build block IR in TypeScript, verify it, and run it in the native interpreter
// or as Cranelift-compiled machine code. See README.md and docs/IR.md.

export { IRBuilder } from './ir/IRBuilder.js'
export { IRWriter } from './ir/IRWriter.js'
export type { IRWriterOptions, LabelId, LocalId, ValueId } from './ir/IRWriter.js'
export type { FunctionBody, FunctionSignature, IRBuilderOptions, LoadOptions, PcOperand, StoreOptions } from './ir/IRBuilder.js'
export { Block } from './ir/Block.js'
export { Func, Label, Local, Value } from './ir/handles.js'
export { FCMP_CONDITIONS, ICMP_CONDITIONS, LIMITS, Opcode, TYPE_CODES, TYPE_NAMES, typeWidth } from './ir/types.js'
export type { FcmpCondition, FloatType, IRType, IcmpCondition, IntType, OpName } from './ir/types.js'
export { CraneliftBackend, OPT_LEVELS } from './backend/CraneliftBackend.js'
export type { CraneliftConfig, CraneliftOptions, OptLevel } from './backend/CraneliftBackend.js'
export { CodeHandle } from './backend/CodeHandle.js'
export { codeMemoryStats } from './backend/codeMemoryStats.js'
export type { CodeMemoryStats } from './backend/codeMemoryStats.js'
export { Interpreter } from './interpreter/Interpreter.js'
export { Optimizer } from './opt/Optimizer.js'
export type { OptimizeStats, PassStats } from './opt/Optimizer.js'
export { OPTIMIZATION_PASSES, OptimizationPass } from './opt/OptimizationPass.js'
export { DEFAULT_REGION_LIMITS, Region } from './region/Region.js'
export type { RegionLimits } from './region/Region.js'
export { EXIT_REASONS } from './run/exit.js'
export type { ExitReason, RunExit } from './run/exit.js'
export { DEFAULT_FUEL } from './run/fuel.js'
export type { RunOptions } from './run/options.js'
export type { GuestBuffer } from './run/buffers.js'
export { nativeAvailable } from './native.js'
export { ShardedCodeCache } from './cache/ShardedCodeCache.js'
export type { CacheEntry, CacheEvictReason, CacheStatistics } from './cache/types.js'
export type { AttachOptions, EvictListener, ShardedCodeCacheOptions } from './cache/options.js'
export { hashPc, bucketCheck } from './cache/hash.js'
export { CACHE_LAYOUT } from './cache/layout.js'
export { CounterBinding, EwmaHotspotDetector } from './hotspot/EwmaHotspotDetector.js'
export type { HotspotInfo, HotspotStats } from './hotspot/EwmaHotspotDetector.js'
export { DEFAULT_EWMA_CONFIG } from './hotspot/config.js'
export type { EwmaConfig } from './hotspot/config.js'
export { EventBasedJitMonitor } from './monitor/EventBasedJitMonitor.js'
export type { CacheStatsSupplier, DeliveredEvent, ExecutionSupplier, JitEventListener, MonitorOptions, ReportOptions } from './monitor/EventBasedJitMonitor.js'
export { EVENT_KINDS } from './monitor/events.js'
export type {
  CacheLookupEvent,
  CompileEndEvent,
  CompileStartEvent,
  DecisionEvent,
  EvictionEvent,
  InvalidationEvent,
  JitEvent,
  JitEventKind,
  JitEventOf,
  PromotionEvent,
  RecordedEvent,
  RunEvent,
} from './monitor/events.js'
export type { JitReport, TierReport, TimelineSummary } from './monitor/report.js'
export { formatTextReport } from './monitor/report.js'
export { buildChromeTrace } from './monitor/chromeTrace.js'
export type { ChromeTrace, TraceEvent } from './monitor/chromeTrace.js'
export { defaultPerfMapPath, formatPerfMap, latestPerfMapEntries, perfSymbolName, writePerfMap } from './monitor/perfMap.js'
export type { PerfMapEntry } from './monitor/perfMap.js'
export { TieredCompiler } from './tiered/TieredCompiler.js'
export type { TieredConfig, TieredRunOptions, Translation } from './tiered/TieredCompiler.js'
export { ThresholdPolicy } from './tiered/policy.js'
export type { BlockProfile, CompilePolicy, ThresholdPolicyConfig, Tier } from './tiered/policy.js'

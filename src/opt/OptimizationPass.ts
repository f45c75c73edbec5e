// OptimizationPass: the names of the optimiser's IR → IR passes (crates/vm-jit-core/src/opt/,
// one file per pass). The native side is the authority; these are the names it accepts.

export const OptimizationPass = Object.freeze({
  /** Fold ops on constants exactly as the interpreter computes them; algebraic identities; constant branches → jumps. */
  ConstantFolding: 'ConstantFolding',
  /** Remove unused pure values, dead local stores, unreachable code, unused helpers and unobserved marks. */
  DeadCodeElimination: 'DeadCodeElimination',
  /** Guest state get/set elimination along straight-line code and into a branch's arms (each arm whose only predecessor is the branch). */
  StateForwarding: 'StateForwarding',
  /** Inline small helper functions into their callers. */
  Inlining: 'Inlining',
  /** Reuse the value a store wrote (or a load read) for a later load of the same address. */
  MemoryForwarding: 'MemoryForwarding',
  /** Jump threading, merging of straight-line blocks, removal of labels nothing jumps to. */
  CfgSimplification: 'CfgSimplification',
  /** Forward the value a local was set to (or last read as) to later reads of the local. */
  CopyPropagation: 'CopyPropagation',
  /** Small two-armed diamonds of pure code become `select`s (no branch to mispredict). */
  IfConversion: 'IfConversion',
} as const)

export type OptimizationPass = (typeof OptimizationPass)[keyof typeof OptimizationPass]

/** Every pass, in declaration order. */
export const OPTIMIZATION_PASSES: readonly OptimizationPass[] = Object.freeze(Object.values(OptimizationPass))

//! The tiered runtime's native half: code units shared process-wide, chaining between them, the
//! dispatch loop that runs a guest across blocks without returning to JavaScript, safe reclamation
//! of evicted code, and background compile threads. Policy (what to compile, at which tier, what
//! to evict) stays in TypeScript; this is mechanism.

mod dispatch;
mod epoch;
pub mod jump_cache;
mod pool;
mod registry;
mod unit;

pub use dispatch::{RunStop, Runtime, StopReason};
pub use pool::{clock_us, CompileFn, CompileJob, CompilePool, CompletedJob};
pub use registry::{get as unit_by_id, publish, reclaim, registry_stats, retire, RegistryStats, MAX_UNITS};
pub use unit::{chainable_exits, Unit, UnitCode};

use std::sync::Arc;

use crate::backend::{BackendConfig, OptLevel};
use crate::ir::{IrError, VerifiedBlock};

/// Builds a unit for `vb` at `tier` (0 = interpreted, 1 = `opt_level` none, 2 = optimised) and
/// adds it to the registry. Compiling happens on the calling thread.
pub fn build_unit(vb: &VerifiedBlock, config: &BackendConfig) -> Result<Arc<Unit>, IrError> {
    unit::build(vb, Some(config), true)
}

/// Like `build_unit`, without chainable exits: every exit returns to the caller (for running
/// one block at a time, `Runtime::run_unit`).
pub fn build_standalone_unit(vb: &VerifiedBlock, config: &BackendConfig) -> Result<Arc<Unit>, IrError> {
    unit::build(vb, Some(config), false)
}

/// A tier-0 unit: the block runs in the interpreter.
pub fn interpreted_unit(vb: &VerifiedBlock) -> Result<Arc<Unit>, IrError> {
    unit::build(vb, None, false)
}

/// The tier number of an opt level.
pub fn tier_of(level: OptLevel) -> u8 {
    match level {
        OptLevel::None => 1,
        _ => 2,
    }
}

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

/// What a compiled unit's code does at its entry and exits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnitOptions {
    /// Exits to constant pcs chain into the next unit and exits to computed pcs look in the jump
    /// cache; false: every exit returns to the caller (for running one block at a time,
    /// `Runtime::run_unit`).
    pub chainable: bool,
    /// Every entry adds one to the unit's slot of the run's counter array — the execution counts
    /// the tiered policy reads. An optimised unit whose counts nobody reads can leave it out: one
    /// memory increment less at every block entry (1–4 % of a block-bound guest's run time).
    pub counted: bool,
}

impl UnitOptions {
    /// A unit of the tiered runtime: chained, counted.
    pub const CHAINED: UnitOptions = UnitOptions { chainable: true, counted: true };
    /// Every exit returns to the caller; counted.
    pub const STANDALONE: UnitOptions = UnitOptions { chainable: false, counted: true };
}

/// Builds a unit for `vb` at `config`'s tier (1 = `opt_level` none, 2 = optimised), chained and
/// counted, and adds it to the registry. Compiling happens on the calling thread.
pub fn build_unit(vb: &VerifiedBlock, config: &BackendConfig) -> Result<Arc<Unit>, IrError> {
    build_unit_with(vb, config, UnitOptions::CHAINED)
}

/// Like `build_unit`, without chainable exits: every exit returns to the caller (for running
/// one block at a time, `Runtime::run_unit`).
pub fn build_standalone_unit(vb: &VerifiedBlock, config: &BackendConfig) -> Result<Arc<Unit>, IrError> {
    build_unit_with(vb, config, UnitOptions::STANDALONE)
}

/// `build_unit` with the unit's entry and exits as `options` say.
pub fn build_unit_with(vb: &VerifiedBlock, config: &BackendConfig, options: UnitOptions) -> Result<Arc<Unit>, IrError> {
    unit::build(vb, Some(config), options)
}

/// A tier-0 unit: the block runs in the interpreter (the dispatch loop counts its entries).
pub fn interpreted_unit(vb: &VerifiedBlock) -> Result<Arc<Unit>, IrError> {
    unit::build(vb, None, UnitOptions::STANDALONE)
}

/// The tier number of an opt level.
pub fn tier_of(level: OptLevel) -> u8 {
    match level {
        OptLevel::None => 1,
        _ => 2,
    }
}

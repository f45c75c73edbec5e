//! The optimiser: IR → IR passes for tier 2, run before lowering.
//!
//! Each pass is one file, a small forward walk over each body (dynarmic's `ir/opt/` is the
//! model), with its own unit tests; `tests/opt_differential.rs` checks every pass alone and the
//! default pipeline against the interpreter and the compiled code on random blocks.
//!
//! **What a pass must preserve.** Everything the interpreter reports (docs/IR.md): final guest
//! state and memory, exit reason, pc, trap code / fault address, *and the remaining fuel*. So:
//!
//! - back edges stay back edges: no pass adds, removes or retargets a back edge in a way that
//!   changes how many back edges a run crosses (constant `brif` → `jump` keeps the branch where
//!   it was; jump threading only threads when the count is unchanged; labels keep their order
//!   relative to their branches);
//! - faults and fuel exits report the same pc: every op that can report its mark (loads, stores,
//!   calls, back edges) keeps it (`util::Rewriter` re-inserts `mark`s as needed);
//! - loads stay (they can fault) unless an earlier access to the same address and width, on
//!   every path, already succeeded; state writes stay unless nothing that can observe them (a
//!   read, an exit of any kind, a call) runs before they are overwritten.
//!
//! Every pass consumes a `VerifiedBlock` and produces one whose facts (value types, label
//! positions, marks) it computed while building it. Debug builds (and `Optimizer::verify_each`)
//! run the verifier after every pass and check that it agrees; release builds verify once, after
//! the whole pipeline. Either way `optimize` returns a block the verifier accepted.

mod cfg_simplify;
mod const_fold;
mod copy_prop;
mod dead_code;
mod if_convert;
mod inline;
mod memory_forwarding;
mod state_forwarding;
pub(crate) mod util;

#[cfg(test)]
mod test_util;

use std::fmt;
use std::time::{Duration, Instant};

use crate::ir::{print, verify, IrError, VerifiedBlock};

pub use inline::DEFAULT_INLINE_BUDGET;

/// The passes, in the order `OptimizationPass::ALL` lists them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OptimizationPass {
    /// Fold ops on constants exactly as the interpreter computes them, simplify algebraic
    /// identities, propagate constants through locals, turn constant `brif`s into `jump`s.
    ConstantFolding,
    /// Remove unused pure values, dead local stores, unreachable code, unused helpers and
    /// `mark`s nothing observes.
    DeadCodeElimination,
    /// Guest state get/set elimination along straight-line code.
    StateForwarding,
    /// Inline small helpers into their callers.
    Inlining,
    /// Reuse the value a store wrote or a load read for a later load of the same address.
    MemoryForwarding,
    /// Jump threading, merging of straight-line blocks, removal of labels nothing jumps to.
    CfgSimplification,
    /// Forward the value of a `local_set` (or an earlier `local_get`) to later `local_get`s.
    CopyPropagation,
    /// Turn small two-armed diamonds of pure code into `select`s (no branch to mispredict).
    IfConversion,
}

impl OptimizationPass {
    pub const ALL: [OptimizationPass; 8] = [
        OptimizationPass::ConstantFolding,
        OptimizationPass::DeadCodeElimination,
        OptimizationPass::StateForwarding,
        OptimizationPass::Inlining,
        OptimizationPass::MemoryForwarding,
        OptimizationPass::CfgSimplification,
        OptimizationPass::CopyPropagation,
        OptimizationPass::IfConversion,
    ];

    /// The pass's name (as in the TypeScript `OptimizationPass` enum).
    pub fn name(self) -> &'static str {
        match self {
            OptimizationPass::ConstantFolding => "ConstantFolding",
            OptimizationPass::DeadCodeElimination => "DeadCodeElimination",
            OptimizationPass::StateForwarding => "StateForwarding",
            OptimizationPass::Inlining => "Inlining",
            OptimizationPass::MemoryForwarding => "MemoryForwarding",
            OptimizationPass::CfgSimplification => "CfgSimplification",
            OptimizationPass::CopyPropagation => "CopyPropagation",
            OptimizationPass::IfConversion => "IfConversion",
        }
    }

    /// Parses a pass name: `ConstantFolding`, `constantFolding` or `constant_folding`.
    pub fn parse(s: &str) -> Result<OptimizationPass, IrError> {
        let key: String = s.chars().filter(|c| *c != '_' && *c != '-').collect::<String>().to_ascii_lowercase();
        OptimizationPass::ALL.into_iter().find(|p| p.name().to_ascii_lowercase() == key).ok_or_else(|| {
            let names: Vec<&str> = OptimizationPass::ALL.iter().map(|p| p.name()).collect();
            IrError::new(format!("unknown optimization pass {s:?} (expected one of: {})", names.join(", ")))
        })
    }

    /// Runs this pass on `vb`. The result carries facts computed by construction; it has not
    /// been through the verifier (see `Optimizer::optimize`).
    pub fn run(self, vb: &VerifiedBlock) -> VerifiedBlock {
        match self {
            OptimizationPass::ConstantFolding => const_fold::run(vb),
            OptimizationPass::DeadCodeElimination => dead_code::run(vb),
            OptimizationPass::StateForwarding => state_forwarding::run(vb),
            OptimizationPass::Inlining => inline::run(vb, DEFAULT_INLINE_BUDGET),
            OptimizationPass::MemoryForwarding => memory_forwarding::run(vb),
            OptimizationPass::CfgSimplification => cfg_simplify::run(vb),
            OptimizationPass::CopyPropagation => copy_prop::run(vb),
            OptimizationPass::IfConversion => if_convert::run(vb),
        }
    }
}

impl fmt::Display for OptimizationPass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One pass's run.
#[derive(Clone, Debug, PartialEq)]
pub struct PassStats {
    pub pass: OptimizationPass,
    /// Ops in all bodies before and after the pass.
    pub ops_before: usize,
    pub ops_after: usize,
    /// Time in the pass (not counting verification).
    pub time: Duration,
}

/// What `Optimizer::optimize` did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct OptStats {
    pub ops_before: usize,
    pub ops_after: usize,
    pub passes: Vec<PassStats>,
    /// Time spent in the verifier (after every pass in debug builds, once in release builds).
    pub verify_time: Duration,
    /// Wall time of the whole `optimize` call.
    pub total_time: Duration,
}

/// A pipeline of passes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Optimizer {
    passes: Vec<OptimizationPass>,
    verify_each: bool,
}

impl Default for Optimizer {
    fn default() -> Self {
        Optimizer::new()
    }
}

impl Optimizer {
    /// An empty pipeline (`optimize` returns an equivalent copy of its input).
    pub fn new() -> Optimizer {
        Optimizer { passes: Vec::new(), verify_each: cfg!(debug_assertions) }
    }

    /// The tier-2 pipeline, chosen by measurement (`compare_pipelines` in
    /// `tests/opt_differential.rs`, on emulator-like and general random blocks):
    ///
    /// 1. `Inlining` first, so that everything after sees through calls;
    /// 2. `ConstantFolding`, then `StateForwarding` and `MemoryForwarding`, which turn guest
    ///    registers and memory round trips into SSA values (memory forwarding needs the equal
    ///    base addresses state forwarding exposes);
    /// 3. `CopyPropagation` + `ConstantFolding` again: fold what forwarding exposed (values
    ///    through locals, truncations of constants, branches on forwarded constants) — an earlier
    ///    copy propagation as well gained nothing measurable;
    /// 4. `DeadCodeElimination` removes everything now unused, and `CfgSimplification` merges
    ///    the blocks folding and DCE emptied.
    ///
    /// `IfConversion` is not in it: on the collatz region (bench/regions.js) it turns the parity
    /// diamond into selects, but the step did not get faster — the multiply the guest does by a
    /// register becomes the critical path — and it always runs both arms. Add it after
    /// `CfgSimplification` (where a region's diamonds have taken shape) where branches are known
    /// to be unpredictable, or the arms cheap: `region::specialise` does, once the guest's loop
    /// invariants are constants (the collatz step: 1.48 → 0.90 ns).
    ///
    /// A second round of forwarding and folding removed another 0.3–2 % of ops for twice the
    /// time; not worth it at tier 2.
    pub fn default_pipeline() -> Optimizer {
        use OptimizationPass::*;
        let mut o = Optimizer::new();
        for p in [
            Inlining,
            ConstantFolding,
            StateForwarding,
            MemoryForwarding,
            CopyPropagation,
            ConstantFolding,
            DeadCodeElimination,
            CfgSimplification,
        ] {
            o.add_pass(p);
        }
        o
    }

    pub fn add_pass(&mut self, pass: OptimizationPass) -> &mut Optimizer {
        self.passes.push(pass);
        self
    }

    pub fn passes(&self) -> &[OptimizationPass] {
        &self.passes
    }

    /// Verify after every pass (default: in debug builds only), not just after the last.
    pub fn verify_each(&mut self, on: bool) -> &mut Optimizer {
        self.verify_each = on;
        self
    }

    /// Runs the pipeline on `vb`. The result has been accepted by the verifier. An `Err` means a
    /// pass produced invalid IR — a bug in the optimiser, reported with the pass and the block.
    pub fn optimize(&self, vb: &VerifiedBlock) -> Result<(VerifiedBlock, OptStats), IrError> {
        let start = Instant::now();
        let mut stats = OptStats { ops_before: vb.op_count, ..OptStats::default() };
        let mut cur: Option<VerifiedBlock> = None;
        for &pass in &self.passes {
            let input = cur.as_ref().unwrap_or(vb);
            let t = Instant::now();
            let out = pass.run(input);
            let time = t.elapsed();
            stats.passes.push(PassStats { pass, ops_before: input.op_count, ops_after: out.op_count, time });
            if self.verify_each {
                let t = Instant::now();
                let checked = self.check(pass, out)?;
                stats.verify_time += t.elapsed();
                cur = Some(checked);
            } else {
                cur = Some(out);
            }
        }
        let out = match cur {
            None => vb.clone(),
            Some(b) if self.verify_each => b,
            Some(b) => {
                let t = Instant::now();
                let pass = *self.passes.last().expect("a pass ran");
                let checked = self.check(pass, b)?;
                stats.verify_time += t.elapsed();
                checked
            }
        };
        stats.ops_after = out.op_count;
        stats.total_time = start.elapsed();
        Ok((out, stats))
    }

    /// Verifies a pass's output and checks that the verifier's facts match the pass's.
    fn check(&self, pass: OptimizationPass, out: VerifiedBlock) -> Result<VerifiedBlock, IrError> {
        let verified = verify(out.block.clone()).map_err(|e| {
            IrError::new(format!("internal optimiser error: {pass} produced invalid IR: {e}\n{}", print(&out.block)))
        })?;
        if verified != out {
            return Err(IrError::new(format!(
                "internal optimiser error: {pass} computed facts that differ from the verifier's\n{}",
                print(&out.block)
            )));
        }
        Ok(verified)
    }
}

#[cfg(test)]
mod tests;

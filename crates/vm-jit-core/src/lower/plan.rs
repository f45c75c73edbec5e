//! Which helpers are inlined into their callers and which are compiled as functions of their own.

use crate::ir::{Op, VerifiedBlock};

/// Helpers of at most this many ops are inlined when inlining is on.
pub const DEFAULT_INLINE_BUDGET: usize = 64;

#[derive(Clone, Debug)]
pub struct InlinePlan {
    /// `inline[k]`: every call to helper `k` is lowered in place.
    pub inline: Vec<bool>,
    /// `standalone[k]`: helper `k` is reached by a real call and needs its own function.
    pub standalone: Vec<bool>,
    /// Keep guest state in variables inside looping blocks (`promote.rs`); optimised tiers only.
    pub promote_state: bool,
    /// Give simple innermost loops a guarded fast copy (`fast_loop.rs`); optimised tiers only.
    pub fast_loops: bool,
    /// Run the reductions of fast loops in vector registers (`vector_reduce.rs`): the backend's
    /// `enable_simd` on a host whose baseline has 128-bit integer vectors.
    pub simd: bool,
}

impl InlinePlan {
    /// Inline helpers of at most `budget` ops (none when `budget` is 0).
    pub fn new(vb: &VerifiedBlock, budget: usize) -> InlinePlan {
        let funcs = &vb.block.funcs;
        let inline: Vec<bool> = funcs.iter().map(|f| budget > 0 && f.body.ops.len() <= budget).collect();
        // A helper needs a function of its own when a call that is not inlined can reach it: from
        // main (through inlined helpers too) or from another standalone helper. Helpers only call
        // lower indices, so one pass from the highest index down settles it.
        let mut reached = vec![false; funcs.len()];
        let mut standalone = vec![false; funcs.len()];
        let mark_calls = |ops: &[Op], reached: &mut Vec<bool>| {
            for op in ops {
                if let Op::Call { func, .. } = op {
                    reached[*func as usize] = true;
                }
            }
        };
        mark_calls(&vb.block.main.ops, &mut reached);
        for k in (0..funcs.len()).rev() {
            if reached[k] {
                standalone[k] = !inline[k];
                mark_calls(&funcs[k].body.ops, &mut reached);
            }
        }
        InlinePlan { inline, standalone, promote_state: false, fast_loops: false, simd: false }
    }

    /// The same plan, with state promotion on or off.
    pub fn with_state_promotion(mut self, on: bool) -> InlinePlan {
        self.promote_state = on;
        self
    }

    /// The same plan, with fast loops on or off.
    pub fn with_fast_loops(mut self, on: bool) -> InlinePlan {
        self.fast_loops = on;
        self
    }

    /// The same plan, with vector reductions in fast loops on or off.
    pub fn with_simd(mut self, on: bool) -> InlinePlan {
        self.simd = on;
        self
    }
}

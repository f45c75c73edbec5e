//! The optimiser: `optimizeBlock(bytes, passes)` runs IR → IR passes (vm_jit_core::opt) on a
//! block's bytes and returns the optimised block's bytes, verified, with per-pass statistics.

use napi::bindgen_prelude::{BigInt, Uint8Array};
use napi_derive::napi;
use vm_jit_core::ir;
use vm_jit_core::opt::{OptimizationPass, Optimizer};

use crate::convert::js_error;

/// One pass's run.
#[napi(object)]
pub struct OptimizePassStats {
    /// The pass's name ('ConstantFolding', …).
    pub pass: String,
    /// Ops in all bodies before and after the pass.
    pub ops_before: u32,
    pub ops_after: u32,
    /// Time in the pass, in microseconds.
    pub time_us: f64,
}

#[napi(object)]
pub struct OptimizeResult {
    /// The optimised block's binary encoding (verified).
    pub bytes: Uint8Array,
    pub pc: BigInt,
    pub ops_before: u32,
    pub ops_after: u32,
    /// Bytes of guest state the optimised block touches.
    pub state_size: u32,
    pub passes: Vec<OptimizePassStats>,
    /// Time in the verifier, in microseconds.
    pub verify_time_us: f64,
    /// Wall time of the whole optimisation (decoding and encoding not included), in microseconds.
    pub total_time_us: f64,
}

/// The names `optimizeBlock` accepts, in the order the passes are declared.
#[napi(catch_unwind)]
pub fn optimization_passes() -> Vec<String> {
    OptimizationPass::ALL.iter().map(|p| p.name().to_string()).collect()
}

/// The default (tier-2) pipeline, as pass names.
#[napi(catch_unwind)]
pub fn default_optimization_pipeline() -> Vec<String> {
    Optimizer::default_pipeline().passes().iter().map(|p| p.name().to_string()).collect()
}

/// Decodes and verifies `bytes`, runs `passes` in order, verifies the result and encodes it.
/// Throws on malformed or invalid IR, or an unknown pass name.
#[napi(catch_unwind)]
pub fn optimize_block(bytes: &[u8], passes: Vec<String>) -> napi::Result<OptimizeResult> {
    let mut optimizer = Optimizer::new();
    for name in &passes {
        optimizer.add_pass(OptimizationPass::parse(name).map_err(js_error)?);
    }
    let vb = ir::decode_and_verify(bytes).map_err(js_error)?;
    let (out, stats) = optimizer.optimize(&vb).map_err(js_error)?;
    let us = |d: std::time::Duration| d.as_secs_f64() * 1e6;
    Ok(OptimizeResult {
        bytes: Uint8Array::new(ir::encode(&out.block)),
        pc: BigInt::from(out.block.pc),
        ops_before: stats.ops_before as u32,
        ops_after: stats.ops_after as u32,
        state_size: out.state_size,
        passes: stats
            .passes
            .iter()
            .map(|p| OptimizePassStats {
                pass: p.pass.name().to_string(),
                ops_before: p.ops_before as u32,
                ops_after: p.ops_after as u32,
                time_us: us(p.time),
            })
            .collect(),
        verify_time_us: us(stats.verify_time),
        total_time_us: us(stats.total_time),
    })
}

//! Regions: `stitchRegion(blocks)` stitches verified blocks into one region block
//! (vm_jit_core::region); `blockExitTargets(bytes)` lists a block's constant exit pcs, the
//! candidates for a region starting there.

use napi::bindgen_prelude::{BigInt, Uint8Array};
use napi_derive::napi;
use vm_jit_core::ir;
use vm_jit_core::region::{self, RegionLimits};

use crate::convert::js_error;

#[napi(object)]
pub struct StitchedRegion {
    /// The region block's binary encoding (verified).
    pub bytes: Uint8Array,
    pub pc: BigInt,
    pub op_count: u32,
    pub state_size: u32,
    /// Member pcs, entry first.
    pub members: Vec<BigInt>,
    /// Exits that became jumps inside the region.
    pub internal_edges: u32,
}

/// Stitches `blocks` (entry first, distinct pcs); throws on invalid IR or a region over the limits.
#[napi(catch_unwind)]
pub fn stitch_region(blocks: Vec<Uint8Array>, max_blocks: u32, max_ops: u32) -> napi::Result<StitchedRegion> {
    let members = blocks
        .iter()
        .map(|b| ir::decode_and_verify_cached(b).map(|vb| (*vb).clone()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(js_error)?;
    let limits = RegionLimits { max_blocks: max_blocks as usize, max_ops: max_ops as usize };
    let r = region::stitch(&members, limits).map_err(js_error)?;
    Ok(StitchedRegion {
        bytes: Uint8Array::new(ir::encode(&r.block.block)),
        pc: BigInt::from(r.block.block.pc),
        op_count: r.block.op_count as u32,
        state_size: r.block.state_size,
        members: r.members.into_iter().map(BigInt::from).collect(),
        internal_edges: r.internal_edges as u32,
    })
}

/// The distinct constant pcs a block's `exit` ops go to, in op order.
#[napi(catch_unwind)]
pub fn block_exit_targets(bytes: &[u8]) -> napi::Result<Vec<BigInt>> {
    let vb = ir::decode_and_verify_cached(bytes).map_err(js_error)?;
    Ok(region::constant_exit_targets(&vb).into_iter().map(BigInt::from).collect())
}

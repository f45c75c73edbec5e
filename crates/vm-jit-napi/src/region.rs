//! Regions: `stitchRegion(blocks)` stitches verified blocks into one region block
//! (vm_jit_core::region), specialised on a guest state snapshot when one is given;
//! `blockExitTargets(bytes)` lists a block's constant exit pcs, the candidates for a region
//! starting there.

use napi::bindgen_prelude::{BigInt, Uint8Array};
use napi_derive::napi;
use vm_jit_core::ir;
use vm_jit_core::region::{self, RegionLimits, SpecialiseLimits};

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
    /// Guest state slots the region is specialised on (0: not specialised).
    pub specialized_slots: u32,
}

/// Stitches `blocks` (entry first, distinct pcs); throws on invalid IR or a region over the limits.
/// With `state` (the guest state now), the region is also specialised on the values it holds in
/// the slots the region reads but never writes, under a guard, and optimised
/// (vm_jit_core::region::specialise) — when that is worth it and stays within `max_ops`.
#[napi(catch_unwind)]
pub fn stitch_region(
    blocks: Vec<Uint8Array>,
    max_blocks: u32,
    max_ops: u32,
    state: Option<Uint8Array>,
) -> napi::Result<StitchedRegion> {
    let members = blocks
        .iter()
        .map(|b| ir::decode_and_verify_cached(b).map(|vb| (*vb).clone()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(js_error)?;
    let limits = RegionLimits { max_blocks: max_blocks as usize, max_ops: max_ops as usize };
    let r = region::stitch(&members, limits).map_err(js_error)?;
    let limits = SpecialiseLimits { max_ops: max_ops as usize, ..SpecialiseLimits::default() };
    let special = match &state {
        Some(s) => region::specialise(&r.block, s, limits).map_err(js_error)?,
        None => None,
    };
    let (block, slots) = special.map_or((r.block, 0), |sp| (sp.block, sp.slots.len()));
    Ok(StitchedRegion {
        bytes: Uint8Array::new(ir::encode(&block.block)),
        pc: BigInt::from(block.block.pc),
        op_count: block.op_count as u32,
        state_size: block.state_size,
        members: r.members.into_iter().map(BigInt::from).collect(),
        internal_edges: r.internal_edges as u32,
        specialized_slots: slots as u32,
    })
}

/// The distinct constant pcs a block's `exit` ops go to, in op order.
#[napi(catch_unwind)]
pub fn block_exit_targets(bytes: &[u8]) -> napi::Result<Vec<BigInt>> {
    let vb = ir::decode_and_verify_cached(bytes).map_err(js_error)?;
    Ok(region::constant_exit_targets(&vb).into_iter().map(BigInt::from).collect())
}

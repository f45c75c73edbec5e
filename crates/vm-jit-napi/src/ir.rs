//! IR entry points: verify raw bytes, print the text form.

use napi::bindgen_prelude::BigInt;
use napi_derive::napi;
use vm_jit_core::ir;

use crate::convert::js_error;

#[napi(object)]
pub struct BlockInfo {
    pub pc: BigInt,
    pub op_count: u32,
    pub state_size: u32,
}

/// Decodes and verifies a block's bytes; throws with the verifier's message.
#[napi(catch_unwind)]
pub fn verify_block(bytes: &[u8]) -> napi::Result<BlockInfo> {
    let vb = ir::decode_and_verify_cached(bytes).map_err(js_error)?;
    Ok(BlockInfo { pc: BigInt::from(vb.block.pc), op_count: vb.op_count as u32, state_size: vb.state_size })
}

/// The text form of a block (works on blocks that fail verification but decode).
#[napi(catch_unwind)]
pub fn block_to_text(bytes: &[u8]) -> napi::Result<String> {
    let block = ir::decode::decode(bytes).map_err(js_error)?;
    Ok(ir::print::print(&block))
}

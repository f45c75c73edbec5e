//! Tier 0: interpreting a block, and process-wide code memory statistics.

use napi_derive::napi;
use vm_jit_core::{codemem, interp, ir};

use napi::bindgen_prelude::Uint8ArraySlice;

use crate::convert::{check_disjoint, fuel, guest_bytes, js_error, RunResult};

/// Interprets a block on `state` and `memory` in place.
#[napi(catch_unwind)]
pub fn interpret_block(
    bytes: &[u8],
    mut state: Uint8ArraySlice,
    mut memory: Uint8ArraySlice,
    fuel_limit: f64,
) -> napi::Result<RunResult> {
    let (state, memory) = (guest_bytes(&mut state), guest_bytes(&mut memory));
    check_disjoint(state, memory)?;
    let vb = ir::decode_and_verify_cached(bytes).map_err(js_error)?;
    let interrupt = std::sync::atomic::AtomicU32::new(0);
    let out = interp::run(&vb, state, memory, fuel(fuel_limit)?, &interrupt).map_err(js_error)?;
    Ok(out.into())
}

#[napi(object)]
pub struct CodeMemoryStats {
    /// Bytes of executable pages holding live code.
    pub live_bytes: f64,
    /// Live compiled units (code handles not yet freed).
    pub live_handles: f64,
    /// Bytes of freed pages kept for reuse (not resident).
    pub cached_bytes: f64,
}

#[napi]
pub fn code_memory_stats() -> CodeMemoryStats {
    let s = codemem::stats();
    CodeMemoryStats {
        live_bytes: s.live_bytes as f64,
        live_handles: s.live_regions as f64,
        cached_bytes: s.cached_bytes as f64,
    }
}

/// Runs a benchmark kernel written in plain Rust (`sum`, `sieve`, `crc32`) on state and memory,
/// for side-by-side comparison with the same kernel as compiled IR.
#[napi(catch_unwind)]
pub fn reference_kernel(name: String, mut state: Uint8ArraySlice, mut memory: Uint8ArraySlice) -> napi::Result<()> {
    let (state, memory) = (guest_bytes(&mut state), guest_bytes(&mut memory));
    check_disjoint(state, memory)?;
    let k = vm_jit_core::kernels::by_name(&name)
        .ok_or_else(|| napi::Error::from_reason(format!("no reference kernel named {name:?}")))?;
    if state.len() < 96 {
        return Err(napi::Error::from_reason("reference kernels need at least 96 bytes of state"));
    }
    k(state, memory);
    Ok(())
}

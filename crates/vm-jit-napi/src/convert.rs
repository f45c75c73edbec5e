//! Conversions shared by the binding's entry points.

use napi::bindgen_prelude::{BigInt, Uint8ArraySlice};
use vm_jit_core::ir::IrError;
use vm_jit_core::RunOutcome;

/// An `IrError` as a JS `Error` with the same message.
pub fn js_error(e: IrError) -> napi::Error {
    napi::Error::from_reason(e.message)
}

/// Fuel from JS: a non-negative number; `Infinity` means unlimited.
pub fn fuel(f: f64) -> napi::Result<u64> {
    if f.is_nan() || f < 0.0 {
        return Err(napi::Error::from_reason(format!("fuel must be a non-negative number or Infinity, got {f}")));
    }
    Ok(if f >= u64::MAX as f64 { u64::MAX } else { f as u64 })
}

/// The bytes of a guest buffer (a `Uint8Array` view, possibly over a `SharedArrayBuffer`), used
/// in place for the duration of one call. Another worker may write a shared buffer concurrently:
/// that is the guest's own (racy) memory semantics, and never touches anything outside the buffer.
pub fn guest_bytes<'a>(s: &'a mut Uint8ArraySlice) -> &'a mut [u8] {
    // SAFETY: the JS value is alive and not detached for the duration of the native call that
    // received it, and the slice does not outlive that call.
    unsafe { s.as_mut() }
}

/// Rejects a state buffer that overlaps the memory buffer: the code would see one write through
/// two names, and Rust may not hand out two `&mut` to the same bytes.
pub fn check_disjoint(state: &[u8], memory: &[u8]) -> napi::Result<()> {
    let (s0, s1) = (state.as_ptr() as usize, state.as_ptr() as usize + state.len());
    let (m0, m1) = (memory.as_ptr() as usize, memory.as_ptr() as usize + memory.len());
    if !state.is_empty() && !memory.is_empty() && s0 < m1 && m0 < s1 {
        return Err(napi::Error::from_reason("guest state and guest memory must not overlap"));
    }
    Ok(())
}

/// What a run reports to JS (TypeScript turns `reason` into a name).
#[napi_derive::napi(object)]
pub struct RunResult {
    /// Exit reason code (docs/IR.md "Exits").
    pub reason: u32,
    pub pc: BigInt,
    /// `trapCode` for a trap, `faultAddress` for a fault, else 0.
    pub aux: BigInt,
    pub fuel_left: BigInt,
}

impl From<RunOutcome> for RunResult {
    fn from(o: RunOutcome) -> RunResult {
        RunResult {
            reason: o.reason as u32,
            pc: BigInt::from(o.pc),
            aux: BigInt::from(o.aux),
            fuel_left: BigInt::from(o.fuel_left),
        }
    }
}

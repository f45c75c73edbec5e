//! The block IR: types, ops, binary decoding/encoding, verification and the text form.

pub mod cfg;
pub mod decode;
pub mod encode;
pub mod error;
pub mod op;
pub mod print;
pub mod types;
pub mod verified;
pub mod verify;
pub mod verify_cache;

pub use error::IrError;

/// Back edges check fuel exhaustion and the interrupt flag when the remaining fuel is a multiple
/// of this (docs/IR.md "Fuel and interrupts").
pub const FUEL_CHECK_INTERVAL: u64 = 1024;
pub use op::*;
pub use types::Type;
pub use verified::{BodyInfo, VerifiedBlock};

pub use decode::decode;
pub use encode::encode;
pub use print::{print, print_op, print_verified};
pub use verify::verify;
pub use verify_cache::decode_and_verify_cached;

/// Decode untrusted bytes and verify the block: what every buffer from JavaScript goes through.
pub fn decode_and_verify(bytes: &[u8]) -> Result<VerifiedBlock, IrError> {
    verify(decode(bytes)?)
}

//! vm-jit-core: the native half of vm-jit-native. Plain Rust, no Node: block IR decoding and
//! verification, the tier-0 interpreter, Cranelift lowering and executable code memory.

pub mod backend;
pub mod codemem;
pub mod ctx;
pub mod exec;
pub mod guest_kernels;
pub mod interp;
pub mod ir;
pub mod kernels;
pub mod lower;
pub mod opt;
pub mod region;
pub mod runtime;
/// Concise IR construction for tests and benches (this crate's tests, or the `testing` feature).
#[cfg(any(test, feature = "testing"))]
pub mod testing;

pub use exec::RunOutcome;

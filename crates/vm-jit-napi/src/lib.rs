//! The napi-rs binding of vm-jit-native: converts JS values, delegates to vm-jit-core, converts
//! back. No logic of its own lives here (see DESIGN.md).

mod code;
mod convert;
mod ir;
mod opt;
mod region;
mod run;
mod runtime;

pub use code::*;
pub use ir::*;
pub use opt::*;
pub use region::*;
pub use run::*;
pub use runtime::*;

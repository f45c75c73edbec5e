//! What running a block (interpreted or compiled) reports back.

use crate::ir::ExitReason;

/// The outcome of running one block: the exit reason, the guest pc it names, and the reason's
/// extra datum (`trapCode` for `trap`, `faultAddress` for `fault`, else 0).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunOutcome {
    pub reason: ExitReason,
    pub pc: u64,
    pub aux: u64,
    pub fuel_left: u64,
}

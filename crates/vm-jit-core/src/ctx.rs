//! `RunCtx`: the one structure compiled code receives (by pointer) — where the guest state and
//! memory are, fuel, the interrupt flag, and where to write the exit. Its layout is shared by the
//! Rust runner and the generated code, so field offsets are spelled out and checked.

use std::mem::offset_of;
use std::sync::atomic::AtomicU32;

use crate::ir::ExitReason;
use crate::runtime::jump_cache::{JumpEntry, EMPTY_JUMP_CACHE};
use crate::RunOutcome;

#[repr(C)]
#[derive(Debug)]
pub struct RunCtx {
    pub state: *mut u8,
    pub memory: *mut u8,
    /// For an access of 1, 2, 4, 8 bytes: how many start addresses are in range
    /// (`len - w + 1`, or 0 when the memory is shorter than `w`). `addr < limit` is the whole check.
    pub mem_limit: [u64; 4],
    pub fuel: u64,
    pub interrupt: *const AtomicU32,
    pub exit_pc: u64,
    pub exit_aux: u64,
    /// Set by a helper function that had to exit (a fault, fuel, an interrupt): the reason code.
    /// Its caller sees it after the call returns and exits itself.
    pub pending: u32,
    /// Execution counters of the tiered runtime (one u32 per unit id); compiled units count
    /// their own entries here. Null outside the runtime (standalone code does not count).
    pub counters: *mut u32,
    /// The runtime's jump cache (runtime::jump_cache), read by compiled units' dynamic exits; an
    /// always-empty table outside the runtime.
    pub jump_cache: *const JumpEntry,
}

pub const OFF_STATE: i32 = offset_of!(RunCtx, state) as i32;
pub const OFF_MEMORY: i32 = offset_of!(RunCtx, memory) as i32;
pub const OFF_MEM_LIMIT: i32 = offset_of!(RunCtx, mem_limit) as i32;
pub const OFF_FUEL: i32 = offset_of!(RunCtx, fuel) as i32;
pub const OFF_INTERRUPT: i32 = offset_of!(RunCtx, interrupt) as i32;
pub const OFF_EXIT_PC: i32 = offset_of!(RunCtx, exit_pc) as i32;
pub const OFF_EXIT_AUX: i32 = offset_of!(RunCtx, exit_aux) as i32;
pub const OFF_PENDING: i32 = offset_of!(RunCtx, pending) as i32;
pub const OFF_COUNTERS: i32 = offset_of!(RunCtx, counters) as i32;
pub const OFF_JUMP_CACHE: i32 = offset_of!(RunCtx, jump_cache) as i32;

/// Index into `mem_limit` of an access width in bytes (1, 2, 4, 8).
pub fn limit_index(width: u32) -> usize {
    width.trailing_zeros() as usize
}

impl RunCtx {
    pub fn new(state: &mut [u8], memory: &mut [u8], fuel: u64, interrupt: &AtomicU32) -> RunCtx {
        let len = memory.len() as u64;
        let lim = |w: u64| if len >= w { len - w + 1 } else { 0 };
        RunCtx {
            state: state.as_mut_ptr(),
            memory: memory.as_mut_ptr(),
            mem_limit: [lim(1), lim(2), lim(4), lim(8)],
            fuel,
            interrupt,
            exit_pc: 0,
            exit_aux: 0,
            pending: 0,
            counters: std::ptr::null_mut(),
            jump_cache: EMPTY_JUMP_CACHE.as_ptr(),
        }
    }

    /// The outcome after compiled code returned `reason`.
    pub fn outcome(&self, reason: u32) -> RunOutcome {
        RunOutcome {
            reason: ExitReason::from_code(reason).unwrap_or(ExitReason::Fault),
            pc: self.exit_pc,
            aux: self.exit_aux,
            fuel_left: self.fuel,
        }
    }
}

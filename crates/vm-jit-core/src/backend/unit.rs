//! `CompiledBlock`: a block's machine code in executable memory, and running it.

use std::sync::atomic::AtomicU32;

use crate::codemem::CodeRegion;
use crate::ctx::RunCtx;
use crate::ir::{IrError, VerifiedBlock};
use crate::RunOutcome;

use super::OptLevel;

/// Compiled code for one block. Dropping it frees the executable memory.
pub struct CompiledBlock {
    region: CodeRegion,
    pc: u64,
    opt_level: OptLevel,
    state_size: u32,
}

static NO_INTERRUPT: AtomicU32 = AtomicU32::new(0);

impl CompiledBlock {
    pub(super) fn new(region: CodeRegion, vb: &VerifiedBlock, opt_level: OptLevel) -> CompiledBlock {
        CompiledBlock { region, pc: vb.block.pc, opt_level, state_size: vb.state_size }
    }

    pub fn pc(&self) -> u64 {
        self.pc
    }

    pub fn opt_level(&self) -> OptLevel {
        self.opt_level
    }

    /// Bytes of machine code.
    pub fn code_size(&self) -> usize {
        self.region.len()
    }

    /// Bytes of memory the code occupies (whole pages).
    pub fn mapped_size(&self) -> usize {
        self.region.mapped_len()
    }

    pub fn state_size(&self) -> u32 {
        self.state_size
    }

    /// The block's entry point (a `tail`-convention function; call it through the trampoline).
    pub fn entry(&self) -> *const u8 {
        self.region.as_ptr()
    }

    /// Calls the block with a prepared context; returns the exit reason code.
    ///
    /// # Safety
    /// `ctx` must describe live buffers: state of at least `state_size` bytes, memory matching its
    /// limits, a valid interrupt flag, and counters covering every unit id the code can reach.
    pub unsafe fn enter(&self, ctx: &mut RunCtx) -> Result<u32, IrError> {
        let tramp = super::trampoline::trampoline()?;
        // SAFETY: the region holds code Cranelift generated for the block signature; it touches
        // only what the caller guarantees above.
        Ok(unsafe { tramp(ctx, self.entry()) })
    }

    /// Runs the block on `state` and `memory` in place.
    pub fn run(
        &self,
        state: &mut [u8],
        memory: &mut [u8],
        fuel: u64,
        interrupt: Option<&AtomicU32>,
    ) -> Result<RunOutcome, IrError> {
        if state.len() < self.state_size as usize {
            return Err(IrError::new(format!(
                "guest state is {} bytes but the block at pc {:#x} needs {}",
                state.len(),
                self.pc,
                self.state_size
            )));
        }
        let mut ctx = RunCtx::new(state, memory, fuel, interrupt.unwrap_or(&NO_INTERRUPT));
        // SAFETY: see `enter`.
        let reason = unsafe { self.enter(&mut ctx)? };
        Ok(ctx.outcome(reason))
    }
}

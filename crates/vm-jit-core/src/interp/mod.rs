//! The tier-0 interpreter: the executable specification of the IR (docs/IR.md). Compiled code at
//! every tier must agree with it bit for bit on the final guest state, guest memory, exit
//! reason, pc, trap code / fault address and remaining fuel.
//!
//! A verified block is first translated into a `Program` (pre-decoded instructions over one
//! register file, labels resolved to instruction indices: see `program.rs`), then run by a
//! `match` loop that allocates nothing per op. `run` does both; an embedder that runs a block
//! many times can keep the `Program` and call `Program::run`.
//!
//! The semantics of single ops live in `int_ops` and `float_ops`, public so that optimisation
//! passes (constant folding) compute exactly what the interpreter computes.

pub mod float_ops;
pub mod int_ops;
mod memory;
mod program;

use std::sync::atomic::{AtomicU32, Ordering};

use crate::exec::RunOutcome;
use crate::ir::{ExitReason, IrError, VerifiedBlock};
pub use program::Program;
use program::{Inst, NO_SLOT};

/// Run a verified block against `state` (at least `state_size` bytes) and `memory`.
///
/// Returns `Err` only when `state` is smaller than the block needs; everything the guest does
/// (faults, fuel exhaustion, interrupts) is an `Ok` outcome. `interrupt` is read (relaxed) at
/// back edges where the remaining fuel is a multiple of `FUEL_CHECK_INTERVAL`; any non-zero value
/// stops the block with reason `interrupt`.
pub fn run(
    block: &VerifiedBlock,
    state: &mut [u8],
    memory: &mut [u8],
    fuel: u64,
    interrupt: &AtomicU32,
) -> Result<RunOutcome, IrError> {
    Program::new(block).run(state, memory, fuel, interrupt)
}

impl Program {
    /// Run the program; see `interp::run`.
    pub fn run(
        &self,
        state: &mut [u8],
        memory: &mut [u8],
        fuel: u64,
        interrupt: &AtomicU32,
    ) -> Result<RunOutcome, IrError> {
        if state.len() < self.state_size as usize {
            return Err(IrError::new(format!(
                "guest state is {} bytes but the block needs {}",
                state.len(),
                self.state_size
            )));
        }
        // All bodies' values and locals; zero, so main's locals start zeroed.
        let mut regs = vec![0u64; self.nslots];
        self.exec(&mut regs, state, memory, fuel, interrupt)
    }

    fn exec(
        &self,
        regs: &mut [u64],
        state: &mut [u8],
        mem: &mut [u8],
        mut fuel: u64,
        interrupt: &AtomicU32,
    ) -> Result<RunOutcome, IrError> {
        let insts = &self.insts[..];
        let mut ip = 0usize;
        // Active helper calls: (return instruction index, destination slot).
        let mut frames: Vec<(u32, u32)> = Vec::new();
        // While in a helper: the current mark of the main-body call that entered it.
        let mut outer_pc = 0u64;

        macro_rules! r {
            ($slot:expr) => {
                regs[$slot as usize]
            };
        }
        macro_rules! mark {
            ($at:expr) => {
                if frames.is_empty() {
                    self.pcs[$at]
                } else {
                    outer_pc
                }
            };
        }
        macro_rules! finish {
            ($reason:ident, $pc:expr, $aux:expr) => {
                return Ok(RunOutcome { reason: ExitReason::$reason, pc: $pc, aux: $aux, fuel_left: fuel })
            };
        }
        macro_rules! back_edge {
            ($at:expr) => {
                // docs/IR.md "Fuel and interrupts": the checks run when the remaining fuel is a
                // multiple of FUEL_CHECK_INTERVAL, so compiled code's hot path is one test.
                if fuel % crate::ir::FUEL_CHECK_INTERVAL == 0 {
                    if fuel == 0 {
                        finish!(Fuel, mark!($at), 0);
                    }
                    if interrupt.load(Ordering::Relaxed) != 0 {
                        finish!(Interrupt, mark!($at), 0);
                    }
                }
                fuel -= 1;
            };
        }

        loop {
            let at = ip;
            ip += 1;
            match insts[at] {
                Inst::Const { dst, bits } => r!(dst) = bits,
                Inst::Copy { dst, src } => r!(dst) = r!(src),
                Inst::GetState { dst, off, width } => r!(dst) = memory::get_state(state, off, width),
                Inst::SetState { src, off, width } => memory::set_state(state, off, width, r!(src)),
                Inst::Load { dst, addr, width, signed, ty } => {
                    let a = r!(addr);
                    match memory::load(mem, a, width) {
                        Some(v) if signed => r!(dst) = int_ops::sext(v, width as u32 * 8) as u64 & ty.mask(),
                        Some(v) => r!(dst) = v,
                        None => finish!(Fault, mark!(at), a),
                    }
                }
                Inst::Store { addr, src, width } => {
                    let a = r!(addr);
                    if !memory::store(mem, a, width, r!(src)) {
                        finish!(Fault, mark!(at), a);
                    }
                }
                Inst::Add { ty, dst, a, b } => r!(dst) = r!(a).wrapping_add(r!(b)) & ty.mask(),
                Inst::Sub { ty, dst, a, b } => r!(dst) = r!(a).wrapping_sub(r!(b)) & ty.mask(),
                Inst::And { dst, a, b } => r!(dst) = r!(a) & r!(b),
                Inst::Or { dst, a, b } => r!(dst) = r!(a) | r!(b),
                Inst::Xor { dst, a, b } => r!(dst) = r!(a) ^ r!(b),
                Inst::IntBin { op, ty, dst, a, b } => r!(dst) = int_ops::bin(op, ty, r!(a), r!(b)),
                Inst::IntUn { op, ty, dst, a } => r!(dst) = int_ops::un(op, ty, r!(a)),
                Inst::Icmp { cc, ty, dst, a, b } => r!(dst) = int_ops::icmp(cc, ty, r!(a), r!(b)) as u64,
                Inst::Select { dst, cond, a, b } => r!(dst) = if r!(cond) != 0 { r!(a) } else { r!(b) },
                Inst::Sext { from, to, dst, a } => r!(dst) = int_ops::sext(r!(a), from.bits()) as u64 & to.mask(),
                Inst::Trunc { to, dst, a } => r!(dst) = r!(a) & to.mask(),
                Inst::FloatBin { op, ty, dst, a, b } => r!(dst) = float_ops::bin(op, ty, r!(a), r!(b)),
                Inst::FloatUn { op, ty, dst, a } => r!(dst) = float_ops::un(op, ty, r!(a)),
                Inst::Fma { ty, dst, a, b, c } => r!(dst) = float_ops::fma(ty, r!(a), r!(b), r!(c)),
                Inst::Fcmp { cc, ty, dst, a, b } => r!(dst) = float_ops::fcmp(cc, ty, r!(a), r!(b)) as u64,
                Inst::FcvtToInt { from, to, signed, dst, a } => r!(dst) = float_ops::to_int(from, to, signed, r!(a)),
                Inst::FcvtFromInt { from, to, signed, dst, a } => {
                    r!(dst) = float_ops::from_int(from, to, signed, r!(a))
                }
                Inst::Fpromote { dst, a } => r!(dst) = float_ops::promote(r!(a)),
                Inst::Fdemote { dst, a } => r!(dst) = float_ops::demote(r!(a)),
                Inst::Jump { target, back } => {
                    if back {
                        back_edge!(at);
                    }
                    ip = target as usize;
                }
                Inst::Brif { cond, then_t, else_t, then_back, else_back } => {
                    let (target, back) = if r!(cond) != 0 { (then_t, then_back) } else { (else_t, else_back) };
                    if back {
                        back_edge!(at);
                    }
                    ip = target as usize;
                }
                Inst::Exit { pc } => finish!(Exit, r!(pc), 0),
                Inst::Halt { pc } => finish!(Halt, r!(pc), 0),
                Inst::Trap { code, pc } => finish!(Trap, r!(pc), code as u64),
                Inst::Call { func, args, nargs, dst } => {
                    let f = self.funcs[func as usize];
                    for k in 0..nargs {
                        r!(f.params + k) = r!(self.call_args[(args + k) as usize]);
                    }
                    regs[f.locals as usize..(f.locals + f.nlocals) as usize].fill(0);
                    if frames.is_empty() {
                        outer_pc = self.pcs[at];
                    }
                    frames.push((ip as u32, dst));
                    ip = f.entry as usize;
                }
                Inst::Ret { src } => {
                    let Some((ret_ip, dst)) = frames.pop() else {
                        return Err(IrError::new("internal error: ret outside a helper"));
                    };
                    if dst != NO_SLOT && src != NO_SLOT {
                        r!(dst) = r!(src);
                    }
                    ip = ret_ip as usize;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;

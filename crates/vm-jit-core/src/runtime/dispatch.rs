//! `Runtime`: one guest's native dispatch loop. It runs block after block — chained compiled
//! blocks jump into each other directly; otherwise the loop finds the next unit by pc in its
//! lookup table (the native mirror of the TypeScript cache index), calls it through the
//! trampoline or interprets it — and returns to JavaScript only when it must: a pc with no code,
//! a halt/trap/fault exit, fuel, an interrupt, or a policy decision point.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::atomic::AtomicU32;
use std::sync::Arc;

use crate::ctx::RunCtx;
use crate::ir::{ExitReason, IrError, FUEL_CHECK_INTERVAL};

use super::epoch::Participant;
use super::jump_cache::JumpCache;
use super::registry::{self, MAX_UNITS};
use super::unit::{Unit, UnitCode};

/// Why `Runtime::run` returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopReason {
    /// A block exit other than `exit` (halt, trap, fault), or fuel, or an interrupt.
    Exit(ExitReason),
    /// No code for `pc` yet: translate and compile it, `install`, then run again from `pc`.
    Miss,
    /// The slice of fuel for this call is used up: a point for the policy to look at counters and
    /// install finished compiles. Run again from `pc` to continue.
    Decision,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunStop {
    pub reason: StopReason,
    pub pc: u64,
    pub aux: u64,
    pub fuel_left: u64,
    /// Blocks entered through the dispatcher (chained entries are in the counters).
    pub dispatched: u64,
}

/// Fibonacci hashing for pc keys: guest pcs are well spread in their low bits after the
/// multiply, and SipHash would cost more than the rest of a lookup.
#[derive(Default)]
pub struct PcHasher(u64);

impl Hasher for PcHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0.rotate_left(8) ^ *b as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_u64(&mut self, x: u64) {
        self.0 = x.wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(29);
    }
}

type PcMap<V> = HashMap<u64, V, BuildHasherDefault<PcHasher>>;

pub struct Runtime {
    domain: u32,
    /// Bytes of guest state every unit may assume.
    state_size: u32,
    lookup: PcMap<Arc<Unit>>,
    /// pc → entry of the compiled units in `lookup`, for dynamic exits (jump_cache.rs).
    jump_cache: JumpCache,
    participant: Participant,
}

impl Runtime {
    /// A runtime chaining within `domain` (runtimes sharing a code cache share a domain), for
    /// guests whose state buffer has `state_size` bytes.
    pub fn new(domain: u32, state_size: u32) -> Runtime {
        Runtime {
            domain,
            state_size,
            lookup: PcMap::default(),
            jump_cache: JumpCache::default(),
            participant: Participant::new(),
        }
    }

    pub fn domain(&self) -> u32 {
        self.domain
    }

    /// Makes `unit` the code this runtime runs for its pc, and publishes it for chaining.
    pub fn install(&mut self, unit: Arc<Unit>) -> Result<(), IrError> {
        if unit.state_size > self.state_size {
            return Err(IrError::new(format!(
                "the block at pc {:#x} uses {} bytes of guest state but the runtime was created for {}",
                unit.pc, unit.state_size, self.state_size
            )));
        }
        registry::publish(self.domain, &unit);
        // Before the old unit (if any) can go: the cache must not keep its entry.
        self.jump_cache.forget(unit.pc);
        self.lookup.insert(unit.pc, unit);
        Ok(())
    }

    /// The unit this runtime runs for `pc`.
    pub fn lookup(&self, pc: u64) -> Option<&Arc<Unit>> {
        self.lookup.get(&pc)
    }

    /// Forgets the code for `pc` here (others sharing the unit keep it until they drop it).
    pub fn remove(&mut self, pc: u64) -> Option<Arc<Unit>> {
        self.jump_cache.forget(pc);
        self.lookup.remove(&pc)
    }

    pub fn len(&self) -> usize {
        self.lookup.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lookup.is_empty()
    }

    /// Runs the guest from `pc`. `counters` must have `MAX_UNITS` entries; `slice` is how much
    /// fuel to spend before stopping at a decision point.
    #[allow(clippy::too_many_arguments)]
    pub fn run(
        &mut self,
        pc: u64,
        state: &mut [u8],
        memory: &mut [u8],
        fuel: u64,
        slice: u64,
        counters: &mut [u32],
        interrupt: &AtomicU32,
    ) -> Result<RunStop, IrError> {
        if state.len() < self.state_size as usize {
            return Err(IrError::new(format!(
                "guest state is {} bytes but the runtime was created for {}",
                state.len(),
                self.state_size
            )));
        }
        if counters.len() < MAX_UNITS as usize {
            return Err(IrError::new(format!("the counter array needs {MAX_UNITS} entries, got {}", counters.len())));
        }
        self.participant.enter();
        let stop = self.dispatch(pc, state, memory, fuel, slice, counters, interrupt);
        self.participant.leave();
        registry::reclaim();
        Ok(stop)
    }

    /// Runs one unit once (counting it), without dispatching further: for running a single block.
    /// Its exits return here unless it was built chainable and published.
    pub fn run_unit(
        &mut self,
        unit: &Arc<Unit>,
        state: &mut [u8],
        memory: &mut [u8],
        fuel: u64,
        counters: &mut [u32],
        interrupt: &AtomicU32,
    ) -> Result<RunStop, IrError> {
        if state.len() < unit.state_size as usize {
            return Err(IrError::new(format!(
                "guest state is {} bytes but the block at pc {:#x} needs {}",
                state.len(),
                unit.pc,
                unit.state_size
            )));
        }
        if counters.len() < MAX_UNITS as usize {
            return Err(IrError::new(format!("the counter array needs {MAX_UNITS} entries, got {}", counters.len())));
        }
        self.participant.enter();
        let mut ctx = RunCtx::new(state, memory, fuel, interrupt);
        ctx.counters = counters.as_mut_ptr();
        ctx.jump_cache = self.jump_cache.as_ptr();
        let out = match &unit.code {
            UnitCode::Compiled(code) => {
                // SAFETY: as in `dispatch`, with the state size checked against this unit.
                let r = unsafe { code.enter(&mut ctx) };
                r.map(|r| (ExitReason::from_code(r).unwrap_or(ExitReason::Fault), ctx.exit_pc, ctx.exit_aux, ctx.fuel))
            }
            UnitCode::Interpreted(program) => {
                counters[unit.id as usize] = counters[unit.id as usize].wrapping_add(1);
                program.run(state, memory, fuel, interrupt).map(|o| (o.reason, o.pc, o.aux, o.fuel_left))
            }
        };
        self.participant.leave();
        registry::reclaim();
        let (reason, pc, aux, fuel_left) = out?;
        Ok(stop(StopReason::Exit(reason), pc, aux, fuel_left, 1))
    }

    #[allow(clippy::too_many_arguments)]
    fn dispatch(
        &mut self,
        mut pc: u64,
        state: &mut [u8],
        memory: &mut [u8],
        mut fuel: u64,
        slice: u64,
        counters: &mut [u32],
        interrupt: &AtomicU32,
    ) -> RunStop {
        let start = fuel;
        let mut dispatched = 0u64;
        let mut ctx = RunCtx::new(state, memory, fuel, interrupt);
        ctx.counters = counters.as_mut_ptr();
        ctx.jump_cache = self.jump_cache.as_ptr();
        loop {
            // The same schedule as back edges (docs/IR.md): checks every FUEL_CHECK_INTERVAL.
            if fuel % FUEL_CHECK_INTERVAL == 0 {
                if fuel == 0 {
                    return stop(StopReason::Exit(ExitReason::Fuel), pc, 0, fuel, dispatched);
                }
                if interrupt.load(std::sync::atomic::Ordering::Relaxed) != 0 {
                    return stop(StopReason::Exit(ExitReason::Interrupt), pc, 0, fuel, dispatched);
                }
                if start - fuel >= slice {
                    return stop(StopReason::Decision, pc, 0, fuel, dispatched);
                }
            }
            let Some(unit) = self.lookup.get(&pc) else {
                return stop(StopReason::Miss, pc, 0, fuel, dispatched);
            };
            // Entering a block costs one fuel, whether dispatched here or chained.
            fuel -= 1;
            dispatched += 1;
            let (reason, next_pc, aux) = match &unit.code {
                UnitCode::Compiled(code) => {
                    // The next dynamic exit to this pc goes straight in. (Written between blocks:
                    // no generated code is reading the table now.)
                    self.jump_cache.fill(pc, code.entry() as usize);
                    ctx.fuel = fuel;
                    // SAFETY: ctx describes the live state (≥ state_size of every installed unit,
                    // checked at install and above), memory with matching limits, the interrupt
                    // flag, and MAX_UNITS counters (checked above).
                    let r = unsafe { code.enter(&mut ctx) }.unwrap_or(ExitReason::Fault as u32);
                    fuel = ctx.fuel;
                    (ExitReason::from_code(r).unwrap_or(ExitReason::Fault), ctx.exit_pc, ctx.exit_aux)
                }
                UnitCode::Interpreted(program) => {
                    counters[unit.id as usize] = counters[unit.id as usize].wrapping_add(1);
                    // SAFETY: the same buffers ctx points into; nothing else uses them meanwhile.
                    let (st, mem) = unsafe {
                        (
                            std::slice::from_raw_parts_mut(ctx.state, state_len(&ctx, self.state_size)),
                            std::slice::from_raw_parts_mut(ctx.memory, memory_len(&ctx)),
                        )
                    };
                    match program.run(st, mem, fuel, interrupt) {
                        Ok(out) => {
                            fuel = out.fuel_left;
                            (out.reason, out.pc, out.aux)
                        }
                        // Only a too-small state fails, and install() ruled that out.
                        Err(_) => (ExitReason::Fault, pc, 0),
                    }
                }
            };
            if reason != ExitReason::Exit {
                return stop(StopReason::Exit(reason), next_pc, aux, fuel, dispatched);
            }
            pc = next_pc;
        }
    }
}

fn stop(reason: StopReason, pc: u64, aux: u64, fuel_left: u64, dispatched: u64) -> RunStop {
    RunStop { reason, pc, aux, fuel_left, dispatched }
}

fn state_len(_ctx: &RunCtx, state_size: u32) -> usize {
    state_size as usize
}

fn memory_len(ctx: &RunCtx) -> usize {
    // mem_limit[0] is the number of valid 1-byte addresses: the memory's length.
    ctx.mem_limit[0] as usize
}

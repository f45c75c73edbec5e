//! One run of a block — in the interpreter or compiled — from a given input, and the first way two
//! runs part: what every differential test compares (`differential.rs`, `opt_differential.rs`,
//! `region_differential.rs`, `fast_loops.rs`).
#![allow(dead_code)] // each test uses the part it needs

use std::sync::atomic::AtomicU32;

use vm_jit_core::backend::CraneliftBackend;
use vm_jit_core::interp;
use vm_jit_core::ir::VerifiedBlock;
use vm_jit_core::RunOutcome;

/// What a block starts from: copied for every run, so runs never see each other's writes.
pub struct Input {
    pub state: Vec<u8>,
    pub mem: Vec<u8>,
    pub fuel: u64,
    pub interrupt: bool,
}

/// How a run ended, and the state and memory it left.
#[derive(Clone, Debug, PartialEq)]
pub struct Run {
    pub out: RunOutcome,
    pub state: Vec<u8>,
    pub mem: Vec<u8>,
}

/// `vb` in the interpreter from `input`.
pub fn run_interp(vb: &VerifiedBlock, input: &Input) -> Run {
    interp_on(vb, &input.state, &input.mem, input.fuel, input.interrupt)
}

/// `vb` in the interpreter from copies of `state` and `mem`.
pub fn interp_on(vb: &VerifiedBlock, state: &[u8], mem: &[u8], fuel: u64, interrupt: bool) -> Run {
    let (mut state, mut mem) = (state.to_vec(), mem.to_vec());
    let flag = AtomicU32::new(interrupt as u32);
    let out = interp::run(vb, &mut state, &mut mem, fuel, &flag).expect("interpreter run");
    Run { out, state, mem }
}

/// `vb` compiled by `backend`, run from `input`; a compile or run error as text.
pub fn run_compiled(backend: &mut CraneliftBackend, vb: &VerifiedBlock, input: &Input) -> Result<Run, String> {
    let code = backend.compile(vb).map_err(|e| format!("compile failed: {e}"))?;
    let (mut state, mut mem) = (input.state.clone(), input.mem.clone());
    let flag = AtomicU32::new(input.interrupt as u32);
    let out = code.run(&mut state, &mut mem, input.fuel, Some(&flag)).map_err(|e| format!("run failed: {e}"))?;
    Ok(Run { out, state, mem })
}

/// The first way `got` differs from `want`, if any, naming the two sides `sides`; the fuel left
/// counts only when `fuel` is set.
pub fn first_difference(want: &Run, got: &Run, sides: (&str, &str), fuel: bool) -> Option<String> {
    let (w, g) = (&want.out, &got.out);
    let (a, b) = sides;
    if w.reason != g.reason || w.pc != g.pc || w.aux != g.aux || (fuel && w.fuel_left != g.fuel_left) {
        return Some(format!("outcome: {a} {w:?}, {b} {g:?}"));
    }
    for (what, x, y) in [("state", &want.state, &got.state), ("memory", &want.mem, &got.mem)] {
        if let Some(i) = x.iter().zip(y.iter()).position(|(p, q)| p != q) {
            let at = i & !7;
            let end = (at + 8).min(x.len());
            return Some(format!(
                "{what} byte {i}: {a} {:#04x}, {b} {:#04x} (bytes {at}..{end}: {a} {:02x?}, {b} {:02x?})",
                x[i],
                y[i],
                &x[at..end],
                &y[at..end]
            ));
        }
    }
    None
}

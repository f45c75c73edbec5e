//! Shared helpers of the passes' unit tests.

use std::sync::atomic::AtomicU32;

use super::{OptimizationPass, Optimizer};
use crate::interp;
use crate::ir::*;

pub fn verified(block: Block) -> VerifiedBlock {
    verify(block).unwrap_or_else(|e| panic!("{e}"))
}

/// Runs `passes` on `block` (verifying after each), checks that the interpreter gives the same
/// results before and after on a range of inputs, and returns the output.
pub fn run_passes(passes: &[OptimizationPass], block: Block) -> VerifiedBlock {
    let input = verified(block);
    let mut o = Optimizer::new();
    o.verify_each(true);
    for p in passes {
        o.add_pass(*p);
    }
    let (out, stats) = o.optimize(&input).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(stats.ops_before, input.op_count);
    assert_eq!(stats.ops_after, out.op_count);
    assert_same_behaviour(&input, &out);
    out
}

pub fn run_pass(pass: OptimizationPass, block: Block) -> VerifiedBlock {
    run_passes(&[pass], block)
}

fn bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..len)
        .map(|i| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            // some zero and all-ones bytes, and small numbers in the first bytes of each word
            match (x >> 60, i % 8) {
                (0, _) => 0,
                (1, _) => 0xff,
                (_, 0) => (x & 7) as u8,
                _ => x as u8,
            }
        })
        .collect()
}

/// Interpreter results (outcome, state, memory) of `a` and `b` agree on several inputs.
pub fn assert_same_behaviour(a: &VerifiedBlock, b: &VerifiedBlock) {
    let state_len = (a.state_size.max(b.state_size) as usize).max(64);
    for seed in 0..12u64 {
        let mut state = bytes(seed, state_len);
        if seed % 2 == 0 {
            // every word a small number: in-range addresses, small counts
            for (k, w) in state.chunks_mut(8).enumerate() {
                let v = (seed * 31 + k as u64 * 17) % 200;
                w.copy_from_slice(&v.to_le_bytes()[..w.len()]);
            }
        }
        let mem = bytes(seed + 100, 256);
        let fuel = [0, 1, 3, 100, 5000, 20_000][seed as usize % 6];
        let run = |vb: &VerifiedBlock| {
            let (mut s, mut m) = (state.clone(), mem.clone());
            let out = interp::run(vb, &mut s, &mut m, fuel, &AtomicU32::new(0)).unwrap();
            (out, s, m)
        };
        let (want, got) = (run(a), run(b));
        assert_eq!(
            want,
            got,
            "seed {seed}, fuel {fuel}\nbefore:\n{}\nafter:\n{}",
            print_verified(a),
            print_verified(b)
        );
    }
}

/// The main body's text (ops only, no `block` header).
pub fn main_text(vb: &VerifiedBlock) -> String {
    let all = print_verified(vb);
    let at = all.find("block pc=").expect("a block line");
    let body = &all[at..];
    body[body.find('\n').unwrap() + 1..].to_string()
}

/// Ops in the main body for which `f` holds.
pub fn count_main(vb: &VerifiedBlock, f: impl Fn(&Op) -> bool) -> usize {
    vb.block.main.ops.iter().filter(|op| f(op)).count()
}

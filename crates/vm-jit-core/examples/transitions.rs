//! Block transitions per second in the native loop, chained and unchained, and the cost of the
//! dispatcher's pc → unit lookup (quick look; bench/runtime.js runs this and reports the figures
//! in BENCHMARKS.md).
//! `cargo run --release -p vm-jit-core --example transitions --features testing`
//!
//! Output lines (parsed by bench/runtime.js; keep the formats):
//!   chained: <ns> ns per transition (median of <k> runs of <n>; ...)
//!   unchained: <ns> ns per transition (median of <k> runs of <n>; ...)
//!   lookup <units> units: <ns> ns per lookup (median of <k> rounds of <n>)
use std::hint::black_box;
use std::sync::atomic::AtomicU32;
use std::time::Instant;
use vm_jit_core::backend::{BackendConfig, OptLevel};
use vm_jit_core::ir::verify;
use vm_jit_core::runtime::{self, Runtime, MAX_UNITS};
use vm_jit_core::testing::BlockBuilder;

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let n = xs.len();
    if n % 2 == 1 {
        xs[n / 2]
    } else {
        (xs[n / 2 - 1] + xs[n / 2]) / 2.0
    }
}

fn transitions() {
    let n = 20_000_000u64;
    let runs = 7;
    for chained in [true, false] {
        let mut rt = Runtime::new(7 + chained as u32, 64);
        // Two blocks bouncing: 0x10 -> 0x20 -> 0x10 …; unchained: the pc is computed, not constant.
        for (pc, next) in [(0x10u64, 0x20u64), (0x20, 0x10)] {
            let b = BlockBuilder::new(pc).main(|m| {
                if chained {
                    m.exit_const(next)
                } else {
                    let x = m.get_state(vm_jit_core::ir::Type::I64, 0);
                    let c = m.iconst(vm_jit_core::ir::Type::I64, next);
                    let p = m.add(x, c);
                    m.exit(p)
                }
            });
            let u = runtime::build_unit(&verify(b).unwrap(), &BackendConfig::with_opt_level(OptLevel::Speed)).unwrap();
            rt.install(u).unwrap();
        }
        let mut counters = vec![0u32; MAX_UNITS as usize];
        let no = AtomicU32::new(0);
        let mut state = vec![0u8; 64];
        let mut samples = Vec::new();
        let mut last = None;
        for _ in 0..runs {
            let t = Instant::now();
            let stop = rt.run(0x10, &mut state, &mut [], n, u64::MAX, &mut counters, &no).unwrap();
            samples.push(t.elapsed().as_secs_f64() * 1e9 / n as f64);
            last = Some(stop);
        }
        let stop = last.unwrap();
        println!(
            "{}: {:.3} ns per transition (median of {} runs of {}; {:?}, dispatched {})",
            if chained { "chained" } else { "unchained" },
            median(samples),
            runs,
            n,
            stop.reason,
            stop.dispatched
        );
    }
}

/// The dispatcher's lookup table alone: `Runtime::lookup(pc)` (what the dispatch loop does for
/// every unchained transition) over `units` installed pcs, visited in a shuffled order.
fn lookups() {
    for units in [1_000u64, 10_000] {
        let mut rt = Runtime::new(100 + units as u32, 64);
        // Guest-like pcs: 4-byte aligned, irregularly spaced.
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        let mut rnd = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut pcs = Vec::with_capacity(units as usize);
        let mut pc = 0x8000_0000u64;
        for _ in 0..units {
            pc += 4 * (1 + rnd() % 16);
            pcs.push(pc);
            // Interpreted units: the table does not care what a unit holds, and they cost no compile.
            let b = BlockBuilder::new(pc).main(|m| m.exit_const(pc + 4));
            rt.install(runtime::interpreted_unit(&verify(b).unwrap()).unwrap()).unwrap();
        }
        for k in (1..pcs.len()).rev() {
            let j = (rnd() % (k as u64 + 1)) as usize;
            pcs.swap(k, j);
        }
        let reps = (2_000_000 / units).max(1);
        let rounds = 21;
        let mut samples = Vec::new();
        let mut sum = 0u64;
        for _ in 0..rounds {
            let t = Instant::now();
            for _ in 0..reps {
                for &pc in &pcs {
                    if let Some(u) = rt.lookup(black_box(pc)) {
                        sum = sum.wrapping_add(u.id as u64);
                    }
                }
            }
            samples.push(t.elapsed().as_secs_f64() * 1e9 / (reps * units) as f64);
        }
        black_box(sum);
        println!(
            "lookup {} units: {:.3} ns per lookup (median of {} rounds of {})",
            units,
            median(samples),
            rounds,
            reps * units
        );
    }
}

fn main() {
    transitions();
    lookups();
}

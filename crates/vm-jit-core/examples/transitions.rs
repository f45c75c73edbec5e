//! Block transitions per second in the native loop, chained and unchained (quick look; the
//! figures for BENCHMARKS.md come from bench/).
//! `cargo run --release -p vm-jit-core --example transitions --features testing`
use std::sync::atomic::AtomicU32;
use std::time::Instant;
use vm_jit_core::backend::{BackendConfig, OptLevel};
use vm_jit_core::ir::verify;
use vm_jit_core::runtime::{self, Runtime, MAX_UNITS};
use vm_jit_core::testing::BlockBuilder;

fn main() {
    let n = 50_000_000u64;
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
        let t = Instant::now();
        let stop = rt.run(0x10, &mut state, &mut [], n, u64::MAX, &mut counters, &no).unwrap();
        let dt = t.elapsed().as_secs_f64();
        println!(
            "{}: {:.2} ns per transition ({:?}, dispatched {})",
            if chained { "chained" } else { "unchained" },
            dt * 1e9 / n as f64,
            stop.reason,
            stop.dispatched
        );
    }
}

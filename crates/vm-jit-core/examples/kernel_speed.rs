//! Quick look at loop-kernel speed: the README sum kernel, interpreted, at each tier, and in Rust.
//! `cargo run --release -p vm-jit-core --example kernel_speed --features testing`
use std::sync::atomic::AtomicU32;
use std::time::Instant;
use vm_jit_core::backend::{BackendConfig, CraneliftBackend, OptLevel};
use vm_jit_core::ir::verify;
use vm_jit_core::testing::{state_with, sum_words_block};

fn main() {
    if std::env::var("DIS").is_ok() {
        let vb = verify(sum_words_block()).unwrap();
        println!(
            "{}",
            CraneliftBackend::new(BackendConfig::with_opt_level(OptLevel::Speed)).unwrap().disassemble(&vb).unwrap()
        );
        return;
    }
    let n = 1 << 16;
    let vb = verify(sum_words_block()).unwrap();
    let mut mem: Vec<u8> = (0..n as u64).flat_map(|k| k.to_le_bytes()).collect();
    let mut state = state_with(96, &[(88, n)]);
    let reps = 200;
    let t = Instant::now();
    for _ in 0..reps / 10 {
        state = state_with(96, &[(88, n)]);
        let o = vm_jit_core::interp::run(&vb, &mut state, &mut mem, u64::MAX, &AtomicU32::new(0)).unwrap();
        assert_eq!(o.reason, vm_jit_core::ir::ExitReason::Exit);
    }
    let interp = t.elapsed().as_secs_f64() / (reps / 10) as f64;
    println!("interp  {:.2} ns/iter", interp * 1e9 / n as f64);
    for level in [OptLevel::None, OptLevel::Speed] {
        let code = CraneliftBackend::new(BackendConfig::with_opt_level(level)).unwrap().compile(&vb).unwrap();
        let t = Instant::now();
        for _ in 0..reps {
            state = state_with(96, &[(88, n)]);
            let o = code.run(&mut state, &mut mem, u64::MAX, None).unwrap();
            assert_eq!(o.reason, vm_jit_core::ir::ExitReason::Exit);
        }
        let s = t.elapsed().as_secs_f64() / reps as f64;
        println!("{level:?} {:.2} ns/iter  ({:.1}x interp)", s * 1e9 / n as f64, interp / s);
    }
    let t = Instant::now();
    for _ in 0..reps {
        vm_jit_core::kernels::sum(std::hint::black_box(&mut state), std::hint::black_box(&mut mem));
    }
    let s = t.elapsed().as_secs_f64() / reps as f64;
    println!("rust    {:.2} ns/iter", s * 1e9 / n as f64);
}

#[allow(dead_code)]
fn _dis() {}

//! Where compile time goes: verify, lower+Cranelift, install — for a ~30-op block.
//! `cargo run --release -p vm-jit-core --example compile_phases --features testing`
use std::time::Instant;
use vm_jit_core::backend::{install_raw, BackendConfig, CraneliftBackend, OptLevel};
use vm_jit_core::ir::{encode::encode, verify, Type::I64};
use vm_jit_core::testing::BlockBuilder;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn main() {
    let block = BlockBuilder::new(0x1000).main(|m| {
        let mut x = m.get_state(I64, 8);
        let mut y = m.get_state(I64, 16);
        for _ in 0..6 {
            x = m.add(x, y);
            let c = m.iconst(I64, 3);
            let s = m.bin(vm_jit_core::ir::IntBinOp::Shl, x, c);
            y = m.bin(vm_jit_core::ir::IntBinOp::Xor, y, s);
        }
        m.set_state(8, x);
        m.set_state(16, y);
        m.exit_const(0x1010);
    });
    let bytes = encode(&block);
    let levels =
        if std::env::var("ONLY_NONE").is_ok() { vec![OptLevel::None] } else { vec![OptLevel::None, OptLevel::Speed] };
    for level in levels {
        let ra =
            if std::env::var("RA").is_ok() { Some(vm_jit_core::backend::RegallocAlgorithm::SinglePass) } else { None };
        let mut be = CraneliftBackend::new(BackendConfig {
            verify: false,
            regalloc: ra,
            ..BackendConfig::with_opt_level(level)
        })
        .unwrap();
        let (mut tv, mut tc, mut ti) = (vec![], vec![], vec![]);
        for _ in 0..3000 {
            let t0 = Instant::now();
            let vb = vm_jit_core::ir::decode_and_verify(&bytes).unwrap();
            let t1 = Instant::now();
            let code = be.compile(&vb).unwrap();
            let t2 = Instant::now();
            drop(code);
            let t3 = Instant::now();
            let r = install_raw(&[0xc3; 64]).unwrap();
            drop(r);
            let t4 = Instant::now();
            tv.push((t1 - t0).as_secs_f64() * 1e6);
            tc.push((t2 - t1).as_secs_f64() * 1e6);
            ti.push((t4 - t3).as_secs_f64() * 1e6);
            let _ = t3 - t2;
        }
        let _ = verify;
        println!(
            "{level:?}: decode+verify {:.1} us, compile+install {:.1} us, install+free alone {:.1} us",
            median(tv),
            median(tc),
            median(ti)
        );
    }
}

//! The Cranelift backend end to end: compile, run, free, at every opt level.

use vm_jit_core::backend::{BackendConfig, CraneliftBackend, OptLevel};
use vm_jit_core::codemem;
use vm_jit_core::ir::{verify, ExitReason};
use vm_jit_core::testing::{state_with, sum_words_block, word};

const LEVELS: [OptLevel; 3] = [OptLevel::None, OptLevel::Speed, OptLevel::SpeedAndSize];

#[test]
fn readme_sum_at_every_opt_level() {
    for level in LEVELS {
        let vb = verify(sum_words_block()).unwrap();
        let mut backend = CraneliftBackend::new(BackendConfig::with_opt_level(level)).unwrap();
        let code = backend.compile(&vb).unwrap();
        assert!(code.code_size() > 0);
        let mut state = state_with(96, &[(88, 1024)]);
        let mut mem: Vec<u8> = (0..1024u64).flat_map(|k| k.to_le_bytes()).collect();
        let out = code.run(&mut state, &mut mem, u64::MAX, None).unwrap();
        assert_eq!((out.reason, out.pc), (ExitReason::Exit, 0x1010), "{level:?}");
        assert_eq!(word(&state, 80), 523776, "{level:?}");
    }
}

#[test]
fn compile_free_churn_reuses_memory() {
    let vb = verify(sum_words_block()).unwrap();
    let mut backend = CraneliftBackend::new(BackendConfig::with_opt_level(OptLevel::None)).unwrap();
    let before = codemem::stats();
    for _ in 0..2000 {
        let code = backend.compile(&vb).unwrap();
        drop(code);
    }
    let after = codemem::stats();
    // Other tests run in parallel and hold code too; ours holds none after the loop, and the
    // cache stays under its fixed limit.
    assert!(after.cached_bytes <= 16 << 20);
    assert!(after.live_regions <= before.live_regions + 8, "{before:?} -> {after:?}");
}

//! NaN payloads where the lowering defers canonicalization (lower/body.rs, "Raw floats"): a NaN
//! from arithmetic is canonical wherever its bits can be seen, and a NaN that was never computed
//! (a constant, a load) keeps its payload — through locals, promoted state slots in loops, selects
//! and helper calls — exactly as the interpreter says, at every opt level.

use std::sync::atomic::AtomicU32;

use vm_jit_core::backend::{BackendConfig, CraneliftBackend, OptLevel};
use vm_jit_core::interp;
use vm_jit_core::ir::{verify, Block, FloatBinOp, FloatUnOp, IntBinOp, IntCC, Op, Type};
use vm_jit_core::testing::BlockBuilder;

/// A quiet NaN with a payload: not the canonical 0x7ff8000000000000.
const PAYLOAD_NAN: u64 = 0x7ff8_0000_dead_beef;
const CANONICAL: u64 = 0x7ff8_0000_0000_0000;

fn run_everywhere(block: Block, state: &[u8]) -> Vec<u8> {
    let vb = verify(block).unwrap();
    let mut want_state = state.to_vec();
    let mut mem = vec![0u8; 256];
    let want = interp::run(&vb, &mut want_state, &mut mem, 1 << 20, &AtomicU32::new(0)).unwrap();
    for level in [OptLevel::None, OptLevel::Speed] {
        let mut backend = CraneliftBackend::new(BackendConfig::with_opt_level(level)).unwrap();
        let code = backend.compile(&vb).unwrap();
        let mut got_state = state.to_vec();
        let mut got_mem = vec![0u8; 256];
        let got = code.run(&mut got_state, &mut got_mem, 1 << 20, None).unwrap();
        assert_eq!((got.reason, got.pc), (want.reason, want.pc), "{level:?}");
        assert_eq!(got_state, want_state, "{level:?}: state");
        assert_eq!(got_mem, mem, "{level:?}: memory");
    }
    want_state
}

fn f64_at(state: &[u8], off: usize) -> u64 {
    u64::from_le_bytes(state[off..off + 8].try_into().unwrap())
}

/// A loop of `n` (state 0) iterations keeps state 8 as `x = x * 1.0` (a computed NaN stays NaN)
/// and state 16 as `y = select(n even, x, payload NaN)` (the last iteration has n = 1: the payload
/// NaN, carried by a promoted slot whose other values are raw); after it, state 24 = bits of -x (fneg),
/// memory 0 = y, memory 8 = x, state 32 = bits of a local that holds the payload NaN constant.
fn nan_loop() -> Block {
    BlockBuilder::new(0x100).main(|b| {
        let top = b.new_label();
        let out = b.new_label();
        let keep = b.local(Type::F64);
        let payload = b.iconst(Type::I64, PAYLOAD_NAN);
        let payload = b.bitcast(Type::F64, payload);
        b.local_set(keep, payload);
        let one = b.f64const(1.0);
        b.bind(top);
        let x = b.get_state(Type::F64, 8);
        let x = b.fbin(FloatBinOp::Fmul, x, one);
        b.set_state(8, x);
        let n = b.get_state(Type::I64, 0);
        let one_i = b.iconst(Type::I64, 1);
        let even = b.bin(IntBinOp::And, n, one_i);
        let zero = b.iconst(Type::I64, 0);
        let even = b.icmp(IntCC::Eq, even, zero);
        let kept = b.local_get(keep);
        let y = b.select(even, x, kept);
        b.set_state(16, y);
        let n = b.sub(n, one_i);
        b.set_state(0, n);
        let again = b.icmp(IntCC::Ne, n, zero);
        b.brif(again, top, out);
        b.bind(out);
        let x = b.get_state(Type::F64, 8);
        let neg = b.fun(FloatUnOp::Fneg, x);
        let neg = b.bitcast(Type::I64, neg);
        b.set_state(24, neg);
        let y = b.get_state(Type::F64, 16);
        let a0 = b.iconst(Type::I64, 0);
        b.store(8, a0, y);
        let a8 = b.iconst(Type::I64, 8);
        b.store(8, a8, x);
        let kept = b.local_get(keep);
        let kept = b.bitcast(Type::I64, kept);
        b.set_state(32, kept);
        let pc = b.iconst(Type::I64, 0x200);
        b.op(Op::Exit { pc });
    })
}

#[test]
fn computed_nans_are_canonical_and_payloads_survive_through_loops_locals_and_selects() {
    for (n, x0) in [(1u64, PAYLOAD_NAN), (2, PAYLOAD_NAN), (3, 0x3ff0_0000_0000_0000), (4, 0xfff8_0000_0000_0001)] {
        let mut state = vec![0u8; 64];
        state[0..8].copy_from_slice(&n.to_le_bytes());
        state[8..16].copy_from_slice(&x0.to_le_bytes());
        let out = run_everywhere(nan_loop(), &state);
        // The interpreter's answers, which every tier matched above.
        if x0 != 0x3ff0_0000_0000_0000 {
            assert_eq!(f64_at(&out, 8), CANONICAL, "x = x * 1.0 of a NaN is the canonical NaN");
            assert_eq!(f64_at(&out, 24), CANONICAL | 1 << 63, "fneg of the canonical NaN");
        }
        assert_eq!(f64_at(&out, 32), PAYLOAD_NAN, "a constant's payload survives a local");
        assert_eq!(f64_at(&out, 16), PAYLOAD_NAN, "an exact NaN chosen by a select keeps its payload");
    }
}

/// An f64 helper returns `a + b`; the main body passes it a payload NaN and stores the result and
/// the payload NaN itself (through a select on a runtime condition).
#[test]
fn helper_arguments_and_results_show_their_bits() {
    let mut bb = BlockBuilder::new(0x100);
    let add = bb.func(&[Type::F64, Type::F64], Some(Type::F64), |b| {
        let (x, y) = (b.param(0), b.param(1));
        let r = b.fbin(FloatBinOp::Fadd, x, y);
        b.op(Op::Ret { value: Some(r) });
    });
    let block = bb.main(|b| {
        let p = b.get_state(Type::F64, 8);
        let one = b.f64const(1.0);
        let r = b.op(Op::Call { func: add, args: vec![p, one] }).unwrap();
        let c = b.get_state(Type::I64, 0);
        let zero = b.iconst(Type::I64, 0);
        let c = b.icmp(IntCC::Ne, c, zero);
        let s = b.select(c, p, r);
        b.set_state(16, r);
        b.set_state(24, s);
        let pc = b.iconst(Type::I64, 0x200);
        b.op(Op::Exit { pc });
    });
    for cond in [0u64, 1] {
        let mut state = vec![0u8; 64];
        state[0..8].copy_from_slice(&cond.to_le_bytes());
        state[8..16].copy_from_slice(&PAYLOAD_NAN.to_le_bytes());
        let out = run_everywhere(block.clone(), &state);
        assert_eq!(f64_at(&out, 16), CANONICAL);
        assert_eq!(f64_at(&out, 24), if cond == 1 { PAYLOAD_NAN } else { CANONICAL });
    }
}

/// A loop of `n` (state 0) iterations over a float register that the guest also reads and writes
/// as an integer (RISC-V `fmv.x.d`/`fmv.d.x` on the same state slot, 8): `x = x + s40` (s40 = -inf,
/// so x = inf gives a computed NaN), the bits of x to state 16, and on odd n the payload NaN written
/// back as an integer. After the loop: x's bits to memory 0, x as a float to memory 8. The slot is
/// promoted as an f64 at `speed` (lower/promote.rs): integer reads must see canonical bits, an
/// integer write must keep its bits exactly, through the loop and the write-back.
fn float_slot_seen_as_integer() -> Block {
    BlockBuilder::new(0x100).main(|b| {
        let top = b.new_label();
        let out = b.new_label();
        b.bind(top);
        let x = b.get_state(Type::F64, 8);
        let inc = b.get_state(Type::F64, 40);
        let y = b.fbin(FloatBinOp::Fadd, x, inc);
        b.set_state(8, y);
        let bits = b.get_state(Type::I64, 8);
        b.set_state(16, bits);
        let n = b.get_state(Type::I64, 0);
        let one = b.iconst(Type::I64, 1);
        let odd = b.bin(IntBinOp::And, n, one);
        let zero = b.iconst(Type::I64, 0);
        let odd = b.icmp(IntCC::Ne, odd, zero);
        let payload = b.iconst(Type::I64, PAYLOAD_NAN);
        let w = b.select(odd, payload, bits);
        b.set_state(8, w);
        let n = b.sub(n, one);
        b.set_state(0, n);
        let again = b.icmp(IntCC::Ne, n, zero);
        b.brif(again, top, out);
        b.bind(out);
        let bits = b.get_state(Type::I64, 8);
        let a0 = b.iconst(Type::I64, 0);
        b.store(8, a0, bits);
        let x = b.get_state(Type::F64, 8);
        let a8 = b.iconst(Type::I64, 8);
        b.store(8, a8, x);
        b.op(Op::Exit { pc: one });
    })
}

#[test]
fn a_float_slot_also_used_as_an_integer_keeps_exact_bits_and_canonical_nans() {
    let inf = f64::INFINITY.to_bits();
    for (n, x0) in [(1u64, inf), (2, inf), (3, 0x3ff0_0000_0000_0000), (4, PAYLOAD_NAN), (5, inf)] {
        let mut state = vec![0u8; 64];
        state[0..8].copy_from_slice(&n.to_le_bytes());
        state[8..16].copy_from_slice(&x0.to_le_bytes());
        state[40..48].copy_from_slice(&f64::NEG_INFINITY.to_bits().to_le_bytes());
        let out = run_everywhere(float_slot_seen_as_integer(), &state);
        // The interpreter's answers, which every tier matched above: the last iteration (n = 1,
        // odd) writes the payload as an integer; the iteration before saw a computed NaN's bits.
        assert_eq!(f64_at(&out, 8), PAYLOAD_NAN);
        if n > 1 || x0 == inf {
            assert_eq!(f64_at(&out, 16), CANONICAL);
        }
    }
}

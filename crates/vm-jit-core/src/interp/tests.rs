//! Whole-block interpreter tests: exits, fuel, interrupts, faults, calls, and every op through
//! the translated form (the single-op semantics are tested next to their code).

use super::*;
use crate::ir::*;
use crate::testing::{run_interp, state_with, sum_words_block, word, BlockBuilder, BodyBuilder};
use Type::*;

fn no_interrupt() -> AtomicU32 {
    AtomicU32::new(0)
}

/// Run a main body that leaves its result (an i64 or narrower value) in state offset 0.
fn eval(build: impl FnOnce(&mut BodyBuilder) -> Value) -> u64 {
    let block = BlockBuilder::new(0x1000).main(|m| {
        let v = build(m);
        m.set_state(0, v);
        m.exit_const(0);
    });
    let mut state = vec![0u8; 8];
    let out = run_interp(block, &mut state, &mut [], 0);
    assert_eq!(out.reason, ExitReason::Exit);
    word(&state, 0)
}

#[test]
fn readme_example_sums_1024_words() {
    let vb = verify(sum_words_block()).unwrap();
    let mut mem = vec![0u8; 1024 * 8];
    for k in 0..1024u64 {
        mem[k as usize * 8..k as usize * 8 + 8].copy_from_slice(&k.to_le_bytes());
    }
    let mut state = state_with(96, &[(80, 0), (88, 1024)]);
    let out = run(&vb, &mut state, &mut mem, 10_000, &no_interrupt()).unwrap();
    assert_eq!(out, RunOutcome { reason: ExitReason::Exit, pc: 0x1010, aux: 0, fuel_left: 10_000 - 1024 });
    assert_eq!(word(&state, 80), 523_776);
    // a Program runs many times
    let p = Program::new(&vb);
    for _ in 0..3 {
        let mut state = state_with(96, &[(80, 0), (88, 1024)]);
        let out = p.run(&mut state, &mut mem, 1024, &no_interrupt()).unwrap();
        assert_eq!((out.reason, out.fuel_left), (ExitReason::Exit, 0));
        assert_eq!(word(&state, 80), 523_776);
    }
}

#[test]
fn readme_example_runs_out_of_fuel_at_the_loop_mark() {
    let vb = verify(sum_words_block()).unwrap();
    let mut mem = vec![0u8; 1024 * 8];
    let mut state = state_with(96, &[(80, 0), (88, 1024)]);
    let out = run(&vb, &mut state, &mut mem, 10, &no_interrupt()).unwrap();
    assert_eq!(out, RunOutcome { reason: ExitReason::Fuel, pc: 0x1008, aux: 0, fuel_left: 0 });
    // ... and faults at the loop mark when the words are not there
    let mut small = vec![0u8; 100];
    let out = run(&vb, &mut state, &mut small, 1000, &no_interrupt()).unwrap();
    assert_eq!(out.reason, ExitReason::Fault);
    assert_eq!((out.pc, out.aux), (0x1008, 96)); // word 12 at 96..104 is past the end
    assert_eq!(out.fuel_left, 1000 - 12);
}

fn infinite_loop() -> VerifiedBlock {
    verify(BlockBuilder::new(0x4000).main(|m| {
        m.mark(0x4000);
        let l = m.new_label();
        let one = m.iconst(I64, 1);
        m.bind(l);
        m.mark(0x4004);
        let x = m.get_state(I64, 0);
        let y = m.add(x, one);
        m.set_state(0, y);
        m.mark(0x4008);
        m.jump(l);
    }))
    .unwrap()
}

#[test]
fn fuel_exhaustion_in_an_infinite_loop() {
    let vb = infinite_loop();
    let mut state = vec![0u8; 8];
    let out = run(&vb, &mut state, &mut [], 100, &no_interrupt()).unwrap();
    assert_eq!(out, RunOutcome { reason: ExitReason::Fuel, pc: 0x4008, aux: 0, fuel_left: 0 });
    assert_eq!(word(&state, 0), 101, "100 back edges taken, 101 iterations' side effects kept");
    let out = run(&vb, &mut state, &mut [], 0, &no_interrupt()).unwrap();
    assert_eq!(out.reason, ExitReason::Fuel);
    assert_eq!(word(&state, 0), 102);
}

#[test]
fn interrupt_flag_stops_a_loop() {
    let vb = infinite_loop();
    let mut state = vec![0u8; 8];
    let flag = AtomicU32::new(1);
    // Noticed at the first back edge where the fuel left is a multiple of 1024.
    let out = run(&vb, &mut state, &mut [], 2048 + 5, &flag).unwrap();
    assert_eq!(out, RunOutcome { reason: ExitReason::Interrupt, pc: 0x4008, aux: 0, fuel_left: 2048 });
    // Fuel running out wins over the interrupt when both apply.
    let out = run(&vb, &mut state, &mut [], 0, &flag).unwrap();
    assert_eq!(out.reason, ExitReason::Fuel);
    // set from another thread while running
    let flag = std::sync::Arc::new(AtomicU32::new(0));
    let f2 = flag.clone();
    let t = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(20));
        f2.store(1, Ordering::Relaxed);
    });
    let out = run(&vb, &mut state, &mut [], u64::MAX, &flag).unwrap();
    t.join().unwrap();
    assert_eq!(out.reason, ExitReason::Interrupt);
    assert!(out.fuel_left < u64::MAX);
}

#[test]
fn forward_edges_and_not_taken_back_edges_cost_no_fuel() {
    // i = 0; L0: i += 1; brif i < 5, L0 (back), L1 (forward); L1: jump L2 (forward); L2: exit
    let block = BlockBuilder::new(0).main(|m| {
        let i = m.local(I64);
        let one = m.iconst(I64, 1);
        let five = m.iconst(I64, 5);
        let (l0, l1, l2) = (m.new_label(), m.new_label(), m.new_label());
        m.bind(l0);
        let x = m.local_get(i);
        let y = m.add(x, one);
        m.local_set(i, y);
        let c = m.icmp(IntCC::Ult, y, five);
        m.brif(c, l0, l1);
        m.bind(l1);
        m.jump(l2);
        m.bind(l2);
        m.exit(y);
    });
    let out = run_interp(block, &mut [], &mut [], 100);
    assert_eq!((out.reason, out.pc, out.fuel_left), (ExitReason::Exit, 5, 96));
}

#[test]
fn brif_else_side_can_be_a_back_edge() {
    // L0: x = state[0] - 1; state[0] = x; brif x == 0, L1, L0
    let block = BlockBuilder::new(0).main(|m| {
        let one = m.iconst(I64, 1);
        let zero = m.iconst(I64, 0);
        let (l0, l1) = (m.new_label(), m.new_label());
        m.bind(l0);
        let s = m.get_state(I64, 0);
        let x = m.sub(s, one);
        m.set_state(0, x);
        let c = m.icmp(IntCC::Eq, x, zero);
        m.brif(c, l1, l0);
        m.bind(l1);
        m.exit_const(0x99);
    });
    let mut state = state_with(8, &[(0, 10)]);
    let out = run_interp(block, &mut state, &mut [], 20);
    assert_eq!((out.reason, out.pc, out.fuel_left), (ExitReason::Exit, 0x99, 11));
}

#[test]
fn exits_halt_and_trap() {
    let block = BlockBuilder::new(0).main(|m| {
        let pc = m.iconst(I64, 0x2000);
        m.halt(pc);
    });
    let out = run_interp(block, &mut [], &mut [], 0);
    assert_eq!(out, RunOutcome { reason: ExitReason::Halt, pc: 0x2000, aux: 0, fuel_left: 0 });
    let block = BlockBuilder::new(0).main(|m| {
        let pc = m.iconst(I64, 0x2004);
        m.trap(93, pc);
    });
    let out = run_interp(block, &mut [], &mut [], 7);
    assert_eq!(out, RunOutcome { reason: ExitReason::Trap, pc: 0x2004, aux: 93, fuel_left: 7 });
}

#[test]
fn state_too_small_is_an_error() {
    let vb = verify(sum_words_block()).unwrap();
    let e = run(&vb, &mut [0u8; 16], &mut [], 10, &no_interrupt()).unwrap_err();
    assert_eq!(e.message, "guest state is 16 bytes but the block needs 96");
}

#[test]
fn fault_in_main_keeps_earlier_side_effects() {
    let block = BlockBuilder::new(0x1000).main(|m| {
        let v = m.iconst(I64, 7);
        m.set_state(0, v);
        let a = m.iconst(I64, 4);
        m.store(4, a, v);
        m.mark(0x1010);
        let bad = m.iconst(I64, 13);
        m.store(4, bad, v); // 13 + 4 > 16
        m.set_state(0, a);
        m.exit_const(0);
    });
    let mut state = vec![0u8; 8];
    let mut mem = vec![0u8; 16];
    let out = run_interp(block, &mut state, &mut mem, 5);
    assert_eq!(out, RunOutcome { reason: ExitReason::Fault, pc: 0x1010, aux: 13, fuel_left: 5 });
    assert_eq!(word(&state, 0), 7);
    assert_eq!(&mem[4..8], &[7, 0, 0, 0]);
    assert_eq!(&mem[13..16], &[0, 0, 0]);
}

#[test]
fn fault_before_any_mark_reports_the_block_pc() {
    let block = BlockBuilder::new(0x7777).main(|m| {
        let a = m.iconst(I64, u64::MAX - 2);
        m.load(I32, 4, false, a);
        m.exit_const(0);
    });
    let out = run_interp(block, &mut [], &mut [0u8; 64], 0);
    assert_eq!(out, RunOutcome { reason: ExitReason::Fault, pc: 0x7777, aux: u64::MAX - 2, fuel_left: 0 });
}

#[test]
fn fault_in_a_helper_reports_the_callers_mark() {
    // fn 0 (addr) -> i64: load it.   fn 1 (addr) -> i64: mark 0x5555 (ignored); call fn 0.
    let mut bb = BlockBuilder::new(0x1000);
    let f0 = bb.func(&[I64], Some(I64), |f| {
        let v = f.load(I64, 8, false, f.param(0));
        f.ret(Some(v));
    });
    let f1 = bb.func(&[I64], Some(I64), |f| {
        f.mark(0x5555);
        let v = f.call(f0, &[f.param(0)]).unwrap();
        f.ret(Some(v));
    });
    let block = bb.main(|m| {
        m.mark(0x1100);
        let ok = m.iconst(I64, 0);
        let v = m.call(f1, &[ok]).unwrap();
        m.set_state(0, v);
        m.mark(0x1200);
        let bad = m.iconst(I64, 100);
        m.call(f1, &[bad]);
        m.exit_const(0);
    });
    let mut state = vec![0u8; 8];
    let mut mem = 0xdead_beef_u64.to_le_bytes().to_vec();
    let out = run_interp(block, &mut state, &mut mem, 3);
    assert_eq!(out, RunOutcome { reason: ExitReason::Fault, pc: 0x1200, aux: 100, fuel_left: 3 });
    assert_eq!(word(&state, 0), 0xdead_beef);
}

#[test]
fn fuel_in_a_helper_loop_reports_the_callers_mark() {
    let mut bb = BlockBuilder::new(0x1000);
    let spin = bb.func(&[], None, |f| {
        let l = f.new_label();
        f.bind(l);
        f.jump(l);
    });
    let block = bb.main(|m| {
        m.mark(0x1040);
        m.call(spin, &[]);
        m.exit_const(0);
    });
    let out = run_interp(block, &mut [], &mut [], 50);
    assert_eq!(out, RunOutcome { reason: ExitReason::Fuel, pc: 0x1040, aux: 0, fuel_left: 0 });
}

#[test]
fn helpers_get_fresh_locals_and_own_values() {
    // fn 0 (x) -> i64: l0 starts at 0; l0 += x; return l0. Called twice: both return x.
    // fn 1 (x) -> i64: fn0(x) + fn0(x + 1)
    let mut bb = BlockBuilder::new(0);
    let f0 = bb.func(&[I64], Some(I64), |f| {
        let l = f.local(I64);
        let a = f.local_get(l);
        let b = f.add(a, f.param(0));
        f.local_set(l, b);
        let r = f.local_get(l);
        f.ret(Some(r));
    });
    let f1 = bb.func(&[I64], Some(I64), |f| {
        let a = f.call(f0, &[f.param(0)]).unwrap();
        let one = f.iconst(I64, 1);
        let x1 = f.add(f.param(0), one);
        let b = f.call(f0, &[x1]).unwrap();
        let s = f.add(a, b);
        f.ret(Some(s));
    });
    let block = bb.main(|m| {
        let x = m.get_state(I64, 0);
        let a = m.call(f1, &[x]).unwrap();
        let b = m.call(f0, &[x]).unwrap();
        let c = m.call(f1, &[a]).unwrap();
        m.set_state(8, a);
        m.set_state(16, b);
        m.set_state(24, c);
        m.exit(x);
    });
    let mut state = state_with(32, &[(0, 10)]);
    let out = run_interp(block, &mut state, &mut [], 0);
    assert_eq!((out.reason, out.pc), (ExitReason::Exit, 10));
    assert_eq!(word(&state, 8), 21);
    assert_eq!(word(&state, 16), 10);
    assert_eq!(word(&state, 24), 43);
}

#[test]
fn helper_without_result_and_side_effects() {
    let mut bb = BlockBuilder::new(0);
    let bump = bb.func(&[I32], None, |f| {
        let s = f.get_state(I32, 0);
        let t = f.add(s, f.param(0));
        f.set_state(0, t);
        f.ret(None);
    });
    let block = bb.main(|m| {
        let three = m.iconst(I32, 3);
        m.call(bump, &[three]);
        m.call(bump, &[three]);
        m.exit_const(1);
    });
    let mut state = vec![0u8; 4];
    run_interp(block, &mut state, &mut [], 0);
    assert_eq!(state, [6, 0, 0, 0]);
}

#[test]
fn locals_start_at_zero() {
    let block = BlockBuilder::new(0).main(|m| {
        let a = m.local(I64);
        let f = m.local(F64);
        let x = m.local_get(a);
        let y = m.local_get(f);
        let yi = m.bitcast(I64, y);
        let s = m.add(x, yi);
        m.exit(s);
    });
    assert_eq!(run_interp(block, &mut [], &mut [], 0).pc, 0);
}

#[test]
fn loads_and_stores_every_width() {
    let mut mem = vec![0u8; 32];
    mem[..8].copy_from_slice(&0x8182_8384_8586_8788u64.to_le_bytes());
    let block = BlockBuilder::new(0).main(|m| {
        let base = m.iconst(I64, 0);
        let mut off = 0;
        for (ty, w, signed) in [
            (I64, 1, false),
            (I64, 1, true),
            (I64, 2, true),
            (I64, 4, true),
            (I64, 4, false),
            (I32, 2, true),
            (I16, 1, true),
            (I8, 1, false),
            (I64, 8, false),
        ] {
            let v = m.load(ty, w, signed, base);
            let v64 = if ty == I64 { v } else { m.zext(I64, v) };
            m.set_state(off, v64);
            off += 8;
        }
        // stores: low bytes only, unaligned
        let v = m.iconst(I64, 0x1122_3344_5566_7788);
        let a = m.iconst(I64, 9);
        m.store(2, a, v);
        let a = m.iconst(I64, 17);
        m.store(8, a, v);
        let f = m.f32const(1.5);
        let a = m.iconst(I64, 12);
        m.store(4, a, f);
        let fl = m.load(F32, 4, false, a);
        let fd = m.fpromote(fl);
        m.set_state(off, fd);
        m.exit_const(0);
    });
    let mut state = vec![0u8; 80];
    let out = run_interp(block, &mut state, &mut mem, 0);
    assert_eq!(out.reason, ExitReason::Exit);
    let got: Vec<u64> = (0..10).map(|k| word(&state, k * 8)).collect();
    assert_eq!(
        got,
        vec![
            0x88,
            0xffff_ffff_ffff_ff88,
            0xffff_ffff_ffff_8788,
            0xffff_ffff_8586_8788,
            0x8586_8788,
            0xffff_8788,
            0xff88,
            0x88,
            0x8182_8384_8586_8788,
            1.5f64.to_bits(),
        ]
    );
    assert_eq!(&mem[9..11], &[0x88, 0x77]);
    assert_eq!(mem[11], 0);
    assert_eq!(&mem[12..16], &1.5f32.to_bits().to_le_bytes());
    assert_eq!(&mem[17..25], &0x1122_3344_5566_7788u64.to_le_bytes());
}

#[test]
fn state_access_widths() {
    let block = BlockBuilder::new(0).main(|m| {
        let a = m.get_state(I16, 1); // bytes 1..3
        let b = m.get_state(I8, 0);
        let a64 = m.sext(I64, a);
        m.set_state(8, a64);
        let b32 = m.zext(I32, b);
        m.set_state(16, b32);
        let f = m.get_state(F32, 4);
        m.set_state(20, f);
        m.exit_const(0);
    });
    let mut state = vec![0u8; 24];
    state[..8].copy_from_slice(&[0xf0, 0x34, 0x92, 0xaa, 0x00, 0x00, 0xc0, 0x3f]);
    run_interp(block, &mut state, &mut [], 0);
    assert_eq!(word(&state, 8), 0xffff_ffff_ffff_9234);
    assert_eq!(&state[16..20], &[0xf0, 0, 0, 0]);
    assert_eq!(&state[20..24], &1.5f32.to_bits().to_le_bytes());
}

#[test]
fn integer_ops_through_the_interpreter() {
    use IntBinOp::*;
    let bin = |ty: Type, op: IntBinOp, a: u64, b: u64| {
        eval(|m| {
            let x = m.iconst(ty, a);
            let y = m.iconst(ty, b);
            let r = m.bin(op, x, y);
            if ty == I64 {
                r
            } else {
                m.zext(I64, r)
            }
        })
    };
    // IR.md's total-semantics table
    assert_eq!(bin(I64, Udiv, 5, 0), u64::MAX);
    assert_eq!(bin(I32, Udiv, 5, 0), 0xffff_ffff);
    assert_eq!(bin(I64, Urem, 5, 0), 5);
    assert_eq!(bin(I16, Sdiv, 5, 0), 0xffff);
    assert_eq!(bin(I8, Srem, 0x85, 0), 0x85);
    assert_eq!(bin(I64, Sdiv, 1 << 63, u64::MAX), 1 << 63);
    assert_eq!(bin(I32, Sdiv, 0x8000_0000, 0xffff_ffff), 0x8000_0000);
    assert_eq!(bin(I64, Srem, 1 << 63, u64::MAX), 0);
    assert_eq!(bin(I8, Srem, 0x80, 0xff), 0);
    assert_eq!(bin(I64, Shl, 3, 65), 6);
    assert_eq!(bin(I32, Ushr, 0x8000_0000, 63), 1);
    assert_eq!(bin(I16, Sshr, 0x8000, 17), 0xc000);
    assert_eq!(bin(I8, Rotr, 1, 9), 0x80);
    assert_eq!(bin(I64, Rotl, 1 << 63, 1), 1);
    assert_eq!(bin(I64, Umulhi, u64::MAX, 2), 1);
    assert_eq!(bin(I32, Smulhi, 0xffff_fffe, 3), 0xffff_ffff);
    assert_eq!(bin(I64, Sumulhi, u64::MAX, 3), u64::MAX);
    assert_eq!(bin(I8, Mul, 16, 16), 0);
    let un = |ty: Type, op: IntUnOp, a: u64| {
        eval(|m| {
            let x = m.iconst(ty, a);
            let r = m.un(op, x);
            if ty == I64 {
                r
            } else {
                m.zext(I64, r)
            }
        })
    };
    assert_eq!(un(I64, IntUnOp::Clz, 0), 64);
    assert_eq!(un(I32, IntUnOp::Clz, 0), 32);
    assert_eq!(un(I16, IntUnOp::Ctz, 0), 16);
    assert_eq!(un(I8, IntUnOp::Ctz, 0), 8);
    assert_eq!(un(I8, IntUnOp::Clz, 1), 7);
    assert_eq!(un(I32, IntUnOp::Popcnt, 0xf0f0), 8);
    assert_eq!(un(I16, IntUnOp::Neg, 1), 0xffff);
    assert_eq!(un(I8, IntUnOp::Not, 0x0f), 0xf0);
}

#[test]
fn compare_select_and_extensions_through_the_interpreter() {
    assert_eq!(
        eval(|m| {
            let a = m.iconst(I32, 0xffff_ffff);
            let b = m.iconst(I32, 1);
            let c = m.icmp(IntCC::Slt, a, b);
            m.zext(I64, c)
        }),
        1
    );
    assert_eq!(
        eval(|m| {
            let c = m.iconst(I16, 0x100); // non-zero in any bit selects a
            let a = m.iconst(I64, 11);
            let b = m.iconst(I64, 22);
            m.select(c, a, b)
        }),
        11
    );
    assert_eq!(
        eval(|m| {
            let c = m.iconst(I64, 0);
            let a = m.f64const(1.0);
            let b = m.f64const(2.0);
            let r = m.select(c, a, b);
            m.bitcast(I64, r)
        }),
        2.0f64.to_bits()
    );
    assert_eq!(
        eval(|m| {
            let a = m.iconst(I8, 0x80);
            m.sext(I64, a)
        }),
        0xffff_ffff_ffff_ff80
    );
    assert_eq!(
        eval(|m| {
            let a = m.iconst(I8, 0x80);
            let s = m.sext(I32, a);
            m.zext(I64, s)
        }),
        0xffff_ff80
    );
    assert_eq!(
        eval(|m| {
            let a = m.iconst(I64, 0x1234_5678_9abc_def0);
            let t = m.trunc(I16, a);
            m.zext(I64, t)
        }),
        0xdef0
    );
    assert_eq!(
        eval(|m| {
            let a = m.iconst(I64, 0x1_0000_0001);
            let t = m.trunc(I32, a);
            let s = m.sext(I64, t);
            let c = m.icmp(IntCC::Eq, s, a);
            m.zext(I64, c)
        }),
        0
    );
}

#[test]
fn float_ops_through_the_interpreter() {
    let fbits = |build: &dyn Fn(&mut BodyBuilder) -> Value| {
        eval(|m| {
            let r = build(m);
            m.bitcast(I64, r)
        })
    };
    // fmin(-0, +0) = -0, fmax(-0, +0) = +0
    assert_eq!(
        fbits(&|m| {
            let a = m.f64const(-0.0);
            let b = m.f64const(0.0);
            m.fbin(FloatBinOp::Fmin, b, a)
        }),
        (-0.0f64).to_bits()
    );
    assert_eq!(
        fbits(&|m| {
            let a = m.f64const(-0.0);
            let b = m.f64const(0.0);
            m.fbin(FloatBinOp::Fmax, a, b)
        }),
        0
    );
    // canonical NaN from 0/0 and from a NaN operand with a payload
    assert_eq!(
        fbits(&|m| {
            let z = m.f64const(0.0);
            m.fbin(FloatBinOp::Fdiv, z, z)
        }),
        0x7ff8_0000_0000_0000
    );
    assert_eq!(
        fbits(&|m| {
            let n = m.op(Op::Const { ty: F64, bits: 0xfff0_0000_0000_0001 }).unwrap();
            let one = m.f64const(1.0);
            m.fbin(FloatBinOp::Fadd, n, one)
        }),
        0x7ff8_0000_0000_0000
    );
    // fneg keeps the payload
    assert_eq!(
        fbits(&|m| {
            let n = m.op(Op::Const { ty: F64, bits: 0xfff0_0000_0000_0001 }).unwrap();
            m.fun(FloatUnOp::Fneg, n)
        }),
        0x7ff0_0000_0000_0001
    );
    // f32 path: fdemote of a NaN, fsqrt
    assert_eq!(
        eval(|m| {
            let n = m.op(Op::Const { ty: F64, bits: 0x7ff0_0000_dead_0001 }).unwrap();
            let f = m.fdemote(n);
            let i = m.bitcast(I32, f);
            m.zext(I64, i)
        }),
        0x7fc0_0000
    );
    assert_eq!(
        eval(|m| {
            let x = m.f32const(6.25);
            let r = m.fun(FloatUnOp::Fsqrt, x);
            let i = m.bitcast(I32, r);
            m.zext(I64, i)
        }),
        2.5f32.to_bits() as u64
    );
    assert_eq!(
        fbits(&|m| {
            let a = m.f64const(1.0 + f64::EPSILON);
            let b = m.f64const(1.0 - f64::EPSILON);
            let c = m.f64const(-1.0);
            m.fma(a, b, c)
        }),
        (-(2f64.powi(-104))).to_bits()
    );
    // fcmp
    assert_eq!(
        eval(|m| {
            let n = m.f64const(f64::NAN);
            let c = m.fcmp(FloatCC::Ne, n, n);
            m.zext(I64, c)
        }),
        1
    );
    // conversions
    assert_eq!(
        eval(|m| {
            let n = m.f64const(f64::NAN);
            m.fcvt_to_int(I64, true, n)
        }),
        0
    );
    assert_eq!(
        eval(|m| {
            let n = m.f32const(-3.0e9);
            let i = m.fcvt_to_int(I32, true, n);
            m.zext(I64, i)
        }),
        0x8000_0000
    );
    assert_eq!(
        eval(|m| {
            let n = m.f64const(-1.0);
            m.fcvt_to_int(I64, false, n)
        }),
        0
    );
    assert_eq!(
        fbits(&|m| {
            let i = m.iconst(I32, 0xffff_fffe);
            m.fcvt_from_int(F64, true, i)
        }),
        (-2.0f64).to_bits()
    );
    assert_eq!(
        fbits(&|m| {
            let i = m.iconst(I64, u64::MAX);
            m.fcvt_from_int(F64, false, i)
        }),
        18446744073709551616.0f64.to_bits()
    );
    assert_eq!(
        eval(|m| {
            let i = m.iconst(I32, 16_777_217);
            let f = m.fcvt_from_int(F32, false, i);
            let b = m.bitcast(I32, f);
            m.zext(I64, b)
        }),
        16_777_216f32.to_bits() as u64
    );
}

#[test]
fn instructions_stay_small() {
    assert!(std::mem::size_of::<program::Inst>() <= 24, "{}", std::mem::size_of::<program::Inst>());
}

/// Mutated encodings of real blocks: decoding, verifying, printing and (if valid) running must
/// never panic, whatever the bytes.
#[test]
fn mutated_blocks_never_panic() {
    let mut bb = BlockBuilder::new(0x1000);
    let f = bb.func(&[I64, F64], Some(I64), |f| {
        let l = f.local(F64);
        let x = f.fbin(FloatBinOp::Fmul, f.param(1), f.param(1));
        f.local_set(l, x);
        let y = f.load(I32, 2, true, f.param(0));
        let z = f.sext(I64, y);
        f.ret(Some(z));
    });
    let seeds = [
        sum_words_block(),
        bb.main(|m| {
            let a = m.get_state(I64, 0);
            let d = m.f64const(2.5);
            let r = m.call(f, &[a, d]).unwrap();
            let q = m.bin(IntBinOp::Sdiv, r, a);
            let c = m.icmp(IntCC::Sgt, q, a);
            let (t, e) = (m.new_label(), m.new_label());
            m.brif(c, t, e);
            m.bind(t);
            m.store(4, a, q);
            m.trap(3, a);
            m.bind(e);
            m.exit(q);
        }),
    ];
    let mut seed = 0x853c_49e6_748f_ea9bu64;
    let mut rnd = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let (mut decoded, mut verified) = (0, 0);
    for block in seeds {
        let bytes = encode(&block);
        for round in 0..3000 {
            let mut b = bytes.clone();
            for _ in 0..1 + round % 3 {
                let k = (rnd() % b.len() as u64) as usize;
                match rnd() % 4 {
                    0 => b[k] = rnd() as u8,
                    1 => b[k] ^= 1 << (rnd() % 8),
                    2 => {
                        b.remove(k);
                    }
                    _ => b.insert(k, rnd() as u8),
                }
            }
            let Ok(block) = decode(&b) else { continue };
            decoded += 1;
            let _ = print(&block);
            let Ok(vb) = verify(block) else { continue };
            verified += 1;
            let _ = print_verified(&vb);
            let mut state = vec![0x5au8; vb.state_size as usize];
            let mut mem = vec![0xa5u8; 64];
            let _ = run(&vb, &mut state, &mut mem, 100, &no_interrupt()).unwrap();
        }
    }
    assert!(decoded > 500 && verified > 50, "decoded {decoded}, verified {verified}");
}

#[test]
fn every_int_binop_and_width_through_the_interpreter() {
    // The translated form (including the specialised add/sub/and/or/xor) agrees with int_ops.
    let values = [0u64, 1, 2, 3, 7, 0x7f, 0x80, 0xff, 0x8000, 0xffff_ffff, 1 << 63, u64::MAX, 0x1234_5678_9abc_def1];
    for ty in [I8, I16, I32, I64] {
        for op in IntBinOp::ALL {
            for &a in &values {
                for &b in &values[..6] {
                    let (a, b) = (a & ty.mask(), b.wrapping_mul(0x9e37_79b9_7f4a_7c15) & ty.mask());
                    let got = eval(|m| {
                        let x = m.iconst(ty, a);
                        let y = m.iconst(ty, b);
                        let r = m.bin(op, x, y);
                        if ty == I64 {
                            r
                        } else {
                            m.zext(I64, r)
                        }
                    });
                    assert_eq!(got, int_ops::bin(op, ty, a, b), "{op:?}.{ty} {a:#x}, {b:#x}");
                    assert_eq!(got & !ty.mask(), 0, "{op:?}.{ty} result stays in width");
                }
            }
        }
    }
}

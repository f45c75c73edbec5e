//! Guarded value specialisation by example; `tests/region_differential.rs` checks it on random
//! regions with the guard holding and failing.

use super::specialise::*;
use crate::backend::OptLevel;
use crate::ir::{print_verified, verify, ExitReason, IntBinOp, IntCC, Op, Type::*, VerifiedBlock};
use crate::testing::{run_at as run, state_with, word, BlockBuilder};

/// `x = 1; n = 0; loop { if x == 1 break; x = x & 1 ? x * r7 + 1 : x >> r6; n++ }` over the state
/// (x at 24, n at 72, r6 at 48, r7 at 56): the collatz inner loop of bench/regions.js, with the
/// start value at 8 and the loop's one-block shape.
fn collatz_block() -> VerifiedBlock {
    verify(BlockBuilder::new(0x1000).main(|m| {
        let x0 = m.get_state(I64, 8);
        m.set_state(24, x0);
        let (head, odd, even, done, step) = (m.new_label(), m.new_label(), m.new_label(), m.new_label(), m.new_label());
        m.jump(head);
        m.bind(head);
        m.mark(0x1008);
        let x = m.get_state(I64, 24);
        let one = m.get_state(I64, 48);
        let stop = m.icmp(IntCC::Eq, x, one);
        m.brif(stop, done, step);
        m.bind(step);
        let low = m.bin(IntBinOp::And, x, one);
        let zero = m.iconst(I64, 0);
        let is_even = m.icmp(IntCC::Eq, low, zero);
        m.brif(is_even, even, odd);
        m.bind(odd);
        let three = m.get_state(I64, 56);
        let t = m.mul(x, three);
        let c1 = m.iconst(I64, 1);
        let t = m.add(t, c1);
        m.set_state(24, t);
        let n = m.get_state(I64, 72);
        let n = m.add(n, c1);
        m.set_state(72, n);
        m.jump(head);
        m.bind(even);
        let sh = m.get_state(I64, 48);
        let t = m.bin(IntBinOp::Ushr, x, sh);
        m.set_state(24, t);
        let n = m.get_state(I64, 72);
        let c1 = m.iconst(I64, 1);
        let n = m.add(n, c1);
        m.set_state(72, n);
        m.jump(head);
        m.bind(done);
        m.exit_const(0x2000);
    }))
    .unwrap()
}

fn input(start: u64, r6: u64, r7: u64) -> Vec<u8> {
    state_with(128, &[(8, start), (48, r6), (56, r7)])
}

#[test]
fn read_only_slots_are_found_and_ranked_by_the_uses_a_constant_helps() {
    let vb = collatz_block();
    // 8 is read once (into a store): read-only but no cheaper use; 24 and 72 are written.
    assert_eq!(read_only_slots(&vb), vec![(8, I64, 0), (48, I64, 3), (56, I64, 1)]);
    let state = input(27, 1, 3);
    let chosen = choose_slots(&vb, &state, SpecialiseLimits::default());
    let want = vec![SlotValue { offset: 48, ty: I64, bits: 1 }, SlotValue { offset: 56, ty: I64, bits: 3 }];
    assert_eq!(chosen, want);
    let one = choose_slots(&vb, &state, SpecialiseLimits { max_slots: 1, ..Default::default() });
    assert_eq!(one, want[..1]);
    // A snapshot too short to hold a slot leaves it out; a block too big to double is not touched.
    assert_eq!(choose_slots(&vb, &state[..56], SpecialiseLimits::default()), want[..1]);
    assert!(choose_slots(&vb, &state, SpecialiseLimits { max_ops: vb.op_count, ..Default::default() }).is_empty());
}

#[test]
fn the_special_copy_folds_and_both_copies_compute_the_original_result() {
    let vb = collatz_block();
    let chosen = choose_slots(&vb, &input(27, 1, 3), SpecialiseLimits::default());
    let spec = specialise_on(&vb, &chosen).unwrap();
    let text = print_verified(&spec);
    // One guard test per slot, then the two copies.
    assert_eq!(spec.block.main.ops.iter().filter(|op| matches!(op, Op::Brif { .. })).count(), 2 + 2 * 2, "{text}");
    // What the runtime gets: optimised, the multiply by r7 = 3 strength-reduced and the parity
    // diamond of the special copy if-converted (a select instead of a branch).
    let opt = specialise(&vb, &input(27, 1, 3), SpecialiseLimits::default()).unwrap().expect("worth specialising");
    assert_eq!(opt.slots, chosen);
    let opt = opt.block;
    let folded = print_verified(&opt);
    let count = |f: &dyn Fn(&Op) -> bool| opt.block.main.ops.iter().filter(|op| f(op)).count();
    assert_eq!(
        count(&|op| matches!(op, Op::IntBin { op: IntBinOp::Mul, .. })),
        1,
        "the generic copy's only:\n{folded}"
    );
    assert!(count(&|op| matches!(op, Op::Select { .. })) >= 1, "{folded}");
    // Guard holding (r6 = 1, r7 = 3) and failing (other values: a different, still terminating
    // computation), every engine, optimised or not: the original's result, fuel included.
    for (start, r6, r7) in [(27, 1, 3), (97, 1, 3), (27, 1, 1), (27, 2, 3), (6, 0, 3)] {
        for level in [None, Some(OptLevel::None), Some(OptLevel::Speed)] {
            for block in [&spec, &opt] {
                for fuel in [1_000_000, 7] {
                    let mut want_state = input(start, r6, r7);
                    let want = run(&vb, level, &mut want_state, fuel);
                    let mut got_state = input(start, r6, r7);
                    let got = run(block, level, &mut got_state, fuel);
                    assert_eq!(got, want, "start {start}, r6 {r6}, r7 {r7}, {level:?}, fuel {fuel}");
                    assert_eq!(got_state, want_state, "start {start}, r6 {r6}, r7 {r7}, {level:?}, fuel {fuel}");
                }
            }
        }
    }
    let mut state = input(27, 1, 3);
    let out = run(&opt, Some(OptLevel::Speed), &mut state, 1_000_000);
    assert_eq!((out.reason, out.pc, word(&state, 72)), (ExitReason::Exit, 0x2000, 111), "27 takes 111 steps");
}

#[test]
fn a_written_slot_is_refused() {
    let vb = collatz_block();
    let e = specialise_on(&vb, &[SlotValue { offset: 24, ty: I64, bits: 1 }]).unwrap_err().to_string();
    assert!(e.contains("not an integer slot the block only reads"), "{e}");
    // An overlapping narrower write counts too.
    let vb = verify(BlockBuilder::new(0).main(|m| {
        let x = m.get_state(I64, 0);
        let y = m.trunc(I32, x);
        m.set_state(4, y);
        let k = m.iconst(I64, 0);
        m.exit(k);
    }))
    .unwrap();
    assert!(read_only_slots(&vb).is_empty());
}

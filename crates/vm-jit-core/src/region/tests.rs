//! Regions by example; `tests/region_differential.rs` checks them on random blocks.

use super::*;
use crate::backend::OptLevel;
use crate::ir::{print_verified, verify, ExitReason, IntCC, Type::*, VerifiedBlock};
use crate::testing::{run_at as run, state_with, word, BlockBuilder};

/// A guest loop split over two blocks, as a translator emits it:
/// `A (0x100): x1 += 1; goto B` and `B (0x200): if x1 < x2 goto A else exit 0x300`.
fn two_block_loop() -> (VerifiedBlock, VerifiedBlock) {
    let a = BlockBuilder::new(0x100).main(|m| {
        let x = m.get_state(I64, 8);
        let one = m.iconst(I64, 1);
        let y = m.add(x, one);
        m.set_state(8, y);
        m.exit_const(0x200);
    });
    let b = BlockBuilder::new(0x200).main(|m| {
        m.mark(0x204);
        let x = m.get_state(I64, 8);
        let n = m.get_state(I64, 16);
        let lt = m.icmp(IntCC::Ult, x, n);
        let (again, done) = (m.new_label(), m.new_label());
        m.brif(lt, again, done);
        m.bind(again);
        m.exit_const(0x100);
        m.bind(done);
        m.exit_const(0x300);
    });
    (verify(a).unwrap(), verify(b).unwrap())
}

#[test]
fn a_loop_over_two_blocks_becomes_one_block_with_a_back_edge() {
    let (a, b) = two_block_loop();
    assert_eq!(constant_exit_targets(&a), vec![0x200]);
    assert_eq!(constant_exit_targets(&b), vec![0x100, 0x300]);
    let r = stitch(&[a, b], RegionLimits::default()).unwrap();
    assert_eq!(r.members, vec![0x100, 0x200]);
    assert_eq!(r.internal_edges, 2, "A→B and B→A are jumps now; B→0x300 stays an exit");
    let text = print_verified(&r.block);
    assert!(text.contains("jump L1") && text.contains("jump L0"), "{text}");
    for level in [None, Some(OptLevel::None), Some(OptLevel::Speed)] {
        let mut state = state_with(24, &[(8, 0), (16, 1000)]);
        let out = run(&r.block, level, &mut state, 1_000_000);
        assert_eq!((out.reason, out.pc), (ExitReason::Exit, 0x300), "{level:?}");
        assert_eq!(word(&state, 8), 1000, "{level:?}");
        // one back edge (B → A) per iteration: 999 of them (the first entry is not one)
        assert_eq!(out.fuel_left, 1_000_000 - 999, "{level:?}");
    }
}

#[test]
fn a_fuel_stop_on_a_stitched_edge_reports_the_target_and_leaves_the_state_written_back() {
    let (a, b) = two_block_loop();
    let r = stitch(&[a, b], RegionLimits::default()).unwrap();
    for level in [None, Some(OptLevel::Speed)] {
        let mut state = state_with(24, &[(8, 0), (16, 1000)]);
        let out = run(&r.block, level, &mut state, 5);
        // Fuel 5: back edges at fuel 5..1 pass, the sixth finds it empty — after A ran 6 times.
        assert_eq!((out.reason, out.pc, out.fuel_left), (ExitReason::Fuel, 0x100, 0), "{level:?}");
        assert_eq!(word(&state, 8), 6, "{level:?}: x1 is in the state buffer, not lost in a register");
    }
}

#[test]
fn a_members_locals_start_at_zero_at_every_entry() {
    // A counts into a local that starts at zero on each entry; the region re-enters A 3 times.
    let a = BlockBuilder::new(0x10).main(|m| {
        let l = m.local(I64);
        let v = m.local_get(l);
        let one = m.iconst(I64, 1);
        let v = m.add(v, one);
        m.local_set(l, v);
        let acc = m.get_state(I64, 0);
        let v = m.local_get(l);
        let acc = m.add(acc, v);
        m.set_state(0, acc);
        let n = m.get_state(I64, 8);
        let n = m.sub(n, one);
        m.set_state(8, n);
        let (again, done) = (m.new_label(), m.new_label());
        m.brif(n, again, done);
        m.bind(again);
        m.exit_const(0x10);
        m.bind(done);
        m.exit_const(0x20);
    });
    let r = stitch(&[verify(a).unwrap()], RegionLimits::default()).unwrap();
    for level in [None, Some(OptLevel::Speed)] {
        let mut state = state_with(16, &[(0, 0), (8, 3)]);
        run(&r.block, level, &mut state, 100);
        assert_eq!(word(&state, 0), 3, "{level:?}: 1 + 1 + 1, not 1 + 2 + 3");
    }
}

#[test]
fn bad_regions_are_clear_errors() {
    let (a, b) = two_block_loop();
    let e = stitch(&[], RegionLimits::default()).unwrap_err().to_string();
    assert!(e.contains("no blocks"), "{e}");
    let e = stitch(&[a.clone(), a.clone()], RegionLimits::default()).unwrap_err().to_string();
    assert!(e.contains("pc 0x100 is given twice"), "{e}");
    let e =
        stitch(&[a.clone(), b.clone()], RegionLimits { max_blocks: 1, ..Default::default() }).unwrap_err().to_string();
    assert!(e.contains("2 blocks; the limit is 1"), "{e}");
    let e = stitch(&[a, b], RegionLimits { max_ops: 10, ..Default::default() }).unwrap_err().to_string();
    assert!(e.contains("the limit is 10"), "{e}");
}

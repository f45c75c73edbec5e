//! Tests of the pipeline as a whole (each pass has its own in its file).

use super::test_util::*;
use super::*;
use crate::ir::Type::*;
use crate::ir::*;
use crate::testing::{sum_words_block, BlockBuilder};

/// A naive register machine: every guest register lives in the state buffer (x_k at 8k) and
/// each guest instruction reads its sources and writes its destination there.
pub fn register_machine_block() -> Block {
    BlockBuilder::new(0x1000).main(|m| {
        let mut pc = 0x1000;
        let mut insn = |m: &mut crate::testing::BodyBuilder, f: &dyn Fn(&mut crate::testing::BodyBuilder)| {
            m.mark(pc);
            f(m);
            pc += 4;
        };
        // add x3, x1, x2
        insn(m, &|m| {
            let a = m.get_state(I64, 8);
            let b = m.get_state(I64, 16);
            let s = m.add(a, b);
            m.set_state(24, s);
        });
        // addi x3, x3, 1
        insn(m, &|m| {
            let a = m.get_state(I64, 24);
            let one = m.iconst(I64, 1);
            let s = m.add(a, one);
            m.set_state(24, s);
        });
        // sd x3, 0(x2)
        insn(m, &|m| {
            let base = m.get_state(I64, 16);
            let zero = m.iconst(I64, 0);
            let a = m.add(base, zero);
            let v = m.get_state(I64, 24);
            m.store(8, a, v);
        });
        // lw x4, 0(x2)
        insn(m, &|m| {
            let base = m.get_state(I64, 16);
            let zero = m.iconst(I64, 0);
            let a = m.add(base, zero);
            let v = m.load(I64, 4, true, a);
            m.set_state(32, v);
        });
        // slli x5, x4, 0 (a move)
        insn(m, &|m| {
            let a = m.get_state(I64, 32);
            let sh = m.iconst(I64, 0);
            let s = m.bin(IntBinOp::Shl, a, sh);
            m.set_state(40, s);
        });
        // xor x6, x5, x5 (zero)
        insn(m, &|m| {
            let a = m.get_state(I64, 40);
            let b = m.get_state(I64, 40);
            let s = m.bin(IntBinOp::Xor, a, b);
            m.set_state(48, s);
        });
        // addi x0 is hard-wired zero: x7 = x6 + 5
        insn(m, &|m| {
            let a = m.get_state(I64, 48);
            let c = m.iconst(I64, 5);
            let s = m.add(a, c);
            m.set_state(56, s);
        });
        // beq x7, x0 → taken never (x7 = 5): a constant branch after folding
        m.mark(pc);
        let (t, e) = (m.new_label(), m.new_label());
        let a = m.get_state(I64, 56);
        let z = m.get_state(I64, 0);
        let c = m.icmp(IntCC::Eq, a, z);
        m.brif(c, t, e);
        m.bind(t);
        m.exit_const(0x2000);
        m.bind(e);
        m.exit_const(pc + 4);
    })
}

#[test]
fn pass_names_parse_in_every_spelling() {
    for p in OptimizationPass::ALL {
        assert_eq!(OptimizationPass::parse(p.name()), Ok(p));
    }
    assert_eq!(OptimizationPass::parse("constantFolding"), Ok(OptimizationPass::ConstantFolding));
    assert_eq!(OptimizationPass::parse("dead_code_elimination"), Ok(OptimizationPass::DeadCodeElimination));
    let e = OptimizationPass::parse("peephole").unwrap_err();
    assert!(e.message.contains("unknown optimization pass \"peephole\""), "{e}");
    assert!(e.message.contains("ConstantFolding, DeadCodeElimination"), "{e}");
}

#[test]
fn empty_pipeline_returns_the_block() {
    let vb = verified(sum_words_block());
    let (out, stats) = Optimizer::new().optimize(&vb).unwrap();
    assert_eq!(out, vb);
    assert_eq!((stats.ops_before, stats.ops_after, stats.passes.len()), (27, 27, 0));
}

#[test]
fn default_pipeline_on_the_readme_block() {
    let vb = verified(sum_words_block());
    let (out, stats) = Optimizer::default_pipeline().optimize(&vb).unwrap();
    assert_same_behaviour(&vb, &out);
    assert_eq!(stats.passes.len(), Optimizer::default_pipeline().passes().len());
    assert_eq!((stats.ops_before, stats.ops_after), (27, 26));
    // the loop keeps its shape (one back edge, the load and its guest pc); the jump into the
    // header is a fallthrough now
    let text = main_text(&out);
    assert!(!text.contains("jump L0\nL0:"), "{text}");
    assert!(text.contains("mark 0x1008\n  v5 = get_state.i64 80"), "{text}");
    assert_eq!(count_main(&out, |op| matches!(op, Op::Jump { .. })), 1);
}

#[test]
fn default_pipeline_on_a_register_machine_block() {
    let vb = verified(register_machine_block());
    let (out, stats) = Optimizer::default_pipeline().optimize(&vb).unwrap();
    assert_same_behaviour(&vb, &out);
    assert_eq!((stats.ops_before, stats.ops_after), (48, 25));
    let gets = count_main(&out, |op| matches!(op, Op::GetState { .. }));
    let sets = count_main(&out, |op| matches!(op, Op::SetState { .. }));
    assert_eq!((gets, sets), (3, 5)); // x1, x2, x0; x3..x7 as they are at the exit
    assert_eq!(count_main(&out, |op| matches!(op, Op::Load { .. })), 0); // forwarded from the store
    assert_eq!(count_main(&out, |op| matches!(op, Op::Mark { .. })), 1); // only the store's survives
    let store = out.block.main.ops.iter().position(|op| matches!(op, Op::Store { .. })).unwrap();
    assert_eq!(out.main.marks[store], 0x1008, "{}", main_text(&out));
}

/// Release builds verify once, at the end: the result is the same, and verified.
#[test]
fn verifying_only_at_the_end_gives_the_same_block() {
    for block in [sum_words_block(), register_machine_block()] {
        let vb = verified(block);
        let mut once = Optimizer::default_pipeline();
        once.verify_each(false);
        let (a, sa) = once.optimize(&vb).unwrap();
        let (b, _) = Optimizer::default_pipeline().verify_each(true).optimize(&vb).unwrap();
        assert_eq!(a, b);
        assert_eq!(verify(a.block.clone()).unwrap(), a);
        assert!(sa.total_time >= sa.passes.iter().map(|p| p.time).sum());
    }
}

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
fn show() {
    for (name, block) in [("readme", sum_words_block()), ("regmachine", register_machine_block())] {
        let vb = verified(block);
        let (out, stats) = Optimizer::default_pipeline().optimize(&vb).unwrap();
        assert_same_behaviour(&vb, &out);
        eprintln!("=== {name}\n{}\n--- after\n{}\n{stats:#?}", print_verified(&vb), print_verified(&out));
    }
}

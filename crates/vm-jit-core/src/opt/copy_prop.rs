//! Copy propagation through locals.
//!
//! Builders use locals so that they need not build SSA; within straight-line code a local is
//! just a name for a value. One forward walk over each body: a `local_get` whose reaching
//! definition is a `local_set l, v` (or an earlier `local_get` of `l`) in the same straight-line
//! run of blocks becomes `v` (the earlier get's value). A block continues the run of the block
//! before it when that block is its only predecessor — then the earlier definition dominates it
//! and comes first in op order, which is what the verifier requires of `v`'s uses.
//!
//! Helpers have locals of their own, so a call does not disturb the caller's. The `local_set`s
//! stay (a later block may read the local); dead-code elimination removes those nothing reads.
//! Locals read before any `local_set` at the start of the body are zero: constant folding
//! handles that case.

use super::util::{inherits, per_body, Rewriter, NO_VALUE};
use crate::ir::cfg::Cfg;
use crate::ir::*;

pub fn run(vb: &VerifiedBlock) -> VerifiedBlock {
    per_body(vb, |vb, body, info, params, main| {
        let cfg = Cfg::build(body, &info.label_pos);
        let mut rw = Rewriter::new(body, info, params.len(), main, vb.block.pc);
        // Per local: the (new) value it holds in the current run, valid when `gen` matches.
        let mut val = vec![NO_VALUE; body.locals.len()];
        let mut gen = vec![0u32; body.locals.len()];
        let mut generation = 0u32;
        for b in 0..cfg.num_blocks() as u32 {
            if !inherits(&cfg, b) {
                generation += 1;
            }
            for i in cfg.block_ops(b) {
                let op = &body.ops[i];
                match op {
                    Op::LocalSet { local, value } => {
                        let l = *local as usize;
                        gen[l] = generation;
                        val[l] = rw.value(*value);
                        rw.copy(info, i, op);
                    }
                    Op::LocalGet { local } => {
                        let l = *local as usize;
                        let old = info.op_value[i].expect("local_get defines a value");
                        if gen[l] == generation {
                            rw.alias(old, val[l]);
                        } else {
                            let v = rw.copy(info, i, op).expect("local_get defines a value");
                            gen[l] = generation;
                            val[l] = v;
                        }
                    }
                    _ => {
                        rw.copy(info, i, op);
                    }
                }
            }
        }
        rw.finish()
    })
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use super::super::OptimizationPass::CopyPropagation;
    use crate::ir::Type::*;
    use crate::ir::*;
    use crate::testing::{sum_words_block, BlockBuilder};

    #[test]
    fn forwards_set_and_get_in_straight_line_code() {
        let block = BlockBuilder::new(0x1000).main(|m| {
            let l = m.local(I64);
            let x = m.get_state(I64, 0);
            m.local_set(l, x);
            let a = m.local_get(l);
            let b = m.local_get(l);
            let s = m.add(a, b);
            m.local_set(l, s);
            let c = m.local_get(l);
            m.set_state(8, c);
            m.exit_const(0x1004);
        });
        let out = run_pass(CopyPropagation, block);
        assert_eq!(count_main(&out, |op| matches!(op, Op::LocalGet { .. })), 0);
        assert_eq!(
            main_text(&out),
            "  v0 = get_state.i64 0\n  local_set l0, v0\n  v1 = add.i64 v0, v0\n  local_set l0, v1\n  \
             set_state 8, v1\n  v2 = const.i64 0x1004\n  exit v2\n"
        );
    }

    #[test]
    fn repeated_gets_share_the_first_and_joins_stop_forwarding() {
        // The README loop: the header has two predecessors, so its gets stay; the loop body
        // (only predecessor: the header) reuses them.
        let out = run_pass(CopyPropagation, sum_words_block());
        assert_eq!(count_main(&out, |op| matches!(op, Op::LocalGet { .. })), 2);
        let block = BlockBuilder::new(0).main(|m| {
            let l = m.local(I32);
            let (a, join) = (m.new_label(), m.new_label());
            let x = m.get_state(I32, 0);
            m.brif(x, a, join);
            m.bind(a);
            let one = m.iconst(I32, 1);
            m.local_set(l, one);
            m.bind(join); // two predecessors: the value of l is not known here
            let y = m.local_get(l);
            let z = m.local_get(l);
            let s = m.add(y, z);
            m.set_state(4, s);
            m.exit_const(0);
        });
        let out = run_pass(CopyPropagation, block);
        assert_eq!(count_main(&out, |op| matches!(op, Op::LocalGet { .. })), 1);
    }
}

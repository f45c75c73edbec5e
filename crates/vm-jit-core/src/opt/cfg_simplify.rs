//! Control-flow simplification.
//!
//! Per body:
//!
//! 1. **Jump threading.** A branch to a label whose block is just `Lx: jump My` goes to `My`
//!    directly — but only when that crosses the same number of back edges (docs/IR.md "Fuel")
//!    as the two-step path did, and, if that number is one, the back edge reports the same mark:
//!    a forward hop followed by a backward one becomes one backward branch only if the new
//!    branch is backward too, and two backward hops are never merged. So fuel, interrupt checks
//!    and the pc of a fuel exit are unchanged. A `brif` whose two targets become equal becomes a
//!    `jump`.
//! 2. **Unreachable blocks** (the emptied ones, typically) are removed.
//! 3. **Straight-line merging.** A `jump` to the label right after it is dropped (falling into a
//!    label is an implicit jump, and a branch to the next op is never a back edge); a label
//!    nothing branches to any more, reached only by falling into it, is dropped, merging its
//!    block with the one before. Blocks are never moved: moving one could turn a forward branch
//!    into a back edge or the other way round, and would change the marks of the moved ops.
//!
//! Fewer, longer blocks let the forwarding passes (which work along straight-line code) and
//! Cranelift see more at once.

use super::util::{per_body, Rewriter};
use crate::ir::cfg::Cfg;
use crate::ir::*;

pub fn run(vb: &VerifiedBlock) -> VerifiedBlock {
    per_body(vb, |vb, body, info, params, main| simplify_body(vb.block.pc, body, info, params.len(), main))
}

/// Hops followed per branch (threading chains are short; this also stops `L: jump L` cycles).
const MAX_HOPS: usize = 8;

fn simplify_body(pc: u64, body: &Body, info: &BodyInfo, nparams: usize, main: bool) -> (Body, BodyInfo) {
    let ops = &body.ops;
    let n = ops.len();
    // 1. Threading. `empty[l]`: the label the block of `l` jumps to, if it does nothing else.
    let empty: Vec<Option<Label>> = info
        .label_pos
        .iter()
        .map(|&p| match ops.get(p + 1) {
            Some(Op::Jump { label }) => Some(*label),
            _ => None,
        })
        .collect();
    let back = |at: usize, l: Label| info.label_pos[l as usize] <= at;
    let thread = |at: usize, l: Label| -> Label {
        let mut cur = l;
        for _ in 0..MAX_HOPS {
            let Some(next) = empty[cur as usize] else { break };
            if next == cur {
                break;
            }
            let hop_at = info.label_pos[cur as usize] + 1;
            let (b1, b2, b3) = (back(at, cur), back(hop_at, next), back(at, next));
            if (b1 as u8 + b2 as u8) != b3 as u8 {
                break;
            }
            // one back edge: its fuel exit must report the same pc from here
            if b3 && b2 && info.marks[hop_at] != info.marks[at] {
                break;
            }
            cur = next;
        }
        cur
    };
    let mut new_ops: Vec<Op> = ops.clone();
    let mut changed = false;
    for (i, op) in new_ops.iter_mut().enumerate() {
        match op {
            Op::Jump { label } => {
                let t = thread(i, *label);
                changed |= t != *label;
                *label = t;
            }
            Op::Brif { cond: _, then_label, else_label } => {
                let (t, e) = (thread(i, *then_label), thread(i, *else_label));
                changed |= t != *then_label || e != *else_label;
                if t == e {
                    *op = Op::Jump { label: t };
                    changed = true;
                } else {
                    *then_label = t;
                    *else_label = e;
                }
            }
            _ => {}
        }
    }
    let threaded = Body { locals: Vec::new(), num_labels: body.num_labels, ops: new_ops };

    // 2. Reachability (label positions are unchanged).
    let cfg = Cfg::build(&threaded, &info.label_pos);
    let kept: Vec<usize> = (0..n).filter(|&i| cfg.is_reachable(cfg.block_of_op[i])).collect();

    // 3. Merging: drop jumps to the next kept op's label, count what still branches to labels.
    let mut drop = vec![false; n];
    let mut refs = vec![0u32; body.num_labels as usize];
    for (k, &i) in kept.iter().enumerate() {
        match &threaded.ops[i] {
            Op::Jump { label } => {
                let next_is_target = kept.get(k + 1).is_some_and(|&j| threaded.ops[j] == Op::Label { label: *label });
                if next_is_target {
                    drop[i] = true;
                } else {
                    refs[*label as usize] += 1;
                }
            }
            Op::Brif { then_label, else_label, .. } => {
                refs[*then_label as usize] += 1;
                refs[*else_label as usize] += 1;
            }
            _ => {}
        }
    }
    if !changed && kept.len() == n && !drop.iter().any(|d| *d) && refs.iter().all(|r| *r > 0) {
        return (body.clone(), info.clone());
    }
    let mut rw = Rewriter::new(body, info, nparams, main, pc);
    for &i in &kept {
        if drop[i] {
            continue;
        }
        let op = &threaded.ops[i];
        if let Op::Label { label } = op {
            if refs[*label as usize] == 0 && !rw.last().is_some_and(|o| o.is_terminator()) {
                continue;
            }
        }
        rw.push_for(info, i, super::util::map_values(op, |v| rw.value(v)));
    }
    rw.finish()
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use super::super::OptimizationPass::CfgSimplification;
    use crate::ir::Type::*;
    use crate::testing::{sum_words_block, BlockBuilder};

    #[test]
    fn threads_jumps_through_empty_blocks_and_merges_straight_lines() {
        let block = BlockBuilder::new(0).main(|m| {
            let (a, b, c, d) = (m.new_label(), m.new_label(), m.new_label(), m.new_label());
            let x = m.get_state(I32, 0);
            m.brif(x, a, b);
            m.bind(a);
            m.jump(c); // empty: the brif goes to c directly
            m.bind(b);
            m.set_state(4, x);
            m.jump(d); // jump to the next label, which has no other predecessor: merged
            m.bind(d);
            m.set_state(8, x);
            m.bind(c);
            m.exit_const(0);
        });
        let out = run_pass(CfgSimplification, block);
        assert_eq!(
            main_text(&out),
            "  v0 = get_state.i32 0\n  brif v0, L1, L0\nL0:\n  set_state 4, v0\n  set_state 8, v0\nL1:\n  \
             v1 = const.i64 0\n  exit v1\n"
        );
    }

    #[test]
    fn never_changes_the_number_of_back_edges() {
        // `head: jump latch` (forward) and `latch: jump head` (back): every path around crosses
        // one back edge per cycle, before and after threading (the brif to `latch` becomes a
        // back edge to `head`; `head: jump latch` becomes `head: jump head`).
        let block = BlockBuilder::new(0).main(|m| {
            let (head, latch, done, far) = (m.new_label(), m.new_label(), m.new_label(), m.new_label());
            let cnt = m.local(I32);
            let five = m.iconst(I32, 5);
            m.local_set(cnt, five);
            m.jump(far);
            m.bind(head);
            m.jump(latch);
            m.bind(far); // `far`: the loop body
            let c = m.local_get(cnt);
            let one = m.iconst(I32, 1);
            let d = m.sub(c, one);
            m.local_set(cnt, d);
            m.brif(d, latch, done);
            m.bind(latch);
            m.jump(head); // back edge
            m.bind(done);
            m.set_state(0, d);
            m.exit_const(0);
        });
        // Whatever the pass does, fuel and results must be unchanged (checked by run_pass with
        // fuel 0, 1, 3, 100…).
        let _ = run_pass(CfgSimplification, block);
    }

    #[test]
    fn readme_block_is_already_simple() {
        let before = verified(sum_words_block());
        let out = run_pass(CfgSimplification, sum_words_block());
        // `jump L0` into the loop header must stay (L0 has two predecessors).
        assert_eq!(out.op_count, before.op_count - 1);
    }
}

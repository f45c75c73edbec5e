//! Dead-code elimination.
//!
//! Per body:
//!
//! 1. **Constant branches.** A `brif` on a constant (or with both targets equal) becomes a
//!    `jump` to the taken target, in place (a back edge stays a back edge).
//! 2. **Unreachable code.** Basic blocks that no path from the entry reaches (after 1) are
//!    removed, with their labels; the rest are renumbered in order.
//! 3. **Unused values.** An op whose value nothing uses is removed if it is pure: everything
//!    except `load` (it may fault: whether it is in range is not known before run time) and
//!    `call` — unless the helper (and everything it calls) writes no state or memory and cannot
//!    end the block (no load, store or back edge), in which case an unused call goes too.
//!    One backward sweep removes whole chains (uses come after definitions in op order).
//! 4. **Dead local stores.** A `local_set` whose local is not live after it — no path reads the
//!    local before it is set again or the body ends (locals die at every exit; docs/IR.md) — is
//!    removed. Liveness is the usual backward dataflow over the reachable blocks, on bit sets;
//!    for bodies too large for that, only locals nothing reads at all lose their stores.
//!    Steps 3 and 4 feed each other and repeat until nothing changes.
//! 5. **Marks.** A `mark` that no load, store, call or back edge observes before the next
//!    `mark` is dropped, as is one that repeats the current pc; where removed code held a `mark`
//!    that something later still reports, the rewriter puts it back (`util::Rewriter`), so fault
//!    and fuel pcs are unchanged. Helpers' marks are ignored by the IR and simply dropped.
//! 6. **Unused helpers** — not reachable by calls from the main body — are removed and the rest
//!    renumbered in order. Locals nothing uses any more are dropped too.

use super::util::{drop_unused_helpers, for_each_value, helper_effects, is_back_branch, per_body, Effects, Rewriter};
use crate::ir::cfg::Cfg;
use crate::ir::*;

pub fn run(vb: &VerifiedBlock) -> VerifiedBlock {
    let effects = helper_effects(vb);
    let out =
        per_body(vb, |vb, body, info, params, main| dce_body(vb.block.pc, body, info, params.len(), main, &effects));
    drop_unused_helpers(out)
}

/// Bit-set liveness is skipped above this many 64-bit words (blocks × locals / 64).
const MAX_LIVENESS_WORDS: usize = 1 << 22;

fn dce_body(
    pc: u64,
    body: &Body,
    info: &BodyInfo,
    nparams: usize,
    main: bool,
    effects: &[Effects],
) -> (Body, BodyInfo) {
    let ops = &body.ops;
    let n = ops.len();
    let cfg = Cfg::build(body, &info.label_pos);
    let nb = cfg.num_blocks();

    // 1. Constant branches.
    let mut konst: Vec<Option<u64>> = vec![None; info.value_types.len()];
    for (i, op) in ops.iter().enumerate() {
        if let (Op::Const { bits, .. }, Some(v)) = (op, info.op_value[i]) {
            konst[v as usize] = Some(*bits);
        }
    }
    let mut jump_to: Vec<Option<Label>> = vec![None; n];
    let mut succs: Vec<Vec<u32>> = cfg.succs.clone();
    for (b, succ) in succs.iter_mut().enumerate() {
        let last = cfg.block_ops(b as u32).end - 1;
        if let Op::Brif { cond, then_label, else_label } = &ops[last] {
            let taken = match konst[*cond as usize] {
                Some(c) => Some(if c != 0 { *then_label } else { *else_label }),
                None if then_label == else_label => Some(*then_label),
                None => None,
            };
            if let Some(l) = taken {
                jump_to[last] = Some(l);
                *succ = vec![cfg.block_of_op[info.label_pos[l as usize]]];
            }
        }
    }

    // 2. Reachability.
    let mut live_block = vec![false; nb];
    if nb > 0 {
        let mut stack = vec![0u32];
        live_block[0] = true;
        while let Some(b) = stack.pop() {
            for &s in &succs[b as usize] {
                if !live_block[s as usize] {
                    live_block[s as usize] = true;
                    stack.push(s);
                }
            }
        }
    }
    let mut keep: Vec<bool> =
        (0..n).map(|i| live_block[cfg.block_of_op[i] as usize] && !matches!(ops[i], Op::Mark { .. })).collect();

    // 3 and 4, to a fixpoint.
    let mut uses = vec![0u32; info.value_types.len()];
    for (i, op) in ops.iter().enumerate() {
        // a brif that becomes a jump no longer uses its condition
        if keep[i] && jump_to[i].is_none() {
            for_each_value(op, |v| uses[v as usize] += 1);
        }
    }
    let removable = |op: &Op| match op {
        Op::Load { .. } => false,
        Op::Call { func, .. } => effects[*func as usize].is_pure(),
        op => super::util::defines(op),
    };
    loop {
        for i in (0..n).rev() {
            if !keep[i] || !removable(&ops[i]) || info.op_value[i].is_some_and(|v| uses[v as usize] > 0) {
                continue;
            }
            keep[i] = false;
            for_each_value(&ops[i], |v| uses[v as usize] -= 1);
        }
        let dead = dead_local_sets(body, &cfg, &succs, &live_block, &keep);
        if dead.is_empty() {
            break;
        }
        for i in dead {
            keep[i] = false;
            for_each_value(&ops[i], |v| uses[v as usize] -= 1);
        }
    }

    // 5. Marks: keep those (in live code) that an op reporting its mark follows before the next
    // `mark`; the rewriter re-inserts any other that turns out to be needed.
    let mut observed = false;
    for i in (0..n).rev() {
        match &ops[i] {
            Op::Mark { .. } => {
                keep[i] = main && observed && live_block[cfg.block_of_op[i] as usize];
                observed = false;
            }
            Op::Load { .. } | Op::Store { .. } | Op::Call { .. } | Op::Jump { .. } | Op::Brif { .. } if keep[i] => {
                observed |= !matches!(ops[i], Op::Jump { .. } | Op::Brif { .. }) || is_back_branch(&ops[i], i, info);
            }
            _ => {}
        }
    }

    // Emit.
    let mut rw = Rewriter::new(body, info, nparams, main, pc);
    for (i, op) in ops.iter().enumerate() {
        if !keep[i] {
            continue;
        }
        match jump_to[i] {
            Some(label) => {
                rw.push_for(info, i, Op::Jump { label });
            }
            None => {
                rw.copy(info, i, op);
            }
        }
    }
    rw.finish()
}

/// Kept `local_set`s whose local is dead after them.
fn dead_local_sets(body: &Body, cfg: &Cfg, succs: &[Vec<u32>], live_block: &[bool], keep: &[bool]) -> Vec<usize> {
    let ops = &body.ops;
    let nl = body.locals.len();
    let mut dead = Vec::new();
    if nl == 0 {
        return dead;
    }
    let nb = cfg.num_blocks();
    let words = nl.div_ceil(64);
    if nb.saturating_mul(words) > MAX_LIVENESS_WORDS {
        // Only locals nothing reads.
        let mut read = vec![false; nl];
        for (i, op) in ops.iter().enumerate() {
            if let (true, Op::LocalGet { local }) = (keep[i], op) {
                read[*local as usize] = true;
            }
        }
        for (i, op) in ops.iter().enumerate() {
            if let (true, Op::LocalSet { local, .. }) = (keep[i], op) {
                if !read[*local as usize] {
                    dead.push(i);
                }
            }
        }
        return dead;
    }
    let bit = |set: &[u64], l: usize| set[l / 64] >> (l % 64) & 1 != 0;
    // gen: read before any set in the block; kill: set in the block.
    let mut gen = vec![0u64; nb * words];
    let mut kill = vec![0u64; nb * words];
    for b in 0..nb {
        if !live_block[b] {
            continue;
        }
        let (g, k) = (&mut gen[b * words..(b + 1) * words], &mut kill[b * words..(b + 1) * words]);
        for i in cfg.block_ops(b as u32) {
            if !keep[i] {
                continue;
            }
            match &ops[i] {
                Op::LocalGet { local } => {
                    let l = *local as usize;
                    if !bit(k, l) {
                        g[l / 64] |= 1 << (l % 64);
                    }
                }
                Op::LocalSet { local, .. } => {
                    let l = *local as usize;
                    k[l / 64] |= 1 << (l % 64);
                }
                _ => {}
            }
        }
    }
    let mut live_in = vec![0u64; nb * words];
    let mut live_out = vec![0u64; nb * words];
    let mut changed = true;
    while changed {
        changed = false;
        for b in (0..nb).rev() {
            if !live_block[b] {
                continue;
            }
            for w in 0..words {
                let mut out = 0u64;
                for &s in &succs[b] {
                    out |= live_in[s as usize * words + w];
                }
                let inn = gen[b * words + w] | (out & !kill[b * words + w]);
                live_out[b * words + w] = out;
                if inn != live_in[b * words + w] {
                    live_in[b * words + w] = inn;
                    changed = true;
                }
            }
        }
    }
    let mut live = vec![0u64; words];
    for b in 0..nb {
        if !live_block[b] {
            continue;
        }
        live.copy_from_slice(&live_out[b * words..(b + 1) * words]);
        for i in cfg.block_ops(b as u32).rev() {
            if !keep[i] {
                continue;
            }
            match &ops[i] {
                Op::LocalGet { local } => {
                    let l = *local as usize;
                    live[l / 64] |= 1 << (l % 64);
                }
                Op::LocalSet { local, .. } => {
                    let l = *local as usize;
                    if bit(&live, l) {
                        live[l / 64] &= !(1 << (l % 64));
                    } else {
                        dead.push(i);
                    }
                }
                _ => {}
            }
        }
    }
    dead
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use super::super::OptimizationPass::{ConstantFolding, DeadCodeElimination};
    use crate::ir::Type::*;
    use crate::ir::*;
    use crate::testing::{sum_words_block, BlockBuilder};

    #[test]
    fn removes_unused_pure_values_but_keeps_loads() {
        let block = BlockBuilder::new(0).main(|m| {
            let x = m.get_state(I64, 0);
            let y = m.get_state(I64, 8);
            let s = m.add(x, y); // unused chain: s, t
            let one = m.iconst(I64, 1);
            let _t = m.mul(s, one);
            let _l = m.load(I8, 1, false, x); // unused, but may fault: stays
            m.set_state(16, y);
            m.exit_const(0);
        });
        let out = run_pass(DeadCodeElimination, block);
        assert_eq!(
            main_text(&out),
            "  v0 = get_state.i64 0\n  v1 = get_state.i64 8\n  v2 = load.i8 v0\n  set_state 16, v1\n  \
             v3 = const.i64 0\n  exit v3\n"
        );
    }

    #[test]
    fn removes_dead_local_stores_across_blocks() {
        let block = BlockBuilder::new(0).main(|m| {
            let (l, k) = (m.local(I64), m.local(I64));
            let (a, b) = (m.new_label(), m.new_label());
            let x = m.get_state(I64, 0);
            m.local_set(l, x); // dead: both paths set l before reading it
            m.local_set(k, x); // live: read at b
            m.brif(x, a, b);
            m.bind(a);
            let one = m.iconst(I64, 1);
            m.local_set(l, one);
            m.jump(b);
            m.bind(b);
            let two = m.iconst(I64, 2);
            m.local_set(l, two); // overwrites: the set in a is dead too
            let y = m.local_get(l);
            let z = m.local_get(k);
            let s = m.add(y, z);
            m.set_state(8, s);
            m.local_set(l, s); // dead: nothing reads l after
            m.exit_const(0);
        });
        let out = run_pass(DeadCodeElimination, block);
        assert_eq!(count_main(&out, |op| matches!(op, Op::LocalSet { .. })), 2);
    }

    #[test]
    fn constant_branches_and_unreachable_code() {
        let block = BlockBuilder::new(0x100).main(|m| {
            let (dead, live, skip) = (m.new_label(), m.new_label(), m.new_label());
            let c = m.iconst(I8, 0);
            m.brif(c, dead, live);
            m.bind(dead);
            m.mark(0x104);
            let x = m.get_state(I64, 0);
            m.set_state(8, x);
            m.exit_const(1);
            m.bind(live);
            m.jump(skip);
            m.bind(skip);
            m.exit_const(2);
        });
        let out = run_pass(DeadCodeElimination, block);
        assert_eq!(main_text(&out), "  jump L0\nL0:\n  jump L1\nL1:\n  v0 = const.i64 2\n  exit v0\n");
        assert_eq!(out.block.main.num_labels, 2);
    }

    #[test]
    fn marks_nothing_observes_go_and_observed_ones_survive_removed_code() {
        // The mark of the load is in code that is removed: it must come back before the load.
        let block = BlockBuilder::new(0x100).main(|m| {
            let (dead, live) = (m.new_label(), m.new_label());
            m.mark(0x104); // observed by nothing (the next op that reports a mark has 0x10c)
            let a = m.get_state(I64, 0);
            m.mark(0x108);
            m.jump(live);
            m.bind(dead);
            m.mark(0x10c);
            m.exit_const(0);
            m.bind(live);
            let v = m.load(I64, 8, false, a);
            m.set_state(8, v);
            m.exit_const(1);
        });
        let out = run_pass(DeadCodeElimination, block);
        assert_eq!(
            main_text(&out),
            "  v0 = get_state.i64 0\n  jump L0\nL0:\n  mark 0x10c\n  v1 = load.i64 v0\n  set_state 8, v1\n  \
             v2 = const.i64 1\n  exit v2\n"
        );
        assert_eq!(out.main.marks[4], 0x10c);
    }

    #[test]
    fn unused_helpers_and_pure_calls_go() {
        let mut bb = BlockBuilder::new(0);
        let unused = bb.func(&[], None, |f| f.ret(None));
        let pure = bb.func(&[I64], Some(I64), |f| {
            let r = f.add(f.param(0), f.param(0));
            f.ret(Some(r));
        });
        let loads = bb.func(&[I64], Some(I64), |f| {
            let r = f.load(I64, 8, false, f.param(0));
            f.ret(Some(r));
        });
        let _ = unused;
        let block = bb.main(|m| {
            let a = m.get_state(I64, 0);
            m.call(pure, &[a]); // unused and pure: removed
            m.call(loads, &[a]); // unused, but may fault: stays
            m.exit_const(0);
        });
        let out = run_pass(DeadCodeElimination, block);
        assert_eq!(out.block.funcs.len(), 1);
        assert_eq!(main_text(&out), "  v0 = get_state.i64 0\n  v1 = call fn 0 (v0)\n  v2 = const.i64 0\n  exit v2\n");
    }

    #[test]
    fn readme_block_keeps_its_loop_and_fuel() {
        let out = run_passes(&[ConstantFolding, DeadCodeElimination], sum_words_block());
        // the loop is intact: one back edge, the load, the mark before it
        assert_eq!(count_main(&out, |op| matches!(op, Op::Load { .. })), 1);
        assert_eq!(count_main(&out, |op| matches!(op, Op::Mark { pc: 0x1008 })), 1);
    }
}

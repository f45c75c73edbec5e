//! If-conversion of small diamonds: `brif c, A, B` where A and B are small straight-line blocks
//! of pure ops that both end in `jump J` (or one of them falls through into `label J`, as
//! CfgSimplification leaves a diamond's last arm) becomes both arms' computations followed by a
//! `select` per guest state slot and local either arm writes, and one `jump J`.
//!
//! Why: an emulator's guest code is full of short data-dependent branches (a parity test, a
//! min/max, a saturating step). A mispredicted branch costs ~15 cycles; a `select` (cmov) costs
//! one. The arms must be cheap to run both of, so each is limited to `MAX_ARM_OPS` ops.
//!
//! Exactness: the arms may contain only ops that cannot fault or exit — constants, state and
//! local reads, integer and float arithmetic (all total, docs/IR.md), compares, selects,
//! conversions, marks — plus `set_state`/`local_set`, which are deferred: inside an arm a read
//! of a slot the arm wrote earlier is that value, any other read sees the state before the
//! branch (neither arm has written anything yet), and after both arms each written slot gets
//! `select(c, A's value or its old value, B's value or its old value)`. Each arm block must have
//! the `brif` as its only predecessor (so nothing else runs it, and its values are used only in
//! it). The two `jump J` must be the same kind of edge as a `jump J` at the `brif`'s place — both
//! back edges (J bound before the `brif`) or both forward (J bound after both arms) — and report
//! the same mark: then the converted code crosses exactly the back edges, with the marks, that
//! either path crossed, so fuel and fuel-exit pcs are unchanged.

use super::util::{per_body, Rewriter};
use crate::ir::cfg::Cfg;
use crate::ir::*;

/// Ops (not counting marks) an arm may have.
pub const MAX_ARM_OPS: usize = 10;

/// One convertible diamond, by old op indices.
struct Diamond {
    cond: Value,
    /// Op ranges of the two arms' bodies (after their label, before their `jump`).
    arms: [std::ops::Range<usize>; 2],
    join: Label,
    /// Op index of an arm's `jump` (its mark is the converted jump's), or of the `brif` when
    /// both arms fall through (a forward jump reports no mark).
    jump_at: usize,
    /// Old ops each arm takes away: its label, body and `jump` (not the join's `label` an arm
    /// falls through into).
    taken: [std::ops::RangeInclusive<usize>; 2],
}

fn pure(op: &Op) -> bool {
    matches!(
        op,
        Op::Const { .. }
            | Op::GetState { .. }
            | Op::SetState { .. }
            | Op::LocalGet { .. }
            | Op::LocalSet { .. }
            | Op::Mark { .. }
            | Op::IntBin { .. }
            | Op::IntUn { .. }
            | Op::Icmp { .. }
            | Op::Select { .. }
            | Op::Ext { .. }
            | Op::FloatBin { .. }
            | Op::FloatUn { .. }
            | Op::Fma { .. }
            | Op::Fcmp { .. }
            | Op::FcvtToInt { .. }
            | Op::FcvtFromInt { .. }
            | Op::Fpromote { .. }
            | Op::Fdemote { .. }
            | Op::Bitcast { .. }
    )
}

/// The arm starting at `label`, if it is a small pure block whose only predecessor is the block
/// of op `from` and that ends in `jump J` or falls through into `label J` (CfgSimplification
/// leaves the last arm of a diamond so): (its body range, J, the jump's index if it has one).
fn arm(
    body: &Body,
    info: &BodyInfo,
    cfg: &Cfg,
    label: Label,
    from: usize,
) -> Option<(std::ops::Range<usize>, Label, Option<usize>)> {
    let start = info.label_pos[label as usize];
    let b = cfg.block_of_op[start];
    if cfg.preds[b as usize] != [cfg.block_of_op[from]] {
        return None;
    }
    let ops = cfg.block_ops(b);
    let last = ops.end - 1;
    let (inner, join, jump) = match (&body.ops[last], body.ops.get(ops.end)) {
        (Op::Jump { label: join }, _) => (start + 1..last, *join, Some(last)),
        // Falls through: every op of the block is checked to be pure (no terminator) below.
        (_, Some(Op::Label { label: join })) => (start + 1..ops.end, *join, None),
        _ => return None,
    };
    let counted = inner.clone().filter(|&i| !matches!(body.ops[i], Op::Mark { .. })).count();
    if counted > MAX_ARM_OPS || !inner.clone().all(|i| pure(&body.ops[i])) {
        return None;
    }
    Some((inner, join, jump))
}

fn find(body: &Body, info: &BodyInfo, cfg: &Cfg, at: usize) -> Option<Diamond> {
    let Op::Brif { cond, then_label, else_label } = body.ops[at] else { return None };
    if then_label == else_label || info.is_back_edge(at, then_label) || info.is_back_edge(at, else_label) {
        return None;
    }
    let (a, ja, jump_a) = arm(body, info, cfg, then_label, at)?;
    let (b, jb, jump_b) = arm(body, info, cfg, else_label, at)?;
    if ja != jb || ja == then_label || ja == else_label {
        return None;
    }
    // Same kind of edge from both arms and from the brif's place; same reported mark. Falling
    // through is a forward edge.
    let back = info.is_back_edge(at, ja);
    let edge_back = |jump: Option<usize>| jump.is_some_and(|j| info.is_back_edge(j, ja));
    if edge_back(jump_a) != back || edge_back(jump_b) != back {
        return None;
    }
    if back && jump_a.map(|j| info.marks[j]) != jump_b.map(|j| info.marks[j]) {
        return None;
    }
    let taken = |r: &std::ops::Range<usize>, jump: Option<usize>| r.start - 1..=jump.unwrap_or(r.end - 1);
    let taken = [taken(&a, jump_a), taken(&b, jump_b)];
    // A slot both read and written across the arms must have one type: the select needs it.
    let mut slot_ty: Vec<(u32, Type)> = Vec::new();
    for i in a.clone().chain(b.clone()) {
        let (off, ty) = match body.ops[i] {
            Op::GetState { ty, offset } => (offset, ty),
            Op::SetState { offset, value } => (offset, info.value_types[value as usize]),
            _ => continue,
        };
        match slot_ty.iter().find(|(o, _)| *o == off) {
            Some((_, t)) if *t != ty => return None,
            Some(_) => {}
            None => slot_ty.push((off, ty)),
        }
    }
    // Overlapping slots of different offsets would make deferred writes observable.
    slot_ty.sort_by_key(|s| s.0);
    if slot_ty.windows(2).any(|w| w[0].0 + w[0].1.bytes() > w[1].0) {
        return None;
    }
    Some(Diamond { cond, arms: [a, b], join: ja, jump_at: jump_a.or(jump_b).unwrap_or(at), taken })
}

pub fn run(vb: &VerifiedBlock) -> VerifiedBlock {
    per_body(vb, |vb, body, info, params, main| {
        let cfg = Cfg::build(body, &info.label_pos);
        let mut diamonds: Vec<(usize, Diamond)> = Vec::new();
        let mut skip = vec![false; body.ops.len()];
        for at in 0..body.ops.len() {
            if let Some(d) = find(body, info, &cfg, at) {
                // Arms are skipped where they stand (with their labels and jumps).
                for r in &d.taken {
                    for i in r.clone() {
                        skip[i] = true;
                    }
                }
                diamonds.push((at, d));
            }
        }
        let mut rw = Rewriter::new(body, info, params.len(), main, vb.block.pc);
        let mut next = diamonds.into_iter().peekable();
        for (i, op) in body.ops.iter().enumerate() {
            if next.peek().is_some_and(|(at, _)| *at == i) {
                let (_, d) = next.next().unwrap();
                convert(&mut rw, body, info, i, &d);
                continue;
            }
            if !skip[i] {
                rw.copy(info, i, op);
            }
        }
        rw.finish()
    })
}

/// Emits the diamond `d` (whose `brif` is old op `at`) as straight-line code with selects.
fn convert(rw: &mut Rewriter, body: &Body, info: &BodyInfo, at: usize, d: &Diamond) {
    let mark = info.marks[at];
    // Per arm: (state offset, value written) and (local, value written), in first-write order.
    let mut writes: [Vec<(u32, Value)>; 2] = [Vec::new(), Vec::new()];
    let mut local_writes: [Vec<(Local, Value)>; 2] = [Vec::new(), Vec::new()];
    for (k, range) in d.arms.iter().enumerate() {
        for i in range.clone() {
            let op = &body.ops[i];
            match *op {
                Op::Mark { .. } => {}
                Op::SetState { offset, value } => {
                    let v = rw.value(value);
                    set(&mut writes[k], offset, v);
                }
                Op::LocalSet { local, value } => {
                    let v = rw.value(value);
                    set(&mut local_writes[k], local, v);
                }
                Op::GetState { offset, .. } if get(&writes[k], offset).is_some() => {
                    rw.alias(info.op_value[i].unwrap(), get(&writes[k], offset).unwrap());
                }
                Op::LocalGet { local } if get(&local_writes[k], local).is_some() => {
                    rw.alias(info.op_value[i].unwrap(), get(&local_writes[k], local).unwrap());
                }
                _ => {
                    rw.copy(info, i, op);
                }
            }
        }
    }
    let cond = rw.value(d.cond);
    // State slots, in a fixed order: the `then` arm's writes, then the `else` arm's others.
    let mut offsets: Vec<u32> = writes[0].iter().map(|w| w.0).collect();
    offsets.extend(writes[1].iter().map(|w| w.0).filter(|o| !writes[0].iter().any(|w| w.0 == *o)));
    for off in offsets {
        let ty = writes.iter().flatten().find(|w| w.0 == off).map(|w| rw.ty(w.1)).expect("a written slot");
        let side = |rw: &mut Rewriter, k: usize| match get(&writes[k], off) {
            Some(v) => v,
            None => rw.push(Op::GetState { ty, offset: off }, Some(ty), mark).unwrap(),
        };
        let (a, b) = (side(rw, 0), side(rw, 1));
        let v = rw.push(Op::Select { cond, a, b }, Some(ty), mark).unwrap();
        rw.push(Op::SetState { offset: off, value: v }, None, mark);
    }
    let mut locals: Vec<Local> = local_writes[0].iter().map(|w| w.0).collect();
    locals.extend(local_writes[1].iter().map(|w| w.0).filter(|l| !local_writes[0].iter().any(|w| w.0 == *l)));
    for l in locals {
        let ty = body.locals[l as usize];
        let side = |rw: &mut Rewriter, k: usize| match get(&local_writes[k], l) {
            Some(v) => v,
            None => rw.push(Op::LocalGet { local: l }, Some(ty), mark).unwrap(),
        };
        let (a, b) = (side(rw, 0), side(rw, 1));
        let v = rw.push(Op::Select { cond, a, b }, Some(ty), mark).unwrap();
        rw.push(Op::LocalSet { local: l, value: v }, None, mark);
    }
    rw.push(Op::Jump { label: d.join }, None, info.marks[d.jump_at]);
}

fn set<K: PartialEq + Copy>(w: &mut Vec<(K, Value)>, k: K, v: Value) {
    match w.iter_mut().find(|e| e.0 == k) {
        Some(e) => e.1 = v,
        None => w.push((k, v)),
    }
}

fn get<K: PartialEq + Copy>(w: &[(K, Value)], k: K) -> Option<Value> {
    w.iter().find(|e| e.0 == k).map(|e| e.1)
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use super::super::OptimizationPass::IfConversion;
    use crate::ir::Type::*;
    use crate::ir::*;
    use crate::testing::BlockBuilder;

    /// `x = state[0]; if x & 1 { x = 3x + 1 } else { x >>= 1 }; steps += 1` in a loop.
    fn collatz_step() -> Block {
        BlockBuilder::new(0x100).main(|m| {
            let (head, odd, even, done) = (m.new_label(), m.new_label(), m.new_label(), m.new_label());
            m.bind(head);
            let x = m.get_state(I64, 0);
            let one = m.iconst(I64, 1);
            let is_one = m.icmp(IntCC::Eq, x, one);
            let body = m.new_label();
            m.brif(is_one, done, body);
            m.bind(body);
            let bit = m.bin(IntBinOp::And, x, one);
            m.brif(bit, odd, even);
            m.bind(odd);
            let x = m.get_state(I64, 0);
            let three = m.iconst(I64, 3);
            let t = m.mul(x, three);
            let t = m.add(t, one);
            m.set_state(0, t);
            let s = m.get_state(I64, 8);
            let s = m.add(s, one);
            m.set_state(8, s);
            m.jump(head);
            m.bind(even);
            let x = m.get_state(I64, 0);
            let h = m.bin(IntBinOp::Ushr, x, one);
            m.set_state(0, h);
            let s = m.get_state(I64, 8);
            let s = m.add(s, one);
            m.set_state(8, s);
            m.jump(head);
            m.bind(done);
            m.exit_const(0x200);
        })
    }

    #[test]
    fn a_two_armed_loop_step_becomes_selects_with_the_same_results_and_fuel() {
        let block = collatz_step();
        let out = run_pass(IfConversion, block.clone());
        let text = main_text(&out);
        assert!(text.contains("select"), "{text}");
        assert_eq!(text.matches("brif").count(), 1, "only the loop test is left:\n{text}");
        assert_same_behaviour(&verified(block.clone()), &out);
        // every start value 1..40 and small fuel budgets: same state, exit and remaining fuel
        let original = verified(block);
        for x in 1..40u64 {
            for fuel in [0, 1, 3, 10, 1000] {
                let run = |vb: &VerifiedBlock| {
                    let mut s = crate::testing::state_with(16, &[(0, x), (8, 0)]);
                    let out = crate::testing::run_interp(vb.block.clone(), &mut s, &mut [], fuel);
                    (out, s)
                };
                assert_eq!(run(&original), run(&out), "x = {x}, fuel {fuel}");
            }
        }
    }

    /// The shape CfgSimplification leaves: the second arm has no `jump`, it falls through into
    /// the join's label. Converted too, with the same results, and the join keeps its label.
    #[test]
    fn an_arm_falling_through_into_the_join_is_converted() {
        for back in [false, true] {
            let block = BlockBuilder::new(0x100).main(|m| {
                let (head, a, b, j, done) = (m.new_label(), m.new_label(), m.new_label(), m.new_label(), m.new_label());
                m.bind(head);
                let x = m.get_state(I64, 0);
                let one = m.iconst(I64, 1);
                let bit = m.bin(IntBinOp::And, x, one);
                m.brif(bit, a, b);
                m.bind(a);
                let t = m.add(x, x);
                m.set_state(0, t);
                m.jump(j);
                m.bind(b);
                let h = m.bin(IntBinOp::Ushr, x, one);
                m.set_state(0, h);
                m.bind(j);
                let n = m.get_state(I64, 8);
                let n = m.sub(n, one);
                m.set_state(8, n);
                let zero = m.iconst(I64, 0);
                let more = m.icmp(IntCC::Ne, n, zero);
                if back {
                    m.brif(more, head, done);
                } else {
                    m.brif(more, done, done);
                }
                m.bind(done);
                m.exit_const(0x200);
            });
            let out = run_pass(IfConversion, block.clone());
            let text = main_text(&out);
            assert!(text.contains("select"), "{text}");
            let original = verified(block);
            for x in [0u64, 1, 7, 1 << 40] {
                for fuel in [0, 2, 1000] {
                    let run = |vb: &VerifiedBlock| {
                        let mut s = crate::testing::state_with(16, &[(0, x), (8, 5)]);
                        let out = crate::testing::run_interp(vb.block.clone(), &mut s, &mut [], fuel);
                        (out, s)
                    };
                    assert_eq!(run(&original), run(&out), "x = {x}, fuel {fuel}");
                }
            }
        }
    }

    #[test]
    fn arms_with_memory_accesses_or_exits_are_left_alone() {
        let block = BlockBuilder::new(0x100).main(|m| {
            let (a, b, j) = (m.new_label(), m.new_label(), m.new_label());
            let x = m.get_state(I64, 0);
            m.brif(x, a, b);
            m.bind(a);
            let v = m.load(I64, 8, false, x);
            m.set_state(8, v);
            m.jump(j);
            m.bind(b);
            m.set_state(8, x);
            m.jump(j);
            m.bind(j);
            m.exit_const(0x200);
        });
        let out = run_pass(IfConversion, block);
        assert!(!main_text(&out).contains("select"));
    }
}

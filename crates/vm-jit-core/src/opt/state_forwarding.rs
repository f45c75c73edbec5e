//! Guest state get/set elimination (dynarmic's `GetSetElimination`).
//!
//! Emulators keep guest registers in the state buffer and read and write them for every guest
//! instruction. One forward walk per body along straight-line code — a basic block, continued
//! into the next block when it is that block's only predecessor, and into any later block it is
//! the only predecessor of with what it established itself (`util::Inherited`); for dead sets
//! only into the next block, when that is its only successor — does two things:
//!
//! - **Forwarding.** A `get_state` of a slot whose contents are known — written by an earlier
//!   `set_state` of the same offset and type, or read by an earlier `get_state` of the same
//!   offset and type — becomes that value. A `set_state` forgets every known slot its bytes
//!   overlap (partial overlaps included) before it records its own. A call forgets the slots
//!   the helper (or anything it calls) may write; nothing else writes state.
//! - **Dead sets.** A `set_state` is dropped when later `set_state`s overwrite all of its bytes
//!   before anything can observe them. Observers are: a `get_state` that overlaps and is not
//!   forwarded; any op that can end the block — loads and stores (a memory fault exits with the
//!   state as it is), back-edge branches (fuel and interrupt exits), `exit`/`halt`/`trap`, `ret`
//!   (the caller sees the state); a call whose helper can end the block (it loads, stores or has
//!   a back edge, directly or through its callees) or reads an overlapping slot; and the end of
//!   the straight-line run (a successor may read the slot). Only a set fully overwritten before
//!   every such observer is dropped, so every exit — including faults and fuel exits part-way
//!   through — sees exactly the state the unoptimised block would have left.
//!
//! State reads and writes cannot fault (the state size is checked before a block runs), so
//! forwarding a `get_state` never removes a fault.

use super::util::{continues, helper_effects, is_back_branch, overlap, per_body, Inherited, Rewriter};
use crate::ir::cfg::Cfg;
use crate::ir::*;

pub fn run(vb: &VerifiedBlock) -> VerifiedBlock {
    let effects = helper_effects(vb);
    per_body(vb, |vb, body, info, params, main| {
        let cfg = Cfg::build(body, &info.label_pos);
        let (forward, dead) = analyse(body, info, &cfg, &effects);
        let mut rw = Rewriter::new(body, info, params.len(), main, vb.block.pc);
        for (i, op) in body.ops.iter().enumerate() {
            if dead[i] {
                continue;
            }
            match (op, forward[i]) {
                (Op::GetState { .. }, Some(v)) => {
                    let nv = rw.value(v);
                    rw.alias(info.op_value[i].expect("get_state defines a value"), nv);
                }
                _ => {
                    rw.copy(info, i, op);
                }
            }
        }
        rw.finish()
    })
}

/// A slot whose contents are known: bytes `[off, off + ty.bytes())` hold `value` (old id).
#[derive(Clone, Copy)]
struct Known {
    off: u32,
    ty: Type,
    value: Value,
    /// The basic block where this became known.
    block: u32,
}

/// A `set_state` (op `at`) nothing has observed yet; `covered` has a bit per byte overwritten
/// since.
#[derive(Clone, Copy)]
struct Pending {
    at: usize,
    off: u32,
    width: u32,
    covered: u8,
}

/// Slots and pending sets tracked at once (the walk is linear in this; forgetting is always safe).
const MAX_TRACKED: usize = 128;

fn remember(known: &mut Vec<Known>, k: Known) {
    if known.len() >= MAX_TRACKED {
        known.remove(0);
    }
    known.push(k);
}

/// For each op: the (old) value a `get_state` can be replaced by, and whether a `set_state` is
/// dead.
fn analyse(
    body: &Body,
    info: &BodyInfo,
    cfg: &Cfg,
    effects: &[super::util::Effects],
) -> (Vec<Option<Value>>, Vec<bool>) {
    let n = body.ops.len();
    let mut forward = vec![None; n];
    let mut dead = vec![false; n];
    let mut known: Vec<Known> = Vec::new();
    let mut pending: Vec<Pending> = Vec::new();
    let mut inherited = Inherited::new(cfg);
    for b in 0..cfg.num_blocks() as u32 {
        inherited.enter(cfg, b, &mut known);
        if !continues(cfg, b) {
            pending.clear();
        }
        for i in cfg.block_ops(b) {
            let op = &body.ops[i];
            match op {
                Op::GetState { ty, offset } => {
                    if let Some(k) = known.iter().find(|k| k.off == *offset && k.ty == *ty) {
                        forward[i] = Some(k.value);
                        continue;
                    }
                    let w = ty.bytes();
                    pending.retain(|p| !overlap(p.off, p.width, *offset, w));
                    remember(
                        &mut known,
                        Known { off: *offset, ty: *ty, value: info.op_value[i].expect("get_state"), block: b },
                    );
                }
                Op::SetState { offset, value } => {
                    let ty = info.value_types[*value as usize];
                    let w = ty.bytes();
                    pending.retain_mut(|p| {
                        if !overlap(p.off, p.width, *offset, w) {
                            return true;
                        }
                        // bytes of p overwritten now: [max(p.off, offset), min(ends))
                        let lo = p.off.max(*offset) - p.off;
                        let hi = (p.off + p.width).min(offset + w) - p.off;
                        for byte in lo..hi {
                            p.covered |= 1 << byte;
                        }
                        if p.covered as u32 == (1u32 << p.width) - 1 {
                            dead[p.at] = true;
                            false
                        } else {
                            true
                        }
                    });
                    known.retain(|k| !overlap(k.off, k.ty.bytes(), *offset, w));
                    remember(&mut known, Known { off: *offset, ty, value: *value, block: b });
                    if pending.len() >= MAX_TRACKED {
                        pending.remove(0); // forgetting a pending set only keeps it
                    }
                    pending.push(Pending { at: i, off: *offset, width: w, covered: 0 });
                }
                Op::Load { .. } | Op::Store { .. } => pending.clear(),
                Op::Call { func, .. } => {
                    let e = &effects[*func as usize];
                    if e.can_exit {
                        pending.clear();
                    } else {
                        pending.retain(|p| !e.reads_state.overlaps(p.off, p.width));
                    }
                    known.retain(|k| !e.writes_state.overlaps(k.off, k.ty.bytes()));
                }
                Op::Jump { .. } | Op::Brif { .. } if is_back_branch(op, i, info) => pending.clear(),
                Op::Exit { .. } | Op::Halt { .. } | Op::Trap { .. } | Op::Ret { .. } => pending.clear(),
                _ => {}
            }
        }
        inherited.leave(cfg, b, &known, |k| k.block == b);
    }
    (forward, dead)
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use super::super::OptimizationPass::StateForwarding;
    use crate::ir::Type::*;
    use crate::ir::*;
    use crate::testing::BlockBuilder;

    fn gets(vb: &VerifiedBlock) -> usize {
        count_main(vb, |op| matches!(op, Op::GetState { .. }))
    }

    fn sets(vb: &VerifiedBlock) -> usize {
        count_main(vb, |op| matches!(op, Op::SetState { .. }))
    }

    /// `x3 = x1 + x2; x3 = x3 + 1` on a register machine whose registers live in state.
    #[test]
    fn register_machine_sequence() {
        let block = BlockBuilder::new(0x1000).main(|m| {
            let x1 = m.get_state(I64, 8);
            let x2 = m.get_state(I64, 16);
            let s = m.add(x1, x2);
            m.set_state(24, s);
            m.mark(0x1004);
            let x3 = m.get_state(I64, 24);
            let one = m.iconst(I64, 1);
            let t = m.add(x3, one);
            m.set_state(24, t);
            m.mark(0x1008);
            let x1b = m.get_state(I64, 8);
            let x3b = m.get_state(I64, 24);
            let u = m.sub(x3b, x1b);
            m.set_state(8, u);
            m.exit_const(0x100c);
        });
        let out = run_pass(StateForwarding, block);
        assert_eq!((gets(&out), sets(&out)), (2, 2));
        assert_eq!(
            main_text(&out),
            "  v0 = get_state.i64 8\n  v1 = get_state.i64 16\n  v2 = add.i64 v0, v1\n  mark 0x1004\n  \
             v3 = const.i64 1\n  v4 = add.i64 v2, v3\n  set_state 24, v4\n  mark 0x1008\n  v5 = sub.i64 v4, v0\n  \
             set_state 8, v5\n  v6 = const.i64 0x100c\n  exit v6\n"
        );
    }

    #[test]
    fn partial_overlaps_and_other_types_are_not_forwarded() {
        let block = BlockBuilder::new(0).main(|m| {
            let x = m.get_state(I64, 0);
            m.set_state(8, x);
            let b = m.iconst(I8, 0x5a);
            m.set_state(9, b); // overwrites byte 1 of the slot at 8
            let y = m.get_state(I64, 8); // must be read
            let f = m.get_state(F64, 0); // same bytes as x, other type: read
            m.set_state(16, y);
            m.set_state(24, f);
            m.exit_const(0);
        });
        let out = run_pass(StateForwarding, block);
        assert_eq!((gets(&out), sets(&out)), (3, 4));
    }

    #[test]
    fn sets_observed_by_possible_exits_stay() {
        // Between two sets of slot 0: a load or a store (either may fault), or nothing.
        for what in 0..3 {
            let block = BlockBuilder::new(0).main(|m| {
                let a = m.get_state(I64, 8);
                let addr = m.get_state(I64, 16);
                m.set_state(0, a);
                match what {
                    0 => {
                        let v = m.load(I8, 1, false, addr);
                        m.set_state(32, v);
                    }
                    1 => m.store(1, addr, a),
                    _ => {}
                }
                let z = m.iconst(I64, 7);
                m.set_state(0, z);
                m.exit_const(0);
            });
            let out = run_pass(StateForwarding, block);
            assert_eq!(sets(&out), [3, 2, 1][what], "case {what}");
        }
        // A set in a loop body is seen by the back edge's fuel exit, however it is overwritten.
        let block = BlockBuilder::new(0).main(|m| {
            let (head, done) = (m.new_label(), m.new_label());
            m.bind(head);
            let a = m.get_state(I64, 8);
            m.set_state(0, a);
            m.brif(a, head, done);
            m.bind(done);
            let z = m.iconst(I64, 7);
            m.set_state(0, z);
            m.exit_const(0);
        });
        assert_eq!(sets(&run_pass(StateForwarding, block)), 2);
    }

    #[test]
    fn overwritten_set_is_dropped_and_covering_needs_every_byte() {
        let block = BlockBuilder::new(0).main(|m| {
            let x = m.get_state(I64, 0);
            m.set_state(8, x); // dead: bytes 8..12 and 12..16 overwritten below
            let lo = m.trunc(I32, x);
            m.set_state(8, lo);
            m.set_state(12, lo);
            let h = m.trunc(I16, x);
            m.set_state(32, x); // not dead: only bytes 32..34 overwritten
            m.set_state(32, h);
            m.exit_const(0);
        });
        let out = run_pass(StateForwarding, block);
        assert_eq!(sets(&out), 4);
    }

    #[test]
    fn calls_are_barriers_by_what_the_helper_does() {
        let mut bb = BlockBuilder::new(0);
        // fn 0 writes slot 8; fn 1 only computes; fn 2 loads (can fault).
        let writes = bb.func(&[I64], None, |f| {
            f.set_state(8, f.param(0));
            f.ret(None);
        });
        let pure = bb.func(&[I64], Some(I64), |f| {
            let r = f.add(f.param(0), f.param(0));
            f.ret(Some(r));
        });
        let loads = bb.func(&[I64], Some(I64), |f| {
            let r = f.load(I64, 8, false, f.param(0));
            f.ret(Some(r));
        });
        let block = bb.main(|m| {
            let a = m.get_state(I64, 8);
            let b = m.get_state(I64, 16);
            m.set_state(0, a); // dead: overwritten after a call that cannot exit
            let r = m.call(pure, &[a]).unwrap();
            m.set_state(0, r); // stays: fn 2 can fault
            m.call(loads, &[b]);
            m.call(writes, &[b]);
            let a2 = m.get_state(I64, 8); // fn 0 wrote slot 8: read again
            let b2 = m.get_state(I64, 16); // forwarded
            let s = m.add(a2, b2);
            m.set_state(0, s);
            m.exit_const(0);
        });
        let out = run_pass(StateForwarding, block);
        assert_eq!((gets(&out), sets(&out)), (3, 2));
    }

    #[test]
    fn forwarding_continues_into_every_block_with_one_earlier_predecessor() {
        // entry: slot 4 = x; brif → t (next to it) or e. t sets slot 4 to y1 = x + 1 and branches
        // to j or e. e has two predecessors (entry, t): it reads slot 4 again. j, laid out after
        // e, has t as its only predecessor: it reuses y1, not x.
        let block = BlockBuilder::new(0).main(|m| {
            let (t, e, j) = (m.new_label(), m.new_label(), m.new_label());
            let x = m.get_state(I32, 0);
            m.set_state(4, x);
            m.brif(x, t, e);
            m.bind(t);
            let y = m.get_state(I32, 4); // forwarded: x
            let one = m.iconst(I32, 1);
            let y1 = m.add(y, one);
            m.set_state(4, y1);
            m.brif(y1, j, e);
            m.bind(e);
            let z = m.get_state(I32, 4); // two predecessors (entry, t): read
            m.set_state(12, z);
            m.exit_const(2);
            m.bind(j);
            let w = m.get_state(I32, 4); // one earlier predecessor (t, not next to it): y1
            m.set_state(8, w);
            m.exit_const(1);
        });
        let out = run_pass(StateForwarding, block);
        assert_eq!(gets(&out), 2, "{}", main_text(&out)); // x and z
        let text = main_text(&out);
        assert!(text.contains("L2:\n  set_state 8, v2\n"), "{text}"); // w is y1 (v2)
    }

    #[test]
    fn an_arm_laid_out_after_the_other_inherits_the_branch_facts() {
        // A guest branch whose taken side exits: the fall-through arm comes second in layout.
        let block = BlockBuilder::new(0).main(|m| {
            let (taken, fall) = (m.new_label(), m.new_label());
            let x = m.get_state(I64, 0);
            let _sp = m.get_state(I64, 16); // read here, forwarded below
            m.set_state(8, x);
            m.brif(x, taken, fall);
            m.bind(taken);
            m.exit_const(1);
            m.bind(fall);
            let a = m.get_state(I64, 8); // x
            let b = m.get_state(I64, 16); // sp
            let s = m.add(a, b);
            m.set_state(24, s);
            m.exit_const(2);
        });
        let out = run_pass(StateForwarding, block);
        assert_eq!(gets(&out), 2, "{}", main_text(&out));
    }

    #[test]
    fn only_what_the_predecessor_itself_established_skips_ahead() {
        // entry reads slot 0 and falls into B; B reads slot 8 and branches, its fall-through arm
        // laid out after the exit arm. That arm reuses slot 8 (read in B) but reads slot 0 again:
        // carrying the entry's value past B would keep it alive across B for nothing but this.
        let block = BlockBuilder::new(0).main(|m| {
            let (b, taken, fall) = (m.new_label(), m.new_label(), m.new_label());
            let x = m.get_state(I64, 0);
            m.set_state(16, x);
            m.bind(b);
            let y = m.get_state(I64, 8);
            let x_again = m.get_state(I64, 0); // B continues the entry: forwarded
            let s = m.add(x_again, y);
            m.brif(s, taken, fall);
            m.bind(taken);
            m.exit_const(1);
            m.bind(fall);
            let y2 = m.get_state(I64, 8); // forwarded: B read it
            let x2 = m.get_state(I64, 0); // read again
            let t = m.add(x2, y2);
            m.set_state(24, t);
            m.exit_const(2);
        });
        let out = run_pass(StateForwarding, block);
        let text = main_text(&out);
        assert_eq!(gets(&out), 3, "{text}"); // x, y, x2
        assert!(text.contains("L2:\n  v4 = get_state.i64 0\n  v5 = add.i64 v4, v1\n"), "{text}");
    }

    #[test]
    fn a_branch_whose_arms_are_one_later_block_still_hands_on_its_facts() {
        // `brif c, L, L` with an unreachable block between: L's only predecessor is the entry.
        let block = BlockBuilder::new(0).main(|m| {
            let (x_label, l) = (m.new_label(), m.new_label());
            let x = m.get_state(I64, 0);
            m.set_state(8, x);
            m.brif(x, l, l);
            m.bind(x_label);
            m.exit_const(9);
            m.bind(l);
            let y = m.get_state(I64, 8); // x
            m.set_state(16, y);
            m.exit_const(1);
        });
        let out = run_pass(StateForwarding, block);
        assert_eq!(gets(&out), 1, "{}", main_text(&out));
    }

    #[test]
    fn a_block_whose_only_predecessor_comes_later_starts_knowing_nothing() {
        // L1 is reached only from L2, laid out after it: L2's value is defined later in op order.
        let block = BlockBuilder::new(0).main(|m| {
            let (l1, l2) = (m.new_label(), m.new_label());
            m.jump(l2);
            m.bind(l1);
            let y = m.get_state(I64, 8); // read: nothing carried backwards
            m.set_state(16, y);
            m.exit_const(1);
            m.bind(l2);
            let x = m.get_state(I64, 0);
            m.set_state(8, x);
            m.jump(l1);
        });
        let out = run_pass(StateForwarding, block);
        assert_eq!(gets(&out), 2, "{}", main_text(&out));
    }
}

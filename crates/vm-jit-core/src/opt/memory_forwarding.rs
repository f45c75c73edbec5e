//! Store-to-load and load-to-load forwarding of guest memory.
//!
//! Loads are expensive in compiled code (a bounds check, a branch to the fault exit, the access)
//! and can fault, so they may only go where the result and the fault behaviour are provably
//! unchanged. One forward walk per body along straight-line code (a basic block, continued into
//! the next block when it is that block's only predecessor, and into any later block it is the
//! only predecessor of with what it established itself) records *known bytes*: after a
//! `store.W addr, v`, the `W` bytes at `addr` are the low `W` bytes of `v`; after a `load.W`, the
//! `W` bytes at `addr` are the low `W` bytes of the loaded value.
//!
//! **Addresses** are understood as `base + offset`: a constant is `0 + c`, `add x, c` / `add c,
//! x` / `sub x, c` (i64, wrapping, nested) is `base(x) + offset(x) ± c`, anything else is
//! `itself + 0`. Two addresses with the same base differ by a known amount; with different bases
//! nothing is known (they may be equal).
//!
//! **Forwarding.** A later load of `w` bytes that lie within known bytes — same base, offset `d`
//! bytes into them, `d + w ≤ W` — is replaced by the known value shifted right by `8d` bits and
//! truncated and extended exactly as the load would have: `bitcast` (a float's bits), `ushr`,
//! `trunc` to `w` bytes, then `zext`/`sext` (or `bitcast` to a float) to the load's type; only
//! the steps that change something are emitted, and a load exactly like an earlier one just
//! reuses its value. The earlier access ran on every path to the load and did not fault (else
//! the block would have exited); the load's bytes lie inside it (no wrap-around: the earlier
//! range ended at most at the memory's size), so the load could not have faulted either.
//!
//! **Forgetting.** A store forgets the known bytes it may overlap: all of them, except ranges
//! with the same base that are disjoint from it. A call to a helper that stores (directly or
//! through its callees) forgets everything, and so does the start of a block with several
//! predecessors, a later one, or none. Loads, state accesses and everything else leave memory alone.
//!
//! Stores are never removed (a dead store could still fault), and neither are loads that have
//! no earlier access to forward from.

use super::util::{helper_effects, int_type, per_body, Inherited, Rewriter};
use crate::ir::cfg::Cfg;
use crate::ir::*;

pub fn run(vb: &VerifiedBlock) -> VerifiedBlock {
    let effects = helper_effects(vb);
    per_body(vb, |vb, body, info, params, main| {
        let cfg = Cfg::build(body, &info.label_pos);
        let forward = analyse(body, info, &cfg, &effects, params.len());
        if forward.iter().all(|f| f.is_none()) {
            return (body.clone(), info.clone());
        }
        let mut rw = Rewriter::new(body, info, params.len(), main, vb.block.pc);
        for (i, op) in body.ops.iter().enumerate() {
            match (op, forward[i]) {
                (Op::Load { ty, width, signed, .. }, Some(f)) => {
                    let old = info.op_value[i].expect("load defines a value");
                    let v = rw.value(f.value);
                    let nv = if f.exact {
                        v
                    } else {
                        extract(&mut rw, info.marks[i], v, f.shift, *ty, *width as u32, *signed)
                    };
                    rw.alias(old, nv);
                }
                _ => {
                    rw.copy(info, i, op);
                }
            }
        }
        rw.finish()
    })
}

/// The value a `load.w` of type `ty` returns when memory holds the bytes of `v` from byte
/// `shift` on.
fn extract(rw: &mut Rewriter, mark: u64, v: Value, shift: u32, ty: Type, w: u32, signed: bool) -> Value {
    let mut x = v;
    let mut xt = rw.ty(x);
    if xt == ty && w == ty.bytes() && shift == 0 {
        return x;
    }
    let op = |rw: &mut Rewriter, op: Op, t: Type| rw.push(op, Some(t), mark).expect("defines a value");
    if xt.is_float() {
        let it = int_type(xt.bytes());
        x = op(rw, Op::Bitcast { ty: it, a: x }, it);
        xt = it;
    }
    if shift > 0 {
        let amount = op(rw, Op::Const { ty: xt, bits: shift as u64 * 8 }, xt);
        x = op(rw, Op::IntBin { op: IntBinOp::Ushr, a: x, b: amount }, xt);
    }
    if w < xt.bytes() {
        let it = int_type(w);
        x = op(rw, Op::Ext { kind: ExtKind::Trunc, ty: it, a: x }, it);
    }
    if ty.is_float() {
        // float loads read their full width: w == ty.bytes()
        x = op(rw, Op::Bitcast { ty, a: x }, ty);
    } else if ty.bytes() > w {
        let kind = if signed { ExtKind::Sext } else { ExtKind::Zext };
        x = op(rw, Op::Ext { kind, ty, a: x }, ty);
    }
    x
}

/// An address: `base + off` (wrapping), where `base` is an SSA value (old id) or `None` for 0.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct Addr {
    base: Option<Value>,
    off: u64,
}

/// `width` bytes at `addr` are the low bytes of `value` (old id). For a load: `load` is its
/// `(type, signed)`, so that the same load again is exactly its value.
#[derive(Clone, Copy)]
struct Known {
    addr: Addr,
    width: u32,
    value: Value,
    load: Option<(Type, bool)>,
    /// The basic block where this became known.
    block: u32,
}

/// A load to forward: from the bytes of `value` starting at byte `shift`; `exact` when `value`
/// already is the load's result.
#[derive(Clone, Copy)]
struct Forward {
    value: Value,
    shift: u32,
    exact: bool,
}

/// May the `aw` bytes at `a` and the `bw` bytes at `b` share a byte?
fn may_overlap(a: Addr, aw: u32, b: Addr, bw: u32) -> bool {
    if a.base != b.base {
        return true;
    }
    // b.off - a.off < aw, or a.off - b.off < bw (mod 2^64)
    b.off.wrapping_sub(a.off) < aw as u64 || a.off.wrapping_sub(b.off) < bw as u64
}

/// Known ranges tracked at once (the walk is linear in this; forgetting is always safe).
const MAX_TRACKED: usize = 128;

fn remember(known: &mut Vec<Known>, k: Known) {
    if known.len() >= MAX_TRACKED {
        known.remove(0);
    }
    known.push(k);
}

/// For each load that can be forwarded: where from.
fn analyse(
    body: &Body,
    info: &BodyInfo,
    cfg: &Cfg,
    effects: &[super::util::Effects],
    nparams: usize,
) -> Vec<Option<Forward>> {
    // Every i64 value as base + offset (parameters are their own base).
    let nvals = info.value_types.len();
    let mut addr: Vec<Addr> = (0..nvals as Value).map(|v| Addr { base: Some(v), off: 0 }).collect();
    let mut konst: Vec<Option<u64>> = vec![None; nvals];
    for (i, op) in body.ops.iter().enumerate() {
        let Some(v) = info.op_value[i] else { continue };
        if (v as usize) < nparams || info.value_types[v as usize] != Type::I64 {
            continue;
        }
        match *op {
            Op::Const { bits, .. } => {
                konst[v as usize] = Some(bits);
                addr[v as usize] = Addr { base: None, off: bits };
            }
            Op::IntBin { op: IntBinOp::Add, a, b } => match (konst[a as usize], konst[b as usize]) {
                (_, Some(c)) => {
                    addr[v as usize] = Addr { off: addr[a as usize].off.wrapping_add(c), ..addr[a as usize] }
                }
                (Some(c), _) => {
                    addr[v as usize] = Addr { off: addr[b as usize].off.wrapping_add(c), ..addr[b as usize] }
                }
                _ => {}
            },
            Op::IntBin { op: IntBinOp::Sub, a, b } => {
                if let Some(c) = konst[b as usize] {
                    addr[v as usize] = Addr { off: addr[a as usize].off.wrapping_sub(c), ..addr[a as usize] };
                }
            }
            _ => {}
        }
    }
    let mut forward = vec![None; body.ops.len()];
    let mut known: Vec<Known> = Vec::new();
    let mut inherited = Inherited::new(cfg);
    for b in 0..cfg.num_blocks() as u32 {
        inherited.enter(cfg, b, &mut known);
        for i in cfg.block_ops(b) {
            match &body.ops[i] {
                Op::Load { ty, width, signed, addr: a } => {
                    let (a, w) = (addr[*a as usize], *width as u32);
                    let exact = |k: &Known| k.addr == a && k.width == w && k.load == Some((*ty, *signed));
                    // the most recent known range that holds all the load's bytes
                    let within = |k: &Known| {
                        let d = a.off.wrapping_sub(k.addr.off);
                        k.addr.base == a.base && d < k.width as u64 && d + w as u64 <= k.width as u64
                    };
                    if let Some(k) = known.iter().find(|k| exact(k)) {
                        forward[i] = Some(Forward { value: k.value, shift: 0, exact: true });
                    } else if let Some(k) = known.iter().rev().find(|k| within(k)) {
                        let shift = a.off.wrapping_sub(k.addr.off) as u32;
                        forward[i] = Some(Forward { value: k.value, shift, exact: false });
                    } else {
                        let v = info.op_value[i].expect("load defines a value");
                        remember(
                            &mut known,
                            Known { addr: a, width: w, value: v, load: Some((*ty, *signed)), block: b },
                        );
                    }
                }
                Op::Store { width, addr: a, value } => {
                    let (a, w) = (addr[*a as usize], *width as u32);
                    known.retain(|k| !may_overlap(k.addr, k.width, a, w));
                    remember(&mut known, Known { addr: a, width: w, value: *value, load: None, block: b });
                }
                Op::Call { func, .. } if effects[*func as usize].writes_memory => known.clear(),
                _ => {}
            }
        }
        inherited.leave(cfg, b, &known, |k| k.block == b);
    }
    forward
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use super::super::OptimizationPass::MemoryForwarding;
    use crate::ir::Type::*;
    use crate::ir::*;
    use crate::testing::BlockBuilder;

    fn loads(vb: &VerifiedBlock) -> usize {
        count_main(vb, |op| matches!(op, Op::Load { .. }))
    }

    #[test]
    fn store_then_load_same_address_value() {
        let block = BlockBuilder::new(0).main(|m| {
            let a = m.get_state(I64, 0);
            let x = m.get_state(I64, 8);
            m.store(8, a, x);
            let y = m.load(I64, 8, false, a);
            let z = m.load(I64, 8, false, a);
            let s = m.add(y, z);
            m.set_state(16, s);
            m.exit_const(0);
        });
        let out = run_pass(MemoryForwarding, block);
        assert_eq!(loads(&out), 0);
        assert!(main_text(&out).contains("v2 = add.i64 v1, v1"), "{}", main_text(&out));
    }

    #[test]
    fn narrower_loads_truncate_and_extend_like_the_load() {
        for (ty, w, signed) in [(I64, 4, true), (I64, 4, false), (I32, 1, true), (I16, 2, false), (I8, 1, false)] {
            let block = BlockBuilder::new(0).main(|m| {
                let a = m.iconst(I64, 40);
                let x = m.get_state(I64, 8);
                m.store(8, a, x);
                let a2 = m.iconst(I64, 40); // another value, same constant address
                let y = m.load(ty, w, signed, a2);
                m.set_state(16, y);
                m.exit_const(0);
            });
            let out = run_pass(MemoryForwarding, block);
            assert_eq!(loads(&out), 0, "{ty} {w} {signed}");
        }
    }

    #[test]
    fn floats_forward_through_bitcasts_with_nan_payloads_intact() {
        let block = BlockBuilder::new(0).main(|m| {
            let a = m.iconst(I64, 16);
            let x = m.get_state(F32, 4);
            m.store(4, a, x);
            let f = m.load(F32, 4, false, a);
            let i = m.load(I64, 4, true, a);
            let h = m.load(I16, 2, false, a);
            m.set_state(8, f);
            m.set_state(16, i);
            m.set_state(24, h);
            m.exit_const(0);
        });
        let out = run_pass(MemoryForwarding, block);
        assert_eq!(loads(&out), 0);
    }

    /// RISC-V-style stack accesses: `sd x5, 8(sp)`, `sw x6, 0(sp)`, `lw x7, 12(sp)`, `ld x8, 8(sp)`.
    #[test]
    fn base_plus_offset_addresses() {
        let block = BlockBuilder::new(0).main(|m| {
            let sp = m.get_state(I64, 16);
            let x5 = m.get_state(I64, 40);
            let x6 = m.get_state(I32, 48);
            let c8 = m.iconst(I64, 8);
            let a8 = m.add(sp, c8);
            m.store(8, a8, x5);
            m.store(4, sp, x6); // disjoint from [sp+8, sp+16)
            let c12 = m.iconst(I64, 12);
            let a12 = m.add(c12, sp);
            let x7 = m.load(I64, 4, true, a12); // the high half of x5, sign-extended
            let c4 = m.iconst(I64, 4);
            let a8b = m.add(a8, c4);
            let m4 = m.sub(a8b, c4); // sp + 8 again
            let x8 = m.load(I64, 8, false, m4);
            let b3 = m.load(I8, 1, false, sp); // byte 0 of x6... through sp + 0
            m.set_state(56, x7);
            m.set_state(64, x8);
            m.set_state(72, b3);
            m.exit_const(0);
        });
        let out = run_pass(MemoryForwarding, block);
        assert_eq!(loads(&out), 0, "{}", main_text(&out));
    }

    #[test]
    fn writes_that_may_alias_forget_what_is_known() {
        let block = BlockBuilder::new(0).main(|m| {
            let a = m.get_state(I64, 0);
            let b = m.get_state(I64, 8);
            let x = m.load(I32, 4, false, a);
            m.store(1, b, x); // b may equal a + k
            let y = m.load(I32, 4, false, a); // stays
            let c = m.iconst(I64, 100);
            m.store(4, c, y);
            let d = m.iconst(I64, 104);
            m.store(4, d, x); // disjoint from [100, 104)
            let z = m.load(I32, 4, false, c); // forwarded: y
            let e = m.iconst(I64, 102);
            m.store(2, e, x); // overlaps [100, 104)
            let u = m.load(I32, 4, false, c); // stays
            let s = m.add(z, u);
            m.set_state(16, s);
            m.exit_const(0);
        });
        let out = run_pass(MemoryForwarding, block);
        assert_eq!(loads(&out), 3);
    }

    #[test]
    fn first_access_may_fault_so_it_stays() {
        // The first load faults (address past the end); the second is forwarded from it — and is
        // never reached. Memory is 256 bytes in the test inputs.
        let block = BlockBuilder::new(0).main(|m| {
            let a = m.get_state(I64, 0);
            let x = m.load(I64, 8, false, a);
            let y = m.load(I64, 8, false, a);
            let s = m.add(x, y);
            m.set_state(8, s);
            m.exit_const(0);
        });
        let out = run_pass(MemoryForwarding, block);
        assert_eq!(loads(&out), 1);
    }

    #[test]
    fn helper_stores_forget_helper_loads_do_not() {
        let mut bb = BlockBuilder::new(0);
        let st = bb.func(&[I64], None, |f| {
            let z = f.iconst(I8, 0);
            f.store(1, f.param(0), z);
            f.ret(None);
        });
        let ld = bb.func(&[I64], Some(I8), |f| {
            let v = f.load(I8, 1, false, f.param(0));
            f.ret(Some(v));
        });
        let block = bb.main(|m| {
            let a = m.iconst(I64, 8);
            let x = m.load(I8, 1, false, a);
            m.call(ld, &[a]);
            let y = m.load(I8, 1, false, a); // forwarded
            m.call(st, &[a]);
            let z = m.load(I8, 1, false, a); // stays
            m.set_state(0, x);
            m.set_state(1, y);
            m.set_state(2, z);
            m.exit_const(0);
        });
        let out = run_pass(MemoryForwarding, block);
        assert_eq!(loads(&out), 2);
    }

    #[test]
    fn an_arm_laid_out_after_the_other_inherits_known_bytes_a_join_does_not() {
        // entry stores x at a; the taken arm stores something else there and branches to the
        // join (which also the entry reaches); the fall-through arm, laid out after the taken
        // one, has the entry as its only predecessor: its load is x.
        let block = BlockBuilder::new(0).main(|m| {
            let (taken, fall, join) = (m.new_label(), m.new_label(), m.new_label());
            let a = m.get_state(I64, 0);
            let x = m.get_state(I64, 8);
            m.store(8, a, x);
            m.brif(x, taken, fall);
            m.bind(taken);
            let one = m.iconst(I64, 1);
            m.store(8, a, one);
            m.jump(join);
            m.bind(fall);
            let y = m.load(I64, 8, false, a); // forwarded: x
            m.set_state(16, y);
            m.brif(y, join, join);
            m.bind(join);
            let z = m.load(I64, 8, false, a); // two predecessors: stays
            m.set_state(24, z);
            m.exit_const(0);
        });
        let out = run_pass(MemoryForwarding, block);
        let text = main_text(&out);
        assert_eq!(loads(&out), 1, "{text}");
        // the entry's x (v1), not the taken arm's `one`
        assert!(text.contains("L1:\n  set_state 16, v1\n"), "{text}");
    }
}

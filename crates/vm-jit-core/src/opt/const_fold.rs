//! Constant folding and algebraic simplification.
//!
//! One forward walk over each body, in op order:
//!
//! - **Folding.** An op whose operands are all constants becomes a constant, computed by the
//!   interpreter's own functions (`interp::int_ops`, `interp::float_ops`) — so the result is the
//!   interpreter's to the bit, NaN canonicalisation included. Float arithmetic is folded only on
//!   constants; no float identity (`x + 0.0`, `x * 1.0`…) is applied, because each of them
//!   changes the sign of a zero or the bits of a NaN somewhere.
//! - **Identities** on integers: `x+0 x-0 x*1 x/1 x|0 x^0 x&-1 x<<0`… → `x`; `x*0 x&0 x-x x^x
//!   x%1`… → `0`; `x|-1` → `-1`; `icmp` of a value with itself; `select` with a constant
//!   condition or equal arms; `trunc` of an extension, extension of an extension of the same
//!   kind; `bitcast` of a `bitcast` and `fneg` of an `fneg` (pure bit operations).
//! - **Strength reduction**: `x * 3`, `x * 5`, `x * 9` → `(x << k) + x` (one `lea` on x64, one
//!   shifted `add` on aarch64, where Cranelift would emit a 3-cycle multiply; `shift_add`).
//! - **Branches.** `brif` on a constant, or with both targets equal, becomes a `jump` at the same
//!   place to the taken label, so a back edge stays a back edge (fuel is unchanged) and the other
//!   target may become unreachable (DCE removes it).
//! - **Locals.** A `local_get` whose reaching definition is a `local_set` of a constant in the
//!   same straight-line run of blocks (a block continues the previous one when that one is its
//!   only predecessor) is that constant; so is a `local_get` before any `local_set` of the local
//!   in the straight-line run that starts the body (locals start at zero), if nothing branches
//!   back to the start. Helpers cannot touch the caller's locals, so calls do not interfere.
//! - **Constants** are shared: a constant equal to one already defined in the same block or in a
//!   dominating block (earlier in op order) reuses it.
//!
//! Nothing that can fault (loads, stores) or has effects (calls, state writes) is removed here;
//! ops made unused are left for dead-code elimination.

use std::collections::HashMap;

use super::util::{inherits, per_body, Rewriter, NO_VALUE};
use crate::interp::{float_ops, int_ops};
use crate::ir::cfg::Cfg;
use crate::ir::*;

pub fn run(vb: &VerifiedBlock) -> VerifiedBlock {
    per_body(vb, |vb, body, info, params, main| fold_body(vb.block.pc, body, info, params.len(), main))
}

/// What to do with an op.
enum Fold {
    /// Its value is this constant.
    Const(u64),
    /// Its value is this (new) value.
    Alias(Value),
    /// Replace it by this op (operands are new values).
    Op(Op),
    /// It is `x * (2^k + 1)`: replace it by `(x << k) + x`.
    ShiftAdd(Value, u32),
    /// Keep it (with mapped operands).
    Keep,
}

struct Folder<'a> {
    rw: Rewriter,
    info: &'a BodyInfo,
    cfg: Cfg,
    /// Constant bits of each new value, if it is a constant.
    konst: Vec<Option<u64>>,
    /// (type, bits) → (new value, old block, old op index) of a constant already emitted.
    consts: HashMap<(Type, u64), (Value, u32, usize)>,
    /// Per local: the run (`generation`) in which `local_val` was recorded.
    local_gen: Vec<u32>,
    /// Per local: the constant (new value) it holds, or `NO_VALUE` for "set to something else".
    local_val: Vec<Value>,
    generation: u32,
    /// In the straight-line run starting the body: unset locals are zero.
    entry_run: bool,
    local_types: Vec<Type>,
}

fn fold_body(pc: u64, body: &Body, info: &BodyInfo, nparams: usize, main: bool) -> (Body, BodyInfo) {
    let cfg = Cfg::build(body, &info.label_pos);
    let nlocals = body.locals.len();
    let mut f = Folder {
        rw: Rewriter::new(body, info, nparams, main, pc),
        info,
        cfg,
        konst: Vec::new(),
        consts: HashMap::new(),
        local_gen: vec![0; nlocals],
        local_val: vec![NO_VALUE; nlocals],
        generation: 0,
        entry_run: false,
        local_types: body.locals.clone(),
    };
    f.konst.resize(nparams, None);
    for b in 0..f.cfg.num_blocks() as u32 {
        if !inherits(&f.cfg, b) {
            f.generation += 1;
            f.entry_run = b == 0 && f.cfg.preds[0].is_empty();
        }
        for i in f.cfg.block_ops(b) {
            f.op(b, i, &body.ops[i]);
        }
    }
    f.rw.finish()
}

impl Folder<'_> {
    fn push(&mut self, i: usize, op: Op) -> Option<Value> {
        let v = self.rw.push_for(self.info, i, op);
        if let Some(v) = v {
            self.konst.resize(v as usize + 1, None);
            if let Op::Const { bits, .. } = self.rw.def(v).expect("just pushed") {
                self.konst[v as usize] = Some(*bits);
            }
        }
        v
    }

    /// A (new) value holding constant `bits` of type `ty`, usable at old op `i` in block `b`.
    fn constant(&mut self, b: u32, i: usize, ty: Type, bits: u64) -> Value {
        if let Some(&(v, db, di)) = self.consts.get(&(ty, bits)) {
            if db == b || (di < i && self.cfg.dominates(db, b)) {
                return v;
            }
        }
        let v = self.rw.push(Op::Const { ty, bits }, Some(ty), self.info.marks[i]).expect("a const defines a value");
        self.konst.resize(v as usize + 1, None);
        self.konst[v as usize] = Some(bits);
        self.consts.insert((ty, bits), (v, b, i));
        v
    }

    fn k(&self, v: Value) -> Option<u64> {
        self.konst[v as usize]
    }

    fn op(&mut self, b: u32, i: usize, op: &Op) {
        let old_value = self.info.op_value[i];
        match op {
            Op::Const { ty, bits } => {
                let v = self.constant(b, i, *ty, *bits);
                self.rw.alias(old_value.expect("const"), v);
                return;
            }
            Op::LocalSet { local, value } => {
                let v = self.rw.value(*value);
                self.local_gen[*local as usize] = self.generation;
                self.local_val[*local as usize] = if self.k(v).is_some() { v } else { NO_VALUE };
                self.push(i, Op::LocalSet { local: *local, value: v });
                return;
            }
            Op::LocalGet { local } => {
                let l = *local as usize;
                let known = if self.local_gen[l] == self.generation {
                    Some(self.local_val[l]).filter(|v| *v != NO_VALUE)
                } else if self.entry_run {
                    let ty = self.local_types[l];
                    Some(self.constant(b, i, ty, 0))
                } else {
                    None
                };
                match known {
                    Some(v) => self.rw.alias(old_value.expect("local_get"), v),
                    None => {
                        self.push(i, op.clone());
                    }
                }
                return;
            }
            _ => {}
        }
        let new = super::util::map_values(op, |v| self.rw.value(v));
        match self.fold(&new) {
            Fold::Const(bits) => {
                let ty = self.info.value_types[old_value.expect("a folded op defines a value") as usize];
                let v = self.constant(b, i, ty, bits);
                self.rw.alias(old_value.expect("folded"), v);
            }
            Fold::Alias(v) => self.rw.alias(old_value.expect("aliased op defines a value"), v),
            Fold::Op(o) => {
                self.push(i, o);
            }
            Fold::ShiftAdd(x, k) => {
                let t = self.rw.ty(x);
                let amount = self.constant(b, i, t, k as u64);
                let shl = Op::IntBin { op: IntBinOp::Shl, a: x, b: amount };
                let s = self.rw.push(shl, Some(t), self.info.marks[i]).expect("shl defines a value");
                self.konst.resize(s as usize + 1, None);
                self.push(i, Op::IntBin { op: IntBinOp::Add, a: s, b: x });
            }
            Fold::Keep => {
                self.push(i, new);
            }
        }
    }

    fn fold(&self, op: &Op) -> Fold {
        let k = |v: Value| self.k(v);
        let ty = |v: Value| self.rw.ty(v);
        match *op {
            Op::IntBin { op: bop, a, b } => {
                let t = ty(a);
                match (k(a), k(b)) {
                    (Some(x), Some(y)) => Fold::Const(int_ops::bin(bop, t, x, y)),
                    (ka, kb) => int_identity(bop, t, a, b, ka, kb),
                }
            }
            Op::IntUn { op: uop, a } => match k(a) {
                Some(x) => Fold::Const(int_ops::un(uop, ty(a), x)),
                None => Fold::Keep,
            },
            Op::Icmp { cc, a, b } => match (k(a), k(b)) {
                (Some(x), Some(y)) => Fold::Const(int_ops::icmp(cc, ty(a), x, y) as u64),
                _ if a == b => {
                    Fold::Const(matches!(cc, IntCC::Eq | IntCC::Sle | IntCC::Sge | IntCC::Ule | IntCC::Uge) as u64)
                }
                (_, Some(0)) if cc == IntCC::Ult => Fold::Const(0),
                (_, Some(0)) if cc == IntCC::Uge => Fold::Const(1),
                _ => Fold::Keep,
            },
            Op::Select { cond, a, b } => match k(cond) {
                Some(c) => Fold::Alias(if c != 0 { a } else { b }),
                None if a == b => Fold::Alias(a),
                None => Fold::Keep,
            },
            Op::Ext { kind, ty: to, a } => {
                let from = ty(a);
                if let Some(x) = k(a) {
                    return Fold::Const(match kind {
                        ExtKind::Zext => x,
                        ExtKind::Sext => int_ops::sext(x, from.bits()) as u64 & to.mask(),
                        ExtKind::Trunc => x & to.mask(),
                    });
                }
                match (kind, self.rw.def(a)) {
                    // trunc(ext(x)): x itself, or x truncated / extended less far.
                    (ExtKind::Trunc, Some(&Op::Ext { kind: inner @ (ExtKind::Zext | ExtKind::Sext), a: x, .. })) => {
                        let tx = ty(x);
                        if to == tx {
                            Fold::Alias(x)
                        } else if to.bits() < tx.bits() {
                            Fold::Op(Op::Ext { kind: ExtKind::Trunc, ty: to, a: x })
                        } else {
                            Fold::Op(Op::Ext { kind: inner, ty: to, a: x })
                        }
                    }
                    (ExtKind::Trunc, Some(&Op::Ext { kind: ExtKind::Trunc, a: x, .. })) => {
                        Fold::Op(Op::Ext { kind: ExtKind::Trunc, ty: to, a: x })
                    }
                    (ExtKind::Zext, Some(&Op::Ext { kind: ExtKind::Zext, a: x, .. })) => {
                        Fold::Op(Op::Ext { kind: ExtKind::Zext, ty: to, a: x })
                    }
                    // sext of a value whose top bit is clear (zext) is zext.
                    (ExtKind::Sext, Some(&Op::Ext { kind: inner @ (ExtKind::Zext | ExtKind::Sext), a: x, .. })) => {
                        Fold::Op(Op::Ext { kind: inner, ty: to, a: x })
                    }
                    _ => Fold::Keep,
                }
            }
            Op::FloatBin { op: fop, a, b } => match (k(a), k(b)) {
                (Some(x), Some(y)) => Fold::Const(float_ops::bin(fop, ty(a), x, y)),
                _ => Fold::Keep,
            },
            Op::FloatUn { op: fop, a } => match (k(a), self.rw.def(a)) {
                (Some(x), _) => Fold::Const(float_ops::un(fop, ty(a), x)),
                (None, Some(&Op::FloatUn { op: FloatUnOp::Fneg, a: x })) if fop == FloatUnOp::Fneg => Fold::Alias(x),
                _ => Fold::Keep,
            },
            Op::Fma { a, b, c } => match (k(a), k(b), k(c)) {
                (Some(x), Some(y), Some(z)) => Fold::Const(float_ops::fma(ty(a), x, y, z)),
                _ => Fold::Keep,
            },
            Op::Fcmp { cc, a, b } => match (k(a), k(b)) {
                (Some(x), Some(y)) => Fold::Const(float_ops::fcmp(cc, ty(a), x, y) as u64),
                _ => Fold::Keep,
            },
            Op::FcvtToInt { ty: to, signed, a } => match k(a) {
                Some(x) => Fold::Const(float_ops::to_int(ty(a), to, signed, x)),
                None => Fold::Keep,
            },
            Op::FcvtFromInt { ty: to, signed, a } => match k(a) {
                Some(x) => Fold::Const(float_ops::from_int(ty(a), to, signed, x)),
                None => Fold::Keep,
            },
            Op::Fpromote { a } => match k(a) {
                Some(x) => Fold::Const(float_ops::promote(x)),
                None => Fold::Keep,
            },
            Op::Fdemote { a } => match k(a) {
                Some(x) => Fold::Const(float_ops::demote(x)),
                None => Fold::Keep,
            },
            Op::Bitcast { a, .. } => match (k(a), self.rw.def(a)) {
                (Some(x), _) => Fold::Const(x),
                (None, Some(&Op::Bitcast { a: x, .. })) => Fold::Alias(x),
                _ => Fold::Keep,
            },
            Op::Brif { cond, then_label, else_label } => match k(cond) {
                Some(c) => Fold::Op(Op::Jump { label: if c != 0 { then_label } else { else_label } }),
                None if then_label == else_label => Fold::Op(Op::Jump { label: then_label }),
                None => Fold::Keep,
            },
            _ => Fold::Keep,
        }
    }
}

/// Identities of `a op b` on integers of type `t` with at most one constant operand.
fn int_identity(op: IntBinOp, t: Type, a: Value, b: Value, ka: Option<u64>, kb: Option<u64>) -> Fold {
    use IntBinOp::*;
    let m = t.mask();
    // shift and rotate amounts are taken modulo the width
    let no_shift = kb.is_some_and(|c| (c as u32) & (t.bits() - 1) == 0);
    match op {
        Add if kb == Some(0) => Fold::Alias(a),
        Add if ka == Some(0) => Fold::Alias(b),
        Sub if kb == Some(0) => Fold::Alias(a),
        Sub if a == b => Fold::Const(0),
        Mul if kb == Some(1) => Fold::Alias(a),
        Mul if ka == Some(1) => Fold::Alias(b),
        Mul | Umulhi | Smulhi | Sumulhi if ka == Some(0) || kb == Some(0) => Fold::Const(0),
        Mul if kb.and_then(shift_add).is_some() => Fold::ShiftAdd(a, kb.and_then(shift_add).unwrap_or(0)),
        Mul if ka.and_then(shift_add).is_some() => Fold::ShiftAdd(b, ka.and_then(shift_add).unwrap_or(0)),
        Udiv | Sdiv if kb == Some(1) => Fold::Alias(a),
        Urem | Srem if kb == Some(1) => Fold::Const(0),
        And if ka == Some(0) || kb == Some(0) => Fold::Const(0),
        And if kb == Some(m) => Fold::Alias(a),
        And if ka == Some(m) => Fold::Alias(b),
        And | Or if a == b => Fold::Alias(a),
        Or if kb == Some(0) => Fold::Alias(a),
        Or if ka == Some(0) => Fold::Alias(b),
        Or if ka == Some(m) || kb == Some(m) => Fold::Const(m),
        Xor if kb == Some(0) => Fold::Alias(a),
        Xor if ka == Some(0) => Fold::Alias(b),
        Xor if a == b => Fold::Const(0),
        Shl | Ushr | Sshr | Rotl | Rotr if no_shift => Fold::Alias(a),
        Shl | Ushr | Sshr | Rotl | Rotr if ka == Some(0) => Fold::Const(0),
        Sshr | Rotl | Rotr if ka == Some(m) => Fold::Const(m),
        _ => Fold::Keep,
    }
}

/// `k` when `c` is `2^k + 1` with k in 1..=3 (x·3, x·5, x·9): strength reduction of a multiply.
/// These are the multipliers x64 computes in one `lea` (`lea (x, x, 2^k)`, with an added constant
/// folded in too) and aarch64 in one `add` with a shifted operand — 1 cycle where `imul` takes 3;
/// Cranelift emits `imul` for `x * 3` (checked on 0.135), and guest code multiplies by 3 (collatz)
/// or by an index scale often. Other multipliers would need two or more instructions for one
/// `imul`, so they stay multiplies.
/// (Exact at every width: `(x << k) + x` wraps as `x * (2^k + 1)` does.)
fn shift_add(c: u64) -> Option<u32> {
    (1..=3u32).find(|&k| c == (1u64 << k) + 1)
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use super::super::OptimizationPass::ConstantFolding;
    use crate::ir::Type::*;
    use crate::ir::*;
    use crate::testing::{sum_words_block, BlockBuilder};

    const INTS: [Type; 4] = [I8, I16, I32, I64];

    /// Every integer op on edge-case constants folds, to what the interpreter computes
    /// (`run_pass` compares the two runs' state, where every result is stored).
    #[test]
    fn folds_every_integer_op_like_the_interpreter() {
        for t in INTS {
            let m = t.mask();
            let min = 1u64 << (t.bits() - 1);
            let edge = [0, 1, 2, 7, m, min, min - 1, t.bits() as u64, t.bits() as u64 + 1, 0x5a5a_5a5a_5a5a_5a5a & m];
            let block = BlockBuilder::new(0).main(|b| {
                let mut off = 0;
                let mut store = |b: &mut crate::testing::BodyBuilder, v: Value, w: u32| {
                    b.set_state(off, v);
                    off += w;
                };
                for &x in &edge {
                    let cx = b.iconst(t, x);
                    for op in IntUnOp::ALL {
                        let r = b.un(op, cx);
                        store(b, r, t.bytes());
                    }
                    for &y in &edge {
                        let cy = b.iconst(t, y);
                        for op in IntBinOp::ALL {
                            let r = b.bin(op, cx, cy);
                            store(b, r, t.bytes());
                        }
                        for cc in IntCC::ALL {
                            let r = b.icmp(cc, cx, cy);
                            store(b, r, 1);
                        }
                    }
                    for to in INTS {
                        if to.bits() > t.bits() {
                            let z = b.zext(to, cx);
                            let s = b.sext(to, cx);
                            store(b, z, to.bytes());
                            store(b, s, to.bytes());
                        } else if to.bits() < t.bits() {
                            let r = b.trunc(to, cx);
                            store(b, r, to.bytes());
                        }
                    }
                }
                b.exit_const(0);
            });
            let out = run_pass(ConstantFolding, block);
            let computed = count_main(&out, |op| {
                matches!(op, Op::IntBin { .. } | Op::IntUn { .. } | Op::Icmp { .. } | Op::Ext { .. })
            });
            assert_eq!(computed, 0, "{t}");
        }
    }

    /// Float ops on NaNs with payloads, infinities, zeros of both signs and conversion
    /// boundaries fold bit-exactly, NaN canonicalisation included.
    #[test]
    fn folds_float_ops_bit_exactly() {
        let f64s: [u64; 10] = [
            0,
            0x8000_0000_0000_0000,
            0x3ff0_0000_0000_0000,
            0x7ff0_0000_0000_0000,
            0x7ff0_0000_0000_0001, // signalling NaN
            0xfff8_0000_0000_1234, // negative quiet NaN, payload
            0x43e0_0000_0000_0000, // 2^63
            0xc1e0_0000_0020_0000, // -2^31 - 1
            0x3ff0_0000_1000_0000, // demote tie
            0x0000_0000_0000_0001, // subnormal
        ];
        let block = BlockBuilder::new(0).main(|b| {
            let mut off = 0;
            let mut keep = |b: &mut crate::testing::BodyBuilder, v: Value, w: u32| {
                b.set_state(off, v);
                off += w;
            };
            for (i, &x) in f64s.iter().enumerate() {
                let cx = b.op(Op::Const { ty: F64, bits: x }).unwrap();
                let dx = b.fdemote(cx);
                keep(b, dx, 4);
                let px = b.fpromote(dx);
                keep(b, px, 8);
                for op in FloatUnOp::ALL {
                    let r = b.fun(op, cx);
                    keep(b, r, 8);
                    let r = b.fun(op, dx);
                    keep(b, r, 4);
                }
                for (to, s) in [(I32, true), (I32, false), (I64, true), (I64, false)] {
                    let r = b.fcvt_to_int(to, s, cx);
                    keep(b, r, to.bytes());
                }
                let bits = b.bitcast(I64, cx);
                let back = b.fcvt_from_int(F32, true, bits);
                keep(b, back, 4);
                let back = b.fcvt_from_int(F64, false, bits);
                keep(b, back, 8);
                let y = f64s[(i * 3 + 1) % f64s.len()];
                let cy = b.op(Op::Const { ty: F64, bits: y }).unwrap();
                let dy = b.fdemote(cy);
                for op in FloatBinOp::ALL {
                    let r = b.fbin(op, cx, cy);
                    keep(b, r, 8);
                    let r = b.fbin(op, dx, dy);
                    keep(b, r, 4);
                }
                for cc in FloatCC::ALL {
                    let r = b.fcmp(cc, cx, cy);
                    keep(b, r, 1);
                }
                let r = b.fma(cx, cy, cx);
                keep(b, r, 8);
                let r = b.fma(dx, dy, dy);
                keep(b, r, 4);
            }
            b.exit_const(0);
        });
        let out = run_pass(ConstantFolding, block);
        let ops_left =
            out.block.main.ops.iter().filter(|op| !matches!(op, Op::Const { .. } | Op::SetState { .. })).count();
        assert_eq!(ops_left, 1, "{}", main_text(&out)); // the exit
    }

    #[test]
    fn algebraic_identities() {
        let block = BlockBuilder::new(0).main(|m| {
            let x = m.get_state(I64, 0);
            let (zero, one, all) = (m.iconst(I64, 0), m.iconst(I64, 1), m.iconst(I64, u64::MAX));
            let sixty_four = m.iconst(I64, 64);
            let a = m.add(x, zero); // x
            let b = m.mul(a, one); // x
            let c = m.bin(IntBinOp::Shl, b, sixty_four); // x (amount mod 64)
            let d = m.bin(IntBinOp::And, c, all); // x
            let e = m.bin(IntBinOp::Or, d, zero); // x
            let f = m.bin(IntBinOp::Xor, e, e); // 0
            let g = m.sub(x, x); // 0
            let h = m.mul(x, zero); // 0
            let i = m.bin(IntBinOp::Or, x, all); // -1
            let k = m.icmp(IntCC::Uge, x, x); // 1
            let s = m.select(k, e, f); // x
            let t8 = m.trunc(I8, x);
            let w = m.sext(I64, t8);
            let t8b = m.trunc(I8, w); // t8
            m.set_state(8, s);
            m.set_state(16, f);
            m.set_state(24, g);
            m.set_state(32, h);
            m.set_state(40, i);
            m.set_state(48, t8b);
            m.exit_const(0);
        });
        let out = run_pass(ConstantFolding, block);
        assert_eq!(
            main_text(&out),
            "  v0 = get_state.i64 0\n  v1 = const.i64 0\n  v2 = const.i64 1\n  v3 = const.i64 0xffffffffffffffff\n  \
             v4 = const.i64 0x40\n  v5 = const.i8 1\n  v6 = trunc.i8 v0\n  v7 = sext.i64 v6\n  set_state 8, v0\n  \
             set_state 16, v1\n  set_state 24, v1\n  set_state 32, v1\n  set_state 40, v3\n  set_state 48, v6\n  \
             exit v1\n"
        );
    }

    #[test]
    fn constant_branches_become_jumps_in_place() {
        // a loop whose condition folds to "always": the brif becomes a `jump` back — still a back
        // edge, so fuel runs out exactly as before (run_pass checks fuel_left).
        let block = BlockBuilder::new(0).main(|m| {
            let (head, done) = (m.new_label(), m.new_label());
            m.bind(head);
            let x = m.get_state(I32, 0);
            let one = m.iconst(I32, 1);
            let y = m.add(x, one);
            m.set_state(0, y);
            let t = m.icmp(IntCC::Ne, one, x);
            let always = m.icmp(IntCC::Eq, one, one);
            let _ = t;
            m.brif(always, head, done);
            m.bind(done);
            m.exit_const(0);
        });
        let out = run_pass(ConstantFolding, block);
        assert_eq!(count_main(&out, |op| matches!(op, Op::Jump { label: 0 })), 1);
        assert_eq!(count_main(&out, |op| matches!(op, Op::Brif { .. })), 0);
    }

    #[test]
    fn constants_through_locals_only_where_sound() {
        let block = BlockBuilder::new(0).main(|m| {
            let (l, z) = (m.local(I32), m.local(I32));
            let (a, join) = (m.new_label(), m.new_label());
            let zero_read = m.local_get(z); // locals start at zero: 0
            let five = m.iconst(I32, 5);
            m.local_set(l, five);
            let g = m.local_get(l); // 5
            let s = m.add(g, zero_read); // 5
            m.set_state(0, s);
            let x = m.get_state(I32, 4);
            m.brif(x, a, join);
            m.bind(a);
            let six = m.iconst(I32, 6);
            m.local_set(l, six);
            m.bind(join);
            let j = m.local_get(l); // 5 or 6: not a constant
            m.set_state(8, j);
            m.exit_const(0);
        });
        let out = run_pass(ConstantFolding, block);
        assert_eq!(count_main(&out, |op| matches!(op, Op::LocalGet { .. })), 1);
        assert_eq!(count_main(&out, |op| matches!(op, Op::IntBin { .. })), 0);
        // when something branches back to the start, locals there are not known to be zero
        let block = BlockBuilder::new(0).main(|m| {
            let l = m.local(I32);
            let (head, out) = (m.new_label(), m.new_label());
            m.bind(head);
            let v = m.local_get(l); // 0 the first time only
            let one = m.iconst(I32, 1);
            let w = m.add(v, one);
            m.local_set(l, w);
            m.set_state(0, w);
            let lim = m.iconst(I32, 4);
            let more = m.icmp(IntCC::Ult, w, lim);
            m.brif(more, head, out);
            m.bind(out);
            m.exit_const(1);
        });
        let out = run_pass(ConstantFolding, block);
        assert_eq!(count_main(&out, |op| matches!(op, Op::LocalGet { .. })), 1);
    }

    /// `x * 3`, `x * 5`, `x * 9` (either side constant) become `(x << k) + x` at every width —
    /// the same results (`run_pass` compares runs) — and other multipliers stay multiplies.
    #[test]
    fn multiplies_by_two_to_the_k_plus_one_become_a_shift_and_an_add() {
        for t in INTS {
            let block = BlockBuilder::new(0).main(|m| {
                let x = m.get_state(t, 0);
                let mut off = 8;
                for (c, left) in [(3, false), (5, true), (9, false), (7, false), (17, true), (6, false)] {
                    let k = m.iconst(t, c);
                    let r = if left { m.mul(k, x) } else { m.mul(x, k) };
                    m.set_state(off, r);
                    off += 8;
                }
                m.exit_const(0);
            });
            let out = run_pass(ConstantFolding, block);
            let muls = count_main(&out, |op| matches!(op, Op::IntBin { op: IntBinOp::Mul, .. }));
            let shifts = count_main(&out, |op| matches!(op, Op::IntBin { op: IntBinOp::Shl, .. }));
            assert_eq!((muls, shifts), (3, 3), "{t}:\n{}", main_text(&out));
        }
    }

    #[test]
    fn readme_block_is_unchanged() {
        let before = verified(sum_words_block());
        let out = run_pass(ConstantFolding, sum_words_block());
        assert_eq!(print_verified(&out), print_verified(&before));
    }
}

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

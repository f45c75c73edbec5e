//! `BodyLower`: walks the ops of one body (the main body, a standalone helper, or a helper being
//! inlined) and emits Cranelift IR for each, in the function `FnLower` is building.
//!
//! Raw floats. The IR's float arithmetic produces the canonical NaN (docs/IR.md), but a NaN's
//! payload can only be seen where its bits are: a store to memory or to the state buffer, a
//! bitcast, the bit operations fneg/fabs/fcopysign, a helper's arguments and result. Arithmetic,
//! compares, float-to-int conversions and select give the same answer for any NaN. So arithmetic
//! results are left *raw* and canonicalized only at those uses: a chain of float ops in a loop no
//! longer pays a compare and a select per op on its critical path. `raw` says which Cranelift
//! values may be raw: always (arithmetic results) or as an i8 flag computed alongside — a float
//! local or promoted state slot carries a flag variable set with every write (1 for a raw value,
//! 0 for an exact one such as a constant or a load, whose NaN payload must survive), and a
//! select selects between its operands' flags. Exact values are not in `raw`.

use std::collections::HashMap;

use cranelift_codegen::entity::EntityRef;
use cranelift_codegen::ir::types::I8;

use cranelift_codegen::ir::{self, BlockArg, InstBuilder, Value as CValue};
use cranelift_frontend::Variable;

use crate::ir::{Body, BodyInfo, ExitReason, ExtKind, FloatBinOp, FloatUnOp, Op};

use super::arith;
use super::cl_type;
use super::fast_loop::{FastCopy, LoopPlan};
use super::function::{ExitTo, FnLower};

/// How a body finds the guest pc for exits it takes.
#[derive(Clone, Copy)]
pub enum MarkSource {
    /// The main body: each op's current mark.
    PerOp,
    /// A helper: whatever its (outermost) call site decided.
    Fixed(ExitTo),
}

/// What `ret` does.
#[derive(Clone, Copy)]
pub enum RetMode {
    /// The main body has no `ret`.
    None,
    /// Standalone helper: a real return.
    Return,
    /// Inlined helper: jump to the continuation block (which takes the result, if any).
    Jump(ir::Block),
}

pub struct BodyLower<'a> {
    body: &'a Body,
    pub(super) info: &'a BodyInfo,
    pub(super) vals: Vec<CValue>,
    pub(super) locals: Vec<Variable>,
    pub(super) labels: Vec<ir::Block>,
    marks: MarkSource,
    ret: RetMode,
    /// Fast loops of the main body by header op index (`fast_loop.rs`), and the fast copy of a
    /// loop region being lowered, if any.
    loops: HashMap<usize, LoopPlan>,
    pub(super) fast: Option<FastCopy>,
    /// Loop headers whose test a back edge repeats in place (`fast_loop::rotations`).
    rotate: HashMap<u32, (usize, usize)>,
    /// Float values that may be a NaN with any payload (see "Raw floats" above).
    raw: HashMap<CValue, Raw>,
    /// The raw flag variable of each float local (see "Raw floats").
    local_raw: Vec<Option<Variable>>,
}

/// How a value may be raw (see "Raw floats").
#[derive(Clone, Copy)]
enum Raw {
    Always,
    /// When this i8 is 1.
    If(CValue),
}

impl<'a> BodyLower<'a> {
    /// Prepares a body whose first op will be emitted in the current block; `params` are the
    /// values of a helper's parameters.
    pub fn new(
        fl: &mut FnLower,
        body: &'a Body,
        info: &'a BodyInfo,
        params: &[CValue],
        marks: MarkSource,
        ret: RetMode,
    ) -> BodyLower<'a> {
        let mut vals = Vec::with_capacity(info.value_types.len());
        vals.extend_from_slice(params);
        // Locals start at zero (docs/IR.md).
        let locals = body
            .locals
            .iter()
            .map(|t| {
                let v = fl.b.declare_var(cl_type(*t));
                let z = arith::constant(&mut fl.b, *t, 0);
                fl.b.def_var(v, z);
                v
            })
            .collect();
        let local_raw = body
            .locals
            .iter()
            .map(|t| {
                t.is_float().then(|| {
                    let flag = fl.b.declare_var(I8);
                    let zero = fl.b.ins().iconst(I8, 0);
                    fl.b.def_var(flag, zero);
                    flag
                })
            })
            .collect();
        let labels = (0..body.num_labels).map(|_| fl.b.create_block()).collect();
        let loops = match marks {
            MarkSource::PerOp if fl.plan.fast_loops => super::fast_loop::plan(body, info),
            _ => HashMap::new(),
        };
        let rotate = match marks {
            MarkSource::PerOp if fl.plan.fast_loops => super::fast_loop::rotations(body, info, &loops),
            _ => HashMap::new(),
        };
        BodyLower {
            body,
            info,
            vals,
            locals,
            labels,
            marks,
            ret,
            loops,
            fast: None,
            rotate,
            raw: HashMap::new(),
            local_raw,
        }
    }

    fn exit_to(&self, at: usize) -> ExitTo {
        match self.marks {
            MarkSource::PerOp => ExitTo::Direct(self.info.marks[at]),
            MarkSource::Fixed(to) => to,
        }
    }

    /// A local's variable (in a fast loop's unrolled copy, a reduction's partial result).
    fn local_var(&self, local: u32) -> Variable {
        match self.fast.as_ref().and_then(|f| f.redirected(local)) {
            Some(var) => var,
            None => self.locals[local as usize],
        }
    }

    fn v(&self, id: u32) -> CValue {
        self.vals[id as usize]
    }

    fn ty(&self, id: u32) -> crate::ir::Type {
        self.info.value_types[id as usize]
    }

    /// Value `id` for a use that shows its bits: any NaN a raw value holds made canonical.
    fn canon(&self, fl: &mut FnLower, id: u32) -> CValue {
        let v = self.v(id);
        match self.raw.get(&v) {
            None => v,
            Some(Raw::Always) => arith::canonicalize_nan(&mut fl.b, self.ty(id), v),
            Some(Raw::If(flag)) => arith::canonicalize_nan_if(&mut fl.b, self.ty(id), *flag, v),
        }
    }

    /// `canon` for floats, the value itself otherwise.
    fn canon_if_float(&self, fl: &mut FnLower, id: u32) -> CValue {
        if self.ty(id).is_float() {
            self.canon(fl, id)
        } else {
            self.v(id)
        }
    }

    /// The i8 raw flag of Cranelift value `v`: 1 if it may be raw, 0 if exact.
    fn raw_flag(&self, fl: &mut FnLower, v: CValue) -> CValue {
        match self.raw.get(&v) {
            None => fl.b.ins().iconst(I8, 0),
            Some(Raw::Always) => fl.b.ins().iconst(I8, 1),
            Some(Raw::If(flag)) => *flag,
        }
    }

    /// After reading a float variable whose raw flag is `flag`: if the read made a new value (an
    /// SSA phi, numbered from `before` on), that value is raw when the flag read here says so — the
    /// flag's own phi sits in the same block, so it is available wherever the value is. A value
    /// the variable already held is what it was (in `raw` if raw, exact if not): recording a flag
    /// for it here could name a flag that does not dominate its other uses.
    fn note_read(&mut self, fl: &mut FnLower, v: CValue, before: usize, flag: Variable) {
        if v.index() >= before && !self.raw.contains_key(&v) {
            let f = fl.b.use_var(flag);
            self.raw.insert(v, Raw::If(f));
        }
    }

    fn always_raw(&mut self, v: CValue) -> CValue {
        self.raw.insert(v, Raw::Always);
        v
    }

    /// Jumps to `label`, paying fuel first on a back edge.
    fn goto(&mut self, fl: &mut FnLower, at: usize, label: u32) {
        if self.fast.as_ref().is_some_and(|f| f.back_edge == at) && self.info.is_back_edge(at, label) {
            return self.fast_back_edge(fl);
        }
        if self.info.is_back_edge(at, label) {
            fl.back_edge_check(self.exit_to(at));
            if let Some(&(h, t)) = self.rotate.get(&label) {
                return self.repeat_header(fl, h, t);
            }
        }
        fl.b.ins().jump(self.labels[label as usize], &[]);
    }

    pub fn lower_ops(&mut self, fl: &mut FnLower) {
        // After a terminator nothing is emitted until the next label (the verifier guarantees one
        // follows or the body ends).
        let mut open = true;
        let mut at = 0;
        while at < self.body.ops.len() {
            if let Some(p) = self.loops.remove(&at) {
                open = self.lower_fast_loop(fl, &p, open);
                at = p.back_edge + 1;
                continue;
            }
            open = self.lower_one(fl, at, open);
            at += 1;
        }
    }

    /// Lowers op `at`; `open` says whether the current block is still open (no terminator yet).
    /// Returns the same after the op.
    pub(super) fn lower_one(&mut self, fl: &mut FnLower, at: usize, open: bool) -> bool {
        let op = &self.body.ops[at];
        if let Op::Label { label } = op {
            let blk = self.labels[*label as usize];
            if open {
                fl.b.ins().jump(blk, &[]);
            }
            fl.b.switch_to_block(blk);
            return true;
        }
        debug_assert!(open, "verified IR has no op after a terminator but a label");
        if self.fast.as_ref().is_some_and(|f| f.leaves_out(at)) {
            // Only the folded exit test used it: a zero constant stands in for it to keep the
            // value numbering (nobody reads it, and Cranelift drops it).
            if let Some(v) = self.info.op_value[at] {
                let c = arith::constant(&mut fl.b, self.ty(v), 0);
                self.vals.push(c);
            }
            return true;
        }
        if let Some(v) = self.lower_op(fl, at, op) {
            debug_assert_eq!(Some(self.vals.len() as u32), self.info.op_value[at]);
            self.vals.push(v);
        }
        !op.is_terminator()
    }

    fn lower_op(&mut self, fl: &mut FnLower, at: usize, op: &Op) -> Option<CValue> {
        let r = match *op {
            Op::Const { ty, bits } => arith::constant(&mut fl.b, ty, bits),
            Op::GetState { ty, offset } => {
                let before = fl.b.func.dfg.num_values();
                let v = fl.get_state(ty, offset);
                // (An integer read of a promoted float slot is exact: get_state canonicalized it.)
                if let (Some(flag), true) = (fl.promoted.raw_flag(offset), ty.is_float()) {
                    self.note_read(fl, v, before, flag);
                }
                v
            }
            Op::SetState { offset, value } => {
                let ty = self.ty(value);
                let v = match fl.promoted.raw_flag(offset) {
                    // A promoted float slot keeps the value as it is, with its flag; the
                    // write-back canonicalizes.
                    Some(flag) => {
                        let v = self.v(value);
                        let f = self.raw_flag(fl, v);
                        fl.b.def_var(flag, f);
                        v
                    }
                    None => self.canon_if_float(fl, value),
                };
                fl.set_state(offset, v, ty);
                return None;
            }
            Op::Load { ty, width, signed, addr } => match self.fast_host_address(fl, at) {
                // In a fast loop, proved in range: no check.
                Some((p, disp)) => fl.load_at(ty, width as u32, signed, p, disp),
                None => {
                    let to = self.exit_to(at);
                    fl.load(ty, width as u32, signed, self.v(addr), to)
                }
            },
            Op::Store { width, addr, value } => {
                let v = self.canon_if_float(fl, value);
                match self.fast_host_address(fl, at) {
                    Some((p, disp)) => fl.store_at(width as u32, p, disp, v, self.ty(value)),
                    None => {
                        let to = self.exit_to(at);
                        fl.store(width as u32, self.v(addr), v, self.ty(value), to);
                    }
                }
                return None;
            }
            Op::LocalGet { local } => {
                let before = fl.b.func.dfg.num_values();
                let v = fl.b.use_var(self.local_var(local));
                if let Some(flag) = self.local_raw[local as usize] {
                    self.note_read(fl, v, before, flag);
                }
                v
            }
            Op::LocalSet { local, value } => {
                let v = self.v(value);
                if let Some(flag) = self.local_raw[local as usize] {
                    let f = self.raw_flag(fl, v);
                    fl.b.def_var(flag, f);
                }
                fl.b.def_var(self.local_var(local), v);
                return None;
            }
            Op::Mark { .. } => return None,
            Op::IntBin { a, b: y, .. } if self.fast.as_ref().is_some_and(|f| f.pin.contains(&at)) => {
                super::fast_loop::pinned_add(&mut fl.b, self.v(a), self.v(y))
            }
            Op::IntBin { op, a, b: y } => arith::int_bin(&mut fl.b, op, self.ty(a), self.v(a), self.v(y)),
            Op::IntUn { op, a } => arith::int_un(&mut fl.b, op, self.v(a)),
            Op::Icmp { cc, a, b: y } => fl.b.ins().icmp(arith::int_cc(cc), self.v(a), self.v(y)),
            Op::Select { cond, a, b: y } => {
                let (x, z) = (self.v(a), self.v(y));
                let v = fl.b.ins().select(self.v(cond), x, z);
                match (self.raw.get(&x).copied(), self.raw.get(&z).copied()) {
                    (None, None) => {}
                    (Some(Raw::Always), Some(Raw::Always)) => {
                        self.raw.insert(v, Raw::Always);
                    }
                    _ => {
                        let (fx, fz) = (self.raw_flag(fl, x), self.raw_flag(fl, z));
                        let f = fl.b.ins().select(self.v(cond), fx, fz);
                        self.raw.insert(v, Raw::If(f));
                    }
                }
                v
            }
            Op::Ext { kind, ty, a } => match kind {
                ExtKind::Zext => fl.b.ins().uextend(cl_type(ty), self.v(a)),
                ExtKind::Sext => fl.b.ins().sextend(cl_type(ty), self.v(a)),
                ExtKind::Trunc => fl.b.ins().ireduce(cl_type(ty), self.v(a)),
            },
            Op::FloatBin { op: FloatBinOp::Fcopysign, a, b: y } => {
                let (x, y) = (self.canon(fl, a), self.canon(fl, y));
                arith::float_bin(&mut fl.b, FloatBinOp::Fcopysign, x, y)
            }
            Op::FloatBin { op, a, b: y } => {
                let v = arith::float_bin(&mut fl.b, op, self.v(a), self.v(y));
                self.always_raw(v)
            }
            Op::FloatUn { op: FloatUnOp::Fsqrt, a } => {
                let v = arith::float_un(&mut fl.b, FloatUnOp::Fsqrt, self.v(a));
                self.always_raw(v)
            }
            Op::FloatUn { op, a } => {
                let x = self.canon(fl, a);
                arith::float_un(&mut fl.b, op, x)
            }
            Op::Fma { a, b: y, c } => {
                let v = arith::fma(&mut fl.b, self.v(a), self.v(y), self.v(c));
                self.always_raw(v)
            }
            Op::Fcmp { cc, a, b: y } => fl.b.ins().fcmp(arith::float_cc(cc), self.v(a), self.v(y)),
            Op::FcvtToInt { ty, signed, a } => arith::fcvt_to_int(&mut fl.b, ty, signed, self.v(a)),
            Op::FcvtFromInt { ty, signed, a } => arith::fcvt_from_int(&mut fl.b, ty, signed, self.v(a)),
            Op::Fpromote { a } => {
                let v = arith::fpromote(&mut fl.b, self.v(a));
                self.always_raw(v)
            }
            Op::Fdemote { a } => {
                let v = arith::fdemote(&mut fl.b, self.v(a));
                self.always_raw(v)
            }
            Op::Bitcast { ty, a } => {
                let x = self.canon_if_float(fl, a);
                arith::bitcast(&mut fl.b, ty, x)
            }
            Op::Label { .. } => unreachable!("labels are handled by lower_ops"),
            Op::Jump { label } => {
                self.goto(fl, at, label);
                return None;
            }
            Op::Brif { cond, then_label, else_label } => {
                self.branch(fl, at, cond, then_label, else_label);
                return None;
            }
            Op::Exit { pc } => {
                let slot = match (self.marks, fl.chain) {
                    (MarkSource::PerOp, Some(chain)) => chain.slot_of_op.get(at).copied().flatten(),
                    _ => None,
                };
                let cached = matches!((self.marks, fl.chain), (MarkSource::PerOp, Some(c)) if c.jump_cache);
                match slot {
                    Some(slot) => fl.chained_exit(slot, self.v(pc)),
                    // Not a constant pc (those all have slots): try the jump cache.
                    None if cached => fl.cached_exit(self.v(pc)),
                    None => {
                        let zero = fl.b.ins().iconst(ir::types::I64, 0);
                        fl.leave_with_pc(ExitReason::Exit, self.v(pc), zero);
                    }
                }
                return None;
            }
            Op::Halt { pc } => {
                let zero = fl.b.ins().iconst(ir::types::I64, 0);
                fl.leave_with_pc(ExitReason::Halt, self.v(pc), zero);
                return None;
            }
            Op::Trap { code, pc } => {
                let code = fl.b.ins().iconst(ir::types::I64, code as i64);
                fl.leave_with_pc(ExitReason::Trap, self.v(pc), code);
                return None;
            }
            Op::Call { func, ref args } => return self.call(fl, at, func, args),
            Op::Ret { value } => {
                let vals: Vec<CValue> = value.iter().map(|v| self.canon_if_float(fl, *v)).collect();
                match self.ret {
                    RetMode::Return => {
                        fl.store_fuel();
                        fl.b.ins().return_(&vals);
                    }
                    RetMode::Jump(cont) => {
                        let args: Vec<BlockArg> = vals.into_iter().map(BlockArg::Value).collect();
                        fl.b.ins().jump(cont, &args);
                    }
                    RetMode::None => unreachable!("the verifier allows ret only in helpers"),
                }
                return None;
            }
        };
        Some(r)
    }

    fn branch(&mut self, fl: &mut FnLower, at: usize, cond: u32, then_label: u32, else_label: u32) {
        if let Some(fold) = self.fast.as_ref().and_then(|f| f.fold).filter(|f| f.brif == at) {
            // A fast loop's exit test, known to stay in the loop (around the back edge, when the
            // test is the back edge itself).
            if self.fast.as_ref().is_some_and(|f| f.back_edge == at) {
                return self.fast_back_edge(fl);
            }
            fl.b.ins().jump(self.labels[fold.body as usize], &[]);
            return;
        }
        let back_then = self.info.is_back_edge(at, then_label);
        let back_else = self.info.is_back_edge(at, else_label);
        if !back_then && !back_else {
            let (t, e) = (self.labels[then_label as usize], self.labels[else_label as usize]);
            fl.b.ins().brif(self.v(cond), t, &[], e, &[]);
            return;
        }
        // A back edge pays fuel on its own path: route it through a block that checks first.
        let t = fl.b.create_block();
        let e = fl.b.create_block();
        fl.b.ins().brif(self.v(cond), t, &[], e, &[]);
        fl.b.switch_to_block(t);
        self.goto(fl, at, then_label);
        fl.b.switch_to_block(e);
        self.goto(fl, at, else_label);
    }

    fn call(&mut self, fl: &mut FnLower, at: usize, func: u32, args: &[u32]) -> Option<CValue> {
        let to = self.exit_to(at);
        let argv: Vec<CValue> = args.iter().map(|a| self.canon_if_float(fl, *a)).collect();
        let vb = fl.vb;
        let f = &vb.block.funcs[func as usize];
        if !fl.plan.inline[func as usize] {
            return fl.call_helper(func, &argv, to);
        }
        // Inline: the helper's body runs here; its `ret` jumps to `cont`, whose parameter is the
        // result. Its exits use the pc this call site would have used.
        let cont = fl.b.create_block();
        if let Some(t) = f.result {
            fl.b.append_block_param(cont, cl_type(t));
        }
        let mut inner =
            BodyLower::new(fl, &f.body, &vb.funcs[func as usize], &argv, MarkSource::Fixed(to), RetMode::Jump(cont));
        inner.lower_ops(fl);
        fl.b.switch_to_block(cont);
        fl.b.block_params(cont).first().copied()
    }
}

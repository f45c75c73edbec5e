//! `BodyLower`: walks the ops of one body (the main body, a standalone helper, or a helper being
//! inlined) and emits Cranelift IR for each, in the function `FnLower` is building.

use std::collections::HashMap;

use cranelift_codegen::ir::{self, BlockArg, InstBuilder, Value as CValue};
use cranelift_frontend::Variable;

use crate::ir::{Body, BodyInfo, ExitReason, ExtKind, Op};

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
        let labels = (0..body.num_labels).map(|_| fl.b.create_block()).collect();
        let loops = match marks {
            MarkSource::PerOp if fl.plan.fast_loops => super::fast_loop::plan(body, info),
            _ => HashMap::new(),
        };
        let rotate = match marks {
            MarkSource::PerOp if fl.plan.fast_loops => super::fast_loop::rotations(body, info, &loops),
            _ => HashMap::new(),
        };
        BodyLower { body, info, vals, locals, labels, marks, ret, loops, fast: None, rotate }
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
        if let Some(v) = self.lower_op(fl, at, op) {
            debug_assert_eq!(Some(self.vals.len() as u32), self.info.op_value[at]);
            self.vals.push(v);
        }
        !op.is_terminator()
    }

    fn lower_op(&mut self, fl: &mut FnLower, at: usize, op: &Op) -> Option<CValue> {
        let b = &mut fl.b;
        let r = match *op {
            Op::Const { ty, bits } => arith::constant(b, ty, bits),
            Op::GetState { ty, offset } => fl.get_state(ty, offset),
            Op::SetState { offset, value } => {
                fl.set_state(offset, self.v(value), self.ty(value));
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
                match self.fast_host_address(fl, at) {
                    Some((p, disp)) => fl.store_at(width as u32, p, disp, self.v(value), self.ty(value)),
                    None => {
                        let to = self.exit_to(at);
                        fl.store(width as u32, self.v(addr), self.v(value), self.ty(value), to);
                    }
                }
                return None;
            }
            Op::LocalGet { local } => b.use_var(self.local_var(local)),
            Op::LocalSet { local, value } => {
                b.def_var(self.local_var(local), self.v(value));
                return None;
            }
            Op::Mark { .. } => return None,
            Op::IntBin { a, b: y, .. } if self.fast.as_ref().is_some_and(|f| f.pin.contains(&at)) => {
                super::fast_loop::pinned_add(b, self.v(a), self.v(y))
            }
            Op::IntBin { op, a, b: y } => arith::int_bin(b, op, self.ty(a), self.v(a), self.v(y)),
            Op::IntUn { op, a } => arith::int_un(b, op, self.v(a)),
            Op::Icmp { cc, a, b: y } => b.ins().icmp(arith::int_cc(cc), self.v(a), self.v(y)),
            Op::Select { cond, a, b: y } => b.ins().select(self.v(cond), self.v(a), self.v(y)),
            Op::Ext { kind, ty, a } => match kind {
                ExtKind::Zext => b.ins().uextend(cl_type(ty), self.v(a)),
                ExtKind::Sext => b.ins().sextend(cl_type(ty), self.v(a)),
                ExtKind::Trunc => b.ins().ireduce(cl_type(ty), self.v(a)),
            },
            Op::FloatBin { op, a, b: y } => arith::float_bin(b, op, self.ty(a), self.v(a), self.v(y)),
            Op::FloatUn { op, a } => arith::float_un(b, op, self.ty(a), self.v(a)),
            Op::Fma { a, b: y, c } => arith::fma(b, self.ty(a), self.v(a), self.v(y), self.v(c)),
            Op::Fcmp { cc, a, b: y } => b.ins().fcmp(arith::float_cc(cc), self.v(a), self.v(y)),
            Op::FcvtToInt { ty, signed, a } => arith::fcvt_to_int(b, ty, signed, self.v(a)),
            Op::FcvtFromInt { ty, signed, a } => arith::fcvt_from_int(b, ty, signed, self.v(a)),
            Op::Fpromote { a } => arith::fpromote(b, self.v(a)),
            Op::Fdemote { a } => arith::fdemote(b, self.v(a)),
            Op::Bitcast { ty, a } => arith::bitcast(b, ty, self.v(a)),
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
                match slot {
                    Some(slot) => fl.chained_exit(slot, self.v(pc)),
                    None => {
                        let zero = b.ins().iconst(ir::types::I64, 0);
                        fl.leave_with_pc(ExitReason::Exit, self.v(pc), zero);
                    }
                }
                return None;
            }
            Op::Halt { pc } => {
                let zero = b.ins().iconst(ir::types::I64, 0);
                fl.leave_with_pc(ExitReason::Halt, self.v(pc), zero);
                return None;
            }
            Op::Trap { code, pc } => {
                let code = b.ins().iconst(ir::types::I64, code as i64);
                fl.leave_with_pc(ExitReason::Trap, self.v(pc), code);
                return None;
            }
            Op::Call { func, ref args } => return self.call(fl, at, func, args),
            Op::Ret { value } => {
                let vals: Vec<CValue> = value.iter().map(|v| self.v(*v)).collect();
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
            // A fast loop's exit test, known to stay in the loop.
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
        let argv: Vec<CValue> = args.iter().map(|a| self.v(*a)).collect();
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

//! The verifier: every rule of docs/IR.md, checked on an untrusted block. The product,
//! `VerifiedBlock`, carries the facts consumers need (value types, label positions, marks, state
//! size) so that nobody recomputes them differently.
//!
//! Each body is checked in two passes:
//!
//! 1. structure, in op order: limits, value numbering, labels (in range, bound exactly once,
//!    all bound), only a `label` after a terminator, the body ends with a terminator, which
//!    terminators the body may use, call targets (main: any helper; helper `k`: below `k`),
//!    `ret` operands, marks;
//! 2. types and dominance, over the CFG (`ir::cfg`): the reachable basic blocks in depth-first
//!    preorder — dominators first, so a value's type is known before any use it dominates, even
//!    when the use comes first in op order — then the unreachable ones in op order.
//!
//! **Unreachable code.** A basic block that no path from the body's entry reaches is allowed.
//! Its ops are checked for every rule except dominance, which means nothing there; instead each
//! value it uses must be defined *earlier in op order* (a parameter, or a value defined by an
//! earlier op), so that every value still has one well-defined type. The interpreter never runs
//! such code; a lowering may skip it (see `Cfg::is_reachable`).

use super::cfg::Cfg;
use super::decode::{MAX_FUNCS, MAX_LABELS, MAX_LOCALS, MAX_OPS, MAX_PARAMS, MAX_STATE_OFFSET};
use super::error::IrError;
use super::op::*;
use super::print::print_op;
use super::types::Type;
use super::verified::{BodyInfo, VerifiedBlock};

/// Does `op` define a value? (A call does iff its callee has a result; a call to a helper that
/// does not exist defines none.)
pub fn defines_value(op: &Op, funcs: &[Function]) -> bool {
    match op {
        Op::Const { .. }
        | Op::GetState { .. }
        | Op::Load { .. }
        | Op::LocalGet { .. }
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
        | Op::Bitcast { .. } => true,
        Op::Call { func, .. } => funcs.get(*func as usize).is_some_and(|f| f.result.is_some()),
        Op::SetState { .. }
        | Op::Store { .. }
        | Op::LocalSet { .. }
        | Op::Mark { .. }
        | Op::Label { .. }
        | Op::Jump { .. }
        | Op::Brif { .. }
        | Op::Exit { .. }
        | Op::Halt { .. }
        | Op::Trap { .. }
        | Op::Ret { .. } => false,
    }
}

/// Verify a block against every rule of docs/IR.md.
pub fn verify(block: Block) -> Result<VerifiedBlock, IrError> {
    if block.funcs.len() > MAX_FUNCS {
        return Err(IrError::new(format!(
            "IR verify error: the block has {} helpers; the limit is {MAX_FUNCS}",
            block.funcs.len()
        )));
    }
    let mut state_size = 0u32;
    let mut funcs = Vec::with_capacity(block.funcs.len());
    for (k, f) in block.funcs.iter().enumerate() {
        if f.params.len() > MAX_PARAMS {
            return Err(IrError::new(format!(
                "IR verify error in fn {k}: {} parameters; the limit is {MAX_PARAMS}",
                f.params.len()
            )));
        }
        let c = Checker::new(&block, Some(k as u32), &f.body, &f.params, f.result);
        funcs.push(c.run(&mut state_size)?);
    }
    let main = Checker::new(&block, None, &block.main, &[], None).run(&mut state_size)?;
    let op_count = block.main.ops.len() + block.funcs.iter().map(|f| f.body.ops.len()).sum::<usize>();
    Ok(VerifiedBlock { block, main, funcs, state_size, op_count })
}

const PARAM: usize = usize::MAX;
const UNBOUND: usize = usize::MAX;

struct Checker<'a> {
    block: &'a Block,
    /// `None` for main, `Some(k)` for helper `k`.
    func: Option<u32>,
    body: &'a Body,
    params: &'a [Type],
    result: Option<Type>,
    op_value: Vec<Option<Value>>,
    /// Op index defining each value (`PARAM` for parameters).
    def_op: Vec<usize>,
    types: Vec<Option<Type>>,
    label_pos: Vec<usize>,
    marks: Vec<u64>,
}

type R<T> = Result<T, IrError>;

fn int_or_err(t: Type, what: &str) -> Result<(), String> {
    if t.is_int() {
        Ok(())
    } else {
        Err(format!("{what} must be an integer, got {t}"))
    }
}

fn float_or_err(t: Type, what: &str) -> Result<(), String> {
    if t.is_float() {
        Ok(())
    } else {
        Err(format!("{what} must be a float, got {t}"))
    }
}

fn same(a: Type, b: Type) -> Result<Type, String> {
    if a == b {
        Ok(a)
    } else {
        Err(format!("operand types differ: {a} vs {b}"))
    }
}

fn state_offset(offset: u32) -> Result<(), String> {
    if offset < MAX_STATE_OFFSET {
        Ok(())
    } else {
        Err(format!("state offset {offset} is not below 2^24"))
    }
}

fn int_width(op: &str, width: u8, t: Type) -> Result<(), String> {
    if t.is_int() {
        if ![1, 2, 4, 8].contains(&width) {
            return Err(format!("{op} width {width} is not 1, 2, 4 or 8"));
        }
        if width as u32 > t.bytes() {
            return Err(format!("{op} width {width} is wider than {t}"));
        }
    } else if width as u32 != t.bytes() {
        return Err(format!("a {t} {op} must be {} bytes wide, not {width}", t.bytes()));
    }
    Ok(())
}

impl<'a> Checker<'a> {
    fn new(block: &'a Block, func: Option<u32>, body: &'a Body, params: &'a [Type], result: Option<Type>) -> Self {
        Checker {
            block,
            func,
            body,
            params,
            result,
            op_value: Vec::new(),
            def_op: Vec::new(),
            types: Vec::new(),
            label_pos: Vec::new(),
            marks: Vec::new(),
        }
    }

    fn name(&self) -> String {
        match self.func {
            None => "main".to_string(),
            Some(k) => format!("fn {k}"),
        }
    }

    fn body_err(&self, msg: impl std::fmt::Display) -> IrError {
        IrError::new(format!("IR verify error in {}: {msg}", self.name()))
    }

    fn op_err(&self, i: usize, msg: impl std::fmt::Display) -> IrError {
        let def = self.op_value.get(i).copied().flatten();
        let text = print_op(&self.body.ops[i], def, None);
        IrError::new(format!("IR verify error in {}, op {i} ({text}): {msg}", self.name()))
    }

    fn run(mut self, state_size: &mut u32) -> R<BodyInfo> {
        self.structure()?;
        let cfg = Cfg::build(self.body, &self.label_pos);
        for &b in &cfg.preorder {
            for i in cfg.block_ops(b) {
                self.check_op(i, true, &cfg, state_size)?;
            }
        }
        for b in 0..cfg.num_blocks() as u32 {
            if !cfg.is_reachable(b) {
                for i in cfg.block_ops(b) {
                    self.check_op(i, false, &cfg, state_size)?;
                }
            }
        }
        let mut value_types = Vec::with_capacity(self.types.len());
        for (v, t) in self.types.iter().enumerate() {
            match t {
                Some(t) => value_types.push(*t),
                None => return Err(self.body_err(format!("internal error: v{v} was never typed"))),
            }
        }
        Ok(BodyInfo { value_types, op_value: self.op_value, label_pos: self.label_pos, marks: self.marks })
    }

    /// Pass 1: everything that does not need types or the CFG.
    fn structure(&mut self) -> R<()> {
        let body = self.body;
        let ops = &body.ops;
        if ops.len() > MAX_OPS {
            return Err(self.body_err(format!("{} ops; the limit is {MAX_OPS}", ops.len())));
        }
        if body.locals.len() > MAX_LOCALS {
            return Err(self.body_err(format!("{} locals; the limit is {MAX_LOCALS}", body.locals.len())));
        }
        if body.num_labels as usize > MAX_LABELS {
            return Err(self.body_err(format!("{} labels; the limit is {MAX_LABELS}", body.num_labels)));
        }
        let nfuncs = self.block.funcs.len();
        let nlabels = body.num_labels;
        self.label_pos = vec![UNBOUND; nlabels as usize];
        self.op_value = Vec::with_capacity(ops.len());
        self.def_op = vec![PARAM; self.params.len()];
        self.marks = Vec::with_capacity(ops.len());
        let mut mark = self.block.pc;
        for (i, op) in ops.iter().enumerate() {
            // Value numbering first, so that messages print the op with its value id.
            let defines = defines_value(op, &self.block.funcs);
            self.op_value.push(if defines {
                self.def_op.push(i);
                Some((self.def_op.len() - 1) as Value)
            } else {
                None
            });
            self.marks.push(mark);
            if i > 0 && ops[i - 1].is_terminator() && !matches!(op, Op::Label { .. }) {
                let prev = print_op(&ops[i - 1], None, None);
                return Err(self.op_err(i, format!("an op after a terminator (`{prev}`) must be a label")));
            }
            let check_label = |l: Label| -> R<()> {
                if l >= nlabels {
                    Err(self.op_err(i, format!("label L{l} is out of range (the body declares {nlabels} labels)")))
                } else {
                    Ok(())
                }
            };
            match op {
                Op::Mark { pc } if self.func.is_none() => mark = *pc,
                Op::Label { label } => {
                    check_label(*label)?;
                    let p = self.label_pos[*label as usize];
                    if p != UNBOUND {
                        return Err(self.op_err(i, format!("label L{label} is already bound at op {p}")));
                    }
                    self.label_pos[*label as usize] = i;
                }
                Op::Jump { label } => check_label(*label)?,
                Op::Brif { then_label, else_label, .. } => {
                    check_label(*then_label)?;
                    check_label(*else_label)?;
                }
                Op::Exit { .. } | Op::Halt { .. } | Op::Trap { .. } if self.func.is_some() => {
                    return Err(self.op_err(i, "exit, halt and trap are only allowed in the main body"));
                }
                Op::Ret { value } => match (self.func, self.result, value) {
                    (None, _, _) => return Err(self.op_err(i, "ret is only allowed in helper functions")),
                    (Some(k), Some(t), None) => {
                        return Err(self.op_err(i, format!("ret needs a value: fn {k} returns {t}")));
                    }
                    (Some(k), None, Some(_)) => {
                        return Err(self.op_err(i, format!("ret takes no value: fn {k} has no result")));
                    }
                    _ => {}
                },
                Op::Call { func, .. } => match self.func {
                    None if *func as usize >= nfuncs => {
                        return Err(self.op_err(i, format!("call to fn {func}, but the block has {nfuncs} helpers")));
                    }
                    Some(k) if *func >= k => {
                        return Err(self.op_err(i, format!("fn {k} may only call helpers below fn {k}, not fn {func}")));
                    }
                    _ => {}
                },
                _ => {}
            }
        }
        match ops.last() {
            None => return Err(self.body_err("the body is empty; it must end with a terminator")),
            Some(op) if !op.is_terminator() => {
                return Err(self.op_err(ops.len() - 1, "the body must end with a terminator"));
            }
            _ => {}
        }
        if let Some(l) = self.label_pos.iter().position(|&p| p == UNBOUND) {
            return Err(self.body_err(format!("label L{l} is never bound")));
        }
        self.types = vec![None; self.def_op.len()];
        for (t, p) in self.types.iter_mut().zip(self.params) {
            *t = Some(*p);
        }
        Ok(())
    }

    /// The type of operand `v` of op `i`, after checking it is defined where it is used.
    fn operand(&self, i: usize, v: Value, reachable: bool, cfg: &Cfg) -> R<Type> {
        let n = self.def_op.len();
        let Some(&d) = self.def_op.get(v as usize) else {
            let has =
                if n == 0 { "the body defines no values".to_string() } else { format!("the body has v0..v{}", n - 1) };
            return Err(self.op_err(i, format!("v{v} is not defined ({has})")));
        };
        if d != PARAM {
            // Definitions must come first in op order as well as dominate: consumers (the
            // lowering, passes) can then walk ops in order with every operand already defined.
            if d >= i {
                return Err(self.op_err(i, format!("v{v} is used before its definition (op {d}) in op order")));
            }
            if reachable && !cfg.op_dominates(d, i) {
                return Err(self.op_err(i, format!("v{v} is used where its definition (op {d}) does not dominate it")));
            }
        }
        self.types[v as usize].ok_or_else(|| self.op_err(i, format!("internal error: v{v} has no type yet")))
    }

    /// Pass 2 for op `i`: operand definitions and types, widths, offsets; records the result type.
    fn check_op(&mut self, i: usize, reachable: bool, cfg: &Cfg, state_size: &mut u32) -> R<()> {
        let op = &self.body.ops[i];
        let ty = |v: Value| self.operand(i, v, reachable, cfg);
        let rule = |r: Result<Type, String>| r.map_err(|m| self.op_err(i, m));
        let check = |r: Result<(), String>| r.map_err(|m| self.op_err(i, m));
        let result: Option<Type> = match op {
            Op::Const { ty: t, bits } => {
                if t.is_int() && bits & !t.mask() != 0 {
                    return Err(self.op_err(i, format!("constant 0x{bits:x} does not fit in {t}")));
                }
                Some(*t)
            }
            Op::GetState { ty: t, offset } => {
                check(state_offset(*offset))?;
                *state_size = (*state_size).max(offset + t.bytes());
                Some(*t)
            }
            Op::SetState { offset, value } => {
                let t = ty(*value)?;
                check(state_offset(*offset))?;
                *state_size = (*state_size).max(offset + t.bytes());
                None
            }
            Op::Load { ty: t, width, signed, addr } => {
                let ta = ty(*addr)?;
                if ta != Type::I64 {
                    return Err(self.op_err(i, format!("load address must be i64, got {ta}")));
                }
                check(int_width("load", *width, *t))?;
                if t.is_float() && *signed {
                    return Err(self.op_err(i, "a float load cannot be signed"));
                }
                Some(*t)
            }
            Op::Store { width, addr, value } => {
                let ta = ty(*addr)?;
                let tv = ty(*value)?;
                if ta != Type::I64 {
                    return Err(self.op_err(i, format!("store address must be i64, got {ta}")));
                }
                check(int_width("store", *width, tv))?;
                None
            }
            Op::LocalGet { local } => Some(self.local_type(i, *local)?),
            Op::LocalSet { local, value } => {
                let tl = self.local_type(i, *local)?;
                let tv = ty(*value)?;
                if tl != tv {
                    return Err(self.op_err(i, format!("value type {tv} does not match local l{local} of type {tl}")));
                }
                None
            }
            Op::Mark { .. } | Op::Label { .. } | Op::Jump { .. } => None,
            Op::IntBin { a, b, .. } => {
                let t = rule(same(ty(*a)?, ty(*b)?))?;
                check(int_or_err(t, "operands"))?;
                Some(t)
            }
            Op::IntUn { a, .. } => {
                let t = ty(*a)?;
                check(int_or_err(t, "the operand"))?;
                Some(t)
            }
            Op::Icmp { a, b, .. } => {
                let t = rule(same(ty(*a)?, ty(*b)?))?;
                check(int_or_err(t, "icmp operands"))?;
                Some(Type::I8)
            }
            Op::Select { cond, a, b } => {
                check(int_or_err(ty(*cond)?, "the select condition"))?;
                Some(rule(same(ty(*a)?, ty(*b)?))?)
            }
            Op::Ext { kind, ty: t, a } => {
                let ta = ty(*a)?;
                check(int_or_err(ta, "the operand"))?;
                check(int_or_err(*t, "the result type"))?;
                let ok = match kind {
                    ExtKind::Zext | ExtKind::Sext => t.bits() > ta.bits(),
                    ExtKind::Trunc => t.bits() < ta.bits(),
                };
                if !ok {
                    let how = if *kind == ExtKind::Trunc { "strictly narrower" } else { "strictly wider" };
                    return Err(
                        self.op_err(i, format!("{} result {t} must be {how} than the operand's {ta}", kind.name()))
                    );
                }
                Some(*t)
            }
            Op::FloatBin { a, b, .. } => {
                let t = rule(same(ty(*a)?, ty(*b)?))?;
                check(float_or_err(t, "operands"))?;
                Some(t)
            }
            Op::FloatUn { a, .. } => {
                let t = ty(*a)?;
                check(float_or_err(t, "the operand"))?;
                Some(t)
            }
            Op::Fma { a, b, c } => {
                let t = rule(same(ty(*a)?, ty(*b)?))?;
                let t = rule(same(t, ty(*c)?))?;
                check(float_or_err(t, "operands"))?;
                Some(t)
            }
            Op::Fcmp { a, b, .. } => {
                let t = rule(same(ty(*a)?, ty(*b)?))?;
                check(float_or_err(t, "fcmp operands"))?;
                Some(Type::I8)
            }
            Op::FcvtToInt { ty: t, a, .. } => {
                let ta = ty(*a)?;
                if !matches!(t, Type::I32 | Type::I64) {
                    return Err(self.op_err(i, format!("the result type must be i32 or i64, got {t}")));
                }
                check(float_or_err(ta, "the operand"))?;
                Some(*t)
            }
            Op::FcvtFromInt { ty: t, a, .. } => {
                let ta = ty(*a)?;
                check(float_or_err(*t, "the result type"))?;
                if !matches!(ta, Type::I32 | Type::I64) {
                    return Err(self.op_err(i, format!("the operand must be i32 or i64, got {ta}")));
                }
                Some(*t)
            }
            Op::Fpromote { a } => {
                let ta = ty(*a)?;
                if ta != Type::F32 {
                    return Err(self.op_err(i, format!("the operand must be f32, got {ta}")));
                }
                Some(Type::F64)
            }
            Op::Fdemote { a } => {
                let ta = ty(*a)?;
                if ta != Type::F64 {
                    return Err(self.op_err(i, format!("the operand must be f64, got {ta}")));
                }
                Some(Type::F32)
            }
            Op::Bitcast { ty: t, a } => {
                let ta = ty(*a)?;
                if ta.bytes() != t.bytes() || ta.is_float() == t.is_float() {
                    return Err(self.op_err(
                        i,
                        format!("bitcast goes between an int and a float of the same width, not {ta} to {t}"),
                    ));
                }
                Some(*t)
            }
            Op::Brif { cond, .. } => {
                check(int_or_err(ty(*cond)?, "the brif condition"))?;
                None
            }
            Op::Exit { pc } | Op::Halt { pc } | Op::Trap { pc, .. } => {
                let t = ty(*pc)?;
                if t != Type::I64 {
                    return Err(self.op_err(i, format!("the pc must be i64, got {t}")));
                }
                None
            }
            Op::Call { func, args } => {
                let f = &self.block.funcs[*func as usize]; // checked in pass 1
                if args.len() != f.params.len() {
                    return Err(
                        self.op_err(i, format!("fn {func} takes {} arguments, got {}", f.params.len(), args.len()))
                    );
                }
                for (j, (a, p)) in args.iter().zip(&f.params).enumerate() {
                    let t = ty(*a)?;
                    if t != *p {
                        return Err(self.op_err(i, format!("argument {j} (v{a}) is {t} but fn {func} expects {p}")));
                    }
                }
                f.result
            }
            Op::Ret { value } => {
                if let (Some(v), Some(r)) = (value, self.result) {
                    let t = ty(*v)?;
                    if t != r {
                        return Err(self.op_err(i, format!("ret value is {t} but the function returns {r}")));
                    }
                }
                None
            }
        };
        if let Some(v) = self.op_value[i] {
            self.types[v as usize] = result;
        }
        Ok(())
    }

    fn local_type(&self, i: usize, local: Local) -> R<Type> {
        self.body.locals.get(local as usize).copied().ok_or_else(|| {
            self.op_err(i, format!("local l{local} is out of range (the body has {} locals)", self.body.locals.len()))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{BlockBuilder, BodyBuilder};
    use Type::*;

    /// Verify a main body built by `f` and return the error message.
    fn main_err(f: impl FnOnce(&mut BodyBuilder)) -> String {
        let block = BlockBuilder::new(0x1000).main(f);
        match verify(block) {
            Ok(_) => panic!("expected a verify error"),
            Err(e) => e.message,
        }
    }

    fn main_ok(f: impl FnOnce(&mut BodyBuilder)) -> VerifiedBlock {
        verify(BlockBuilder::new(0x1000).main(f)).unwrap_or_else(|e| panic!("{e}"))
    }

    fn exit0(m: &mut BodyBuilder) {
        let pc = m.iconst(I64, 0);
        m.exit(pc);
    }

    fn assert_has(msg: &str, parts: &[&str]) {
        for p in parts {
            assert!(msg.contains(p), "message {msg:?} should contain {p:?}");
        }
    }

    #[test]
    fn readme_example_verifies() {
        let vb = verify(crate::testing::sum_words_block()).unwrap();
        assert_eq!(vb.state_size, 96);
        assert_eq!(vb.op_count, vb.block.main.ops.len());
        assert_eq!(vb.main.label_pos.len(), 3);
        assert_eq!(vb.main.marks.len(), vb.block.main.ops.len());
        assert_eq!(vb.main.op_value.len(), vb.block.main.ops.len());
    }

    #[test]
    fn error_format() {
        let e = main_err(|m| {
            let a = m.iconst(I64, 1);
            let b = m.iconst(I32, 2);
            m.add(a, b);
            exit0(m);
        });
        assert_eq!(e, "IR verify error in main, op 2 (v2 = add v0, v1): operand types differ: i64 vs i32");
    }

    #[test]
    fn fills_body_info() {
        let mut bb = BlockBuilder::new(0x1000);
        let f = bb.func(&[I32], Some(I32), |f| {
            let x = f.add(f.param(0), f.param(0));
            f.ret(Some(x));
        });
        let vb = verify(bb.main(|m| {
            m.mark(0x2000);
            let a = m.get_state(I32, 4);
            let r = m.call(f, &[a]).unwrap();
            m.mark(0x2004);
            m.set_state(20, r);
            let pc = m.iconst(I64, 0x2008);
            let l = m.new_label();
            m.jump(l);
            m.bind(l);
            m.exit(pc);
        }))
        .unwrap();
        assert_eq!(vb.state_size, 24);
        assert_eq!(vb.op_count, 2 + 9);
        assert_eq!(vb.funcs[0].value_types, vec![I32, I32]);
        assert_eq!(vb.funcs[0].op_value, vec![Some(1), None]);
        assert_eq!(vb.funcs[0].marks, vec![0x1000, 0x1000]);
        assert_eq!(vb.main.value_types, vec![I32, I32, I64]);
        assert_eq!(vb.main.op_value, vec![None, Some(0), Some(1), None, None, Some(2), None, None, None]);
        assert_eq!(vb.main.marks, vec![0x1000, 0x2000, 0x2000, 0x2000, 0x2004, 0x2004, 0x2004, 0x2004, 0x2004]);
        assert_eq!(vb.main.label_pos, vec![7]);
        assert!(vb.main.is_back_edge(8, 0));
        assert!(!vb.main.is_back_edge(6, 0));
    }

    // ---- structure ----

    #[test]
    fn body_must_end_with_terminator() {
        let e = main_err(|m| {
            m.iconst(I64, 0);
        });
        assert_eq!(e, "IR verify error in main, op 0 (v0 = const.i64 0): the body must end with a terminator");
        let e = main_err(|_| {});
        assert_has(&e, &["in main:", "the body is empty"]);
    }

    #[test]
    fn op_after_terminator_must_be_label() {
        let e = main_err(|m| {
            exit0(m);
            exit0(m);
        });
        assert_has(&e, &["op 2 (v1 = const.i64 0)", "after a terminator (`exit v0`) must be a label"]);
    }

    #[test]
    fn labels() {
        let e = main_err(|m| {
            let l = m.new_label();
            m.bind(l);
            m.bind(l);
            exit0(m);
        });
        assert_has(&e, &["op 1 (L0:)", "label L0 is already bound at op 0"]);
        let e = main_err(|m| {
            m.new_label();
            exit0(m);
        });
        assert_eq!(e, "IR verify error in main: label L0 is never bound");
        let e = main_err(|m| m.jump(3));
        assert_has(&e, &["op 0 (jump L3)", "label L3 is out of range (the body declares 0 labels)"]);
        let e = main_err(|m| {
            let c = m.iconst(I8, 1);
            let l = m.new_label();
            m.brif(c, l, 9);
            m.bind(l);
            exit0(m);
        });
        assert_has(&e, &["op 1 (brif v0, L0, L9)", "label L9 is out of range"]);
        let e = main_err(|m| {
            m.bind(5);
            exit0(m);
        });
        assert_has(&e, &["label L5 is out of range"]);
    }

    #[test]
    fn terminators_by_body_kind() {
        let e = main_err(|m| m.ret(None));
        assert_has(&e, &["in main, op 0 (ret)", "ret is only allowed in helper functions"]);
        for which in 0..3 {
            let mut bb = BlockBuilder::new(0);
            bb.func(&[I64], None, |f| match which {
                0 => f.exit(0),
                1 => f.halt(0),
                _ => f.trap(1, 0),
            });
            let e = verify(bb.main(exit0)).unwrap_err().message;
            assert_has(&e, &["in fn 0, op 0", "only allowed in the main body"]);
        }
    }

    #[test]
    fn ret_operand() {
        let mut bb = BlockBuilder::new(0);
        bb.func(&[], Some(I64), |f| f.ret(None));
        let e = verify(bb.main(exit0)).unwrap_err().message;
        assert_has(&e, &["in fn 0, op 0 (ret)", "ret needs a value: fn 0 returns i64"]);
        let mut bb = BlockBuilder::new(0);
        bb.func(&[I64], None, |f| f.ret(Some(0)));
        let e = verify(bb.main(exit0)).unwrap_err().message;
        assert_has(&e, &["ret takes no value: fn 0 has no result"]);
        let mut bb = BlockBuilder::new(0);
        bb.func(&[I32], Some(I64), |f| f.ret(Some(0)));
        let e = verify(bb.main(exit0)).unwrap_err().message;
        assert_has(&e, &["(ret v0)", "ret value is i32 but the function returns i64"]);
    }

    #[test]
    fn calls() {
        let e = main_err(|m| {
            m.op(Op::Call { func: 0, args: vec![] });
            exit0(m);
        });
        assert_has(&e, &["op 0 (call fn 0 ())", "call to fn 0, but the block has 0 helpers"]);
        // helper k may call only helpers below k
        let mut bb = BlockBuilder::new(0);
        bb.func(&[], None, |f| f.ret(None));
        bb.func(&[], None, |f| {
            f.op(Op::Call { func: 1, args: vec![] });
            f.ret(None)
        });
        let e = verify(bb.main(exit0)).unwrap_err().message;
        assert_has(&e, &["in fn 1, op 0", "fn 1 may only call helpers below fn 1, not fn 1"]);
        // arg count and types
        let mut bb = BlockBuilder::new(0);
        let f = bb.func(&[I64, F64], None, |f| f.ret(None));
        let e = verify(bb.main(|m| {
            let a = m.iconst(I64, 1);
            m.call(f, &[a]);
            exit0(m);
        }))
        .unwrap_err()
        .message;
        assert_has(&e, &["(call fn 0 (v0))", "fn 0 takes 2 arguments, got 1"]);
        let mut bb = BlockBuilder::new(0);
        let f = bb.func(&[I64, F64], None, |f| f.ret(None));
        let e = verify(bb.main(|m| {
            let a = m.iconst(I64, 1);
            m.call(f, &[a, a]);
            exit0(m);
        }))
        .unwrap_err()
        .message;
        assert_has(&e, &["argument 1 (v0) is i64 but fn 0 expects f64"]);
        // helpers calling lower helpers is fine, and the result defines a value
        let mut bb = BlockBuilder::new(0);
        let f0 = bb.func(&[I64], Some(I64), |f| f.ret(Some(0)));
        let f1 = bb.func(&[I64], Some(I64), |f| {
            let r = f.call(f0, &[f.param(0)]).unwrap();
            f.ret(Some(r));
        });
        let vb = verify(bb.main(|m| {
            let a = m.iconst(I64, 1);
            let r = m.call(f1, &[a]).unwrap();
            m.exit(r);
        }))
        .unwrap();
        assert_eq!(vb.funcs[1].value_types, vec![I64, I64]);
    }

    #[test]
    fn limits() {
        let mut block = BlockBuilder::new(0).main(exit0);
        block.funcs = vec![
            Function {
                params: vec![],
                result: None,
                body: Body { locals: vec![], num_labels: 0, ops: vec![Op::Ret { value: None }] }
            };
            4097
        ];
        assert_has(&verify(block).unwrap_err().message, &["the block has 4097 helpers; the limit is 4096"]);
        let mut bb = BlockBuilder::new(0);
        bb.func(&[I8; 65], None, |f| f.ret(None));
        assert_has(&verify(bb.main(exit0)).unwrap_err().message, &["in fn 0: 65 parameters; the limit is 64"]);
        let mut block = BlockBuilder::new(0).main(exit0);
        block.main.locals = vec![I8; 65_537];
        assert_has(&verify(block).unwrap_err().message, &["65537 locals; the limit is 65536"]);
        let mut block = BlockBuilder::new(0).main(exit0);
        block.main.num_labels = 65_537;
        assert_has(&verify(block).unwrap_err().message, &["65537 labels; the limit is 65536"]);
        let mut block = BlockBuilder::new(0).main(exit0);
        block.main.ops = vec![Op::Mark { pc: 0 }; 1_000_001];
        assert_has(&verify(block).unwrap_err().message, &["in main: 1000001 ops; the limit is 1000000"]);
        let e = main_err(|m| {
            m.get_state(I64, 1 << 24);
            exit0(m);
        });
        assert_has(&e, &["(v0 = get_state.i64 16777216)", "state offset 16777216 is not below 2^24"]);
        let e = main_err(|m| {
            let v = m.iconst(I8, 0);
            m.set_state(1 << 24, v);
            exit0(m);
        });
        assert_has(&e, &["state offset 16777216 is not below 2^24"]);
    }

    // ---- values and dominance ----

    #[test]
    fn undefined_value() {
        let e = main_err(|m| m.exit(7));
        assert_has(&e, &["op 0 (exit v7)", "v7 is not defined (the body defines no values)"]);
        let e = main_err(|m| {
            m.iconst(I64, 0);
            m.exit(7);
        });
        assert_has(&e, &["v7 is not defined (the body has v0..v0)"]);
    }

    #[test]
    fn use_before_def_in_a_basic_block() {
        let e = main_err(|m| {
            m.add(1, 1);
            m.iconst(I64, 0);
            m.exit(0);
        });
        assert_has(&e, &["op 0 (v0 = add v1, v1)", "v1 is used before its definition (op 1) in op order"]);
        let e = main_err(|m| {
            m.add(0, 0);
            m.exit(0);
        });
        assert_has(&e, &["v0 is used before its definition (op 0) in op order"]);
    }

    #[test]
    fn dominance_across_branches() {
        // v1 defined on one side of a diamond, used at the join: not dominated.
        let e = main_err(|m| {
            let c = m.iconst(I8, 1);
            let (t, e, j) = (m.new_label(), m.new_label(), m.new_label());
            m.brif(c, t, e);
            m.bind(t);
            let x = m.iconst(I64, 5);
            m.jump(j);
            m.bind(e);
            m.jump(j);
            m.bind(j);
            m.exit(x);
        });
        assert_has(&e, &["(exit v1)", "v1 is used where its definition (op 3) does not dominate it"]);
        // defined before the diamond: fine
        main_ok(|m| {
            let c = m.iconst(I8, 1);
            let x = m.iconst(I64, 5);
            let (t, e, j) = (m.new_label(), m.new_label(), m.new_label());
            m.brif(c, t, e);
            m.bind(t);
            m.jump(j);
            m.bind(e);
            m.jump(j);
            m.bind(j);
            m.exit(x);
        });
    }

    #[test]
    fn definition_must_precede_use_in_op_order_even_when_it_dominates() {
        // jump L1; L0: exit v0; L1: v0 = const; jump L0 — v0 dominates its use but comes later.
        let e = main_err(|m| {
            let (l0, l1) = (m.new_label(), m.new_label());
            m.jump(l1);
            m.bind(l0);
            m.exit(0);
            m.bind(l1);
            m.iconst(I64, 0x42);
            m.jump(l0);
        });
        assert_has(&e, &["op 2 (exit v0)", "used before its definition (op 4) in op order"]);
    }

    #[test]
    fn loop_values_do_not_dominate_the_header() {
        // L0: use v1 (defined later in the loop body) — the entry path does not pass through it.
        let e = main_err(|m| {
            let l0 = m.new_label();
            m.bind(l0);
            let c = m.iconst(I8, 1);
            m.add(2, 2);
            m.iconst(I64, 1);
            let l1 = m.new_label();
            m.brif(c, l0, l1);
            m.bind(l1);
            exit0(m);
        });
        assert_has(&e, &["v2 is used before its definition (op 3) in op order"]);
    }

    #[test]
    fn unreachable_code_rule() {
        // Unreachable code may use any value defined earlier in op order, even if it does not
        // dominate, and is still type checked.
        let vb = main_ok(|m| {
            let c = m.iconst(I8, 1);
            let (t, e, dead) = (m.new_label(), m.new_label(), m.new_label());
            m.brif(c, t, e);
            m.bind(t);
            let x = m.iconst(I64, 5);
            m.exit(x);
            m.bind(dead);
            let y = m.add(x, x); // x does not dominate here, but this block is unreachable
            m.exit(y);
            m.bind(e);
            exit0(m);
        });
        assert_eq!(vb.main.value_types, vec![I8, I64, I64, I64]);
        // ... but not values defined later in op order
        let e = main_err(|m| {
            let (dead, live) = (m.new_label(), m.new_label());
            m.jump(live);
            m.bind(dead);
            m.exit(1);
            m.bind(live);
            m.iconst(I64, 5);
            exit0(m);
        });
        assert_has(&e, &["op 2 (exit v1)", "v1 is used before its definition (op 5) in op order"]);
        // ... and types are checked there
        let e = main_err(|m| {
            let (dead, live) = (m.new_label(), m.new_label());
            m.jump(live);
            m.bind(dead);
            let a = m.iconst(I32, 1);
            let b = m.f64const(1.0);
            m.add(a, b);
            m.exit(a);
            m.bind(live);
            exit0(m);
        });
        assert_has(&e, &["(v2 = add v0, v1)", "operand types differ: i32 vs f64"]);
        // a reachable use of a value defined only in unreachable code is an error
        let e = main_err(|m| {
            let (dead, live) = (m.new_label(), m.new_label());
            m.jump(live);
            m.bind(dead);
            let x = m.iconst(I64, 1);
            m.exit(x);
            m.bind(live);
            m.exit(x);
        });
        assert_has(&e, &["op 5 (exit v0)", "does not dominate"]);
    }

    #[test]
    fn helper_params_dominate_everything() {
        let mut bb = BlockBuilder::new(0);
        bb.func(&[I64, I64], Some(I64), |f| {
            let l = f.new_label();
            f.jump(l);
            f.bind(l);
            let s = f.add(0, 1);
            f.ret(Some(s));
        });
        verify(bb.main(exit0)).unwrap();
    }

    // ---- operand types, one rule each ----

    #[test]
    fn const_must_fit() {
        let e = main_err(|m| {
            m.op(Op::Const { ty: I8, bits: 0x100 });
            exit0(m);
        });
        assert_has(&e, &["constant 0x100 does not fit in i8"]);
        main_ok(|m| {
            m.op(Op::Const { ty: F32, bits: 0xffff_ffff });
            m.op(Op::Const { ty: I32, bits: 0xffff_ffff });
            exit0(m);
        });
    }

    #[test]
    fn loads_and_stores() {
        let addr = |m: &mut BodyBuilder| m.iconst(I64, 0);
        let e = main_err(|m| {
            let a = m.iconst(I32, 0);
            m.load(I64, 8, false, a);
            exit0(m);
        });
        assert_has(&e, &["(v1 = load.i64 v0)", "load address must be i64, got i32"]);
        let e = main_err(|m| {
            let a = addr(m);
            m.load(I64, 3, false, a);
            exit0(m);
        });
        assert_has(&e, &["load width 3 is not 1, 2, 4 or 8"]);
        let e = main_err(|m| {
            let a = addr(m);
            m.load(I16, 4, true, a);
            exit0(m);
        });
        assert_has(&e, &["load width 4 is wider than i16"]);
        let e = main_err(|m| {
            let a = addr(m);
            m.load(F64, 4, false, a);
            exit0(m);
        });
        assert_has(&e, &["a f64 load must be 8 bytes wide, not 4"]);
        let e = main_err(|m| {
            let a = addr(m);
            m.load(F32, 4, true, a);
            exit0(m);
        });
        assert_has(&e, &["a float load cannot be signed"]);
        let e = main_err(|m| {
            let a = addr(m);
            let v = m.iconst(I32, 0);
            m.store(8, a, v);
            exit0(m);
        });
        assert_has(&e, &["(store.8 v0, v1)", "store width 8 is wider than i32"]);
        let e = main_err(|m| {
            let a = addr(m);
            let v = m.f32const(1.0);
            m.store(2, a, v);
            exit0(m);
        });
        assert_has(&e, &["a f32 store must be 4 bytes wide, not 2"]);
        let e = main_err(|m| {
            let a = m.iconst(I8, 0);
            m.store(1, a, a);
            exit0(m);
        });
        assert_has(&e, &["store address must be i64, got i8"]);
        let e = main_err(|m| {
            let a = addr(m);
            m.store(0, a, a);
            exit0(m);
        });
        assert_has(&e, &["store width 0 is not 1, 2, 4 or 8"]);
        main_ok(|m| {
            let a = addr(m);
            let v = m.load(I64, 4, true, a);
            m.store(2, a, v);
            let f = m.load(F64, 8, false, a);
            m.store(8, a, f);
            exit0(m);
        });
    }

    #[test]
    fn locals() {
        let e = main_err(|m| {
            m.local_get(0);
            exit0(m);
        });
        assert_has(&e, &["(v0 = local_get l0)", "local l0 is out of range (the body has 0 locals)"]);
        let e = main_err(|m| {
            let l = m.local(I32);
            let v = m.iconst(I64, 0);
            m.local_set(l, v);
            exit0(m);
        });
        assert_has(&e, &["(local_set l0, v0)", "value type i64 does not match local l0 of type i32"]);
        let e = main_err(|m| {
            let v = m.iconst(I64, 0);
            m.local_set(2, v);
            exit0(m);
        });
        assert_has(&e, &["local l2 is out of range"]);
    }

    #[test]
    fn int_ops() {
        let e = main_err(|m| {
            let a = m.f64const(1.0);
            m.bin(IntBinOp::Mul, a, a);
            exit0(m);
        });
        assert_has(&e, &["(v1 = mul v0, v0)", "operands must be an integer, got f64"]);
        let e = main_err(|m| {
            let a = m.f32const(1.0);
            m.un(IntUnOp::Clz, a);
            exit0(m);
        });
        assert_has(&e, &["(v1 = clz v0)", "the operand must be an integer, got f32"]);
        let e = main_err(|m| {
            let a = m.iconst(I64, 1);
            let b = m.iconst(I32, 1);
            m.icmp(IntCC::Eq, a, b);
            exit0(m);
        });
        assert_has(&e, &["(v2 = icmp.eq v0, v1)", "operand types differ: i64 vs i32"]);
        let e = main_err(|m| {
            let a = m.f64const(1.0);
            m.icmp(IntCC::Eq, a, a);
            exit0(m);
        });
        assert_has(&e, &["icmp operands must be an integer, got f64"]);
    }

    #[test]
    fn select_rules() {
        let e = main_err(|m| {
            let c = m.f64const(1.0);
            m.select(c, c, c);
            exit0(m);
        });
        assert_has(&e, &["the select condition must be an integer, got f64"]);
        let e = main_err(|m| {
            let c = m.iconst(I8, 1);
            let a = m.iconst(I64, 1);
            m.select(c, c, a);
            exit0(m);
        });
        assert_has(&e, &["(v2 = select v0, v0, v1)", "operand types differ: i8 vs i64"]);
        let vb = main_ok(|m| {
            let c = m.iconst(I32, 1);
            let a = m.f32const(1.0);
            m.select(c, a, a);
            exit0(m);
        });
        assert_eq!(vb.main.value_types[2], F32);
    }

    #[test]
    fn extensions() {
        let e = main_err(|m| {
            let a = m.iconst(I64, 1);
            m.zext(I32, a);
            exit0(m);
        });
        assert_has(&e, &["(v1 = zext.i32 v0)", "zext result i32 must be strictly wider than the operand's i64"]);
        let e = main_err(|m| {
            let a = m.iconst(I32, 1);
            m.sext(I32, a);
            exit0(m);
        });
        assert_has(&e, &["sext result i32 must be strictly wider"]);
        let e = main_err(|m| {
            let a = m.iconst(I32, 1);
            m.trunc(I64, a);
            exit0(m);
        });
        assert_has(&e, &["trunc result i64 must be strictly narrower than the operand's i32"]);
        let e = main_err(|m| {
            let a = m.f32const(1.0);
            m.zext(I64, a);
            exit0(m);
        });
        assert_has(&e, &["the operand must be an integer, got f32"]);
        let e = main_err(|m| {
            let a = m.iconst(I32, 1);
            m.sext(F64, a);
            exit0(m);
        });
        assert_has(&e, &["the result type must be an integer, got f64"]);
    }

    #[test]
    fn float_ops() {
        let e = main_err(|m| {
            let a = m.iconst(I64, 1);
            m.fbin(FloatBinOp::Fadd, a, a);
            exit0(m);
        });
        assert_has(&e, &["(v1 = fadd v0, v0)", "operands must be a float, got i64"]);
        let e = main_err(|m| {
            let a = m.f32const(1.0);
            let b = m.f64const(1.0);
            m.fbin(FloatBinOp::Fmin, a, b);
            exit0(m);
        });
        assert_has(&e, &["operand types differ: f32 vs f64"]);
        let e = main_err(|m| {
            let a = m.iconst(I32, 1);
            m.fun(FloatUnOp::Fsqrt, a);
            exit0(m);
        });
        assert_has(&e, &["the operand must be a float, got i32"]);
        let e = main_err(|m| {
            let a = m.f64const(1.0);
            let b = m.f32const(1.0);
            m.fma(a, a, b);
            exit0(m);
        });
        assert_has(&e, &["(v2 = fma v0, v0, v1)", "operand types differ: f64 vs f32"]);
        let e = main_err(|m| {
            let a = m.iconst(I64, 1);
            m.fma(a, a, a);
            exit0(m);
        });
        assert_has(&e, &["operands must be a float, got i64"]);
        let e = main_err(|m| {
            let a = m.iconst(I64, 1);
            m.fcmp(FloatCC::Lt, a, a);
            exit0(m);
        });
        assert_has(&e, &["fcmp operands must be a float, got i64"]);
    }

    #[test]
    fn conversions() {
        let e = main_err(|m| {
            let a = m.f64const(1.0);
            m.fcvt_to_int(I16, true, a);
            exit0(m);
        });
        assert_has(&e, &["(v1 = fcvt_to_sint.i16 v0)", "the result type must be i32 or i64, got i16"]);
        let e = main_err(|m| {
            let a = m.iconst(I64, 1);
            m.fcvt_to_int(I64, false, a);
            exit0(m);
        });
        assert_has(&e, &["the operand must be a float, got i64"]);
        let e = main_err(|m| {
            let a = m.iconst(I8, 1);
            m.fcvt_from_int(F64, true, a);
            exit0(m);
        });
        assert_has(&e, &["the operand must be i32 or i64, got i8"]);
        let e = main_err(|m| {
            let a = m.iconst(I64, 1);
            m.fcvt_from_int(I64, true, a);
            exit0(m);
        });
        assert_has(&e, &["the result type must be a float, got i64"]);
        let e = main_err(|m| {
            let a = m.f64const(1.0);
            m.fpromote(a);
            exit0(m);
        });
        assert_has(&e, &["(v1 = fpromote v0)", "the operand must be f32, got f64"]);
        let e = main_err(|m| {
            let a = m.f32const(1.0);
            m.fdemote(a);
            exit0(m);
        });
        assert_has(&e, &["the operand must be f64, got f32"]);
        let e = main_err(|m| {
            let a = m.iconst(I32, 1);
            m.bitcast(F64, a);
            exit0(m);
        });
        assert_has(&e, &["bitcast goes between an int and a float of the same width, not i32 to f64"]);
        let e = main_err(|m| {
            let a = m.iconst(I64, 1);
            m.bitcast(I64, a);
            exit0(m);
        });
        assert_has(&e, &["not i64 to i64"]);
        let vb = main_ok(|m| {
            let a = m.iconst(I32, 1);
            let f = m.bitcast(F32, a);
            let d = m.fpromote(f);
            let i = m.fcvt_to_int(I64, true, d);
            m.fcvt_from_int(F32, false, i);
            exit0(m);
        });
        assert_eq!(vb.main.value_types, vec![I32, F32, F64, I64, F32, I64]);
    }

    #[test]
    fn branch_and_exit_operands() {
        let e = main_err(|m| {
            let c = m.f32const(1.0);
            let l = m.new_label();
            m.brif(c, l, l);
            m.bind(l);
            exit0(m);
        });
        assert_has(&e, &["(brif v0, L0, L0)", "the brif condition must be an integer, got f32"]);
        for which in 0..3 {
            let e = main_err(|m| {
                let pc = m.iconst(I32, 0);
                match which {
                    0 => m.exit(pc),
                    1 => m.halt(pc),
                    _ => m.trap(3, pc),
                }
            });
            assert_has(&e, &["op 1", "the pc must be i64, got i32"]);
        }
    }

    #[test]
    fn errors_name_the_helper() {
        let mut bb = BlockBuilder::new(0);
        bb.func(&[], None, |f| f.ret(None));
        bb.func(&[], None, |f| f.ret(None));
        bb.func(&[], None, |f| f.ret(None));
        bb.func(&[I64], None, |f| {
            let x = f.f64const(1.0);
            f.add(f.param(0), x);
            f.ret(None);
        });
        let e = verify(bb.main(exit0)).unwrap_err().message;
        assert_eq!(e, "IR verify error in fn 3, op 1 (v2 = add v0, v1): operand types differ: i64 vs f64");
    }

    #[test]
    fn big_body_is_fast() {
        // 1,000,000 ops in one basic block plus a loop: must verify quickly even in debug builds.
        let block = BlockBuilder::new(0).main(|m| {
            let one = m.iconst(I64, 1);
            let l = m.local(I64);
            let head = m.new_label();
            m.bind(head);
            let mut x = m.local_get(l);
            for _ in 0..999_990 {
                x = m.add(x, one);
            }
            m.local_set(l, x);
            let c = m.icmp(IntCC::Ult, x, one);
            let out = m.new_label();
            m.brif(c, head, out);
            m.bind(out);
            m.exit(x);
        });
        let t = std::time::Instant::now();
        let vb = verify(block).unwrap();
        assert_eq!(vb.op_count, 999_998);
        assert!(t.elapsed().as_secs_f64() < 5.0, "took {:?}", t.elapsed());
    }

    #[test]
    fn many_labels_are_fast() {
        // 60,000 basic blocks, each branching back to the first: a quadratic dominator
        // algorithm would take seconds here.
        let block = BlockBuilder::new(0).main(|m| {
            let c = m.iconst(I8, 1);
            let n = 60_000;
            let labels: Vec<Label> = (0..n).map(|_| m.new_label()).collect();
            for k in 0..n - 1 {
                m.bind(labels[k]);
                m.brif(c, labels[1.min(k)], labels[k + 1]);
            }
            m.bind(labels[n - 1]);
            m.exit_const(0);
        });
        let t = std::time::Instant::now();
        verify(block).unwrap();
        assert!(t.elapsed().as_secs_f64() < 5.0, "took {:?}", t.elapsed());
    }
}

//! Translation of a verified block into the interpreter's pre-decoded form.
//!
//! All bodies share one register file (`Vec<u64>`): body `b` owns a fixed slot range holding its
//! values, then its locals. That is sound because a body is never active twice at once — helper
//! `k` only calls helpers below `k`, so a call chain strictly descends. Instructions name
//! absolute slots, jumps name absolute instruction indices, and `mark`/`label` ops vanish (a
//! label's position becomes the index of the next instruction).

use crate::ir::{
    Body, BodyInfo, ExtKind, FloatBinOp, FloatCC, FloatUnOp, IntBinOp, IntCC, IntUnOp, Op, Type, VerifiedBlock,
};

/// "No slot": the destination of a call without a result, the operand of a bare `ret`.
pub(crate) const NO_SLOT: u32 = u32::MAX;

#[derive(Clone, Copy, Debug)]
pub(crate) enum Inst {
    Const {
        dst: u32,
        bits: u64,
    },
    /// local_get, local_set, zext (values are kept zero-extended) and bitcast.
    Copy {
        dst: u32,
        src: u32,
    },
    GetState {
        dst: u32,
        off: u32,
        width: u8,
    },
    SetState {
        src: u32,
        off: u32,
        width: u8,
    },
    Load {
        dst: u32,
        addr: u32,
        width: u8,
        signed: bool,
        ty: Type,
    },
    Store {
        addr: u32,
        src: u32,
        width: u8,
    },
    /// The commonest integer ops get their own variants: one dispatch instead of two.
    Add {
        ty: Type,
        dst: u32,
        a: u32,
        b: u32,
    },
    Sub {
        ty: Type,
        dst: u32,
        a: u32,
        b: u32,
    },
    And {
        dst: u32,
        a: u32,
        b: u32,
    },
    Or {
        dst: u32,
        a: u32,
        b: u32,
    },
    Xor {
        dst: u32,
        a: u32,
        b: u32,
    },
    IntBin {
        op: IntBinOp,
        ty: Type,
        dst: u32,
        a: u32,
        b: u32,
    },
    IntUn {
        op: IntUnOp,
        ty: Type,
        dst: u32,
        a: u32,
    },
    Icmp {
        cc: IntCC,
        ty: Type,
        dst: u32,
        a: u32,
        b: u32,
    },
    Select {
        dst: u32,
        cond: u32,
        a: u32,
        b: u32,
    },
    Sext {
        from: Type,
        to: Type,
        dst: u32,
        a: u32,
    },
    Trunc {
        to: Type,
        dst: u32,
        a: u32,
    },
    FloatBin {
        op: FloatBinOp,
        ty: Type,
        dst: u32,
        a: u32,
        b: u32,
    },
    FloatUn {
        op: FloatUnOp,
        ty: Type,
        dst: u32,
        a: u32,
    },
    Fma {
        ty: Type,
        dst: u32,
        a: u32,
        b: u32,
        c: u32,
    },
    Fcmp {
        cc: FloatCC,
        ty: Type,
        dst: u32,
        a: u32,
        b: u32,
    },
    FcvtToInt {
        from: Type,
        to: Type,
        signed: bool,
        dst: u32,
        a: u32,
    },
    FcvtFromInt {
        from: Type,
        to: Type,
        signed: bool,
        dst: u32,
        a: u32,
    },
    Fpromote {
        dst: u32,
        a: u32,
    },
    Fdemote {
        dst: u32,
        a: u32,
    },
    /// `back`: a back edge (fuel and interrupt check before it is taken).
    Jump {
        target: u32,
        back: bool,
    },
    Brif {
        cond: u32,
        then_t: u32,
        else_t: u32,
        then_back: bool,
        else_back: bool,
    },
    Exit {
        pc: u32,
    },
    Halt {
        pc: u32,
    },
    Trap {
        code: u32,
        pc: u32,
    },
    /// Arguments are `call_args[args..args + nargs]` (source slots).
    Call {
        func: u32,
        args: u32,
        nargs: u32,
        dst: u32,
    },
    Ret {
        src: u32,
    },
}

/// Where a helper lives in the instruction stream and the register file.
#[derive(Clone, Copy, Debug)]
pub(crate) struct FuncLayout {
    pub entry: u32,
    /// First parameter slot (parameters are the helper's first values).
    pub params: u32,
    pub locals: u32,
    pub nlocals: u32,
}

/// A verified block in the interpreter's form. Build once (`Program::new`), run many times.
#[derive(Clone, Debug)]
pub struct Program {
    pub(crate) insts: Vec<Inst>,
    /// The current mark of each instruction (meaningful for main-body instructions).
    pub(crate) pcs: Vec<u64>,
    pub(crate) call_args: Vec<u32>,
    pub(crate) funcs: Vec<FuncLayout>,
    /// Size of the register file.
    pub(crate) nslots: usize,
    pub(crate) state_size: u32,
}

impl Program {
    /// Translate a verified block. Main's instructions come first (entry at index 0).
    pub fn new(vb: &VerifiedBlock) -> Program {
        let mut p = Program {
            insts: Vec::with_capacity(vb.op_count),
            pcs: Vec::with_capacity(vb.op_count),
            call_args: Vec::new(),
            funcs: Vec::with_capacity(vb.funcs.len()),
            nslots: 0,
            state_size: vb.state_size,
        };
        // Register-file layout: main, then each helper.
        let main_base = 0u32;
        p.nslots = vb.main.value_types.len() + vb.block.main.locals.len();
        let mut bases = Vec::with_capacity(vb.funcs.len());
        for (f, info) in vb.block.funcs.iter().zip(&vb.funcs) {
            let base = p.nslots as u32;
            bases.push(base);
            let nvals = info.value_types.len() as u32;
            p.funcs.push(FuncLayout {
                entry: 0,
                params: base,
                locals: base + nvals,
                nlocals: f.body.locals.len() as u32,
            });
            p.nslots += (nvals + f.body.locals.len() as u32) as usize;
        }
        p.translate(&vb.block.main, &vb.main, main_base);
        for (k, (f, info)) in vb.block.funcs.iter().zip(&vb.funcs).enumerate() {
            p.funcs[k].entry = p.insts.len() as u32;
            p.translate(&f.body, info, bases[k]);
        }
        p
    }

    /// Bytes of guest state the block needs.
    pub fn state_size(&self) -> u32 {
        self.state_size
    }

    fn translate(&mut self, body: &Body, info: &BodyInfo, base: u32) {
        let start = self.insts.len() as u32;
        // Instruction index of each op (for a dropped op: of the next emitted instruction).
        let mut at = Vec::with_capacity(body.ops.len());
        let mut n = start;
        for op in &body.ops {
            at.push(n);
            if !matches!(op, Op::Mark { .. } | Op::Label { .. }) {
                n += 1;
            }
        }
        let nvals = info.value_types.len() as u32;
        let slot = |v: u32| base + v;
        let local = |l: u32| base + nvals + l;
        let target = |l: u32| at[info.label_pos[l as usize]];
        let ty_of = |v: u32| info.value_types[v as usize];
        for (i, op) in body.ops.iter().enumerate() {
            let dst = info.op_value[i].map_or(NO_SLOT, slot);
            let inst = match op {
                Op::Mark { .. } | Op::Label { .. } => continue,
                Op::Const { bits, .. } => Inst::Const { dst, bits: *bits },
                Op::GetState { ty, offset } => Inst::GetState { dst, off: *offset, width: ty.bytes() as u8 },
                Op::SetState { offset, value } => {
                    Inst::SetState { src: slot(*value), off: *offset, width: ty_of(*value).bytes() as u8 }
                }
                Op::Load { ty, width, signed, addr } => {
                    Inst::Load { dst, addr: slot(*addr), width: *width, signed: *signed, ty: *ty }
                }
                Op::Store { width, addr, value } => Inst::Store { addr: slot(*addr), src: slot(*value), width: *width },
                Op::LocalGet { local: l } => Inst::Copy { dst, src: local(*l) },
                Op::LocalSet { local: l, value } => Inst::Copy { dst: local(*l), src: slot(*value) },
                Op::IntBin { op: IntBinOp::Add, a, b } => Inst::Add { ty: ty_of(*a), dst, a: slot(*a), b: slot(*b) },
                Op::IntBin { op: IntBinOp::Sub, a, b } => Inst::Sub { ty: ty_of(*a), dst, a: slot(*a), b: slot(*b) },
                // and/or/xor of zero-extended operands need no mask
                Op::IntBin { op: IntBinOp::And, a, b } => Inst::And { dst, a: slot(*a), b: slot(*b) },
                Op::IntBin { op: IntBinOp::Or, a, b } => Inst::Or { dst, a: slot(*a), b: slot(*b) },
                Op::IntBin { op: IntBinOp::Xor, a, b } => Inst::Xor { dst, a: slot(*a), b: slot(*b) },
                Op::IntBin { op, a, b } => Inst::IntBin { op: *op, ty: ty_of(*a), dst, a: slot(*a), b: slot(*b) },
                Op::IntUn { op, a } => Inst::IntUn { op: *op, ty: ty_of(*a), dst, a: slot(*a) },
                Op::Icmp { cc, a, b } => Inst::Icmp { cc: *cc, ty: ty_of(*a), dst, a: slot(*a), b: slot(*b) },
                Op::Select { cond, a, b } => Inst::Select { dst, cond: slot(*cond), a: slot(*a), b: slot(*b) },
                Op::Ext { kind: ExtKind::Zext, a, .. } | Op::Bitcast { a, .. } => Inst::Copy { dst, src: slot(*a) },
                Op::Ext { kind: ExtKind::Sext, ty, a } => Inst::Sext { from: ty_of(*a), to: *ty, dst, a: slot(*a) },
                Op::Ext { kind: ExtKind::Trunc, ty, a } => Inst::Trunc { to: *ty, dst, a: slot(*a) },
                Op::FloatBin { op, a, b } => Inst::FloatBin { op: *op, ty: ty_of(*a), dst, a: slot(*a), b: slot(*b) },
                Op::FloatUn { op, a } => Inst::FloatUn { op: *op, ty: ty_of(*a), dst, a: slot(*a) },
                Op::Fma { a, b, c } => Inst::Fma { ty: ty_of(*a), dst, a: slot(*a), b: slot(*b), c: slot(*c) },
                Op::Fcmp { cc, a, b } => Inst::Fcmp { cc: *cc, ty: ty_of(*a), dst, a: slot(*a), b: slot(*b) },
                Op::FcvtToInt { ty, signed, a } => {
                    Inst::FcvtToInt { from: ty_of(*a), to: *ty, signed: *signed, dst, a: slot(*a) }
                }
                Op::FcvtFromInt { ty, signed, a } => {
                    Inst::FcvtFromInt { from: ty_of(*a), to: *ty, signed: *signed, dst, a: slot(*a) }
                }
                Op::Fpromote { a } => Inst::Fpromote { dst, a: slot(*a) },
                Op::Fdemote { a } => Inst::Fdemote { dst, a: slot(*a) },
                Op::Jump { label } => Inst::Jump { target: target(*label), back: info.is_back_edge(i, *label) },
                Op::Brif { cond, then_label, else_label } => Inst::Brif {
                    cond: slot(*cond),
                    then_t: target(*then_label),
                    else_t: target(*else_label),
                    then_back: info.is_back_edge(i, *then_label),
                    else_back: info.is_back_edge(i, *else_label),
                },
                Op::Exit { pc } => Inst::Exit { pc: slot(*pc) },
                Op::Halt { pc } => Inst::Halt { pc: slot(*pc) },
                Op::Trap { code, pc } => Inst::Trap { code: *code, pc: slot(*pc) },
                Op::Call { func, args } => {
                    let start = self.call_args.len() as u32;
                    self.call_args.extend(args.iter().map(|&a| slot(a)));
                    Inst::Call { func: *func, args: start, nargs: args.len() as u32, dst }
                }
                Op::Ret { value } => Inst::Ret { src: value.map_or(NO_SLOT, slot) },
            };
            self.insts.push(inst);
            self.pcs.push(info.marks[i]);
        }
    }
}

//! The ops of the block IR, as decoded from the binary form (docs/IR.md, "Binary encoding").

use super::types::Type;

/// A value id: index into the body's value table.
pub type Value = u32;
/// A label index within one body.
pub type Label = u32;
/// A local index within one body.
pub type Local = u32;
/// A helper function index within the block.
pub type FuncId = u32;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IntBinOp {
    Add,
    Sub,
    Mul,
    Umulhi,
    Smulhi,
    Sumulhi,
    Udiv,
    Sdiv,
    Urem,
    Srem,
    And,
    Or,
    Xor,
    Shl,
    Ushr,
    Sshr,
    Rotl,
    Rotr,
}

impl IntBinOp {
    pub const ALL: [IntBinOp; 18] = [
        IntBinOp::Add,
        IntBinOp::Sub,
        IntBinOp::Mul,
        IntBinOp::Umulhi,
        IntBinOp::Smulhi,
        IntBinOp::Sumulhi,
        IntBinOp::Udiv,
        IntBinOp::Sdiv,
        IntBinOp::Urem,
        IntBinOp::Srem,
        IntBinOp::And,
        IntBinOp::Or,
        IntBinOp::Xor,
        IntBinOp::Shl,
        IntBinOp::Ushr,
        IntBinOp::Sshr,
        IntBinOp::Rotl,
        IntBinOp::Rotr,
    ];
    pub const FIRST_OPCODE: u8 = 0x10;

    pub fn name(self) -> &'static str {
        match self {
            IntBinOp::Add => "add",
            IntBinOp::Sub => "sub",
            IntBinOp::Mul => "mul",
            IntBinOp::Umulhi => "umulhi",
            IntBinOp::Smulhi => "smulhi",
            IntBinOp::Sumulhi => "sumulhi",
            IntBinOp::Udiv => "udiv",
            IntBinOp::Sdiv => "sdiv",
            IntBinOp::Urem => "urem",
            IntBinOp::Srem => "srem",
            IntBinOp::And => "and",
            IntBinOp::Or => "or",
            IntBinOp::Xor => "xor",
            IntBinOp::Shl => "shl",
            IntBinOp::Ushr => "ushr",
            IntBinOp::Sshr => "sshr",
            IntBinOp::Rotl => "rotl",
            IntBinOp::Rotr => "rotr",
        }
    }

    pub fn opcode(self) -> u8 {
        Self::FIRST_OPCODE + self as u8
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IntUnOp {
    Not,
    Neg,
    Clz,
    Ctz,
    Popcnt,
}

impl IntUnOp {
    pub const ALL: [IntUnOp; 5] = [IntUnOp::Not, IntUnOp::Neg, IntUnOp::Clz, IntUnOp::Ctz, IntUnOp::Popcnt];
    pub const FIRST_OPCODE: u8 = 0x28;

    pub fn name(self) -> &'static str {
        match self {
            IntUnOp::Not => "not",
            IntUnOp::Neg => "neg",
            IntUnOp::Clz => "clz",
            IntUnOp::Ctz => "ctz",
            IntUnOp::Popcnt => "popcnt",
        }
    }

    pub fn opcode(self) -> u8 {
        Self::FIRST_OPCODE + self as u8
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IntCC {
    Eq,
    Ne,
    Slt,
    Sle,
    Sgt,
    Sge,
    Ult,
    Ule,
    Ugt,
    Uge,
}

impl IntCC {
    pub const ALL: [IntCC; 10] = [
        IntCC::Eq,
        IntCC::Ne,
        IntCC::Slt,
        IntCC::Sle,
        IntCC::Sgt,
        IntCC::Sge,
        IntCC::Ult,
        IntCC::Ule,
        IntCC::Ugt,
        IntCC::Uge,
    ];

    pub fn name(self) -> &'static str {
        ["eq", "ne", "slt", "sle", "sgt", "sge", "ult", "ule", "ugt", "uge"][self as usize]
    }

    /// The condition with the operands exchanged: `a cc b` is `b cc.swapped() a`.
    pub fn swapped(self) -> IntCC {
        match self {
            IntCC::Eq | IntCC::Ne => self,
            IntCC::Slt => IntCC::Sgt,
            IntCC::Sle => IntCC::Sge,
            IntCC::Sgt => IntCC::Slt,
            IntCC::Sge => IntCC::Sle,
            IntCC::Ult => IntCC::Ugt,
            IntCC::Ule => IntCC::Uge,
            IntCC::Ugt => IntCC::Ult,
            IntCC::Uge => IntCC::Ule,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FloatBinOp {
    Fadd,
    Fsub,
    Fmul,
    Fdiv,
    Fmin,
    Fmax,
    Fcopysign,
}

impl FloatBinOp {
    pub const ALL: [FloatBinOp; 7] = [
        FloatBinOp::Fadd,
        FloatBinOp::Fsub,
        FloatBinOp::Fmul,
        FloatBinOp::Fdiv,
        FloatBinOp::Fmin,
        FloatBinOp::Fmax,
        FloatBinOp::Fcopysign,
    ];
    pub const FIRST_OPCODE: u8 = 0x40;

    pub fn name(self) -> &'static str {
        ["fadd", "fsub", "fmul", "fdiv", "fmin", "fmax", "fcopysign"][self as usize]
    }

    pub fn opcode(self) -> u8 {
        Self::FIRST_OPCODE + self as u8
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FloatUnOp {
    Fsqrt,
    Fneg,
    Fabs,
}

impl FloatUnOp {
    pub const ALL: [FloatUnOp; 3] = [FloatUnOp::Fsqrt, FloatUnOp::Fneg, FloatUnOp::Fabs];
    pub const FIRST_OPCODE: u8 = 0x48;

    pub fn name(self) -> &'static str {
        ["fsqrt", "fneg", "fabs"][self as usize]
    }

    pub fn opcode(self) -> u8 {
        Self::FIRST_OPCODE + self as u8
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FloatCC {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Uno,
    Ord,
}

impl FloatCC {
    pub const ALL: [FloatCC; 8] =
        [FloatCC::Eq, FloatCC::Ne, FloatCC::Lt, FloatCC::Le, FloatCC::Gt, FloatCC::Ge, FloatCC::Uno, FloatCC::Ord];

    pub fn name(self) -> &'static str {
        ["eq", "ne", "lt", "le", "gt", "ge", "uno", "ord"][self as usize]
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ExtKind {
    Zext,
    Sext,
    Trunc,
}

impl ExtKind {
    pub fn name(self) -> &'static str {
        ["zext", "sext", "trunc"][self as usize]
    }
}

/// One IR op. Ops that produce a value define the next value id of their body.
#[derive(Clone, Debug, PartialEq)]
pub enum Op {
    Const {
        ty: Type,
        bits: u64,
    },
    GetState {
        ty: Type,
        offset: u32,
    },
    SetState {
        offset: u32,
        value: Value,
    },
    Load {
        ty: Type,
        width: u8,
        signed: bool,
        addr: Value,
    },
    Store {
        width: u8,
        addr: Value,
        value: Value,
    },
    LocalGet {
        local: Local,
    },
    LocalSet {
        local: Local,
        value: Value,
    },
    Mark {
        pc: u64,
    },
    IntBin {
        op: IntBinOp,
        a: Value,
        b: Value,
    },
    IntUn {
        op: IntUnOp,
        a: Value,
    },
    Icmp {
        cc: IntCC,
        a: Value,
        b: Value,
    },
    Select {
        cond: Value,
        a: Value,
        b: Value,
    },
    Ext {
        kind: ExtKind,
        ty: Type,
        a: Value,
    },
    FloatBin {
        op: FloatBinOp,
        a: Value,
        b: Value,
    },
    FloatUn {
        op: FloatUnOp,
        a: Value,
    },
    Fma {
        a: Value,
        b: Value,
        c: Value,
    },
    Fcmp {
        cc: FloatCC,
        a: Value,
        b: Value,
    },
    /// Saturating float → int (i32/i64); NaN → 0.
    FcvtToInt {
        ty: Type,
        signed: bool,
        a: Value,
    },
    /// Int (i32/i64) → float, round to nearest even.
    FcvtFromInt {
        ty: Type,
        signed: bool,
        a: Value,
    },
    Fpromote {
        a: Value,
    },
    Fdemote {
        a: Value,
    },
    Bitcast {
        ty: Type,
        a: Value,
    },
    Label {
        label: Label,
    },
    Jump {
        label: Label,
    },
    Brif {
        cond: Value,
        then_label: Label,
        else_label: Label,
    },
    Exit {
        pc: Value,
    },
    Halt {
        pc: Value,
    },
    Trap {
        code: u32,
        pc: Value,
    },
    Call {
        func: FuncId,
        args: Vec<Value>,
    },
    Ret {
        value: Option<Value>,
    },
}

impl Op {
    /// Ops after which control does not fall through.
    pub fn is_terminator(&self) -> bool {
        matches!(
            self,
            Op::Jump { .. } | Op::Brif { .. } | Op::Exit { .. } | Op::Halt { .. } | Op::Trap { .. } | Op::Ret { .. }
        )
    }

    /// Operand values, in encoding order.
    pub fn operands(&self) -> Vec<Value> {
        match self {
            Op::Const { .. } | Op::GetState { .. } | Op::LocalGet { .. } | Op::Mark { .. } => vec![],
            Op::Label { .. } | Op::Jump { .. } => vec![],
            Op::SetState { value, .. } | Op::LocalSet { value, .. } => vec![*value],
            Op::Load { addr, .. } => vec![*addr],
            Op::Store { addr, value, .. } => vec![*addr, *value],
            Op::IntBin { a, b, .. } | Op::Icmp { a, b, .. } | Op::FloatBin { a, b, .. } | Op::Fcmp { a, b, .. } => {
                vec![*a, *b]
            }
            Op::IntUn { a, .. }
            | Op::Ext { a, .. }
            | Op::FloatUn { a, .. }
            | Op::FcvtToInt { a, .. }
            | Op::FcvtFromInt { a, .. }
            | Op::Fpromote { a }
            | Op::Fdemote { a }
            | Op::Bitcast { a, .. } => vec![*a],
            Op::Select { cond, a, b } => vec![*cond, *a, *b],
            Op::Fma { a, b, c } => vec![*a, *b, *c],
            Op::Brif { cond, .. } => vec![*cond],
            Op::Exit { pc } | Op::Halt { pc } | Op::Trap { pc, .. } => vec![*pc],
            Op::Call { args, .. } => args.clone(),
            Op::Ret { value } => value.iter().copied().collect(),
        }
    }
}

/// A sequence of ops with its locals and labels: the main body or a helper's body.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Body {
    pub locals: Vec<Type>,
    pub num_labels: u32,
    pub ops: Vec<Op>,
}

/// An IR helper function callable from the main body (or from later helpers).
#[derive(Clone, Debug, PartialEq)]
pub struct Function {
    pub params: Vec<Type>,
    pub result: Option<Type>,
    pub body: Body,
}

/// A decoded block, as the emulator built it. Not yet verified.
#[derive(Clone, Debug, PartialEq)]
pub struct Block {
    pub pc: u64,
    pub funcs: Vec<Function>,
    pub main: Body,
}

/// Reason codes of an exit (docs/IR.md, "Exits").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum ExitReason {
    Exit = 0,
    Halt = 1,
    Trap = 2,
    Fault = 3,
    Fuel = 4,
    Interrupt = 5,
}

impl ExitReason {
    pub fn from_code(c: u32) -> Option<ExitReason> {
        use ExitReason::*;
        [Exit, Halt, Trap, Fault, Fuel, Interrupt].get(c as usize).copied()
    }

    pub fn name(self) -> &'static str {
        ["exit", "halt", "trap", "fault", "fuel", "interrupt"][self as usize]
    }
}

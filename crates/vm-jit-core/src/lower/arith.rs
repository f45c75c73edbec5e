//! Integer and float ops with the IR's total semantics (docs/IR.md). Cranelift traps on division
//! by zero and on `INT_MIN / -1`; here the divisor is replaced by 1 on those paths and the IR's
//! defined result selected instead, so the trapping case is unreachable.

use cranelift_codegen::ir::condcodes::{FloatCC as CFloatCC, IntCC as CIntCC};
use cranelift_codegen::ir::{self, InstBuilder, MemFlagsData, Value as CValue};
use cranelift_frontend::FunctionBuilder;

use crate::ir::{FloatBinOp, FloatCC, FloatUnOp, IntBinOp, IntCC, IntUnOp, Type};

use super::cl_type;

/// An integer constant of `ty` from its bit pattern (zero-extended, as Cranelift wants).
pub fn iconst(b: &mut FunctionBuilder, ty: Type, bits: u64) -> CValue {
    b.ins().iconst(cl_type(ty), (bits & ty.mask()) as i64)
}

/// A constant of any IR type from its bit pattern.
pub fn constant(b: &mut FunctionBuilder, ty: Type, bits: u64) -> CValue {
    match ty {
        Type::F32 => b.ins().f32const(f32::from_bits(bits as u32)),
        Type::F64 => b.ins().f64const(f64::from_bits(bits)),
        _ => iconst(b, ty, bits),
    }
}

pub fn int_bin(b: &mut FunctionBuilder, op: IntBinOp, ty: Type, x: CValue, y: CValue) -> CValue {
    use IntBinOp::*;
    match op {
        Add => b.ins().iadd(x, y),
        Sub => b.ins().isub(x, y),
        Mul => b.ins().imul(x, y),
        Umulhi => b.ins().umulhi(x, y),
        Smulhi => b.ins().smulhi(x, y),
        Sumulhi => {
            // x signed × y unsigned: reading y unsigned adds 2^n·y_msb·x to the signed product,
            // i.e. adds x to the high half when y's top bit is set.
            let hi = b.ins().smulhi(x, y);
            let y_sign = b.ins().sshr_imm_s(y, (ty.bits() - 1) as i64);
            let add = b.ins().band(x, y_sign);
            b.ins().iadd(hi, add)
        }
        Udiv | Urem => {
            let zero = iconst(b, ty, 0);
            let is_zero = b.ins().icmp(CIntCC::Equal, y, zero);
            let one = iconst(b, ty, 1);
            let safe = b.ins().select(is_zero, one, y);
            if op == Udiv {
                let q = b.ins().udiv(x, safe);
                let ones = iconst(b, ty, u64::MAX);
                b.ins().select(is_zero, ones, q)
            } else {
                let r = b.ins().urem(x, safe);
                b.ins().select(is_zero, x, r)
            }
        }
        Sdiv | Srem => {
            let zero = iconst(b, ty, 0);
            let minus_one = iconst(b, ty, u64::MAX);
            let is_zero = b.ins().icmp(CIntCC::Equal, y, zero);
            let is_m1 = b.ins().icmp(CIntCC::Equal, y, minus_one);
            let bad = b.ins().bor(is_zero, is_m1);
            let one = iconst(b, ty, 1);
            let safe = b.ins().select(bad, one, y);
            if op == Sdiv {
                // x / -1 = -x (wrapping: MIN / -1 = MIN); x / 0 = -1.
                let q = b.ins().sdiv(x, safe);
                let neg = b.ins().ineg(x);
                let q = b.ins().select(is_m1, neg, q);
                b.ins().select(is_zero, minus_one, q)
            } else {
                // x % -1 = 0; x % 0 = x.
                let r = b.ins().srem(x, safe);
                let r = b.ins().select(is_m1, zero, r);
                b.ins().select(is_zero, x, r)
            }
        }
        And => b.ins().band(x, y),
        Or => b.ins().bor(x, y),
        Xor => b.ins().bxor(x, y),
        // Cranelift takes shift and rotate amounts modulo the width, as the IR does.
        Shl => b.ins().ishl(x, y),
        Ushr => b.ins().ushr(x, y),
        Sshr => b.ins().sshr(x, y),
        Rotl => b.ins().rotl(x, y),
        Rotr => b.ins().rotr(x, y),
    }
}

pub fn int_un(b: &mut FunctionBuilder, op: IntUnOp, x: CValue) -> CValue {
    match op {
        IntUnOp::Not => b.ins().bnot(x),
        IntUnOp::Neg => b.ins().ineg(x),
        IntUnOp::Clz => b.ins().clz(x),
        IntUnOp::Ctz => b.ins().ctz(x),
        IntUnOp::Popcnt => b.ins().popcnt(x),
    }
}

pub fn int_cc(cc: IntCC) -> CIntCC {
    match cc {
        IntCC::Eq => CIntCC::Equal,
        IntCC::Ne => CIntCC::NotEqual,
        IntCC::Slt => CIntCC::SignedLessThan,
        IntCC::Sle => CIntCC::SignedLessThanOrEqual,
        IntCC::Sgt => CIntCC::SignedGreaterThan,
        IntCC::Sge => CIntCC::SignedGreaterThanOrEqual,
        IntCC::Ult => CIntCC::UnsignedLessThan,
        IntCC::Ule => CIntCC::UnsignedLessThanOrEqual,
        IntCC::Ugt => CIntCC::UnsignedGreaterThan,
        IntCC::Uge => CIntCC::UnsignedGreaterThanOrEqual,
    }
}

pub fn float_cc(cc: FloatCC) -> CFloatCC {
    match cc {
        FloatCC::Eq => CFloatCC::Equal,
        FloatCC::Ne => CFloatCC::NotEqual,
        FloatCC::Lt => CFloatCC::LessThan,
        FloatCC::Le => CFloatCC::LessThanOrEqual,
        FloatCC::Gt => CFloatCC::GreaterThan,
        FloatCC::Ge => CFloatCC::GreaterThanOrEqual,
        FloatCC::Uno => CFloatCC::Unordered,
        FloatCC::Ord => CFloatCC::Ordered,
    }
}

/// Replaces any NaN by the canonical NaN, so results do not depend on how the host's FPU
/// propagates payloads (the interpreter does the same). The arithmetic below does not call it:
/// its results are *raw* (a NaN may carry any payload) and `BodyLower` canonicalizes a raw value
/// only where its bits can be seen (`body.rs`, "Raw floats").
pub fn canonicalize_nan(b: &mut FunctionBuilder, ty: Type, x: CValue) -> CValue {
    let is_nan = b.ins().fcmp(CFloatCC::Unordered, x, x);
    let nan = canonical_nan(b, ty);
    b.ins().select(is_nan, nan, x)
}

/// `canonicalize_nan` when the i8 `raw` is 1; `x` unchanged when it is 0 (an exact value, whose
/// NaN payload must survive).
pub fn canonicalize_nan_if(b: &mut FunctionBuilder, ty: Type, raw: CValue, x: CValue) -> CValue {
    let is_nan = b.ins().fcmp(CFloatCC::Unordered, x, x);
    let both = b.ins().band(is_nan, raw);
    let nan = canonical_nan(b, ty);
    b.ins().select(both, nan, x)
}

fn canonical_nan(b: &mut FunctionBuilder, ty: Type) -> CValue {
    match ty {
        Type::F32 => b.ins().f32const(f32::from_bits(0x7fc0_0000)),
        _ => b.ins().f64const(f64::from_bits(0x7ff8_0000_0000_0000)),
    }
}

/// A float binary op; raw result (see canonicalize_nan) except fcopysign, a bit operation whose
/// operands the caller must pass canonical.
pub fn float_bin(b: &mut FunctionBuilder, op: FloatBinOp, x: CValue, y: CValue) -> CValue {
    match op {
        FloatBinOp::Fadd => b.ins().fadd(x, y),
        FloatBinOp::Fsub => b.ins().fsub(x, y),
        FloatBinOp::Fmul => b.ins().fmul(x, y),
        FloatBinOp::Fdiv => b.ins().fdiv(x, y),
        FloatBinOp::Fmin => b.ins().fmin(x, y),
        FloatBinOp::Fmax => b.ins().fmax(x, y),
        FloatBinOp::Fcopysign => b.ins().fcopysign(x, y),
    }
}

/// A float unary op; fsqrt's result is raw, fneg and fabs are bit operations on a canonical
/// operand.
pub fn float_un(b: &mut FunctionBuilder, op: FloatUnOp, x: CValue) -> CValue {
    match op {
        FloatUnOp::Fsqrt => b.ins().sqrt(x),
        FloatUnOp::Fneg => b.ins().fneg(x),
        FloatUnOp::Fabs => b.ins().fabs(x),
    }
}

/// Raw result.
pub fn fma(b: &mut FunctionBuilder, x: CValue, y: CValue, z: CValue) -> CValue {
    b.ins().fma(x, y, z)
}

pub fn fcvt_to_int(b: &mut FunctionBuilder, ty: Type, signed: bool, x: CValue) -> CValue {
    if signed {
        b.ins().fcvt_to_sint_sat(cl_type(ty), x)
    } else {
        b.ins().fcvt_to_uint_sat(cl_type(ty), x)
    }
}

pub fn fcvt_from_int(b: &mut FunctionBuilder, ty: Type, signed: bool, x: CValue) -> CValue {
    if signed {
        b.ins().fcvt_from_sint(cl_type(ty), x)
    } else {
        b.ins().fcvt_from_uint(cl_type(ty), x)
    }
}

/// Raw result.
pub fn fpromote(b: &mut FunctionBuilder, x: CValue) -> CValue {
    b.ins().fpromote(ir::types::F64, x)
}

/// Raw result.
pub fn fdemote(b: &mut FunctionBuilder, x: CValue) -> CValue {
    b.ins().fdemote(ir::types::F32, x)
}

pub fn bitcast(b: &mut FunctionBuilder, ty: Type, x: CValue) -> CValue {
    b.ins().bitcast(cl_type(ty), MemFlagsData::new(), x)
}

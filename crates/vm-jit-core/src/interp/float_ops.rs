//! Float semantics (docs/IR.md, "Total semantics"). Floats are held as their bit patterns (f32 in
//! the low 32 bits). Arithmetic that produces a NaN produces the canonical NaN; `fneg fabs
//! fcopysign bitcast` are pure bit operations; conversions to int saturate (NaN → 0); int →
//! float rounds to nearest, ties to even (Rust `as` does exactly these).

use crate::ir::{FloatBinOp, FloatCC, FloatUnOp, Type};

pub const CANON_NAN_F32: u64 = 0x7fc0_0000;
pub const CANON_NAN_F64: u64 = 0x7ff8_0000_0000_0000;

trait Float: Copy + PartialOrd {
    const CANON: u64;
    const SIGN: u64;
    fn from_u64(bits: u64) -> Self;
    fn to_u64(self) -> u64;
    fn is_nan(self) -> bool;
    fn add(self, o: Self) -> Self;
    fn sub(self, o: Self) -> Self;
    fn mul(self, o: Self) -> Self;
    fn div(self, o: Self) -> Self;
    fn sqrt(self) -> Self;

    /// The result bits of an arithmetic op: canonical if NaN.
    #[inline(always)]
    fn canon(self) -> u64 {
        if self.is_nan() {
            Self::CANON
        } else {
            self.to_u64()
        }
    }
}

macro_rules! impl_float {
    ($t:ty, $bits:ty, $canon:expr, $sign:expr) => {
        impl Float for $t {
            const CANON: u64 = $canon;
            const SIGN: u64 = $sign;
            #[inline(always)]
            fn from_u64(bits: u64) -> Self {
                <$t>::from_bits(bits as $bits)
            }
            #[inline(always)]
            fn to_u64(self) -> u64 {
                self.to_bits() as u64
            }
            #[inline(always)]
            fn is_nan(self) -> bool {
                <$t>::is_nan(self)
            }
            #[inline(always)]
            fn add(self, o: Self) -> Self {
                self + o
            }
            #[inline(always)]
            fn sub(self, o: Self) -> Self {
                self - o
            }
            #[inline(always)]
            fn mul(self, o: Self) -> Self {
                self * o
            }
            #[inline(always)]
            fn div(self, o: Self) -> Self {
                self / o
            }
            #[inline(always)]
            fn sqrt(self) -> Self {
                <$t>::sqrt(self)
            }
        }
    };
}

impl_float!(f32, u32, CANON_NAN_F32, 0x8000_0000);
impl_float!(f64, u64, CANON_NAN_F64, 0x8000_0000_0000_0000);

#[inline(always)]
fn bin_t<F: Float>(op: FloatBinOp, a: u64, b: u64) -> u64 {
    let (x, y) = (F::from_u64(a), F::from_u64(b));
    match op {
        FloatBinOp::Fadd => x.add(y).canon(),
        FloatBinOp::Fsub => x.sub(y).canon(),
        FloatBinOp::Fmul => x.mul(y).canon(),
        FloatBinOp::Fdiv => x.div(y).canon(),
        FloatBinOp::Fmin => {
            if x.is_nan() || y.is_nan() {
                F::CANON
            } else if x == y {
                a | b // equal non-NaN values differ at most in the sign of a zero: -0 wins
            } else if x < y {
                a
            } else {
                b
            }
        }
        FloatBinOp::Fmax => {
            if x.is_nan() || y.is_nan() {
                F::CANON
            } else if x == y {
                a & b // +0 wins
            } else if x > y {
                a
            } else {
                b
            }
        }
        FloatBinOp::Fcopysign => (a & !F::SIGN) | (b & F::SIGN),
    }
}

#[inline(always)]
pub fn bin(op: FloatBinOp, ty: Type, a: u64, b: u64) -> u64 {
    match ty {
        Type::F32 => bin_t::<f32>(op, a, b),
        _ => bin_t::<f64>(op, a, b),
    }
}

#[inline(always)]
fn un_t<F: Float>(op: FloatUnOp, a: u64) -> u64 {
    match op {
        FloatUnOp::Fsqrt => F::from_u64(a).sqrt().canon(),
        FloatUnOp::Fneg => a ^ F::SIGN,
        FloatUnOp::Fabs => a & !F::SIGN,
    }
}

#[inline(always)]
pub fn un(op: FloatUnOp, ty: Type, a: u64) -> u64 {
    match ty {
        Type::F32 => un_t::<f32>(op, a),
        _ => un_t::<f64>(op, a),
    }
}

#[inline(always)]
pub fn fma(ty: Type, a: u64, b: u64, c: u64) -> u64 {
    // `mul_add` rounds once (libm's fma where the host has no instruction).
    match ty {
        Type::F32 => f32::from_u64(a).mul_add(f32::from_u64(b), f32::from_u64(c)).canon(),
        _ => f64::from_u64(a).mul_add(f64::from_u64(b), f64::from_u64(c)).canon(),
    }
}

#[inline(always)]
fn cmp_t<F: Float>(cc: FloatCC, a: u64, b: u64) -> bool {
    let (x, y) = (F::from_u64(a), F::from_u64(b));
    match cc {
        FloatCC::Eq => x == y,
        FloatCC::Ne => x != y, // true when unordered
        FloatCC::Lt => x < y,
        FloatCC::Le => x <= y,
        FloatCC::Gt => x > y,
        FloatCC::Ge => x >= y,
        FloatCC::Uno => x.is_nan() || y.is_nan(),
        FloatCC::Ord => !x.is_nan() && !y.is_nan(),
    }
}

#[inline(always)]
pub fn fcmp(cc: FloatCC, ty: Type, a: u64, b: u64) -> bool {
    match ty {
        Type::F32 => cmp_t::<f32>(cc, a, b),
        _ => cmp_t::<f64>(cc, a, b),
    }
}

/// Saturating float → int; NaN → 0. `to` is i32 or i64.
#[inline(always)]
pub fn to_int(from: Type, to: Type, signed: bool, a: u64) -> u64 {
    // f32 → f64 is exact, so converting through f64 gives the same saturated result.
    let x = match from {
        Type::F32 => f32::from_bits(a as u32) as f64,
        _ => f64::from_bits(a),
    };
    match (to, signed) {
        (Type::I32, true) => x as i32 as u32 as u64,
        (Type::I32, false) => x as u32 as u64,
        (_, true) => x as i64 as u64,
        (_, false) => x as u64,
    }
}

/// Int (i32/i64, read signed or unsigned) → float, round to nearest even (one rounding: no
/// detour through f64 for an f32 result).
#[inline(always)]
pub fn from_int(from: Type, to: Type, signed: bool, a: u64) -> u64 {
    match (from, signed, to) {
        (Type::I32, true, Type::F32) => (a as u32 as i32 as f32).to_bits() as u64,
        (Type::I32, true, _) => (a as u32 as i32 as f64).to_bits(),
        (Type::I32, false, Type::F32) => (a as u32 as f32).to_bits() as u64,
        (Type::I32, false, _) => (a as u32 as f64).to_bits(),
        (_, true, Type::F32) => (a as i64 as f32).to_bits() as u64,
        (_, true, _) => (a as i64 as f64).to_bits(),
        (_, false, Type::F32) => (a as f32).to_bits() as u64,
        (_, false, _) => (a as f64).to_bits(),
    }
}

#[inline(always)]
pub fn promote(a: u64) -> u64 {
    (f32::from_bits(a as u32) as f64).canon()
}

#[inline(always)]
pub fn demote(a: u64) -> u64 {
    (f64::from_bits(a) as f32).canon()
}

#[cfg(test)]
mod tests {
    use super::*;
    use FloatBinOp::*;
    use Type::*;

    fn d(x: f64) -> u64 {
        x.to_bits()
    }
    fn s(x: f32) -> u64 {
        x.to_bits() as u64
    }
    const NAN_PAYLOAD_F64: u64 = 0x7ff0_0000_0000_0001; // a signalling NaN
    const NEG_QNAN_F64: u64 = 0xfff8_0000_0000_1234;
    const NAN_PAYLOAD_F32: u64 = 0xffc0_1234;

    #[test]
    fn arithmetic() {
        assert_eq!(bin(Fadd, F64, d(1.5), d(2.25)), d(3.75));
        assert_eq!(bin(Fsub, F32, s(1.5), s(2.25)), s(-0.75));
        assert_eq!(bin(Fmul, F64, d(3.0), d(-0.5)), d(-1.5));
        assert_eq!(bin(Fdiv, F32, s(1.0), s(0.0)), s(f32::INFINITY));
        assert_eq!(bin(Fdiv, F64, d(-1.0), d(0.0)), d(f64::NEG_INFINITY));
        assert_eq!(un(FloatUnOp::Fsqrt, F64, d(2.25)), d(1.5));
    }

    #[test]
    fn nan_results_are_canonical() {
        // produced NaNs
        assert_eq!(bin(Fsub, F64, d(f64::INFINITY), d(f64::INFINITY)), CANON_NAN_F64);
        assert_eq!(bin(Fmul, F32, s(0.0), s(f32::INFINITY)), CANON_NAN_F32);
        assert_eq!(bin(Fdiv, F64, d(0.0), d(0.0)), CANON_NAN_F64);
        assert_eq!(un(FloatUnOp::Fsqrt, F64, d(-1.0)), CANON_NAN_F64);
        assert_eq!(un(FloatUnOp::Fsqrt, F32, s(-1.0)), CANON_NAN_F32);
        // propagated NaNs lose their payload and sign
        for op in [Fadd, Fsub, Fmul, Fdiv, Fmin, Fmax] {
            assert_eq!(bin(op, F64, NAN_PAYLOAD_F64, d(1.0)), CANON_NAN_F64, "{op:?}");
            assert_eq!(bin(op, F64, d(1.0), NEG_QNAN_F64), CANON_NAN_F64, "{op:?}");
            assert_eq!(bin(op, F32, NAN_PAYLOAD_F32, s(1.0)), CANON_NAN_F32, "{op:?}");
        }
        assert_eq!(un(FloatUnOp::Fsqrt, F64, NEG_QNAN_F64), CANON_NAN_F64);
        assert_eq!(fma(F64, NAN_PAYLOAD_F64, d(1.0), d(1.0)), CANON_NAN_F64);
        assert_eq!(fma(F32, s(0.0), s(f32::INFINITY), s(1.0)), CANON_NAN_F32);
        assert_eq!(promote(NAN_PAYLOAD_F32), CANON_NAN_F64);
        assert_eq!(demote(NEG_QNAN_F64), CANON_NAN_F32);
        assert_eq!(demote(NAN_PAYLOAD_F64), CANON_NAN_F32);
    }

    #[test]
    fn bit_ops_keep_payloads() {
        assert_eq!(un(FloatUnOp::Fneg, F64, NEG_QNAN_F64), NEG_QNAN_F64 & !(1 << 63));
        assert_eq!(un(FloatUnOp::Fabs, F64, NEG_QNAN_F64), NEG_QNAN_F64 & !(1 << 63));
        assert_eq!(un(FloatUnOp::Fneg, F32, NAN_PAYLOAD_F32), 0x7fc0_1234);
        assert_eq!(un(FloatUnOp::Fneg, F32, s(0.0)), s(-0.0));
        assert_eq!(bin(Fcopysign, F64, NAN_PAYLOAD_F64, d(-1.0)), NAN_PAYLOAD_F64 | (1 << 63));
        assert_eq!(bin(Fcopysign, F32, s(2.0), s(-0.0)), s(-2.0));
        assert_eq!(bin(Fcopysign, F32, NAN_PAYLOAD_F32, s(1.0)), 0x7fc0_1234);
    }

    #[test]
    fn min_max() {
        assert_eq!(bin(Fmin, F64, d(-0.0), d(0.0)), d(-0.0));
        assert_eq!(bin(Fmin, F64, d(0.0), d(-0.0)), d(-0.0));
        assert_eq!(bin(Fmax, F64, d(-0.0), d(0.0)), d(0.0));
        assert_eq!(bin(Fmax, F64, d(0.0), d(-0.0)), d(0.0));
        assert_eq!(bin(Fmin, F32, s(-0.0), s(0.0)), s(-0.0));
        assert_eq!(bin(Fmax, F32, s(0.0), s(-0.0)), s(0.0));
        assert_eq!(bin(Fmin, F64, d(1.0), d(2.0)), d(1.0));
        assert_eq!(bin(Fmax, F64, d(1.0), d(2.0)), d(2.0));
        assert_eq!(bin(Fmin, F32, s(f32::NEG_INFINITY), s(-1.0)), s(f32::NEG_INFINITY));
        assert_eq!(bin(Fmax, F32, s(3.0), s(3.0)), s(3.0));
        // NaN-propagating (not IEEE minNum)
        assert_eq!(bin(Fmin, F64, d(f64::NAN), d(1.0)), CANON_NAN_F64);
        assert_eq!(bin(Fmax, F32, s(1.0), s(f32::NAN)), CANON_NAN_F32);
    }

    #[test]
    fn fma_rounds_once() {
        // (1 + 2^-52) * (1 - 2^-52) = 1 - 2^-104: a separate multiply rounds it to 1.0, so
        // mul then add(-1) gives 0; the fused op keeps -2^-104.
        let a = 1.0 + f64::EPSILON;
        let b = 1.0 - f64::EPSILON;
        assert_eq!(bin(Fadd, F64, bin(Fmul, F64, d(a), d(b)), d(-1.0)), d(0.0));
        assert_eq!(fma(F64, d(a), d(b), d(-1.0)), d(-(2f64.powi(-104))));
        let a = 1.0 + f32::EPSILON;
        let b = 1.0 - f32::EPSILON;
        assert_eq!(fma(F32, s(a), s(b), s(-1.0)), s(-(2f32.powi(-46))));
    }

    #[test]
    fn comparisons() {
        let nan = d(f64::NAN);
        let one = d(1.0);
        use FloatCC::*;
        for (cc, with_nan, lt, eq) in [
            (Eq, false, false, true),
            (Ne, true, true, false),
            (Lt, false, true, false),
            (Le, false, true, true),
            (Gt, false, false, false),
            (Ge, false, false, true),
            (Uno, true, false, false),
            (Ord, false, true, true),
        ] {
            assert_eq!(fcmp(cc, F64, nan, one), with_nan, "{cc:?} NaN");
            assert_eq!(fcmp(cc, F64, one, nan), with_nan, "{cc:?} NaN");
            assert_eq!(fcmp(cc, F64, d(0.5), one), lt, "{cc:?} <");
            assert_eq!(fcmp(cc, F32, s(1.0), s(1.0)), eq, "{cc:?} =");
        }
        assert!(fcmp(Eq, F64, d(0.0), d(-0.0)));
    }

    #[test]
    fn float_to_int_saturates() {
        assert_eq!(to_int(F64, I32, true, d(f64::NAN)), 0);
        assert_eq!(to_int(F64, I64, false, d(f64::NAN)), 0);
        assert_eq!(to_int(F32, I32, true, s(1e10)), 0x7fff_ffff);
        assert_eq!(to_int(F32, I32, true, s(-1e10)), 0x8000_0000);
        assert_eq!(to_int(F64, I32, false, d(-5.0)), 0);
        assert_eq!(to_int(F64, I32, false, d(5e9)), 0xffff_ffff);
        assert_eq!(to_int(F64, I64, true, d(f64::INFINITY)), i64::MAX as u64);
        assert_eq!(to_int(F64, I64, true, d(f64::NEG_INFINITY)), i64::MIN as u64);
        assert_eq!(to_int(F64, I64, false, d(1e30)), u64::MAX);
        assert_eq!(to_int(F64, I64, true, d(-2.9)), (-2i64) as u64);
        assert_eq!(to_int(F32, I64, false, s(2.9)), 2);
        assert_eq!(to_int(F32, I32, true, s(-1.5)), (-1i32) as u32 as u64);
    }

    #[test]
    fn int_to_float_rounds_to_nearest_even() {
        assert_eq!(from_int(I32, F64, true, 0xffff_ffff), d(-1.0));
        assert_eq!(from_int(I32, F64, false, 0xffff_ffff), d(4294967295.0));
        assert_eq!(from_int(I32, F32, true, 0x8000_0000), s(-2147483648.0));
        // 2^24 + 1 is a tie between 2^24 and 2^24 + 2: even wins
        assert_eq!(from_int(I32, F32, false, (1 << 24) + 1), s(16777216.0));
        assert_eq!(from_int(I32, F32, false, (1 << 24) + 3), s(16777220.0));
        assert_eq!(from_int(I64, F64, false, u64::MAX), d(18446744073709551616.0));
        assert_eq!(from_int(I64, F64, true, u64::MAX), d(-1.0));
        assert_eq!(from_int(I64, F64, false, (1 << 53) + 1), d(9007199254740992.0));
        // i64 → f32 in one rounding: 2^53 + 2^29 + 1 rounds up (just above the f32 halfway point
        // 2^53 + 2^29); going through f64 first would land on the tie and round to even (down).
        let x: u64 = (1 << 53) + (1 << 29) + 1;
        assert_eq!(from_int(I64, F32, false, x), s(9007200328482816.0));
        assert_eq!(from_int(I64, F32, true, x), s(9007200328482816.0));
    }

    #[test]
    fn promote_demote() {
        assert_eq!(promote(s(1.5)), d(1.5));
        assert_eq!(demote(d(1.5)), s(1.5));
        assert_eq!(demote(d(1e300)), s(f32::INFINITY));
        // round to nearest even on demote: 1 + 2^-24 is a tie → 1.0
        assert_eq!(demote(d(1.0 + 2f64.powi(-24))), s(1.0));
        assert_eq!(promote(s(-0.0)), d(-0.0));
    }
}

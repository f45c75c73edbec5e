//! Integer semantics (docs/IR.md, "Total semantics"). Values are u64 bit patterns holding the
//! type's width, zero above it; every function here takes operands in that form and returns a
//! result in that form.

use crate::ir::{IntBinOp, IntCC, IntUnOp, Type};

/// Read the low `bits` of `x` as a signed number.
#[inline(always)]
pub fn sext(x: u64, bits: u32) -> i64 {
    let s = 64 - bits;
    ((x << s) as i64) >> s
}

#[inline(always)]
fn rotl(a: u64, amt: u32, bits: u32) -> u64 {
    if amt == 0 {
        a
    } else {
        (a << amt) | (a >> (bits - amt))
    }
}

#[inline(always)]
pub fn bin(op: IntBinOp, ty: Type, a: u64, b: u64) -> u64 {
    let bits = ty.bits();
    let amt = (b as u32) & (bits - 1);
    let r = match op {
        IntBinOp::Add => a.wrapping_add(b),
        IntBinOp::Sub => a.wrapping_sub(b),
        IntBinOp::Mul => a.wrapping_mul(b),
        IntBinOp::Umulhi => ((a as u128 * b as u128) >> bits) as u64,
        IntBinOp::Smulhi => ((sext(a, bits) as i128 * sext(b, bits) as i128) >> bits) as u64,
        // a signed × b unsigned, high half
        IntBinOp::Sumulhi => ((sext(a, bits) as i128 * b as i128) >> bits) as u64,
        IntBinOp::Udiv => a.checked_div(b).unwrap_or(u64::MAX),
        IntBinOp::Sdiv => {
            if b == 0 {
                u64::MAX
            } else {
                // MIN / -1 wraps to MIN (at 64 bits in wrapping_div; narrower widths mask to MIN)
                sext(a, bits).wrapping_div(sext(b, bits)) as u64
            }
        }
        IntBinOp::Urem => a.checked_rem(b).unwrap_or(a),
        IntBinOp::Srem => {
            if b == 0 {
                a
            } else {
                sext(a, bits).wrapping_rem(sext(b, bits)) as u64
            }
        }
        IntBinOp::And => a & b,
        IntBinOp::Or => a | b,
        IntBinOp::Xor => a ^ b,
        IntBinOp::Shl => a << amt,
        IntBinOp::Ushr => a >> amt,
        IntBinOp::Sshr => (sext(a, bits) >> amt) as u64,
        IntBinOp::Rotl => rotl(a, amt, bits),
        IntBinOp::Rotr => rotl(a, (bits - amt) & (bits - 1), bits),
    };
    r & ty.mask()
}

#[inline(always)]
pub fn un(op: IntUnOp, ty: Type, a: u64) -> u64 {
    let bits = ty.bits();
    let r = match op {
        IntUnOp::Not => !a,
        IntUnOp::Neg => a.wrapping_neg(),
        IntUnOp::Clz => (a.leading_zeros() - (64 - bits)) as u64,
        IntUnOp::Ctz => {
            if a == 0 {
                bits as u64
            } else {
                a.trailing_zeros() as u64
            }
        }
        IntUnOp::Popcnt => a.count_ones() as u64,
    };
    r & ty.mask()
}

#[inline(always)]
pub fn icmp(cc: IntCC, ty: Type, a: u64, b: u64) -> bool {
    let bits = ty.bits();
    match cc {
        IntCC::Eq => a == b,
        IntCC::Ne => a != b,
        IntCC::Slt => sext(a, bits) < sext(b, bits),
        IntCC::Sle => sext(a, bits) <= sext(b, bits),
        IntCC::Sgt => sext(a, bits) > sext(b, bits),
        IntCC::Sge => sext(a, bits) >= sext(b, bits),
        IntCC::Ult => a < b,
        IntCC::Ule => a <= b,
        IntCC::Ugt => a > b,
        IntCC::Uge => a >= b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use IntBinOp::*;
    use Type::*;

    const TYPES: [Type; 4] = [I8, I16, I32, I64];

    fn min(t: Type) -> u64 {
        1u64 << (t.bits() - 1)
    }

    #[test]
    fn division_is_total() {
        for t in TYPES {
            let m = t.mask();
            let x = 0x1234_5678_9abc_def0 & m;
            assert_eq!(bin(Udiv, t, x, 0), m, "udiv x,0 = -1 ({t})");
            assert_eq!(bin(Urem, t, x, 0), x, "urem x,0 = x ({t})");
            assert_eq!(bin(Sdiv, t, x, 0), m, "sdiv x,0 = -1 ({t})");
            assert_eq!(bin(Srem, t, x, 0), x, "srem x,0 = x ({t})");
            assert_eq!(bin(Sdiv, t, min(t), m), min(t), "sdiv MIN,-1 = MIN ({t})");
            assert_eq!(bin(Srem, t, min(t), m), 0, "srem MIN,-1 = 0 ({t})");
        }
        // ordinary signed division truncates toward zero, remainder has the dividend's sign
        assert_eq!(bin(Sdiv, I32, (-7i32) as u32 as u64, 2), (-3i32) as u32 as u64);
        assert_eq!(bin(Srem, I32, (-7i32) as u32 as u64, 2), (-1i32) as u32 as u64);
        assert_eq!(bin(Srem, I8, 7, 0xfe), 1);
        assert_eq!(bin(Udiv, I8, 0xff, 2), 0x7f);
        assert_eq!(bin(Urem, I64, u64::MAX, 10), 5);
    }

    #[test]
    fn shifts_and_rotates_take_the_amount_modulo_width() {
        assert_eq!(bin(Shl, I64, 1, 65), 2);
        assert_eq!(bin(Shl, I32, 1, 33), 2);
        assert_eq!(bin(Shl, I8, 1, 9), 2);
        assert_eq!(bin(Shl, I8, 0x81, 1), 0x02);
        assert_eq!(bin(Ushr, I16, 0x8000, 16 + 15), 1);
        assert_eq!(bin(Sshr, I16, 0x8000, 15), 0xffff);
        assert_eq!(bin(Sshr, I64, 1 << 63, 64 + 63), u64::MAX);
        assert_eq!(bin(Sshr, I32, 0x4000_0000, 30), 1);
        assert_eq!(bin(Rotl, I8, 0x81, 1), 0x03);
        assert_eq!(bin(Rotl, I8, 0x81, 9), 0x03);
        assert_eq!(bin(Rotr, I8, 0x81, 1), 0xc0);
        assert_eq!(bin(Rotl, I32, 0x8000_0001, 0), 0x8000_0001);
        assert_eq!(bin(Rotr, I32, 0x8000_0001, 32), 0x8000_0001);
        assert_eq!(bin(Rotr, I64, 1, 1), 1 << 63);
        assert_eq!(bin(Rotl, I64, 1 << 63, 65), 1);
        assert_eq!(bin(Rotl, I16, 0x1234, 4), 0x2341);
        assert_eq!(bin(Rotr, I16, 0x1234, 4), 0x4123);
        // the amount operand is read unsigned: a "negative" amount is just big
        assert_eq!(bin(Shl, I32, 1, 0xffff_ffff), 1 << 31);
    }

    #[test]
    fn bit_counts() {
        for t in TYPES {
            assert_eq!(un(IntUnOp::Clz, t, 0), t.bits() as u64);
            assert_eq!(un(IntUnOp::Ctz, t, 0), t.bits() as u64);
            assert_eq!(un(IntUnOp::Clz, t, 1), t.bits() as u64 - 1);
            assert_eq!(un(IntUnOp::Ctz, t, min(t)), t.bits() as u64 - 1);
            assert_eq!(un(IntUnOp::Popcnt, t, t.mask()), t.bits() as u64);
            assert_eq!(un(IntUnOp::Not, t, 0), t.mask());
            assert_eq!(un(IntUnOp::Neg, t, 1), t.mask());
            assert_eq!(un(IntUnOp::Neg, t, min(t)), min(t));
        }
        assert_eq!(un(IntUnOp::Clz, I16, 0x00f0), 8);
    }

    #[test]
    fn high_multiplies() {
        assert_eq!(bin(Umulhi, I64, u64::MAX, u64::MAX), u64::MAX - 1);
        assert_eq!(bin(Smulhi, I64, u64::MAX, u64::MAX), 0); // -1 * -1 = 1
        assert_eq!(bin(Smulhi, I64, u64::MAX, 2), u64::MAX); // -2 → high = -1
        assert_eq!(bin(Sumulhi, I64, u64::MAX, u64::MAX), u64::MAX); // -1 * (2^64-1) = -(2^64-1)
        assert_eq!(bin(Sumulhi, I64, 2, u64::MAX), 1);
        assert_eq!(bin(Smulhi, I64, 1 << 63, 1 << 63), 1 << 62);
        assert_eq!(bin(Umulhi, I32, 0xffff_ffff, 0xffff_ffff), 0xffff_fffe);
        assert_eq!(bin(Smulhi, I32, 0xffff_ffff, 0xffff_ffff), 0);
        assert_eq!(bin(Sumulhi, I32, 0xffff_ffff, 0xffff_ffff), 0xffff_ffff);
        assert_eq!(bin(Umulhi, I8, 0x80, 0x80), 0x40);
        assert_eq!(bin(Smulhi, I8, 0x80, 0x80), 0x40);
        assert_eq!(bin(Sumulhi, I8, 0x80, 0x80), 0xc0); // -128 * 128 = -16384 = 0xc000
        assert_eq!(bin(Smulhi, I16, 0x8000, 0x7fff), 0xc000);
    }

    #[test]
    fn wrapping_arithmetic_stays_in_width() {
        assert_eq!(bin(Add, I8, 0xff, 1), 0);
        assert_eq!(bin(Sub, I16, 0, 1), 0xffff);
        assert_eq!(bin(Mul, I32, 0x1_0000, 0x1_0000), 0);
        assert_eq!(bin(Mul, I64, u64::MAX, u64::MAX), 1);
        assert_eq!(bin(Xor, I8, 0xf0, 0xff), 0x0f);
    }

    #[test]
    fn comparisons() {
        assert!(icmp(IntCC::Slt, I8, 0x80, 0x7f));
        assert!(!icmp(IntCC::Ult, I8, 0x80, 0x7f));
        assert!(icmp(IntCC::Ugt, I32, 0xffff_ffff, 0));
        assert!(icmp(IntCC::Sle, I64, u64::MAX, 0));
        assert!(icmp(IntCC::Sge, I16, 5, 5));
        assert!(icmp(IntCC::Sgt, I16, 0, 0xffff));
        assert!(icmp(IntCC::Ule, I64, 3, 3));
        assert!(icmp(IntCC::Uge, I64, 4, 3));
        assert!(icmp(IntCC::Eq, I64, 4, 4) && icmp(IntCC::Ne, I64, 4, 3));
    }

    #[test]
    fn sext_reads_low_bits() {
        assert_eq!(sext(0x80, 8), -128);
        assert_eq!(sext(0x7f, 8), 127);
        assert_eq!(sext(0xffff_ffff, 32), -1);
        assert_eq!(sext(u64::MAX, 64), -1);
    }
}

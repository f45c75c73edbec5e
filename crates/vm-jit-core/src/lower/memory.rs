//! Guest state and guest memory accesses. State offsets were checked against the state size
//! before the run, so state accesses are plain loads and stores. Guest memory accesses compare the
//! address with the in-range limit for their width and leave with a fault otherwise.

use cranelift_codegen::ir::condcodes::IntCC as CIntCC;
use cranelift_codegen::ir::{self, InstBuilder, MemFlagsData, Value as CValue};

use crate::ctx;
use crate::ir::{ExitReason, Type};

use super::cl_type;
use super::function::{ExitTo, FnLower};
use super::promote::state_flags;

/// Guest memory is little-endian whatever the host; never trapping (checked first).
pub(super) fn guest_flags() -> MemFlagsData {
    MemFlagsData::new().with_notrap().with_endianness(ir::Endianness::Little)
}

fn int_of_width(bytes: u32) -> ir::Type {
    match bytes {
        1 => ir::types::I8,
        2 => ir::types::I16,
        4 => ir::types::I32,
        _ => ir::types::I64,
    }
}

impl FnLower<'_, '_> {
    pub fn get_state(&mut self, ty: Type, offset: u32) -> CValue {
        if let Some((var, slot_ty)) = self.promoted.var(offset) {
            let v = self.b.use_var(var);
            if slot_ty == ty {
                return v;
            }
            // An integer read of a float slot: the bits the buffer would hold, a raw NaN made
            // canonical (body.rs, "Raw floats").
            let v = match self.promoted.raw_flag(offset) {
                Some(flag) => {
                    let raw = self.b.use_var(flag);
                    super::arith::canonicalize_nan_if(&mut self.b, slot_ty, raw, v)
                }
                None => v,
            };
            return super::arith::bitcast(&mut self.b, ty, v);
        }
        self.b.ins().load(cl_type(ty), state_flags(), self.state.expect("needs"), offset as i32)
    }

    pub fn set_state(&mut self, offset: u32, value: CValue, ty: Type) {
        if let Some((var, slot_ty)) = self.promoted.var(offset) {
            // An integer written to a float slot keeps its bits exactly (the caller set the raw
            // flag to 0: integers are never raw).
            let v = if slot_ty == ty { value } else { super::arith::bitcast(&mut self.b, slot_ty, value) };
            self.b.def_var(var, v);
            return;
        }
        self.b.ins().store(state_flags(), value, self.state.expect("needs"), offset as i32);
    }

    /// The host address of a guest access of `width` bytes at `addr`, after the bounds check.
    fn guest_address(&mut self, addr: CValue, width: u32, to: ExitTo) -> CValue {
        let limit = self.mem_limit[ctx::limit_index(width)].expect("needs");
        let out = self.b.ins().icmp(CIntCC::UnsignedGreaterThanOrEqual, addr, limit);
        self.leave_if(out, to, ExitReason::Fault, addr);
        self.b.ins().iadd(self.mem.expect("needs"), addr)
    }

    pub fn load(&mut self, ty: Type, width: u32, signed: bool, addr: CValue, to: ExitTo) -> CValue {
        let p = self.guest_address(addr, width, to);
        self.load_at(ty, width, signed, p, 0)
    }

    /// A guest load from host address `p + disp`, already known to be in range (`fast_loop.rs`).
    pub fn load_at(&mut self, ty: Type, width: u32, signed: bool, p: CValue, disp: i32) -> CValue {
        if ty.is_float() || width == ty.bytes() {
            return self.b.ins().load(cl_type(ty), guest_flags(), p, disp);
        }
        let narrow = self.b.ins().load(int_of_width(width), guest_flags(), p, disp);
        if signed {
            self.b.ins().sextend(cl_type(ty), narrow)
        } else {
            self.b.ins().uextend(cl_type(ty), narrow)
        }
    }

    pub fn store(&mut self, width: u32, addr: CValue, value: CValue, value_ty: Type, to: ExitTo) {
        let p = self.guest_address(addr, width, to);
        self.store_at(width, p, 0, value, value_ty);
    }

    /// A guest store to host address `p + disp`, already known to be in range (`fast_loop.rs`).
    pub fn store_at(&mut self, width: u32, p: CValue, disp: i32, value: CValue, value_ty: Type) {
        let v = if value_ty.is_int() && width < value_ty.bytes() {
            self.b.ins().ireduce(int_of_width(width), value)
        } else {
            value
        };
        self.b.ins().store(guest_flags(), v, p, disp);
    }
}

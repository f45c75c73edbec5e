//! State promotion: inside a block with loops (a guest loop in one block, or a stitched region),
//! guest state slots live in Cranelift variables — SSA values the register allocator keeps in
//! host registers — instead of being loaded and stored at every `get_state`/`set_state`.
//!
//! Each promoted slot is loaded once at entry, and every slot the block may write is stored back
//! on every way out of the function: the shared exit block (exits, halts, traps, faults, fuel and
//! interrupt exits all go through it) and a chained exit's tail call. Those paths are cold, so a
//! loop's hot path touches the state buffer not at all. The state buffer is therefore exactly what
//! the interpreter leaves whenever control is outside the function — the only time anybody can
//! look (state and memory never overlap: `run` rejects that).
//!
//! A slot is promoted when every access to its offset has the same width — one type, or an integer
//! and a float type of that width (a float register a guest also moves to an integer register:
//! the slot is the float, an integer access converts its bits) — and no access to another offset
//! overlaps its bytes. Slots the block writes come first; slots it only reads are promoted
//! while few enough are (READ_ONLY_BUDGET), otherwise each use loads from the buffer — Cranelift
//! folds such a load into the instruction using it — so they do not crowd a loop's registers.
//! Not promoted at all: blocks without back edges (their state accesses are straight-line and the
//! optimiser's StateForwarding already removed the repeats, so entry loads would only add work), tier 1 (compile time), and blocks where a helper compiled
//! as a function of its own touches state (it would read the buffer behind the variables' back).

use std::collections::BTreeMap;

use cranelift_codegen::ir::{self, InstBuilder, Value as CValue};
use cranelift_frontend::{FunctionBuilder, Variable};

use crate::ir::{Op, Type, VerifiedBlock};

use super::cl_type;
use super::plan::InlinePlan;

/// At most this many slots are promoted (the most accessed first): each costs a load at entry
/// and, if written, a store per exit path.
pub const MAX_PROMOTED: usize = 64;

/// Read-only slots are promoted only while their register class holds fewer promoted slots than
/// this. Measured on the RISC-V example (sieve: 0.85 s with 8, 1.0 s with no limit — the inner
/// loop's own values were spilled to make room for registers it never touches): x86_64 has 15
/// allocatable integer registers and the function's context (state, memory base and size, fuel)
/// holds several of them; aarch64 has twice as many.
const READ_ONLY_BUDGET: usize = if cfg!(target_arch = "aarch64") { 20 } else { 8 };

#[derive(Clone, Copy, Debug)]
struct Slot {
    ty: Type,
    var: Variable,
    written: bool,
    /// For a float slot: an i8 variable, 1 while `var` may hold a raw NaN (body.rs, "Raw floats").
    raw: Option<Variable>,
}

/// The promoted slots of one function, by state offset.
#[derive(Default)]
pub struct Promoted {
    slots: BTreeMap<u32, Slot>,
}

/// What the scan of one access says about its offset.
struct Usage {
    /// The slot's type if promoted: the float type when float and integer accesses share it.
    ty: Type,
    /// The widest access's size (accesses of different widths at one offset are `mixed`).
    bytes: u32,
    mixed: bool,
    written: bool,
    count: usize,
}

impl Promoted {
    /// Decides which slots of `vb`'s main function to promote.
    pub fn plan(vb: &VerifiedBlock, plan: &InlinePlan, has_back_edges: bool) -> BTreeMap<u32, (Type, bool)> {
        let mut out = BTreeMap::new();
        if !plan.promote_state || !has_back_edges {
            return out;
        }
        let touches_state = |ops: &[Op]| ops.iter().any(|op| matches!(op, Op::GetState { .. } | Op::SetState { .. }));
        let any_helper_state = vb.block.funcs.iter().any(|f| touches_state(&f.body.ops));
        if any_helper_state && plan.standalone.iter().any(|s| *s) {
            return out;
        }
        // Accesses of the main body and of every helper (inlined ones are lowered in place).
        let mut usage: BTreeMap<u32, Usage> = BTreeMap::new();
        let bodies = std::iter::once((&vb.block.main, &vb.main))
            .chain(vb.block.funcs.iter().zip(&vb.funcs).map(|(f, i)| (&f.body, i)));
        for (body, info) in bodies {
            for op in &body.ops {
                let (offset, ty, write) = match *op {
                    Op::GetState { ty, offset } => (offset, ty, false),
                    Op::SetState { offset, value } => (offset, info.value_types[value as usize], true),
                    _ => continue,
                };
                let u = usage.entry(offset).or_insert(Usage { ty, bytes: 0, mixed: false, written: false, count: 0 });
                u.mixed |= u.ty.bytes() != ty.bytes();
                if ty.is_float() {
                    u.mixed |= u.ty.is_float() && u.ty != ty;
                    u.ty = ty;
                }
                u.bytes = u.bytes.max(ty.bytes());
                u.written |= write;
                u.count += 1;
            }
        }
        // Overlaps: with offsets sorted, an offset's bytes meet another's iff its widest access
        // reaches the next offset or an earlier offset's widest access reaches it.
        let offsets: Vec<(u32, u32)> = usage.iter().map(|(o, u)| (*o, o + u.bytes)).collect();
        let mut ok: Vec<(usize, u32)> = Vec::new();
        let mut reach = 0; // the furthest end of the offsets before this one
        for (i, &(off, end)) in offsets.iter().enumerate() {
            let u = &usage[&off];
            let overlaps_next = offsets.get(i + 1).is_some_and(|&(next, _)| next < end);
            if !u.mixed && !overlaps_next && reach <= off {
                ok.push((u.count, off));
            }
            reach = reach.max(end);
        }
        ok.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        // Written slots first (each saves a store per write), then read-only ones while the
        // register class has room: a read-only slot in a variable is live through the whole
        // function, and past the budget it pushes the loop's own values out to the stack.
        let (written, read_only): (Vec<_>, Vec<_>) = ok.into_iter().partition(|(_, off)| usage[off].written);
        let mut in_class = [0usize; 2];
        for (_, off) in written.into_iter().take(MAX_PROMOTED) {
            let u = &usage[&off];
            in_class[u.ty.is_float() as usize] += 1;
            out.insert(off, (u.ty, true));
        }
        for (_, off) in read_only {
            let u = &usage[&off];
            let class = u.ty.is_float() as usize;
            if out.len() >= MAX_PROMOTED || in_class[class] >= READ_ONLY_BUDGET {
                continue;
            }
            in_class[class] += 1;
            out.insert(off, (u.ty, false));
        }
        out
    }

    /// Declares a variable per slot and loads its value at entry (the current block).
    pub fn enter(b: &mut FunctionBuilder, state: CValue, planned: BTreeMap<u32, (Type, bool)>) -> Promoted {
        let mut slots = BTreeMap::new();
        for (off, (ty, written)) in planned {
            let var = b.declare_var(cl_type(ty));
            let v = b.ins().load(cl_type(ty), state_flags(), state, off as i32);
            b.def_var(var, v);
            // The value loaded is exact: not raw.
            let raw = ty.is_float().then(|| {
                let flag = b.declare_var(ir::types::I8);
                let zero = b.ins().iconst(ir::types::I8, 0);
                b.def_var(flag, zero);
                flag
            });
            slots.insert(off, Slot { ty, var, written, raw });
        }
        Promoted { slots }
    }

    /// The variable holding slot `offset` and the slot's type, if promoted. An access may have
    /// the other type of the same width (`FnLower::get_state` and `set_state` convert).
    pub fn var(&self, offset: u32) -> Option<(Variable, Type)> {
        self.slots.get(&offset).map(|s| (s.var, s.ty))
    }

    /// The raw flag variable of float slot `offset`, if promoted.
    pub fn raw_flag(&self, offset: u32) -> Option<Variable> {
        self.slots.get(&offset).and_then(|s| s.raw)
    }

    /// Stores every slot the function may have written back to the state buffer; a float slot
    /// holding a raw value is canonicalized on the way (body.rs, "Raw floats").
    pub fn write_back(&self, b: &mut FunctionBuilder, state: CValue) {
        for (off, s) in &self.slots {
            if s.written {
                let mut v = b.use_var(s.var);
                if let Some(flag) = s.raw {
                    let raw = b.use_var(flag);
                    v = super::arith::canonicalize_nan_if(b, s.ty, raw, v);
                }
                b.ins().store(state_flags(), v, state, *off as i32);
            }
        }
    }
}

/// The guest state buffer: host memory we own, little-endian (as `get_state`/`set_state`).
pub(super) fn state_flags() -> ir::MemFlagsData {
    super::function::host_flags().with_endianness(ir::Endianness::Little)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{verify, IntCC, Op};
    use crate::testing::BlockBuilder;

    /// A loop that adds twelve read-only i64 slots into two written ones.
    fn many_read_only_slots() -> VerifiedBlock {
        let b = BlockBuilder::new(0x100).main(|b| {
            let top = b.new_label();
            let out = b.new_label();
            b.bind(top);
            let mut acc = b.get_state(Type::I64, 0);
            for k in 0..12 {
                let x = b.get_state(Type::I64, 16 + 8 * k);
                acc = b.add(acc, x);
            }
            b.set_state(0, acc);
            let n = b.get_state(Type::I64, 8);
            let one = b.iconst(Type::I64, 1);
            let n1 = b.sub(n, one);
            b.set_state(8, n1);
            let zero = b.iconst(Type::I64, 0);
            let again = b.icmp(IntCC::Ne, n1, zero);
            b.brif(again, top, out);
            b.bind(out);
            b.op(Op::Exit { pc: one });
        });
        verify(b).unwrap()
    }

    #[test]
    fn written_slots_always_and_read_only_slots_up_to_the_budget() {
        let vb = many_read_only_slots();
        let plan = InlinePlan::new(&vb, 0).with_state_promotion(true);
        let slots = Promoted::plan(&vb, &plan, true);
        assert_eq!(slots.get(&0), Some(&(Type::I64, true)));
        assert_eq!(slots.get(&8), Some(&(Type::I64, true)));
        let read_only = slots.values().filter(|(_, written)| !written).count();
        assert_eq!(read_only, READ_ONLY_BUDGET.min(12) - 2, "{slots:?}");
        assert_eq!(slots.len(), READ_ONLY_BUDGET.min(14));
    }

    #[test]
    fn nothing_is_promoted_without_a_back_edge_or_without_the_plan() {
        let vb = many_read_only_slots();
        let plan = InlinePlan::new(&vb, 0).with_state_promotion(true);
        assert!(Promoted::plan(&vb, &plan, false).is_empty());
        let off = InlinePlan::new(&vb, 0);
        assert!(Promoted::plan(&vb, &off, true).is_empty());
    }

    #[test]
    fn a_slot_read_as_float_and_as_integer_of_its_width_is_promoted_as_the_float() {
        let b = BlockBuilder::new(0x100).main(|b| {
            let top = b.new_label();
            let out = b.new_label();
            b.bind(top);
            let x = b.get_state(Type::F64, 8);
            b.set_state(8, x);
            let bits = b.get_state(Type::I64, 8);
            b.set_state(16, bits);
            // Offset 24: an i32 and an f64 (different widths) are never promoted.
            let w = b.get_state(Type::I32, 24);
            let f = b.get_state(Type::F64, 24);
            b.set_state(32, f);
            let zero = b.iconst(Type::I32, 0);
            let again = b.icmp(IntCC::Ne, w, zero);
            b.brif(again, top, out);
            b.bind(out);
            let pc = b.iconst(Type::I64, 0);
            b.op(Op::Exit { pc });
        });
        let vb = verify(b).unwrap();
        let plan = InlinePlan::new(&vb, 0).with_state_promotion(true);
        let slots = Promoted::plan(&vb, &plan, true);
        assert_eq!(slots.get(&8), Some(&(Type::F64, true)));
        assert_eq!(slots.get(&16), Some(&(Type::I64, true)));
        assert_eq!(slots.get(&24), None);
    }
}

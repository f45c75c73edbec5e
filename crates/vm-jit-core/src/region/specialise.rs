//! Guarded value specialisation: a copy of a block in which some guest state slots are constants.
//!
//! A guest loop often reads registers it never writes — a multiplier, a shift amount, a bound —
//! that a translator can only see as state reads (`mul r3, r3, r7` with r7 = 3). Inside a region
//! they stay runtime values, so the loop pays for a real multiply, a shift by a register, a
//! compare against a register. When the runtime forms a region it knows the guest state at that
//! moment, so it can bet that those registers keep their values:
//!
//! ```text
//! v = get_state ty off_a; k = const ty observed_a; c = icmp eq v, k; brif c, Lnext, Lgeneric
//! …                      ; one such test per chosen slot
//! label Lspecial
//! mark pc               ; the copies start with the block's own mark, as the original does
//! … the body, with `get_state ty off` of every chosen slot replaced by `const ty observed` …
//! label Lgeneric
//! mark pc
//! … the body unchanged …
//! ```
//!
//! The two copies are ordinary IR with their own labels (sharing locals and helpers: only one of
//! them runs), so the optimiser folds the constants and every exit, fault, fuel stop and mark is
//! the original's. Only slots that no op of the block (helpers included) writes, at any
//! overlapping byte, are chosen: then a guard that holds at entry holds for the whole run of
//! the block, and the special copy computes exactly what the original computes. The guard's
//! branches are forward edges and cost no fuel.
//!
//! `specialise` (what the runtime uses) then optimises the result with the default pipeline plus
//! `IfConversion`. With the loop's invariants constant, a data-dependent diamond's arms become a
//! shift or an `lea` — cheap enough to run both and select, which is when if-conversion pays: on
//! the collatz region of bench/regions.js, 1.48 ns per step specialised with branches, 0.90 with
//! selects (Rust: 0.86), where the unspecialised region gained nothing from it (its multiply by a
//! register was the critical path; opt/if_convert.rs). Tier 2 optimises the block again; the
//! passes leave already optimised code as it is.

use crate::ir::{self, Block, Body, IntBinOp, IrError, Op, Type, Value, VerifiedBlock};
use crate::opt::util::{map_values, overlap};
use crate::opt::{OptimizationPass, Optimizer};

/// A guest state slot and the value the special copy assumes it holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SlotValue {
    pub offset: u32,
    pub ty: Type,
    /// The slot's bits (the low `ty` bits).
    pub bits: u64,
}

/// How far specialisation may go.
#[derive(Clone, Copy, Debug)]
pub struct SpecialiseLimits {
    /// Slots guarded at most (each costs a load and a compare at every entry).
    pub max_slots: usize,
    /// Ops of the specialised block at most (it holds the body twice).
    pub max_ops: usize,
}

impl Default for SpecialiseLimits {
    fn default() -> Self {
        SpecialiseLimits { max_slots: 4, max_ops: 8192 }
    }
}

/// Integer slots the main body reads with `get_state` at one offset and type and that no op of
/// the block writes (no `set_state` in any body overlaps them), with how many of their reads feed
/// an op that a constant operand makes cheaper (multiply, divide, remainder, shift, rotate, and,
/// compare). In first-read order.
pub fn read_only_slots(vb: &VerifiedBlock) -> Vec<(u32, Type, usize)> {
    let mut written: Vec<(u32, u32)> = Vec::new();
    let bodies =
        std::iter::once((&vb.block.main, &vb.main)).chain(vb.block.funcs.iter().map(|f| &f.body).zip(&vb.funcs));
    for (body, info) in bodies {
        for op in &body.ops {
            if let Op::SetState { offset, value } = op {
                written.push((*offset, info.value_types[*value as usize].bytes()));
            }
        }
    }
    let main = &vb.block.main;
    // The slot each main-body value was read from, if it is a `get_state` of an int.
    let mut slot_of: Vec<Option<usize>> = vec![None; vb.main.value_types.len()];
    let mut slots: Vec<(u32, Type, usize)> = Vec::new();
    for (at, op) in main.ops.iter().enumerate() {
        if let Op::GetState { ty, offset } = op {
            if !ty.is_int() || written.iter().any(|&(o, w)| overlap(o, w, *offset, ty.bytes())) {
                continue;
            }
            let k = match slots.iter().position(|&(o, t, _)| o == *offset && t == *ty) {
                Some(k) => k,
                None => {
                    slots.push((*offset, *ty, 0));
                    slots.len() - 1
                }
            };
            if let Some(v) = vb.main.op_value[at] {
                slot_of[v as usize] = Some(k);
            }
        }
    }
    for op in &main.ops {
        let worth = match op {
            Op::IntBin { op, .. } => matches!(
                op,
                IntBinOp::Mul
                    | IntBinOp::Udiv
                    | IntBinOp::Sdiv
                    | IntBinOp::Urem
                    | IntBinOp::Srem
                    | IntBinOp::Shl
                    | IntBinOp::Ushr
                    | IntBinOp::Sshr
                    | IntBinOp::Rotl
                    | IntBinOp::Rotr
                    | IntBinOp::And
            ),
            Op::Icmp { .. } => true,
            _ => false,
        };
        if worth {
            for v in op.operands() {
                if let Some(k) = slot_of[v as usize] {
                    slots[k].2 += 1;
                }
            }
        }
    }
    slots
}

/// The slots worth specialising `vb` on, with their values in `state` (the guest state when the
/// region is formed): read-only slots with at least one use a constant makes cheaper, most such
/// uses first, at most `limits.max_slots`; none the snapshot does not cover. Empty when the
/// specialised block would be over `limits.max_ops`.
pub fn choose_slots(vb: &VerifiedBlock, state: &[u8], limits: SpecialiseLimits) -> Vec<SlotValue> {
    if specialised_op_estimate(vb, limits.max_slots) > limits.max_ops {
        return Vec::new();
    }
    let mut slots: Vec<(u32, Type, usize)> = read_only_slots(vb).into_iter().filter(|s| s.2 > 0).collect();
    // Stable: ties keep first-read order.
    slots.sort_by(|a, b| b.2.cmp(&a.2));
    slots
        .into_iter()
        .filter_map(|(offset, ty, _)| {
            let bytes = state.get(offset as usize..offset as usize + ty.bytes() as usize)?;
            let bits = bytes.iter().rev().fold(0u64, |acc, &b| (acc << 8) | b as u64);
            Some(SlotValue { offset, ty, bits })
        })
        .take(limits.max_slots)
        .collect()
}

/// Ops of `vb` specialised on `slots` guarded slots, at most.
fn specialised_op_estimate(vb: &VerifiedBlock, slots: usize) -> usize {
    vb.op_count + vb.block.main.ops.len() + 4 * slots + 4
}

/// A block specialised by `specialise`.
#[derive(Debug)]
pub struct Specialised {
    /// Guard, special copy and generic copy, optimised.
    pub block: VerifiedBlock,
    /// The slots guarded, with the values the special copy assumes.
    pub slots: Vec<SlotValue>,
}

/// `vb` specialised on the state snapshot `state` (see the module comment) and optimised, or
/// None when no slot is worth it or the result would be over the limits.
pub fn specialise(vb: &VerifiedBlock, state: &[u8], limits: SpecialiseLimits) -> Result<Option<Specialised>, IrError> {
    let slots = choose_slots(vb, state, limits);
    if slots.is_empty() {
        return Ok(None);
    }
    let block = specialise_on(vb, &slots)?;
    let mut o = Optimizer::default_pipeline();
    // If-conversion needs the arms the pipeline shaped; DCE and CFG simplification tidy after it.
    for p in
        [OptimizationPass::IfConversion, OptimizationPass::DeadCodeElimination, OptimizationPass::CfgSimplification]
    {
        o.add_pass(p);
    }
    let (block, _) = o.optimize(&block)?;
    Ok(Some(Specialised { block, slots }))
}

/// `vb` with a guard on `slots` in front of a copy that reads them as constants, and the original
/// body behind it for when the guard fails. Every slot must be read-only in `vb` (an error
/// otherwise: the special copy would be wrong after a write).
pub fn specialise_on(vb: &VerifiedBlock, slots: &[SlotValue]) -> Result<VerifiedBlock, IrError> {
    if slots.is_empty() {
        return Ok(vb.clone());
    }
    let read_only = read_only_slots(vb);
    for s in slots {
        if !s.ty.is_int() || !read_only.iter().any(|&(o, t, _)| o == s.offset && t == s.ty) {
            return Err(IrError::new(format!(
                "specialise: {} at state offset {} is not an integer slot the block only reads",
                s.ty.name(),
                s.offset
            )));
        }
    }
    let old = &vb.block.main;
    let n = old.num_labels;
    // Labels: the special copy's are the old ones, the generic copy's follow; then one label per
    // guard test after the first, and the two copies' entries.
    let generic_base = n;
    let guard_base = 2 * n;
    let special_entry = guard_base + slots.len().saturating_sub(1) as u32;
    let generic_entry = special_entry + 1;
    let mut main = Body { locals: old.locals.clone(), num_labels: generic_entry + 1, ops: Vec::new() };
    let mut next: Value = 0;
    for (i, s) in slots.iter().enumerate() {
        // Test i > 0 is bound at guard_base + i - 1.
        let pass = if i + 1 < slots.len() { guard_base + i as u32 } else { special_entry };
        if i > 0 {
            main.ops.push(Op::Label { label: guard_base + i as u32 - 1 });
        }
        main.ops.push(Op::GetState { ty: s.ty, offset: s.offset });
        main.ops.push(Op::Const { ty: s.ty, bits: s.bits & s.ty.mask() });
        main.ops.push(Op::Icmp { cc: ir::IntCC::Eq, a: next, b: next + 1 });
        main.ops.push(Op::Brif { cond: next + 2, then_label: pass, else_label: generic_entry });
        next += 3;
    }
    for (entry, label_base, special) in [(special_entry, 0, true), (generic_entry, generic_base, false)] {
        main.ops.push(Op::Label { label: entry });
        main.ops.push(Op::Mark { pc: vb.block.pc });
        let mut map: Vec<Value> = vec![Value::MAX; vb.main.value_types.len()];
        for (at, op) in old.ops.iter().enumerate() {
            let mut new = match op {
                Op::GetState { ty, offset } if special => slots
                    .iter()
                    .find(|s| s.offset == *offset && s.ty == *ty)
                    .map_or_else(|| op.clone(), |s| Op::Const { ty: *ty, bits: s.bits & ty.mask() }),
                _ => map_values(op, |v| map[v as usize]),
            };
            match &mut new {
                Op::Label { label } | Op::Jump { label } => *label += label_base,
                Op::Brif { then_label, else_label, .. } => {
                    *then_label += label_base;
                    *else_label += label_base;
                }
                _ => {}
            }
            if let Some(v) = vb.main.op_value[at] {
                map[v as usize] = next;
                next += 1;
            }
            main.ops.push(new);
        }
    }
    let block = Block { pc: vb.block.pc, funcs: vb.block.funcs.clone(), main };
    ir::verify(block).map_err(|e| IrError::new(format!("specialise: the specialised block does not verify: {e}")))
}

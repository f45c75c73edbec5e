//! Fast loops (optimised tiers): simple innermost loops of the main body get a second, guarded
//! copy that runs without the per-iteration fuel test and without the range checks of accesses
//! whose address is an affine function of the loop's induction variable — with exactly the
//! documented semantics (docs/IR.md "Fuel and interrupts": same remaining fuel, same fault and
//! fuel-exit pcs, same state).
//!
//! A loop qualifies when its region (from its header label H to its one back edge) has a single
//! entry (H), no other back edge, no call, no value used outside it, and an **induction variable**:
//! an i64 local or i64 guest state slot `iv` (a guest register: the counter of every guest loop)
//! set once per iteration, at a point every path to the back edge passes, to `iv + step` (`step`
//! a constant or a local or slot the loop never sets). At H the lowering computes `lim`, the
//! smallest of
//!
//! - `iv + step * (fuel % 1024)` (saturating): below it, no back edge reaches a fuel check point
//!   (the check fires when the remaining fuel is a multiple of 1024, and each iteration crosses the
//!   back edge at most once);
//! - `2^64 - step`: below it `iv + step` does not wrap, so `iv` grows strictly and the iteration
//!   count is `(iv - iv0) / step`;
//! - the bound of the loop's exit test, when it has one — the first branch after H, leaving the
//!   region on one side (a top test, or a bottom test when the body is one straight line):
//!   `x <u N` (or `ne`, `ugt`…, or signed: then `N` counts as `max(N, 0)`, below which signed
//!   and unsigned order agree) where `x` is `iv` or its next value `iv + step`; below the bound
//!   (`N - step` for the next value) the test is known to stay in the loop, so the fast copy
//!   drops it;
//! - for each access whose address is `(iv << s) + c` (`c` a small constant): the largest `iv` for
//!   which `(iv << s) + c + width <= memory length`, so the access needs no check.
//!
//! Each fast iteration starts with `iv <u lim`; when that fails the original code (the slow copy,
//! with every check) runs one iteration and its back edge returns to H, which recomputes `lim`.
//! So a fast iteration does exactly what the slow one would do except checks that are known to
//! pass, and pays its fuel with a plain decrement. Small loops with an exit test are also
//! unrolled: a group of `unroll` iterations runs when `iv + (unroll - 1) * step <u lim`. With
//! SIMD on, a loop that only reduces contiguous loads runs vector passes instead of the group
//! (`vector_reduce.rs`).

use std::collections::HashMap;

use cranelift_codegen::ir::condcodes::IntCC as CIntCC;
use cranelift_codegen::ir::{self, BlockArg, InstBuilder, Value as CValue};
use cranelift_frontend::Variable;

use crate::ctx;
use crate::ir::{Body, BodyInfo, IntBinOp, IntCC, Label, Local, Op, Type, Value, FUEL_CHECK_INTERVAL};

use super::body::BodyLower;
use super::function::FnLower;
use super::vector_reduce::{self, VectorPlan};
use super::{arith, cl_type};

/// Steps at least this large are not planned (`step * (fuel % 1024)` must not overflow).
const MAX_STEP: u64 = 1 << 53;
/// Address offsets at least this large are left checked (they are usually negative offsets, which
/// would keep every iteration on the slow path).
const MAX_OFFSET: u64 = 1 << 32;
/// Distinct access bounds one loop folds into its limit.
const MAX_BOUNDS: usize = 4;
/// Loops examined per body, for fast loops and for rotation each: examining one scans the body,
/// so a block of many loops must not cost time quadratic in its size.
const MAX_LOOPS: usize = 32;

/// A loop-invariant operand of the limit computation, available at the header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Inv {
    Const(u64),
    /// A local the loop never sets.
    Local(Local),
    /// An i64 guest state slot the loop never writes.
    State(u32),
    /// An SSA value defined before the loop and used where the header reaches (so its definition
    /// dominates the header).
    Value(Value),
}

/// The range condition a covered access needs: `base + (iv << shift) + add < mem_limit[limit]`
/// without wrapping.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AccessBound {
    pub limit: usize,
    pub shift: u32,
    pub add: u64,
    pub base: Option<Inv>,
}

/// The loop's exit test, known to stay in the loop below `lim`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExitFold {
    /// Op index of the `brif`.
    pub brif: usize,
    pub bound: Inv,
    /// The test compares `bound` signed (the lowering uses `max(bound, 0)`).
    pub signed: bool,
    /// The test stays in the loop up to and including `bound` (`x <= bound`, not `x < bound`).
    pub inclusive: bool,
    /// The test compares the next value `iv + step`, not `iv`.
    pub next: bool,
    /// Where the `brif` goes while the compared value is below the bound (the loop's header
    /// label when the `brif` is the back edge itself).
    pub body: Label,
}

/// Where a loop keeps its induction variable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoopVar {
    Local(Local),
    /// An i64 guest state slot that every access in the loop reads or writes whole: in a guest
    /// loop the counter is a guest register (held in a variable when the slot is promoted).
    State(u32),
}

impl LoopVar {
    /// Whether `op` reads the variable.
    pub fn is_get(self, op: &Op) -> bool {
        match (self, op) {
            (LoopVar::Local(l), Op::LocalGet { local }) => l == *local,
            (LoopVar::State(o), Op::GetState { ty: Type::I64, offset }) => o == *offset,
            _ => false,
        }
    }

    /// Whether `op` writes the variable.
    pub fn is_set(self, op: &Op) -> bool {
        match (self, op) {
            (LoopVar::Local(l), Op::LocalSet { local, .. }) => l == *local,
            (LoopVar::State(o), Op::SetState { offset, .. }) => o == *offset,
            _ => false,
        }
    }
}

/// One fast loop.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoopPlan {
    /// Op index of the header `label`, and its label.
    pub header: usize,
    pub label: Label,
    /// Op index of the back edge (a `jump` or `brif` to `label`).
    pub back_edge: usize,
    pub iv: LoopVar,
    pub step: Inv,
    pub fold: Option<ExitFold>,
    /// Op indices of the loads and stores that need no range check in the fast copy (sorted),
    /// with their address in the iteration's starting iv.
    pub covered: Vec<(usize, AccessBound)>,
    pub bounds: Vec<AccessBound>,
    /// Labels bound inside the region (each copy has its own blocks for them).
    pub inner_labels: Vec<Label>,
    /// Iterations per unrolled group (1: no group).
    pub unroll: u32,
    /// Locals the group accumulates into with one associative op (see `Reduction`).
    pub reductions: Vec<Reduction>,
    /// The vector pass that replaces the group when the loop is nothing but reductions of
    /// contiguous loads (`vector_reduce.rs`); used when the backend enables SIMD.
    pub vector: Option<VectorPlan>,
    /// Op indices the fast copies leave out (sorted): the folded exit test's compare and what
    /// only it uses. Cranelift removes pure arithmetic nobody uses, but not a state load.
    pub unused: Vec<usize>,
}

/// `r = r op x` once per iteration, `r` read nowhere else in the loop, `op` associative and
/// commutative (wrapping add, mul, and, or, xor): an unrolled group spreads the iterations over
/// `ACCUMULATORS` partial results (`r` and fresh ones starting at `op`'s identity) and folds them
/// into `r` when it leaves the group loop, so the group is not one long dependency chain. Nothing
/// can observe `r` in between: the group leaves only through its guard (where it folds), or by
/// leaving the block (where locals are lost).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reduction {
    pub local: Local,
    pub op: IntBinOp,
    pub ty: Type,
    /// Op index of the `op`.
    pub at: usize,
}

/// Partial results per reduction in an unrolled group.
pub const ACCUMULATORS: u32 = 4;

/// Op index → value it defines, inverted.
fn def_sites(info: &BodyInfo) -> Vec<usize> {
    let mut def_at = vec![usize::MAX; info.value_types.len()];
    for (i, v) in info.op_value.iter().enumerate() {
        if let Some(v) = v {
            def_at[*v as usize] = i;
        }
    }
    def_at
}

fn targets(op: &Op) -> Vec<Label> {
    match op {
        Op::Jump { label } => vec![*label],
        Op::Brif { then_label, else_label, .. } => vec![*then_label, *else_label],
        _ => vec![],
    }
}

/// The fast loops of a main body, by header op index.
pub fn plan(body: &Body, info: &BodyInfo) -> HashMap<usize, LoopPlan> {
    let def_at = def_sites(info);
    let mut plans = HashMap::new();
    let mut examined = 0;
    for (e, op) in body.ops.iter().enumerate() {
        let back: Vec<Label> = targets(op).into_iter().filter(|l| info.is_back_edge(e, *l)).collect();
        if back.len() != 1 {
            continue;
        }
        examined += 1;
        if examined > MAX_LOOPS {
            break;
        }
        if let Some(p) = analyse(body, info, &def_at, back[0], e) {
            plans.insert(p.header, p);
        }
    }
    plans
}

/// Loop rotation: a back edge to a label whose code up to its first terminator is a short test
/// ending in a forward `brif` (the usual top-tested loop header) repeats that test in place of
/// the jump, after paying its fuel exactly as before, so each iteration takes one branch fewer.
/// Returns label → op range `(label op, brif op)`. Not for fast loop headers (whose code computes
/// the limit), nor when a value of the test is used outside it (it would have two definitions).
pub fn rotations(body: &Body, info: &BodyInfo, plans: &HashMap<usize, LoopPlan>) -> HashMap<Label, (usize, usize)> {
    let ops = &body.ops;
    let def_at = def_sites(info);
    let mut out = HashMap::new();
    let mut examined = 0;
    for (e, op) in ops.iter().enumerate() {
        for label in targets(op) {
            let h = info.label_pos[label as usize];
            if h > e || out.contains_key(&label) || plans.contains_key(&h) {
                continue;
            }
            examined += 1;
            if examined > MAX_LOOPS {
                return out;
            }
            let Some(t) =
                (h + 1..ops.len()).take(10).find(|&i| ops[i].is_terminator() || matches!(ops[i], Op::Label { .. }))
            else {
                continue;
            };
            let Op::Brif { then_label, else_label, .. } = ops[t] else { continue };
            let forward = |l: Label| info.label_pos[l as usize] > t;
            if !forward(then_label) || !forward(else_label) {
                continue;
            }
            if ops[h + 1..t].iter().any(|op| matches!(op, Op::Call { .. })) {
                continue;
            }
            let local = ops.iter().enumerate().all(|(i, op)| {
                (i > h && i <= t)
                    || op.operands().iter().all(|v| !(def_at[*v as usize] > h && def_at[*v as usize] <= t))
            });
            if local {
                out.insert(label, (h, t));
            }
        }
    }
    out
}

/// `base + (iv << shift) + add` (wrapping), relative to the iteration's starting `iv`.
#[derive(Clone, Copy)]
struct Lin {
    shift: u32,
    add: u64,
    base: Option<Inv>,
}

fn analyse(body: &Body, info: &BodyInfo, def_at: &[usize], label: Label, e: usize) -> Option<LoopPlan> {
    let ops = &body.ops;
    let h = info.label_pos[label as usize];
    let inside = |i: usize| i > h && i <= e;
    // The header's first straight-line segment: H up to its terminator.
    let t = (h + 1..=e).find(|&i| ops[i].is_terminator() || matches!(ops[i], Op::Label { .. }))?;
    // Single entry, one back edge, no calls. Values defined inside and used outside must come from
    // the header segment (checked against the exits below).
    let mut escapes = false;
    for (i, op) in ops.iter().enumerate() {
        if inside(i) {
            if matches!(op, Op::Call { .. }) {
                return None;
            }
            if i != e && targets(op).iter().any(|l| info.is_back_edge(i, *l)) {
                return None;
            }
        } else {
            if targets(op).iter().any(|l| inside(info.label_pos[*l as usize])) {
                return None;
            }
            for v in op.operands() {
                let d = def_at[v as usize];
                if inside(d) {
                    if d >= t {
                        return None;
                    }
                    escapes = true;
                }
            }
        }
    }
    // Ops reachable from H within the region (all its edges are forward but the back edge).
    let mut reach = vec![false; e - h + 1];
    let mut live = true;
    for i in h + 1..=e {
        if let Op::Label { .. } = ops[i] {
            live |= reach[i - h];
        }
        reach[i - h] = live;
        if live {
            for l in targets(&ops[i]) {
                let pos = info.label_pos[l as usize];
                if inside(pos) && pos > i {
                    reach[pos - h] = true;
                }
            }
        }
        if ops[i].is_terminator() {
            live = false;
        }
    }
    // Branches from the region to labels after it, other than the header's exit test.
    let side_exits = (h + 1..=e).any(|i| i != t && targets(&ops[i]).iter().any(|l| info.label_pos[*l as usize] > e));
    let mut sets: HashMap<Local, usize> = HashMap::new();
    let mut state_sets: Vec<(u32, u32)> = Vec::new();
    // Every state access of the region: (offset, bytes, i64 or not).
    let mut state_accesses: Vec<(u32, u32, bool)> = Vec::new();
    for op in &ops[h + 1..=e] {
        match *op {
            Op::LocalSet { local, .. } => *sets.entry(local).or_insert(0) += 1,
            Op::SetState { offset, value } => {
                let ty = info.value_types[value as usize];
                state_sets.push((offset, ty.bytes()));
                state_accesses.push((offset, ty.bytes(), ty == Type::I64));
            }
            Op::GetState { offset, ty } => state_accesses.push((offset, ty.bytes(), ty == Type::I64)),
            _ => {}
        }
    }
    let set_in_loop = |l: Local| sets.contains_key(&l);
    // A state slot can hold the induction variable when the loop sets it once and every access
    // touching its bytes is an i64 access at its offset (so `get_state` reads what the one set
    // wrote).
    let state_iv = |offset: u32| {
        state_sets.iter().filter(|(o, _)| *o == offset).count() == 1
            && state_accesses.iter().all(|&(o, w, i64)| (o == offset && i64) || o >= offset + 8 || offset >= o + w)
    };
    let const_of = |v: Value| match ops.get(def_at[v as usize]) {
        Some(Op::Const { ty: Type::I64, bits }) => Some(*bits),
        _ => None,
    };
    // A loop-invariant i64 value that the header can compute, as used at op `at`.
    let invariant = |x: Value, at: usize| -> Option<Inv> {
        if info.value_types[x as usize] != Type::I64 {
            return None;
        }
        if let Some(c) = const_of(x) {
            return Some(Inv::Const(c));
        }
        let d = def_at[x as usize];
        match ops.get(d)? {
            Op::LocalGet { local } if inside(d) && !set_in_loop(*local) => Some(Inv::Local(*local)),
            Op::GetState { offset, .. } if inside(d) => {
                let clash = state_sets.iter().any(|(o, w)| *o < offset + 8 && *offset < o + w);
                (!clash).then_some(Inv::State(*offset))
            }
            // Defined before the loop and used where H reaches: its definition dominates H.
            _ if d < h && reach[at - h] => Some(Inv::Value(x)),
            _ => None,
        }
    };

    // Induction variable candidates: `iv = add(iv, step)` once per iteration, iv a local
    // (`local_set`/`local_get`) or a state slot (`set_state`/`get_state`).
    let mut best: Option<LoopPlan> = None;
    for s in h + 1..e {
        let (iv, value) = match ops[s] {
            Op::LocalSet { local, value } if body.locals[local as usize] == Type::I64 && sets[&local] == 1 => {
                (LoopVar::Local(local), value)
            }
            Op::SetState { offset, value } if info.value_types[value as usize] == Type::I64 && state_iv(offset) => {
                (LoopVar::State(offset), value)
            }
            _ => continue,
        };
        if !reach[s - h] {
            continue;
        }
        // Every path from H to the back edge passes `s`: the labels between them are entered
        // only from ops between them (falling through or branching forward; nothing outside the
        // region enters it).
        let between = |i: usize| i > s && i < e;
        if (h + 1..=s).any(|i| targets(&ops[i]).iter().any(|l| between(info.label_pos[*l as usize]))) {
            continue;
        }
        // `iv` as the iteration started (read before `s`) and as it will be next (`s`'s value, or
        // read after `s`).
        let is_start = |x: Value, before: usize| {
            let d = def_at[x as usize];
            d > h && d < before.min(s) && iv.is_get(&ops[d])
        };
        let is_next = |x: Value| {
            let d = def_at[x as usize];
            x == value || (d > s && d < e && iv.is_get(&ops[d]))
        };
        let d = def_at[value as usize];
        if !inside(d) {
            continue;
        }
        let Op::IntBin { op: IntBinOp::Add, a, b } = ops[d] else { continue };
        let other = if is_start(a, s) {
            b
        } else if is_start(b, s) {
            a
        } else {
            continue;
        };
        let step = match invariant(other, d) {
            Some(Inv::Const(c)) if c > 0 && c < MAX_STEP => Inv::Const(c),
            Some(x @ (Inv::Local(_) | Inv::State(_))) => x,
            _ => continue,
        };
        let fold = (|| {
            let Op::Brif { cond, then_label, else_label } = ops[t] else { return None };
            let dc = def_at[cond as usize];
            if !(dc > h && dc < t) {
                return None;
            }
            let Op::Icmp { cc, a, b } = ops[dc] else { return None };
            // Which value the test compares: Some(next?) for iv or its next value.
            let side = |x: Value| {
                if is_start(x, t) {
                    Some(false)
                } else if is_next(x) {
                    Some(true)
                } else {
                    None
                }
            };
            // The compared value `x` on the left: `x < n`, `x <= n` (either signedness), `x != n`
            // or the negation of one of them (stays in the loop when false).
            let (cc, x, n) = if side(a).is_some() { (cc, a, b) } else { (cc.swapped(), b, a) };
            let (inclusive, stay_if_true) = match cc {
                IntCC::Ult | IntCC::Slt | IntCC::Ne => (false, true),
                IntCC::Ule | IntCC::Sle => (true, true),
                IntCC::Uge | IntCC::Sge | IntCC::Eq => (false, false),
                IntCC::Ugt | IntCC::Sgt => (true, false),
            };
            let next = side(x)?;
            let bound = invariant(n, dc)?;
            let signed = matches!(cc, IntCC::Slt | IntCC::Sgt | IntCC::Sge | IntCC::Sle);
            let (body_label, exit_label) =
                if stay_if_true { (then_label, else_label) } else { (else_label, then_label) };
            let (bp, xp) = (info.label_pos[body_label as usize], info.label_pos[exit_label as usize]);
            // The body side continues inside the region (or, for a bottom test that is the back
            // edge itself, goes back to H); the other side leaves it.
            let stays = (bp > t && bp <= e) || (t == e && body_label == label);
            (stays && xp > e).then_some(ExitFold { brif: t, bound, signed, inclusive, next, body: body_label })
        })();
        // Values of the header used after the loop: the slow copy (lowered last) defines them, and
        // it must be the only way out of the region.
        if escapes && (fold.is_none() || side_exits) {
            continue;
        }

        // Addresses affine in the iteration's starting iv.
        let mut lin: HashMap<Value, Lin> = HashMap::new();
        let mut covered = Vec::new();
        let mut bounds: Vec<AccessBound> = Vec::new();
        for i in h + 1..=e {
            let def = info.op_value[i];
            let l = match ops[i] {
                ref op if iv.is_get(op) && i < s => Some(Lin { shift: 0, add: 0, base: None }),
                ref op if iv.is_get(op) => match step {
                    Inv::Const(c) => Some(Lin { shift: 0, add: c, base: None }),
                    _ => None,
                },
                Op::IntBin { op, a, b } => {
                    let (la, lb) = (lin.get(&a).copied(), lin.get(&b).copied());
                    let (ca, cb) = (const_of(a), const_of(b));
                    match (op, la, lb, ca, cb) {
                        (IntBinOp::Add, Some(x), _, _, Some(c)) | (IntBinOp::Add, _, Some(x), Some(c), _) => {
                            Some(Lin { add: x.add.wrapping_add(c), ..x })
                        }
                        (IntBinOp::Add, Some(x), None, _, None) if x.base.is_none() => {
                            invariant(b, i).map(|base| Lin { base: Some(base), ..x })
                        }
                        (IntBinOp::Add, None, Some(x), None, _) if x.base.is_none() => {
                            invariant(a, i).map(|base| Lin { base: Some(base), ..x })
                        }
                        (IntBinOp::Sub, Some(x), _, _, Some(c)) => Some(Lin { add: x.add.wrapping_sub(c), ..x }),
                        (IntBinOp::Shl, Some(x), _, _, Some(c)) => shifted(x, (c & 63) as u32),
                        (IntBinOp::Mul, Some(x), _, _, Some(c)) | (IntBinOp::Mul, _, Some(x), Some(c), _)
                            if c.is_power_of_two() =>
                        {
                            shifted(x, c.trailing_zeros())
                        }
                        _ => None,
                    }
                }
                Op::Load { width, addr, .. } | Op::Store { width, addr, .. } if reach[i - h] => {
                    if let Some(x) = lin.get(&addr).filter(|x| x.add < MAX_OFFSET) {
                        let bound = AccessBound {
                            limit: ctx::limit_index(width as u32),
                            shift: x.shift,
                            add: x.add,
                            base: x.base,
                        };
                        if !bounds.contains(&bound) && bounds.len() < MAX_BOUNDS {
                            bounds.push(bound);
                        }
                        if bounds.contains(&bound) {
                            covered.push((i, bound));
                        }
                    }
                    None
                }
                _ => None,
            };
            if let (Some(v), Some(l)) = (def, l) {
                lin.insert(v, l);
            }
        }
        let inner_labels = (h + 1..=e)
            .filter_map(|i| match ops[i] {
                Op::Label { label } => Some(label),
                _ => None,
            })
            .collect();
        let unroll = match (fold, e - h) {
            (Some(_), n) if n <= 24 => 8,
            (Some(_), n) if n <= 48 => 4,
            _ => 1,
        };
        let reductions = if unroll > 1 && !side_exits { reductions(body, info, def_at, h, e, iv) } else { Vec::new() };
        let unused = fold.map(|f| unused_in_fast_copy(body, info, def_at, f.brif)).unwrap_or_default();
        let mut p = LoopPlan {
            unused,
            header: h,
            label,
            back_edge: e,
            iv,
            step,
            fold,
            covered,
            bounds,
            inner_labels,
            unroll,
            reductions,
            vector: None,
        };
        p.vector = vector_reduce::plan(body, def_at, &p);
        let score = |p: &LoopPlan| (p.fold.is_some() as usize) * 100 + p.covered.len();
        if best.as_ref().is_none_or(|b| score(&p) > score(b)) {
            best = Some(p);
        }
    }
    best
}

/// The ops a fast copy, where the exit test `brif` is folded, does not need: its condition and,
/// transitively, the side-effect-free integer ops whose every use is such an op.
fn unused_in_fast_copy(body: &Body, info: &BodyInfo, def_at: &[usize], brif: usize) -> Vec<usize> {
    let ops = &body.ops;
    let mut uses = vec![0u32; info.value_types.len()];
    for op in ops {
        for v in op.operands() {
            uses[v as usize] += 1;
        }
    }
    let pure = |op: &Op| {
        matches!(
            op,
            Op::Const { .. }
                | Op::GetState { .. }
                | Op::LocalGet { .. }
                | Op::IntBin { .. }
                | Op::IntUn { .. }
                | Op::Icmp { .. }
                | Op::Ext { .. }
        )
    };
    let mut out = Vec::new();
    // Values whose uses so far all belong to removed ops: remove a definition once its count of
    // removed uses reaches its use count.
    let mut removed_uses = vec![0u32; info.value_types.len()];
    let mut work: Vec<u32> = ops[brif].operands();
    while let Some(v) = work.pop() {
        removed_uses[v as usize] += 1;
        let d = def_at[v as usize];
        if removed_uses[v as usize] == uses[v as usize]
            && d < ops.len()
            && pure(&ops[d])
            && !info.value_types[v as usize].is_float()
        {
            out.push(d);
            work.extend(ops[d].operands());
        }
    }
    out.sort_unstable();
    out
}

/// The reductions (see `Reduction`) of the region `(h, e]`.
fn reductions(body: &Body, info: &BodyInfo, def_at: &[usize], h: usize, e: usize, iv: LoopVar) -> Vec<Reduction> {
    let ops = &body.ops;
    let mut uses = vec![0u32; info.value_types.len()];
    for op in ops {
        for v in op.operands() {
            uses[v as usize] += 1;
        }
    }
    let mut gets: HashMap<Local, Vec<usize>> = HashMap::new();
    let mut sets: HashMap<Local, Vec<usize>> = HashMap::new();
    for (i, op) in ops.iter().enumerate().take(e + 1).skip(h + 1) {
        match *op {
            Op::LocalGet { local } => gets.entry(local).or_default().push(i),
            Op::LocalSet { local, .. } => sets.entry(local).or_default().push(i),
            _ => {}
        }
    }
    let mut out = Vec::new();
    for (&local, set_at) in &sets {
        let (Some(get_at), [set_at]) = (gets.get(&local), set_at.as_slice()) else { continue };
        let [get_at] = get_at.as_slice() else { continue };
        let ty = body.locals[local as usize];
        if iv == LoopVar::Local(local) || !ty.is_int() || get_at > set_at {
            continue;
        }
        let Op::LocalSet { value, .. } = ops[*set_at] else { continue };
        let d = def_at[value as usize];
        let Op::IntBin { op, a, b } = ops[d] else { continue };
        let got = info.op_value[*get_at].expect("local_get defines a value");
        let assoc = matches!(op, IntBinOp::Add | IntBinOp::Mul | IntBinOp::And | IntBinOp::Or | IntBinOp::Xor);
        if assoc && (a == got || b == got) && a != b && uses[got as usize] == 1 && uses[value as usize] == 1 {
            out.push(Reduction { local, op, ty, at: d });
        }
    }
    out.sort_by_key(|r| r.local);
    out
}

fn shifted(x: Lin, k: u32) -> Option<Lin> {
    (x.base.is_none() && x.shift + k < 64).then(|| Lin { shift: x.shift + k, add: x.add << k, base: None })
}

/// What the current copy of a loop region does differently (see `BodyLower::fast`).
#[derive(Clone, Debug)]
pub struct FastCopy {
    pub back_edge: usize,
    /// Where the back edge goes (after paying one fuel, no check), passing `carry` as arguments.
    pub next: ir::Block,
    pub carry: Vec<Variable>,
    pub fold: Option<ExitFold>,
    pub covered: Vec<(usize, AccessBound)>,
    /// The iv at the start of this copy's iteration is `iv_at.0 + iv_at.1`, exactly (the guard
    /// rules out wrapping): covered addresses are computed from it, so that the constant part
    /// becomes an addressing-mode displacement.
    pub iv_at: (CValue, u64),
    /// Reduction locals this copy accumulates into a partial result instead.
    pub redirect: Vec<(Local, Variable)>,
    /// Reduction adds to compute where they are (see `pinned_add`).
    pub pin: Vec<usize>,
    /// Ops left out (`LoopPlan::unused`).
    pub unused: Vec<usize>,
}

impl FastCopy {
    /// Whether op `at` is left out of this copy.
    pub fn leaves_out(&self, at: usize) -> bool {
        self.unused.binary_search(&at).is_ok()
    }

    fn covered(&self, at: usize) -> Option<AccessBound> {
        self.covered.binary_search_by_key(&at, |c| c.0).ok().map(|k| self.covered[k].1)
    }

    pub fn redirected(&self, local: Local) -> Option<Variable> {
        self.redirect.iter().find(|(l, _)| *l == local).map(|(_, v)| *v)
    }
}

/// A reduction's add in an unrolled copy, as the first result of `uadd_overflow`: the same sum,
/// but an instruction Cranelift's egraph leaves in place (it has two results). A plain `iadd`
/// is pure, so the egraph would compute every copy's add at the group's end, keeping all the
/// group's loaded values live at once (spills), and no load could fold into its add.
pub fn pinned_add(b: &mut cranelift_frontend::FunctionBuilder, x: CValue, y: CValue) -> CValue {
    b.ins().uadd_overflow(x, y).0
}

pub(super) fn identity(op: IntBinOp, ty: Type) -> u64 {
    match op {
        IntBinOp::And => ty.mask(),
        IntBinOp::Mul => 1,
        _ => 0,
    }
}

impl BodyLower<'_> {
    pub(super) fn inv(&self, fl: &mut FnLower, x: Inv) -> CValue {
        match x {
            Inv::Const(c) => fl.b.ins().iconst(ir::types::I64, c as i64),
            Inv::Local(l) => fl.b.use_var(self.locals[l as usize]),
            Inv::State(offset) => fl.get_state(Type::I64, offset),
            Inv::Value(v) => self.vals[v as usize],
        }
    }

    /// The induction variable's current value (read as an invariant is: local or state slot).
    pub(super) fn read_iv(&self, fl: &mut FnLower, iv: LoopVar) -> CValue {
        let x = match iv {
            LoopVar::Local(l) => Inv::Local(l),
            LoopVar::State(offset) => Inv::State(offset),
        };
        self.inv(fl, x)
    }

    /// Sets the induction variable.
    pub(super) fn write_iv(&self, fl: &mut FnLower, iv: LoopVar, x: CValue) {
        match iv {
            LoopVar::Local(l) => fl.b.def_var(self.locals[l as usize], x),
            LoopVar::State(offset) => fl.set_state(offset, x, Type::I64),
        }
    }

    /// The exit test's bound on the iteration's starting `iv`: every `iv` below it stays in the
    /// loop (given no wrap of `iv + step`, which `lim` also ensures). A signed test's bound counts
    /// as `max(N, 0)`: below it signed and unsigned order agree. A test of the next value stays
    /// while `iv < N - step` (0 when `N <= step`).
    fn fold_bound(&self, fl: &mut FnLower, f: &ExitFold, step: Inv) -> CValue {
        let mut n = self.inv(fl, f.bound);
        let zero = fl.b.ins().iconst(ir::types::I64, 0);
        if f.inclusive {
            // x <= N is x < N + 1. At the top of the range N + 1 wraps to 0 (2^64 - 1) or to a
            // negative number (2^63 - 1, signed: max with 0 below): no fast iteration, which is
            // slow but right.
            n = fl.b.ins().iadd_imm_s(n, 1);
        }
        if f.signed {
            n = fl.b.ins().smax(n, zero);
        }
        if f.next {
            let step = self.inv(fl, step);
            let ok = fl.b.ins().icmp(CIntCC::UnsignedGreaterThan, n, step);
            let d = fl.b.ins().isub(n, step);
            n = fl.b.ins().select(ok, d, zero);
        }
        n
    }

    /// `lim` and the group limit `lim - (unroll - 1) * step` (0 if that underflows), computed at the
    /// header.
    fn limits(&self, fl: &mut FnLower, p: &LoopPlan) -> (CValue, CValue) {
        let i64t = ir::types::I64;
        let iv = self.read_iv(fl, p.iv);
        let fuel = fl.b.use_var(fl.fuel);
        let budget = fl.b.ins().band_imm_u(fuel, (FUEL_CHECK_INTERVAL - 1) as i64);
        let step = self.inv(fl, p.step);
        // iv + step * budget, saturating: the product cannot overflow (step < 2^53, budget <
        // 2^10), the sum wraps at most once. A run-time step of 2^53 or more gets no fast
        // iteration (limit iv).
        let max = fl.b.ins().iconst(i64t, -1);
        let prod = fl.b.ins().imul(budget, step);
        let sum = fl.b.ins().iadd(iv, prod);
        let wrapped = fl.b.ins().icmp(CIntCC::UnsignedLessThan, sum, iv);
        let mut lim = fl.b.ins().select(wrapped, max, sum);
        if !matches!(p.step, Inv::Const(_)) {
            let big = fl.b.ins().icmp_imm_u(CIntCC::UnsignedGreaterThanOrEqual, step, MAX_STEP as i64);
            lim = fl.b.ins().select(big, iv, lim);
        }
        // No wrap of iv + step: iv < 2^64 - step.
        let zero = fl.b.ins().iconst(i64t, 0);
        let no_wrap = fl.b.ins().isub(zero, step);
        lim = fl.b.ins().umin(lim, no_wrap);
        if let Some(f) = p.fold {
            let n = self.fold_bound(fl, &f, p.step);
            lim = fl.b.ins().umin(lim, n);
        }
        for a in &p.bounds {
            let mut l = fl.mem_limit[a.limit].expect("needs");
            if let Some(base) = a.base {
                // What is left of the range above `base` (0 if base is past it).
                let base = self.inv(fl, base);
                let inside = fl.b.ins().icmp(CIntCC::UnsignedLessThan, base, l);
                let rest = fl.b.ins().isub(l, base);
                l = fl.b.ins().select(inside, rest, zero);
            }
            let ok = fl.b.ins().icmp_imm_u(CIntCC::UnsignedGreaterThan, l, a.add as i64);
            let d = fl.b.ins().iadd_imm_s(l, (a.add as i64).wrapping_neg());
            let d = fl.b.ins().ushr_imm_u(d, a.shift as i64);
            let bound = fl.b.ins().select(ok, d, zero);
            lim = fl.b.ins().umin(lim, bound);
        }
        let group = match p.step {
            _ if p.unroll == 1 => lim,
            Inv::Const(c) => {
                let span = (p.unroll as u64 - 1) * c;
                let ok = fl.b.ins().icmp_imm_u(CIntCC::UnsignedGreaterThan, lim, span as i64);
                let d = fl.b.ins().iadd_imm_s(lim, (span as i64).wrapping_neg());
                fl.b.ins().select(ok, d, zero)
            }
            _ => {
                // A run-time step below 2^53 (or lim is iv and no group runs): the span fits.
                let span = fl.b.ins().imul_imm_u(step, p.unroll as i64 - 1);
                let ok = fl.b.ins().icmp(CIntCC::UnsignedGreaterThan, lim, span);
                let d = fl.b.ins().isub(lim, span);
                fl.b.ins().select(ok, d, zero)
            }
        };
        (lim, group)
    }

    /// Lowers the loop region of `p` (the header label through the back edge): the limit at the
    /// header, the unrolled group, the single fast iteration and the slow copy. `open`: whether the
    /// op before the header falls through into it. Returns `false` (the region ends in a
    /// terminator).
    pub(super) fn lower_fast_loop(&mut self, fl: &mut FnLower, p: &LoopPlan, open: bool) -> bool {
        let hblk = self.labels[p.label as usize];
        if open {
            fl.b.ins().jump(hblk, &[]);
        }
        fl.b.switch_to_block(hblk);
        // Values defined inside the region are used only there; each copy defines them afresh.
        let base = self.vals.len();
        let single = fl.b.create_block();
        let slow = fl.b.create_block();
        if let Some(f) = p.fold {
            // A loop about to leave (often one that runs no iteration at all) does not need
            // the limit: straight to the slow copy, which takes the exit test.
            let iv = self.read_iv(fl, p.iv);
            let n = self.fold_bound(fl, &f, p.step);
            let stay = fl.b.ins().icmp(CIntCC::UnsignedLessThan, iv, n);
            let go = fl.b.create_block();
            fl.b.ins().brif(stay, go, &[], slow, &[]);
            fl.b.switch_to_block(go);
        }
        let (lim, group_lim) = self.limits(fl, p);
        // A vectorised loop has no scalar group: what the passes leave below the limit is less
        // than one pass, which single iterations run about as fast, and the group's copies cost
        // more compile time than everything else (sum: 585 µs with both, 337 µs without).
        let vector = p.vector.as_ref().filter(|_| fl.plan.simd);
        if let Some(v) = vector {
            self.lower_vector_pass(fl, p, v, lim);
        }
        if p.unroll > 1 && vector.is_none() {
            // Partial results of the reductions: accs[r][j - 1] for copies k with k % ACCUMULATORS
            // == j > 0 (j == 0 uses the local itself). They start at the identity here.
            let accs: Vec<Vec<Variable>> = p
                .reductions
                .iter()
                .map(|r| {
                    (1..ACCUMULATORS.min(p.unroll / 2))
                        .map(|_| {
                            let v = fl.b.declare_var(cl_type(r.ty));
                            let id = arith::iconst(&mut fl.b, r.ty, identity(r.op, r.ty));
                            fl.b.def_var(v, id);
                            v
                        })
                        .collect()
                })
                .collect();
            let group = fl.b.create_block();
            fl.b.ins().jump(group, &[]);
            fl.b.switch_to_block(group);
            let iv = self.read_iv(fl, p.iv);
            let go = fl.b.ins().icmp(CIntCC::UnsignedLessThan, iv, group_lim);
            let mut start = fl.b.create_block();
            let leave = if p.reductions.is_empty() { single } else { fl.b.create_block() };
            fl.b.ins().brif(go, start, &[], leave, &[]);
            // The reductions' variables travel as explicit block arguments between the copies, so
            // that each copy's accumulation is computed in that copy (not all sunk into the last).
            let carry: Vec<Variable> = p
                .reductions
                .iter()
                .zip(&accs)
                .flat_map(|(r, a)| std::iter::once(self.locals[r.local as usize]).chain(a.iter().copied()))
                .collect();
            let carry_types: Vec<ir::Type> = p
                .reductions
                .iter()
                .zip(&accs)
                .flat_map(|(r, a)| std::iter::repeat_n(cl_type(r.ty), a.len() + 1))
                .collect();
            for k in 0..p.unroll {
                let last = k + 1 == p.unroll;
                let next = if last { group } else { fl.b.create_block() };
                if !last {
                    for t in &carry_types {
                        fl.b.append_block_param(next, *t);
                    }
                }
                // Copies 2m and 2m + 1 share partial result m % ACCUMULATORS; the second one's add
                // is pinned (`pinned_add`), which also places the first one's just before it.
                let j = ((k / 2) % ACCUMULATORS) as usize;
                let redirect = if j == 0 {
                    Vec::new()
                } else {
                    p.reductions.iter().zip(&accs).map(|(r, a)| (r.local, a[j - 1])).collect()
                };
                let carry_in = if k == 0 { Vec::new() } else { carry.clone() };
                let carry_out = if last { Vec::new() } else { carry.clone() };
                // Covered addresses from the group's starting iv plus a constant, or (run-time
                // step) from the iv this copy starts with.
                let iv_at = match p.step {
                    Inv::Const(c) => Some((iv, c * k as u64)),
                    _ => None,
                };
                let pin = if k % 2 == 1 {
                    p.reductions.iter().filter(|r| r.op == IntBinOp::Add).map(|r| r.at).collect()
                } else {
                    Vec::new()
                };
                self.lower_copy(fl, p, base, start, &carry_in, Some((next, carry_out, redirect, iv_at, pin)));
                start = next;
            }
            if !p.reductions.is_empty() {
                // Leaving the group loop: fold the partial results into the locals.
                fl.b.switch_to_block(leave);
                for (r, a) in p.reductions.iter().zip(&accs) {
                    let var = self.locals[r.local as usize];
                    let mut x = fl.b.use_var(var);
                    for acc in a {
                        let y = fl.b.use_var(*acc);
                        x = arith::int_bin(&mut fl.b, r.op, r.ty, x, y);
                    }
                    fl.b.def_var(var, x);
                }
                fl.b.ins().jump(single, &[]);
            }
        } else {
            fl.b.ins().jump(single, &[]);
        }
        fl.b.switch_to_block(single);
        let iv = self.read_iv(fl, p.iv);
        let go = fl.b.ins().icmp(CIntCC::UnsignedLessThan, iv, lim);
        let body = fl.b.create_block();
        fl.b.ins().brif(go, body, &[], slow, &[]);
        self.lower_copy(fl, p, base, body, &[], Some((single, Vec::new(), Vec::new(), Some((iv, 0)), Vec::new())));
        self.lower_copy(fl, p, base, slow, &[], None);
        false
    }

    /// One copy of the region's ops after the header label, starting in block `start` (whose
    /// parameters, if any, are the new values of `carry_in`): fast — its back edge pays one fuel
    /// and jumps to `next.0` with `next.1` as arguments, and `next.2` redirects reduction locals —
    /// or, with `fast` None, the original code.
    #[allow(clippy::type_complexity)]
    fn lower_copy(
        &mut self,
        fl: &mut FnLower,
        p: &LoopPlan,
        base: usize,
        start: ir::Block,
        carry_in: &[Variable],
        fast: Option<(ir::Block, Vec<Variable>, Vec<(Local, Variable)>, Option<(CValue, u64)>, Vec<usize>)>,
    ) {
        fl.b.switch_to_block(start);
        let params = fl.b.block_params(start).to_vec();
        for (var, x) in carry_in.iter().zip(params) {
            fl.b.def_var(*var, x);
        }
        let fast = fast.map(|(next, carry, redirect, iv_at, pin)| {
            let iv_at = iv_at.unwrap_or_else(|| (self.read_iv(fl, p.iv), 0));
            (next, carry, redirect, iv_at, pin)
        });
        self.vals.truncate(base);
        let saved: Vec<ir::Block> = p.inner_labels.iter().map(|l| self.labels[*l as usize]).collect();
        if fast.is_some() {
            for l in &p.inner_labels {
                self.labels[*l as usize] = fl.b.create_block();
            }
        }
        self.fast = fast.map(|(next, carry, redirect, iv_at, pin)| FastCopy {
            back_edge: p.back_edge,
            next,
            pin,
            carry,
            fold: p.fold,
            covered: p.covered.clone(),
            iv_at,
            redirect,
            unused: p.unused.clone(),
        });
        let mut open = true;
        for at in p.header + 1..=p.back_edge {
            open = self.lower_one(fl, at, open);
        }
        self.fast = None;
        for (l, blk) in p.inner_labels.iter().zip(saved) {
            self.labels[*l as usize] = blk;
        }
    }

    /// The host address, as `(pointer, displacement)`, of covered access `at` in the current fast
    /// copy (None for any other access): the guest address `base + ((iv + offset) << shift) +
    /// add` is computed as `base + (iv << shift) + (add + (offset << shift))` — the same value, as
    /// no step of it wraps in a fast iteration — so the constant part becomes a displacement.
    pub(super) fn fast_host_address(&self, fl: &mut FnLower, at: usize) -> Option<(CValue, i32)> {
        let f = self.fast.as_ref()?;
        let a = f.covered(at)?;
        let (iv, offset) = f.iv_at;
        let x = fl.b.ins().ishl_imm_u(iv, a.shift as i64);
        let mut p = fl.b.ins().iadd(fl.mem.expect("needs"), x);
        if let Some(base) = a.base {
            let base = self.inv(fl, base);
            p = fl.b.ins().iadd(p, base);
        }
        let disp = a.add.wrapping_add(offset << a.shift);
        match i32::try_from(disp) {
            Ok(disp) => Some((p, disp)),
            Err(_) => Some((fl.b.ins().iadd_imm_s(p, disp as i64), 0)),
        }
    }

    /// Lowers the ops `(h, t]` (a loop header's test, see `rotations`) again, here.
    pub(super) fn repeat_header(&mut self, fl: &mut FnLower, h: usize, t: usize) {
        let first = self.info.op_value[h + 1..=t].iter().flatten().next().map(|v| *v as usize);
        let saved = first.map(|a| self.vals.split_off(a)).unwrap_or_default();
        let mut open = true;
        for at in h + 1..=t {
            open = self.lower_one(fl, at, open);
        }
        debug_assert!(!open);
        if let Some(a) = first {
            self.vals.truncate(a);
        }
        self.vals.extend(saved);
    }

    /// The back edge of a fast copy: one fuel, no check (the limit guarantees none is due).
    pub(super) fn fast_back_edge(&mut self, fl: &mut FnLower) {
        let f = fl.b.use_var(fl.fuel);
        let f = fl.b.ins().iadd_imm_s(f, -1);
        fl.b.def_var(fl.fuel, f);
        let fast = self.fast.as_ref().expect("in a fast copy");
        let args: Vec<BlockArg> = fast.carry.iter().map(|v| BlockArg::Value(fl.b.use_var(*v))).collect();
        fl.b.ins().jump(fast.next, &args);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{verify, VerifiedBlock};
    use crate::testing::{sum_words_block, BlockBuilder};

    #[test]
    fn the_readme_sum_loop_is_planned_with_its_exit_test_and_load_covered() {
        let vb = verify(sum_words_block()).unwrap();
        let plans = plan(&vb.block.main, &vb.main);
        assert_eq!(plans.len(), 1, "{plans:?}");
        let p = plans.values().next().unwrap();
        assert_eq!(p.step, Inv::Const(1));
        assert!(p.fold.is_some());
        assert_eq!(p.covered.len(), 1);
        assert_eq!(p.bounds, vec![AccessBound { limit: 3, shift: 3, add: 0, base: Some(Inv::State(80)) }]);
        assert_eq!(p.unroll, 8);
    }

    /// `top: y = i + 1; i = y; if y <cc 10 goto top; out: exit y` — or, `foldable` false, the
    /// exit test on `y * y`, which bounds nothing.
    fn escaping_loop(foldable: bool) -> VerifiedBlock {
        let b = BlockBuilder::new(0x100).main(|b| {
            let i = b.local(Type::I64);
            let top = b.new_label();
            let out = b.new_label();
            b.bind(top);
            let x = b.local_get(i);
            let one = b.iconst(Type::I64, 1);
            let y = b.add(x, one);
            b.local_set(i, y);
            let ten = b.iconst(Type::I64, 10);
            let tested = if foldable { y } else { b.mul(y, y) };
            let c = b.icmp(IntCC::Ult, tested, ten);
            b.op(Op::Brif { cond: c, then_label: top, else_label: out });
            b.bind(out);
            b.op(Op::Exit { pc: y });
        });
        verify(b).unwrap()
    }

    #[test]
    fn values_used_after_the_loop_need_a_folded_exit_test() {
        // The slow copy (lowered last) must be the only way out, so that its definitions reach
        // the uses after the loop: with the exit test folded the fast copies never leave.
        let vb = escaping_loop(false);
        assert!(plan(&vb.block.main, &vb.main).is_empty());
        let vb = escaping_loop(true);
        let plans = plan(&vb.block.main, &vb.main);
        let p = plans.values().next().expect("planned");
        let f = p.fold.expect("folded");
        assert!(f.next && !f.signed && !f.inclusive, "{f:?}");
        assert_eq!(f.body, p.label, "the bottom test is the back edge");
    }

    /// A guest loop as a stitched region has it (the prefix-sum kernel of bench/regions.js): the
    /// counter in state slot 8, the bound in slot 16, a signed bottom test of the next value that
    /// branches to a label whose jump is the back edge.
    #[test]
    fn a_guest_register_counts_the_loop() {
        let b = BlockBuilder::new(0x100).main(|b| {
            let top = b.new_label();
            let back = b.new_label();
            let out = b.new_label();
            b.bind(top);
            let p = b.get_state(Type::I64, 8);
            let x = b.load(Type::I64, 8, false, p);
            let acc = b.get_state(Type::I64, 24);
            let acc = b.add(acc, x);
            b.set_state(24, acc);
            b.store(8, p, acc);
            let eight = b.iconst(Type::I64, 8);
            let p2 = b.add(p, eight);
            b.set_state(8, p2);
            let n = b.get_state(Type::I64, 16);
            let c = b.icmp(IntCC::Slt, p2, n);
            b.brif(c, back, out);
            b.bind(back);
            b.mark(0x110);
            b.jump(top);
            b.bind(out);
            b.exit_const(0x200);
        });
        let vb = verify(b).unwrap();
        let plans = plan(&vb.block.main, &vb.main);
        let p = plans.values().next().expect("planned");
        assert_eq!(p.iv, LoopVar::State(8));
        assert_eq!(p.step, Inv::Const(8));
        assert_eq!(p.fold.map(|f| (f.bound, f.signed, f.next)), Some((Inv::State(16), true, true)));
        assert_eq!(p.covered.len(), 2, "the load and the store need no check");
        assert_eq!(p.unroll, 8);
        // The compare and the bound's state load are left out of the fast copies.
        assert_eq!(p.unused.len(), 2, "{:?}", p.unused);
    }

    #[test]
    fn a_state_counter_is_not_planned_when_other_accesses_overlap_it() {
        let b = BlockBuilder::new(0x100).main(|b| {
            let top = b.new_label();
            let out = b.new_label();
            b.bind(top);
            let i = b.get_state(Type::I64, 8);
            let half = b.get_state(Type::I32, 12);
            b.set_state(40, half);
            let one = b.iconst(Type::I64, 1);
            let i2 = b.add(i, one);
            b.set_state(8, i2);
            let n = b.get_state(Type::I64, 16);
            let c = b.icmp(IntCC::Ult, i2, n);
            b.brif(c, top, out);
            b.bind(out);
            b.exit_const(0x200);
        });
        let vb = verify(b).unwrap();
        assert!(plan(&vb.block.main, &vb.main).is_empty());
    }
}

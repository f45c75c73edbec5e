//! Vector reductions (optimised tiers, `enableSimd`): a fast loop (`fast_loop.rs`) whose every
//! iteration does nothing but `r = r op load(base + iv * w + c)` for a few reductions (`op` a
//! wrapping add, xor, or or and; `w` 4 or 8 bytes, the loaded type's width; `iv` stepping by 1)
//! gets, in place of its scalar unrolled group, a loop that runs `VECTORS_PER_PASS * lanes`
//! iterations per pass with 128-bit loads (i32x4 / i64x2) into `VECTOR_ACCUMULATORS` independent
//! vector partial results per reduction, and folds them into the reduction's local (lane by lane)
//! when it leaves. Cranelift's x64 and aarch64 backends lower these vector ops with their
//! baseline (SSE2 / NEON) instructions, so the pass needs no detected feature; the backend turns
//! it on with `enable_simd` on those two ISAs only.
//!
//! Why it is exact: a pass runs only when its last iteration is below the fast copy's limit `lim`,
//! so each of its iterations is one the scalar fast copy would have run — in range (no fault), no
//! fuel check point, the exit test known to stay — and the pass does their only effects: the
//! same loads, the reductions (associative and commutative, so lane order does not matter), `iv`
//! advanced and one fuel per iteration. The remainder below `lim` and the exact slow iteration at
//! it are the scalar copies' as before, so fuel, fault, interrupt and normal exits keep their op,
//! pc and remaining fuel. Anything else in the loop (a store, a state write, another local, an
//! unchecked load, a branch) and the loop is not vectorised.

use cranelift_codegen::ir::condcodes::IntCC as CIntCC;
use cranelift_codegen::ir::{self, InstBuilder, Value as CValue};
use cranelift_frontend::{FunctionBuilder, Variable};

use crate::ir::{Body, IntBinOp, Local, Op, Type};

use super::body::BodyLower;
use super::fast_loop::{identity, AccessBound, Inv, LoopPlan, LoopVar};
use super::function::FnLower;
use super::memory::guest_flags;

/// Independent vector partial results per reduction: a vector add has a latency of 1–3 cycles
/// and two can issue per cycle, so one accumulator would leave the loop bound by its chain.
const VECTOR_ACCUMULATORS: usize = 4;
/// 128-bit loads per reduction in one pass (a multiple of `VECTOR_ACCUMULATORS`): enough that
/// the pass's compare, branch and counter updates are a small part of it, few enough that the
/// remainder the single iterations run (fewer than a pass, in every 1,024 between fuel check
/// points) stays small. Measured on the bench's sum: 4 and 8 run alike, 16 is 40 % slower.
const VECTORS_PER_PASS: usize = 8;
const VECTOR_BYTES: u32 = 16;

/// One reduction of a vectorisable loop: `local = local op load.ty(address)` with the load's
/// address `bound` (shift `log2(ty.bytes())`: unit stride).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VectorReduction {
    pub local: Local,
    pub op: IntBinOp,
    pub ty: Type,
    pub bound: AccessBound,
}

/// The reductions a vectorised fast loop accumulates, all of one element type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VectorPlan {
    pub reductions: Vec<VectorReduction>,
}

impl VectorPlan {
    fn ty(&self) -> Type {
        self.reductions[0].ty
    }

    fn lanes(&self) -> u32 {
        VECTOR_BYTES / self.ty().bytes()
    }

    /// Loop iterations one pass runs.
    pub fn span(&self) -> u64 {
        (VECTORS_PER_PASS as u64) * self.lanes() as u64
    }

    fn vector_type(&self) -> ir::Type {
        match self.ty() {
            Type::I32 => ir::types::I32X4,
            _ => ir::types::I64X2,
        }
    }
}

/// Whether `p` (with op-index → defining-op map `def_at`) is a loop the vector pass can run; see
/// the module comment.
pub fn plan(body: &Body, def_at: &[usize], p: &LoopPlan) -> Option<VectorPlan> {
    let fold = p.fold?;
    if p.unroll < 2 || p.step != Inv::Const(1) || p.reductions.is_empty() || p.inner_labels != [fold.body] {
        return None;
    }
    let ops = &body.ops;
    if !matches!(ops[p.back_edge], Op::Jump { .. }) {
        return None;
    }
    let mut reductions = Vec::new();
    for r in &p.reductions {
        if !matches!(r.op, IntBinOp::Add | IntBinOp::Xor | IntBinOp::Or | IntBinOp::And) {
            return None;
        }
        let Op::IntBin { a, b, .. } = ops[r.at] else { return None };
        // The operand that is not the reduction's own `local_get`.
        let x = [a, b].into_iter().find(|x| ops[def_at[*x as usize]] != Op::LocalGet { local: r.local })?;
        let at = def_at[x as usize];
        let Op::Load { ty, width, .. } = ops[at] else { return None };
        let bound = p.covered.iter().find(|c| c.0 == at)?.1;
        let w = width as u32;
        if ty != r.ty || !matches!(ty, Type::I32 | Type::I64) || w != ty.bytes() || bound.shift != w.trailing_zeros() {
            return None;
        }
        reductions.push(VectorReduction { local: r.local, op: r.op, ty, bound });
    }
    if reductions.iter().any(|r| r.ty != reductions[0].ty) {
        return None;
    }
    let is_reduction = |l: Local| reductions.iter().any(|r| r.local == l);
    // Every op of the region is redone by the pass (loads and reductions, `iv`, fuel) or has no
    // effect (pure integer ops, reads).
    let redone = (p.header + 1..=p.back_edge).all(|i| match ops[i] {
        Op::Label { .. } | Op::Mark { .. } | Op::Const { .. } | Op::LocalGet { .. } | Op::GetState { .. } => true,
        Op::IntBin { .. } | Op::IntUn { .. } | Op::Icmp { .. } | Op::Select { .. } | Op::Ext { .. } => true,
        Op::LocalSet { local, .. } => p.iv == LoopVar::Local(local) || is_reduction(local),
        ref op @ Op::SetState { .. } => p.iv.is_set(op),
        Op::Load { .. } => p.covered.iter().any(|c| c.0 == i),
        Op::Brif { .. } => i == fold.brif,
        Op::Jump { .. } => i == p.back_edge,
        _ => false,
    });
    redone.then_some(VectorPlan { reductions })
}

/// `x op y` on vectors (or scalars) of integers.
fn combine(b: &mut FunctionBuilder, op: IntBinOp, x: CValue, y: CValue) -> CValue {
    match op {
        IntBinOp::Add => b.ins().iadd(x, y),
        IntBinOp::Xor => b.ins().bxor(x, y),
        IntBinOp::Or => b.ins().bor(x, y),
        IntBinOp::And => b.ins().band(x, y),
        _ => unreachable!("only add, xor, or and and are vectorised"),
    }
}

impl BodyLower<'_> {
    /// The vector pass of `p` (see the module comment), emitted in the current block before the
    /// scalar group; `lim` is the fast copy's limit. Leaves the builder in an open block where
    /// `iv`, fuel and the reduction locals are as if the scalar copies had run the same iterations.
    pub(super) fn lower_vector_pass(&mut self, fl: &mut FnLower, p: &LoopPlan, v: &VectorPlan, lim: CValue) {
        let i64t = ir::types::I64;
        let span = v.span();
        // Passes run while iv + span - 1 < lim, i.e. iv < lim - (span - 1) (0 if that underflows).
        let zero = fl.b.ins().iconst(i64t, 0);
        let ok = fl.b.ins().icmp_imm_u(CIntCC::UnsignedGreaterThan, lim, (span - 1) as i64);
        let d = fl.b.ins().iadd_imm_s(lim, 1 - span as i64);
        let vlim = fl.b.ins().select(ok, d, zero);
        let iv = self.read_iv(fl, p.iv);
        let go = fl.b.ins().icmp(CIntCC::UnsignedLessThan, iv, vlim);
        let (init, pass, fold, join) =
            (fl.b.create_block(), fl.b.create_block(), fl.b.create_block(), fl.b.create_block());
        // Short loops (most of them) skip the set-up and the fold altogether.
        fl.b.ins().brif(go, init, &[], join, &[]);

        fl.b.switch_to_block(init);
        let accs = self.vector_accumulators(fl, v);
        fl.b.ins().jump(pass, &[]);

        fl.b.switch_to_block(pass);
        let iv = self.read_iv(fl, p.iv);
        for (r, acc) in v.reductions.iter().zip(&accs) {
            self.vector_loads(fl, v, r, acc, iv);
        }
        let next = fl.b.ins().iadd_imm_s(iv, span as i64);
        self.write_iv(fl, p.iv, next);
        let fuel = fl.b.use_var(fl.fuel);
        let fuel = fl.b.ins().iadd_imm_s(fuel, -(span as i64));
        fl.b.def_var(fl.fuel, fuel);
        let again = fl.b.ins().icmp(CIntCC::UnsignedLessThan, next, vlim);
        fl.b.ins().brif(again, pass, &[], fold, &[]);

        fl.b.switch_to_block(fold);
        for (r, acc) in v.reductions.iter().zip(&accs) {
            self.fold_lanes(fl, v, r, acc);
        }
        fl.b.ins().jump(join, &[]);
        fl.b.switch_to_block(join);
    }

    /// Per reduction, `VECTOR_ACCUMULATORS` vector variables starting at the op's identity.
    fn vector_accumulators(&self, fl: &mut FnLower, v: &VectorPlan) -> Vec<Vec<Variable>> {
        let (vty, ety) = (v.vector_type(), super::cl_type(v.ty()));
        v.reductions
            .iter()
            .map(|r| {
                let id = fl.b.ins().iconst(ety, (identity(r.op, r.ty) & r.ty.mask()) as i64);
                let splat = fl.b.ins().splat(vty, id);
                (0..VECTOR_ACCUMULATORS)
                    .map(|_| {
                        let var = fl.b.declare_var(vty);
                        fl.b.def_var(var, splat);
                        var
                    })
                    .collect()
            })
            .collect()
    }

    /// One pass's loads of reduction `r` (iterations `iv .. iv + span`), accumulated round-robin.
    fn vector_loads(&self, fl: &mut FnLower, v: &VectorPlan, r: &VectorReduction, acc: &[Variable], iv: CValue) {
        let a = r.bound;
        // Host address of iteration iv's element: mem + base + (iv << shift) + add, where nothing
        // wraps (the limit keeps the whole pass inside guest memory).
        let x = fl.b.ins().ishl_imm_u(iv, a.shift as i64);
        let mut ptr = fl.b.ins().iadd(fl.mem.expect("needs"), x);
        if let Some(base) = a.base {
            let base = self.inv(fl, base);
            ptr = fl.b.ins().iadd(ptr, base);
        }
        for k in 0..VECTORS_PER_PASS {
            let disp = a.add + (k as u64) * VECTOR_BYTES as u64;
            let (p, disp) = match i32::try_from(disp) {
                Ok(d) => (ptr, d),
                Err(_) => (fl.b.ins().iadd_imm_s(ptr, disp as i64), 0),
            };
            let loaded = fl.b.ins().load(v.vector_type(), guest_flags(), p, disp);
            let var = acc[k % VECTOR_ACCUMULATORS];
            let sum = fl.b.use_var(var);
            let sum = combine(&mut fl.b, r.op, sum, loaded);
            fl.b.def_var(var, sum);
        }
    }

    /// Folds reduction `r`'s vector partial results into its local: `local op lane0 op lane1 …`.
    fn fold_lanes(&self, fl: &mut FnLower, v: &VectorPlan, r: &VectorReduction, acc: &[Variable]) {
        let mut x = fl.b.use_var(acc[0]);
        for var in &acc[1..] {
            let y = fl.b.use_var(*var);
            x = combine(&mut fl.b, r.op, x, y);
        }
        let local = self.locals[r.local as usize];
        let mut out = fl.b.use_var(local);
        for lane in 0..v.lanes() {
            let e = fl.b.ins().extractlane(x, lane as u8);
            out = combine(&mut fl.b, r.op, out, e);
        }
        fl.b.def_var(local, out);
    }
}

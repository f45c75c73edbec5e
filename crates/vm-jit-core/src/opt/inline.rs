//! Inlining of IR helper functions.
//!
//! A call to a helper of at most `budget` ops is replaced by a copy of the helper's body:
//!
//! ```text
//!   v9 = call fn 0 (v3, v4)          local_set l7, v20      ; l7.. = the helper's locals,
//!                             →      …                      ; zeroed if the helper reads them
//!                                    <helper ops, values/locals/labels renumbered,
//!                                     parameters replaced by v3, v4,
//!                                     `ret v` → `local_set l9, v; jump L12`>
//!                                  L12:
//!                                    v30 = local_get l9     ; the call's value
//! ```
//!
//! - **Locals** of the helper become new locals of the caller. A helper's locals are zero at
//!   every call (docs/IR.md), so each one the helper reads is set to zero where the call was —
//!   also when the call is in a loop. The result travels through a new local, so the caller's
//!   later uses of the call's value need not be dominated by any particular `ret`.
//! - **Fuel.** Calls cost no fuel, and neither do the new branches: `ret` becomes a forward jump
//!   to the continuation label bound right after the copy. The helper's own back edges stay back
//!   edges (its labels keep their order relative to its branches).
//! - **Marks.** A fault or fuel exit in a helper reports the mark of the main-body call through
//!   which it was reached. The copied ops come right after the call's position in op order and
//!   the helper's own `mark`s (ignored by the IR) are not copied, so each copied op's current
//!   mark is the call's — the same pc (the rewriter checks this for every op that reports one).
//! - **Order.** Helpers are flattened first, in index order (helper `k` only calls helpers below
//!   `k`), so each body inlines already-flattened copies. Helpers nothing calls any more are
//!   removed. Bodies stop growing at 4× their size (at least 4,096 ops), and the IR's limits on
//!   locals and labels are respected.

use super::util::{assemble, drop_unused_helpers, map_labels, map_locals, map_values, NewFunc, Rewriter, NO_VALUE};
use crate::ir::decode::{MAX_LABELS, MAX_LOCALS, MAX_OPS};
use crate::ir::*;

/// Helpers of at most this many ops are inlined (the lowering's own inlining uses the same).
pub const DEFAULT_INLINE_BUDGET: usize = crate::lower::plan::DEFAULT_INLINE_BUDGET;

pub fn run(vb: &VerifiedBlock, budget: usize) -> VerifiedBlock {
    let mut flat: Vec<(Body, BodyInfo)> = Vec::with_capacity(vb.funcs.len());
    for (f, info) in vb.block.funcs.iter().zip(&vb.funcs) {
        let done = inline_into(vb, &f.body, info, f.params.len(), false, &flat, budget);
        flat.push(done);
    }
    let main = inline_into(vb, &vb.block.main, &vb.main, 0, true, &flat, budget);
    let funcs = flat
        .into_iter()
        .zip(&vb.block.funcs)
        .map(|((body, info), f)| NewFunc { params: f.params.clone(), result: f.result, body, info })
        .collect();
    drop_unused_helpers(assemble(vb.block.pc, funcs, main))
}

fn inline_into(
    vb: &VerifiedBlock,
    body: &Body,
    info: &BodyInfo,
    nparams: usize,
    main: bool,
    flat: &[(Body, BodyInfo)],
    budget: usize,
) -> (Body, BodyInfo) {
    let small = |f: FuncId| flat[f as usize].0.ops.len() <= budget;
    if !body.ops.iter().any(|op| matches!(op, Op::Call { func, .. } if small(*func))) {
        return (body.clone(), info.clone());
    }
    let limit = (body.ops.len() * 4).clamp(4096, MAX_OPS);
    let mut rw = Rewriter::new(body, info, nparams, main, vb.block.pc);
    for (i, op) in body.ops.iter().enumerate() {
        if let Op::Call { func, args } = op {
            let (cb, ci) = &flat[*func as usize];
            let fits = small(*func)
                && rw.num_ops() + cb.ops.len() + cb.locals.len() * 2 + 4 <= limit
                && rw.num_locals() + cb.locals.len() < MAX_LOCALS
                && rw.num_labels() + (cb.num_labels as usize) < MAX_LABELS;
            if fits {
                let result = vb.block.funcs[*func as usize].result;
                inline_call(&mut rw, info, i, args, result, cb, ci);
                continue;
            }
        }
        rw.copy(info, i, op);
    }
    rw.finish()
}

/// Replaces old op `i`, `call f (args)`, by a copy of `f`'s (flattened) body `cb`.
fn inline_call(
    rw: &mut Rewriter,
    info: &BodyInfo,
    i: usize,
    args: &[Value],
    result: Option<Type>,
    cb: &Body,
    ci: &BodyInfo,
) {
    let mark = info.marks[i];
    let lbase = rw.num_locals() as Local;
    for t in &cb.locals {
        rw.new_local(*t);
    }
    let labels: Vec<Label> = (0..cb.num_labels).map(|_| rw.new_label()).collect();
    let cont = rw.new_label();
    let res = result.map(|t| rw.new_local(t));
    // The helper's locals start at zero on every call.
    let mut read = vec![false; cb.locals.len()];
    for op in &cb.ops {
        if let Op::LocalGet { local } = op {
            read[*local as usize] = true;
        }
    }
    let mut zeros: [Option<Value>; 6] = [None; 6];
    for (l, t) in cb.locals.iter().enumerate() {
        if !read[l] {
            continue;
        }
        let z = match zeros[t.code() as usize] {
            Some(z) => z,
            None => {
                let z = rw.push(Op::Const { ty: *t, bits: 0 }, Some(*t), mark).expect("const");
                zeros[t.code() as usize] = Some(z);
                z
            }
        };
        rw.push(Op::LocalSet { local: lbase + l as Local, value: z }, None, mark);
    }
    let mut vmap = vec![NO_VALUE; ci.value_types.len()];
    for (j, a) in args.iter().enumerate() {
        vmap[j] = rw.value(*a);
    }
    for (k, op) in cb.ops.iter().enumerate() {
        match op {
            Op::Mark { .. } => {}
            Op::Ret { value } => {
                if let (Some(v), Some(r)) = (value, res) {
                    rw.push(Op::LocalSet { local: r, value: vmap[*v as usize] }, None, mark);
                }
                rw.push(Op::Jump { label: cont }, None, mark);
            }
            _ => {
                let mut new = map_values(op, |v| vmap[v as usize]);
                map_labels(&mut new, |l| labels[l as usize]);
                map_locals(&mut new, |l| lbase + l);
                let ty = ci.op_value[k].map(|v| ci.value_types[v as usize]);
                let nv = rw.push(new, ty, mark);
                if let (Some(o), Some(n)) = (ci.op_value[k], nv) {
                    vmap[o as usize] = n;
                }
            }
        }
    }
    rw.push(Op::Label { label: cont }, None, mark);
    if let (Some(r), Some(t), Some(old)) = (res, result, info.op_value[i]) {
        let v = rw.push(Op::LocalGet { local: r }, Some(t), mark).expect("local_get");
        rw.alias(old, v);
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_util::*;
    use super::super::OptimizationPass::{self, *};
    use crate::ir::Type::*;
    use crate::ir::*;
    use crate::testing::BlockBuilder;

    #[test]
    fn inlines_a_small_helper_and_removes_it() {
        let mut bb = BlockBuilder::new(0x1000);
        let double = bb.func(&[I64], Some(I64), |f| {
            let x = f.add(f.param(0), f.param(0));
            f.ret(Some(x));
        });
        let block = bb.main(|m| {
            let x = m.get_state(I64, 8);
            let y = m.call(double, &[x]).unwrap();
            m.set_state(8, y);
            m.exit_const(0x1004);
        });
        let out = run_pass(Inlining, block);
        assert!(out.block.funcs.is_empty());
        assert_eq!(
            main_text(&out),
            "  v0 = get_state.i64 8\n  v1 = add.i64 v0, v0\n  local_set l0, v1\n  jump L0\nL0:\n  \
             v2 = local_get l0\n  set_state 8, v2\n  v3 = const.i64 0x1004\n  exit v3\n"
        );
        // and the rest of the pipeline makes it what one would write by hand
        let out = run_passes(&[Inlining, CopyPropagation, DeadCodeElimination, CfgSimplification], out.block.clone());
        assert_eq!(
            main_text(&out),
            "  v0 = get_state.i64 8\n  v1 = add.i64 v0, v0\n  set_state 8, v1\n  v2 = const.i64 0x1004\n  exit v2\n"
        );
    }

    /// A helper with locals, a loop and early returns, called twice in a loop: its locals must
    /// restart at zero at every call; a fault inside reports the call's mark.
    #[test]
    fn locals_restart_at_zero_and_faults_report_the_call_mark() {
        let mut bb = BlockBuilder::new(0x2000);
        let helper = bb.func(&[I64], Some(I64), |f| {
            let acc = f.local(I64);
            let (head, out) = (f.new_label(), f.new_label());
            f.mark(0xdead); // ignored
            f.bind(head);
            let a = f.local_get(acc);
            let one = f.iconst(I64, 1);
            let a2 = f.add(a, one);
            f.local_set(acc, a2);
            let lim = f.iconst(I64, 3);
            let more = f.icmp(IntCC::Ult, a2, lim);
            f.brif(more, head, out);
            f.bind(out);
            let v = f.load(I64, 8, false, f.param(0)); // faults for big addresses
            let r = f.add(v, a2);
            f.ret(Some(r));
        });
        let block = bb.main(|m| {
            let n = m.local(I32);
            let (head, done) = (m.new_label(), m.new_label());
            let two = m.iconst(I32, 2);
            m.local_set(n, two);
            m.bind(head);
            m.mark(0x2004);
            let a = m.get_state(I64, 0);
            let r = m.call(helper, &[a]).unwrap();
            m.set_state(8, r);
            m.mark(0x2008);
            let c = m.local_get(n);
            let one = m.iconst(I32, 1);
            let d = m.sub(c, one);
            m.local_set(n, d);
            m.brif(d, head, done);
            m.bind(done);
            m.exit_const(0x200c);
        });
        let out = run_pass(Inlining, block.clone());
        assert!(out.block.funcs.is_empty());
        // an out-of-range address: the fault reports the call's mark
        let mut state = vec![0u8; 64];
        state[..8].copy_from_slice(&u64::MAX.to_le_bytes());
        let mut mem = vec![0u8; 64];
        let o = crate::interp::run(&out, &mut state, &mut mem, 1000, &Default::default()).unwrap();
        assert_eq!((o.reason, o.pc), (ExitReason::Fault, 0x2004));
        let all: Vec<OptimizationPass> = OptimizationPass::ALL.to_vec();
        run_passes(&all, block);
    }

    #[test]
    fn large_helpers_stay_calls() {
        let mut bb = BlockBuilder::new(0);
        let big = bb.func(&[I64], Some(I64), |f| {
            let mut x = f.param(0);
            for _ in 0..super::DEFAULT_INLINE_BUDGET {
                x = f.add(x, x);
            }
            f.ret(Some(x));
        });
        let block = bb.main(|m| {
            let x = m.get_state(I64, 0);
            let y = m.call(big, &[x]).unwrap();
            m.set_state(0, y);
            m.exit_const(0);
        });
        let out = run_pass(Inlining, block);
        assert_eq!(out.block.funcs.len(), 1);
    }

    #[test]
    fn nested_helpers_are_flattened() {
        let mut bb = BlockBuilder::new(0);
        let inc = bb.func(&[I32], Some(I32), |f| {
            let one = f.iconst(I32, 1);
            let r = f.add(f.param(0), one);
            f.ret(Some(r));
        });
        let inc2 = bb.func(&[I32], Some(I32), |f| {
            let a = f.call(inc, &[f.param(0)]).unwrap();
            let b = f.call(inc, &[a]).unwrap();
            f.ret(Some(b));
        });
        let noret = bb.func(&[I32], None, |f| {
            f.set_state(8, f.param(0));
            f.ret(None);
        });
        let block = bb.main(|m| {
            let x = m.get_state(I32, 0);
            let y = m.call(inc2, &[x]).unwrap();
            m.call(noret, &[y]);
            m.exit_const(0);
        });
        let out = run_pass(Inlining, block);
        assert!(out.block.funcs.is_empty());
        assert_eq!(count_main(&out, |op| matches!(op, Op::Call { .. })), 0);
    }
}

//! Prints which loops of blocks read from files of IR bytes (`Block.bytes`) get a fast copy
//! (`lower/fast_loop.rs`) after the default optimiser pipeline — a diagnostic for why a guest
//! loop runs slower than expected.
//! `cargo run --release -p vm-jit-core --example fast_loops -- [--print] block.bin…` (`--print`:
//! also the optimised IR).
use vm_jit_core::ir::{decode_and_verify, print_verified, Op};
use vm_jit_core::lower::fast_loop;
use vm_jit_core::opt::Optimizer;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let show = args.iter().any(|a| a == "--print");
    for path in args.iter().filter(|a| *a != "--print") {
        let bytes = std::fs::read(path).unwrap();
        let vb = decode_and_verify(&bytes).unwrap();
        let (vb, _) = Optimizer::default_pipeline().optimize(&vb).unwrap();
        let ops = &vb.block.main.ops;
        let back_edges = ops
            .iter()
            .enumerate()
            .filter(|(at, op)| match op {
                Op::Jump { label } => vb.main.is_back_edge(*at, *label),
                Op::Brif { then_label, else_label, .. } => {
                    vb.main.is_back_edge(*at, *then_label) || vb.main.is_back_edge(*at, *else_label)
                }
                _ => false,
            })
            .count();
        if show {
            println!("{}", print_verified(&vb));
        }
        let plans = fast_loop::plan(&vb.block.main, &vb.main);
        println!("{path}: {} ops, {back_edges} back edges, {} fast loops", ops.len(), plans.len());
        let mut plans: Vec<_> = plans.values().collect();
        plans.sort_by_key(|p| p.header);
        for p in plans {
            println!(
                "  ops {}..={}: iv {:?} step {:?}, exit test {}, {} accesses unchecked, unroll {}",
                p.header,
                p.back_edge,
                p.iv,
                p.step,
                match p.fold {
                    Some(f) => format!(
                        "folded ({:?}{}{})",
                        f.bound,
                        if f.signed { ", signed" } else { "" },
                        if f.next { ", next value" } else { "" }
                    ),
                    None => "kept".into(),
                },
                p.covered.len(),
                p.unroll
            );
        }
    }
}

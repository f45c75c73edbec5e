//! Where compile time goes for real translated blocks (as the tiered runtime compiles them, with
//! chained exits): our lowering to CLIF against Cranelift itself, and the sizes involved.
//! `node bench/riscv-dump-blocks.js /tmp/blocks <program.elf> [args]` writes the blocks, then
//! `cargo run --release -p vm-jit-core --example tier1_anatomy -- /tmp/blocks [none|speed]`
//! (`DISASM=<k>`: also print the k-th block's IR, CLIF and machine code). Three passes; the last
//! one's figures are printed. No IR passes run first (tier 2 runs them; this measures the backend).
use std::time::Instant;

use cranelift_codegen::control::ControlPlane;
use cranelift_codegen::Context;
use cranelift_frontend::FunctionBuilderContext;
use vm_jit_core::backend::{host_isa, BackendConfig, OptLevel};
use vm_jit_core::ir::{decode_and_verify, VerifiedBlock};
use vm_jit_core::lower::{self, ChainInfo, FuncKey, InlinePlan, Target};

/// The chain info the runtime gives a unit (runtime::unit), with slots at a dummy table.
fn chain_of(vb: &VerifiedBlock, slots: &[usize; 256]) -> ChainInfo {
    let (slot_of_op, pcs) = vm_jit_core::runtime::chainable_exits(vb);
    assert!(pcs.len() <= slots.len(), "more chained exits than the dummy slot table");
    ChainInfo { counter: Some(0), slots_addr: slots.as_ptr() as usize, slot_of_op, jump_cache: true }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dir = &args[0];
    let level = OptLevel::parse(args.get(1).map(String::as_str).unwrap_or("none")).unwrap();
    let isa = host_isa(&BackendConfig { verify: false, ..BackendConfig::with_opt_level(level) }).unwrap();
    let target = Target::of(&*isa);
    let mut paths: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    paths.sort();
    let slots = [0usize; 256];
    let blocks: Vec<VerifiedBlock> =
        paths.iter().map(|p| decode_and_verify(&std::fs::read(p).unwrap()).unwrap()).collect();
    let mut ctx = Context::new();
    let mut fctx = FunctionBuilderContext::new();
    let (mut t_lower, mut t_compile, mut ops, mut clif, mut bytes) = (0f64, 0f64, 0usize, 0usize, 0usize);
    let want_disasm = std::env::var("DISASM").ok().and_then(|s| s.parse::<usize>().ok());
    for round in 0..3 {
        (t_lower, t_compile, ops, clif, bytes) = (0.0, 0.0, 0, 0, 0);
        for (i, vb) in blocks.iter().enumerate() {
            let chain = chain_of(vb, &slots);
            let plan = InlinePlan::new(vb, 0).with_state_promotion(level != OptLevel::None);
            let t = Instant::now();
            ctx.clear();
            ctx.func = lower::lower_function(vb, FuncKey::Main, &plan, target, Some(&chain), &mut fctx);
            let t1 = Instant::now();
            clif += ctx.func.dfg.num_insts();
            let show = round == 0 && want_disasm == Some(i);
            if show {
                println!("{}", vm_jit_core::ir::print_verified(vb));
                println!("{}", ctx.func.display());
                ctx.set_disasm(true);
            }
            let code = ctx.compile(&*isa, &mut ControlPlane::default()).unwrap();
            bytes += code.code_buffer().len();
            if show {
                println!("{}", code.vcode.clone().unwrap_or_default());
                ctx.set_disasm(false);
            }
            let t2 = Instant::now();
            t_lower += (t1 - t).as_secs_f64();
            t_compile += (t2 - t1).as_secs_f64();
            ops += vb.op_count;
        }
    }
    let n = blocks.len() as f64;
    println!(
        "{} blocks: {:.1} IR ops, {:.1} CLIF insts, {:.0} code bytes per block; lower {:.1} µs, Cranelift {:.1} µs per block",
        blocks.len(),
        ops as f64 / n,
        clif as f64 / n,
        bytes as f64 / n,
        t_lower * 1e6 / n,
        t_compile * 1e6 / n
    );
}

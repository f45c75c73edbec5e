//! Differential testing of the optimiser (`vm_jit_core::opt`): on seeded random valid blocks — the
//! generator of `tests/differential.rs` (`support/random_block.rs`), and for every fourth block
//! emulator-like code (`support/emu_block.rs`: guest registers in state, base + offset memory
//! accesses) — every pass alone and the default pipeline must produce a block that
//!
//! 1. the verifier accepts (and whose facts the pass computed correctly — `Optimizer` checks
//!    this after every pass here),
//! 2. the interpreter runs to exactly the original's result: exit reason, pc, trap code / fault
//!    address, **remaining fuel**, final guest state and memory, and
//! 3. compiled with Cranelift (`OptLevel::Speed`; Cranelift's IR verifier on for the pipeline's
//!    output) runs to that result too.
//!
//! A variant whose output is the input unchanged is not compiled again (`tests/differential.rs`
//! compiles every random block), and identical outputs of several variants are compiled once.
//!
//! `VMJIT_SEED` (default `DEFAULT_SEED`; decimal or 0x-hex) picks the seed, `VMJIT_OPT_DIFF_COUNT`
//! (default 10,000) the number of blocks, `VMJIT_OPT_DIFF_INDEX` runs one block alone (what a
//! failure message tells you to rerun), `VMJIT_OPT_DIFF_PRINT=1` prints each block before and
//! after the pipeline. Blocks are spread over the available cores.

#[path = "support/emu_block.rs"]
mod emu_block;
#[path = "support/random_block.rs"]
mod random_block;
#[path = "support/runs.rs"]
mod runs;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use random_block::{block_rng, env_u64, random_block, random_bytes, Env, Rng};
use runs::{first_difference, run_compiled, run_interp, Input};
use vm_jit_core::backend::{BackendConfig, CraneliftBackend, OptLevel};
use vm_jit_core::ir::*;
use vm_jit_core::opt::{OptimizationPass, Optimizer};

const DEFAULT_SEED: u64 = 0x0b71_d1ff_0000_0001;
const DEFAULT_COUNT: u64 = 10_000;
const STATE_LEN: u32 = 256;

fn random_input(rng: &mut Rng, mem_len: u64) -> Input {
    let state = random_bytes(rng, STATE_LEN as usize);
    let mem = random_bytes(rng, mem_len as usize);
    let fuel = match rng.below(10) {
        0..=3 => rng.below(20),
        _ => rng.below(2000),
    };
    Input { state, mem, fuel, interrupt: rng.chance(2) }
}

/// Block `i` of the run with `seed` and its input: every fourth an emulator-like block
/// (`support/emu_block.rs`), the others from the general generator (`support/random_block.rs`).
fn block_and_input(seed: u64, i: u64) -> (Block, Input) {
    let mut rng = block_rng(seed, i);
    if i % 4 == 3 {
        let mem_len = if rng.chance(90) { 4096 } else { rng.below(64) };
        let (block, presets) = emu_block::emu_block(&mut rng, mem_len);
        let mut input = random_input(&mut rng, mem_len);
        for (off, v) in presets {
            input.state[off as usize..off as usize + 8].copy_from_slice(&v.to_le_bytes());
        }
        (block, input)
    } else {
        let mem_len = if rng.chance(85) { 4096 } else { rng.below(24) };
        let block = random_block(&mut rng, &Env { state_len: STATE_LEN, mem_len });
        let input = random_input(&mut rng, mem_len);
        (block, input)
    }
}

/// The variants checked on every block: each pass alone, state then memory forwarding, and the
/// default pipeline.
fn variants() -> Vec<(String, Optimizer)> {
    let mut v: Vec<(String, Optimizer)> = OptimizationPass::ALL
        .iter()
        .map(|&p| {
            let mut o = Optimizer::new();
            o.add_pass(p);
            (p.name().to_string(), o)
        })
        .collect();
    // memory forwarding sees equal addresses once state forwarding has made their bases one value
    let mut sf_mf = Optimizer::new();
    sf_mf.add_pass(OptimizationPass::StateForwarding).add_pass(OptimizationPass::MemoryForwarding);
    v.push(("StateFwd+MemoryFwd".to_string(), sf_mf));
    v.push(("default pipeline".to_string(), Optimizer::default_pipeline()));
    for (_, o) in &mut v {
        o.verify_each(true);
    }
    v
}

/// Cranelift at `OptLevel::Speed`: with its IR verifier for the pipeline's output, without for
/// single passes' (the verifier costs a quarter of the test's time; what it checks does not
/// depend on which pass ran).
struct Backends {
    verifying: CraneliftBackend,
    fast: CraneliftBackend,
}

impl Backends {
    fn new() -> Backends {
        let config = |verify| BackendConfig { verify, ..BackendConfig::with_opt_level(OptLevel::Speed) };
        Backends {
            verifying: CraneliftBackend::new(config(true)).expect("host ISA"),
            fast: CraneliftBackend::new(config(false)).expect("host ISA"),
        }
    }
}

#[derive(Default)]
struct Totals {
    blocks: u64,
    ops_before: u64,
    /// Per variant: (blocks changed, ops after).
    per_variant: BTreeMap<String, (u64, u64)>,
    compiled: u64,
    /// Blocks where memory forwarding changed state forwarding's output.
    mf_after_sf: u64,
    reasons: BTreeMap<&'static str, u64>,
    optimise_time: Duration,
    interp_time: Duration,
    compile_time: Duration,
}

fn check_block(
    seed: u64,
    i: u64,
    variants: &[(String, Optimizer)],
    backends: &mut Backends,
    totals: &mut Totals,
    print_blocks: bool,
) {
    let (block, input) = block_and_input(seed, i);
    let vb = verify(block.clone()).unwrap_or_else(|e| {
        panic!("the generator made an invalid block (seed {seed:#x}, block {i}): {e}\n{}", print(&block))
    });
    let context = || format!("seed {seed:#x}, block {i} (rerun alone: VMJIT_SEED={seed:#x} VMJIT_OPT_DIFF_INDEX={i})");
    let t = Instant::now();
    let want = run_interp(&vb, &input);
    totals.interp_time += t.elapsed();
    *totals.reasons.entry(want.out.reason.name()).or_default() += 1;
    totals.blocks += 1;
    totals.ops_before += vb.op_count as u64;
    let original_bytes = encode(&vb.block);
    let mut compiled: Vec<Vec<u8>> = Vec::new();
    let mut sf_bytes: Vec<u8> = Vec::new();
    for (name, optimizer) in variants {
        let t = Instant::now();
        let (out, _stats) = optimizer
            .optimize(&vb)
            .unwrap_or_else(|e| panic!("{name} failed\n  {}\n  {e}\noriginal:\n{}", context(), print_verified(&vb)));
        totals.optimise_time += t.elapsed();
        let entry = totals.per_variant.entry(name.clone()).or_default();
        entry.1 += out.op_count as u64;
        let bytes = encode(&out.block);
        match name.as_str() {
            "StateForwarding" => sf_bytes = bytes.clone(),
            "StateFwd+MemoryFwd" => totals.mf_after_sf += (bytes != sf_bytes) as u64,
            _ => {}
        }
        if bytes == original_bytes {
            continue;
        }
        entry.0 += 1;
        let fail = |engine: &str, problem: &str| -> ! {
            panic!(
                "{name}: the optimised block differs from the original ({engine})\n  {}\n  {problem}\n  \
                 original: {:?}\n  input: fuel {}, interrupt {}, memory {} bytes\noriginal:\n{}\noptimised:\n{}",
                context(),
                want.out,
                input.fuel,
                input.interrupt,
                input.mem.len(),
                print_verified(&vb),
                print_verified(&out)
            )
        };
        let t = Instant::now();
        let got = run_interp(&out, &input);
        totals.interp_time += t.elapsed();
        if let Some(problem) = first_difference(&want, &got, ("original", "optimised"), true) {
            fail("interpreter", &problem);
        }
        if compiled.contains(&bytes) {
            continue;
        }
        let t = Instant::now();
        let pipeline = name == "default pipeline";
        let backend = if pipeline { &mut backends.verifying } else { &mut backends.fast };
        match run_compiled(backend, &out, &input) {
            Ok(got) => {
                if let Some(problem) = first_difference(&want, &got, ("original", "optimised"), true) {
                    fail("compiled, speed", &problem);
                }
            }
            Err(e) => fail("compiled, speed", &e),
        }
        totals.compile_time += t.elapsed();
        totals.compiled += 1;
        compiled.push(bytes);
        if print_blocks && pipeline {
            eprintln!(
                "-- block {i} → {:?}\n{}\n-- optimised:\n{}",
                want.out,
                print_verified(&vb),
                print_verified(&out)
            );
        }
    }
}

#[test]
fn passes_preserve_behaviour_on_random_blocks() {
    let seed = env_u64("VMJIT_SEED").unwrap_or(DEFAULT_SEED);
    let count = env_u64("VMJIT_OPT_DIFF_COUNT").unwrap_or(DEFAULT_COUNT);
    let only = env_u64("VMJIT_OPT_DIFF_INDEX");
    let print_blocks = env_u64("VMJIT_OPT_DIFF_PRINT").unwrap_or(0) != 0;
    let (first, end) = match only {
        Some(i) => (i, i + 1),
        None => (0, count),
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 8) as u64;
    eprintln!(
        "opt_differential: VMJIT_SEED={seed:#x} VMJIT_OPT_DIFF_COUNT={count} ({} blocks, {threads} threads)",
        end - first
    );
    let start = Instant::now();
    let next = AtomicU64::new(first);
    let all = Mutex::new(Totals::default());
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                let variants = variants();
                let mut backends = Backends::new();
                let mut totals = Totals::default();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= end {
                        break;
                    }
                    check_block(seed, i, &variants, &mut backends, &mut totals, print_blocks);
                }
                let mut all = all.lock().unwrap_or_else(|e| e.into_inner());
                all.blocks += totals.blocks;
                all.ops_before += totals.ops_before;
                all.compiled += totals.compiled;
                all.mf_after_sf += totals.mf_after_sf;
                all.optimise_time += totals.optimise_time;
                all.interp_time += totals.interp_time;
                all.compile_time += totals.compile_time;
                for (k, v) in totals.per_variant {
                    let e = all.per_variant.entry(k).or_default();
                    e.0 += v.0;
                    e.1 += v.1;
                }
                for (k, v) in totals.reasons {
                    *all.reasons.entry(k).or_default() += v;
                }
            });
        }
    });
    let t = all.into_inner().unwrap();
    eprintln!(
        "opt_differential: {} blocks ({} ops), {} optimised blocks compiled, in {:.1} s (optimise+verify {:.1} s, \
         interpret {:.1} s, compile+run {:.1} s, summed over threads); exits {:?}",
        t.blocks,
        t.ops_before,
        t.compiled,
        start.elapsed().as_secs_f64(),
        t.optimise_time.as_secs_f64(),
        t.interp_time.as_secs_f64(),
        t.compile_time.as_secs_f64(),
        t.reasons
    );
    eprintln!("  memory forwarding changed state forwarding's output in {} blocks", t.mf_after_sf);
    for (name, (changed, ops_after)) in &t.per_variant {
        eprintln!(
            "  {name:<20} changed {changed:>6} blocks, ops {} → {} ({:+.1} %)",
            t.ops_before,
            ops_after,
            (*ops_after as f64 / t.ops_before.max(1) as f64 - 1.0) * 100.0
        );
    }
    if only.is_none() && t.blocks >= 2000 {
        for r in ["exit", "halt", "trap", "fault", "fuel", "interrupt"] {
            assert!(t.reasons.contains_key(r), "no block ended with reason {r}: {:?}", t.reasons);
        }
        // every pass does something on a fair share of random blocks
        for (name, (changed, _)) in &t.per_variant {
            assert!(*changed * 200 >= t.blocks, "{name} changed only {changed} of {} blocks", t.blocks);
        }
        assert!(
            t.mf_after_sf * 50 >= t.blocks,
            "memory forwarding (after state forwarding) changed {} blocks",
            t.mf_after_sf
        );
    }
}

/// Not a test: the measurement behind `Optimizer::default_pipeline`. Runs candidate pipelines on
/// the same blocks and prints, per candidate and kind of block, the ops left (all, loads,
/// state accesses) and the time spent. `cargo test --release --test opt_differential
/// compare_pipelines -- --ignored --nocapture` (`VMJIT_OPT_DIFF_COUNT` blocks, default 2,000).
#[test]
#[ignore]
fn compare_pipelines() {
    use OptimizationPass::*;
    let seed = env_u64("VMJIT_SEED").unwrap_or(DEFAULT_SEED);
    let count = env_u64("VMJIT_OPT_DIFF_COUNT").unwrap_or(2000);
    let candidates: Vec<(&str, Vec<OptimizationPass>)> = vec![
        ("none", vec![]),
        (
            "brief",
            vec![
                Inlining,
                ConstantFolding,
                StateForwarding,
                MemoryForwarding,
                ConstantFolding,
                DeadCodeElimination,
                CfgSimplification,
            ],
        ),
        ("default", Optimizer::default_pipeline().passes().to_vec()),
        (
            "cfg-first",
            vec![
                Inlining,
                CfgSimplification,
                CopyPropagation,
                ConstantFolding,
                StateForwarding,
                MemoryForwarding,
                CopyPropagation,
                ConstantFolding,
                DeadCodeElimination,
                CfgSimplification,
            ],
        ),
        (
            "default+dce/cfg",
            [Optimizer::default_pipeline().passes().to_vec(), vec![DeadCodeElimination, CfgSimplification]].concat(),
        ),
        (
            "default+2nd-round",
            [
                Optimizer::default_pipeline().passes().to_vec(),
                vec![
                    CopyPropagation,
                    ConstantFolding,
                    StateForwarding,
                    MemoryForwarding,
                    ConstantFolding,
                    DeadCodeElimination,
                    CfgSimplification,
                ],
            ]
            .concat(),
        ),
        (
            "no-copyprop",
            vec![
                Inlining,
                ConstantFolding,
                StateForwarding,
                MemoryForwarding,
                ConstantFolding,
                DeadCodeElimination,
                CfgSimplification,
            ],
        ),
        (
            "early-copyprop",
            vec![
                Inlining,
                CopyPropagation,
                ConstantFolding,
                StateForwarding,
                MemoryForwarding,
                ConstantFolding,
                DeadCodeElimination,
                CfgSimplification,
            ],
        ),
        (
            "both-copyprops",
            vec![
                Inlining,
                CopyPropagation,
                ConstantFolding,
                StateForwarding,
                MemoryForwarding,
                CopyPropagation,
                ConstantFolding,
                DeadCodeElimination,
                CfgSimplification,
            ],
        ),
        (
            "sf-before-cf",
            vec![
                Inlining,
                CopyPropagation,
                StateForwarding,
                MemoryForwarding,
                ConstantFolding,
                DeadCodeElimination,
                CfgSimplification,
            ],
        ),
    ];
    let blocks: Vec<(bool, VerifiedBlock)> =
        (0..count).map(|i| (i % 4 == 3, verify(block_and_input(seed, i).0).expect("valid"))).collect();
    eprintln!("{:<18} {:>8} | {:>30} | {:>30}", "pipeline", "", "emulator-like blocks", "general random blocks");
    for (name, passes) in &candidates {
        let mut o = Optimizer::new();
        o.verify_each(false);
        for p in passes {
            o.add_pass(*p);
        }
        // [emu, general] × (ops, loads, state ops, µs)
        let mut acc = [[0f64; 4]; 2];
        for (emu, vb) in &blocks {
            let t = Instant::now();
            let (out, _) = o.optimize(vb).expect("optimise");
            let us = t.elapsed().as_secs_f64() * 1e6;
            let a = &mut acc[if *emu { 0 } else { 1 }];
            let ops = |f: &dyn Fn(&Op) -> bool| {
                out.block
                    .main
                    .ops
                    .iter()
                    .chain(out.block.funcs.iter().flat_map(|f| f.body.ops.iter()))
                    .filter(|op| f(op))
                    .count() as f64
            };
            a[0] += out.op_count as f64;
            a[1] += ops(&|op| matches!(op, Op::Load { .. }));
            a[2] += ops(&|op| matches!(op, Op::GetState { .. } | Op::SetState { .. }));
            a[3] += us;
        }
        let fmt = |a: &[f64; 4]| format!("{:>7.0} ops {:>5.0} ld {:>6.0} st {:>6.0} µs", a[0], a[1], a[2], a[3]);
        eprintln!("{name:<18} {:>8} | {} | {}", passes.len(), fmt(&acc[0]), fmt(&acc[1]));
    }
}

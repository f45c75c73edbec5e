//! Differential testing of regions (`vm_jit_core::region`) and of state promotion in the
//! lowering (`lower/promote.rs`), on seeded random regions: 1–6 random blocks (the generators of
//! `tests/differential.rs` and `tests/opt_differential.rs`) given distinct pcs, whose constant
//! exits are re-aimed at each other (three in four) or outside, so regions have forward edges,
//! loops between blocks and self-loops. For each region and a random input (fuel, interrupt):
//!
//! 1. **Same block, every engine.** The stitched block in the interpreter, compiled at
//!    `OptLevel::None` and at `OptLevel::Speed` (state promoted, Cranelift's verifier on) runs to
//!    exactly the same result: exit, pc, trap code / fault address, remaining fuel, state, memory.
//! 2. **Passes on regions.** Each optimisation pass alone and the default pipeline keep that
//!    result in the interpreter; the pipeline's output compiled at `Speed` too (tier 2's path).
//! 3. **Region = its blocks.** Without fuel pressure, the region ends exactly as running the
//!    member blocks one after the other (each exit to a member pc runs that member next) — except
//!    for the fuel used, which regions are allowed to change (docs/IR.md "Regions").
//! 4. **Resumable.** When the region stops for fuel or an interrupt on an edge stitched from an
//!    exit, running the members from the pc it reports with the state it left ends where the
//!    uninterrupted members end. (Checked for regions whose members have no loops of their own:
//!    then every stop is on a stitched edge. A stop inside a member's own loop is resumable only
//!    if the translator made it so — docs/IR.md — which random blocks are not.)
//! 5. **Specialised = unspecialised.** The region specialised (`region::specialise_on`) on up to
//!    four random read-only slots with their values in the case's state — so the guard holds —
//!    and again with one of those values changed — so it fails — runs exactly as the region
//!    does (fuel included): in the interpreter, and through the default pipeline compiled at
//!    `Speed`. The guard-holding case takes the runtime's own choice of slots
//!    (`region::specialise`) when it finds any.
//!
//! `VMJIT_SEED` (default `DEFAULT_SEED`), `VMJIT_REGION_DIFF_COUNT` (default 10,000),
//! `VMJIT_REGION_DIFF_INDEX` (one case alone: what a failure tells you to rerun).

#[path = "support/emu_block.rs"]
mod emu_block;
#[path = "support/random_block.rs"]
mod random_block;
#[path = "support/runs.rs"]
mod runs;

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use random_block::{block_rng, env_u64, random_block, random_bytes, Env, Rng};
use runs::{first_difference, interp_on, run_compiled, run_interp, Input, Run};
use vm_jit_core::backend::{BackendConfig, CraneliftBackend, OptLevel};
use vm_jit_core::interp;
use vm_jit_core::ir::*;
use vm_jit_core::opt::{OptimizationPass, Optimizer};
use vm_jit_core::region::{
    read_only_slots, specialise, specialise_on, stitch, RegionLimits, SlotValue, SpecialiseLimits,
};

const DEFAULT_SEED: u64 = 0x0b71_d1ff_0000_0002;
const DEFAULT_COUNT: u64 = 10_000;
const STATE_LEN: u32 = 256;
const MEM_LEN: u64 = 4096;
/// Member pcs live here: no generated `mark` or block entry comes near.
const PC_BASE: u64 = 0x7e00_0000_0000_0000;
/// Fuel that lets any terminating case finish.
const PLENTY: u64 = 200_000;
/// Block transitions the member-by-member reference may take before the case counts as endless.
const MAX_STEPS: usize = 2_000;

struct Case {
    members: Vec<VerifiedBlock>,
    input: Input,
}

/// Re-aims the main body's constant exits: a member pc (three in four) or a pc outside.
fn aim_exits(block: &mut Block, pcs: &[u64], rng: &mut Rng) {
    let vb = verify(block.clone()).expect("generated block verifies");
    let mut def_op = vec![usize::MAX; vb.main.value_types.len()];
    for (at, v) in vb.main.op_value.iter().enumerate() {
        if let Some(v) = v {
            def_op[*v as usize] = at;
        }
    }
    let exits: Vec<u32> =
        block.main.ops.iter().filter_map(|op| if let Op::Exit { pc } = op { Some(*pc) } else { None }).collect();
    for pc in exits {
        let at = def_op[pc as usize];
        if let Op::Const { bits, .. } = &mut block.main.ops[at] {
            *bits = if rng.chance(75) { pcs[rng.below(pcs.len() as u64) as usize] } else { PC_BASE + 0x10_0000 };
        }
    }
}

fn make_case(seed: u64, i: u64) -> Case {
    let mut rng = block_rng(seed, i);
    let k = rng.range(1, 6) as usize;
    let pcs: Vec<u64> = (0..k as u64).map(|j| PC_BASE + 0x1000 * j + 4 * rng.below(64)).collect();
    let mut state = random_bytes(&mut rng, STATE_LEN as usize);
    // A third of the cases take members without loops of their own, so that every fuel or
    // interrupt stop is on a stitched edge and resuming can be checked (4.).
    let loop_free = rng.chance(33);
    let mut members = Vec::new();
    for &pc in &pcs {
        let mut tries = 0;
        let mut block = loop {
            let block = generate_member(&mut rng, &mut state, loop_free);
            tries += 1;
            if !loop_free || tries == 50 || !has_loops(&verify(block.clone()).expect("generated block verifies")) {
                break block;
            }
        };
        block.pc = pc;
        aim_exits(&mut block, &pcs, &mut rng);
        members.push(verify(block).expect("re-aimed block verifies"));
    }
    let mem = random_bytes(&mut rng, MEM_LEN as usize);
    let fuel = match rng.below(10) {
        _ if loop_free => rng.below(12),
        0..=3 => rng.below(40),
        _ => rng.below(3000),
    };
    Case { members, input: Input { state, mem, fuel, interrupt: rng.chance(3) } }
}

/// One member: emulator-like (its register presets written into `state`) or general.
fn generate_member(rng: &mut Rng, state: &mut [u8], emu_only: bool) -> Block {
    if emu_only || rng.chance(50) {
        let (block, presets) = emu_block::emu_block(rng, MEM_LEN);
        for (off, v) in presets {
            state[off as usize..off as usize + 8].copy_from_slice(&v.to_le_bytes());
        }
        block
    } else {
        random_block(rng, &Env { state_len: STATE_LEN, mem_len: MEM_LEN })
    }
}

/// Runs the members one after the other from `pc` (plenty of fuel, no interrupt). None if it
/// does not end: fuel ran out, or more than `MAX_STEPS` transitions.
fn members_run(members: &[VerifiedBlock], pc: u64, state: &[u8], mem: &[u8]) -> Option<Run> {
    let (mut state, mut mem) = (state.to_vec(), mem.to_vec());
    let flag = AtomicU32::new(0);
    let mut pc = pc;
    for _ in 0..MAX_STEPS {
        let m = members.iter().find(|m| m.block.pc == pc)?;
        let out = interp::run(m, &mut state, &mut mem, PLENTY, &flag).expect("interpreter run");
        match out.reason {
            ExitReason::Fuel | ExitReason::Interrupt => return None,
            ExitReason::Exit if members.iter().any(|m| m.block.pc == out.pc) => pc = out.pc,
            _ => return Some(Run { out, state, mem }),
        }
    }
    None
}

/// Does any body of the block have a back edge of its own?
fn has_loops(vb: &VerifiedBlock) -> bool {
    let bodies =
        std::iter::once((&vb.block.main, &vb.main)).chain(vb.block.funcs.iter().map(|f| &f.body).zip(&vb.funcs));
    bodies.into_iter().any(|(body, info)| {
        body.ops.iter().enumerate().any(|(at, op)| match op {
            Op::Jump { label } => info.is_back_edge(at, *label),
            Op::Brif { then_label, else_label, .. } => {
                info.is_back_edge(at, *then_label) || info.is_back_edge(at, *else_label)
            }
            _ => false,
        })
    })
}

#[derive(Default)]
struct Totals {
    cases: u64,
    members: u64,
    internal_edges: u64,
    too_big: u64,
    compared_with_members: u64,
    resumed: u64,
    specialised: u64,
    reasons: std::collections::BTreeMap<&'static str, u64>,
}

struct Engines {
    none: CraneliftBackend,
    speed: CraneliftBackend,
    passes: Vec<(String, Optimizer)>,
}

impl Engines {
    fn new() -> Engines {
        let cfg = |level| BackendConfig { verify: level == OptLevel::Speed, ..BackendConfig::with_opt_level(level) };
        let mut passes: Vec<(String, Optimizer)> = OptimizationPass::ALL
            .iter()
            .map(|&p| {
                let mut o = Optimizer::new();
                o.add_pass(p);
                (p.name().to_string(), o)
            })
            .collect();
        passes.push(("default pipeline".into(), Optimizer::default_pipeline()));
        for (_, o) in &mut passes {
            o.verify_each(true);
        }
        Engines {
            none: CraneliftBackend::new(cfg(OptLevel::None)).expect("host ISA"),
            speed: CraneliftBackend::new(cfg(OptLevel::Speed)).expect("host ISA"),
            passes,
        }
    }
}

fn check_case(seed: u64, i: u64, e: &mut Engines, t: &mut Totals) {
    let case = make_case(seed, i);
    let context =
        || format!("seed {seed:#x}, case {i} (rerun alone: VMJIT_SEED={seed:#x} VMJIT_REGION_DIFF_INDEX={i})");
    let region = match stitch(&case.members, RegionLimits::default()) {
        Ok(r) => r,
        Err(err) if err.to_string().contains("the limit is") => {
            t.too_big += 1;
            return;
        }
        Err(err) => panic!("stitch failed: {err}\n  {}", context()),
    };
    t.cases += 1;
    t.members += case.members.len() as u64;
    t.internal_edges += region.internal_edges as u64;
    let rb = &region.block;
    let fail = |what: &str, problem: &str| -> ! {
        panic!(
            "{what}\n  {}\n  {problem}\n  input: fuel {}, interrupt {}\nregion:\n{}",
            context(),
            case.input.fuel,
            case.input.interrupt,
            print_verified(rb)
        )
    };

    // 1. every engine runs the stitched block alike
    let want = run_interp(rb, &case.input);
    *t.reasons.entry(want.out.reason.name()).or_default() += 1;
    for (name, be) in [("none", &mut e.none), ("speed", &mut e.speed)] {
        match run_compiled(be, rb, &case.input) {
            Ok(got) => {
                if let Some(p) = first_difference(&want, &got, ("want", "got"), true) {
                    fail(&format!("compiled region ({name}) differs from the interpreter"), &p);
                }
            }
            Err(err) => fail(&format!("compiled region ({name})"), &err),
        }
    }

    // 2. passes on regions
    for (name, o) in &e.passes {
        let (out, _) =
            o.optimize(rb).unwrap_or_else(|err| fail(&format!("{name} failed on the region"), &err.to_string()));
        let got = run_interp(&out, &case.input);
        if let Some(p) = first_difference(&want, &got, ("want", "got"), true) {
            fail(
                &format!("{name} changed the region's result (interpreter)\noptimised:\n{}", print_verified(&out)),
                &p,
            );
        }
        if name == "default pipeline" {
            match run_compiled(&mut e.speed, &out, &case.input) {
                Ok(got) => {
                    if let Some(p) = first_difference(&want, &got, ("want", "got"), true) {
                        fail("the optimised region compiled at speed differs", &p);
                    }
                }
                Err(err) => fail("the optimised region compiled at speed", &err),
            }
        }
    }

    // 5. specialised on the state, guard holding and failing, and the runtime's choice
    if check_specialised(seed, i, rb, &case, &want, e) {
        t.specialised += 1;
    }

    // 3. the region ends as its members do
    let Some(reference) = members_run(&case.members, rb.block.pc, &case.input.state, &case.input.mem) else { return };
    t.compared_with_members += 1;
    let whole = interp_on(rb, &case.input.state, &case.input.mem, PLENTY, false);
    if let Some(p) = first_difference(&reference, &whole, ("want", "got"), false) {
        fail("the region does not end as its member blocks do", &p);
    }

    // 4. resuming after a fuel / interrupt stop at a member pc
    let stopped = matches!(want.out.reason, ExitReason::Fuel | ExitReason::Interrupt);
    if stopped && !case.members.iter().any(has_loops) {
        t.resumed += 1;
        match members_run(&case.members, want.out.pc, &want.state, &want.mem) {
            Some(resumed) => {
                if let Some(p) = first_difference(&reference, &resumed, ("want", "got"), false) {
                    fail(
                        &format!(
                            "resuming at {:#x} after {:?} does not end as the members do",
                            want.out.pc, want.out.reason
                        ),
                        &p,
                    );
                }
            }
            None => fail("resuming after a stop does not end", "the member-by-member run from the stop pc did not end"),
        }
    }
}

/// Step 5. Returns whether there was a slot to specialise on.
fn check_specialised(seed: u64, i: u64, rb: &VerifiedBlock, case: &Case, want: &Run, e: &mut Engines) -> bool {
    let slots = read_only_slots(rb);
    if slots.is_empty() {
        return false;
    }
    let mut rng = block_rng(seed ^ 0x5bec_1a15e, i);
    let value_in = |state: &[u8], off: u32, ty: Type| {
        state[off as usize..(off + ty.bytes()) as usize].iter().rev().fold(0u64, |acc, &b| (acc << 8) | b as u64)
    };
    let mut chosen: Vec<SlotValue> = Vec::new();
    for _ in 0..rng.range(1, 4) {
        let (offset, ty, _) = slots[rng.below(slots.len() as u64) as usize];
        if !chosen.iter().any(|s| s.offset == offset && s.ty == ty) {
            chosen.push(SlotValue { offset, ty, bits: value_in(&case.input.state, offset, ty) });
        }
    }
    let mut failing = chosen.clone();
    let k = rng.below(failing.len() as u64) as usize;
    failing[k].bits ^= 1u64 << rng.below(failing[k].ty.bits() as u64);
    // Guard holding: the runtime's own choice of slots when it finds any worth it (what tier 2
    // runs), else the random ones. Guard failing: the random ones with one value changed.
    let holding = match specialise(rb, &case.input.state, SpecialiseLimits::default()).expect("specialise") {
        Some(sp) => ("guard holding, the runtime's choice", sp.block),
        None => ("guard holding", specialise_on(rb, &chosen).expect("specialise_on a read-only slot")),
    };
    let failing = ("guard failing", specialise_on(rb, &failing).expect("specialise_on a read-only slot"));
    let main_pipeline = &e.passes.last().expect("the default pipeline").1;
    for (what, vb) in [holding, failing] {
        let context = || {
            format!(
                "specialised ({what}) on {chosen:?}: seed {seed:#x}, case {i} (rerun alone: VMJIT_SEED={seed:#x} \
                 VMJIT_REGION_DIFF_INDEX={i})\n  input: fuel {}, interrupt {}\nspecialised:\n{}",
                case.input.fuel,
                case.input.interrupt,
                print_verified(&vb)
            )
        };
        let got = run_interp(&vb, &case.input);
        if let Some(p) = first_difference(want, &got, ("want", "got"), true) {
            panic!("the specialised region differs from the region (interpreter): {p}\n  {}", context());
        }
        let (out, _) =
            main_pipeline.optimize(&vb).unwrap_or_else(|err| panic!("pipeline failed: {err}\n  {}", context()));
        match run_compiled(&mut e.speed, &out, &case.input) {
            Ok(got) => {
                if let Some(p) = first_difference(want, &got, ("want", "got"), true) {
                    panic!("the specialised, optimised region compiled at speed differs: {p}\n  {}", context());
                }
            }
            Err(err) => panic!("the specialised, optimised region compiled at speed: {err}\n  {}", context()),
        }
    }
    true
}

#[test]
fn regions_agree_with_their_blocks_and_every_engine() {
    let seed = env_u64("VMJIT_SEED").unwrap_or(DEFAULT_SEED);
    let count = env_u64("VMJIT_REGION_DIFF_COUNT").unwrap_or(DEFAULT_COUNT);
    let (first, end) = match env_u64("VMJIT_REGION_DIFF_INDEX") {
        Some(i) => (i, i + 1),
        None => (0, count),
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 8) as u64;
    eprintln!("region_differential: VMJIT_SEED={seed:#x} VMJIT_REGION_DIFF_COUNT={count} ({} cases)", end - first);
    let start = Instant::now();
    let next = AtomicU64::new(first);
    let all = Mutex::new(Totals::default());
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                let mut e = Engines::new();
                let mut t = Totals::default();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= end {
                        break;
                    }
                    check_case(seed, i, &mut e, &mut t);
                }
                let mut all = all.lock().unwrap_or_else(|e| e.into_inner());
                all.cases += t.cases;
                all.members += t.members;
                all.internal_edges += t.internal_edges;
                all.too_big += t.too_big;
                all.compared_with_members += t.compared_with_members;
                all.resumed += t.resumed;
                all.specialised += t.specialised;
                for (k, v) in t.reasons {
                    *all.reasons.entry(k).or_default() += v;
                }
            });
        }
    });
    let t = all.into_inner().unwrap();
    eprintln!(
        "region_differential: {} regions ({} member blocks, {} stitched edges; {} over the size limit), \
         {} compared with their members, {} resumed after a stop, {} specialised; exits {:?}; {:.1} s",
        t.cases,
        t.members,
        t.internal_edges,
        t.too_big,
        t.compared_with_members,
        t.resumed,
        t.specialised,
        t.reasons,
        start.elapsed().as_secs_f64()
    );
    if end - first >= 1000 {
        assert!(
            t.compared_with_members * 4 >= t.cases,
            "too few regions ended: {} of {}",
            t.compared_with_members,
            t.cases
        );
        assert!(t.resumed > 0, "no region stopped at a member pc");
        assert!(t.specialised * 4 >= t.cases, "too few regions specialised: {} of {}", t.specialised, t.cases);
    }
}

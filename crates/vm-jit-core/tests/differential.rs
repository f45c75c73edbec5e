//! Differential testing of the Cranelift backend against the interpreter (the executable
//! specification, docs/IR.md): every compiled tier must agree with `interp::run` bit for bit on the
//! final guest state, guest memory, exit reason, pc, trap code / fault address and remaining fuel.
//!
//! - `random_blocks_agree_with_the_interpreter`: many seeded random valid blocks
//!   (`support/random_block.rs`), each run by the interpreter and by every backend configuration
//!   in `tier_configs` on copies of the same random state, memory, fuel and interrupt flag.
//!   `VMJIT_SEED` (default `DEFAULT_SEED`; decimal or 0x-hex) picks the seed, `VMJIT_DIFF_COUNT`
//!   (default 10,000) the number of blocks, and `VMJIT_DIFF_INDEX` runs just one block (what a
//!   failure message tells you to rerun); `VMJIT_DIFF_PRINT=1` prints each block and its
//!   interpreter outcome. With at least 2,000 blocks the test also checks that the
//!   generator covered every op at every type the IR allows and every exit reason.
//! - Focused tests, one per lowering edge case, compare compiled code with the interpreter on
//!   hand-written blocks (inputs both as constants, which the optimiser may fold, and read from
//!   guest state at run time) and pin the documented results.

#[path = "support/random_block.rs"]
mod random_block;
#[path = "support/runs.rs"]
mod runs;

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use random_block::{block_rng, env_u64, random_block, random_bytes, Env, Rng};
use runs::{first_difference, run_compiled, run_interp, Input, Run};
use vm_jit_core::backend::{BackendConfig, CraneliftBackend, OptLevel};
use vm_jit_core::ir::*;
use vm_jit_core::lower::plan::DEFAULT_INLINE_BUDGET;
use vm_jit_core::testing::{word, BlockBuilder, BodyBuilder};
use Type::*;

const DEFAULT_SEED: u64 = 0x5eed_d1ff_0000_0001;
const DEFAULT_COUNT: u64 = 10_000;
const STATE_LEN: u32 = 256;

/// The backend configurations compared with the interpreter. Cranelift's IR verifier is on in
/// every build (it changes no code, and catches malformed lowering output early).
fn tier_configs() -> Vec<(&'static str, BackendConfig)> {
    let level = |opt_level| BackendConfig { verify: true, ..BackendConfig::with_opt_level(opt_level) };
    vec![
        ("none", level(OptLevel::None)),
        ("speed", level(OptLevel::Speed)),
        ("speed/no-inlining", BackendConfig { enable_inlining: false, ..level(OptLevel::Speed) }),
        ("speedAndSize", level(OptLevel::SpeedAndSize)),
    ]
}

struct Tier {
    name: &'static str,
    backend: CraneliftBackend,
}

fn make_tiers() -> Vec<Tier> {
    tier_configs()
        .into_iter()
        .map(|(name, config)| Tier { name, backend: CraneliftBackend::new(config).expect("host ISA") })
        .collect()
}

thread_local! {
    /// One set of backends per test thread (creating a backend is not free).
    static TIERS: RefCell<Vec<Tier>> = RefCell::new(make_tiers());
}

/// Where the time goes (seconds).
#[derive(Default)]
struct Timings {
    generate: f64,
    interpret: f64,
    compile_and_run: f64,
}

/// Runs `vb` in the interpreter and in every tier; panics with `context()`, the tier, the first
/// difference and the block's text form on any disagreement. Returns the interpreter's run.
fn check_tiers(
    tiers: &mut [Tier],
    vb: &VerifiedBlock,
    input: &Input,
    context: &dyn Fn() -> String,
    timings: &mut Timings,
) -> Run {
    let t0 = Instant::now();
    let want = run_interp(vb, input);
    let t1 = Instant::now();
    timings.interpret += (t1 - t0).as_secs_f64();
    for tier in tiers.iter_mut() {
        let problem = match run_compiled(&mut tier.backend, vb, input) {
            Ok(got) => first_difference(&want, &got, ("interpreter", "compiled"), true),
            Err(e) => Some(e),
        };
        if let Some(problem) = problem {
            panic!(
                "compiled code differs from the interpreter\n  {}\n  tier: {}\n  {problem}\n  interpreter: {:?}\n  \
                 input: fuel {}, interrupt {}, memory {} bytes, state {} bytes\n{}",
                context(),
                tier.name,
                want.out,
                input.fuel,
                input.interrupt,
                input.mem.len(),
                input.state.len(),
                print_verified(vb)
            );
        }
    }
    timings.compile_and_run += t1.elapsed().as_secs_f64();
    want
}

fn random_input(rng: &mut Rng, mem_len: u64) -> Input {
    let state = random_bytes(rng, STATE_LEN as usize);
    let mem = random_bytes(rng, mem_len as usize);
    // Fuel and the interrupt flag are checked when the fuel is a multiple of FUEL_CHECK_INTERVAL
    // (docs/IR.md): aim at both sides of those points too.
    let k = FUEL_CHECK_INTERVAL;
    let (fuel, interrupt) = match rng.below(20) {
        0..=6 => (rng.below(20), rng.chance(10)),
        7..=13 => (rng.below(2000), rng.chance(10)),
        14..=17 => ((k * rng.range(1, 2) + rng.below(24)).wrapping_sub(4), rng.chance(50)),
        // Huge fuel only with the flag set: an endless loop then stops within k back edges.
        _ => (u64::MAX - rng.below(k + 100), true),
    };
    Input { state, mem, fuel, interrupt }
}

#[test]
fn random_blocks_agree_with_the_interpreter() {
    let seed = env_u64("VMJIT_SEED").unwrap_or(DEFAULT_SEED);
    let count = env_u64("VMJIT_DIFF_COUNT").unwrap_or(DEFAULT_COUNT);
    let only = env_u64("VMJIT_DIFF_INDEX");
    let print_blocks = env_u64("VMJIT_DIFF_PRINT").unwrap_or(0) != 0;
    let indices = match only {
        Some(i) => i..i + 1,
        None => 0..count,
    };
    eprintln!("differential: VMJIT_SEED={seed:#x} VMJIT_DIFF_COUNT={count} ({} blocks)", indices.end - indices.start);
    let mut tiers = make_tiers();
    let mut reasons: BTreeMap<&'static str, u64> = BTreeMap::new();
    let mut covered: BTreeSet<String> = BTreeSet::new();
    let (mut ops, mut helpers, mut inlined) = (0usize, 0usize, 0usize);
    let mut timings = Timings::default();
    let start = Instant::now();
    for i in indices.clone() {
        let t0 = Instant::now();
        let mut rng = block_rng(seed, i);
        let mem_len = if rng.chance(85) { 4096 } else { rng.below(24) };
        let env = Env { state_len: STATE_LEN, mem_len };
        let block = random_block(&mut rng, &env);
        let vb = match verify(block.clone()) {
            Ok(vb) => vb,
            Err(e) => panic!("the generator made an invalid block (seed {seed:#x}, block {i}): {e}\n{}", print(&block)),
        };
        let input = random_input(&mut rng, mem_len);
        timings.generate += t0.elapsed().as_secs_f64();
        let context = || format!("seed {seed:#x}, block {i} (rerun alone: VMJIT_SEED={seed:#x} VMJIT_DIFF_INDEX={i})");
        let run = check_tiers(&mut tiers, &vb, &input, &context, &mut timings);
        if print_blocks {
            eprintln!(
                "-- block {i}: fuel {}, memory {} bytes → {:?}\n{}",
                input.fuel,
                mem_len,
                run.out,
                print_verified(&vb)
            );
        }
        *reasons.entry(run.out.reason.name()).or_default() += 1;
        ops += vb.op_count;
        helpers += vb.block.funcs.len();
        inlined += vb.block.funcs.iter().filter(|f| f.body.ops.len() <= DEFAULT_INLINE_BUDGET).count();
        coverage(&vb, &mut covered);
    }
    let n = indices.end - indices.start;
    let secs = start.elapsed().as_secs_f64();
    eprintln!(
        "differential: {n} blocks ({ops} ops, {helpers} helpers of which {inlined} inlinable) × {} tiers in {secs:.1} s \
         (generate+verify {:.1} s, interpret {:.1} s, compile+run {:.1} s); exits {reasons:?}",
        tiers.len(),
        timings.generate,
        timings.interpret,
        timings.compile_and_run,
    );
    if only.is_none() && n >= 2000 {
        let missing: Vec<String> = required_coverage().difference(&covered).cloned().collect();
        assert!(missing.is_empty(), "the generator never produced: {missing:?}");
        for r in ["exit", "halt", "trap", "fault", "fuel", "interrupt"] {
            assert!(reasons.contains_key(r), "no block ended with reason {r}: {reasons:?}");
        }
    }
}

// ---- coverage of the generator --------------------------------------------------------------

fn coverage(vb: &VerifiedBlock, seen: &mut BTreeSet<String>) {
    let bodies =
        std::iter::once((&vb.block.main, &vb.main)).chain(vb.block.funcs.iter().map(|f| &f.body).zip(&vb.funcs));
    for (body, info) in bodies {
        let ty = |v: &Value| info.value_types[*v as usize];
        for (at, op) in body.ops.iter().enumerate() {
            let key = match op {
                Op::Const { ty, .. } => format!("const.{ty}"),
                Op::GetState { ty, .. } => format!("get_state.{ty}"),
                Op::SetState { value, .. } => format!("set_state.{}", ty(value)),
                Op::Load { ty, width, signed, .. } => format!("load.{ty}.{}{width}", if *signed { 's' } else { 'u' }),
                Op::Store { width, value, .. } => format!("store.{width}.{}", ty(value)),
                Op::LocalGet { .. } => format!("local_get.{}", info.value_types[info.op_value[at].unwrap() as usize]),
                Op::LocalSet { value, .. } => format!("local_set.{}", ty(value)),
                Op::Mark { .. } => "mark".into(),
                Op::IntBin { op, a, .. } => format!("{}.{}", op.name(), ty(a)),
                Op::IntUn { op, a } => format!("{}.{}", op.name(), ty(a)),
                Op::Icmp { cc, a, .. } => format!("icmp.{}.{}", cc.name(), ty(a)),
                Op::Select { a, .. } => format!("select.{}", ty(a)),
                Op::Ext { kind, ty: to, a } => format!("{}.{}.{to}", kind.name(), ty(a)),
                Op::FloatBin { op, a, .. } => format!("{}.{}", op.name(), ty(a)),
                Op::FloatUn { op, a } => format!("{}.{}", op.name(), ty(a)),
                Op::Fma { a, .. } => format!("fma.{}", ty(a)),
                Op::Fcmp { cc, a, .. } => format!("fcmp.{}.{}", cc.name(), ty(a)),
                Op::FcvtToInt { ty: to, signed, a } => format!("fcvt_to_{}int.{}.{to}", su(*signed), ty(a)),
                Op::FcvtFromInt { ty: to, signed, a } => format!("fcvt_from_{}int.{}.{to}", su(*signed), ty(a)),
                Op::Fpromote { .. } => "fpromote".into(),
                Op::Fdemote { .. } => "fdemote".into(),
                Op::Bitcast { ty: to, a } => format!("bitcast.{}.{to}", ty(a)),
                Op::Label { .. } => "label".into(),
                Op::Jump { label } => {
                    if info.is_back_edge(at, *label) {
                        "jump.back".into()
                    } else {
                        "jump".into()
                    }
                }
                Op::Brif { then_label, else_label, .. } => {
                    if info.is_back_edge(at, *then_label) {
                        "brif.back_then".into()
                    } else if info.is_back_edge(at, *else_label) {
                        "brif.back_else".into()
                    } else {
                        "brif".into()
                    }
                }
                Op::Exit { .. } => "exit".into(),
                Op::Halt { .. } => "halt".into(),
                Op::Trap { .. } => "trap".into(),
                Op::Call { .. } => "call".into(),
                Op::Ret { value } => format!("ret.{}", if value.is_some() { "value" } else { "none" }),
            };
            seen.insert(key);
        }
    }
}

fn su(signed: bool) -> char {
    if signed {
        's'
    } else {
        'u'
    }
}

/// Every op at every type the IR allows (docs/IR.md), in `coverage`'s spelling.
fn required_coverage() -> BTreeSet<String> {
    let ints = [I8, I16, I32, I64];
    let floats = [F32, F64];
    let mut r = BTreeSet::new();
    let mut add = |s: String| r.insert(s);
    for t in Type::ALL {
        for k in ["const", "get_state", "set_state", "local_get", "local_set", "select"] {
            add(format!("{k}.{t}"));
        }
    }
    for t in ints {
        for w in [1, 2, 4, 8].into_iter().filter(|w| *w <= t.bytes()) {
            add(format!("load.{t}.s{w}"));
            add(format!("load.{t}.u{w}"));
            add(format!("store.{w}.{t}"));
        }
        for op in IntBinOp::ALL {
            add(format!("{}.{t}", op.name()));
        }
        for op in IntUnOp::ALL {
            add(format!("{}.{t}", op.name()));
        }
        for cc in IntCC::ALL {
            add(format!("icmp.{}.{t}", cc.name()));
        }
        for to in ints {
            if to.bits() > t.bits() {
                add(format!("zext.{t}.{to}"));
                add(format!("sext.{t}.{to}"));
            }
            if to.bits() < t.bits() {
                add(format!("trunc.{t}.{to}"));
            }
        }
    }
    for t in floats {
        add(format!("load.{t}.u{}", t.bytes()));
        add(format!("store.{}.{t}", t.bytes()));
        for op in FloatBinOp::ALL {
            add(format!("{}.{t}", op.name()));
        }
        for op in FloatUnOp::ALL {
            add(format!("{}.{t}", op.name()));
        }
        add(format!("fma.{t}"));
        for cc in FloatCC::ALL {
            add(format!("fcmp.{}.{t}", cc.name()));
        }
        for i in [I32, I64] {
            for s in [true, false] {
                add(format!("fcvt_to_{}int.{t}.{i}", su(s)));
                add(format!("fcvt_from_{}int.{i}.{t}", su(s)));
            }
        }
    }
    for (a, b) in [(I32, F32), (F32, I32), (I64, F64), (F64, I64)] {
        add(format!("bitcast.{a}.{b}"));
    }
    for k in [
        "mark",
        "fpromote",
        "fdemote",
        "label",
        "jump",
        "jump.back",
        "brif",
        "brif.back_then",
        "brif.back_else",
        "exit",
        "halt",
        "trap",
        "call",
        "ret.value",
        "ret.none",
    ] {
        add(k.into());
    }
    r
}

// ---- focused edge cases -----------------------------------------------------------------------

/// Runs `block` everywhere (interpreter and every tier must agree) and returns the interpreter's
/// run.
fn agree(block: Block, state: &[u8], mem: &[u8], fuel: u64) -> Run {
    agree_interrupted(block, state, mem, fuel, false)
}

/// `agree`, with the interrupt flag set or not.
fn agree_interrupted(block: Block, state: &[u8], mem: &[u8], fuel: u64, interrupt: bool) -> Run {
    let vb = verify(block).unwrap_or_else(|e| panic!("{e}"));
    let input = Input { state: state.to_vec(), mem: mem.to_vec(), fuel, interrupt };
    let context = || "focused test".to_string();
    TIERS.with(|t| check_tiers(&mut t.borrow_mut(), &vb, &input, &context, &mut Timings::default()))
}

/// Evaluates `build` on `inputs` (a type and bit pattern each), once with the inputs as constants
/// and once read from guest state at run time; every tier must agree with the interpreter and the
/// two forms with each other. Returns the result's bits (zero-extended).
fn eval(inputs: &[(Type, u64)], build: impl Fn(&mut BodyBuilder, &[Value]) -> Value) -> u64 {
    let state_len = 8 * (inputs.len() + 1);
    let mut results = Vec::new();
    for dynamic in [false, true] {
        let block = BlockBuilder::new(0x1000).main(|m| {
            let vals: Vec<Value> = inputs
                .iter()
                .enumerate()
                .map(|(i, &(t, bits))| {
                    if dynamic {
                        m.get_state(t, 8 * (i as u32 + 1))
                    } else {
                        m.op(Op::Const { ty: t, bits }).unwrap()
                    }
                })
                .collect();
            let r = build(m, &vals);
            m.set_state(0, r);
            m.exit_const(0x1004);
        });
        let mut state = vec![0u8; state_len];
        for (i, &(_, bits)) in inputs.iter().enumerate() {
            state[8 * (i + 1)..8 * (i + 2)].copy_from_slice(&bits.to_le_bytes());
        }
        let run = agree(block, &state, &[], 0);
        assert_eq!(run.out.reason, ExitReason::Exit);
        results.push(word(&run.state, 0));
    }
    assert_eq!(results[0], results[1], "constant vs run-time operands: {inputs:x?}");
    results[0]
}

const INT_TYPES: [Type; 4] = [I8, I16, I32, I64];

fn min_of(t: Type) -> u64 {
    1 << (t.bits() - 1)
}

#[test]
fn division_by_zero_and_min_by_minus_one() {
    use IntBinOp::*;
    for t in INT_TYPES {
        let (m, min) = (t.mask(), min_of(t));
        let x = 0x1234_5678_9abc_def0 & m;
        let ev = |op, a, b| eval(&[(t, a), (t, b)], |f, v| f.bin(op, v[0], v[1]));
        // docs/IR.md "Total semantics"
        for a in [x, 0, min, m] {
            assert_eq!(ev(Udiv, a, 0), m, "udiv {a:#x}, 0 ({t})");
            assert_eq!(ev(Urem, a, 0), a, "urem {a:#x}, 0 ({t})");
            assert_eq!(ev(Sdiv, a, 0), m, "sdiv {a:#x}, 0 ({t})");
            assert_eq!(ev(Srem, a, 0), a, "srem {a:#x}, 0 ({t})");
        }
        assert_eq!(ev(Sdiv, min, m), min, "sdiv MIN, -1 ({t})");
        assert_eq!(ev(Srem, min, m), 0, "srem MIN, -1 ({t})");
        // neighbours of the special cases take the ordinary path
        for (a, b) in [(min, 1), (x, m), (min + 1, m), (m, min), (min, min), (x, 3), (min, 2), (7, m - 1)] {
            for op in [Udiv, Urem, Sdiv, Srem] {
                ev(op, a, b);
            }
        }
        assert_eq!(ev(Sdiv, x, m), x.wrapping_neg() & m, "sdiv x, -1 = -x ({t})");
        assert_eq!(ev(Srem, x, m), 0, "srem x, -1 = 0 ({t})");
        assert_eq!(ev(Udiv, m, m), 1, "udiv -1, -1 ({t})");
    }
}

#[test]
fn shifts_by_the_width_or_more() {
    use IntBinOp::*;
    for t in INT_TYPES {
        let w = t.bits() as u64;
        let x = 0x8123_4567_89ab_cdefu64 & t.mask() | min_of(t) | 1;
        for op in [Shl, Ushr, Sshr, Rotl, Rotr] {
            for amt in [w, w + 1, 2 * w - 1, 2 * w, 3 * w + 5, 255, u64::MAX, 1 << 63 | 3] {
                let amt = amt & t.mask();
                let got = eval(&[(t, x), (t, amt)], |f, v| f.bin(op, v[0], v[1]));
                let modulo = eval(&[(t, x), (t, amt % w)], |f, v| f.bin(op, v[0], v[1]));
                assert_eq!(got, modulo, "{} {x:#x}, {amt} ({t}) must shift by {}", op.name(), amt % w);
            }
        }
        assert_eq!(eval(&[(t, 1), (t, w + 1)], |f, v| f.bin(Shl, v[0], v[1])), 2, "shl 1, w+1 ({t})");
    }
}

/// The high half of the full product, computed independently of the code under test.
fn mulhi_reference(op: IntBinOp, t: Type, a: u64, b: u64) -> u64 {
    let bits = t.bits();
    let s = |x: u64| ((x << (64 - bits)) as i64 >> (64 - bits)) as i128;
    let u = |x: u64| x as i128;
    let p: i128 = match op {
        IntBinOp::Umulhi => (a as u128 * b as u128 >> bits) as i128,
        IntBinOp::Smulhi => (s(a) * s(b)) >> bits,
        _ => (s(a) * u(b)) >> bits,
    };
    p as u64 & t.mask()
}

#[test]
fn high_multiplies_at_every_width() {
    use IntBinOp::*;
    for t in INT_TYPES {
        let (m, min) = (t.mask(), min_of(t));
        let vals = [0, 1, 2, 3, m, m - 1, min, min + 1, min - 1, 0x5555_5555_5555_5555 & m, 0xa5a5_a5a5_a5a5_a5a5 & m];
        for op in [Umulhi, Smulhi, Sumulhi] {
            for a in vals {
                for b in vals {
                    let got = eval(&[(t, a), (t, b)], |f, v| f.bin(op, v[0], v[1]));
                    assert_eq!(got, mulhi_reference(op, t, a, b), "{} {a:#x}, {b:#x} ({t})", op.name());
                }
            }
        }
    }
}

#[test]
fn bit_counts_of_zero_and_friends() {
    use IntUnOp::*;
    for t in INT_TYPES {
        let w = t.bits() as u64;
        assert_eq!(eval(&[(t, 0)], |f, v| f.un(Clz, v[0])), w, "clz 0 ({t})");
        assert_eq!(eval(&[(t, 0)], |f, v| f.un(Ctz, v[0])), w, "ctz 0 ({t})");
        assert_eq!(eval(&[(t, 0)], |f, v| f.un(Popcnt, v[0])), 0, "popcnt 0 ({t})");
        assert_eq!(eval(&[(t, 1)], |f, v| f.un(Clz, v[0])), w - 1, "clz 1 ({t})");
        assert_eq!(eval(&[(t, min_of(t))], |f, v| f.un(Ctz, v[0])), w - 1, "ctz MIN ({t})");
        assert_eq!(eval(&[(t, min_of(t))], |f, v| f.un(Clz, v[0])), 0, "clz MIN ({t})");
        assert_eq!(eval(&[(t, t.mask())], |f, v| f.un(Popcnt, v[0])), w, "popcnt -1 ({t})");
        for op in IntUnOp::ALL {
            for x in [0x10 & t.mask(), 0x0f00 & t.mask(), 0x8000_0000 & t.mask(), 0x5a5a_5a5a_5a5a_5a5a & t.mask()] {
                eval(&[(t, x)], |f, v| f.un(op, v[0]));
            }
        }
    }
}

const CANON_F32: u64 = 0x7fc0_0000;
const CANON_F64: u64 = 0x7ff8_0000_0000_0000;

#[test]
fn nan_results_are_canonical_and_bit_ops_keep_payloads() {
    use FloatBinOp::*;
    let f32s = |x: f32| x.to_bits() as u64;
    for (t, canon, nans, one, zero, inf, neg_zero) in [
        (F32, CANON_F32, vec![0x7f80_0001u64, 0xffc0_1234, 0x7fff_ffff], f32s(1.0), 0, f32s(f32::INFINITY), f32s(-0.0)),
        (
            F64,
            CANON_F64,
            vec![0x7ff0_0000_0000_0001, 0xfff8_0000_0000_1234, 0x7fff_ffff_ffff_ffff],
            1f64.to_bits(),
            0,
            f64::INFINITY.to_bits(),
            (-0f64).to_bits(),
        ),
    ] {
        let sign = 1u64 << (t.bits() - 1);
        for &nan in &nans {
            for op in [Fadd, Fsub, Fmul, Fdiv, Fmin, Fmax] {
                assert_eq!(eval(&[(t, nan), (t, one)], |f, v| f.fbin(op, v[0], v[1])), canon, "{} NaN, 1", op.name());
                assert_eq!(eval(&[(t, one), (t, nan)], |f, v| f.fbin(op, v[0], v[1])), canon, "{} 1, NaN", op.name());
            }
            assert_eq!(eval(&[(t, nan)], |f, v| f.fun(FloatUnOp::Fsqrt, v[0])), canon);
            for args in [[nan, one, one], [one, nan, one], [one, one, nan]] {
                let got = eval(&[(t, args[0]), (t, args[1]), (t, args[2])], |f, v| f.fma(v[0], v[1], v[2]));
                assert_eq!(got, canon, "fma {args:x?}");
            }
            // pure bit operations
            assert_eq!(eval(&[(t, nan)], |f, v| f.fun(FloatUnOp::Fneg, v[0])), nan ^ sign);
            assert_eq!(eval(&[(t, nan)], |f, v| f.fun(FloatUnOp::Fabs, v[0])), nan & !sign);
            assert_eq!(eval(&[(t, nan), (t, neg_zero)], |f, v| f.fbin(Fcopysign, v[0], v[1])), nan | sign);
            assert_eq!(eval(&[(t, nan), (t, one)], |f, v| f.fbin(Fcopysign, v[0], v[1])), nan & !sign);
            let int_t = if t == F32 { I32 } else { I64 };
            assert_eq!(eval(&[(t, nan)], |f, v| f.bitcast(int_t, v[0])), nan);
            assert_eq!(eval(&[(int_t, nan)], |f, v| f.bitcast(t, v[0])), nan);
        }
        // NaNs produced from non-NaN operands
        assert_eq!(eval(&[(t, inf), (t, inf)], |f, v| f.fbin(Fsub, v[0], v[1])), canon);
        assert_eq!(eval(&[(t, zero), (t, inf)], |f, v| f.fbin(Fmul, v[0], v[1])), canon);
        assert_eq!(eval(&[(t, zero), (t, zero)], |f, v| f.fbin(Fdiv, v[0], v[1])), canon);
        assert_eq!(eval(&[(t, one | sign)], |f, v| f.fun(FloatUnOp::Fsqrt, v[0])), canon);
        assert_eq!(eval(&[(t, zero), (t, inf), (t, one)], |f, v| f.fma(v[0], v[1], v[2])), canon);
        // fmin/fmax of zeros
        for (a, b) in [(neg_zero, zero), (zero, neg_zero)] {
            assert_eq!(eval(&[(t, a), (t, b)], |f, v| f.fbin(Fmin, v[0], v[1])), neg_zero, "fmin {a:#x}, {b:#x}");
            assert_eq!(eval(&[(t, a), (t, b)], |f, v| f.fbin(Fmax, v[0], v[1])), zero, "fmax {a:#x}, {b:#x}");
        }
    }
    // conversions between the float types
    for nan in [0x7f80_0001u64, 0xffc0_1234, 0x7fff_ffff] {
        assert_eq!(eval(&[(F32, nan)], |f, v| f.fpromote(v[0])), CANON_F64, "fpromote {nan:#x}");
    }
    for nan in [0x7ff0_0000_0000_0001u64, 0xfff8_0000_0000_1234, 0x7ff0_0000_0000_0100] {
        assert_eq!(eval(&[(F64, nan)], |f, v| f.fdemote(v[0])), CANON_F32, "fdemote {nan:#x}");
    }
    assert_eq!(eval(&[(F64, 1e300f64.to_bits())], |f, v| f.fdemote(v[0])), f32s(f32::INFINITY));
    assert_eq!(eval(&[(F64, (1.0 + 2f64.powi(-24)).to_bits())], |f, v| f.fdemote(v[0])), f32s(1.0));
    assert_eq!(eval(&[(F32, f32s(-0.0))], |f, v| f.fpromote(v[0])), (-0f64).to_bits());
}

#[test]
fn float_to_int_saturates_and_int_to_float_rounds_to_even() {
    let f64s: Vec<f64> = vec![
        f64::NAN,
        -f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        1e30,
        -1e30,
        2147483648.0,
        2147483647.0,
        2147483647.5,
        -2147483648.0,
        -2147483649.0,
        -2147483648.5,
        4294967296.0,
        4294967295.5,
        9223372036854775808.0,
        9223372036854774784.0,
        -9223372036854775808.0,
        -9223372036854777856.0,
        18446744073709551616.0,
        18446744073709549568.0,
        -0.0,
        -0.9,
        -1.0,
        0.9999,
        5e-324,
    ];
    for x in &f64s {
        for (to, signed) in [(I32, true), (I32, false), (I64, true), (I64, false)] {
            let want = match (to, signed) {
                (I32, true) => *x as i32 as u32 as u64,
                (I32, false) => *x as u32 as u64,
                (_, true) => *x as i64 as u64,
                (_, false) => *x as u64,
            };
            let got = eval(&[(F64, x.to_bits())], |f, v| f.fcvt_to_int(to, signed, v[0]));
            assert_eq!(got, want, "fcvt_to_{}int.{to} f64 {x}", su(signed));
            let y = *x as f32;
            let want = match (to, signed) {
                (I32, true) => y as i32 as u32 as u64,
                (I32, false) => y as u32 as u64,
                (_, true) => y as i64 as u64,
                (_, false) => y as u64,
            };
            let got = eval(&[(F32, y.to_bits() as u64)], |f, v| f.fcvt_to_int(to, signed, v[0]));
            assert_eq!(got, want, "fcvt_to_{}int.{to} f32 {y}", su(signed));
        }
    }
    let ints: [u64; 12] = [
        0,
        1,
        u64::MAX,
        1 << 63,
        (1 << 63) - 1,
        (1 << 53) + 1,
        (1 << 53) + (1 << 29) + 1,
        (1 << 24) + 1,
        0x8000_0000,
        0xffff_ffff,
        0x7fff_ffff,
        0xffff_ffff_8000_0001,
    ];
    for x in ints {
        for from in [I32, I64] {
            for signed in [true, false] {
                let a = x & from.mask();
                for to in [F32, F64] {
                    let want = match (from, signed, to) {
                        (I32, true, F32) => (a as u32 as i32 as f32).to_bits() as u64,
                        (I32, true, _) => (a as u32 as i32 as f64).to_bits(),
                        (I32, false, F32) => (a as u32 as f32).to_bits() as u64,
                        (I32, false, _) => (a as u32 as f64).to_bits(),
                        (_, true, F32) => (a as i64 as f32).to_bits() as u64,
                        (_, true, _) => (a as i64 as f64).to_bits(),
                        (_, false, F32) => (a as f32).to_bits() as u64,
                        (_, false, _) => (a as f64).to_bits(),
                    };
                    let got = eval(&[(from, a)], |f, v| f.fcvt_from_int(to, signed, v[0]));
                    assert_eq!(got, want, "fcvt_from_{}int.{from} {a:#x} → {to}", su(signed));
                }
            }
        }
    }
}

#[test]
fn memory_accesses_at_the_exact_end() {
    let shapes: Vec<(Type, u8, bool)> = vec![
        (I8, 1, false),
        (I16, 1, true),
        (I16, 2, false),
        (I32, 2, true),
        (I32, 4, false),
        (I64, 4, true),
        (I64, 8, false),
        (F32, 4, false),
        (F64, 8, false),
    ];
    for len in [0u64, 1, 7, 8, 9, 4096] {
        let mem: Vec<u8> = (0..len).map(|i| (i as u8).wrapping_mul(37).wrapping_add(0x81)).collect();
        for &(t, w, signed) in &shapes {
            let w64 = w as u64;
            let mut addrs = vec![u64::MAX, u64::MAX - w64 + 1, 1 << 63, len, len + 1];
            if len >= w64 {
                addrs.push(len - w64); // last in range
            }
            addrs.push((len + 1).wrapping_sub(w64)); // first out of range (or wraps: huge)
            for addr in addrs {
                let in_range = addr.checked_add(w64).is_some_and(|end| end <= len);
                for dynamic in [false, true] {
                    let mk_addr = |m: &mut BodyBuilder| if dynamic { m.get_state(I64, 8) } else { m.iconst(I64, addr) };
                    // load
                    let block = BlockBuilder::new(0x1000).main(|m| {
                        m.mark(0x1040);
                        let a = mk_addr(m);
                        let v = m.load(t, w, signed, a);
                        m.set_state(0, v);
                        m.exit_const(0x1080);
                    });
                    let mut state = vec![0u8; 16];
                    state[8..16].copy_from_slice(&addr.to_le_bytes());
                    let run = agree(block, &state, &mem, 0);
                    check_access(&run, in_range, addr, &format!("load.{t} w{w} at {addr:#x}, len {len}"));
                    // store
                    let block = BlockBuilder::new(0x1000).main(|m| {
                        m.mark(0x1040);
                        let a = mk_addr(m);
                        let v = m.op(Op::Const { ty: t, bits: 0xa1b2_c3d4_e5f6_0718 & t.mask() }).unwrap();
                        m.store(w, a, v);
                        m.exit_const(0x1080);
                    });
                    let run = agree(block, &state, &mem, 0);
                    let what = format!("store.{w} {t} at {addr:#x}, len {len}");
                    check_access(&run, in_range, addr, &what);
                    if !in_range {
                        assert_eq!(run.mem, mem, "{what}: a faulting store writes nothing");
                    }
                }
            }
        }
    }
}

fn check_access(run: &Run, in_range: bool, addr: u64, what: &str) {
    if in_range {
        assert_eq!((run.out.reason, run.out.pc), (ExitReason::Exit, 0x1080), "{what}");
    } else {
        assert_eq!((run.out.reason, run.out.pc, run.out.aux), (ExitReason::Fault, 0x1040, addr), "{what}");
    }
}

/// A helper `(i64 addr) -> i64` that loads from `addr`; padded past the inlining budget (64 ops)
/// when `big`, and, when `via` is given, reaching the load through a call of helper `via`.
fn faulting_helper(bb: &mut BlockBuilder, big: bool, via: Option<FuncId>) -> FuncId {
    bb.func(&[I64], Some(I64), |f| {
        f.mark(0xdead_0000); // marks in helpers are ignored
        let mut x = f.param(0);
        if big {
            for _ in 0..40 {
                let zero = f.iconst(I64, 0);
                x = f.add(x, zero);
            }
        }
        let v = match via {
            Some(g) => f.call(g, &[x]).unwrap(),
            None => f.load(I64, 8, false, x),
        };
        let one = f.iconst(I64, 1);
        let r = f.add(v, one);
        f.ret(Some(r));
    })
}

#[test]
fn fault_in_a_helper_reports_the_main_body_calls_mark() {
    // (outer big?, inner big?) — an inner helper exists only when the outer calls through it.
    let shapes: [(bool, Option<bool>); 6] = [
        (false, None),
        (true, None),
        (false, Some(false)),
        (false, Some(true)),
        (true, Some(false)),
        (true, Some(true)),
    ];
    let mem: Vec<u8> = (0..64u8).collect();
    for (outer_big, inner) in shapes {
        for addr in [8u64, 57, 64, u64::MAX] {
            let block = {
                let mut bb = BlockBuilder::new(0x1000);
                let via = inner.map(|big| faulting_helper(&mut bb, big, None));
                let h = faulting_helper(&mut bb, outer_big, via);
                bb.main(|m| {
                    m.mark(0x2000);
                    let a = m.get_state(I64, 8);
                    m.mark(0x2004);
                    let r = m.call(h, &[a]).unwrap();
                    m.mark(0x2008);
                    m.set_state(0, r);
                    m.exit_const(0x3000);
                })
            };
            let mut state = vec![0u8; 16];
            state[8..].copy_from_slice(&addr.to_le_bytes());
            let run = agree(block, &state, &mem, 0);
            let what = format!("outer big {outer_big}, inner {inner:?}, addr {addr:#x}");
            if addr.checked_add(8).is_some_and(|end| end <= 64) {
                assert_eq!((run.out.reason, run.out.pc), (ExitReason::Exit, 0x3000), "{what}");
                let extra = if inner.is_some() { 2 } else { 1 };
                assert_eq!(word(&run.state, 0), word(&mem, addr as u32) + extra, "{what}");
            } else {
                assert_eq!((run.out.reason, run.out.pc, run.out.aux), (ExitReason::Fault, 0x2004, addr), "{what}");
            }
        }
    }
}

#[test]
fn fuel_runs_out_in_a_helper_loop_at_the_calls_mark() {
    for big in [false, true] {
        let mut bb = BlockBuilder::new(0x1000);
        // counts down from its parameter; a loop in a helper pays fuel like one in main
        let h = bb.func(&[I32], Some(I32), |f| {
            let n = f.local(I32);
            let (head, done) = (f.new_label(), f.new_label());
            f.local_set(n, f.param(0));
            if big {
                let mut x = f.param(0);
                for _ in 0..40 {
                    let zero = f.iconst(I32, 0);
                    x = f.add(x, zero);
                }
                f.set_state(12, x);
            }
            f.bind(head);
            f.mark(0xdead_0000);
            let c = f.local_get(n);
            let one = f.iconst(I32, 1);
            let d = f.sub(c, one);
            f.local_set(n, d);
            f.brif(d, head, done);
            f.bind(done);
            f.ret(Some(d));
        });
        let block = bb.main(|m| {
            let n = m.get_state(I32, 8);
            m.mark(0x4000);
            let r = m.call(h, &[n]).unwrap();
            m.set_state(0, r);
            m.exit_const(0x5000);
        });
        for (n, fuel) in [(10u32, 9u64), (10, 8), (10, 100), (1, 0), (0x7fff_ffff, 50)] {
            let mut state = vec![0u8; 16];
            state[8..12].copy_from_slice(&n.to_le_bytes());
            let run = agree(block.clone(), &state, &[], fuel);
            let back_edges = n as u64 - 1;
            if back_edges <= fuel {
                assert_eq!(
                    (run.out.reason, run.out.fuel_left),
                    (ExitReason::Exit, fuel - back_edges),
                    "n {n}, fuel {fuel}"
                );
            } else {
                assert_eq!((run.out.reason, run.out.pc, run.out.fuel_left), (ExitReason::Fuel, 0x4000, 0));
            }
        }
    }
}

/// An endless loop (`L: …; jump L`) in main, in a small (inlined) helper and in a big
/// (standalone) one: fuel and the interrupt flag are looked at only where the remaining fuel is a
/// multiple of `FUEL_CHECK_INTERVAL` (docs/IR.md, "Fuel and interrupts").
#[test]
fn interrupt_and_fuel_are_checked_at_multiples_of_the_interval() {
    let k = FUEL_CHECK_INTERVAL;
    for place in ["main", "small helper", "big helper"] {
        let mut bb = BlockBuilder::new(0x1000);
        let endless = |f: &mut BodyBuilder, big: bool| {
            let n = f.local(I64);
            let head = f.new_label();
            if big {
                for _ in 0..40 {
                    let zero = f.iconst(I64, 0);
                    f.set_state(8, zero);
                }
            }
            f.bind(head);
            f.mark(0xdead_0000);
            let c = f.local_get(n);
            let one = f.iconst(I64, 1);
            let d = f.add(c, one);
            f.local_set(n, d);
            f.set_state(0, d); // iterations so far
            f.jump(head);
        };
        let helper = match place {
            "main" => None,
            p => Some(bb.func(&[], None, |f| endless(f, p == "big helper"))),
        };
        let block = bb.main(|m| {
            m.mark(0x700);
            match helper {
                Some(h) => {
                    m.call(h, &[]);
                    m.exit_const(0x800);
                }
                None => endless(m, false),
            }
        });
        for fuel in [0, 1, 5, k - 1, k, k + 1, 2 * k + 3, u64::MAX] {
            for interrupt in [true, false] {
                if fuel > 3 * k && !interrupt {
                    continue; // would run for ever
                }
                let run = agree_interrupted(block.clone(), &[0u8; 16], &[], fuel, interrupt);
                // The first check happens with fuel = the largest multiple of k at or below it.
                let at = fuel - fuel % k;
                let (reason, left) =
                    if at != 0 && interrupt { (ExitReason::Interrupt, at) } else { (ExitReason::Fuel, 0) };
                let what = format!("{place}, fuel {fuel}, interrupt {interrupt}");
                // the loop's own mark counts in main; in a helper it is the call's mark
                let pc = if helper.is_none() { 0xdead_0000 } else { 0x700 };
                assert_eq!((run.out.reason, run.out.pc, run.out.fuel_left), (reason, pc, left), "{what}");
                assert_eq!(word(&run.state, 0), fuel - left + 1, "{what}: iterations");
            }
        }
    }
}

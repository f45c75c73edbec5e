//! Fast loops (`lower/fast_loop.rs`): the guarded, check-free copies of simple innermost loops
//! must agree with the interpreter bit for bit — final state and memory, exit reason, pc, fault
//! address and remaining fuel — including when an access faults part-way through, when the fuel
//! runs out or an interrupt is due inside the loop, when the induction variable wraps, and when
//! the step is zero.
//!
//! `random_loops_agree_with_the_interpreter` generates seeded loops of the shapes the planner
//! accepts (top-tested with every foldable exit test, bottom-tested, sieve-like nested, with
//! invariant bases, constant offsets, shifted and scaled indices, stores, side exits) plus near
//! misses it must reject, runs each on inputs aimed at the edges (memory ending inside the
//! loop's range, fuel a few back edges either side of a multiple of 1024, the interrupt flag),
//! and checks that most of them were actually planned. `VMJIT_SEED` and `VMJIT_FAST_LOOP_COUNT`
//! (default 3,000) pick the seed and the number of blocks.
//!
//! `random_vector_reductions_agree_with_the_interpreter` does the same for the loops the vector
//! pass takes (`lower/vector_reduce.rs`: add/xor/or/and reductions of contiguous i64 and i32
//! loads) and their near misses, with SIMD on and off; the sum kernel tests pin its edges.

#[path = "support/random_block.rs"]
mod random_block;
#[path = "support/runs.rs"]
mod runs;

use random_block::{env_u64, random_bytes, Rng};
use runs::{first_difference, run_compiled, run_interp, Input};
use vm_jit_core::backend::{BackendConfig, CraneliftBackend, OptLevel};
use vm_jit_core::ir::*;
use vm_jit_core::lower::fast_loop;
use vm_jit_core::testing::{BlockBuilder, BodyBuilder};
use Type::*;

const DEFAULT_SEED: u64 = 0x5eed_f457_100b_0001;
const STATE_LEN: usize = 256;
/// State slots the generated loops read: the bound, the start, the base, the step.
const N: u32 = 88;
const START: u32 = 96;
const BASE: u32 = 104;
const STEP: u32 = 112;
const OUT: u32 = 80;
/// The induction variable when the loop keeps it in a state slot (a guest register).
const IV: u32 = 120;

fn backends() -> Vec<(&'static str, CraneliftBackend)> {
    let level = |opt_level| BackendConfig { verify: true, ..BackendConfig::with_opt_level(opt_level) };
    // Without SIMD the fast loops keep their scalar reductions (`lower/vector_reduce.rs`).
    let scalar = BackendConfig { enable_simd: false, ..level(OptLevel::Speed) };
    vec![
        ("speed", CraneliftBackend::new(level(OptLevel::Speed)).unwrap()),
        ("speed without SIMD", CraneliftBackend::new(scalar).unwrap()),
        ("none", CraneliftBackend::new(level(OptLevel::None)).unwrap()),
    ]
}

fn check(backends: &mut [(&'static str, CraneliftBackend)], vb: &VerifiedBlock, input: &Input, what: &str) {
    let want = run_interp(vb, input);
    for (name, be) in backends.iter_mut() {
        let got = run_compiled(be, vb, input).unwrap_or_else(|e| panic!("{what}: {name}: {e}\n{}", print(&vb.block)));
        if let Some(diff) = first_difference(&want, &got, ("interpreter", "compiled"), true) {
            panic!(
                "{what}: {name} differs from the interpreter: {diff}\n  input: fuel {}, interrupt {}, memory {} bytes, \
                 n {}, start {}, base {}, step {}\n{}",
                input.fuel,
                input.interrupt,
                input.mem.len(),
                word(&input.state, N),
                word(&input.state, START),
                word(&input.state, BASE),
                word(&input.state, STEP),
                print(&vb.block)
            );
        }
    }
}

fn word(state: &[u8], off: u32) -> u64 {
    u64::from_le_bytes(state[off as usize..off as usize + 8].try_into().unwrap())
}

fn put(state: &mut [u8], off: u32, v: u64) {
    state[off as usize..off as usize + 8].copy_from_slice(&v.to_le_bytes());
}

/// How the loop reaches memory from its index `iv`.
#[derive(Clone, Copy, Debug)]
enum Addr {
    Iv,
    Shl(u64),
    Mul(u64),
    PlusConst(u64),
    MinusConst(u64),
    ShlPlus(u64, u64),
    /// `state[BASE] + (iv << k)`
    Based(u64),
    /// Not affine in iv: `iv * iv`.
    Square,
}

fn address(b: &mut BodyBuilder, rng: &mut Rng, iv: Value, how: Addr) -> Value {
    let _ = rng;
    match how {
        Addr::Iv => iv,
        Addr::Shl(k) => {
            let k = b.iconst(I64, k);
            b.bin(IntBinOp::Shl, iv, k)
        }
        Addr::Mul(m) => {
            let m = b.iconst(I64, m);
            b.mul(m, iv)
        }
        Addr::PlusConst(c) => {
            let c = b.iconst(I64, c);
            b.add(iv, c)
        }
        Addr::MinusConst(c) => {
            let c = b.iconst(I64, c);
            b.sub(iv, c)
        }
        Addr::ShlPlus(k, c) => {
            let k = b.iconst(I64, k);
            let x = b.bin(IntBinOp::Shl, iv, k);
            let c = b.iconst(I64, c);
            b.add(x, c)
        }
        Addr::Based(k) => {
            let base = b.get_state(I64, BASE);
            let k = b.iconst(I64, k);
            let x = b.bin(IntBinOp::Shl, iv, k);
            b.add(base, x)
        }
        Addr::Square => b.mul(iv, iv),
    }
}

fn random_addr(rng: &mut Rng) -> Addr {
    match rng.below(9) {
        0 | 1 => Addr::Iv,
        2 => Addr::Shl(rng.below(4)),
        3 => Addr::Mul(1 << rng.below(4)),
        4 => Addr::PlusConst(rng.below(40)),
        5 => Addr::MinusConst(rng.below(3)),
        6 => Addr::ShlPlus(rng.below(4), rng.below(24)),
        7 => Addr::Based(rng.below(4)),
        _ => Addr::Square,
    }
}

/// The step: a constant (sometimes 0 or huge), a local set before the loop, or a state slot.
enum Step {
    Const(u64),
    Local,
    State,
}

/// A random loop block; see the module comment.
fn loop_block(rng: &mut Rng) -> Block {
    let top_tested = rng.chance(60);
    // Bottom tests: the `brif` is the back edge, or it branches to a label whose `jump` is (the
    // shape a stitched guest region has), and it tests the new value or re-reads the variable.
    let bottom_via_label = rng.chance(50);
    let reread = rng.chance(30);
    let iv_in_state = rng.chance(40);
    // A near miss: the loop also reads half of the induction variable's slot.
    let overlap = iv_in_state && rng.chance(15);
    let nested = rng.chance(15);
    let accesses: Vec<(Addr, u8, bool)> =
        (0..rng.range(1, 3)).map(|_| (random_addr(rng), rng.pick(&[1u8, 2, 4, 8]), rng.chance(40))).collect();
    let step = match rng.below(10) {
        0..=4 => Step::Const(rng.range(1, 4)),
        5 => Step::Const(rng.pick(&[0, 1 << 53, u64::MAX, 1 << 40])),
        6 | 7 => Step::Local,
        _ => Step::State,
    };
    let cc = rng.pick(&[
        IntCC::Ult,
        IntCC::Ult,
        IntCC::Ne,
        IntCC::Ugt,
        IntCC::Uge,
        IntCC::Ule,
        IntCC::Eq,
        IntCC::Slt,
        IntCC::Sgt,
        IntCC::Sge,
        IntCC::Sle,
    ]);
    // A near miss: the signed test the wrong way round (stays while iv > n).
    let reversed = rng.chance(5);
    // Stays while iv <= n instead of iv < n.
    let inclusive = rng.chance(30);
    let side_exit = rng.chance(20);
    // How loads accumulate: associative ops make a reduction the unrolled group splits; sub and
    // the operand order are there to be left alone.
    let fold_op = rng.pick(&[
        IntBinOp::Add,
        IntBinOp::Add,
        IntBinOp::Xor,
        IntBinOp::Mul,
        IntBinOp::And,
        IntBinOp::Or,
        IntBinOp::Sub,
    ]);
    let acc_first = rng.chance(50);
    let escape = rng.chance(30);
    BlockBuilder::new(0x4000).main(|b| {
        let i = b.local(I64);
        let acc = b.local(I64);
        let stepl = b.local(I64);
        let outer = b.local(I64);
        let n = b.get_state(I64, N);
        let s0 = b.get_state(I64, START);
        let st = b.get_state(I64, STEP);
        b.local_set(stepl, st);
        let done = b.new_label();
        let exit2 = b.new_label();
        let outer_top = nested.then(|| b.new_label());
        if let Some(top) = outer_top {
            // for (outer = 0; outer < 3; outer++) { inner loop from START }
            let z = b.iconst(I64, 0);
            b.local_set(outer, z);
            b.bind(top);
        }
        let get_iv = |b: &mut BodyBuilder| if iv_in_state { b.get_state(I64, IV) } else { b.local_get(i) };
        let set_iv = |b: &mut BodyBuilder, x: Value| if iv_in_state { b.set_state(IV, x) } else { b.local_set(i, x) };
        set_iv(b, s0);
        let head = b.new_label();
        let after = b.new_label();
        b.jump(head);
        b.bind(head);
        b.mark(0x4010);
        let iv = get_iv(b);
        let test = |b: &mut BodyBuilder, iv: Value, stay: Label, leave: Label| {
            // The exit test in each of its foldable forms (stays while iv < n), or reversed.
            match cc {
                _ if reversed => {
                    let c = b.icmp(IntCC::Sgt, iv, n);
                    b.brif(c, stay, leave)
                }
                IntCC::Ult | IntCC::Slt | IntCC::Ugt | IntCC::Sgt if inclusive => {
                    // iv <= n as !(n < iv) or !(iv > n)
                    let c = if matches!(cc, IntCC::Ult | IntCC::Slt) { b.icmp(cc, n, iv) } else { b.icmp(cc, iv, n) };
                    b.brif(c, leave, stay)
                }
                IntCC::Ule | IntCC::Sle | IntCC::Uge | IntCC::Sge if inclusive => {
                    let c = if matches!(cc, IntCC::Ule | IntCC::Sle) { b.icmp(cc, iv, n) } else { b.icmp(cc, n, iv) };
                    b.brif(c, stay, leave)
                }
                IntCC::Ult | IntCC::Ne | IntCC::Slt => {
                    let c = b.icmp(cc, iv, n);
                    b.brif(c, stay, leave)
                }
                IntCC::Ugt | IntCC::Sgt => {
                    let c = b.icmp(cc, n, iv);
                    b.brif(c, stay, leave)
                }
                IntCC::Uge | IntCC::Eq | IntCC::Sge => {
                    let c = b.icmp(cc, iv, n);
                    b.brif(c, leave, stay)
                }
                _ => {
                    let c = b.icmp(cc, n, iv);
                    b.brif(c, leave, stay)
                }
            }
        };
        let seen = if escape { Some(b.local_get(acc)) } else { None };
        if top_tested {
            let body = b.new_label();
            test(b, iv, body, after);
            b.bind(body);
        }
        b.mark(0x4020);
        for (k, &(how, width, store)) in accesses.iter().enumerate() {
            b.mark(0x4020 + 4 * k as u64);
            let addr = address(b, rng, iv, how);
            if store {
                let v = b.local_get(acc);
                b.store(width, addr, v);
            } else {
                let v = b.load(I64, width, false, addr);
                let a = b.local_get(acc);
                let a2 = if acc_first { b.bin(fold_op, a, v) } else { b.bin(fold_op, v, a) };
                b.local_set(acc, a2);
            }
        }
        if side_exit {
            let a = b.local_get(acc);
            let m = b.iconst(I64, 0xff);
            let low = b.bin(IntBinOp::And, a, m);
            let z = b.iconst(I64, 0x37);
            let c = b.icmp(IntCC::Eq, low, z);
            let cont = b.new_label();
            b.brif(c, exit2, cont);
            b.bind(cont);
        }
        let sv = match step {
            Step::Const(c) => b.iconst(I64, c),
            Step::Local => b.local_get(stepl),
            Step::State => b.get_state(I64, STEP),
        };
        if overlap {
            let half = b.get_state(I32, IV + 4);
            b.set_state(OUT + 24, half);
        }
        let iv2 = b.add(iv, sv);
        set_iv(b, iv2);
        if top_tested {
            b.jump(head);
        } else {
            b.mark(0x4030);
            let x = if reread { get_iv(b) } else { iv2 };
            if bottom_via_label {
                let back = b.new_label();
                test(b, x, back, after);
                b.bind(back);
                b.mark(0x4038);
                b.jump(head);
            } else {
                test(b, x, head, after);
            }
        }
        b.bind(after);
        if let Some(seen) = seen {
            b.set_state(OUT + 8 * 5, seen);
        }
        if let Some(top) = outer_top {
            let o = b.local_get(outer);
            let one = b.iconst(I64, 1);
            let o2 = b.add(o, one);
            b.local_set(outer, o2);
            let three = b.iconst(I64, 3);
            let c = b.icmp(IntCC::Ult, o2, three);
            b.brif(c, top, done);
        } else {
            b.jump(done);
        }
        b.bind(exit2);
        let a = b.local_get(acc);
        b.set_state(OUT + 8, a);
        b.exit_const(0x4444);
        b.bind(done);
        let a = b.local_get(acc);
        b.set_state(OUT, a);
        let x = get_iv(b);
        b.set_state(OUT + 16, x);
        b.exit_const(0x4040);
    })
}

fn random_input(rng: &mut Rng) -> Input {
    let mem_len = match rng.below(4) {
        0 => rng.below(16),
        1 | 2 => rng.range(16, 300),
        _ => rng.range(300, 5000),
    } as usize;
    let mut state = random_bytes(rng, STATE_LEN);
    let mem = random_bytes(rng, mem_len);
    let start = match rng.below(9) {
        0 => u64::MAX - rng.below(20),
        8 => (1 << 63) - rng.below(20),
        1 => rng.below(2 * mem_len as u64 + 2),
        _ => rng.below(20),
    };
    let n = match rng.below(9) {
        0 => u64::MAX - rng.below(20),
        8 => (1u64 << 63).wrapping_add(rng.below(20)).wrapping_sub(10),
        7 if rng.chance(30) => u64::MAX,
        1 => rng.below(20),
        _ => start.wrapping_add(rng.below(3000)),
    };
    put(&mut state, START, start);
    put(&mut state, N, n);
    put(&mut state, BASE, if rng.chance(80) { rng.below(mem_len as u64 + 10) } else { rng.next_u64() });
    put(
        &mut state,
        STEP,
        match rng.below(6) {
            0 => 0,
            1 => u64::MAX - rng.below(3),
            2 => 1 << 53,
            _ => rng.range(1, 5),
        },
    );
    let k = FUEL_CHECK_INTERVAL;
    let (fuel, interrupt) = match rng.below(10) {
        0..=2 => (rng.below(3000), rng.chance(20)),
        3..=5 => ((k * rng.range(1, 4) + rng.below(24)).wrapping_sub(12), rng.chance(40)),
        6 => (u64::MAX - rng.below(k + 100), true),
        _ => (20_000 + rng.below(5000), false),
    };
    Input { state, mem, fuel, interrupt }
}

#[test]
fn random_loops_agree_with_the_interpreter() {
    let seed = env_u64("VMJIT_SEED").unwrap_or(DEFAULT_SEED);
    let count = env_u64("VMJIT_FAST_LOOP_COUNT").unwrap_or(3000);
    eprintln!("fast loops: VMJIT_SEED={seed:#x} VMJIT_FAST_LOOP_COUNT={count}");
    let mut backends = backends();
    let (mut planned, mut folded, mut covered, mut unrolled, mut reducing, mut in_state) = (0, 0, 0, 0, 0, 0);
    for index in 0..count {
        let mut rng = Rng::new(seed ^ index.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        let block = loop_block(&mut rng);
        let vb = verify(block).unwrap_or_else(|e| panic!("block {index} is invalid: {e}"));
        let plans = fast_loop::plan(&vb.block.main, &vb.main);
        if let Some(p) = plans.values().next() {
            planned += 1;
            folded += p.fold.is_some() as u32;
            covered += !p.covered.is_empty() as u32;
            unrolled += (p.unroll > 1) as u32;
            reducing += !p.reductions.is_empty() as u32;
            in_state += matches!(p.iv, fast_loop::LoopVar::State(_)) as u32;
        }
        for _ in 0..3 {
            let input = random_input(&mut rng);
            check(&mut backends, &vb, &input, &format!("block {index} (VMJIT_SEED={seed:#x})"));
        }
    }
    eprintln!(
        "fast loops: {planned} of {count} planned, {folded} with the exit test folded, {covered} with covered accesses, \
         {unrolled} unrolled, {reducing} with reductions, {in_state} counting in a state slot"
    );
    if count >= 1000 {
        assert!(planned * 2 > count as u32, "too few loops planned: {planned} of {count}");
        assert!(folded * 4 > count as u32 && covered * 4 > count as u32 && unrolled * 10 > count as u32);
        assert!(reducing * 50 > count as u32, "too few reductions: {reducing} of {count}");
        assert!(in_state * 5 > count as u32, "too few state-slot loops: {in_state} of {count}");
    }
}

/// The README sum kernel with the fuel running out at every point of the first 2,100 back edges
/// and with memory ending at every point in the loop's range: the same pc, fuel and state as the
/// interpreter each time.
#[test]
fn the_sum_kernel_stops_exactly_where_the_interpreter_does() {
    let vb = verify(vm_jit_core::testing::sum_words_block()).unwrap();
    assert_eq!(fast_loop::plan(&vb.block.main, &vb.main).len(), 1);
    let mut backends = backends();
    for fuel in (0..2100).step_by(7).chain(1020..1030).chain(2044..2052) {
        let mut state = vec![0u8; STATE_LEN];
        put(&mut state, 88, 300);
        put(&mut state, 80, 16);
        let mem: Vec<u8> = (0..300 * 8 + 16).map(|k| k as u8).collect();
        check(&mut backends, &vb, &Input { state, mem, fuel, interrupt: fuel % 3 == 0 }, &format!("fuel {fuel}"));
    }
    for mem_len in 0..(40 * 8 + 20) {
        let mut state = vec![0u8; STATE_LEN];
        put(&mut state, 88, 40);
        put(&mut state, 80, 3);
        let mem: Vec<u8> = (0..mem_len).map(|k| (k * 7) as u8).collect();
        check(&mut backends, &vb, &Input { state, mem, fuel: 5000, interrupt: false }, &format!("memory {mem_len}"));
    }
}

/// The bench's sieve (bench/blocks.js): a fast inner loop with a run-time step inside an outer
/// loop whose header test the outer back edge repeats (rotation). Fuel running out at every point
/// of the first few thousand back edges, the interrupt flag, and memory ending inside the sieve.
#[test]
fn the_sieve_kernel_stops_exactly_where_the_interpreter_does() {
    let block = BlockBuilder::new(0x2000).main(|b| {
        let n = b.get_state(I64, 88);
        let (i, j, count) = (b.local(I64), b.local(I64), b.local(I64));
        let two = b.iconst(I64, 2);
        b.local_set(i, two);
        let [outer, test, prime, inner, mark, next, done] = [(); 7].map(|_| b.new_label());
        b.jump(outer);
        b.bind(outer);
        let iv = b.local_get(i);
        let c = b.icmp(IntCC::Ult, iv, n);
        b.brif(c, test, done);
        b.bind(test);
        b.mark(0x2008);
        let iv = b.local_get(i);
        let flag = b.load(I64, 1, false, iv);
        let zero = b.iconst(I64, 0);
        let c = b.icmp(IntCC::Eq, flag, zero);
        b.brif(c, prime, next);
        b.bind(prime);
        let k = b.local_get(count);
        let one = b.iconst(I64, 1);
        let k1 = b.add(k, one);
        b.local_set(count, k1);
        let iv = b.local_get(i);
        let sq = b.mul(iv, iv);
        b.local_set(j, sq);
        b.jump(inner);
        b.bind(inner);
        let jv = b.local_get(j);
        let c = b.icmp(IntCC::Ult, jv, n);
        b.brif(c, mark, next);
        b.bind(mark);
        b.mark(0x2010);
        let jv = b.local_get(j);
        let one8 = b.iconst(I8, 1);
        b.store(1, jv, one8);
        let jv = b.local_get(j);
        let iv = b.local_get(i);
        let j2 = b.add(jv, iv);
        b.local_set(j, j2);
        b.jump(inner);
        b.bind(next);
        let iv = b.local_get(i);
        let one = b.iconst(I64, 1);
        let i2 = b.add(iv, one);
        b.local_set(i, i2);
        b.jump(outer);
        b.bind(done);
        let k = b.local_get(count);
        b.set_state(80, k);
        b.exit_const(0x2020);
    });
    let vb = verify(block).unwrap();
    let plans = fast_loop::plan(&vb.block.main, &vb.main);
    assert_eq!(plans.len(), 1, "the inner loop");
    assert_eq!(fast_loop::rotations(&vb.block.main, &vb.main, &plans).len(), 1, "the outer loop");
    let mut backends = backends();
    let state_for = |n: u64| {
        let mut state = vec![0u8; STATE_LEN];
        put(&mut state, 88, n);
        state
    };
    for fuel in (0..3000).step_by(5).chain(1020..1030).chain(2045..2050) {
        let input = Input { state: state_for(400), mem: vec![0; 400], fuel, interrupt: fuel % 4 == 1 };
        check(&mut backends, &vb, &input, &format!("fuel {fuel}"));
    }
    for mem_len in (0..420).step_by(3) {
        let input = Input { state: state_for(400), mem: vec![0; mem_len], fuel: 100_000, interrupt: false };
        check(&mut backends, &vb, &input, &format!("memory {mem_len}"));
    }
    let input = Input { state: state_for(1 << 16), mem: vec![0; 1 << 16], fuel: u64::MAX, interrupt: false };
    check(&mut backends, &vb, &input, "n 65536");
}

/// A reduction loop of the shape the vector pass takes, or (`miss`) a near miss it must leave to
/// the scalar copies: `for (i = START; i <u N; i++) { acc_k = acc_k op_k load(addr_k(i)) }`, the
/// accumulators starting at state words (so that sums wrap), results to OUT...
fn reduction_block(rng: &mut Rng, miss: bool) -> Block {
    // Near misses: something the pass would not redo (a store, a state write, a mul reduction,
    // a strided or narrower load, a second element type).
    let miss_kind = if miss { rng.below(6) } else { 99 };
    let ty = if miss_kind == 4 || rng.chance(30) { I32 } else { I64 };
    let count = if miss_kind == 4 { 2 } else { rng.range(1, 3) as usize };
    let ops: Vec<IntBinOp> = (0..count)
        .map(|_| rng.pick(&[IntBinOp::Add, IntBinOp::Add, IntBinOp::Add, IntBinOp::Xor, IntBinOp::Or, IntBinOp::And]))
        .collect();
    let shift = ty.bytes().trailing_zeros() as u64;
    let addrs: Vec<Addr> = (0..count)
        .map(|_| match rng.below(4) {
            0 => Addr::Shl(shift),
            1 => Addr::Mul(ty.bytes() as u64),
            2 => Addr::ShlPlus(shift, rng.below(40)),
            _ => Addr::Based(shift),
        })
        .collect();
    let acc_first = rng.chance(50);
    let cc = rng.pick(&[IntCC::Ult, IntCC::Ult, IntCC::Ne, IntCC::Ugt]);
    BlockBuilder::new(0x5000).main(|b| {
        let i = b.local(I64);
        let accs: Vec<Local> =
            (0..count).map(|k| if miss_kind == 4 && k == 1 { b.local(I64) } else { b.local(ty) }).collect();
        let n = b.get_state(I64, N);
        let s0 = b.get_state(I64, START);
        b.local_set(i, s0);
        for (k, acc) in accs.iter().enumerate() {
            let t = if miss_kind == 4 && k == 1 { I64 } else { ty };
            let x = b.get_state(t, OUT + 24 + 8 * k as u32);
            b.local_set(*acc, x);
        }
        let (head, body, done) = (b.new_label(), b.new_label(), b.new_label());
        b.jump(head);
        b.bind(head);
        b.mark(0x5010);
        let iv = b.local_get(i);
        let c = if cc == IntCC::Ugt { b.icmp(cc, n, iv) } else { b.icmp(cc, iv, n) };
        b.brif(c, body, done);
        b.bind(body);
        for (k, acc) in accs.iter().enumerate() {
            b.mark(0x5020 + 4 * k as u64);
            let iv = b.local_get(i);
            let t = if miss_kind == 4 && k == 1 { I64 } else { ty };
            let how = match miss_kind {
                3 if k == 0 => Addr::Shl(shift + 1),
                _ => addrs[k],
            };
            let addr = address(b, rng, iv, how);
            let (lty, width) = if miss_kind == 5 && k == 0 { (t, t.bytes() as u8 / 2) } else { (t, t.bytes() as u8) };
            let v = b.load(lty, width, false, addr);
            let a = b.local_get(*acc);
            let op = if miss_kind == 2 && k == 0 { IntBinOp::Mul } else { ops[k] };
            let r = if acc_first { b.bin(op, a, v) } else { b.bin(op, v, a) };
            b.local_set(*acc, r);
        }
        match miss_kind {
            0 => {
                let iv = b.local_get(i);
                let a = b.local_get(accs[0]);
                b.store(1, iv, a);
            }
            1 => {
                let iv = b.local_get(i);
                b.set_state(OUT + 8, iv);
            }
            _ => {}
        }
        let iv = b.local_get(i);
        let one = b.iconst(I64, 1);
        let iv2 = b.add(iv, one);
        b.local_set(i, iv2);
        b.jump(head);
        b.bind(done);
        for (k, acc) in accs.iter().enumerate() {
            let a = b.local_get(*acc);
            b.set_state(OUT + 24 + 8 * k as u32, a);
        }
        let x = b.local_get(i);
        b.set_state(OUT + 16, x);
        b.exit_const(0x5040);
    })
}

/// Inputs aimed at the vector pass's edges: short loops (below one pass, odd), memory ending a
/// few elements into the loop, fuel a few iterations either side of a multiple of 1024, words
/// of all ones (wrapping sums).
fn reduction_input(rng: &mut Rng) -> Input {
    let start = if rng.chance(80) { rng.below(40) } else { u64::MAX - rng.below(40) };
    let iterations = match rng.below(4) {
        0 => rng.below(70),
        1 | 2 => rng.below(600),
        _ => rng.below(4000),
    };
    let mem_len = if rng.chance(25) {
        // Ends inside the loop's range.
        (start.min(100) + iterations / 2) as usize * 8 + rng.below(24) as usize
    } else {
        (start.min(100) + iterations) as usize * 8 + 64 + rng.below(64) as usize
    };
    let mut mem = random_bytes(rng, mem_len.min(40_000));
    if rng.chance(20) {
        mem.fill(0xff);
    }
    let mut state = random_bytes(rng, STATE_LEN);
    put(&mut state, START, start);
    put(&mut state, N, if rng.chance(5) { u64::MAX - rng.below(3) } else { start.wrapping_add(iterations) });
    put(&mut state, BASE, if rng.chance(80) { rng.below(48) } else { rng.next_u64() });
    let k = FUEL_CHECK_INTERVAL;
    let (fuel, interrupt) = match rng.below(8) {
        0 | 1 => (rng.below(700), rng.chance(25)),
        2..=4 => ((k * rng.range(1, 5) + rng.below(48)).wrapping_sub(24), rng.chance(40)),
        5 => (u64::MAX - rng.below(k + 100), rng.chance(50)),
        _ => (100_000 + rng.below(5000), false),
    };
    Input { state, mem, fuel, interrupt }
}

#[test]
fn random_vector_reductions_agree_with_the_interpreter() {
    let seed = env_u64("VMJIT_SEED").unwrap_or(DEFAULT_SEED) ^ 0x5e_c70e;
    let count = env_u64("VMJIT_FAST_LOOP_COUNT").unwrap_or(3000) / 3;
    eprintln!("vector reductions: VMJIT_SEED={seed:#x} blocks {count}");
    let mut backends = backends();
    let (mut vectorised, mut misses) = (0, 0);
    for index in 0..count {
        let mut rng = Rng::new(seed ^ index.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        let miss = rng.chance(25);
        let vb = verify(reduction_block(&mut rng, miss)).unwrap_or_else(|e| panic!("block {index} is invalid: {e}"));
        let plans = fast_loop::plan(&vb.block.main, &vb.main);
        let vector = plans.values().next().and_then(|p| p.vector.as_ref());
        if miss {
            misses += 1;
            assert!(vector.is_none(), "block {index}: a near miss was vectorised\n{}", print(&vb.block));
        } else {
            assert!(vector.is_some(), "block {index} was not vectorised\n{}", print(&vb.block));
            vectorised += 1;
        }
        for _ in 0..4 {
            let input = reduction_input(&mut rng);
            check(&mut backends, &vb, &input, &format!("reduction block {index} (VMJIT_SEED={seed:#x})"));
        }
    }
    eprintln!("vector reductions: {vectorised} vectorised, {misses} near misses left scalar");
}

/// The bench's sum kernel (bench/blocks.js, the README example): `acc += load.i64(i << 3)` with
/// the accumulator read again after the loop — a reduction, unlike `sum_words_block`'s.
fn bench_sum_block(ty: Type) -> Block {
    BlockBuilder::new(0x1000).main(|b| {
        let n = b.get_state(I64, 88);
        let (i, acc) = (b.local(I64), b.local(ty));
        let (head, body, done) = (b.new_label(), b.new_label(), b.new_label());
        b.jump(head);
        b.bind(head);
        let iv = b.local_get(i);
        let c = b.icmp(IntCC::Ult, iv, n);
        b.brif(c, body, done);
        b.bind(body);
        b.mark(0x1008);
        let a = b.local_get(acc);
        let iv = b.local_get(i);
        let shift = b.iconst(I64, ty.bytes().trailing_zeros() as u64);
        let addr = b.bin(IntBinOp::Shl, iv, shift);
        let w = b.load(ty, ty.bytes() as u8, false, addr);
        let s = b.add(a, w);
        b.local_set(acc, s);
        let iv = b.local_get(i);
        let one = b.iconst(I64, 1);
        let i2 = b.add(iv, one);
        b.local_set(i, i2);
        b.jump(head);
        b.bind(done);
        let a = b.local_get(acc);
        b.set_state(80, a);
        b.exit_const(0x1010);
    })
}

/// The vectorised sum (i64 and i32 elements): every n up to a few passes (odd ones, and ones
/// below a pass), fuel running out at every point around the first check points, memory ending
/// at every point of the range, and words of all ones so the sum wraps — with SIMD on and off.
#[test]
fn the_vectorised_sum_stops_exactly_where_the_interpreter_does() {
    let mut backends = backends();
    for ty in [I64, I32] {
        let vb = verify(bench_sum_block(ty)).unwrap();
        let plans = fast_loop::plan(&vb.block.main, &vb.main);
        assert!(plans.values().next().and_then(|p| p.vector.as_ref()).is_some(), "{ty:?} sum is vectorised");
        let w = ty.bytes() as usize;
        let state_for = |n: u64| {
            let mut state = vec![0u8; STATE_LEN];
            put(&mut state, 88, n);
            state
        };
        let counting: Vec<u8> = (0..3000 * w).map(|k| (k * 13 + k / 7) as u8).collect();
        for n in 0..100 {
            let input = Input { state: state_for(n), mem: counting.clone(), fuel: 10_000, interrupt: false };
            check(&mut backends, &vb, &input, &format!("{ty:?} n {n}"));
        }
        for fuel in (0..2200).step_by(3).chain(1000..1050).chain(2030..2070) {
            let input = Input { state: state_for(2500), mem: counting.clone(), fuel, interrupt: fuel % 5 == 0 };
            check(&mut backends, &vb, &input, &format!("{ty:?} fuel {fuel}"));
        }
        for mem_len in 0..(90 * w + 20) {
            let input = Input { state: state_for(90), mem: counting[..mem_len].to_vec(), fuel: 5000, interrupt: false };
            check(&mut backends, &vb, &input, &format!("{ty:?} memory {mem_len}"));
        }
        for n in [1000, 1023, 1024, 1025, 2999] {
            let input = Input { state: state_for(n), mem: vec![0xff; 3000 * w], fuel: u64::MAX, interrupt: false };
            check(&mut backends, &vb, &input, &format!("{ty:?} all ones, n {n}"));
        }
    }
}

/// `enableSimd` reaches the lowering: the x86_64 code of the sum has a vector add with it and
/// none without it.
#[cfg(target_arch = "x86_64")]
#[test]
fn the_vector_pass_follows_enable_simd() {
    let vb = verify(bench_sum_block(I64)).unwrap();
    let config = |enable_simd| BackendConfig { enable_simd, ..BackendConfig::with_opt_level(OptLevel::Speed) };
    let with = CraneliftBackend::new(config(true)).unwrap().disassemble(&vb).unwrap();
    let without = CraneliftBackend::new(config(false)).unwrap().disassemble(&vb).unwrap();
    assert!(with.contains("paddq"), "{with}");
    assert!(!without.contains("paddq"), "{without}");
}

//! Random *valid* IR blocks for the differential test (`tests/differential.rs`).
//!
//! Everything is driven by a small self-contained PRNG (`Rng`, splitmix64), so a seed reproduces a
//! block exactly. The generator builds blocks through `vm_jit_core::testing::BodyBuilder` and keeps
//! them valid by construction (docs/IR.md):
//!
//! - **Dominance / op order.** Usable values live in a stack of scopes (`Scopes`). Values defined on
//!   the "spine" of a body (outside any diamond arm or loop body) stay usable to its end; a diamond
//!   arm, a loop body and a stretch of dead code each push a scope that is popped when the region
//!   ends, so nothing defined inside one is used after it. Values cross regions through locals.
//!   Because every scope is a suffix of op order, "defined earlier in op order" holds everywhere,
//!   including in the unreachable code the generator sometimes emits.
//! - **Control flow.** Forward branches build diamonds (two arms or one) and skip over dead code;
//!   loops are bounded (a counter local decremented each iteration; top-tested with a `jump` back
//!   edge, or bottom-tested with a `brif` back edge on either side) or possibly unbounded (the
//!   back edge depends on a random value, or `jump` back unconditionally at the end of a body),
//!   which only fuel, a fault or an exit in a nested arm stops.
//! - **Exits.** Arms may end in `exit`/`halt`/`trap` (main) or an early `ret` (helpers); the main
//!   body ends in one of the three exits or an endless loop.
//! - **Helpers.** Up to 4 helpers with 0–4 (sometimes up to 24, so some go on the stack)
//!   parameters and an optional result; helper `k` calls only helpers below `k`. Small ones
//!   (inlined by the optimising tiers) and large ones (compiled standalone) are both generated,
//!   and calls are frequent inside loops. Bodies often read their locals before writing them
//!   (locals start at zero on every entry, also when inlined into a loop).
//! - **Operands** are biased toward edge cases: divisors 0, -1, MIN; shift amounts ≥ the width;
//!   NaNs with payloads, ±inf, ±0, huge values and conversion boundaries; memory addresses in
//!   range, at the exact boundary `len - w` / `len - w + 1`, huge, `2^64 - 1`, or computed.
//!   A few "hot" addresses and state offsets recur (plus a small delta), so loads read what
//!   stores wrote at overlapping widths (store-to-load forwarding in the optimiser).
//! - **Size.** Main bodies are usually 4–60 generator steps (about 2–3 ops each), now and then
//!   150–400 (register pressure, spills around calls).
//!
//! Guest state and memory contents come from `random_bytes`, which mixes random bytes with
//! "interesting" 8-byte words (0, -1, MIN patterns, NaNs, infinities…), so that `get_state`
//! and loads give run-time (not constant-foldable) edge-case operands too.

#![allow(dead_code)]

use vm_jit_core::ir::*;
use vm_jit_core::testing::{BlockBuilder, BodyBuilder};
use Type::*;

/// splitmix64: tiny, fast, and good enough to drive a test generator.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next_u64() % n
        }
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    pub fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len() as u64) as usize]
    }
}

/// The buffers the block will run against (the generator aims addresses and offsets at them).
#[derive(Clone, Copy, Debug)]
pub struct Env {
    pub state_len: u32,
    pub mem_len: u64,
}

/// A few guest addresses and state offsets that a block's bodies keep coming back to (plus a
/// small delta), so that loads read what stores wrote, at overlapping widths: store-to-load
/// forwarding and dead-store elimination in the optimiser get exercised.
#[derive(Clone, Copy, Debug)]
struct Hot {
    addrs: [u64; 3],
    offsets: [u32; 3],
}

const INTS: [Type; 4] = [I8, I16, I32, I64];
const FLOATS: [Type; 2] = [F32, F64];

fn min_of(t: Type) -> u64 {
    1u64 << (t.bits() - 1)
}

/// Interesting f64 bit patterns: specials, conversion boundaries, rounding ties.
const F64_SPECIAL: [u64; 34] = [
    0x0000_0000_0000_0000, // +0
    0x8000_0000_0000_0000, // -0
    0x3ff0_0000_0000_0000, // 1
    0xbff0_0000_0000_0000, // -1
    0x3fe0_0000_0000_0000, // 0.5
    0xbfe8_0000_0000_0000, // -0.75
    0x7ff0_0000_0000_0000, // +inf
    0xfff0_0000_0000_0000, // -inf
    0x7ff8_0000_0000_0000, // canonical NaN
    0x7ff0_0000_0000_0001, // signalling NaN
    0xfff8_0000_0000_1234, // negative quiet NaN with payload
    0x7fff_ffff_ffff_ffff, // NaN, all payload bits
    0x7fef_ffff_ffff_ffff, // MAX
    0x0010_0000_0000_0000, // MIN_POSITIVE
    0x0000_0000_0000_0001, // smallest subnormal
    0x41e0_0000_0000_0000, // 2^31
    0x41df_ffff_ffc0_0000, // 2^31 - 1
    0xc1e0_0000_0000_0000, // -2^31
    0xc1e0_0000_0020_0000, // -2^31 - 1
    0x41f0_0000_0000_0000, // 2^32
    0x41ef_ffff_ffff_0000, // 2^32 - 0.5 → 4294967295.5
    0x43e0_0000_0000_0000, // 2^63
    0xc3e0_0000_0000_0000, // -2^63
    0x43df_ffff_ffff_ffff, // largest below 2^63
    0x43f0_0000_0000_0000, // 2^64
    0x43ef_ffff_ffff_ffff, // largest below 2^64
    0x4415_af1d_78b5_8c40, // 1e20
    0x4630_0000_0000_0000, // 2^100
    0x47ef_ffff_e000_0000, // f32::MAX
    0x47ef_ffff_f000_0000, // halfway above f32::MAX (demotes to inf)
    0x3ff0_0000_1000_0000, // 1 + 2^-24: a demote tie
    0x3690_0000_0000_0000, // ~2^-150: demotes to 0 or the smallest subnormal
    0xc059_0000_0000_0000, // -100
    0x4024_0000_0000_0000, // 10
];

/// Interesting f32 bit patterns.
const F32_SPECIAL: [u32; 28] = [
    0x0000_0000, // +0
    0x8000_0000, // -0
    0x3f80_0000, // 1
    0xbf80_0000, // -1
    0x3f00_0000, // 0.5
    0xbf40_0000, // -0.75
    0x7f80_0000, // +inf
    0xff80_0000, // -inf
    0x7fc0_0000, // canonical NaN
    0x7f80_0001, // signalling NaN
    0xffc0_1234, // negative quiet NaN with payload
    0x7fff_ffff, // NaN, all payload bits
    0x7f7f_ffff, // MAX
    0x0080_0000, // MIN_POSITIVE
    0x0000_0001, // smallest subnormal
    0x4f00_0000, // 2^31
    0x4eff_ffff, // largest below 2^31
    0xcf00_0000, // -2^31
    0xcf00_0001, // below -2^31
    0x4f80_0000, // 2^32
    0x4f7f_ffff, // largest below 2^32
    0x5f00_0000, // 2^63
    0xdf00_0000, // -2^63
    0x5eff_ffff, // largest below 2^63
    0x5f80_0000, // 2^64
    0x4b80_0001, // 2^24 + 2
    0xc2c8_0000, // -100
    0x4120_0000, // 10
];

fn special_int(rng: &mut Rng, t: Type) -> u64 {
    let w = t.bits() as u64;
    let v = match rng.below(16) {
        0 => 0,
        1 => 1,
        2 => 2,
        3 => u64::MAX,      // -1
        4 => min_of(t),     // MIN
        5 => min_of(t) - 1, // MAX
        6 => min_of(t) + 1, // MIN + 1
        7 => w - 1,         // shift amounts
        8 => w,
        9 => w + 1,
        10 => rng.below(256), // small
        11 => rng.below(16).wrapping_neg(),
        12 => 1u64 << rng.below(w),
        _ => rng.next_u64(),
    };
    v & t.mask()
}

fn special_float(rng: &mut Rng, t: Type) -> u64 {
    match t {
        F32 => match rng.below(10) {
            0..=5 => rng.pick(&F32_SPECIAL) as u64,
            6 | 7 => ((rng.below(2001) as f32 - 1000.0) / 8.0).to_bits() as u64,
            _ => rng.next_u64() & 0xffff_ffff,
        },
        _ => match rng.below(10) {
            0..=5 => rng.pick(&F64_SPECIAL),
            6 | 7 => ((rng.below(2001) as f64 - 1000.0) / 8.0).to_bits(),
            _ => rng.next_u64(),
        },
    }
}

/// An interesting 8-byte word for guest state and memory contents.
fn interesting_word(rng: &mut Rng) -> u64 {
    match rng.below(12) {
        0 => 0,
        1 => u64::MAX,
        2 => rng.pick(&[0x80, 0xff, 0x8000, 0xffff, 0x8000_0000, 0xffff_ffff, 1 << 63, (1 << 63) - 1]),
        3 => rng.below(8),
        4 => rng.pick(&F64_SPECIAL),
        5 => {
            let lo = rng.pick(&F32_SPECIAL) as u64;
            let hi = rng.pick(&F32_SPECIAL) as u64;
            lo | hi << 32
        }
        6 => rng.below(64),   // a shift amount
        7 => rng.below(4096), // an in-range address
        _ => rng.next_u64(),
    }
}

/// `len` bytes: a mix of random bytes and interesting little-endian words.
pub fn random_bytes(rng: &mut Rng, len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        let w = if rng.chance(50) { interesting_word(rng) } else { rng.next_u64() };
        out.extend_from_slice(&w.to_le_bytes());
    }
    out.truncate(len);
    out
}

/// A helper's signature, as callers see it.
#[derive(Clone, Debug)]
struct Sig {
    params: Vec<Type>,
    result: Option<Type>,
}

/// Generates one random valid block to run against buffers of the sizes in `env`.
pub fn random_block(rng: &mut Rng, env: &Env) -> Block {
    let entry = match rng.below(4) {
        0 => 0x1000,
        1 => 0x8000_0000_0000_0000,
        _ => rng.next_u64() & !3,
    };
    let nfuncs = rng.pick(&[0, 0, 1, 1, 2, 2, 3, 4]);
    let hot = Hot {
        addrs: std::array::from_fn(|_| rng.below(env.mem_len.saturating_sub(7).max(1))),
        offsets: std::array::from_fn(|_| rng.below((env.state_len - 15) as u64) as u32),
    };
    let mut bb = BlockBuilder::new(entry);
    let mut sigs: Vec<Sig> = Vec::new();
    for _ in 0..nfuncs {
        // Sometimes many parameters: some are passed on the stack.
        let nparams = if rng.chance(10) { rng.range(5, 24) } else { rng.below(5) } as usize;
        let params: Vec<Type> = (0..nparams).map(|_| rng.pick(&Type::ALL)).collect();
        let result = if rng.chance(75) { Some(rng.pick(&Type::ALL)) } else { None };
        // Small helpers are inlined by the optimising tiers (budget 64 ops); large ones are not.
        let steps = if rng.chance(50) { rng.range(2, 12) } else { rng.range(30, 60) };
        let callees = sigs.clone();
        let sig = Sig { params: params.clone(), result };
        bb.func(&params, result, |f| BodyGen::new(rng, f, *env, hot, entry, Some(sig), callees).run(steps));
        sigs.push(Sig { params, result });
    }
    // Now and then a big body: many live values, spills around calls.
    let steps = if rng.chance(2) { rng.range(150, 400) } else { rng.range(4, 60) };
    bb.main(|m| BodyGen::new(rng, m, *env, hot, entry, None, sigs).run(steps))
}

/// The values usable at the current point, by type, with a stack of region starts.
struct Scopes {
    by_ty: [Vec<Value>; 6],
    marks: Vec<[usize; 6]>,
}

impl Scopes {
    fn push(&mut self) {
        self.marks.push(std::array::from_fn(|i| self.by_ty[i].len()));
    }

    fn pop(&mut self) {
        let m = self.marks.pop().expect("balanced scopes");
        for (v, n) in self.by_ty.iter_mut().zip(m) {
            v.truncate(n);
        }
    }
}

struct BodyGen<'a> {
    rng: &'a mut Rng,
    b: &'a mut BodyBuilder,
    env: Env,
    hot: Hot,
    /// `Some` in a helper (its signature); `None` in the main body.
    helper: Option<Sig>,
    callees: Vec<Sig>,
    scopes: Scopes,
    locals: Vec<(Local, Type)>,
    /// Ops left to generate (roughly).
    budget: u32,
    depth: u32,
    loops: u32,
    next_pc: u64,
}

impl<'a> BodyGen<'a> {
    fn new(
        rng: &'a mut Rng,
        b: &'a mut BodyBuilder,
        env: Env,
        hot: Hot,
        entry: u64,
        helper: Option<Sig>,
        callees: Vec<Sig>,
    ) -> BodyGen<'a> {
        let mut scopes = Scopes { by_ty: Default::default(), marks: Vec::new() };
        if let Some(sig) = &helper {
            for (i, t) in sig.params.iter().enumerate() {
                scopes.by_ty[t.code() as usize].push(b.param(i as u32));
            }
        }
        BodyGen {
            rng,
            b,
            env,
            hot,
            helper,
            callees,
            scopes,
            locals: Vec::new(),
            budget: 0,
            depth: 0,
            loops: 0,
            next_pc: entry,
        }
    }

    fn run(mut self, steps: u64) {
        for _ in 0..self.rng.below(5) {
            let t = self.rng.pick(&Type::ALL);
            let l = self.b.local(t);
            self.locals.push((l, t));
        }
        // Read locals before anything writes them (they start at zero on every entry, also when
        // a helper is inlined into a loop), and use that value.
        for (l, t) in self.locals.clone() {
            if self.rng.chance(60) {
                let v = self.b.local_get(l);
                self.define(v, t);
            }
        }
        self.budget = steps as u32;
        while self.budget > 0 {
            self.step();
        }
        // Leave some of the spine's values where the test can see them.
        for _ in 0..self.rng.range(1, 4) {
            self.observe_any();
        }
        if self.rng.chance(4) {
            self.endless_loop();
        } else {
            self.terminator();
        }
    }

    // ---- values ----------------------------------------------------------------------------

    fn define(&mut self, v: Value, t: Type) -> Value {
        self.scopes.by_ty[t.code() as usize].push(v);
        if self.rng.chance(30) {
            self.observe(v, t);
        }
        v
    }

    /// Write `v` to guest state (or, sometimes, to a local) so that the test sees it.
    fn observe(&mut self, v: Value, t: Type) {
        if self.rng.chance(15) {
            let l = self.local_of(t);
            self.b.local_set(l, v);
        } else {
            let off = self.state_offset(t.bytes());
            self.b.set_state(off, v);
        }
    }

    fn observe_any(&mut self) {
        let t = self.rng.pick(&Type::ALL);
        let v = self.val(t);
        self.observe(v, t);
    }

    /// A usable value of type `t`: usually a recent one, sometimes any, sometimes a new source.
    fn val(&mut self, t: Type) -> Value {
        let n = self.scopes.by_ty[t.code() as usize].len() as u64;
        if n == 0 || self.rng.chance(12) {
            return self.fresh(t);
        }
        let i = if self.rng.chance(60) { n - 1 - self.rng.below(n.min(4)) } else { self.rng.below(n) };
        self.scopes.by_ty[t.code() as usize][i as usize]
    }

    /// A new value of type `t` that needs no operands.
    fn fresh(&mut self, t: Type) -> Value {
        let v = match self.rng.below(10) {
            0..=5 => self.special_const(t),
            6..=8 => {
                let off = self.state_offset(t.bytes());
                self.b.get_state(t, off)
            }
            _ => {
                let l = self.local_of(t);
                self.b.local_get(l)
            }
        };
        self.scopes.by_ty[t.code() as usize].push(v);
        v
    }

    fn special_const(&mut self, t: Type) -> Value {
        let bits = if t.is_int() { special_int(self.rng, t) } else { special_float(self.rng, t) };
        self.b.op(Op::Const { ty: t, bits }).unwrap()
    }

    fn iconst(&mut self, t: Type, v: u64) -> Value {
        self.b.iconst(t, v)
    }

    /// A value that is an edge case at run time: read from a state word the test seeded (often
    /// 0, -1, MIN…), or a constant.
    fn edge_operand(&mut self, t: Type, consts: &[u64]) -> Value {
        match self.rng.below(10) {
            0..=4 => {
                let c = self.rng.pick(consts);
                self.iconst(t, c)
            }
            5..=6 => {
                // state words are 8-aligned little-endian: reading the low bytes of one
                let off = (self.rng.below((self.env.state_len / 8) as u64) * 8) as u32;
                self.b.get_state(t, off)
            }
            _ => self.val(t),
        }
    }

    fn local_of(&mut self, t: Type) -> Local {
        let have: Vec<Local> = self.locals.iter().filter(|(_, lt)| *lt == t).map(|(l, _)| *l).collect();
        if have.is_empty() || self.rng.chance(5) {
            let l = self.b.local(t);
            self.locals.push((l, t));
            l
        } else {
            self.rng.pick(&have)
        }
    }

    fn state_offset(&mut self, width: u32) -> u32 {
        let max = self.env.state_len - width;
        if self.rng.chance(30) {
            return self.rng.pick(&self.hot.offsets) + self.rng.below(8) as u32;
        }
        if self.rng.chance(60) {
            (self.rng.below((max / width + 1) as u64) as u32) * width
        } else {
            self.rng.range(0, max as u64) as u32
        }
    }

    /// An `i64` address for an access of `w` bytes: mostly in range, sometimes at or just past
    /// the end, huge, or computed at run time.
    fn address(&mut self, w: u32) -> Value {
        let len = self.env.mem_len;
        let w = w as u64;
        let r = self.rng.below(100);
        if len >= w && r < 30 {
            let a = (self.rng.pick(&self.hot.addrs) + self.rng.below(8)).min(len - w);
            return self.iconst(I64, a);
        }
        if len >= w && r < 72 {
            let a = self.rng.range(0, len - w);
            return self.iconst(I64, a);
        }
        if r < 84 {
            // computed: an i64 masked into (or just over) the memory size
            let x = self.val(I64);
            let mask = len.next_power_of_two().max(1) - 1;
            let m = self.iconst(I64, mask);
            return self.b.bin(IntBinOp::And, x, m);
        }
        let a = match self.rng.below(10) {
            0..=2 if len >= w => len - w,
            3..=5 => (len + 1).wrapping_sub(w),
            6 => len,
            7 => u64::MAX,
            8 => u64::MAX - w + 1 + self.rng.below(w),
            _ => {
                let r = self.rng.next_u64();
                self.rng.pick(&[1 << 63, 1 << 32, len + 4096, r])
            }
        };
        if self.rng.chance(30) {
            // the same address, read from state at run time (not constant-foldable)
            let off = self.state_offset(8);
            let c = self.iconst(I64, a);
            self.b.set_state(off, c);
            return self.b.get_state(I64, off);
        }
        self.iconst(I64, a)
    }

    fn mark(&mut self) {
        self.next_pc = self.next_pc.wrapping_add(4 * self.rng.range(1, 3));
        let pc = self.next_pc;
        self.b.mark(pc);
    }

    // ---- structure -------------------------------------------------------------------------

    fn step(&mut self) {
        self.budget = self.budget.saturating_sub(1);
        let nested_ok = self.depth < 3;
        match self.rng.below(100) {
            0..=6 if nested_ok => self.diamond(),
            7..=10 if nested_ok && self.loops < 2 => self.counted_loop(),
            11 if nested_ok && self.loops < 2 => self.maybe_endless_loop(),
            12 if nested_ok => self.dead_code(),
            13..=16 if !self.callees.is_empty() => self.call(),
            // calls in loops: an inlined helper's locals restart at zero on every iteration
            20..=29 if self.loops > 0 && !self.callees.is_empty() => self.call(),
            17..=19 => self.mark(),
            _ => self.simple(),
        }
    }

    /// `n` steps inside a new region (arm, loop body, dead code).
    fn region(&mut self, n: u64) {
        self.scopes.push();
        self.depth += 1;
        for _ in 0..n {
            self.step();
        }
        if self.rng.chance(50) {
            // carry a value out through a local
            let t = self.rng.pick(&Type::ALL);
            let v = self.val(t);
            let l = self.local_of(t);
            self.b.local_set(l, v);
        }
        self.depth -= 1;
        self.scopes.pop();
    }

    fn region_len(&mut self) -> u64 {
        let n = self.rng.range(0, 6).min(self.budget as u64 + 1);
        self.budget = self.budget.saturating_sub(n as u32);
        n
    }

    fn cond(&mut self) -> Value {
        match self.rng.below(3) {
            0 => {
                let t = self.rng.pick(&INTS);
                let (a, b) = (self.val(t), self.val(t));
                let cc = self.rng.pick(&IntCC::ALL);
                self.b.icmp(cc, a, b)
            }
            1 => {
                let t = self.rng.pick(&FLOATS);
                let (a, b) = (self.val(t), self.val(t));
                let cc = self.rng.pick(&FloatCC::ALL);
                self.b.fcmp(cc, a, b)
            }
            _ => {
                let t = self.rng.pick(&INTS);
                self.val(t)
            }
        }
    }

    /// An arm ends by jumping to the join (or falling into it when it is next), or leaves.
    fn end_arm(&mut self, join: Label, join_is_next: bool) {
        if self.rng.chance(15) {
            // values the terminator creates belong to the arm
            self.scopes.push();
            self.terminator();
            self.scopes.pop();
        } else if join_is_next && self.rng.chance(50) {
            // fall into the label
        } else {
            self.b.jump(join);
        }
    }

    fn diamond(&mut self) {
        let c = self.cond();
        let then_l = self.b.new_label();
        let join = self.b.new_label();
        if self.rng.chance(25) {
            // one arm
            if self.rng.chance(50) {
                self.b.brif(c, then_l, join);
            } else {
                // the arm runs when the condition is false
                self.b.brif(c, join, then_l);
            }
            self.b.bind(then_l);
            let n = self.region_len();
            self.region(n);
            self.end_arm(join, true);
        } else {
            let else_l = self.b.new_label();
            self.b.brif(c, then_l, else_l);
            self.b.bind(then_l);
            let n = self.region_len();
            self.region(n);
            self.end_arm(join, false);
            self.b.bind(else_l);
            let n = self.region_len();
            self.region(n);
            self.end_arm(join, true);
        }
        self.b.bind(join);
    }

    /// A loop that runs a counter local down to zero (so it ends unless fuel runs out first).
    fn counted_loop(&mut self) {
        self.loops += 1;
        let t = self.rng.pick(&INTS);
        let cnt = self.b.local(t);
        self.locals.push((cnt, t));
        let (head, exit) = (self.b.new_label(), self.b.new_label());
        match self.rng.below(3) {
            0 => {
                // top-tested: head: brif cnt, body, exit; body: …; cnt -= 1; jump head
                let n0 = self.rng.range(0, 5);
                let c0 = self.iconst(t, n0);
                self.b.local_set(cnt, c0);
                let body = self.b.new_label();
                self.b.bind(head);
                let c = self.b.local_get(cnt);
                self.b.brif(c, body, exit);
                self.b.bind(body);
                let n = self.region_len();
                self.region(n);
                self.decrement(cnt, t);
                self.b.jump(head);
            }
            k => {
                // bottom-tested, back edge on the brif's then (k = 1) or else (k = 2) side
                let n0 = self.rng.range(1, 5);
                let c0 = self.iconst(t, n0);
                self.b.local_set(cnt, c0);
                self.b.bind(head);
                let n = self.region_len();
                self.region(n);
                let d = self.decrement(cnt, t);
                if k == 1 {
                    self.b.brif(d, head, exit);
                } else {
                    let zero = self.iconst(t, 0);
                    let done = self.b.icmp(IntCC::Eq, d, zero);
                    self.b.brif(done, exit, head);
                }
            }
        }
        self.b.bind(exit);
        self.loops -= 1;
    }

    fn decrement(&mut self, cnt: Local, t: Type) -> Value {
        let c = self.b.local_get(cnt);
        let one = self.iconst(t, 1);
        let d = self.b.sub(c, one);
        self.b.local_set(cnt, d);
        d
    }

    /// A loop whose back edge depends on a random value: may run until fuel stops it.
    fn maybe_endless_loop(&mut self) {
        self.loops += 1;
        let (head, exit) = (self.b.new_label(), self.b.new_label());
        self.b.bind(head);
        self.scopes.push();
        let n = self.region_len();
        self.region(n);
        let c = self.cond();
        self.scopes.pop();
        if self.rng.chance(50) {
            self.b.brif(c, head, exit);
        } else {
            self.b.brif(c, exit, head);
        }
        self.b.bind(exit);
        self.loops -= 1;
    }

    /// Ends the body with `head: …; jump head`: only fuel, a fault or an exit in an arm leaves.
    fn endless_loop(&mut self) {
        let head = self.b.new_label();
        self.b.bind(head);
        self.loops += 1;
        let n = self.rng.range(1, 6);
        self.region(n);
        self.loops -= 1;
        self.b.jump(head);
    }

    /// `jump skip; dead: …; skip:` — code nothing reaches.
    fn dead_code(&mut self) {
        let (dead, skip) = (self.b.new_label(), self.b.new_label());
        self.b.jump(skip);
        self.b.bind(dead);
        let n = self.region_len();
        self.region(n);
        self.end_arm(skip, true);
        self.b.bind(skip);
    }

    fn call(&mut self) {
        let k = self.rng.below(self.callees.len() as u64) as usize;
        let sig = self.callees[k].clone();
        let args: Vec<Value> = sig.params.iter().map(|t| self.val(*t)).collect();
        if let Some(r) = self.b.call(k as FuncId, &args) {
            self.define(r, sig.result.unwrap());
        }
    }

    /// The end of a body or an arm: `exit`/`halt`/`trap` in main, `ret` in a helper.
    fn terminator(&mut self) {
        if let Some(r) = self.helper.as_ref().map(|s| s.result) {
            let v = r.map(|t| self.val(t));
            self.b.ret(v);
            return;
        }
        let pc = if self.rng.chance(60) {
            let pc = self.rng.next_u64();
            self.iconst(I64, pc)
        } else {
            self.val(I64)
        };
        match self.rng.below(10) {
            0..=5 => self.b.exit(pc),
            6 | 7 => self.b.halt(pc),
            _ => {
                let code = if self.rng.chance(50) { self.rng.below(16) as u32 } else { self.rng.next_u64() as u32 };
                self.b.trap(code, pc)
            }
        }
    }

    // ---- single ops ------------------------------------------------------------------------

    fn simple(&mut self) {
        match self.rng.below(110) {
            0..=4 => {
                let t = self.rng.pick(&Type::ALL);
                let v = self.special_const(t);
                self.define(v, t);
            }
            5..=9 => {
                let t = self.rng.pick(&Type::ALL);
                let off = self.state_offset(t.bytes());
                let v = self.b.get_state(t, off);
                self.define(v, t);
            }
            10..=15 => self.observe_any(),
            16..=21 => self.load(),
            22..=26 => self.store(),
            27..=29 => {
                let t = self.rng.pick(&Type::ALL);
                let l = self.local_of(t);
                let v = self.b.local_get(l);
                self.define(v, t);
            }
            30..=32 => {
                let t = self.rng.pick(&Type::ALL);
                let v = self.val(t);
                let l = self.local_of(t);
                self.b.local_set(l, v);
            }
            33..=52 => self.int_bin(),
            53..=57 => {
                let t = self.rng.pick(&INTS);
                let a = if self.rng.chance(30) { self.iconst(t, 0) } else { self.val(t) };
                let op = self.rng.pick(&IntUnOp::ALL);
                let v = self.b.un(op, a);
                self.define(v, t);
            }
            58..=62 => {
                let t = self.rng.pick(&INTS);
                let a = self.val(t);
                let b = if self.rng.chance(15) { a } else { self.val(t) };
                let cc = self.rng.pick(&IntCC::ALL);
                let v = self.b.icmp(cc, a, b);
                self.define(v, I8);
            }
            63..=66 => {
                let ct = self.rng.pick(&INTS);
                let c = self.val(ct);
                let t = self.rng.pick(&Type::ALL);
                let (a, b) = (self.val(t), self.val(t));
                let v = self.b.select(c, a, b);
                self.define(v, t);
            }
            67..=72 => self.ext(),
            73..=81 => {
                let t = self.rng.pick(&FLOATS);
                let (a, b) = (self.val(t), self.val(t));
                let op = self.rng.pick(&FloatBinOp::ALL);
                let v = self.b.fbin(op, a, b);
                self.define(v, t);
            }
            82..=84 => {
                let t = self.rng.pick(&FLOATS);
                let a = self.val(t);
                let op = self.rng.pick(&FloatUnOp::ALL);
                let v = self.b.fun(op, a);
                self.define(v, t);
            }
            85..=86 => {
                let t = self.rng.pick(&FLOATS);
                let (a, b, c) = (self.val(t), self.val(t), self.val(t));
                let v = self.b.fma(a, b, c);
                self.define(v, t);
            }
            87..=90 => {
                let t = self.rng.pick(&FLOATS);
                let a = self.val(t);
                let b = if self.rng.chance(15) { a } else { self.val(t) };
                let cc = self.rng.pick(&FloatCC::ALL);
                let v = self.b.fcmp(cc, a, b);
                self.define(v, I8);
            }
            91..=94 => {
                let from = self.rng.pick(&FLOATS);
                let to = self.rng.pick(&[I32, I64]);
                let a = if self.rng.chance(35) {
                    let bits =
                        if from == F32 { self.rng.pick(&F32_SPECIAL) as u64 } else { self.rng.pick(&F64_SPECIAL) };
                    self.b.op(Op::Const { ty: from, bits }).unwrap()
                } else {
                    self.val(from)
                };
                let signed = self.rng.chance(50);
                let v = self.b.fcvt_to_int(to, signed, a);
                self.define(v, to);
            }
            95..=98 => {
                let from = self.rng.pick(&[I32, I64]);
                let to = self.rng.pick(&FLOATS);
                let a = if self.rng.chance(30) {
                    let c = self.rng.pick(&[
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
                    ]);
                    self.iconst(from, c)
                } else {
                    self.val(from)
                };
                let signed = self.rng.chance(50);
                let v = self.b.fcvt_from_int(to, signed, a);
                self.define(v, to);
            }
            99..=101 => {
                if self.rng.chance(50) {
                    let a = self.val(F32);
                    let v = self.b.fpromote(a);
                    self.define(v, F64);
                } else {
                    let a = self.val(F64);
                    let v = self.b.fdemote(a);
                    self.define(v, F32);
                }
            }
            102..=104 => {
                let (from, to) = self.rng.pick(&[(I32, F32), (F32, I32), (I64, F64), (F64, I64)]);
                let a = self.val(from);
                let v = self.b.bitcast(to, a);
                self.define(v, to);
            }
            _ => {
                self.budget = self.budget.saturating_sub(1);
                self.mark()
            }
        }
    }

    fn int_bin(&mut self) {
        use IntBinOp::*;
        let t = self.rng.pick(&INTS);
        let op = self.rng.pick(&IntBinOp::ALL);
        let w = t.bits() as u64;
        let (a, b) = match op {
            Udiv | Sdiv | Urem | Srem => {
                let a = self.edge_operand(t, &[min_of(t), u64::MAX, 0, 7, min_of(t) - 1]);
                let b = self.edge_operand(t, &[0, 0, u64::MAX, u64::MAX, min_of(t), 1, 2, 3]);
                (a, b)
            }
            Shl | Ushr | Sshr | Rotl | Rotr => {
                let a = self.val(t);
                let amounts = [0, 1, w - 1, w, w + 1, 2 * w - 1, 2 * w, 3 * w + 3, 255, u64::MAX, 1 << 63 | 1];
                let b = self.edge_operand(t, &amounts);
                (a, b)
            }
            Umulhi | Smulhi | Sumulhi | Mul => {
                let consts = [min_of(t), u64::MAX, min_of(t) - 1, 2, 3];
                let a = if self.rng.chance(30) { self.edge_operand(t, &consts) } else { self.val(t) };
                let b = if self.rng.chance(30) { self.edge_operand(t, &consts) } else { self.val(t) };
                (a, b)
            }
            _ => (self.val(t), self.val(t)),
        };
        let v = self.b.bin(op, a, b);
        self.define(v, t);
    }

    fn ext(&mut self) {
        match self.rng.below(3) {
            k @ (0 | 1) => {
                let from = self.rng.pick(&[I8, I16, I32]);
                let wider: Vec<Type> = INTS.iter().copied().filter(|t| t.bits() > from.bits()).collect();
                let to = self.rng.pick(&wider);
                let a = self.val(from);
                let v = if k == 0 { self.b.zext(to, a) } else { self.b.sext(to, a) };
                self.define(v, to);
            }
            _ => {
                let from = self.rng.pick(&[I16, I32, I64]);
                let narrower: Vec<Type> = INTS.iter().copied().filter(|t| t.bits() < from.bits()).collect();
                let to = self.rng.pick(&narrower);
                let a = self.val(from);
                let v = self.b.trunc(to, a);
                self.define(v, to);
            }
        }
    }

    fn load(&mut self) {
        let t = self.rng.pick(&Type::ALL);
        let (w, signed) = if t.is_float() {
            (t.bytes(), false)
        } else {
            let ws: Vec<u32> = [1, 2, 4, 8].into_iter().filter(|w| *w <= t.bytes()).collect();
            (self.rng.pick(&ws), self.rng.chance(50))
        };
        let addr = self.address(w);
        let v = self.b.load(t, w as u8, signed, addr);
        self.define(v, t);
    }

    fn store(&mut self) {
        let t = self.rng.pick(&Type::ALL);
        let w = if t.is_float() {
            t.bytes()
        } else {
            let ws: Vec<u32> = [1, 2, 4, 8].into_iter().filter(|w| *w <= t.bytes()).collect();
            self.rng.pick(&ws)
        };
        let v = self.val(t);
        let addr = self.address(w);
        self.b.store(w as u8, addr, v);
    }
}

/// A number from the environment (decimal, or hex with 0x; `_` separators allowed): seeds, counts.
#[allow(dead_code)]
pub fn env_u64(name: &str) -> Option<u64> {
    let s = std::env::var(name).ok()?;
    let s = s.trim().replace('_', "");
    let v = match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => s.parse(),
    };
    Some(v.unwrap_or_else(|_| panic!("{name}={s:?} is not a number")))
}

/// Each block has its own generator stream, so one block can be rerun alone.
#[allow(dead_code)]
pub fn block_rng(seed: u64, index: u64) -> Rng {
    let mut r = Rng::new(seed ^ index.wrapping_mul(0xd6e8_feb8_6659_fd93));
    r.next_u64();
    r
}

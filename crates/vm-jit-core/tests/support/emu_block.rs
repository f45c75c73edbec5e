//! Random *emulator-like* blocks for the optimiser's differential test: what a naive RISC-V
//! translator emits. Guest registers `x0..x15` live in the state buffer (`x_k` at offset 8k);
//! every guest instruction starts with a `mark`, reads its source registers with `get_state`,
//! computes, and writes its destination with `set_state`. Loads and stores address
//! `x_base + imm` with small immediates (so the same address is computed again and again from
//! different SSA values), 32-bit ops truncate and sign-extend, and some blocks are loops on a
//! counter register (back edges: fuel). `emu_block` also returns state words to preset so that a
//! few base registers hold in-range addresses.
//!
//! Everything the forwarding passes look for appears often here, unlike in the general random
//! blocks of `random_block.rs`.

#![allow(dead_code)]

use super::random_block::Rng;
use vm_jit_core::ir::*;
use vm_jit_core::testing::{BlockBuilder, BodyBuilder};
use Type::*;

pub const NREGS: u32 = 16;

fn reg(k: u32) -> u32 {
    8 * k
}

/// A block and the `(state offset, value)` words to preset before running it.
pub fn emu_block(rng: &mut Rng, mem_len: u64) -> (Block, Vec<(u32, u64)>) {
    let entry = 0x1_0000 + 4 * rng.below(0x1000);
    // x2 (sp) and x3 (gp) point into memory; x4 sometimes too
    let mut presets = vec![(reg(2), rng.below(mem_len.max(1))), (reg(3), rng.below(mem_len.max(1)))];
    if rng.chance(50) {
        presets.push((reg(4), rng.below(mem_len.max(1))));
    }
    let n = rng.range(3, 40) as u32;
    let looped = rng.chance(25);
    let block = BlockBuilder::new(entry).main(|m| {
        let mut g = Gen { rng, m, pc: entry, labels: Vec::new() };
        // x15 counts iterations down (preset below: small)
        let head = looped.then(|| g.m.new_label());
        if let Some(head) = head {
            g.m.bind(head);
        }
        for _ in 0..n {
            g.insn();
        }
        g.m.mark(g.pc);
        if let Some(head) = head {
            let c = g.m.get_state(I64, reg(15));
            let one = g.m.iconst(I64, 1);
            let d = g.m.sub(c, one);
            g.m.set_state(reg(15), d);
            let out = g.m.new_label();
            g.m.brif(d, head, out);
            g.m.bind(out);
        }
        let pc = g.pc + 4;
        g.m.exit_const(pc);
    });
    if looped {
        presets.push((reg(15), rng.range(1, 6)));
    }
    (block, presets)
}

struct Gen<'a> {
    rng: &'a mut Rng,
    m: &'a mut BodyBuilder,
    pc: u64,
    labels: Vec<Label>,
}

impl Gen<'_> {
    fn rs(&mut self) -> Value {
        let k = self.rng.below(NREGS as u64) as u32;
        self.m.get_state(I64, reg(k))
    }

    fn rd(&mut self, v: Value) {
        let k = 1 + self.rng.below(NREGS as u64 - 2) as u32; // not x0, not the loop counter
        self.m.set_state(reg(k), v);
    }

    fn imm(&mut self) -> Value {
        let v = match self.rng.below(6) {
            0 => 0,
            1 => 1,
            2 => u64::MAX, // -1
            3 => self.rng.below(64),
            4 => self.rng.below(4096).wrapping_sub(2048),
            _ => self.rng.next_u64(),
        };
        self.m.iconst(I64, v)
    }

    /// `x_base + imm`: a base register that holds an address, a small offset.
    fn address(&mut self) -> Value {
        let base = self.rng.pick(&[2, 2, 3, 3, 4, 5]);
        let b = self.m.get_state(I64, reg(base));
        let off = self.rng.pick(&[0u64, 0, 4, 8, 8, 12, 16, 1, 2, 3, 7]);
        let o = self.m.iconst(I64, off);
        self.m.add(b, o)
    }

    fn insn(&mut self) {
        self.m.mark(self.pc);
        self.pc += 4;
        use IntBinOp::*;
        match self.rng.below(20) {
            0..=4 => {
                let op = self.rng.pick(&[Add, Sub, And, Or, Xor, Shl, Ushr, Sshr, Mul, Add, Add]);
                let (a, b) = (self.rs(), self.rs());
                let v = self.m.bin(op, a, b);
                self.rd(v);
            }
            5..=8 => {
                let op = self.rng.pick(&[Add, Add, And, Or, Xor, Shl, Ushr, Sshr]);
                let a = self.rs();
                let i = self.imm();
                let v = self.m.bin(op, a, i);
                self.rd(v);
            }
            9 => {
                // addw: 32-bit add, sign-extended
                let (a, b) = (self.rs(), self.rs());
                let (a32, b32) = (self.m.trunc(I32, a), self.m.trunc(I32, b));
                let s = self.m.add(a32, b32);
                let v = self.m.sext(I64, s);
                self.rd(v);
            }
            10 => {
                // slt / sltu
                let (a, b) = (self.rs(), self.rs());
                let cc = self.rng.pick(&[IntCC::Slt, IntCC::Ult]);
                let c = self.m.icmp(cc, a, b);
                let v = self.m.zext(I64, c);
                self.rd(v);
            }
            11 => {
                // li / lui
                let i = self.imm();
                self.rd(i);
            }
            12..=15 => {
                let (w, signed) =
                    self.rng.pick(&[(1u8, true), (1, false), (2, true), (2, false), (4, true), (4, false), (8, false)]);
                let a = self.address();
                let v = self.m.load(I64, w, signed, a);
                self.rd(v);
            }
            16..=18 => {
                let w = self.rng.pick(&[1u8, 2, 4, 8, 8]);
                let a = self.address();
                let v = self.rs();
                self.m.store(w, a, v);
            }
            _ => {
                // a conditional branch out of the block: beq/bne/blt rs1, rs2, target
                let (a, b) = (self.rs(), self.rs());
                let cc = self.rng.pick(&[IntCC::Eq, IntCC::Ne, IntCC::Slt, IntCC::Uge]);
                let c = self.m.icmp(cc, a, b);
                let (taken, fall) = (self.m.new_label(), self.m.new_label());
                self.m.brif(c, taken, fall);
                self.m.bind(taken);
                let target = self.pc.wrapping_add(self.rng.below(64) * 4);
                self.m.exit_const(target);
                self.m.bind(fall);
                self.labels.push(fall);
            }
        }
    }
}

//! Encoding of a block to the binary IR (docs/IR.md, "Binary encoding"): the inverse of
//! `decode`, so that Rust-side passes can hand a block back to JavaScript.
//!
//! `decode(&encode(b)) == b` for every block whose `ret` operands match their helper's result
//! (present iff the helper has one), which every verified block satisfies: the encoding of `ret`
//! depends on the helper's signature, so a `ret` that breaks that rule cannot round-trip.
//! LEB128 numbers are written in their minimal form.

use super::decode::{MAGIC, NO_RESULT, VERSION};
use super::op::*;

pub fn encode(block: &Block) -> Vec<u8> {
    let mut w = Writer { out: Vec::with_capacity(32 + 4 * block.main.ops.len()) };
    w.out.extend_from_slice(MAGIC);
    w.out.extend_from_slice(&VERSION.to_le_bytes());
    w.out.extend_from_slice(&0u16.to_le_bytes());
    w.out.extend_from_slice(&block.pc.to_le_bytes());
    w.uleb(block.funcs.len() as u32);
    for f in &block.funcs {
        w.uleb(f.params.len() as u32);
        for t in &f.params {
            w.out.push(t.code());
        }
        w.out.push(f.result.map_or(NO_RESULT, |t| t.code()));
        w.body(&f.body);
    }
    w.body(&block.main);
    w.out
}

/// Append `v` as unsigned LEB128 (minimal form).
pub fn write_uleb(out: &mut Vec<u8>, mut v: u32) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

struct Writer {
    out: Vec<u8>,
}

impl Writer {
    fn uleb(&mut self, v: u32) {
        write_uleb(&mut self.out, v);
    }

    fn u64(&mut self, v: u64) {
        self.out.extend_from_slice(&v.to_le_bytes());
    }

    fn body(&mut self, body: &Body) {
        self.uleb(body.locals.len() as u32);
        for t in &body.locals {
            self.out.push(t.code());
        }
        self.uleb(body.num_labels);
        self.uleb(body.ops.len() as u32);
        for op in &body.ops {
            self.op(op);
        }
    }

    fn op(&mut self, op: &Op) {
        let o = &mut self.out;
        match op {
            Op::Const { ty, bits } => {
                o.extend([0x01, ty.code()]);
                self.u64(*bits);
            }
            Op::GetState { ty, offset } => {
                o.extend([0x02, ty.code()]);
                self.uleb(*offset);
            }
            Op::SetState { offset, value } => {
                o.push(0x03);
                self.uleb(*offset);
                self.uleb(*value);
            }
            Op::Load { ty, width, signed, addr } => {
                o.extend([0x04, ty.code(), *width, *signed as u8]);
                self.uleb(*addr);
            }
            Op::Store { width, addr, value } => {
                o.extend([0x05, *width]);
                self.uleb(*addr);
                self.uleb(*value);
            }
            Op::LocalGet { local } => {
                o.push(0x06);
                self.uleb(*local);
            }
            Op::LocalSet { local, value } => {
                o.push(0x07);
                self.uleb(*local);
                self.uleb(*value);
            }
            Op::Mark { pc } => {
                o.push(0x08);
                self.u64(*pc);
            }
            Op::IntBin { op, a, b } => {
                o.push(op.opcode());
                self.uleb(*a);
                self.uleb(*b);
            }
            Op::IntUn { op, a } => {
                o.push(op.opcode());
                self.uleb(*a);
            }
            Op::Icmp { cc, a, b } => {
                o.extend([0x30, *cc as u8]);
                self.uleb(*a);
                self.uleb(*b);
            }
            Op::Select { cond, a, b } => {
                o.push(0x31);
                self.uleb(*cond);
                self.uleb(*a);
                self.uleb(*b);
            }
            Op::Ext { kind, ty, a } => {
                let opcode = match kind {
                    ExtKind::Zext => 0x32,
                    ExtKind::Sext => 0x33,
                    ExtKind::Trunc => 0x34,
                };
                o.extend([opcode, ty.code()]);
                self.uleb(*a);
            }
            Op::FloatBin { op, a, b } => {
                o.push(op.opcode());
                self.uleb(*a);
                self.uleb(*b);
            }
            Op::FloatUn { op, a } => {
                o.push(op.opcode());
                self.uleb(*a);
            }
            Op::Fma { a, b, c } => {
                o.push(0x4B);
                self.uleb(*a);
                self.uleb(*b);
                self.uleb(*c);
            }
            Op::Fcmp { cc, a, b } => {
                o.extend([0x4C, *cc as u8]);
                self.uleb(*a);
                self.uleb(*b);
            }
            Op::FcvtToInt { ty, signed, a } => {
                o.extend([if *signed { 0x50 } else { 0x51 }, ty.code()]);
                self.uleb(*a);
            }
            Op::FcvtFromInt { ty, signed, a } => {
                o.extend([if *signed { 0x52 } else { 0x53 }, ty.code()]);
                self.uleb(*a);
            }
            Op::Fpromote { a } => {
                o.push(0x54);
                self.uleb(*a);
            }
            Op::Fdemote { a } => {
                o.push(0x55);
                self.uleb(*a);
            }
            Op::Bitcast { ty, a } => {
                o.extend([0x56, ty.code()]);
                self.uleb(*a);
            }
            Op::Label { label } => {
                o.push(0x60);
                self.uleb(*label);
            }
            Op::Jump { label } => {
                o.push(0x61);
                self.uleb(*label);
            }
            Op::Brif { cond, then_label, else_label } => {
                o.push(0x62);
                self.uleb(*cond);
                self.uleb(*then_label);
                self.uleb(*else_label);
            }
            Op::Exit { pc } => {
                o.push(0x63);
                self.uleb(*pc);
            }
            Op::Halt { pc } => {
                o.push(0x64);
                self.uleb(*pc);
            }
            Op::Trap { code, pc } => {
                o.push(0x65);
                self.uleb(*code);
                self.uleb(*pc);
            }
            Op::Call { func, args } => {
                o.push(0x66);
                self.uleb(*func);
                self.uleb(args.len() as u32);
                for a in args {
                    self.uleb(*a);
                }
            }
            Op::Ret { value } => {
                o.push(0x67);
                if let Some(v) = value {
                    self.uleb(*v);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::decode::decode;
    use crate::ir::types::Type;

    /// One op of every kind (and every sub-op), in a block with helpers: the full opcode table.
    fn every_op_block() -> Block {
        let mut ops = vec![
            Op::Const { ty: Type::I64, bits: 0x1234_5678_9abc_def0 },
            Op::Const { ty: Type::F32, bits: 0x3fc0_0000 },
            Op::GetState { ty: Type::I32, offset: 300 },
            Op::SetState { offset: (1 << 24) - 1, value: 2 },
            Op::Load { ty: Type::I64, width: 4, signed: true, addr: 0 },
            Op::Load { ty: Type::F64, width: 8, signed: false, addr: 0 },
            Op::Store { width: 2, addr: 0, value: 2 },
            Op::LocalGet { local: 1 },
            Op::LocalSet { local: 0, value: 0 },
            Op::Mark { pc: u64::MAX },
        ];
        ops.extend(IntBinOp::ALL.iter().map(|&op| Op::IntBin { op, a: 0, b: 200 }));
        ops.extend(IntUnOp::ALL.iter().map(|&op| Op::IntUn { op, a: 0 }));
        ops.extend(IntCC::ALL.iter().map(|&cc| Op::Icmp { cc, a: 0, b: 0 }));
        ops.push(Op::Select { cond: 1, a: 2, b: 3 });
        for kind in [ExtKind::Zext, ExtKind::Sext, ExtKind::Trunc] {
            ops.push(Op::Ext { kind, ty: Type::I16, a: 128 });
        }
        ops.extend(FloatBinOp::ALL.iter().map(|&op| Op::FloatBin { op, a: 1, b: 1 }));
        ops.extend(FloatUnOp::ALL.iter().map(|&op| Op::FloatUn { op, a: 1 }));
        ops.push(Op::Fma { a: 1, b: 1, c: 1 });
        ops.extend(FloatCC::ALL.iter().map(|&cc| Op::Fcmp { cc, a: 1, b: 1 }));
        for signed in [true, false] {
            ops.push(Op::FcvtToInt { ty: Type::I32, signed, a: 1 });
            ops.push(Op::FcvtFromInt { ty: Type::F64, signed, a: 0 });
        }
        ops.extend([
            Op::Fpromote { a: 1 },
            Op::Fdemote { a: 5 },
            Op::Bitcast { ty: Type::I32, a: 1 },
            Op::Call { func: 0, args: vec![0, 16_384] },
            Op::Call { func: 1, args: vec![] },
            Op::Label { label: 0 },
            Op::Jump { label: 0 },
            Op::Brif { cond: 1, then_label: 0, else_label: 70_000 },
            Op::Exit { pc: 0 },
            Op::Halt { pc: 0 },
            Op::Trap { code: u32::MAX, pc: 0 },
        ]);
        Block {
            pc: 0x8000_0000,
            funcs: vec![
                Function {
                    params: vec![Type::I64, Type::F64],
                    result: Some(Type::I64),
                    body: Body { locals: vec![Type::I8], num_labels: 1, ops: vec![Op::Ret { value: Some(0) }] },
                },
                Function {
                    params: vec![],
                    result: None,
                    body: Body { locals: vec![], num_labels: 0, ops: vec![Op::Ret { value: None }] },
                },
            ],
            main: Body { locals: vec![Type::I64, Type::F32], num_labels: 3, ops },
        }
    }

    #[test]
    fn round_trips_every_op() {
        let block = every_op_block();
        let bytes = encode(&block);
        assert_eq!(&bytes[..4], b"VJIR");
        assert_eq!(decode(&bytes).unwrap(), block);
        // and re-encoding is byte-identical
        assert_eq!(encode(&decode(&bytes).unwrap()), bytes);
    }

    #[test]
    fn round_trips_the_readme_example() {
        let block = crate::testing::sum_words_block();
        assert_eq!(decode(&encode(&block)).unwrap(), block);
    }

    #[test]
    fn exact_bytes_of_a_small_block() {
        let block = Block {
            pc: 0x1000,
            funcs: vec![],
            main: Body {
                locals: vec![Type::I64],
                num_labels: 0,
                ops: vec![Op::Const { ty: Type::I64, bits: 0x1010 }, Op::Exit { pc: 0 }],
            },
        };
        let mut expect = b"VJIR".to_vec();
        expect.extend([1, 0, 0, 0]);
        expect.extend([0x00, 0x10, 0, 0, 0, 0, 0, 0]);
        expect.extend([0, 1, 3, 0, 2]);
        expect.extend([0x01, 3, 0x10, 0x10, 0, 0, 0, 0, 0, 0]);
        expect.extend([0x63, 0]);
        assert_eq!(encode(&block), expect);
    }

    #[test]
    fn leb_is_minimal() {
        let cases: [(u32, &[u8]); 5] = [
            (0, &[0]),
            (127, &[0x7f]),
            (128, &[0x80, 0x01]),
            (16_384, &[0x80, 0x80, 0x01]),
            (u32::MAX, &[0xff, 0xff, 0xff, 0xff, 0x0f]),
        ];
        for (v, bytes) in cases {
            let mut out = vec![];
            write_uleb(&mut out, v);
            assert_eq!(out, bytes, "{v}");
        }
    }

    #[test]
    fn round_trips_random_blocks() {
        // Random (not necessarily valid) op soups: decode(encode(b)) == b.
        let mut seed = 0x2545f4914f6cdd1du64;
        let mut rnd = |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        let all = every_op_block().main.ops;
        for _ in 0..100 {
            let n = rnd(50) as usize;
            let mut ops = vec![];
            for _ in 0..n {
                let mut op = all[rnd(all.len() as u64) as usize].clone();
                if let Op::Const { bits, .. } = &mut op {
                    *bits = rnd(u64::MAX);
                }
                ops.push(op);
            }
            let block = Block {
                pc: rnd(u64::MAX),
                funcs: vec![],
                main: Body { locals: vec![Type::F64; rnd(4) as usize], num_labels: rnd(1000) as u32, ops },
            };
            assert_eq!(decode(&encode(&block)).unwrap(), block);
        }
    }
}

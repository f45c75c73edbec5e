//! Concise construction of IR blocks in Rust, for tests (interpreter, verifier, lowering,
//! passes) and benchmarks. Compiled for this crate's own tests and, for other crates (the napi
//! binding's tests, benches), with the `testing` cargo feature:
//! `vm-jit-core = { path = "…", features = ["testing"] }` under `[dev-dependencies]`.
//!
//! The builder does no checking: it numbers values exactly as docs/IR.md does (ids count from 0
//! per body, helper parameters first, a `call` defines a value iff the callee has a result), so
//! it can build invalid blocks for verifier tests as easily as valid ones.
//!
//! ```ignore (needs the `testing` feature)
//! use vm_jit_core::ir::Type::*;
//! use vm_jit_core::testing::BlockBuilder;
//!
//! let mut bb = BlockBuilder::new(0x1000);
//! let double = bb.func(&[I64], Some(I64), |f| {
//!     let x = f.add(f.param(0), f.param(0));
//!     f.ret(Some(x));
//! });
//! let block = bb.main(|m| {
//!     let x = m.get_state(I64, 8);
//!     let y = m.call(double, &[x]).unwrap();
//!     m.set_state(8, y);
//!     m.exit_const(0x1004);
//! });
//! ```

use std::sync::atomic::AtomicU32;

use crate::exec::RunOutcome;
use crate::ir::*;

/// Builds a block: helpers first (`func`), then the main body (`main`, which returns the block).
pub struct BlockBuilder {
    pc: u64,
    funcs: Vec<Function>,
}

impl BlockBuilder {
    pub fn new(pc: u64) -> BlockBuilder {
        BlockBuilder { pc, funcs: Vec::new() }
    }

    /// Add helper function `fn k` (k = the number of helpers so far) and return k. Its
    /// parameters are values `0..params.len()` (`f.param(i)`).
    pub fn func(&mut self, params: &[Type], result: Option<Type>, build: impl FnOnce(&mut BodyBuilder)) -> FuncId {
        let mut b = BodyBuilder::new(params.len() as u32, self.funcs.iter().map(|f| f.result).collect());
        build(&mut b);
        self.funcs.push(Function { params: params.to_vec(), result, body: b.body });
        (self.funcs.len() - 1) as FuncId
    }

    /// Build the main body and return the finished block.
    pub fn main(self, build: impl FnOnce(&mut BodyBuilder)) -> Block {
        let mut b = BodyBuilder::new(0, self.funcs.iter().map(|f| f.result).collect());
        build(&mut b);
        Block { pc: self.pc, funcs: self.funcs, main: b.body }
    }
}

/// Appends ops to one body. Methods of value-producing ops return the new value's id.
pub struct BodyBuilder {
    body: Body,
    next_value: Value,
    func_results: Vec<Option<Type>>,
}

impl BodyBuilder {
    fn new(nparams: u32, func_results: Vec<Option<Type>>) -> BodyBuilder {
        BodyBuilder { body: Body::default(), next_value: nparams, func_results }
    }

    /// The body built so far.
    pub fn body(&self) -> &Body {
        &self.body
    }

    /// Append any op (valid or not); returns the value it defines, if any.
    pub fn op(&mut self, op: Op) -> Option<Value> {
        let defines = match &op {
            Op::Call { func, .. } => self.func_results.get(*func as usize).is_some_and(|r| r.is_some()),
            other => verify::defines_value(other, &[]),
        };
        self.body.ops.push(op);
        if defines {
            self.next_value += 1;
            Some(self.next_value - 1)
        } else {
            None
        }
    }

    fn val(&mut self, op: Op) -> Value {
        self.op(op).expect("this op defines a value")
    }

    /// Parameter `i` of the helper being built (value id `i`).
    pub fn param(&self, i: u32) -> Value {
        i
    }

    /// Declare a local of type `ty`.
    pub fn local(&mut self, ty: Type) -> Local {
        self.body.locals.push(ty);
        (self.body.locals.len() - 1) as Local
    }

    /// Declare a label (bind it with `bind`).
    pub fn new_label(&mut self) -> Label {
        self.body.num_labels += 1;
        self.body.num_labels - 1
    }

    /// Bind `label` here (a `label` op).
    pub fn bind(&mut self, label: Label) {
        self.op(Op::Label { label });
    }

    /// Integer constant, masked to `ty`'s width (so `iconst(I32, -1i64 as u64)` is 0xffffffff).
    pub fn iconst(&mut self, ty: Type, v: u64) -> Value {
        self.val(Op::Const { ty, bits: v & ty.mask() })
    }

    pub fn f32const(&mut self, v: f32) -> Value {
        self.val(Op::Const { ty: Type::F32, bits: v.to_bits() as u64 })
    }

    pub fn f64const(&mut self, v: f64) -> Value {
        self.val(Op::Const { ty: Type::F64, bits: v.to_bits() })
    }

    pub fn get_state(&mut self, ty: Type, offset: u32) -> Value {
        self.val(Op::GetState { ty, offset })
    }

    pub fn set_state(&mut self, offset: u32, value: Value) {
        self.op(Op::SetState { offset, value });
    }

    pub fn load(&mut self, ty: Type, width: u8, signed: bool, addr: Value) -> Value {
        self.val(Op::Load { ty, width, signed, addr })
    }

    pub fn store(&mut self, width: u8, addr: Value, value: Value) {
        self.op(Op::Store { width, addr, value });
    }

    pub fn local_get(&mut self, local: Local) -> Value {
        self.val(Op::LocalGet { local })
    }

    pub fn local_set(&mut self, local: Local, value: Value) {
        self.op(Op::LocalSet { local, value });
    }

    pub fn mark(&mut self, pc: u64) {
        self.op(Op::Mark { pc });
    }

    pub fn bin(&mut self, op: IntBinOp, a: Value, b: Value) -> Value {
        self.val(Op::IntBin { op, a, b })
    }

    pub fn add(&mut self, a: Value, b: Value) -> Value {
        self.bin(IntBinOp::Add, a, b)
    }

    pub fn sub(&mut self, a: Value, b: Value) -> Value {
        self.bin(IntBinOp::Sub, a, b)
    }

    pub fn mul(&mut self, a: Value, b: Value) -> Value {
        self.bin(IntBinOp::Mul, a, b)
    }

    pub fn un(&mut self, op: IntUnOp, a: Value) -> Value {
        self.val(Op::IntUn { op, a })
    }

    pub fn icmp(&mut self, cc: IntCC, a: Value, b: Value) -> Value {
        self.val(Op::Icmp { cc, a, b })
    }

    pub fn select(&mut self, cond: Value, a: Value, b: Value) -> Value {
        self.val(Op::Select { cond, a, b })
    }

    pub fn zext(&mut self, ty: Type, a: Value) -> Value {
        self.val(Op::Ext { kind: ExtKind::Zext, ty, a })
    }

    pub fn sext(&mut self, ty: Type, a: Value) -> Value {
        self.val(Op::Ext { kind: ExtKind::Sext, ty, a })
    }

    pub fn trunc(&mut self, ty: Type, a: Value) -> Value {
        self.val(Op::Ext { kind: ExtKind::Trunc, ty, a })
    }

    pub fn fbin(&mut self, op: FloatBinOp, a: Value, b: Value) -> Value {
        self.val(Op::FloatBin { op, a, b })
    }

    pub fn fun(&mut self, op: FloatUnOp, a: Value) -> Value {
        self.val(Op::FloatUn { op, a })
    }

    pub fn fma(&mut self, a: Value, b: Value, c: Value) -> Value {
        self.val(Op::Fma { a, b, c })
    }

    pub fn fcmp(&mut self, cc: FloatCC, a: Value, b: Value) -> Value {
        self.val(Op::Fcmp { cc, a, b })
    }

    pub fn fcvt_to_int(&mut self, ty: Type, signed: bool, a: Value) -> Value {
        self.val(Op::FcvtToInt { ty, signed, a })
    }

    pub fn fcvt_from_int(&mut self, ty: Type, signed: bool, a: Value) -> Value {
        self.val(Op::FcvtFromInt { ty, signed, a })
    }

    pub fn fpromote(&mut self, a: Value) -> Value {
        self.val(Op::Fpromote { a })
    }

    pub fn fdemote(&mut self, a: Value) -> Value {
        self.val(Op::Fdemote { a })
    }

    pub fn bitcast(&mut self, ty: Type, a: Value) -> Value {
        self.val(Op::Bitcast { ty, a })
    }

    pub fn jump(&mut self, label: Label) {
        self.op(Op::Jump { label });
    }

    pub fn brif(&mut self, cond: Value, then_label: Label, else_label: Label) {
        self.op(Op::Brif { cond, then_label, else_label });
    }

    pub fn exit(&mut self, pc: Value) {
        self.op(Op::Exit { pc });
    }

    /// `const.i64 pc` + `exit`.
    pub fn exit_const(&mut self, pc: u64) {
        let v = self.iconst(Type::I64, pc);
        self.exit(v);
    }

    pub fn halt(&mut self, pc: Value) {
        self.op(Op::Halt { pc });
    }

    pub fn trap(&mut self, code: u32, pc: Value) {
        self.op(Op::Trap { code, pc });
    }

    /// Call helper `func`; returns its result value if the helper has a result.
    pub fn call(&mut self, func: FuncId, args: &[Value]) -> Option<Value> {
        self.op(Op::Call { func, args: args.to_vec() })
    }

    pub fn ret(&mut self, value: Option<Value>) {
        self.op(Op::Ret { value });
    }
}

/// The README example: sum `n` little-endian i64 words at guest address `base`, with `base` in
/// state offset 80 (RISC-V `a0`) and `n` in state offset 88 (`a1`); the sum goes back to offset
/// 80 and the block exits to pc 0x1010. State size 96. The loop body has mark 0x1008, so a fuel
/// or interrupt exit at its back edge reports pc 0x1008.
///
/// ```text
/// block pc=0x1000 state=96 locals=[i64 i64]
///   v0 = get_state.i64 88
///   v1 = const.i64 0
///   local_set l0, v1
///   local_set l1, v1
///   jump L0
/// L0:
///   v2 = local_get l0
///   v3 = local_get l1
///   v4 = icmp.ult v2, v0
///   brif v4, L1, L2
/// L1:
///   mark 0x1008
///   v5 = get_state.i64 80
///   v6 = const.i64 3
///   v7 = shl.i64 v2, v6
///   v8 = add.i64 v5, v7
///   v9 = load.i64 v8
///   v10 = add.i64 v3, v9
///   local_set l1, v10
///   v11 = const.i64 1
///   v12 = add.i64 v2, v11
///   local_set l0, v12
///   jump L0
/// L2:
///   set_state 80, v3
///   v13 = const.i64 0x1010
///   exit v13
/// ```
pub fn sum_words_block() -> Block {
    use Type::I64;
    BlockBuilder::new(0x1000).main(|m| {
        let i = m.local(I64);
        let sum = m.local(I64);
        let (head, body, done) = (m.new_label(), m.new_label(), m.new_label());
        let n = m.get_state(I64, 88);
        let zero = m.iconst(I64, 0);
        m.local_set(i, zero);
        m.local_set(sum, zero);
        m.jump(head);
        m.bind(head);
        let iv = m.local_get(i);
        let sv = m.local_get(sum);
        let more = m.icmp(IntCC::Ult, iv, n);
        m.brif(more, body, done);
        m.bind(body);
        m.mark(0x1008);
        let base = m.get_state(I64, 80);
        let three = m.iconst(I64, 3);
        let off = m.bin(IntBinOp::Shl, iv, three);
        let addr = m.add(base, off);
        let w = m.load(I64, 8, false, addr);
        let s2 = m.add(sv, w);
        m.local_set(sum, s2);
        let one = m.iconst(I64, 1);
        let i2 = m.add(iv, one);
        m.local_set(i, i2);
        m.jump(head);
        m.bind(done);
        m.set_state(80, sv);
        m.exit_const(0x1010);
    })
}

/// Verify `block` and run it in the interpreter (panics with the message on a verify or run
/// error): the reference result lowering tests compare against.
pub fn run_interp(block: Block, state: &mut [u8], memory: &mut [u8], fuel: u64) -> RunOutcome {
    let vb = verify(block).unwrap_or_else(|e| panic!("{e}"));
    crate::interp::run(&vb, state, memory, fuel, &AtomicU32::new(0)).unwrap_or_else(|e| panic!("{e}"))
}

/// Runs `vb` against `state` and 64 bytes of zeroed memory: in the interpreter (`level` None) or
/// compiled at `level`.
pub fn run_at(vb: &VerifiedBlock, level: Option<crate::backend::OptLevel>, state: &mut [u8], fuel: u64) -> RunOutcome {
    use crate::backend::{BackendConfig, CraneliftBackend};
    let mut mem = vec![0u8; 64];
    match level {
        None => run_interp(vb.block.clone(), state, &mut mem, fuel),
        Some(level) => {
            let mut be = CraneliftBackend::new(BackendConfig::with_opt_level(level)).unwrap();
            be.compile(vb).unwrap().run(state, &mut mem, fuel, None).unwrap()
        }
    }
}

/// A state buffer with the given i64 words at offsets 0, 8, 16, … (little-endian), `size` bytes.
pub fn state_with(size: usize, words: &[(u32, u64)]) -> Vec<u8> {
    let mut s = vec![0u8; size];
    for &(off, v) in words {
        s[off as usize..off as usize + 8].copy_from_slice(&v.to_le_bytes());
    }
    s
}

/// Read the little-endian i64 at `off`.
pub fn word(buf: &[u8], off: u32) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&buf[off as usize..off as usize + 8]);
    u64::from_le_bytes(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_values_like_the_spec() {
        let mut bb = BlockBuilder::new(0);
        let f0 = bb.func(&[Type::I64, Type::I64], None, |f| {
            assert_eq!(f.param(1), 1);
            let c = f.iconst(Type::I8, 0x1ff);
            assert_eq!(c, 2);
            f.ret(None);
        });
        let f1 = bb.func(&[], Some(Type::F32), |f| {
            let x = f.f32const(1.0);
            f.ret(Some(x));
        });
        let block = bb.main(|m| {
            assert_eq!(m.call(f0, &[0, 0]), None);
            assert_eq!(m.call(f1, &[]), Some(0));
            assert_eq!(m.local(Type::I32), 0);
            assert_eq!(m.new_label(), 0);
            m.exit_const(5);
        });
        assert_eq!(block.funcs[0].body.ops[0], Op::Const { ty: Type::I8, bits: 0xff });
        assert_eq!(block.main.num_labels, 1);
        assert_eq!(print(&block).lines().last(), Some("  exit v1"));
    }

    #[test]
    fn readme_example_prints_as_documented() {
        let expect = "\
block pc=0x1000 state=96 locals=[i64 i64]
  v0 = get_state.i64 88
  v1 = const.i64 0
  local_set l0, v1
  local_set l1, v1
  jump L0
L0:
  v2 = local_get l0
  v3 = local_get l1
  v4 = icmp.ult v2, v0
  brif v4, L1, L2
L1:
  mark 0x1008
  v5 = get_state.i64 80
  v6 = const.i64 3
  v7 = shl.i64 v2, v6
  v8 = add.i64 v5, v7
  v9 = load.i64 v8
  v10 = add.i64 v3, v9
  local_set l1, v10
  v11 = const.i64 1
  v12 = add.i64 v2, v11
  local_set l0, v12
  jump L0
L2:
  set_state 80, v3
  v13 = const.i64 0x1010
  exit v13
";
        assert_eq!(print(&sum_words_block()), expect);
        let docs = include_str!("../../../docs/IR.md");
        assert!(docs.contains(expect), "docs/IR.md's text-form example is out of date");
    }

    #[test]
    fn state_helpers() {
        let s = state_with(24, &[(8, 0x1122_3344_5566_7788)]);
        assert_eq!(s[8], 0x88);
        assert_eq!(word(&s, 8), 0x1122_3344_5566_7788);
    }
}

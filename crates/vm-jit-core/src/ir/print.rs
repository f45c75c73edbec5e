//! The text form of the IR (docs/IR.md, "Text form"), for humans: error messages, dumps, tests.
//! There is no parser; the form is meant to be unambiguous to read, not to be read back.
//!
//! ```text
//! fn 0 (i64, i64) -> i64 locals=[]:
//!   v2 = add.i64 v0, v1
//!   ret v2
//! block pc=0x1000 state=96 locals=[i64 i64]
//!   v0 = get_state.i64 88
//!   v1 = const.i64 0
//!   local_set l0, v1
//!   jump L0
//! L0:
//!   v4 = icmp.ult v2, v0
//!   brif v4, L1, L2
//! ```
//!
//! Integer constants print in hex (`0x1000`), or in decimal below 10 where both read the same;
//! float constants print the number and the bits (`const.f64 1.5 (0x3ff8000000000000)`). Loads
//! name the result type and, unless they read the type's full width unsigned, `s`/`u` (sign- or
//! zero-extend) and the byte width: `load.i64.s4 v3`. Stores name the byte width: `store.4 v1, v2`
//! (address, value). Helpers come first, then the main body under its `block` line.
//!
//! `print` works on unverified blocks (it is used in verifier messages): the type suffixes come
//! from a best-effort type inference and are left out where it has no answer.

use std::fmt::{self, Write};

use super::op::*;
use super::types::Type;
use super::verified::VerifiedBlock;
use super::verify::defines_value;

/// Print a block (verified or not).
pub fn print(block: &Block) -> String {
    let funcs: Vec<Vec<Option<Type>>> = block.funcs.iter().map(|f| infer_types(block, &f.body, &f.params)).collect();
    let main = infer_types(block, &block.main, &[]);
    let mut state = 0u32;
    for (f, types) in block.funcs.iter().zip(&funcs) {
        state = state.max(state_extent(&f.body, types));
    }
    state = state.max(state_extent(&block.main, &main));
    print_with(block, &funcs, &main, state)
}

/// Print a verified block, with the verifier's exact types and state size.
pub fn print_verified(vb: &VerifiedBlock) -> String {
    let known = |t: &Vec<Type>| t.iter().map(|&t| Some(t)).collect::<Vec<_>>();
    let funcs: Vec<_> = vb.funcs.iter().map(|i| known(&i.value_types)).collect();
    print_with(&vb.block, &funcs, &known(&vb.main.value_types), vb.state_size)
}

/// Print one op. `def` is the value it defines (if any; `vN = ` is left out without it) and `ty`
/// the result type, used as the suffix of ops that do not name their type (`add.i64`, `select.f32`,
/// `fma.f64`…); without it, those print bare (`add v3, v5`).
pub fn print_op(op: &Op, def: Option<Value>, ty: Option<Type>) -> String {
    let mut s = String::new();
    write_op(&mut s, op, def, ty).expect("writing to a String cannot fail");
    s
}

impl fmt::Display for Block {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&print(self))
    }
}

fn print_with(block: &Block, funcs: &[Vec<Option<Type>>], main: &[Option<Type>], state: u32) -> String {
    let mut out = String::new();
    let types_list = |ts: &[Type]| ts.iter().map(|t| t.name()).collect::<Vec<_>>().join(" ");
    for (k, f) in block.funcs.iter().enumerate() {
        let params: Vec<_> = f.params.iter().map(|t| t.name()).collect();
        let _ = write!(out, "fn {k} ({})", params.join(", "));
        if let Some(r) = f.result {
            let _ = write!(out, " -> {r}");
        }
        let _ = writeln!(out, " locals=[{}]:", types_list(&f.body.locals));
        write_body(&mut out, block, &f.body, f.params.len() as u32, &funcs[k]);
    }
    let _ = writeln!(out, "block pc=0x{:x} state={state} locals=[{}]", block.pc, types_list(&block.main.locals));
    write_body(&mut out, block, &block.main, 0, main);
    out
}

fn write_body(out: &mut String, block: &Block, body: &Body, nparams: u32, types: &[Option<Type>]) {
    let mut next = nparams;
    for op in &body.ops {
        let def = if defines_value(op, &block.funcs) {
            next += 1;
            Some(next - 1)
        } else {
            None
        };
        let ty = def.and_then(|v| types.get(v as usize).copied().flatten());
        if !matches!(op, Op::Label { .. }) {
            out.push_str("  ");
        }
        let _ = write_op(out, op, def, ty);
        out.push('\n');
    }
}

/// Best-effort result types of a body's values (params first), for the printer only.
fn infer_types(block: &Block, body: &Body, params: &[Type]) -> Vec<Option<Type>> {
    let mut types: Vec<Option<Type>> = params.iter().map(|&t| Some(t)).collect();
    types.extend(body.ops.iter().filter(|op| defines_value(op, &block.funcs)).map(|_| None));
    // A value may be used before its definition in op order (dominance is what counts), so a
    // second sweep picks those up; more than that only matters for nonsense input.
    for _ in 0..3 {
        let mut next = params.len();
        let mut changed = false;
        for op in &body.ops {
            if !defines_value(op, &block.funcs) {
                continue;
            }
            if types[next].is_none() {
                let ty_of = |v: Value| types.get(v as usize).copied().flatten();
                let t = match op {
                    Op::Const { ty, .. }
                    | Op::GetState { ty, .. }
                    | Op::Load { ty, .. }
                    | Op::Ext { ty, .. }
                    | Op::FcvtToInt { ty, .. }
                    | Op::FcvtFromInt { ty, .. }
                    | Op::Bitcast { ty, .. } => Some(*ty),
                    Op::LocalGet { local } => body.locals.get(*local as usize).copied(),
                    Op::IntBin { a, .. }
                    | Op::IntUn { a, .. }
                    | Op::FloatBin { a, .. }
                    | Op::FloatUn { a, .. }
                    | Op::Fma { a, .. }
                    | Op::Select { a, .. } => ty_of(*a),
                    Op::Icmp { .. } | Op::Fcmp { .. } => Some(Type::I8),
                    Op::Fpromote { .. } => Some(Type::F64),
                    Op::Fdemote { .. } => Some(Type::F32),
                    Op::Call { func, .. } => block.funcs.get(*func as usize).and_then(|f| f.result),
                    _ => None,
                };
                if t.is_some() {
                    types[next] = t;
                    changed = true;
                }
            }
            next += 1;
        }
        if !changed {
            break;
        }
    }
    types
}

fn state_extent(body: &Body, types: &[Option<Type>]) -> u32 {
    let mut max = 0;
    for op in &body.ops {
        let end = match op {
            Op::GetState { ty, offset } => offset.saturating_add(ty.bytes()),
            Op::SetState { offset, value } => match types.get(*value as usize).copied().flatten() {
                Some(t) => offset.saturating_add(t.bytes()),
                None => 0,
            },
            _ => 0,
        };
        max = max.max(end);
    }
    max
}

/// Integers: decimal below 10 (reads the same in both bases), else hex.
fn int(v: u64) -> String {
    if v < 10 {
        v.to_string()
    } else {
        format!("0x{v:x}")
    }
}

fn write_op(s: &mut String, op: &Op, def: Option<Value>, ty: Option<Type>) -> fmt::Result {
    if let Some(v) = def {
        write!(s, "v{v} = ")?;
    }
    let suffix = ty.map(|t| format!(".{t}")).unwrap_or_default();
    match op {
        Op::Const { ty, bits } => match ty {
            Type::F32 => write!(s, "const.f32 {:?} (0x{:08x})", f32::from_bits(*bits as u32), bits),
            Type::F64 => write!(s, "const.f64 {:?} (0x{:016x})", f64::from_bits(*bits), bits),
            _ => write!(s, "const.{ty} {}", int(*bits)),
        },
        Op::GetState { ty, offset } => write!(s, "get_state.{ty} {offset}"),
        Op::SetState { offset, value } => write!(s, "set_state {offset}, v{value}"),
        Op::Load { ty, width, signed, addr } => {
            if !*signed && *width as u32 == ty.bytes() {
                write!(s, "load.{ty} v{addr}")
            } else {
                write!(s, "load.{ty}.{}{width} v{addr}", if *signed { 's' } else { 'u' })
            }
        }
        Op::Store { width, addr, value } => write!(s, "store.{width} v{addr}, v{value}"),
        Op::LocalGet { local } => write!(s, "local_get l{local}"),
        Op::LocalSet { local, value } => write!(s, "local_set l{local}, v{value}"),
        Op::Mark { pc } => write!(s, "mark 0x{pc:x}"),
        Op::IntBin { op, a, b } => write!(s, "{}{suffix} v{a}, v{b}", op.name()),
        Op::IntUn { op, a } => write!(s, "{}{suffix} v{a}", op.name()),
        Op::Icmp { cc, a, b } => write!(s, "icmp.{} v{a}, v{b}", cc.name()),
        Op::Select { cond, a, b } => write!(s, "select{suffix} v{cond}, v{a}, v{b}"),
        Op::Ext { kind, ty, a } => write!(s, "{}.{ty} v{a}", kind.name()),
        Op::FloatBin { op, a, b } => write!(s, "{}{suffix} v{a}, v{b}", op.name()),
        Op::FloatUn { op, a } => write!(s, "{}{suffix} v{a}", op.name()),
        Op::Fma { a, b, c } => write!(s, "fma{suffix} v{a}, v{b}, v{c}"),
        Op::Fcmp { cc, a, b } => write!(s, "fcmp.{} v{a}, v{b}", cc.name()),
        Op::FcvtToInt { ty, signed, a } => {
            write!(s, "fcvt_to_{}int.{ty} v{a}", if *signed { "s" } else { "u" })
        }
        Op::FcvtFromInt { ty, signed, a } => {
            write!(s, "fcvt_from_{}int.{ty} v{a}", if *signed { "s" } else { "u" })
        }
        Op::Fpromote { a } => write!(s, "fpromote v{a}"),
        Op::Fdemote { a } => write!(s, "fdemote v{a}"),
        Op::Bitcast { ty, a } => write!(s, "bitcast.{ty} v{a}"),
        Op::Label { label } => write!(s, "L{label}:"),
        Op::Jump { label } => write!(s, "jump L{label}"),
        Op::Brif { cond, then_label, else_label } => write!(s, "brif v{cond}, L{then_label}, L{else_label}"),
        Op::Exit { pc } => write!(s, "exit v{pc}"),
        Op::Halt { pc } => write!(s, "halt v{pc}"),
        Op::Trap { code, pc } => write!(s, "trap {code}, v{pc}"),
        Op::Call { func, args } => {
            let args: Vec<String> = args.iter().map(|a| format!("v{a}")).collect();
            write!(s, "call fn {func} ({})", args.join(", "))
        }
        Op::Ret { value: Some(v) } => write!(s, "ret v{v}"),
        Op::Ret { value: None } => write!(s, "ret"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::BlockBuilder;

    #[test]
    fn prints_ops() {
        let p = |op: Op, def: Option<Value>, ty: Option<Type>| print_op(&op, def, ty);
        use Type::*;
        assert_eq!(p(Op::Const { ty: I64, bits: 0x1000 }, Some(0), None), "v0 = const.i64 0x1000");
        assert_eq!(p(Op::Const { ty: I32, bits: 7 }, Some(1), None), "v1 = const.i32 7");
        assert_eq!(p(Op::Const { ty: I8, bits: 10 }, Some(1), None), "v1 = const.i8 0xa");
        assert_eq!(
            p(Op::Const { ty: F64, bits: 1.5f64.to_bits() }, Some(2), None),
            "v2 = const.f64 1.5 (0x3ff8000000000000)"
        );
        assert_eq!(p(Op::Const { ty: F32, bits: 0x7fc00000 }, Some(2), None), "v2 = const.f32 NaN (0x7fc00000)");
        assert_eq!(p(Op::Const { ty: F32, bits: 0xbf800000 }, Some(2), None), "v2 = const.f32 -1.0 (0xbf800000)");
        assert_eq!(p(Op::IntBin { op: IntBinOp::Add, a: 1, b: 2 }, Some(3), Some(I64)), "v3 = add.i64 v1, v2");
        assert_eq!(p(Op::IntBin { op: IntBinOp::Add, a: 3, b: 5 }, Some(7), None), "v7 = add v3, v5");
        assert_eq!(p(Op::Store { width: 4, addr: 1, value: 2 }, None, None), "store.4 v1, v2");
        assert_eq!(p(Op::Load { ty: I64, width: 4, signed: true, addr: 3 }, Some(4), None), "v4 = load.i64.s4 v3");
        assert_eq!(p(Op::Load { ty: I32, width: 1, signed: false, addr: 3 }, Some(4), None), "v4 = load.i32.u1 v3");
        assert_eq!(p(Op::Load { ty: F64, width: 8, signed: false, addr: 3 }, Some(4), None), "v4 = load.f64 v3");
        assert_eq!(p(Op::Label { label: 2 }, None, None), "L2:");
        assert_eq!(p(Op::Brif { cond: 4, then_label: 1, else_label: 2 }, None, None), "brif v4, L1, L2");
        assert_eq!(p(Op::Icmp { cc: IntCC::Ult, a: 2, b: 0 }, Some(4), Some(I8)), "v4 = icmp.ult v2, v0");
        assert_eq!(p(Op::Fcmp { cc: FloatCC::Uno, a: 2, b: 0 }, Some(4), None), "v4 = fcmp.uno v2, v0");
        assert_eq!(p(Op::GetState { ty: I64, offset: 88 }, Some(0), None), "v0 = get_state.i64 88");
        assert_eq!(p(Op::SetState { offset: 8, value: 3 }, None, None), "set_state 8, v3");
        assert_eq!(p(Op::LocalSet { local: 0, value: 1 }, None, None), "local_set l0, v1");
        assert_eq!(p(Op::LocalGet { local: 1 }, Some(9), None), "v9 = local_get l1");
        assert_eq!(p(Op::Mark { pc: 0x1004 }, None, None), "mark 0x1004");
        assert_eq!(p(Op::Select { cond: 1, a: 2, b: 3 }, Some(4), Some(F32)), "v4 = select.f32 v1, v2, v3");
        assert_eq!(p(Op::Ext { kind: ExtKind::Sext, ty: I64, a: 1 }, Some(2), None), "v2 = sext.i64 v1");
        assert_eq!(p(Op::FloatUn { op: FloatUnOp::Fsqrt, a: 1 }, Some(2), Some(F64)), "v2 = fsqrt.f64 v1");
        assert_eq!(p(Op::Fma { a: 1, b: 2, c: 3 }, Some(4), Some(F64)), "v4 = fma.f64 v1, v2, v3");
        assert_eq!(p(Op::FcvtToInt { ty: I32, signed: true, a: 1 }, Some(2), None), "v2 = fcvt_to_sint.i32 v1");
        assert_eq!(p(Op::FcvtFromInt { ty: F64, signed: false, a: 1 }, Some(2), None), "v2 = fcvt_from_uint.f64 v1");
        assert_eq!(p(Op::Fpromote { a: 1 }, Some(2), None), "v2 = fpromote v1");
        assert_eq!(p(Op::Bitcast { ty: F64, a: 1 }, Some(2), None), "v2 = bitcast.f64 v1");
        assert_eq!(p(Op::Trap { code: 7, pc: 3 }, None, None), "trap 7, v3");
        assert_eq!(p(Op::Call { func: 0, args: vec![1, 2] }, Some(5), None), "v5 = call fn 0 (v1, v2)");
        assert_eq!(p(Op::Call { func: 1, args: vec![] }, None, None), "call fn 1 ()");
        assert_eq!(p(Op::Ret { value: Some(3) }, None, None), "ret v3");
        assert_eq!(p(Op::Ret { value: None }, None, None), "ret");
        assert_eq!(p(Op::Exit { pc: 3 }, None, None), "exit v3");
        assert_eq!(p(Op::Halt { pc: 3 }, None, None), "halt v3");
        assert_eq!(p(Op::Jump { label: 0 }, None, None), "jump L0");
    }

    #[test]
    fn prints_a_block_with_helpers_first() {
        let mut bb = BlockBuilder::new(0x1000);
        let f = bb.func(&[Type::I64, Type::I64], Some(Type::I64), |f| {
            let s = f.add(f.param(0), f.param(1));
            f.ret(Some(s));
        });
        let block = bb.main(|m| {
            let l = m.local(Type::I64);
            let x = m.get_state(Type::I64, 88);
            let y = m.call(f, &[x, x]).unwrap();
            m.local_set(l, y);
            let lab = m.new_label();
            m.jump(lab);
            m.bind(lab);
            let z = m.local_get(l);
            m.set_state(0, z);
            m.exit(z);
        });
        let expect = "\
fn 0 (i64, i64) -> i64 locals=[]:
  v2 = add.i64 v0, v1
  ret v2
block pc=0x1000 state=96 locals=[i64]
  v0 = get_state.i64 88
  v1 = call fn 0 (v0, v0)
  local_set l0, v1
  jump L0
L0:
  v2 = local_get l0
  set_state 0, v2
  exit v2
";
        assert_eq!(print(&block), expect);
        assert_eq!(block.to_string(), expect);
        let vb = crate::ir::verify::verify(block).unwrap();
        assert_eq!(print_verified(&vb), expect);
    }

    #[test]
    fn prints_nonsense_without_panicking() {
        let block = Block {
            pc: 0,
            funcs: vec![],
            main: Body {
                locals: vec![],
                num_labels: 0,
                ops: vec![
                    Op::IntBin { op: IntBinOp::Add, a: 5, b: 9 },
                    Op::Call { func: 42, args: vec![1] },
                    Op::LocalGet { local: 3 },
                    Op::SetState { offset: u32::MAX, value: 0 },
                    Op::Ret { value: Some(77) },
                ],
            },
        };
        let text = print(&block);
        assert!(text.contains("v0 = add v5, v9"), "{text}");
        assert!(text.contains("  call fn 42 (v1)"), "{text}");
        assert!(text.contains("v1 = local_get l3"), "{text}");
    }

    #[test]
    fn forward_uses_get_types() {
        // v1 is defined after its use in op order (but dominates it): the suffix still shows.
        let block = Block {
            pc: 0,
            funcs: vec![],
            main: Body {
                locals: vec![],
                num_labels: 2,
                ops: vec![
                    Op::Jump { label: 1 },
                    Op::Label { label: 0 },
                    Op::IntBin { op: IntBinOp::Add, a: 1, b: 1 },
                    Op::Exit { pc: 0 },
                    Op::Label { label: 1 },
                    Op::Const { ty: Type::I64, bits: 1 },
                    Op::Jump { label: 0 },
                ],
            },
        };
        assert!(print(&block).contains("v0 = add.i64 v1, v1"));
    }
}

//! Decoding of the binary IR (docs/IR.md, "Binary encoding"). The input is untrusted: every
//! malformed buffer is an `IrError` naming the byte offset and what is wrong, never a panic, and
//! counts are checked against the limits before anything is allocated for them.

use super::error::IrError;
use super::op::*;
use super::types::Type;

pub const MAGIC: &[u8; 4] = b"VJIR";
pub const VERSION: u16 = 1;

/// Limits of docs/IR.md (shared with the verifier).
pub const MAX_OPS: usize = 1_000_000;
pub const MAX_LOCALS: usize = 65_536;
pub const MAX_LABELS: usize = 65_536;
pub const MAX_FUNCS: usize = 4_096;
pub const MAX_PARAMS: usize = 64;
/// State offsets must be below this.
pub const MAX_STATE_OFFSET: u32 = 1 << 24;
/// The byte that encodes "no result" in a function header.
pub const NO_RESULT: u8 = 0xFF;

/// Decode a block from its binary form. Checks the encoding and the limits only; the rules
/// (types, labels, dominance…) are `verify`'s job.
pub fn decode(bytes: &[u8]) -> Result<Block, IrError> {
    let mut r = Reader { bytes, pos: 0, ctx: Ctx::Top };
    if bytes.len() < 4 || &bytes[..4] != MAGIC {
        let got = &bytes[..bytes.len().min(4)];
        return Err(r.err(0, format!("bad magic {got:02x?}: expected \"VJIR\"")));
    }
    r.pos = 4;
    let at = r.pos;
    let version = r.u16("version")?;
    if version != VERSION {
        return Err(r.err(at, format!("unsupported version {version} (expected {VERSION})")));
    }
    let at = r.pos;
    let flags = r.u16("flags")?;
    if flags != 0 {
        return Err(r.err(at, format!("flags must be 0, got 0x{flags:04x}")));
    }
    let pc = r.u64("entry pc")?;
    let nfuncs = r.count("helper count", MAX_FUNCS, "helpers")?;
    let mut funcs = Vec::with_capacity(nfuncs.min(r.remaining()));
    for k in 0..nfuncs {
        r.ctx = Ctx::FnHeader(k);
        let nparams = r.count("parameter count", MAX_PARAMS, "parameters")?;
        let mut params = Vec::with_capacity(nparams.min(r.remaining()));
        for _ in 0..nparams {
            params.push(r.ty("parameter type")?);
        }
        let at = r.pos;
        let result = match r.u8("result type")? {
            NO_RESULT => None,
            code => Some(
                Type::from_code(code)
                    .ok_or_else(|| r.err(at, format!("unknown result type code 0x{code:02x} (0..5 or 0xff)")))?,
            ),
        };
        let body = r.body(&format!("fn {k}"), result.is_some())?;
        funcs.push(Function { params, result, body });
    }
    r.ctx = Ctx::Top;
    let main = r.body("main", false)?;
    r.ctx = Ctx::Top;
    if r.pos != bytes.len() {
        let n = bytes.len() - r.pos;
        return Err(r.err(r.pos, format!("{n} trailing bytes after the main body")));
    }
    Ok(Block { pc, funcs, main })
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
    /// Where we are, for messages: the body's name (`main`, `fn 3`) and op index, if inside one.
    /// Kept structured and formatted only on error: decoding is on the compile path.
    ctx: Ctx,
}

#[derive(Clone, Default)]
enum Ctx {
    #[default]
    Top,
    FnHeader(usize),
    BodyHeader(String),
    Op(String, usize),
}

impl std::fmt::Display for Ctx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Ctx::Top => Ok(()),
            Ctx::FnHeader(k) => write!(f, " (in fn {k} header)"),
            Ctx::BodyHeader(name) => write!(f, " (in {name} header)"),
            Ctx::Op(name, i) => write!(f, " (in {name}, op {i})"),
        }
    }
}

impl Reader<'_> {
    fn err(&self, at: usize, msg: impl std::fmt::Display) -> IrError {
        IrError::new(format!("malformed IR at byte {at}: {msg}{}", self.ctx))
    }

    fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }

    fn take(&mut self, n: usize, what: &str) -> Result<&[u8], IrError> {
        if self.remaining() < n {
            return Err(self.err(self.pos, format!("unexpected end of input reading {what}")));
        }
        let s = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    fn u8(&mut self, what: &str) -> Result<u8, IrError> {
        Ok(self.take(1, what)?[0])
    }

    fn u16(&mut self, what: &str) -> Result<u16, IrError> {
        let s = self.take(2, what)?;
        Ok(u16::from_le_bytes([s[0], s[1]]))
    }

    fn u64(&mut self, what: &str) -> Result<u64, IrError> {
        let s = self.take(8, what)?;
        let mut b = [0u8; 8];
        b.copy_from_slice(s);
        Ok(u64::from_le_bytes(b))
    }

    /// Unsigned LEB128: at most 10 bytes, value < 2^32. Non-minimal encodings are accepted.
    fn uleb(&mut self, what: &str) -> Result<u32, IrError> {
        let start = self.pos;
        let mut value: u64 = 0;
        let mut too_big = false;
        for i in 0..10 {
            let Some(&byte) = self.bytes.get(self.pos) else {
                return Err(self.err(start, format!("unexpected end of input in LEB128 {what}")));
            };
            self.pos += 1;
            let low = (byte & 0x7f) as u64;
            let shift = 7 * i;
            if shift < 64 {
                too_big |= shift > 0 && (low << shift) >> shift != low;
                value |= low << shift;
            } else {
                too_big |= low != 0;
            }
            if byte & 0x80 == 0 {
                if too_big || value > u32::MAX as u64 {
                    let shown = if too_big { "≥ 2^64".to_string() } else { value.to_string() };
                    return Err(self.err(start, format!("LEB128 {what} is too large: {shown} (must be < 2^32)")));
                }
                return Ok(value as u32);
            }
        }
        Err(self.err(start, format!("LEB128 {what} is longer than 10 bytes")))
    }

    /// A count checked against a limit before anything is allocated for it.
    fn count(&mut self, what: &str, limit: usize, things: &str) -> Result<usize, IrError> {
        let at = self.pos;
        let n = self.uleb(what)? as usize;
        if n > limit {
            return Err(self.err(at, format!("{n} {things}; the limit is {limit}")));
        }
        Ok(n)
    }

    fn ty(&mut self, what: &str) -> Result<Type, IrError> {
        let at = self.pos;
        let code = self.u8(what)?;
        Type::from_code(code).ok_or_else(|| self.err(at, format!("unknown type code 0x{code:02x} ({what})")))
    }

    fn value(&mut self) -> Result<Value, IrError> {
        self.uleb("value id")
    }

    fn label(&mut self) -> Result<Label, IrError> {
        self.uleb("label")
    }

    fn state_offset(&mut self) -> Result<u32, IrError> {
        let at = self.pos;
        let off = self.uleb("state offset")?;
        if off >= MAX_STATE_OFFSET {
            return Err(self.err(at, format!("state offset {off} is not below 2^24")));
        }
        Ok(off)
    }

    fn body(&mut self, name: &str, has_result: bool) -> Result<Body, IrError> {
        self.ctx = Ctx::BodyHeader(name.to_string());
        let nlocals = self.count("local count", MAX_LOCALS, "locals")?;
        let mut locals = Vec::with_capacity(nlocals.min(self.remaining()));
        for _ in 0..nlocals {
            locals.push(self.ty("local type")?);
        }
        let num_labels = self.count("label count", MAX_LABELS, "labels")? as u32;
        let nops = self.count("op count", MAX_OPS, "ops")?;
        // Every op takes at least one byte: never allocate more than the input can fill.
        let mut ops = Vec::with_capacity(nops.min(self.remaining()));
        for i in 0..nops {
            match &mut self.ctx {
                Ctx::Op(_, at) => *at = i,
                _ => self.ctx = Ctx::Op(name.to_string(), i),
            }
            ops.push(self.op(has_result)?);
        }
        Ok(Body { locals, num_labels, ops })
    }

    fn op(&mut self, has_result: bool) -> Result<Op, IrError> {
        let at = self.pos;
        let opcode = self.u8("opcode")?;
        let op = match opcode {
            0x01 => {
                let ty = self.ty("const type")?;
                let bits = self.u64("const imm64")?;
                Op::Const { ty, bits }
            }
            0x02 => {
                let ty = self.ty("get_state type")?;
                let offset = self.state_offset()?;
                Op::GetState { ty, offset }
            }
            0x03 => {
                let offset = self.state_offset()?;
                let value = self.value()?;
                Op::SetState { offset, value }
            }
            0x04 => {
                let ty = self.ty("load type")?;
                let width = self.u8("load width")?;
                let sat = self.pos;
                let signed = match self.u8("load signed flag")? {
                    0 => false,
                    1 => true,
                    s => return Err(self.err(sat, format!("load signed flag must be 0 or 1, got {s}"))),
                };
                let addr = self.value()?;
                Op::Load { ty, width, signed, addr }
            }
            0x05 => {
                let width = self.u8("store width")?;
                let addr = self.value()?;
                let value = self.value()?;
                Op::Store { width, addr, value }
            }
            0x06 => Op::LocalGet { local: self.uleb("local index")? },
            0x07 => {
                let local = self.uleb("local index")?;
                let value = self.value()?;
                Op::LocalSet { local, value }
            }
            0x08 => Op::Mark { pc: self.u64("mark pc")? },
            0x10..=0x21 => {
                let op = IntBinOp::ALL[(opcode - IntBinOp::FIRST_OPCODE) as usize];
                let a = self.value()?;
                let b = self.value()?;
                Op::IntBin { op, a, b }
            }
            0x28..=0x2C => {
                let op = IntUnOp::ALL[(opcode - IntUnOp::FIRST_OPCODE) as usize];
                Op::IntUn { op, a: self.value()? }
            }
            0x30 => {
                let cat = self.pos;
                let c = self.u8("icmp condition")?;
                let cc = *IntCC::ALL
                    .get(c as usize)
                    .ok_or_else(|| self.err(cat, format!("unknown icmp condition code {c} (0..9)")))?;
                let a = self.value()?;
                let b = self.value()?;
                Op::Icmp { cc, a, b }
            }
            0x31 => {
                let cond = self.value()?;
                let a = self.value()?;
                let b = self.value()?;
                Op::Select { cond, a, b }
            }
            0x32..=0x34 => {
                let kind = [ExtKind::Zext, ExtKind::Sext, ExtKind::Trunc][(opcode - 0x32) as usize];
                let ty = self.ty("result type")?;
                Op::Ext { kind, ty, a: self.value()? }
            }
            0x40..=0x46 => {
                let op = FloatBinOp::ALL[(opcode - FloatBinOp::FIRST_OPCODE) as usize];
                let a = self.value()?;
                let b = self.value()?;
                Op::FloatBin { op, a, b }
            }
            0x48..=0x4A => {
                let op = FloatUnOp::ALL[(opcode - FloatUnOp::FIRST_OPCODE) as usize];
                Op::FloatUn { op, a: self.value()? }
            }
            0x4B => {
                let a = self.value()?;
                let b = self.value()?;
                let c = self.value()?;
                Op::Fma { a, b, c }
            }
            0x4C => {
                let cat = self.pos;
                let c = self.u8("fcmp condition")?;
                let cc = *FloatCC::ALL
                    .get(c as usize)
                    .ok_or_else(|| self.err(cat, format!("unknown fcmp condition code {c} (0..7)")))?;
                let a = self.value()?;
                let b = self.value()?;
                Op::Fcmp { cc, a, b }
            }
            0x50 | 0x51 => {
                let ty = self.ty("result type")?;
                Op::FcvtToInt { ty, signed: opcode == 0x50, a: self.value()? }
            }
            0x52 | 0x53 => {
                let ty = self.ty("result type")?;
                Op::FcvtFromInt { ty, signed: opcode == 0x52, a: self.value()? }
            }
            0x54 => Op::Fpromote { a: self.value()? },
            0x55 => Op::Fdemote { a: self.value()? },
            0x56 => {
                let ty = self.ty("result type")?;
                Op::Bitcast { ty, a: self.value()? }
            }
            0x60 => Op::Label { label: self.label()? },
            0x61 => Op::Jump { label: self.label()? },
            0x62 => {
                let cond = self.value()?;
                let then_label = self.label()?;
                let else_label = self.label()?;
                Op::Brif { cond, then_label, else_label }
            }
            0x63 => Op::Exit { pc: self.value()? },
            0x64 => Op::Halt { pc: self.value()? },
            0x65 => {
                let code = self.uleb("trap code")?;
                Op::Trap { code, pc: self.value()? }
            }
            0x66 => {
                let func = self.uleb("function index")?;
                let nargs = self.uleb("argument count")? as usize;
                let mut args = Vec::with_capacity(nargs.min(self.remaining()));
                for _ in 0..nargs {
                    args.push(self.value()?);
                }
                Op::Call { func, args }
            }
            0x67 => Op::Ret { value: if has_result { Some(self.value()?) } else { None } },
            _ => return Err(self.err(at, format!("unknown opcode 0x{opcode:02x}"))),
        };
        Ok(op)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::encode::encode;

    fn header() -> Vec<u8> {
        let mut b = b"VJIR".to_vec();
        b.extend(1u16.to_le_bytes());
        b.extend(0u16.to_le_bytes());
        b.extend(0x1000u64.to_le_bytes());
        b
    }

    /// A block with no helpers whose main body is `ops` (raw bytes), `nops` ops, no locals/labels.
    fn main_only(nops: u8, ops: &[u8]) -> Vec<u8> {
        let mut b = header();
        b.extend([0, 0, 0, nops]); // nfuncs, nlocals, nlabels, nops
        b.extend(ops);
        b
    }

    fn err(bytes: &[u8]) -> String {
        decode(bytes).expect_err("should fail").message
    }

    // const.i64 0x1000 ; exit v0
    fn exit_ops() -> Vec<u8> {
        let mut ops = vec![0x01, 3];
        ops.extend(0x1010u64.to_le_bytes());
        ops.extend([0x63, 0]);
        ops
    }

    #[test]
    fn decode_and_verify_pipeline() {
        let bytes = encode(&crate::testing::sum_words_block());
        let vb = crate::ir::decode_and_verify(&bytes).unwrap();
        assert_eq!(vb.state_size, 96);
        let e = crate::ir::decode_and_verify(&bytes[..bytes.len() - 1]).unwrap_err();
        assert!(e.message.starts_with("malformed IR at byte "), "{e}");
        // well-formed bytes, invalid block: exit of an i32
        let mut ops = vec![0x01, 2];
        ops.extend(0u64.to_le_bytes());
        ops.extend([0x63, 0]);
        let e = crate::ir::decode_and_verify(&main_only(2, &ops)).unwrap_err();
        assert_eq!(e.message, "IR verify error in main, op 1 (exit v0): the pc must be i64, got i32");
    }

    #[test]
    fn decodes_minimal_block() {
        let b = decode(&main_only(2, &exit_ops())).unwrap();
        assert_eq!(b.pc, 0x1000);
        assert!(b.funcs.is_empty());
        assert_eq!(b.main.ops, vec![Op::Const { ty: Type::I64, bits: 0x1010 }, Op::Exit { pc: 0 }]);
    }

    #[test]
    fn bad_magic_version_flags() {
        assert!(err(b"VJI").contains("at byte 0: bad magic"));
        assert!(err(b"XJIR\x01\x00").contains("at byte 0: bad magic"));
        let mut b = main_only(2, &exit_ops());
        b[4] = 2;
        assert!(err(&b).contains("at byte 4: unsupported version 2"), "{}", err(&b));
        let mut b = main_only(2, &exit_ops());
        b[6] = 1;
        assert!(err(&b).contains("at byte 6: flags must be 0"));
    }

    #[test]
    fn truncated_everywhere_never_panics() {
        let mut bb = crate::testing::BlockBuilder::new(0x1000);
        let f = bb.func(&[Type::I64], Some(Type::I64), |f| {
            let p = f.param(0);
            let one = f.iconst(Type::I64, 1);
            let s = f.add(p, one);
            f.ret(Some(s));
        });
        let block = bb.main(|m| {
            let l = m.local(Type::F64);
            let x = m.get_state(Type::I64, 8);
            let y = m.call(f, &[x]).unwrap();
            let z = m.f64const(2.5);
            m.local_set(l, z);
            m.mark(0x1004);
            let c = m.icmp(IntCC::Ult, x, y);
            let t = m.new_label();
            let e = m.new_label();
            m.brif(c, t, e);
            m.bind(t);
            m.trap(7, y);
            m.bind(e);
            m.exit(x);
        });
        let bytes = encode(&block);
        assert_eq!(decode(&bytes).unwrap(), block);
        for n in 0..bytes.len() {
            let e = decode(&bytes[..n]).expect_err("truncated input must fail").message;
            assert!(e.starts_with("malformed IR at byte "), "{e}");
            assert!(e.contains("unexpected end of input") || e.contains("bad magic"), "{n}: {e}");
        }
    }

    #[test]
    fn truncation_message_names_offset_and_field() {
        let b = main_only(2, &exit_ops());
        let e = err(&b[..b.len() - 1]);
        // 16 header bytes (magic, version, flags, pc) + 4 counts + const (10) + exit opcode = 31
        assert_eq!(e, "malformed IR at byte 31: unexpected end of input in LEB128 value id (in main, op 1)");
        let e = err(&b[..21]);
        assert!(e.contains("at byte 21: unexpected end of input reading const type (in main, op 0)"), "{e}");
    }

    #[test]
    fn unknown_opcode() {
        let mut ops = exit_ops();
        ops.insert(0, 0x99);
        let e = err(&main_only(3, &ops));
        assert_eq!(e, "malformed IR at byte 20: unknown opcode 0x99 (in main, op 0)");
        for bad in [0x00u8, 0x09, 0x22, 0x2D, 0x35, 0x47, 0x4D, 0x57, 0x68, 0xFF] {
            let e = err(&main_only(1, &[bad]));
            assert!(e.contains(&format!("unknown opcode 0x{bad:02x}")), "{e}");
        }
    }

    #[test]
    fn bad_type_codes() {
        let mut ops = vec![0x01, 6];
        ops.extend(0u64.to_le_bytes());
        assert!(err(&main_only(1, &ops)).contains("at byte 21: unknown type code 0x06 (const type)"));
        // a local type
        let mut b = header();
        b.extend([0, 1, 9, 0, 0]);
        assert!(err(&b).contains("at byte 18: unknown type code 0x09 (local type) (in main header)"));
        // a function result type
        let mut b = header();
        b.extend([1, 0, 7]);
        assert!(err(&b).contains("at byte 18: unknown result type code 0x07"), "{}", err(&b));
    }

    #[test]
    fn bad_condition_codes_and_flags() {
        assert!(err(&main_only(1, &[0x30, 10, 0, 0])).contains("unknown icmp condition code 10"));
        assert!(err(&main_only(1, &[0x4C, 8, 0, 0])).contains("unknown fcmp condition code 8"));
        assert!(err(&main_only(1, &[0x04, 3, 8, 2, 0])).contains("at byte 23: load signed flag must be 0 or 1, got 2"));
    }

    #[test]
    fn trailing_bytes() {
        let mut b = main_only(2, &exit_ops());
        let len = b.len();
        b.extend([0, 0, 0]);
        assert_eq!(err(&b), format!("malformed IR at byte {len}: 3 trailing bytes after the main body"));
    }

    #[test]
    fn leb128_forms() {
        // non-minimal but ≤ 10 bytes is fine: value id 0 as 0x80 0x80 0x00
        let mut ops = exit_ops();
        ops.truncate(10);
        ops.extend([0x63, 0x80, 0x80, 0x00]);
        let b = decode(&main_only(2, &ops)).unwrap();
        assert_eq!(b.main.ops[1], Op::Exit { pc: 0 });
        // 11 bytes: overlong
        let mut ops = exit_ops();
        ops.truncate(10);
        ops.push(0x63);
        ops.extend([0x80; 10]);
        ops.push(0);
        assert!(err(&main_only(2, &ops)).contains("at byte 31: LEB128 value id is longer than 10 bytes"));
        // ≥ 2^32
        let mut ops = exit_ops();
        ops.truncate(10);
        ops.extend([0x63, 0x80, 0x80, 0x80, 0x80, 0x10]);
        assert!(err(&main_only(2, &ops)).contains("LEB128 value id is too large: 4294967296"));
        // bits beyond 64 in the tenth byte
        let mut ops = exit_ops();
        ops.truncate(10);
        ops.push(0x63);
        ops.extend([0xff; 9]);
        ops.push(0x7f);
        assert!(err(&main_only(2, &ops)).contains("too large: ≥ 2^64"));
        // u32::MAX itself decodes
        let mut ops = exit_ops();
        ops.truncate(10);
        ops.extend([0x63, 0xff, 0xff, 0xff, 0xff, 0x0f]);
        assert_eq!(decode(&main_only(2, &ops)).unwrap().main.ops[1], Op::Exit { pc: u32::MAX });
    }

    #[test]
    fn limits() {
        let leb = |mut v: u32| {
            let mut out = vec![];
            loop {
                let byte = (v & 0x7f) as u8;
                v >>= 7;
                if v == 0 {
                    out.push(byte);
                    return out;
                }
                out.push(byte | 0x80);
            }
        };
        let mut b = header();
        b.extend(leb(4097));
        assert!(err(&b).contains("at byte 16: 4097 helpers; the limit is 4096"));
        let mut b = header();
        b.extend([1]);
        b.extend(leb(65));
        assert!(err(&b).contains("65 parameters; the limit is 64 (in fn 0 header)"));
        let mut b = header();
        b.extend([0]);
        b.extend(leb(65537));
        assert!(err(&b).contains("65537 locals; the limit is 65536 (in main header)"));
        let mut b = header();
        b.extend([0, 0]);
        b.extend(leb(65537));
        assert!(err(&b).contains("65537 labels; the limit is 65536"));
        let mut b = header();
        b.extend([0, 0, 0]);
        b.extend(leb(1_000_001));
        assert!(err(&b).contains("1000001 ops; the limit is 1000000"));
        // a huge op count within the limit but without the bytes: no huge allocation, clean error
        let mut b = header();
        b.extend([0, 0, 0]);
        b.extend(leb(1_000_000));
        assert!(err(&b).contains("unexpected end of input reading opcode (in main, op 0)"));
        // state offsets
        let mut ops = vec![0x02, 3];
        ops.extend(leb(1 << 24));
        assert!(err(&main_only(1, &ops)).contains("at byte 22: state offset 16777216 is not below 2^24"));
        let mut ops = vec![0x03];
        ops.extend(leb(1 << 24));
        ops.push(0);
        assert!(err(&main_only(1, &ops)).contains("state offset 16777216 is not below 2^24"));
    }

    #[test]
    fn ret_operand_depends_on_helper_result() {
        // fn 0 () -> i64 : const ; ret v0      fn 1 () : ret      main: exit? (just ret-less)
        let mut b = header();
        b.push(2);
        b.extend([0, 3, 0, 0, 2, 0x01, 3]);
        b.extend(5u64.to_le_bytes());
        b.extend([0x67, 0]);
        b.extend([0, NO_RESULT, 0, 0, 1, 0x67]);
        b.extend([0, 0, 2]);
        b.extend(exit_ops());
        let block = decode(&b).unwrap();
        assert_eq!(block.funcs[0].body.ops[1], Op::Ret { value: Some(0) });
        assert_eq!(block.funcs[1].body.ops[0], Op::Ret { value: None });
        assert_eq!(block.funcs[1].result, None);
    }

    #[test]
    fn every_opcode_decodes() {
        for opcode in 0u8..=0xff {
            // generous operand bytes: type i64 (3), width 8, etc. — all zeros are valid operands
            let mut ops = vec![opcode];
            ops.extend([3, 8, 0]);
            ops.extend([0u8; 12]);
            let mut b = main_only(1, &ops);
            let r = decode(&b);
            let known = matches!(opcode, 0x01..=0x08 | 0x10..=0x21 | 0x28..=0x2C | 0x30..=0x34 | 0x40..=0x46 | 0x48..=0x4C | 0x50..=0x56 | 0x60..=0x67);
            match r {
                Ok(_) => panic!("op 0x{opcode:02x} consumed everything?"),
                Err(e) if !known => assert!(e.message.contains("unknown opcode"), "{e}"),
                Err(e) => {
                    assert!(e.message.contains("trailing bytes"), "0x{opcode:02x}: {e}");
                    // and the op round-trips through encode
                    let at: usize =
                        e.message["malformed IR at byte ".len()..].split(':').next().unwrap().parse().unwrap();
                    b.truncate(at);
                    let block = decode(&b).unwrap();
                    assert_eq!(encode(&block), b);
                }
            }
        }
    }
}

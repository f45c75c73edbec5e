//! Placing a unit's functions side by side in executable memory and resolving the relocations
//! between them (calls to standalone helpers) and to runtime functions (libcalls).

use cranelift_codegen::binemit::Reloc;
use cranelift_codegen::ir::{self, ExternalName, LibCall};
use cranelift_codegen::{CompiledCode, FinalizedRelocTarget};

use crate::codemem::CodeRegion;
use crate::ir::IrError;
use crate::lower::FuncKey;

#[derive(Clone, Copy, Debug)]
enum LinkTarget {
    Helper(u32),
    Address(usize),
}

#[derive(Clone, Debug)]
struct Fixup {
    offset: usize,
    kind: Reloc,
    target: LinkTarget,
    addend: i64,
}

/// One function's machine code with its unresolved references.
#[derive(Clone, Debug)]
pub struct CompiledFunction {
    pub key: FuncKey,
    pub bytes: Vec<u8>,
    fixups: Vec<Fixup>,
}

/// Runtime functions Cranelift may call when the host lacks an instruction (e.g. FMA on older
/// x86_64). They must compute exactly what the interpreter computes.
extern "C" fn fma_f32(a: f32, b: f32, c: f32) -> f32 {
    a.mul_add(b, c)
}
extern "C" fn fma_f64(a: f64, b: f64, c: f64) -> f64 {
    a.mul_add(b, c)
}

fn libcall_address(lc: LibCall) -> Option<usize> {
    match lc {
        LibCall::FmaF32 => Some(fma_f32 as *const () as usize),
        LibCall::FmaF64 => Some(fma_f64 as *const () as usize),
        _ => None,
    }
}

impl CompiledFunction {
    pub fn from_cranelift(key: FuncKey, code: &CompiledCode, func: &ir::Function) -> Result<CompiledFunction, IrError> {
        let mut fixups = Vec::new();
        for r in code.buffer.relocs() {
            let target = match &r.target {
                FinalizedRelocTarget::ExternalName(ExternalName::User(name)) => {
                    LinkTarget::Helper(func.params.user_named_funcs()[*name].index)
                }
                FinalizedRelocTarget::ExternalName(ExternalName::LibCall(lc)) => LinkTarget::Address(
                    libcall_address(*lc)
                        .ok_or_else(|| IrError::new(format!("unsupported Cranelift libcall {lc:?}")))?,
                ),
                other => return Err(IrError::new(format!("unsupported relocation target {other:?}"))),
            };
            fixups.push(Fixup { offset: r.offset as usize, kind: r.kind, target, addend: r.addend });
        }
        Ok(CompiledFunction { key, bytes: code.code_buffer().to_vec(), fixups })
    }
}

fn align_up(x: usize, a: usize) -> usize {
    x.div_ceil(a) * a
}

/// Lays the functions out (the first is the entry point, at offset 0) and writes them into fresh
/// executable memory with every reference resolved.
pub fn place(funcs: &[CompiledFunction], align: usize) -> Result<CodeRegion, IrError> {
    place_with(funcs, align, false)
}

/// `place`, optionally as permanent code (the trampoline: see `CodeRegion::install_permanent`).
pub fn place_with(funcs: &[CompiledFunction], align: usize, permanent: bool) -> Result<CodeRegion, IrError> {
    let mut offsets = Vec::with_capacity(funcs.len());
    let mut size = 0;
    for f in funcs {
        size = align_up(size, align);
        offsets.push(size);
        size += f.bytes.len();
    }
    let helper_offset = |k: u32| funcs.iter().position(|f| f.key == FuncKey::Helper(k)).map(|i| offsets[i]);
    // Resolve every fixup to an absolute target before touching memory, so errors leak nothing.
    let mut resolved = Vec::new();
    for (i, f) in funcs.iter().enumerate() {
        for fx in &f.fixups {
            let target = match fx.target {
                LinkTarget::Helper(k) => {
                    let off = helper_offset(k)
                        .ok_or_else(|| IrError::new(format!("call to helper {k} that was not compiled")))?;
                    Target::InUnit(off)
                }
                LinkTarget::Address(a) => Target::Absolute(a),
            };
            resolved.push((offsets[i] + fx.offset, fx.kind, target, fx.addend));
        }
    }
    let mut failure = None;
    let write = |buf: &mut [u8], base: usize| {
        for (f, off) in funcs.iter().zip(&offsets) {
            buf[*off..*off + f.bytes.len()].copy_from_slice(&f.bytes);
        }
        for (at, kind, target, addend) in &resolved {
            let what = match target {
                Target::InUnit(off) => base + off,
                Target::Absolute(a) => *a,
            };
            if let Err(e) = patch(buf, base, *at, *kind, what, *addend) {
                failure = Some(e);
            }
        }
    };
    let region = if permanent { CodeRegion::install_permanent(size, write) } else { CodeRegion::install(size, write) }
        .map_err(|e| IrError::new(format!("could not allocate executable memory: {e}")))?;
    match failure {
        Some(e) => Err(e),
        None => Ok(region),
    }
}

#[derive(Clone, Copy)]
enum Target {
    InUnit(usize),
    Absolute(usize),
}

fn patch(buf: &mut [u8], base: usize, at: usize, kind: Reloc, what: usize, addend: i64) -> Result<(), IrError> {
    let pc = (base + at) as i64;
    let target = what as i64 + addend;
    match kind {
        Reloc::Abs8 => buf[at..at + 8].copy_from_slice(&(target as u64).to_le_bytes()),
        Reloc::X86CallPCRel4 | Reloc::X86PCRel4 => {
            let delta = i32::try_from(target - pc).map_err(|_| IrError::new("call target out of range"))?;
            buf[at..at + 4].copy_from_slice(&delta.to_le_bytes());
        }
        Reloc::Arm64Call => {
            let delta = (target - pc) >> 2;
            if !(-(1 << 25)..(1 << 25)).contains(&delta) {
                return Err(IrError::new("call target out of range"));
            }
            let insn = u32::from_le_bytes(buf[at..at + 4].try_into().unwrap());
            let insn = (insn & 0xfc00_0000) | (delta as u32 & 0x03ff_ffff);
            buf[at..at + 4].copy_from_slice(&insn.to_le_bytes());
        }
        other => return Err(IrError::new(format!("unsupported relocation kind {other:?}"))),
    }
    Ok(())
}

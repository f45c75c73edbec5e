//! The trampoline: how Rust enters a block. Blocks use Cranelift's `tail` calling convention (so
//! they can jump into each other), which Rust cannot call directly; the trampoline is a tiny
//! Cranelift function with the host's C convention that loads the fuel from the context and calls
//! the block. Compiled once per process.

use std::sync::OnceLock;

use cranelift_codegen::control::ControlPlane;
use cranelift_codegen::ir::{self, InstBuilder, MemFlagsData};
use cranelift_codegen::Context;
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};

use crate::codemem::CodeRegion;
use crate::ctx::{self, RunCtx};
use crate::ir::IrError;
use crate::lower::{block_signature, Target};

use super::{config, link, BackendConfig, OptLevel};

/// `extern "C" fn(ctx, block entry) -> exit reason`.
pub type Trampoline = unsafe extern "C" fn(*mut RunCtx, *const u8) -> u32;

static TRAMPOLINE: OnceLock<Result<(CodeRegion, Trampoline), IrError>> = OnceLock::new();

/// The process's trampoline, compiled on first use.
pub fn trampoline() -> Result<Trampoline, IrError> {
    match TRAMPOLINE.get_or_init(build) {
        Ok((_, f)) => Ok(*f),
        Err(e) => Err(e.clone()),
    }
}

fn build() -> Result<(CodeRegion, Trampoline), IrError> {
    let isa = config::host_isa(&BackendConfig::with_opt_level(OptLevel::None))?;
    let target = Target::of(&*isa);
    let mut sig = ir::Signature::new(target.call_conv);
    sig.params.push(ir::AbiParam::new(target.pointer_type));
    sig.params.push(ir::AbiParam::new(target.pointer_type));
    sig.returns.push(ir::AbiParam::new(ir::types::I32));
    let mut func = ir::Function::with_name_signature(ir::UserFuncName::user(1, 0), sig);
    let mut fctx = FunctionBuilderContext::new();
    {
        let mut b = FunctionBuilder::new(&mut func, &mut fctx);
        let entry = b.create_block();
        b.append_block_params_for_function_params(entry);
        b.switch_to_block(entry);
        let p = b.block_params(entry).to_vec();
        let fuel = b.ins().load(ir::types::I64, MemFlagsData::trusted(), p[0], ctx::OFF_FUEL);
        let bsig = b.import_signature(block_signature(target));
        let call = b.ins().call_indirect(bsig, p[1], &[p[0], fuel]);
        let r = b.inst_results(call)[0];
        b.ins().return_(&[r]);
        b.seal_all_blocks();
        b.finalize(target.frontend);
    }
    let mut cctx = Context::for_function(func);
    cctx.compile(&*isa, &mut ControlPlane::default())
        .map_err(|e| IrError::new(format!("could not compile the trampoline: {:?}", e.inner)))?;
    let f =
        link::CompiledFunction::from_cranelift(crate::lower::FuncKey::Main, cctx.compiled_code().unwrap(), &cctx.func)?;
    let region = link::place_with(&[f], 16, true)?;
    // SAFETY: the region holds a function with exactly this signature (the host C convention).
    let entry: Trampoline = unsafe { std::mem::transmute(region.as_ptr()) };
    Ok((region, entry))
}

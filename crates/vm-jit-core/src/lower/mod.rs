//! Lowering verified block IR to Cranelift IR through cranelift-frontend.
//!
//! A block becomes one Cranelift function `fn(ctx: *mut RunCtx) -> u32 /* exit reason */`; each
//! helper that is not inlined becomes `fn(ctx, params…) -> result`. Every IR op is lowered so that
//! no trapping instruction is reachable (docs/IR.md "Total semantics"): guarded divisors,
//! saturating conversions, bounds-checked memory, fuel and an interrupt check at back edges.

mod arith;
mod body;
pub mod fast_loop;
mod function;
mod memory;
pub mod plan;
mod promote;
pub mod vector_reduce;

use cranelift_codegen::ir;
use cranelift_codegen::isa::CallConv;
use cranelift_frontend::FunctionBuilderContext;

use crate::ir::{Type, VerifiedBlock};

pub use plan::InlinePlan;

/// Which function of a compiled unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FuncKey {
    Main,
    Helper(u32),
}

/// Target facts the lowering needs.
#[derive(Clone, Copy)]
pub struct Target {
    pub call_conv: CallConv,
    pub pointer_type: ir::Type,
    pub frontend: cranelift_codegen::isa::TargetFrontendConfig,
}

impl Target {
    pub fn of(isa: &dyn cranelift_codegen::isa::TargetIsa) -> Target {
        Target { call_conv: isa.default_call_conv(), pointer_type: isa.pointer_type(), frontend: isa.frontend_config() }
    }
}

/// The Cranelift type of an IR type.
pub fn cl_type(t: Type) -> ir::Type {
    match t {
        Type::I8 => ir::types::I8,
        Type::I16 => ir::types::I16,
        Type::I32 => ir::types::I32,
        Type::I64 => ir::types::I64,
        Type::F32 => ir::types::F32,
        Type::F64 => ir::types::F64,
    }
}

/// How a block links to the tiered runtime: its execution counter and its chained exits.
#[derive(Clone, Debug, Default)]
pub struct ChainInfo {
    /// Index of this unit's counter in `RunCtx::counters`, incremented at every entry.
    pub counter: Option<u32>,
    /// Address of the unit's exit-slot array (`AtomicUsize` per slot: the entry point of the
    /// block to chain to, or 0 to return to the dispatcher).
    pub slots_addr: usize,
    /// For each main-body op index: the exit slot of an `exit` to a constant pc.
    pub slot_of_op: Vec<Option<u32>>,
    /// Exits to computed pcs look in the runtime's jump cache (runtime::jump_cache) first.
    pub jump_cache: bool,
}

/// The signature every block's main function has: `tail fn(ctx, fuel) -> exit reason`. The
/// `tail` convention lets a block jump straight into the next one (`return_call_indirect`); the
/// trampoline (backend::trampoline) is how Rust enters it.
pub fn block_signature(target: Target) -> ir::Signature {
    let mut sig = ir::Signature::new(CallConv::Tail);
    sig.params.push(ir::AbiParam::new(target.pointer_type));
    sig.params.push(ir::AbiParam::new(ir::types::I64));
    sig.returns.push(ir::AbiParam::new(ir::types::I32));
    sig
}

/// The signature of a block (`Main`) or helper function.
pub fn signature(vb: &VerifiedBlock, key: FuncKey, target: Target) -> ir::Signature {
    if key == FuncKey::Main {
        return block_signature(target);
    }
    let mut sig = ir::Signature::new(target.call_conv);
    sig.params.push(ir::AbiParam::new(target.pointer_type));
    match key {
        FuncKey::Main => unreachable!(),
        FuncKey::Helper(k) => {
            let f = &vb.block.funcs[k as usize];
            sig.params.extend(f.params.iter().map(|t| ir::AbiParam::new(cl_type(*t))));
            sig.returns.extend(f.result.iter().map(|t| ir::AbiParam::new(cl_type(*t))));
        }
    }
    sig
}

/// Lowers one function of the unit. Calls to a standalone helper `k` refer to the user external
/// name `(0, k)`; the backend resolves them when it places the unit.
pub fn lower_function(
    vb: &VerifiedBlock,
    key: FuncKey,
    plan: &InlinePlan,
    target: Target,
    chain: Option<&ChainInfo>,
    fctx: &mut FunctionBuilderContext,
) -> ir::Function {
    let mut func = ir::Function::with_name_signature(
        ir::UserFuncName::user(
            0,
            match key {
                FuncKey::Main => u32::MAX,
                FuncKey::Helper(k) => k,
            },
        ),
        signature(vb, key, target),
    );
    function::FnLower::lower(&mut func, vb, key, plan, target, chain, fctx);
    func
}

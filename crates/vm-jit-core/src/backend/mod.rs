//! `CraneliftBackend`: verified IR → Cranelift → machine code in our own executable memory.

mod config;
mod link;
pub mod trampoline;
mod unit;

use std::panic::{catch_unwind, AssertUnwindSafe};

use cranelift_codegen::control::ControlPlane;
use cranelift_codegen::isa::OwnedTargetIsa;
use cranelift_codegen::Context;
use cranelift_frontend::FunctionBuilderContext;

use crate::codemem::CodeRegion;
use crate::ir::{IrError, VerifiedBlock};
use crate::lower::{self, ChainInfo, FuncKey, InlinePlan, Target};

pub use config::{host_isa, BackendConfig, OptLevel, RegallocAlgorithm};
pub use link::CompiledFunction;
pub use unit::CompiledBlock;

/// Compiles verified blocks for the host. Holds the target ISA and reusable compile contexts,
/// so one backend should compile many blocks.
pub struct CraneliftBackend {
    config: BackendConfig,
    isa: OwnedTargetIsa,
    ctx: Context,
    fctx: FunctionBuilderContext,
}

impl CraneliftBackend {
    pub fn new(config: BackendConfig) -> Result<CraneliftBackend, IrError> {
        let isa = config::host_isa(&config)?;
        Ok(CraneliftBackend { config, isa, ctx: Context::new(), fctx: FunctionBuilderContext::new() })
    }

    pub fn config(&self) -> &BackendConfig {
        &self.config
    }

    /// The host ISA's name (`x86_64`, `aarch64`).
    pub fn isa_name(&self) -> &'static str {
        self.isa.name()
    }

    /// Compiles `vb` into executable memory. A Cranelift panic (a bug, never expected for
    /// verified IR) becomes an error, and the backend stays usable.
    pub fn compile(&mut self, vb: &VerifiedBlock) -> Result<CompiledBlock, IrError> {
        self.compile_chained(vb, None)
    }

    /// Compiles `vb` as a unit of the tiered runtime: counting its entries and with chainable
    /// exits (see `ChainInfo`).
    pub fn compile_chained(&mut self, vb: &VerifiedBlock, chain: Option<&ChainInfo>) -> Result<CompiledBlock, IrError> {
        trampoline::trampoline()?;
        match catch_unwind(AssertUnwindSafe(|| self.compile_inner(vb, chain))) {
            Ok(r) => r,
            Err(panic) => {
                // The contexts may be half-way through a function: start afresh.
                self.ctx = Context::new();
                self.fctx = FunctionBuilderContext::new();
                let what = panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "unknown panic".into());
                Err(IrError::new(format!("internal compiler error compiling block at pc {:#x}: {what}", vb.block.pc)))
            }
        }
    }

    /// What the lowering does for `vb` under this backend's configuration.
    fn plan(&self, vb: &VerifiedBlock) -> InlinePlan {
        let optimised = self.config.opt_level != OptLevel::None;
        let budget = if self.config.enable_inlining && optimised { lower::plan::DEFAULT_INLINE_BUDGET } else { 0 };
        // Vector reductions need 128-bit integer vectors in the ISA's baseline (SSE2, NEON), so
        // that they compile whatever the host detection found; any other ISA keeps scalar loops.
        let vectors = matches!(self.isa.name(), "x64" | "aarch64");
        InlinePlan::new(vb, budget)
            .with_state_promotion(optimised)
            .with_fast_loops(optimised)
            .with_simd(optimised && self.config.enable_simd && vectors)
    }

    fn compile_inner(&mut self, vb: &VerifiedBlock, chain: Option<&ChainInfo>) -> Result<CompiledBlock, IrError> {
        let target = Target::of(&*self.isa);
        let plan = self.plan(vb);
        let mut keys = vec![FuncKey::Main];
        keys.extend((0..vb.block.funcs.len() as u32).filter(|k| plan.standalone[*k as usize]).map(FuncKey::Helper));

        let mut funcs = Vec::with_capacity(keys.len());
        for key in keys {
            self.ctx.clear();
            self.ctx.func = lower::lower_function(vb, key, &plan, target, chain, &mut self.fctx);
            self.ctx.compile(&*self.isa, &mut ControlPlane::default()).map_err(|e| {
                IrError::new(format!("Cranelift could not compile block at pc {:#x}: {:?}", vb.block.pc, e.inner))
            })?;
            let code = self.ctx.compiled_code().expect("compile succeeded");
            funcs.push(CompiledFunction::from_cranelift(key, code, &self.ctx.func)?);
        }
        let align = self.isa.function_alignment().preferred.max(16) as usize;
        let region = link::place(&funcs, align)?;
        Ok(CompiledBlock::new(region, vb, self.config.opt_level))
    }
}

impl CraneliftBackend {
    /// Cranelift's disassembly (VCode with register allocations) of the block's main function, as
    /// this backend would compile it — for dumps and for studying code quality.
    pub fn disassemble(&mut self, vb: &VerifiedBlock) -> Result<String, IrError> {
        let target = Target::of(&*self.isa);
        let plan = self.plan(vb);
        self.ctx.clear();
        self.ctx.set_disasm(true);
        self.ctx.func = lower::lower_function(vb, FuncKey::Main, &plan, target, None, &mut self.fctx);
        let result = self
            .ctx
            .compile(&*self.isa, &mut ControlPlane::default())
            .map(|c| c.vcode.clone().unwrap_or_default())
            .map_err(|e| {
                IrError::new(format!("Cranelift could not compile block at pc {:#x}: {:?}", vb.block.pc, e.inner))
            });
        self.ctx.set_disasm(false);
        result
    }
}

thread_local! {
    // One backend per configuration per thread: building an ISA and the compile contexts costs
    // far more than compiling a small block, so they are reused.
    static BACKENDS: std::cell::RefCell<Vec<CraneliftBackend>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Runs `f` with this thread's backend for `config` (created on first use).
pub fn with_thread_backend<R>(
    config: &BackendConfig,
    f: impl FnOnce(&mut CraneliftBackend) -> R,
) -> Result<R, IrError> {
    BACKENDS.with(|cell| {
        let mut backends = cell.borrow_mut();
        let i = match backends.iter().position(|b| b.config() == config) {
            Some(i) => i,
            None => {
                backends.push(CraneliftBackend::new(config.clone())?);
                backends.len() - 1
            }
        };
        Ok(f(&mut backends[i]))
    })
}

/// Places raw code in executable memory (used by tests of the code memory itself).
pub fn install_raw(code: &[u8]) -> std::io::Result<CodeRegion> {
    CodeRegion::install(code.len(), |buf, _| buf.copy_from_slice(code))
}

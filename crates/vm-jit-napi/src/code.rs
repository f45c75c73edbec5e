//! Compiling blocks and the `NativeCode` handle that owns the machine code.

use napi::bindgen_prelude::{BigInt, ObjectFinalize};
use napi::Env;
use napi_derive::napi;
use vm_jit_core::backend::{with_thread_backend, BackendConfig, CompiledBlock, OptLevel};
use vm_jit_core::ir;

use napi::bindgen_prelude::Uint8ArraySlice;

use crate::convert::{check_disjoint, fuel, guest_bytes, js_error, RunResult};

#[napi(object)]
pub struct CompileOptions {
    /// 'none' | 'speed' | 'speedAndSize'
    pub opt_level: String,
    pub enable_simd: Option<bool>,
    pub enable_inlining: Option<bool>,
}

/// Machine code for one block, in executable memory owned by this object. `free()` releases it
/// at once; otherwise garbage collection does.
#[napi(custom_finalize)]
pub struct NativeCode {
    code: Option<CompiledBlock>,
    pc: u64,
    opt_level: OptLevel,
    /// Bytes reported to V8 as external memory (so GC sees what handles hold).
    external: i64,
}

/// Compiles verified block bytes at the given options.
#[napi(catch_unwind)]
pub fn compile_block(env: Env, bytes: &[u8], options: CompileOptions) -> napi::Result<NativeCode> {
    let vb = ir::decode_and_verify_cached(bytes).map_err(js_error)?;
    let mut config = BackendConfig::with_opt_level(OptLevel::parse(&options.opt_level).map_err(js_error)?);
    config.enable_simd = options.enable_simd.unwrap_or(true);
    config.enable_inlining = options.enable_inlining.unwrap_or(true);
    let code = with_thread_backend(&config, |b| b.compile(&vb)).and_then(|r| r).map_err(js_error)?;
    let external = code.mapped_size() as i64;
    let _ = env.adjust_external_memory(external);
    Ok(NativeCode { pc: code.pc(), opt_level: code.opt_level(), code: Some(code), external })
}

impl NativeCode {
    fn live(&self) -> napi::Result<&CompiledBlock> {
        self.code.as_ref().ok_or_else(|| {
            napi::Error::from_reason(format!(
                "code handle freed: the code for pc {:#x} was released by free()",
                self.pc
            ))
        })
    }
}

#[napi]
impl NativeCode {
    /// Bytes of machine code (0 once freed).
    #[napi(getter)]
    pub fn size(&self) -> u32 {
        self.code.as_ref().map_or(0, |c| c.code_size() as u32)
    }

    #[napi(getter)]
    pub fn opt_level(&self) -> String {
        self.opt_level.name().to_string()
    }

    #[napi(getter)]
    pub fn pc(&self) -> BigInt {
        BigInt::from(self.pc)
    }

    #[napi(getter)]
    pub fn freed(&self) -> bool {
        self.code.is_none()
    }

    /// Releases the machine code now. Freeing twice is allowed and does nothing.
    #[napi]
    pub fn free(&mut self, env: Env) {
        if self.code.take().is_some() {
            let _ = env.adjust_external_memory(-self.external);
        }
    }

    /// Runs the code on `state` and `memory` in place.
    #[napi(catch_unwind)]
    pub fn run(
        &self,
        mut state: Uint8ArraySlice,
        mut memory: Uint8ArraySlice,
        fuel_limit: f64,
    ) -> napi::Result<RunResult> {
        let (state, memory) = (guest_bytes(&mut state), guest_bytes(&mut memory));
        check_disjoint(state, memory)?;
        let code = self.live()?;
        let out = code.run(state, memory, fuel(fuel_limit)?, None).map_err(js_error)?;
        Ok(out.into())
    }
}

impl ObjectFinalize for NativeCode {
    fn finalize(mut self, env: Env) -> napi::Result<()> {
        if self.code.take().is_some() {
            let _ = env.adjust_external_memory(-self.external);
        }
        Ok(())
    }
}

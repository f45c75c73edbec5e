//! Compiling blocks: `compileBlock` puts the machine code in this thread's code table and returns
//! a plain object with its id; `runCode(id, …)` runs it and `freeCode(id)` releases it.
//!
//! Why ids and not a wrapped native object: Node runs the finalizers of napi-wrapped objects from
//! the event loop, so a loop that compiles and frees without ever yielding kept every freed
//! handle's wrapper (~300 bytes each) until it yielded. With an id, a freed handle is an ordinary
//! JS object that any garbage collection reclaims. The TypeScript `CodeHandle` frees the ids of
//! handles collected without `free()` through a `FinalizationRegistry`.
//!
//! The table is per thread: a handle belongs to the JS thread (main or worker) that compiled it,
//! and a worker's code is released when the worker exits. Ids are never reused, so an id that
//! was freed can never run another block.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use napi::bindgen_prelude::{BigInt, Uint8ArraySlice};
use napi::Env;
use napi_derive::napi;
use vm_jit_core::backend::{with_thread_backend, BackendConfig, CompiledBlock, OptLevel};
use vm_jit_core::ir;

use crate::convert::{check_disjoint, fuel, guest_bytes, js_error, RunResult};

#[napi(object)]
pub struct CompileOptions {
    /// 'none' | 'speed' | 'speedAndSize'
    pub opt_level: String,
    pub enable_simd: Option<bool>,
    pub enable_inlining: Option<bool>,
}

/// What `compileBlock` returns: the code's id in this thread's table, and what it is.
#[napi(object)]
pub struct NativeCodeInfo {
    /// Handle for `runCode` / `freeCode` (an integer below 2^53; never reused).
    pub id: f64,
    /// Bytes of machine code.
    pub size: u32,
    pub opt_level: String,
    pub pc: BigInt,
}

struct Table {
    next: u64,
    codes: HashMap<u64, Rc<CompiledBlock>>,
}

thread_local! {
    static CODES: RefCell<Table> = RefCell::new(Table { next: 1, codes: HashMap::new() });
}

/// Compiles verified block bytes at the given options.
#[napi(catch_unwind)]
pub fn compile_block(env: Env, bytes: &[u8], options: CompileOptions) -> napi::Result<NativeCodeInfo> {
    let vb = ir::decode_and_verify_cached(bytes).map_err(js_error)?;
    let mut config = BackendConfig::with_opt_level(OptLevel::parse(&options.opt_level).map_err(js_error)?);
    config.enable_simd = options.enable_simd.unwrap_or(true);
    config.enable_inlining = options.enable_inlining.unwrap_or(true);
    let code = with_thread_backend(&config, |b| b.compile(&vb)).and_then(|r| r).map_err(js_error)?;
    // V8 is told what handles hold, so that garbage collection feels native code memory.
    let _ = env.adjust_external_memory(code.mapped_size() as i64);
    let info = NativeCodeInfo {
        id: 0.0,
        size: code.code_size() as u32,
        opt_level: code.opt_level().name().to_string(),
        pc: BigInt::from(code.pc()),
    };
    let id = CODES.with(|t| {
        let mut t = t.borrow_mut();
        let id = t.next;
        t.next += 1;
        t.codes.insert(id, Rc::new(code));
        id
    });
    Ok(NativeCodeInfo { id: id as f64, ..info })
}

fn code_of(id: f64) -> napi::Result<Rc<CompiledBlock>> {
    CODES.with(|t| t.borrow().codes.get(&(id as u64)).cloned()).ok_or_else(|| {
        napi::Error::from_reason(format!(
            "code handle freed: no code with id {id} on this thread (released by free(), or compiled on another thread)"
        ))
    })
}

/// Runs code `id` on `state` and `memory` in place.
#[napi(catch_unwind)]
pub fn run_code(
    id: f64,
    mut state: Uint8ArraySlice,
    mut memory: Uint8ArraySlice,
    fuel_limit: f64,
) -> napi::Result<RunResult> {
    let (state, memory) = (guest_bytes(&mut state), guest_bytes(&mut memory));
    check_disjoint(state, memory)?;
    let code = code_of(id)?;
    let out = code.run(state, memory, fuel(fuel_limit)?, None).map_err(js_error)?;
    Ok(out.into())
}

/// Releases code `id` now. Returns false if it was already released (freeing twice does nothing).
#[napi(catch_unwind)]
pub fn free_code(env: Env, id: f64) -> bool {
    let code = CODES.with(|t| t.borrow_mut().codes.remove(&(id as u64)));
    match code {
        Some(code) => {
            let _ = env.adjust_external_memory(-(code.mapped_size() as i64));
            true
        }
        None => false,
    }
}

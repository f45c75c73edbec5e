//! The tiered runtime's binding: `NativeRuntime` wraps one `vm_jit_core::runtime::Runtime` (a
//! guest's dispatch loop) and a pool of background compile threads. TypeScript's
//! `TieredCompiler` decides; this converts and delegates.

use std::collections::HashMap;
use std::sync::atomic::AtomicU32;
use std::sync::Arc;

use napi::bindgen_prelude::{BigInt, Int32ArraySlice, Object, Uint32ArraySlice, Uint8ArraySlice};
use napi::Env;
use napi_derive::napi;
use vm_jit_core::backend::{BackendConfig, OptLevel};
use vm_jit_core::ir;
use vm_jit_core::runtime::{self, CompileJob, CompilePool, Runtime, StopReason, Unit, UnitOptions, MAX_UNITS};

use crate::convert::{check_disjoint, fuel, guest_bytes, js_error};

/// What TypeScript learns about a unit.
#[napi(object)]
#[derive(Clone)]
pub struct UnitInfo {
    pub id: u32,
    pub pc: BigInt,
    pub tier: u32,
    /// Bytes of machine code (0 for tier 0).
    pub size: u32,
    pub op_count: u32,
    /// Address of the machine code (0 for tier 0), for perf maps.
    pub address: BigInt,
}

fn info(u: &Unit) -> UnitInfo {
    UnitInfo {
        id: u.id,
        pc: BigInt::from(u.pc),
        tier: u.tier as u32,
        size: u.code_size as u32,
        op_count: u.op_count as u32,
        address: BigInt::from(u.entry().unwrap_or(0) as u64),
    }
}

/// A background compile that finished.
#[napi(object)]
pub struct CompletedCompile {
    pub job_id: f64,
    pub pc: BigInt,
    /// The unit, when compiling succeeded.
    pub unit: Option<UnitInfo>,
    pub error: Option<String>,
    /// Native clock (µs, see `nativeClockUs`).
    pub start_us: f64,
    pub end_us: f64,
    pub thread: u32,
}

/// Why `run` returned: exit reason codes 0–5 (docs/IR.md), 6 = miss (no code for `pc`),
/// 7 = decision point (slice used up).
#[napi(object)]
pub struct RuntimeStop {
    pub reason: u32,
    pub pc: BigInt,
    pub aux: BigInt,
    pub fuel_left: BigInt,
    pub dispatched: f64,
}

/// A number unique to the calling thread in this process (1, 2, … in order of first call): what
/// TieredCompiler tags its chaining domains with. Cheaper to get than `worker_threads.threadId`,
/// whose module (and the modules it loads) cost every process ~2 ms to load.
#[napi]
pub fn thread_ordinal() -> u32 {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(1);
    thread_local! {
        static ORDINAL: u32 = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
    ORDINAL.with(|o| *o)
}

/// Microseconds on the native clock that background compile timestamps use.
#[napi]
pub fn native_clock_us() -> f64 {
    runtime::clock_us()
}

/// Entries a runtime's counter array must have.
#[napi]
pub fn runtime_counter_slots() -> u32 {
    MAX_UNITS
}

#[napi]
pub struct NativeRuntime {
    rt: Runtime,
    pool: CompilePool,
    /// Units built through this runtime and not released, by id.
    units: HashMap<u32, Arc<Unit>>,
    /// Optimised units count their entries too (see `new`).
    count_optimized: bool,
}

fn level(opt_level: &str) -> napi::Result<BackendConfig> {
    Ok(BackendConfig::with_opt_level(OptLevel::parse(opt_level).map_err(js_error)?))
}

#[napi]
impl NativeRuntime {
    /// `domain`: runtimes sharing a code cache share a domain (their blocks chain to each
    /// other). `stateSize`: bytes of guest state every run provides. `countOptimized` (default
    /// true): units compiled at an optimising level count their entries in the run's counters
    /// like the others; false leaves the increment out of their code.
    #[napi(constructor)]
    pub fn new(domain: u32, state_size: u32, compile_threads: u32, count_optimized: Option<bool>) -> NativeRuntime {
        NativeRuntime {
            rt: Runtime::new(domain, state_size),
            pool: CompilePool::new(compile_threads as usize),
            units: HashMap::new(),
            count_optimized: count_optimized.unwrap_or(true),
        }
    }

    /// How a unit compiled at `config`'s level is built.
    fn unit_options(&self, config: &BackendConfig, chainable: bool) -> UnitOptions {
        UnitOptions { chainable, counted: config.opt_level == OptLevel::None || self.count_optimized }
    }

    #[napi(getter)]
    pub fn compile_threads(&self) -> u32 {
        self.pool.threads() as u32
    }

    /// Builds a unit now: tier 0 (`optLevel` 'interp') or compiled. `chainable` false builds
    /// one whose exits always return (for `runUnit`).
    #[napi(catch_unwind)]
    pub fn compile_unit(&mut self, bytes: &[u8], opt_level: String, chainable: Option<bool>) -> napi::Result<UnitInfo> {
        let vb = ir::decode_and_verify_cached(bytes).map_err(js_error)?;
        let unit = if opt_level == "interp" {
            runtime::interpreted_unit(&vb)
        } else {
            let config = level(&opt_level)?;
            runtime::build_unit_with(&vb, &config, self.unit_options(&config, chainable.unwrap_or(true)))
        }
        .map_err(js_error)?;
        let i = info(&unit);
        self.units.insert(unit.id, unit);
        Ok(i)
    }

    /// Queues a compile on a background thread. The result is both returned through the
    /// Promise and kept for `drainCompleted` (which is how a running guest picks it up).
    #[napi(catch_unwind, ts_return_type = "Promise<UnitInfo>")]
    pub fn compile_unit_async<'env>(
        &mut self,
        env: &'env Env,
        bytes: &[u8],
        opt_level: String,
        job_id: f64,
    ) -> napi::Result<Object<'env>> {
        let vb = ir::decode_and_verify(bytes).map_err(js_error)?;
        let config = level(&opt_level)?;
        let options = self.unit_options(&config, true);
        let (deferred, promise) = env.create_deferred()?;
        self.pool.submit(CompileJob {
            id: job_id as u64,
            vb,
            config,
            options,
            on_done: Some(Box::new(move |done| match &done.result {
                Ok(unit) => {
                    let i = info(unit);
                    deferred.resolve(move |_| Ok(i));
                }
                Err(e) => deferred.reject(napi::Error::from_reason(e.message.clone())),
            })),
        });
        Ok(promise)
    }

    /// Background compiles finished since the last call; their units can now be installed.
    #[napi]
    pub fn drain_completed(&mut self) -> Vec<CompletedCompile> {
        self.pool
            .drain()
            .into_iter()
            .map(|job| {
                let (unit, error) = match job.result {
                    Ok(u) => {
                        let i = info(&u);
                        self.units.insert(u.id, u);
                        (Some(i), None)
                    }
                    Err(e) => (None, Some(e.message)),
                };
                CompletedCompile {
                    job_id: job.id as f64,
                    pc: BigInt::from(job.pc),
                    unit,
                    error,
                    start_us: job.start_us,
                    end_us: job.end_us,
                    thread: job.thread as u32,
                }
            })
            .collect()
    }

    /// Takes on unit `id`, compiled by another runtime that shares this one's code cache (e.g. in
    /// another worker thread), so that it can be installed here without compiling. Undefined if
    /// that unit is gone (evicted and retired meanwhile).
    #[napi]
    pub fn adopt(&mut self, id: u32) -> Option<UnitInfo> {
        let unit = runtime::unit_by_id(id)?;
        let i = info(&unit);
        self.units.insert(id, unit);
        Some(i)
    }

    /// Makes unit `id` the code for its pc (and what chains to that pc jump into).
    #[napi]
    pub fn install(&mut self, id: u32) -> napi::Result<()> {
        let unit = self.unit(id)?.clone();
        self.rt.install(unit).map_err(js_error)
    }

    /// Forgets the code for `pc` in this runtime's lookup (a miss next time).
    #[napi]
    pub fn uninstall(&mut self, pc: BigInt) -> bool {
        self.rt.remove(pc.get_u64().1).is_some()
    }

    /// Releases unit `id`: out of the lookup if installed, unlinked from every chain, its memory
    /// freed as soon as no runtime can be running it.
    #[napi]
    pub fn release(&mut self, id: u32) -> bool {
        let Some(unit) = self.units.remove(&id) else { return false };
        if self.rt.lookup(unit.pc).is_some_and(|u| u.id == id) {
            self.rt.remove(unit.pc);
        }
        runtime::retire(&unit);
        true
    }

    /// The unit installed for `pc`, if any.
    #[napi]
    pub fn installed(&self, pc: BigInt) -> Option<UnitInfo> {
        self.rt.lookup(pc.get_u64().1).map(|u| info(u))
    }

    #[napi(getter)]
    pub fn installed_count(&self) -> u32 {
        self.rt.len() as u32
    }

    /// Runs the guest from `pc` until an exit that needs JavaScript (see `RuntimeStop`).
    /// `counters`: `runtimeCounterSlots()` u32 entries; `control[0]`: the interrupt flag.
    #[napi(catch_unwind)]
    #[allow(clippy::too_many_arguments)]
    pub fn run(
        &mut self,
        pc: BigInt,
        mut state: Uint8ArraySlice,
        mut memory: Uint8ArraySlice,
        fuel_limit: f64,
        slice: f64,
        mut counters: Uint32ArraySlice,
        control: Int32ArraySlice,
    ) -> napi::Result<RuntimeStop> {
        let (state, memory) = (guest_bytes(&mut state), guest_bytes(&mut memory));
        check_disjoint(state, memory)?;
        // SAFETY: the typed array is alive for this call; u32 and AtomicU32 share a layout.
        let counters = unsafe { counters.as_mut() };
        let interrupt = interrupt_flag(&control)?;
        let stop = self
            .rt
            .run(pc.get_u64().1, state, memory, fuel(fuel_limit)?, fuel(slice)?, counters, interrupt)
            .map_err(js_error)?;
        let reason = match stop.reason {
            StopReason::Exit(r) => r as u32,
            StopReason::Miss => 6,
            StopReason::Decision => 7,
        };
        Ok(RuntimeStop {
            reason,
            pc: BigInt::from(stop.pc),
            aux: BigInt::from(stop.aux),
            fuel_left: BigInt::from(stop.fuel_left),
            dispatched: stop.dispatched as f64,
        })
    }
}

#[napi]
impl NativeRuntime {
    /// Runs unit `id` once, with no dispatching after it (see `compileUnit`'s `chainable`).
    #[napi(catch_unwind)]
    pub fn run_unit(
        &mut self,
        id: u32,
        mut state: Uint8ArraySlice,
        mut memory: Uint8ArraySlice,
        fuel_limit: f64,
        mut counters: Uint32ArraySlice,
        control: Int32ArraySlice,
    ) -> napi::Result<RuntimeStop> {
        let (state, memory) = (guest_bytes(&mut state), guest_bytes(&mut memory));
        check_disjoint(state, memory)?;
        // SAFETY: alive for this call.
        let counters = unsafe { counters.as_mut() };
        let interrupt = interrupt_flag(&control)?;
        let unit = self.unit(id)?.clone();
        let stop = self.rt.run_unit(&unit, state, memory, fuel(fuel_limit)?, counters, interrupt).map_err(js_error)?;
        let StopReason::Exit(reason) = stop.reason else { unreachable!("run_unit only exits") };
        Ok(RuntimeStop {
            reason: reason as u32,
            pc: BigInt::from(stop.pc),
            aux: BigInt::from(stop.aux),
            fuel_left: BigInt::from(stop.fuel_left),
            dispatched: 1.0,
        })
    }
}

impl NativeRuntime {
    fn unit(&self, id: u32) -> napi::Result<&Arc<Unit>> {
        self.units.get(&id).ok_or_else(|| napi::Error::from_reason(format!("no live code unit with id {id}")))
    }
}

impl Drop for NativeRuntime {
    fn drop(&mut self) {
        for (_, unit) in self.units.drain() {
            self.rt.remove(unit.pc);
            runtime::retire(&unit);
        }
    }
}

/// The interrupt flag: element 0 of an `Int32Array` (usually over a SharedArrayBuffer, so that
/// another worker can `Atomics.store` it while the guest runs).
fn interrupt_flag<'a>(control: &'a Int32ArraySlice) -> napi::Result<&'a AtomicU32> {
    if control.is_empty() {
        return Err(napi::Error::from_reason("the control array needs at least one element"));
    }
    // SAFETY: Int32Array elements are 4-byte aligned and AtomicU32 has i32's layout; the array
    // stays alive for the call.
    Ok(unsafe { &*(control.as_ptr() as *const AtomicU32) })
}

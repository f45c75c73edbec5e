//! Background compilation: a fixed set of native threads compiling blocks while the guest keeps
//! running. Finished units wait in a queue until the runtime's owner installs them at a decision
//! point (swapping code in while no block of that runtime is running), and each job can also
//! report completion through a callback (the binding resolves a Promise with it).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc::{channel, Sender};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::JoinHandle;
use std::time::Instant;

use crate::backend::BackendConfig;
use crate::ir::{IrError, VerifiedBlock};

use super::unit::Unit;
use super::UnitOptions;

/// Microseconds since the first use of this clock (shared by every pool, for timelines).
pub fn clock_us() -> f64 {
    static ORIGIN: OnceLock<Instant> = OnceLock::new();
    ORIGIN.get_or_init(Instant::now).elapsed().as_secs_f64() * 1e6
}

pub struct CompileJob {
    pub id: u64,
    pub vb: VerifiedBlock,
    pub config: BackendConfig,
    pub options: UnitOptions,
    /// Called on the compile thread when the job is done (before it is queued).
    pub on_done: Option<Box<dyn FnOnce(&CompletedJob) + Send>>,
}

pub struct CompletedJob {
    pub id: u64,
    pub pc: u64,
    pub result: Result<Arc<Unit>, IrError>,
    pub start_us: f64,
    pub end_us: f64,
    /// Which pool thread compiled it (0-based).
    pub thread: usize,
}

/// What a pool thread does with a job (the real one builds a unit; tests inject failures).
pub type CompileFn = fn(&VerifiedBlock, &BackendConfig, UnitOptions) -> Result<Arc<Unit>, IrError>;

pub struct CompilePool {
    tx: Option<Sender<CompileJob>>,
    done: Arc<Mutex<Vec<CompletedJob>>>,
    threads: Vec<JoinHandle<()>>,
    submitted: u64,
}

impl CompilePool {
    /// Starts `threads` compile threads (at least one).
    pub fn new(threads: usize) -> CompilePool {
        Self::with_compiler(threads, super::build_unit_with)
    }

    /// A pool whose threads run `compile` (for testing how failures and panics are reported).
    pub fn with_compiler(threads: usize, compile: CompileFn) -> CompilePool {
        let (tx, rx) = channel::<CompileJob>();
        let rx = Arc::new(Mutex::new(rx));
        let done = Arc::new(Mutex::new(Vec::new()));
        let threads = (0..threads.max(1))
            .map(|t| {
                let rx = rx.clone();
                let done = done.clone();
                std::thread::Builder::new()
                    .name(format!("vm-jit-compile-{t}"))
                    .spawn(move || loop {
                        let job = match rx.lock().unwrap_or_else(|e| e.into_inner()).recv() {
                            Ok(job) => job,
                            Err(_) => return, // the pool was dropped
                        };
                        let start_us = clock_us();
                        // A panic in Cranelift must not take the thread (or Node) down.
                        let result = catch_unwind(AssertUnwindSafe(|| compile(&job.vb, &job.config, job.options)))
                            .unwrap_or_else(|p| {
                                let what = p
                                    .downcast_ref::<&str>()
                                    .map(|s| s.to_string())
                                    .or_else(|| p.downcast_ref::<String>().cloned())
                                    .unwrap_or_else(|| "unknown panic".into());
                                Err(IrError::new(format!("compile thread panicked: {what}")))
                            });
                        let completed = CompletedJob {
                            id: job.id,
                            pc: job.vb.block.pc,
                            result,
                            start_us,
                            end_us: clock_us(),
                            thread: t,
                        };
                        if let Some(cb) = job.on_done {
                            let _ = catch_unwind(AssertUnwindSafe(|| cb(&completed)));
                        }
                        done.lock().unwrap_or_else(|e| e.into_inner()).push(completed);
                    })
                    .expect("spawn compile thread")
            })
            .collect();
        CompilePool { tx: Some(tx), done, threads, submitted: 0 }
    }

    pub fn threads(&self) -> usize {
        self.threads.len()
    }

    pub fn submit(&mut self, job: CompileJob) {
        self.submitted += 1;
        if let Some(tx) = &self.tx {
            let _ = tx.send(job);
        }
    }

    /// Jobs finished since the last call, in completion order.
    pub fn drain(&self) -> Vec<CompletedJob> {
        std::mem::take(&mut *self.done.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// Waits for every submitted job to finish (for tests and shutdown).
    pub fn wait_idle(&self, seen: u64) -> bool {
        let deadline = Instant::now() + std::time::Duration::from_secs(60);
        while (self.done.lock().unwrap_or_else(|e| e.into_inner()).len() as u64) < self.submitted - seen {
            if Instant::now() > deadline {
                return false;
            }
            std::thread::sleep(std::time::Duration::from_micros(200));
        }
        true
    }
}

impl Drop for CompilePool {
    fn drop(&mut self) {
        self.tx.take();
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
        // Units nobody will install: take them out of the registry.
        for job in self.drain() {
            if let Ok(unit) = job.result {
                super::registry::retire(&unit);
            }
        }
    }
}

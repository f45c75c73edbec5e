//! Executable memory for generated code, owned per compiled unit and really freed.
//!
//! cranelift-jit cannot free a single function (wasmtime#1157), so we compile with
//! `Context::compile` and place the bytes here ourselves. Every unit gets its own run of whole
//! pages, which keeps W^X simple and safe with several threads: a page is writable only while it
//! holds no live code, then becomes read+execute and stays so until the unit is freed. Freed runs
//! go to a small cache of pages (made inaccessible, kept resident) so that
//! compile/free churn costs two `mprotect`s instead of `mmap` + page faults + `munmap`; beyond the
//! cache the pages are unmapped. The price is page granularity: a 300-byte block uses 4 KiB.

mod pool;
mod region;
mod sys;

pub use pool::{stats, CodeMemoryStats};
pub use region::CodeRegion;

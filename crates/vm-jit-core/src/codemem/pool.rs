//! A process-wide cache of page runs, so that compile/free churn reuses pages instead of mapping,
//! faulting in and unmapping every time. Cached pages are inaccessible but stay resident, so the
//! cache is small and bounded: past `CACHE_LIMIT_BYTES`, freed pages go back to the OS.

use std::io;
use std::sync::atomic::{AtomicIsize, Ordering};
use std::sync::{Mutex, OnceLock};

use super::sys;

/// Upper bound of cached (freed, reusable) bytes; beyond it freed pages are unmapped.
const CACHE_LIMIT_BYTES: usize = 4 << 20;

struct Pool {
    /// Freed runs by length in pages: `free[n]` holds runs of exactly `n` pages.
    free: Vec<Vec<usize>>,
    cached_bytes: usize,
}

static POOL: Mutex<Pool> = Mutex::new(Pool { free: Vec::new(), cached_bytes: 0 });
static LIVE_BYTES: AtomicIsize = AtomicIsize::new(0);
static LIVE_REGIONS: AtomicIsize = AtomicIsize::new(0);

fn page_size() -> usize {
    static PAGE: OnceLock<usize> = OnceLock::new();
    *PAGE.get_or_init(sys::page_size)
}

fn lock() -> std::sync::MutexGuard<'static, Pool> {
    // A panic while holding the lock leaves the pool consistent (every step is a push or pop).
    POOL.lock().unwrap_or_else(|e| e.into_inner())
}

/// A writable run of whole pages holding at least `len` bytes: `(address, mapped length)`.
pub fn take(len: usize) -> io::Result<(*mut u8, usize)> {
    let page = page_size();
    let pages = len.div_ceil(page);
    let mapped = pages * page;
    let reused = {
        let mut pool = lock();
        let run = pool.free.get_mut(pages).and_then(|runs| runs.pop());
        if run.is_some() {
            pool.cached_bytes -= mapped;
        }
        run
    };
    match reused {
        Some(addr) => {
            let p = addr as *mut u8;
            sys::make_rw(p, mapped)?;
            Ok((p, mapped))
        }
        None => Ok((sys::map_rw(mapped)?, mapped)),
    }
}

/// Returns a run to the cache (or to the OS when the cache is full).
pub fn give_back(ptr: *mut u8, mapped: usize) {
    let pages = mapped / page_size();
    let mut pool = lock();
    if pool.cached_bytes + mapped <= CACHE_LIMIT_BYTES && sys::release(ptr, mapped).is_ok() {
        if pool.free.len() <= pages {
            pool.free.resize_with(pages + 1, Vec::new);
        }
        pool.free[pages].push(ptr as usize);
        pool.cached_bytes += mapped;
    } else {
        drop(pool);
        sys::unmap(ptr, mapped);
    }
}

pub(super) fn note_live(bytes: isize, regions: isize) {
    LIVE_BYTES.fetch_add(bytes, Ordering::Relaxed);
    LIVE_REGIONS.fetch_add(regions, Ordering::Relaxed);
}

/// How much executable memory is in use and cached, process-wide.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CodeMemoryStats {
    /// Bytes of pages holding live code.
    pub live_bytes: usize,
    /// Live compiled units.
    pub live_regions: usize,
    /// Bytes of freed pages kept for reuse (inaccessible, not resident).
    pub cached_bytes: usize,
}

pub fn stats() -> CodeMemoryStats {
    CodeMemoryStats {
        live_bytes: LIVE_BYTES.load(Ordering::Relaxed).max(0) as usize,
        live_regions: LIVE_REGIONS.load(Ordering::Relaxed).max(0) as usize,
        cached_bytes: lock().cached_bytes,
    }
}

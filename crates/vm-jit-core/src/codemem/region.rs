//! `CodeRegion`: one compiled unit's executable pages. Dropping it frees them.

use std::io;

use super::{pool, sys};

/// Executable, read-only pages holding one compiled unit. Freed on drop.
#[derive(Debug)]
pub struct CodeRegion {
    /// Start of the pages.
    base: *mut u8,
    /// Start of the code: `base` plus a stagger (see `stagger`).
    ptr: *mut u8,
    /// Bytes of code written (the rest of the last page is padding).
    len: usize,
    /// Bytes mapped (a multiple of the page size).
    mapped: usize,
    /// Counted in `stats()` (everything but the runtime's own fixed code, e.g. the trampoline).
    tracked: bool,
}

// SAFETY: the region is immutable executable memory once constructed; the pointer is only
// handed out for calling, and freeing happens once, on drop.
unsafe impl Send for CodeRegion {}
unsafe impl Sync for CodeRegion {}

impl CodeRegion {
    /// Places `len` bytes of code: `write` fills the (writable) buffer, given the address it will
    /// run at so that it can resolve relocations; then the pages become read+execute.
    pub fn install(len: usize, write: impl FnOnce(&mut [u8], usize)) -> io::Result<CodeRegion> {
        Self::place(len, write, true)
    }

    /// Like `install`, for code that lives as long as the process (the trampoline): not counted
    /// in `stats()`, so live-code figures show only what users compiled.
    pub fn install_permanent(len: usize, write: impl FnOnce(&mut [u8], usize)) -> io::Result<CodeRegion> {
        Self::place(len, write, false)
    }

    fn place(len: usize, write: impl FnOnce(&mut [u8], usize), tracked: bool) -> io::Result<CodeRegion> {
        if len == 0 {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "empty code"));
        }
        let (base, mapped) = pool::take(len)?;
        let offset = stagger(len, mapped);
        // SAFETY: `take` returns `mapped` writable bytes at `base`, owned by us alone, and
        // `offset + len <= mapped`.
        let ptr = unsafe { base.add(offset) };
        let buf = unsafe { std::slice::from_raw_parts_mut(ptr, len) };
        write(buf, ptr as usize);
        // Counted as live before anything can fail, so that Drop's uncounting stays balanced.
        if tracked {
            pool::note_live(mapped as isize, 1);
        }
        let region = CodeRegion { base, ptr, len, mapped, tracked };
        sys::make_rx(base, mapped)?;
        sys::flush_icache(ptr, len)?;
        Ok(region)
    }

    pub fn as_ptr(&self) -> *const u8 {
        self.ptr
    }

    /// Bytes of code.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Bytes of memory held (whole pages).
    pub fn mapped_len(&self) -> usize {
        self.mapped
    }
}

/// Where in its pages a unit's code starts. Every unit has pages of its own, so starting them all
/// at offset 0 would put every block entry in the same L1 instruction-cache set: chains of more
/// than ~8 blocks would then evict each other (measured: 2.6 ns per chained transition up to 8
/// blocks, 16 ns at 64). Successive units start on successive cache lines of the slack instead.
fn stagger(len: usize, mapped: usize) -> usize {
    use std::sync::atomic::{AtomicUsize, Ordering};
    const LINE: usize = 64;
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let slots = (mapped - len) / LINE + 1;
    (NEXT.fetch_add(1, Ordering::Relaxed) % slots) * LINE
}

impl Drop for CodeRegion {
    fn drop(&mut self) {
        if self.tracked {
            pool::note_live(-(self.mapped as isize), -1);
        }
        pool::give_back(self.base, self.mapped);
    }
}

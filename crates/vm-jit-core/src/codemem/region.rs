//! `CodeRegion`: one compiled unit's executable pages. Dropping it frees them.

use std::io;

use super::{pool, sys};

/// Executable, read-only pages holding one compiled unit. Freed on drop.
#[derive(Debug)]
pub struct CodeRegion {
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
        let (ptr, mapped) = pool::take(len)?;
        // SAFETY: `take` returns `mapped` writable bytes at `ptr`, owned by us alone.
        let buf = unsafe { std::slice::from_raw_parts_mut(ptr, len) };
        write(buf, ptr as usize);
        // Counted as live before anything can fail, so that Drop's uncounting stays balanced.
        if tracked {
            pool::note_live(mapped as isize, 1);
        }
        let region = CodeRegion { ptr, len, mapped, tracked };
        sys::make_rx(ptr, mapped)?;
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

impl Drop for CodeRegion {
    fn drop(&mut self) {
        if self.tracked {
            pool::note_live(-(self.mapped as isize), -1);
        }
        pool::give_back(self.ptr, self.mapped);
    }
}

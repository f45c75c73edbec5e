//! The operating-system calls behind code memory: map, protect, release, unmap, icache flush.

use std::io;

#[cfg(unix)]
mod imp {
    use std::io;

    pub fn page_size() -> usize {
        // SAFETY: sysconf has no preconditions.
        unsafe { libc::sysconf(libc::_SC_PAGESIZE) as usize }
    }

    /// Maps `len` bytes read+write (not executable).
    pub fn map_rw(len: usize) -> io::Result<*mut u8> {
        // SAFETY: an anonymous private mapping at an address of the kernel's choosing.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANON,
                -1,
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        Ok(p as *mut u8)
    }

    fn protect(p: *mut u8, len: usize, prot: libc::c_int) -> io::Result<()> {
        // SAFETY: callers pass a range they mapped with `map_rw`.
        if unsafe { libc::mprotect(p as *mut libc::c_void, len, prot) } != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    pub fn make_rw(p: *mut u8, len: usize) -> io::Result<()> {
        protect(p, len, libc::PROT_READ | libc::PROT_WRITE)
    }

    pub fn make_rx(p: *mut u8, len: usize) -> io::Result<()> {
        protect(p, len, libc::PROT_READ | libc::PROT_EXEC)
    }

    /// Makes pages inaccessible (a stale jump into freed code faults instead of running it),
    /// keeping them mapped and resident for quick reuse. The pool bounds how many it keeps.
    pub fn release(p: *mut u8, len: usize) -> io::Result<()> {
        protect(p, len, libc::PROT_NONE)
    }

    pub fn unmap(p: *mut u8, len: usize) {
        // SAFETY: the range was mapped by `map_rw` and nothing refers to it any more.
        unsafe {
            libc::munmap(p as *mut libc::c_void, len);
        }
    }
}

#[cfg(windows)]
mod imp {
    use std::io;
    use windows_sys::Win32::System::Memory::{
        VirtualAlloc, VirtualFree, VirtualProtect, MEM_COMMIT, MEM_DECOMMIT, MEM_RELEASE, MEM_RESERVE,
        PAGE_EXECUTE_READ, PAGE_NOACCESS, PAGE_READWRITE,
    };
    use windows_sys::Win32::System::SystemInformation::{GetSystemInfo, SYSTEM_INFO};

    pub fn page_size() -> usize {
        // SAFETY: GetSystemInfo fills the struct we pass.
        unsafe {
            let mut info: SYSTEM_INFO = std::mem::zeroed();
            GetSystemInfo(&mut info);
            info.dwPageSize as usize
        }
    }

    pub fn map_rw(len: usize) -> io::Result<*mut u8> {
        // SAFETY: reserving and committing fresh pages.
        let p = unsafe { VirtualAlloc(std::ptr::null(), len, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE) };
        if p.is_null() {
            return Err(io::Error::last_os_error());
        }
        Ok(p as *mut u8)
    }

    fn protect(p: *mut u8, len: usize, prot: u32) -> io::Result<()> {
        let mut old = 0u32;
        // SAFETY: callers pass a range they allocated with `map_rw`.
        if unsafe { VirtualProtect(p as *const _, len, prot, &mut old) } == 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    pub fn make_rw(p: *mut u8, len: usize) -> io::Result<()> {
        // Decommitted pages (see `release`) must be committed again first.
        // SAFETY: recommitting our own reserved range.
        let q = unsafe { VirtualAlloc(p as *const _, len, MEM_COMMIT, PAGE_READWRITE) };
        if q.is_null() {
            return Err(io::Error::last_os_error());
        }
        protect(p, len, PAGE_READWRITE)
    }

    pub fn make_rx(p: *mut u8, len: usize) -> io::Result<()> {
        protect(p, len, PAGE_EXECUTE_READ)
    }

    pub fn release(p: *mut u8, len: usize) -> io::Result<()> {
        protect(p, len, PAGE_NOACCESS)?;
        // SAFETY: decommitting our own range; it stays reserved for reuse.
        if unsafe { VirtualFree(p as *mut _, len, MEM_DECOMMIT) } == 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    pub fn unmap(p: *mut u8, _len: usize) {
        // SAFETY: releasing a whole allocation made by `map_rw`.
        unsafe {
            VirtualFree(p as *mut _, 0, MEM_RELEASE);
        }
    }
}

pub use imp::{make_rw, make_rx, map_rw, page_size, release, unmap};

/// Makes freshly written code visible to instruction fetch (a no-op on x86_64; required on ARM64,
/// where Cranelift no longer flushes for us).
pub fn flush_icache(p: *const u8, len: usize) -> io::Result<()> {
    // SAFETY: the range is mapped and holds the code we just wrote.
    unsafe { wasmtime_jit_icache_coherence::clear_cache(p as *const _, len) }?;
    wasmtime_jit_icache_coherence::pipeline_flush_mt()?;
    Ok(())
}

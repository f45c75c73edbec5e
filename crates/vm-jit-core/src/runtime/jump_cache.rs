//! The jump cache: where compiled code looks up the block to go to when it exits to a pc it
//! computed (a return, an indirect call, a `switch`'s jump table) — the exits a chain slot cannot
//! serve, because their target is only known at run time.
//!
//! A small direct-mapped table, pc → entry point of the compiled unit this runtime runs for that
//! pc. The dispatcher fills an entry whenever it looks a compiled unit up; a dynamic exit whose
//! pc is in the table tail-calls the unit straight away (one fuel, as a chained exit) instead of
//! returning to the dispatcher, which was an eighth of the bytecode interpreter benchmark's time.
//!
//! Safety: an entry is only ever a unit held in this runtime's lookup (which keeps its code
//! alive), and `install`/`remove` clear the entry for the pc whose unit they replace or drop, so
//! generated code can never jump into code that is gone or no longer the pc's. Only the thread
//! running this runtime reads or writes the table, and never while generated code runs from it
//! (the dispatcher writes between blocks).

use std::cell::UnsafeCell;

/// Entries in a runtime's table (16 bytes each: 16 KiB, inside L1/L2).
pub const JUMP_CACHE_ENTRIES: usize = 1024;

/// One entry, read by generated code: `entry` 0 means empty, whatever `pc` holds.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct JumpEntry {
    pub pc: u64,
    pub entry: usize,
}

pub const OFF_JUMP_PC: i32 = std::mem::offset_of!(JumpEntry, pc) as i32;
pub const OFF_JUMP_ENTRY: i32 = std::mem::offset_of!(JumpEntry, entry) as i32;
/// log2 of the entry size, for the generated index computation.
pub const JUMP_ENTRY_SHIFT: i64 = 4;
const _: () = assert!(std::mem::size_of::<JumpEntry>() == 1 << JUMP_ENTRY_SHIFT);

/// The index of `pc`'s entry: guest instructions are at least 2-byte aligned on the ISAs this
/// is for, so bit 0 carries nothing. Generated code computes the same (lower::function).
pub fn slot_of(pc: u64) -> usize {
    ((pc >> 1) as usize) & (JUMP_CACHE_ENTRIES - 1)
}

/// A runtime's table.
pub struct JumpCache {
    entries: Box<[UnsafeCell<JumpEntry>]>,
}

impl Default for JumpCache {
    fn default() -> JumpCache {
        JumpCache { entries: (0..JUMP_CACHE_ENTRIES).map(|_| UnsafeCell::new(JumpEntry::default())).collect() }
    }
}

impl JumpCache {
    /// The table's address, for `RunCtx::jump_cache`.
    pub fn as_ptr(&self) -> *const JumpEntry {
        // UnsafeCell<T> has T's layout.
        self.entries.as_ptr() as *const JumpEntry
    }

    /// Remembers that `pc` runs the compiled code at `entry`.
    pub fn fill(&self, pc: u64, entry: usize) {
        // SAFETY: written through the cell, as generated code reads it through `as_ptr` — never
        // at the same time (see the module notes); `&self` keeps that pointer valid.
        unsafe { *self.entries[slot_of(pc)].get() = JumpEntry { pc, entry } };
    }

    /// Forgets `pc` (its unit is being replaced or dropped).
    pub fn forget(&self, pc: u64) {
        let cell = self.entries[slot_of(pc)].get();
        // SAFETY: as in `fill`.
        unsafe {
            if (*cell).pc == pc {
                *cell = JumpEntry::default();
            }
        }
    }

    /// What the table holds for `pc`'s slot (tests).
    pub fn get(&self, pc: u64) -> Option<usize> {
        // SAFETY: no generated code runs while `&self` is borrowed here (see the module notes).
        let e = unsafe { *self.entries[slot_of(pc)].get() };
        (e.pc == pc && e.entry != 0).then_some(e.entry)
    }
}

/// The table of code run outside a runtime: always empty (never written).
pub static EMPTY_JUMP_CACHE: [JumpEntry; JUMP_CACHE_ENTRIES] = [JumpEntry { pc: 0, entry: 0 }; JUMP_CACHE_ENTRIES];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_forget_and_collisions() {
        let c = JumpCache::default();
        c.fill(0x1000, 0xdead0);
        assert_eq!(c.get(0x1000), Some(0xdead0));
        // Another pc in the same slot replaces it (direct-mapped).
        let other = 0x1000 + 2 * JUMP_CACHE_ENTRIES as u64;
        assert_eq!(slot_of(other), slot_of(0x1000));
        c.fill(other, 0xbeef0);
        assert_eq!(c.get(0x1000), None);
        assert_eq!(c.get(other), Some(0xbeef0));
        // Forgetting a pc that is not the slot's leaves the slot alone.
        c.forget(0x1000);
        assert_eq!(c.get(other), Some(0xbeef0));
        c.forget(other);
        assert_eq!(c.get(other), None);
        // pc 0 in an empty table is not a hit.
        assert_eq!(c.get(0), None);
    }
}

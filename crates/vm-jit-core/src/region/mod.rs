//! Regions: several guest blocks compiled as one function (docs/IR.md "Regions").
//!
//! A region is made from a hot entry block and blocks its exits reach at constant pcs. `stitch`
//! turns them into one ordinary IR block — one section per member block, an `exit` to a member's
//! pc becomes a `jump` to that member's section — so everything downstream (verifier,
//! interpreter, optimiser, Cranelift lowering, the runtime) handles a region like any block. A
//! guest loop spread over several blocks becomes a native loop; the lowering then keeps guest
//! state in SSA values across it (`lower::promote`) and writes it back at every exit.
//!
//! Which blocks to take (formation) is the caller's choice: the tiered runtime takes the hot
//! blocks reachable from the entry (`src/tiered/regions.ts`); `constant_exit_targets` lists the
//! candidates of one block. `specialise` then optionally guards the region on the values the
//! guest state had at formation, for the registers the region reads but never writes.

mod specialise;
mod stitch;

pub use specialise::{
    choose_slots, read_only_slots, specialise, specialise_on, SlotValue, SpecialiseLimits, Specialised,
};
pub use stitch::{constant_exit_targets, stitch, Region, RegionLimits};

#[cfg(test)]
mod specialise_tests;
#[cfg(test)]
mod tests;

//! The process-wide registry of units: ids, chaining between them, and retirement.
//!
//! Chaining is per *domain* (one code cache, possibly shared by several worker threads): an exit
//! of a unit to guest pc P jumps straight into the unit *published* for P in the same domain.
//! `exits_to[(domain, P)]` lists every exit slot that targets P, so publishing, replacing or
//! retiring the unit for P patches or clears exactly those slots.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::ir::IrError;

use super::epoch;
use super::unit::Unit;

/// Live units at most (ids are counter indices: a runtime's counter array has this many slots).
pub const MAX_UNITS: u32 = 1 << 18;

type Key = (u32, u64);

#[derive(Default)]
struct Registry {
    /// By id; `None` for free or reserved ids.
    units: Vec<Option<Arc<Unit>>>,
    reserved: Vec<bool>,
    free_ids: Vec<u32>,
    /// The unit each (domain, pc) chains to.
    published: HashMap<Key, u32>,
    /// Exit slots `(unit id, slot)` aiming at (domain, pc).
    exits_to: HashMap<Key, Vec<(u32, u32)>>,
    /// Domain whose `exits_to` lists hold each unit's own exits (the first it was published in).
    domain_of: HashMap<u32, u32>,
    /// Every domain each unit is published in (several when worker threads adopt it).
    published_in: HashMap<u32, Vec<u32>>,
    /// Retired units waiting until no runtime can still be running them: (retire epoch, unit).
    limbo: Vec<(u64, Arc<Unit>)>,
    /// Ids of retired units, free once their unit is reclaimed.
    limbo_ids: Vec<(u64, u32)>,
}

static REGISTRY: Mutex<Option<Registry>> = Mutex::new(None);

fn lock() -> MutexGuard<'static, Option<Registry>> {
    REGISTRY.lock().unwrap_or_else(|e| e.into_inner())
}

fn with<R>(f: impl FnOnce(&mut Registry) -> R) -> R {
    let mut g = lock();
    f(g.get_or_insert_with(Registry::default))
}

/// Takes an id for a unit about to be built.
pub fn reserve_id() -> Result<u32, IrError> {
    with(|r| {
        let id = match r.free_ids.pop() {
            Some(id) => id,
            None => {
                if r.units.len() as u32 >= MAX_UNITS {
                    return Err(IrError::new(format!(
                        "too many live code units ({MAX_UNITS}); evict or free some before compiling more"
                    )));
                }
                r.units.push(None);
                r.reserved.push(false);
                r.units.len() as u32 - 1
            }
        };
        r.reserved[id as usize] = true;
        Ok(id)
    })
}

/// Gives back an id whose unit could not be built.
pub fn release_reserved(id: u32) {
    with(|r| {
        r.reserved[id as usize] = false;
        r.free_ids.push(id);
    })
}

/// Registers a built unit (not yet linked into any domain).
pub fn add(unit: Unit) -> Arc<Unit> {
    let unit = Arc::new(unit);
    with(|r| {
        r.reserved[unit.id as usize] = false;
        r.units[unit.id as usize] = Some(unit.clone());
    });
    unit
}

/// Makes `unit` the code for its pc in `domain`: its own exits get linked to the units published
/// for their targets, and every exit aiming at its pc now jumps into it (or, for an interpreted
/// unit, returns to the dispatcher).
pub fn publish(domain: u32, unit: &Arc<Unit>) {
    with(|r| {
        let domains = r.published_in.entry(unit.id).or_default();
        if !domains.contains(&domain) {
            domains.push(domain);
        }
        if !r.domain_of.contains_key(&unit.id) {
            r.domain_of.insert(unit.id, domain);
            for (slot, &target) in unit.exit_pcs.iter().enumerate() {
                r.exits_to.entry((domain, target)).or_default().push((unit.id, slot as u32));
                let entry = r
                    .published
                    .get(&(domain, target))
                    .and_then(|t| r.unit(*t))
                    .filter(|t| t.pc == target)
                    .and_then(|t| t.entry());
                unit.slots[slot].store(entry.unwrap_or(0), Ordering::Release);
            }
        }
        let key = (domain, unit.pc);
        match unit.entry() {
            Some(_) => {
                r.published.insert(key, unit.id);
            }
            None => {
                r.published.remove(&key);
            }
        }
        r.patch(key, unit.entry().unwrap_or(0));
    })
}

/// Takes `unit` out of use: nothing chains into it any more, its own exits are forgotten, and
/// its memory is freed once no runtime that might be running it is still inside `run`.
pub fn retire(unit: &Arc<Unit>) {
    with(|r| {
        // Only the live unit under this id: a unit retired before (by another runtime sharing
        // it) may have had its id reused by a new unit, which must not be touched.
        if !r.unit(unit.id).is_some_and(|u| Arc::ptr_eq(u, unit)) {
            return;
        }
        for domain in r.published_in.remove(&unit.id).unwrap_or_default() {
            let key = (domain, unit.pc);
            if r.published.get(&key) == Some(&unit.id) {
                r.published.remove(&key);
                r.patch(key, 0);
            }
        }
        if let Some(domain) = r.domain_of.remove(&unit.id) {
            for &target in unit.exit_pcs.iter() {
                if let Some(list) = r.exits_to.get_mut(&(domain, target)) {
                    list.retain(|(src, _)| *src != unit.id);
                    if list.is_empty() {
                        r.exits_to.remove(&(domain, target));
                    }
                }
            }
        }
        if let Some(u) = r.units[unit.id as usize].take() {
            // Unlinked first, then stamped: a runtime entering after this stamp cannot reach it.
            let stamp = epoch::advance();
            r.limbo_ids.push((stamp, u.id));
            r.limbo.push((stamp, u));
        }
        r.reclaim();
    })
}

/// The live unit with this id, if any: how a runtime in another worker thread adopts code that a
/// runtime sharing its code cache compiled (the cache index holds unit ids).
pub fn get(id: u32) -> Option<Arc<Unit>> {
    with(|r| r.unit(id).cloned())
}

/// Frees retired units that no runtime can be running any more.
pub fn reclaim() {
    with(|r| r.reclaim())
}

impl Registry {
    fn unit(&self, id: u32) -> Option<&Arc<Unit>> {
        self.units.get(id as usize).and_then(|u| u.as_ref())
    }

    /// Points every exit aiming at `key` to `entry` (0: back to the dispatcher).
    fn patch(&self, key: Key, entry: usize) {
        if let Some(list) = self.exits_to.get(&key) {
            for &(src, slot) in list {
                // Checked against the slot's own target: ids are reused, so a stale entry must
                // never write into another unit's slots.
                if let Some(u) = self.unit(src).filter(|u| u.exit_pcs.get(slot as usize) == Some(&key.1)) {
                    u.slots[slot as usize].store(entry, Ordering::Release);
                }
            }
        }
    }

    fn reclaim(&mut self) {
        if self.limbo.is_empty() {
            return;
        }
        let safe = epoch::oldest_active();
        // Dropping the Arc frees the code once no runtime lookup holds it either.
        self.limbo.retain(|(stamp, _)| *stamp >= safe);
        let mut freed = Vec::new();
        self.limbo_ids.retain(|(stamp, id)| {
            let keep = *stamp >= safe;
            if !keep {
                freed.push(*id);
            }
            keep
        });
        self.free_ids.extend(freed);
    }
}

/// Counts for monitoring and tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RegistryStats {
    pub live_units: usize,
    pub retired_waiting: usize,
    pub published: usize,
}

pub fn registry_stats() -> RegistryStats {
    with(|r| RegistryStats {
        live_units: r.units.iter().filter(|u| u.is_some()).count(),
        retired_waiting: r.limbo.len(),
        published: r.published.len(),
    })
}

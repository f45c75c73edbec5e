//! Quiescent-state reclamation for code units. Generated code jumps between blocks through raw
//! pointers, with no reference counting on the way, so a retired unit may still be running on
//! another thread (or be about to be entered through a pointer read just before unlinking). Each
//! runtime announces the epoch at which it entered `run` and clears it when it leaves; a unit
//! retired at epoch T is freed once every runtime inside `run` entered after T.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

static EPOCH: AtomicU64 = AtomicU64::new(1);
static PARTICIPANTS: Mutex<Vec<Arc<AtomicU64>>> = Mutex::new(Vec::new());

/// Starts a new epoch; returns the one that ended (the stamp of what was just retired).
pub fn advance() -> u64 {
    EPOCH.fetch_add(1, Ordering::SeqCst)
}

/// The smallest epoch at which a runtime currently inside `run` entered (`u64::MAX` if none).
pub fn oldest_active() -> u64 {
    let ps = PARTICIPANTS.lock().unwrap_or_else(|e| e.into_inner());
    ps.iter().map(|p| p.load(Ordering::SeqCst)).filter(|e| *e != 0).min().unwrap_or(u64::MAX)
}

/// One runtime's announcement slot.
pub struct Participant(Arc<AtomicU64>);

impl Participant {
    pub fn new() -> Participant {
        let p = Arc::new(AtomicU64::new(0));
        PARTICIPANTS.lock().unwrap_or_else(|e| e.into_inner()).push(p.clone());
        Participant(p)
    }

    /// Marks the start of a run: units retired from now on wait for us.
    pub fn enter(&self) {
        self.0.store(EPOCH.load(Ordering::SeqCst), Ordering::SeqCst);
    }

    pub fn leave(&self) {
        self.0.store(0, Ordering::SeqCst);
    }
}

impl Default for Participant {
    fn default() -> Self {
        Participant::new()
    }
}

impl Drop for Participant {
    fn drop(&mut self) {
        PARTICIPANTS.lock().unwrap_or_else(|e| e.into_inner()).retain(|p| !Arc::ptr_eq(p, &self.0));
    }
}

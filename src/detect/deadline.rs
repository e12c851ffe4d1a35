//! A time budget per item. Every detector is meant to be linear in its item,
//! but a scanner run on untrusted pull requests cannot rest on that alone: the
//! engine arms a deadline before the detectors run on an item, long loops ask
//! [`expired`] now and then and stop early, and the engine turns an expired
//! item into an error notice (exit 3) instead of a stalled run.

use std::cell::Cell;
use std::time::{Duration, Instant};

thread_local! {
    static DEADLINE: Cell<Option<Instant>> = const { Cell::new(None) };
    static HIT: Cell<bool> = const { Cell::new(false) };
    static TICKS: Cell<u32> = const { Cell::new(0) };
}

/// Default budget per item: far above what any real file takes (the slowest
/// real files measured scan in well under a second), low enough that a
/// runaway item does not hold a CI job.
pub const DEFAULT_BUDGET: Duration = Duration::from_secs(60);

/// Arm the deadline for the item about to be scanned on this thread.
pub fn arm(budget: Duration) {
    DEADLINE.set(Instant::now().checked_add(budget));
    HIT.set(false);
    TICKS.set(0);
}

/// Disarm it; true when some check found it expired while armed.
pub fn disarm() -> bool {
    DEADLINE.set(None);
    HIT.replace(false)
}

/// Whether the current item's deadline has passed. Cheap enough for inner
/// loops: the clock is read once every 64 calls.
pub fn expired() -> bool {
    if HIT.get() {
        return true;
    }
    let Some(deadline) = DEADLINE.get() else {
        return false;
    };
    let t = TICKS.get().wrapping_add(1);
    TICKS.set(t);
    if t % 64 != 1 {
        return false;
    }
    let hit = Instant::now() >= deadline;
    HIT.set(hit);
    hit
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expires_once_the_budget_is_spent() {
        arm(Duration::from_secs(3600));
        assert!(!expired());
        arm(Duration::ZERO);
        assert!(expired());
        assert!(expired());
        assert!(disarm());
        assert!(!expired(), "nothing armed, nothing expires");
    }
}

//! The clock port: what time it is, from one place a test can set.
//!
//! Reservations lapse, pay pages expire, reply tokens go stale, windows close: much of chatdrop
//! is about time. The domain's functions take `now` as an argument (Unix seconds) so they are
//! pure; whoever calls them asks a [`Clock`] for it. Functions and adapters hold an
//! `Arc<dyn Clock>`: [`SystemClock`] in Lambda, a [`ManualClock`] in tests that need to step
//! past a lapse or a window without sleeping.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// A source of the current time.
pub trait Clock: Send + Sync {
    /// Milliseconds since the Unix epoch.
    fn now_millis(&self) -> i64;

    /// Seconds since the Unix epoch: what the domain's functions and the table's attributes
    /// (expiries, TTLs) count in.
    fn now(&self) -> i64 {
        self.now_millis().div_euclid(1000)
    }
}

/// The machine's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_millis(&self) -> i64 {
        // A clock before 1970 is a broken machine; 0 keeps arithmetic on times sane.
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
    }
}

/// The system clock as the port, for the usual `Arc<dyn Clock>` field.
pub fn system() -> Arc<dyn Clock> {
    Arc::new(SystemClock)
}

/// A clock that moves only when told: tests set it and step it forward.
#[derive(Debug, Default)]
pub struct ManualClock {
    millis: AtomicI64,
}

impl ManualClock {
    /// A clock showing `seconds` since the Unix epoch.
    pub fn at(seconds: i64) -> Arc<Self> {
        Arc::new(ManualClock {
            millis: AtomicI64::new(seconds * 1000),
        })
    }

    pub fn set(&self, seconds: i64) {
        self.millis.store(seconds * 1000, Ordering::SeqCst);
    }

    pub fn advance(&self, seconds: i64) {
        self.millis.fetch_add(seconds * 1000, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_millis(&self) -> i64 {
        self.millis.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_system_clock_is_after_this_code_was_written_and_seconds_follow_millis() {
        let clock = SystemClock;
        assert!(clock.now() > 1_767_225_600, "2026-01-01");
        assert!((clock.now_millis() / 1000 - clock.now()).abs() <= 1);
    }

    #[test]
    fn a_manual_clock_moves_only_when_told() {
        let clock = ManualClock::at(100);
        assert_eq!(clock.now(), 100);
        assert_eq!(clock.now(), 100);
        clock.advance(61);
        assert_eq!(clock.now(), 161);
        assert_eq!(clock.now_millis(), 161_000);
        clock.set(5);
        assert_eq!(clock.now(), 5);
        let port: Arc<dyn Clock> = clock;
        assert_eq!(port.now(), 5);
    }
}

//! Time source for retries, long-running operation deadlines and token expiry.
//!
//! Every wait in this crate goes through a [`Clock`], so tests can swap in a
//! [`VirtualClock`] whose sleeps return at once and only move virtual time.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use time::OffsetDateTime;

/// A boxed, sendable future, as returned by [`Clock::sleep`].
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Source of monotonic time, wall-clock time and sleeps.
pub trait Clock: Send + Sync + fmt::Debug {
    /// Monotonic time since an arbitrary origin that stays fixed for the clock's life.
    fn elapsed(&self) -> Duration;

    /// Current wall-clock time in UTC, used to compare against token expiry claims.
    fn now_utc(&self) -> OffsetDateTime;

    /// Waits for `duration`.
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()>;
}

/// The real clock: `std::time::Instant`, the system time and `tokio::time::sleep`.
#[derive(Debug, Clone, Copy)]
pub struct SystemClock {
    origin: Instant,
}

impl SystemClock {
    /// Creates a clock whose [`Clock::elapsed`] counts from now.
    pub fn new() -> Self {
        Self {
            origin: Instant::now(),
        }
    }
}

impl Default for SystemClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for SystemClock {
    fn elapsed(&self) -> Duration {
        self.origin.elapsed()
    }

    fn now_utc(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }

    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        Box::pin(tokio::time::sleep(duration))
    }
}

/// A test clock: [`Clock::sleep`] returns at once after moving virtual time forward.
///
/// Clones share the same time, so a test can keep one handle, give another to a
/// client, and afterwards read the sleeps the client requested.
#[derive(Debug, Clone)]
pub struct VirtualClock {
    state: Arc<Mutex<VirtualState>>,
}

#[derive(Debug)]
struct VirtualState {
    elapsed: Duration,
    start_utc: OffsetDateTime,
    sleeps: Vec<Duration>,
}

impl VirtualClock {
    /// Creates a virtual clock whose wall-clock time starts at `start_utc`.
    pub fn new(start_utc: OffsetDateTime) -> Self {
        Self {
            state: Arc::new(Mutex::new(VirtualState {
                elapsed: Duration::ZERO,
                start_utc,
                sleeps: Vec::new(),
            })),
        }
    }

    /// Moves virtual time forward without recording a sleep.
    pub fn advance(&self, duration: Duration) {
        self.lock().elapsed += duration;
    }

    /// Returns every sleep requested so far, in order.
    pub fn sleeps(&self) -> Vec<Duration> {
        self.lock().sleeps.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VirtualState> {
        // A panic while holding this lock leaves plain numbers behind, so the
        // poisoned state is still consistent and safe to reuse.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Clock for VirtualClock {
    fn elapsed(&self) -> Duration {
        self.lock().elapsed
    }

    fn now_utc(&self) -> OffsetDateTime {
        let state = self.lock();
        state.start_utc + state.elapsed
    }

    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        {
            let mut state = self.lock();
            state.elapsed += duration;
            state.sleeps.push(duration);
        }
        Box::pin(std::future::ready(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn virtual_clock_sleep_advances_time() {
        let start = time::macros::datetime!(2026-01-01 00:00 UTC);
        let clock = VirtualClock::new(start);

        clock.sleep(Duration::from_secs(90)).await;
        clock.advance(Duration::from_secs(10));

        assert_eq!(clock.elapsed(), Duration::from_secs(100));
        assert_eq!(clock.now_utc(), start + Duration::from_secs(100));
        assert_eq!(clock.sleeps(), vec![Duration::from_secs(90)]);
    }
}

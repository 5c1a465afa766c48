//! Deadlines and polling backoff for the `wait_for_*` calls.

use std::time::{Duration, Instant};

use crate::Client;
use crate::retry::SharedSleeper;

/// How long a `wait_for_*` call polls, and how often.
///
/// The delay between polls starts at `initial_interval` and doubles up to `max_interval`. The
/// wait ends at `timeout`, measured as the larger of the wall-clock time and the sum of the
/// delays slept. The second measure lets a client built with a sleeper that returns at once
/// (as in tests) reach the deadline without waiting in real time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WaitOptions {
    timeout: Duration,
    initial_interval: Duration,
    max_interval: Duration,
}

impl Default for WaitOptions {
    /// Returns a 10 minute timeout with polls every 2 s at first and every 30 s at most.
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(600),
            initial_interval: Duration::from_secs(2),
            max_interval: Duration::from_secs(30),
        }
    }
}

impl WaitOptions {
    /// Returns the default options with `timeout`.
    pub fn with_timeout(timeout: Duration) -> Self {
        Self {
            timeout,
            ..Self::default()
        }
    }

    /// Sets the first delay between polls (default 2 s).
    pub fn initial_interval(mut self, interval: Duration) -> Self {
        self.initial_interval = interval;
        self
    }

    /// Sets the maximum delay between polls (default 30 s).
    pub fn max_interval(mut self, interval: Duration) -> Self {
        self.max_interval = interval;
        self
    }

    /// Returns the timeout.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }
}

/// Sleeps between polls with the client's sleeper and tracks the deadline.
#[derive(Debug)]
pub(crate) struct Poller {
    sleeper: SharedSleeper,
    options: WaitOptions,
    started: Instant,
    slept: Duration,
    next_delay: Duration,
}

impl Poller {
    pub(crate) fn new(client: &Client, options: WaitOptions) -> Self {
        Self {
            sleeper: client.inner.sleeper.clone(),
            options,
            started: Instant::now(),
            slept: Duration::ZERO,
            next_delay: options.initial_interval.max(Duration::from_millis(1)),
        }
    }

    /// Returns the time spent so far.
    pub(crate) fn elapsed(&self) -> Duration {
        self.started.elapsed().max(self.slept)
    }

    /// Sleeps until the next poll. Returns `false`, without sleeping, once the deadline passed.
    pub(crate) async fn pause(&mut self) -> bool {
        let elapsed = self.elapsed();
        if elapsed >= self.options.timeout {
            return false;
        }
        let delay = self.next_delay.min(self.options.timeout - elapsed);
        self.sleeper.0.sleep(delay).await;
        self.slept += delay;
        self.next_delay = self
            .next_delay
            .saturating_mul(2)
            .min(self.options.max_interval.max(self.options.initial_interval));
        true
    }
}

/// Number of log lines that failed waits keep.
pub(crate) const LOG_TAIL_LINES: usize = 20;

/// Returns the last `lines` lines of `log`.
pub(crate) fn tail(log: &str, lines: usize) -> Vec<String> {
    let all: Vec<&str> = log.lines().collect();
    all[all.len().saturating_sub(lines)..]
        .iter()
        .map(|line| (*line).to_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_keeps_the_last_lines() {
        assert_eq!(tail("a\nb\nc\n", 2), ["b", "c"]);
        assert_eq!(tail("a", 5), ["a"]);
        assert!(tail("", 5).is_empty());
    }
}

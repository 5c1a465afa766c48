//! [`RetryPolicy`]: how many attempts, how long to wait between them, and the time budget.

use std::time::Duration;

/// Retry rules of a client for a failed request: at most [`max_attempts`](Self::max_attempts) attempts
/// (the first one included), waits that double from
/// [`initial_backoff`](Self::initial_backoff) up to [`max_backoff`](Self::max_backoff) with
/// jitter, and no new attempt once the time spent plus the next wait would exceed
/// [`max_elapsed`](Self::max_elapsed).
///
/// The default allows 4 attempts, waits from 200 ms to 5 s, and 30 s in all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    max_elapsed: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
            max_elapsed: Duration::from_secs(30),
        }
    }
}

/// A [`RetryPolicy`] that cannot work, returned by [`RetryPolicy::validate`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid retry policy: {reason}")]
pub struct InvalidRetryPolicy {
    reason: String,
}

impl RetryPolicy {
    /// Returns a policy that sends every request once.
    #[must_use]
    pub fn disabled() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// Sets the number of attempts, the first one included; 1 disables retries.
    #[must_use]
    pub fn with_max_attempts(mut self, max_attempts: u32) -> Self {
        self.max_attempts = max_attempts;
        self
    }

    /// Sets the wait before the first retry; later waits double up to the maximum backoff.
    #[must_use]
    pub fn with_initial_backoff(mut self, initial_backoff: Duration) -> Self {
        self.initial_backoff = initial_backoff;
        self
    }

    /// Sets the longest computed wait between two attempts. A longer `Retry-After` is still
    /// honoured, within the time budget.
    #[must_use]
    pub fn with_max_backoff(mut self, max_backoff: Duration) -> Self {
        self.max_backoff = max_backoff;
        self
    }

    /// Sets the time budget: attempts and waits together, after which no new attempt starts.
    #[must_use]
    pub fn with_max_elapsed(mut self, max_elapsed: Duration) -> Self {
        self.max_elapsed = max_elapsed;
        self
    }

    /// Returns the number of attempts, the first one included.
    #[must_use]
    pub fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// Returns the wait before the first retry.
    #[must_use]
    pub fn initial_backoff(&self) -> Duration {
        self.initial_backoff
    }

    /// Returns the longest computed wait between two attempts.
    #[must_use]
    pub fn max_backoff(&self) -> Duration {
        self.max_backoff
    }

    /// Returns the time budget of one request, attempts and waits together.
    #[must_use]
    pub fn max_elapsed(&self) -> Duration {
        self.max_elapsed
    }

    /// Checks that the policy can work: at least one attempt, and an initial backoff no longer
    /// than the maximum backoff.
    ///
    /// # Errors
    ///
    /// [`InvalidRetryPolicy`] naming the setting, its value and the rule.
    pub fn validate(&self) -> Result<(), InvalidRetryPolicy> {
        if self.max_attempts == 0 {
            return Err(InvalidRetryPolicy {
                reason: "max_attempts is 0, but it counts the first attempt and must be at \
                         least 1 (use RetryPolicy::disabled() to send every request once)"
                    .to_owned(),
            });
        }
        if self.initial_backoff > self.max_backoff {
            return Err(InvalidRetryPolicy {
                reason: format!(
                    "initial_backoff {:?} is longer than max_backoff {:?}; it must be at most \
                     max_backoff",
                    self.initial_backoff, self.max_backoff
                ),
            });
        }
        Ok(())
    }

    /// Returns the computed wait before retry number `retry` (1 for the wait after the first
    /// attempt): a random duration between half and all of `initial_backoff * 2^(retry - 1)`,
    /// capped at the maximum backoff. The jitter keeps clients that failed together from
    /// retrying together.
    #[must_use]
    pub fn backoff(&self, retry: u32) -> Duration {
        let exponent = retry.saturating_sub(1).min(31);
        let ceiling = self
            .initial_backoff
            .saturating_mul(1 << exponent)
            .min(self.max_backoff);
        let half = ceiling / 2;
        half + half.mul_f64(fastrand::f64())
    }

    /// Decides whether attempt number `attempt` (1 for the first) may be followed by another,
    /// and returns the wait before it: the server's `Retry-After` when it sent one, otherwise
    /// [`backoff`](Self::backoff). Returns `None` when `attempt` was the last one allowed, or
    /// when `spent` (the time since the first attempt started) plus the wait would exceed the
    /// time budget.
    #[must_use]
    pub fn next_delay(
        &self,
        attempt: u32,
        spent: Duration,
        retry_after: Option<Duration>,
    ) -> Option<Duration> {
        if attempt >= self.max_attempts {
            return None;
        }
        let delay = retry_after.unwrap_or_else(|| self.backoff(attempt));
        (spent.saturating_add(delay) <= self.max_elapsed).then_some(delay)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_within_jitter_bounds() {
        let policy = RetryPolicy::default();
        for retry in 1..=40 {
            let ceiling = Duration::from_millis(200)
                .saturating_mul(1 << (retry - 1).min(31))
                .min(Duration::from_secs(5));
            for _ in 0..50 {
                let delay = policy.backoff(retry);
                assert!(delay >= ceiling / 2, "retry {retry}: {delay:?} < half");
                assert!(delay <= ceiling, "retry {retry}: {delay:?} > {ceiling:?}");
            }
        }
    }

    #[test]
    fn next_delay_last_attempt() {
        let policy = RetryPolicy::default().with_max_attempts(3);
        assert!(policy.next_delay(1, Duration::ZERO, None).is_some());
        assert!(policy.next_delay(2, Duration::ZERO, None).is_some());
        assert_eq!(policy.next_delay(3, Duration::ZERO, None), None);
        assert_eq!(
            RetryPolicy::disabled().next_delay(1, Duration::ZERO, None),
            None
        );
    }

    #[test]
    fn next_delay_long_retry_after() {
        let policy = RetryPolicy::default();
        let requested = Duration::from_secs(12);
        assert!(requested > policy.max_backoff());
        assert_eq!(
            policy.next_delay(1, Duration::ZERO, Some(requested)),
            Some(requested)
        );
    }

    #[test]
    fn next_delay_over_budget() {
        let policy = RetryPolicy::default().with_max_elapsed(Duration::from_secs(10));
        assert_eq!(
            policy.next_delay(1, Duration::from_secs(4), Some(Duration::from_secs(6))),
            Some(Duration::from_secs(6))
        );
        assert_eq!(
            policy.next_delay(1, Duration::from_secs(4), Some(Duration::from_secs(7))),
            None
        );
    }

    #[test]
    fn validate_error_messages() {
        let zero = RetryPolicy::default().with_max_attempts(0).validate();
        let message = zero.unwrap_err().to_string();
        assert!(message.contains("max_attempts is 0"), "{message}");
        assert!(message.contains("at least 1"), "{message}");

        let inverted = RetryPolicy::default()
            .with_initial_backoff(Duration::from_secs(10))
            .with_max_backoff(Duration::from_secs(1))
            .validate();
        let message = inverted.unwrap_err().to_string();
        assert!(message.contains("initial_backoff 10s"), "{message}");
        assert!(message.contains("max_backoff 1s"), "{message}");

        assert_eq!(RetryPolicy::default().validate(), Ok(()));
        assert_eq!(RetryPolicy::disabled().validate(), Ok(()));
    }
}

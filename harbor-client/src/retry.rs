//! Retry policy: which failures are retried, and how long to wait between attempts.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, SystemTime};

use http::StatusCode;

/// Retry policy for failed requests.
///
/// Idempotent requests (GET, HEAD, PUT, DELETE, OPTIONS) are retried on connection failures and on
/// statuses 429, 502, 503 and 504. POST and PATCH are retried only when the connection could not
/// be established, because then the request never reached Harbor. Timeouts are not retried.
///
/// The delay before retry `n` (from 1) is a random value between half and all of
/// `initial_backoff * 2^(n-1)`, capped at `max_backoff`. A `Retry-After` header (seconds or an
/// HTTP date) replaces that delay. Retries stop after `max_attempts` attempts, or when the next
/// delay would take the time spent on the request past `max_elapsed`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    max_elapsed: Duration,
    initial_backoff: Duration,
    max_backoff: Duration,
}

impl Default for RetryPolicy {
    /// Returns 4 attempts, 30 s in total, backoff from 200 ms up to 5 s.
    fn default() -> Self {
        Self {
            max_attempts: 4,
            max_elapsed: Duration::from_secs(30),
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
        }
    }
}

impl RetryPolicy {
    /// Returns a policy that sends each request once.
    pub fn disabled() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// Sets the maximum number of attempts, the first one included (default 4).
    pub fn with_max_attempts(mut self, max_attempts: u32) -> Self {
        self.max_attempts = max_attempts;
        self
    }

    /// Sets the maximum time spent on one request, attempts and delays included (default 30 s).
    pub fn with_max_elapsed(mut self, max_elapsed: Duration) -> Self {
        self.max_elapsed = max_elapsed;
        self
    }

    /// Sets the delay before the first retry, before jitter (default 200 ms).
    pub fn with_initial_backoff(mut self, initial_backoff: Duration) -> Self {
        self.initial_backoff = initial_backoff;
        self
    }

    /// Sets the maximum computed delay between attempts (default 5 s). `Retry-After` may exceed it.
    pub fn with_max_backoff(mut self, max_backoff: Duration) -> Self {
        self.max_backoff = max_backoff;
        self
    }

    /// Returns the maximum number of attempts.
    pub fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// Returns the maximum time spent on one request.
    pub fn max_elapsed(&self) -> Duration {
        self.max_elapsed
    }

    pub(crate) fn validate(&self) -> Result<(), crate::Error> {
        if self.max_attempts == 0 {
            return Err(crate::Error::InvalidConfig {
                setting: "retry_policy",
                reason: "max_attempts is 0, but it counts the first attempt and must be at least 1"
                    .to_owned(),
                source: None,
            });
        }
        Ok(())
    }

    /// Computes the delay before retry number `retry` (from 1), before any `Retry-After`.
    pub(crate) fn backoff(&self, retry: u32) -> Duration {
        let exponent = retry.saturating_sub(1).min(31);
        let ceiling = self
            .initial_backoff
            .saturating_mul(1 << exponent)
            .min(self.max_backoff);
        // Equal jitter: keep half of the delay, randomize the other half.
        let half = ceiling / 2;
        half + half.mul_f64(fastrand::f64())
    }
}

/// An asynchronous sleep, injectable so that tests run instantly and can record the delays.
///
/// Closures `Fn(Duration) -> impl Future<Output = ()>` implement it.
pub trait Sleeper: Send + Sync + 'static {
    /// Returns a future that completes after `delay`.
    fn sleep(&self, delay: Duration) -> Pin<Box<dyn Future<Output = ()> + Send>>;
}

impl<F, Fut> Sleeper for F
where
    F: Fn(Duration) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    fn sleep(&self, delay: Duration) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        Box::pin(self(delay))
    }
}

/// The default sleeper: `tokio::time::sleep`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TokioSleeper;

impl Sleeper for TokioSleeper {
    fn sleep(&self, delay: Duration) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        Box::pin(tokio::time::sleep(delay))
    }
}

/// A shared sleeper whose `Debug` does not try to print the closure.
#[derive(Clone)]
pub(crate) struct SharedSleeper(pub(crate) std::sync::Arc<dyn Sleeper>);

impl fmt::Debug for SharedSleeper {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Sleeper")
    }
}

/// Reports whether a response with `status` may succeed when sent again.
pub(crate) fn is_retryable_status(status: StatusCode) -> bool {
    matches!(
        status,
        StatusCode::TOO_MANY_REQUESTS
            | StatusCode::BAD_GATEWAY
            | StatusCode::SERVICE_UNAVAILABLE
            | StatusCode::GATEWAY_TIMEOUT
    )
}

/// Reports whether a transport error is a connection failure worth retrying.
///
/// A TLS failure (untrusted certificate, wrong host name) also surfaces as a connect error, but
/// sending again cannot fix it. rustls reports it as an `io::Error` of kind `InvalidData`.
pub(crate) fn is_retryable_transport(error: &reqwest::Error) -> bool {
    error.is_connect() && !is_tls_failure(error)
}

pub(crate) fn is_tls_failure(error: &reqwest::Error) -> bool {
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        source = match cause.downcast_ref::<std::io::Error>() {
            Some(io) if io.kind() == std::io::ErrorKind::InvalidData => return true,
            // `io::Error::source` skips the wrapped error itself, so descend with `get_ref`.
            Some(io) => io
                .get_ref()
                .map(|inner| inner as &(dyn std::error::Error + 'static)),
            None => cause.source(),
        };
    }
    false
}

/// Parses a `Retry-After` value: delay seconds or an HTTP date. A date in the past gives zero.
pub(crate) fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|byte| byte.is_ascii_digit()) {
        return value.parse::<u64>().ok().map(Duration::from_secs);
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_values() {
        let now = httpdate::parse_http_date("Wed, 21 Oct 2026 07:28:00 GMT").unwrap();
        let cases: &[(&str, Option<Duration>)] = &[
            ("120", Some(Duration::from_secs(120))),
            (" 0 ", Some(Duration::ZERO)),
            (
                "Wed, 21 Oct 2026 07:28:30 GMT",
                Some(Duration::from_secs(30)),
            ),
            ("Wed, 21 Oct 2026 07:00:00 GMT", Some(Duration::ZERO)),
            ("-5", None),
            ("1.5", None),
            ("soon", None),
            ("", None),
        ];
        for (value, expected) in cases {
            assert_eq!(parse_retry_after(value, now), *expected, "value {value:?}");
        }
    }

    #[test]
    fn backoff_stays_within_bounds() {
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
    fn backoff_grows_then_caps() {
        let policy = RetryPolicy::default()
            .with_initial_backoff(Duration::from_secs(1))
            .with_max_backoff(Duration::from_secs(3));
        assert!(policy.backoff(1) <= Duration::from_secs(1));
        assert!(policy.backoff(2) >= Duration::from_secs(1));
        assert!(policy.backoff(10) >= Duration::from_millis(1500));
        assert!(policy.backoff(10) <= Duration::from_secs(3));
    }

    #[test]
    fn zero_attempts_is_rejected() {
        let error = RetryPolicy::default()
            .with_max_attempts(0)
            .validate()
            .unwrap_err();
        assert!(error.to_string().contains("max_attempts"), "{error}");
        assert!(RetryPolicy::disabled().validate().is_ok());
    }
}

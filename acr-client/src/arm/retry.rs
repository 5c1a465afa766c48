//! Retry policy: which failures are repeated and how long to wait in between.

use std::time::Duration;

use reqwest::header::HeaderMap;
use time::OffsetDateTime;

/// Limits and backoff for repeating failed requests.
///
/// Only idempotent requests (GET, HEAD, PUT, DELETE, or a request marked idempotent) are
/// repeated after a 429, 502, 503 or 504 response or a timeout. Connection errors are
/// repeated for every method because the request never reached the server. A
/// `Retry-After` header replaces the computed backoff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Maximum number of attempts, including the first. Default 4.
    pub max_attempts: u32,
    /// Backoff before the second attempt; it doubles per attempt. Default 800 ms.
    pub initial_backoff: Duration,
    /// Upper bound for one computed backoff. Default 30 s.
    pub max_backoff: Duration,
    /// Upper bound for all waits of one request together; a `Retry-After` that would
    /// exceed it ends the retries. Default 120 s.
    pub max_total_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            initial_backoff: Duration::from_millis(800),
            max_backoff: Duration::from_secs(30),
            max_total_wait: Duration::from_secs(120),
        }
    }
}

impl RetryPolicy {
    /// Returns a policy that never repeats a request.
    pub fn none() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// Backoff before attempt `attempt + 1`, with jitter between half and all of the
    /// exponential value.
    pub(crate) fn backoff(&self, attempt: u32) -> Duration {
        let exponent = attempt.saturating_sub(1).min(16);
        let full = self
            .initial_backoff
            .saturating_mul(1u32 << exponent)
            .min(self.max_backoff);
        let half = full / 2;
        let jitter_millis = u64::try_from(half.as_millis()).unwrap_or(u64::MAX);
        half + Duration::from_millis(fastrand::u64(0..=jitter_millis))
    }
}

/// Reads the wait a response requests: `retry-after-ms`, `x-ms-retry-after-ms`, then
/// `Retry-After` as seconds or as an HTTP date relative to `now`.
pub(crate) fn retry_after(headers: &HeaderMap, now: OffsetDateTime) -> Option<Duration> {
    for name in ["retry-after-ms", "x-ms-retry-after-ms"] {
        if let Some(millis) = header_str(headers, name).and_then(|v| v.trim().parse::<u64>().ok()) {
            return Some(Duration::from_millis(millis));
        }
    }

    let value = header_str(headers, "retry-after")?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = OffsetDateTime::parse(value, &time::format_description::well_known::Rfc2822).ok()?;
    let wait = date - now;
    Some(wait.try_into().unwrap_or(Duration::ZERO))
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|value| value.to_str().ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(name: &'static str, value: &'static str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(name, HeaderValue::from_static(value));
        headers
    }

    #[test]
    fn retry_after_reads_seconds_millis_and_date() {
        let now = time::macros::datetime!(2015-10-21 07:28:00 UTC);

        assert_eq!(
            retry_after(&headers("retry-after", "2"), now),
            Some(Duration::from_secs(2))
        );
        assert_eq!(
            retry_after(&headers("retry-after-ms", "250"), now),
            Some(Duration::from_millis(250))
        );
        assert_eq!(
            retry_after(
                &headers("retry-after", "Wed, 21 Oct 2015 07:28:30 GMT"),
                now
            ),
            Some(Duration::from_secs(30))
        );
        assert_eq!(retry_after(&headers("retry-after", "soon"), now), None);
        assert_eq!(retry_after(&HeaderMap::new(), now), None);
    }

    #[test]
    fn backoff_grows_and_stays_capped() {
        let policy = RetryPolicy::default();

        for attempt in 1..=10 {
            let exponential = policy
                .initial_backoff
                .saturating_mul(1 << (attempt - 1))
                .min(policy.max_backoff);
            let backoff = policy.backoff(attempt);
            assert!(backoff >= exponential / 2, "attempt {attempt}: {backoff:?}");
            assert!(backoff <= exponential, "attempt {attempt}: {backoff:?}");
        }
    }
}

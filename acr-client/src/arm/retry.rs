//! Retries of ARM and ACR data-plane requests, on the shared rules of `http-retry`.

use std::time::Duration;

use reqwest::header::HeaderMap;
use time::OffsetDateTime;

pub use http_retry::RetryPolicy;

/// Returns the retry policy ARM and ACR data-plane clients start with: 4 attempts, waits from
/// 800 ms up to 30 s, and 120 s in all. ARM throttles with `Retry-After` waits of many seconds,
/// so the budget is longer than [`RetryPolicy::default`]'s 30 s.
///
/// Idempotent requests (GET, HEAD, PUT, DELETE, or a request marked idempotent) are repeated after
/// a 429, 502, 503 or 504 response. Every request is repeated after a connection failure, because
/// it never reached the server.
#[must_use]
pub fn default_policy() -> RetryPolicy {
    RetryPolicy::default()
        .with_initial_backoff(Duration::from_millis(800))
        .with_max_backoff(Duration::from_secs(30))
        .with_max_elapsed(Duration::from_secs(120))
}

/// Returns the wait the service requests in `headers`, read with the client's clock.
pub(crate) fn retry_after(headers: &HeaderMap, now: OffsetDateTime) -> Option<Duration> {
    http_retry::retry_after(headers, now.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn retry_after_uses_client_clock() {
        let now = time::macros::datetime!(2015-10-21 07:28:00 UTC);
        let mut headers = HeaderMap::new();
        headers.insert(
            "retry-after",
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:30 GMT"),
        );
        assert_eq!(retry_after(&headers, now), Some(Duration::from_secs(30)));
    }

    #[test]
    fn default_policy_allows_long_waits() {
        let policy = default_policy();
        assert_eq!(policy.validate(), Ok(()));
        assert_eq!(
            policy.next_delay(1, Duration::ZERO, Some(Duration::from_secs(60))),
            Some(Duration::from_secs(60))
        );
    }
}

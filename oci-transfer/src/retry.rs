//! Retry policy: which failures to repeat and how long to wait between attempts.

use std::time::Duration;

use reqwest::header::{HeaderMap, RETRY_AFTER};

/// How often and how patiently failed requests and blob transfers are repeated.
///
/// Repeated: connection errors, truncated bodies, HTTP 408, 429, 502, 503 and 504. The wait
/// doubles from `initial_backoff` up to `max_backoff`, with up to 50% random jitter added, and a
/// `Retry-After` header in seconds or as an HTTP date replaces the computed wait when longer.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Attempts per request or blob, including the first. Default 4; 1 turns retries off.
    pub max_attempts: u32,
    /// Wait before the second attempt. Default 200 ms.
    pub initial_backoff: Duration,
    /// Upper bound of one wait, also for `Retry-After`. Default 10 s.
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(10),
        }
    }
}

impl RetryPolicy {
    /// A policy that never repeats a request.
    pub fn none() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }

    /// Whether another attempt follows attempt number `attempt` (1-based).
    pub(crate) fn allows_another(&self, attempt: u32) -> bool {
        attempt < self.max_attempts
    }

    /// Computes the wait after attempt number `attempt` (1-based) failed.
    pub(crate) fn backoff(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        let exponent = attempt.saturating_sub(1).min(20);
        let base = self
            .initial_backoff
            .saturating_mul(1u32 << exponent)
            .min(self.max_backoff);
        let jitter = base.mul_f64(fastrand::f64() * 0.5);
        let computed = (base + jitter).min(self.max_backoff);
        match retry_after {
            Some(requested) if requested > computed => requested.min(self.max_backoff),
            _ => computed,
        }
    }
}

/// Whether a response with this status may succeed when repeated.
pub(crate) fn is_retryable_status(status: u16) -> bool {
    matches!(status, 408 | 429 | 502 | 503 | 504)
}

/// Reads `Retry-After` as seconds or as an HTTP date.
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    date.duration_since(std::time::SystemTime::now()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_stays_under_max() {
        let policy = RetryPolicy {
            max_attempts: 10,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(1),
        };
        let first = policy.backoff(1, None);
        assert!(first >= Duration::from_millis(100) && first <= Duration::from_millis(150));
        let third = policy.backoff(3, None);
        assert!(third >= Duration::from_millis(400) && third <= Duration::from_millis(600));
        assert!(policy.backoff(9, None) <= Duration::from_secs(1));
    }

    #[test]
    fn retry_after_seconds_replaces_shorter_backoff() {
        let policy = RetryPolicy::default();
        let wait = policy.backoff(1, Some(Duration::from_secs(3)));
        assert_eq!(wait, Duration::from_secs(3));
        let capped = policy.backoff(1, Some(Duration::from_secs(3600)));
        assert_eq!(capped, policy.max_backoff);
    }

    #[test]
    fn retry_after_header_parses_seconds() {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, "7".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(7)));
        headers.insert(RETRY_AFTER, "soon".parse().unwrap());
        assert_eq!(retry_after(&headers), None);
    }

    #[test]
    fn retryable_statuses() {
        for status in [408, 429, 502, 503, 504] {
            assert!(is_retryable_status(status), "{status}");
        }
        for status in [400, 401, 403, 404, 409, 416, 500] {
            assert!(!is_retryable_status(status), "{status}");
        }
    }

    #[test]
    fn none_allows_no_second_attempt() {
        assert!(!RetryPolicy::none().allows_another(1));
        assert!(RetryPolicy::default().allows_another(3));
        assert!(!RetryPolicy::default().allows_another(4));
    }
}

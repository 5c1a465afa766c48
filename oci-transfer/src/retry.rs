//! Retries of registry requests, on the shared rules of `http-retry`.

use std::time::{Duration, SystemTime};

use reqwest::StatusCode;
use reqwest::header::HeaderMap;

pub use http_retry::RetryPolicy;

/// Reports whether a response with `status` is worth sending again: 429, 502, 503 and 504.
pub(crate) fn is_retryable_status(status: u16) -> bool {
    StatusCode::from_u16(status).is_ok_and(http_retry::is_retryable_status)
}

/// Returns the wait the registry requests with `Retry-After`, if any.
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    http_retry::retry_after(headers, SystemTime::now())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retryable_statuses() {
        for status in [429, 502, 503, 504] {
            assert!(is_retryable_status(status), "{status}");
        }
        for status in [400, 401, 403, 404, 408, 409, 416, 500, 999] {
            assert!(!is_retryable_status(status), "{status}");
        }
    }

    #[test]
    fn retry_after_header_parses_seconds() {
        let mut headers = HeaderMap::new();
        headers.insert(reqwest::header::RETRY_AFTER, "7".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(7)));
        headers.insert(reqwest::header::RETRY_AFTER, "soon".parse().unwrap());
        assert_eq!(retry_after(&headers), None);
    }
}

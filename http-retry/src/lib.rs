//! The retry rules shared by the HTTP clients of harbor-azure (`harbor-client`, `acr-client` and
//! `oci-transfer`), so that all of them retry the same responses and wait the same way:
//!
//! - only connection failures and the statuses 429, 502, 503 and 504 are worth another attempt
//!   ([`is_retryable_status`]). Each client decides which requests are safe to send again.
//! - the wait grows exponentially with jitter ([`RetryPolicy::backoff`]), unless the server
//!   requests a wait with `Retry-After` ([`retry_after`]), which is honoured in full;
//! - a request gives up after a number of attempts or when the next wait would exceed the time
//!   budget ([`RetryPolicy::next_delay`]).
//!
//! Sending and sleeping stay with each client, which keeps its own clock for tests.

mod policy;
mod retry_after;

pub use policy::{InvalidRetryPolicy, RetryPolicy};
pub use retry_after::{parse_retry_after, retry_after};

use http::StatusCode;

/// Reports whether a response with `status` is worth sending again: 429 (too many requests), 502,
/// 503 and 504 (a proxy or the service is briefly unavailable).
///
/// Other statuses, 500 and 408 among them, are returned to the caller: the same request would
/// most likely fail the same way.
#[must_use]
pub fn is_retryable_status(status: StatusCode) -> bool {
    matches!(
        status,
        StatusCode::TOO_MANY_REQUESTS
            | StatusCode::BAD_GATEWAY
            | StatusCode::SERVICE_UNAVAILABLE
            | StatusCode::GATEWAY_TIMEOUT
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retryable_statuses() {
        for status in [429, 502, 503, 504] {
            let status = StatusCode::from_u16(status).unwrap();
            assert!(is_retryable_status(status), "{status}");
        }
        for status in [200, 400, 401, 403, 404, 408, 409, 412, 500, 501] {
            let status = StatusCode::from_u16(status).unwrap();
            assert!(!is_retryable_status(status), "{status}");
        }
    }
}

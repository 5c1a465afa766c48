//! Sending data-plane requests with retries and one `tracing` span per request.

use reqwest::{RequestBuilder, Response};
use tracing::Instrument;

use super::client::DataPlaneClient;
use crate::Error;
use crate::arm::retry::retry_after;

impl DataPlaneClient {
    /// Sends a request, repeating it after 429, 502, 503, 504, connection errors and
    /// timeouts as the client's [`RetryPolicy`](crate::arm::RetryPolicy) allows.
    ///
    /// Every data-plane request is safe to repeat: GET and HEAD read, and the token
    /// endpoints only issue tokens. Returns the last response whatever its status.
    pub(crate) async fn send(
        &self,
        operation: &str,
        request: RequestBuilder,
    ) -> Result<Response, Error> {
        let span = tracing::debug_span!(
            "acr_data_plane_request",
            operation,
            registry = %self.inner.service,
            attempt = tracing::field::Empty,
            status = tracing::field::Empty,
        );
        self.send_with_retries(operation, request)
            .instrument(span)
            .await
    }

    async fn send_with_retries(
        &self,
        operation: &str,
        request: RequestBuilder,
    ) -> Result<Response, Error> {
        let policy = &self.inner.retry;
        let clock = &self.inner.clock;
        let started = clock.elapsed();
        let mut pending = Some(request);
        let mut attempt = 1;
        while let Some(current) = pending.take() {
            let span = tracing::Span::current();
            span.record("attempt", attempt);
            // A body that cannot be cloned (a stream) gets exactly one attempt.
            let this_attempt = match current.try_clone() {
                Some(copy) => {
                    pending = Some(current);
                    copy
                }
                None => current,
            };
            let next = pending.is_some();
            let outcome = this_attempt.send().await;

            let (retryable, requested_wait) = match &outcome {
                Ok(response) => {
                    span.record("status", response.status().as_u16());
                    (
                        http_retry::is_retryable_status(response.status()),
                        retry_after(response.headers(), clock.now_utc()),
                    )
                }
                Err(error) => (error.is_connect(), None),
            };
            if !retryable || !next {
                return outcome.map_err(|source| self.transport(operation, source));
            }
            let waited = clock.elapsed().saturating_sub(started);
            let Some(wait) = policy.next_delay(attempt, waited, requested_wait) else {
                return outcome.map_err(|source| self.transport(operation, source));
            };
            tracing::info!(
                attempt,
                wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                "retrying ACR data-plane request"
            );
            clock.sleep(wait).await;
            attempt += 1;
        }
        unreachable!("the loop returns on its last attempt")
    }
}

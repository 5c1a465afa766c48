//! What harbor-client adds to the shared retry rules of `http-retry`: an injectable sleeper, and
//! which transport errors are worth another attempt.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

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

pub(crate) use http_retry::is_retryable_status;

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

#[cfg(test)]
mod tests {
    use crate::{Client, Error, RetryPolicy};

    #[test]
    fn zero_attempts_rejected_at_build() {
        let error = Client::builder("https://harbor.example.com")
            .retry_policy(RetryPolicy::default().with_max_attempts(0))
            .build()
            .unwrap_err();
        assert!(
            matches!(
                error,
                Error::InvalidConfig {
                    setting: "retry_policy",
                    ..
                }
            ),
            "{error:?}"
        );
        assert!(error.to_string().contains("max_attempts is 0"), "{error}");
    }
}

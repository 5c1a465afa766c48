//! The error type of this crate.

/// Errors returned by the Harbor client.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A request body could not be serialized.
    #[error("failed to serialize the request body")]
    Encode {
        /// The serializer's error.
        source: serde_json::Error,
    },
    /// Harbor answered with a status that is not a success.
    #[error("{operation_id} failed with HTTP {status}")]
    Status {
        /// Harbor operation id.
        operation_id: &'static str,
        /// HTTP status code.
        status: u16,
    },
    /// The request could not be sent or the response could not be read.
    #[error("{operation_id}: request failed")]
    Transport {
        /// Harbor operation id.
        operation_id: &'static str,
        /// The HTTP client's error.
        source: reqwest::Error,
    },
    /// The response body did not decode into the expected type.
    #[error("{operation_id}: response body did not decode")]
    Decode {
        /// Harbor operation id.
        operation_id: &'static str,
        /// The decoder's error.
        source: serde_json::Error,
    },
}

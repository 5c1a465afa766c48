//! A response of any status with its headers and body, returned by [`Client::execute_raw`].
//!
//! [`Client::execute_raw`]: crate::Client::execute_raw

use bytes::Bytes;
use http::{HeaderMap, StatusCode};

/// The last response to a request sent by [`Client::execute_raw`], whatever its status.
///
/// [`Client::execute_raw`]: crate::Client::execute_raw
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RawResponse {
    /// HTTP status, which may be an error status.
    pub status: StatusCode,
    /// Response headers as received.
    pub headers: HeaderMap,
    /// The whole response body.
    pub body: Bytes,
    /// Request id that Harbor echoed, or else the one that was sent.
    pub request_id: String,
    /// Number of attempts the request took, counting retries.
    pub attempts: u32,
}

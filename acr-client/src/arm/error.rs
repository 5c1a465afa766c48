//! ARM error type and decoding of ARM error bodies.

use std::fmt;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde::Deserialize;

/// Error detail from an ARM error body (`{"error": {"code", "message", "target", "details"}}`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ArmErrorDetail {
    /// Machine-readable error code, such as `ResourceNotFound`.
    #[serde(default)]
    pub code: String,
    /// Human-readable message from the service.
    #[serde(default)]
    pub message: String,
    /// Part of the request the error refers to, when the service names one.
    #[serde(default)]
    pub target: Option<String>,
    /// Nested errors.
    #[serde(default)]
    pub details: Vec<ArmErrorDetail>,
}

impl ArmErrorDetail {
    /// Decodes an ARM error body.
    ///
    /// Accepts the standard envelope `{"error": {...}}` and the bare `{"code", "message"}`
    /// form some resource providers send. Returns `None` when the body is neither.
    pub fn from_body(body: &[u8]) -> Option<Self> {
        #[derive(Deserialize)]
        struct Envelope {
            error: ArmErrorDetail,
        }

        if let Ok(envelope) = serde_json::from_slice::<Envelope>(body) {
            return Some(envelope.error);
        }
        match serde_json::from_slice::<ArmErrorDetail>(body) {
            Ok(detail) if !detail.code.is_empty() || !detail.message.is_empty() => Some(detail),
            _ => None,
        }
    }
}

impl fmt::Display for ArmErrorDetail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)?;
        if let Some(target) = &self.target {
            write!(f, " (target {target})")?;
        }
        Ok(())
    }
}

/// Error from an ARM request, a long-running operation or a paged listing.
///
/// Messages name the method and path (never the query string, headers or body) and never
/// contain the bearer token.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ArmError {
    /// ARM returned a non-success status.
    #[error("{method} {path} failed with HTTP {status}{}", detail_suffix(.detail))]
    Service {
        /// Request method.
        method: Method,
        /// Request path without the query string.
        path: String,
        /// Response status.
        status: StatusCode,
        /// Decoded ARM error body, when the body had one.
        detail: Option<Box<ArmErrorDetail>>,
        /// Value of `x-ms-request-id`.
        request_id: Option<String>,
        /// Value of `x-ms-correlation-request-id`.
        correlation_id: Option<String>,
    },
    /// The request failed before a response arrived (connection, TLS or timeout).
    #[error("{method} {path} failed before a response arrived")]
    Transport {
        /// Request method.
        method: Method,
        /// Request path without the query string.
        path: String,
        /// Underlying client error.
        #[source]
        source: reqwest::Error,
    },
    /// The credential could not produce an Azure AD access token.
    #[error("failed to get an Azure AD access token for scope {scope}")]
    Credential {
        /// Azure AD scope that was requested.
        scope: String,
        /// Error from the credential.
        #[source]
        source: azure_core::Error,
    },
    /// A success response did not decode into the expected type.
    #[error("failed to decode the response of {method} {path} (HTTP {status})")]
    Decode {
        /// Request method.
        method: Method,
        /// Request path without the query string.
        path: String,
        /// Response status.
        status: StatusCode,
        /// Value of `x-ms-request-id`.
        request_id: Option<String>,
        /// JSON error; its message names the field, never the body.
        #[source]
        source: serde_json::Error,
    },
    /// A long-running operation reached the `Failed` or `Canceled` state.
    #[error("long-running operation on {path} ended with status {status}{}", detail_suffix(.detail))]
    OperationFailed {
        /// Path of the resource or action that started the operation.
        path: String,
        /// Terminal status reported by ARM.
        status: String,
        /// Error reported with the terminal status.
        detail: Option<Box<ArmErrorDetail>>,
        /// Value of `x-ms-request-id` of the last poll.
        request_id: Option<String>,
    },
    /// A long-running operation did not reach a terminal state before the deadline.
    #[error(
        "long-running operation on {path} timed out after {deadline:?} with status {last_status}; raise the deadline in LroOptions or check the operation in the Azure portal"
    )]
    Timeout {
        /// Path of the resource or action that started the operation.
        path: String,
        /// Deadline that expired.
        deadline: Duration,
        /// Last non-terminal status seen.
        last_status: String,
    },
    /// The request could not be built or a URL from ARM was rejected.
    #[error("invalid ARM request: {reason}")]
    InvalidRequest {
        /// Description of the problem, naming the value.
        reason: String,
    },
}

fn detail_suffix(detail: &Option<Box<ArmErrorDetail>>) -> String {
    match detail {
        Some(detail) => format!(": {detail}"),
        None => String::new(),
    }
}

impl ArmError {
    /// HTTP status of the failed response, when there was one.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Self::Service { status, .. } | Self::Decode { status, .. } => Some(*status),
            Self::Transport { source, .. } => source.status(),
            _ => None,
        }
    }

    /// ARM request id (`x-ms-request-id`) of the failed response, when known.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Self::Service { request_id, .. }
            | Self::Decode { request_id, .. }
            | Self::OperationFailed { request_id, .. } => request_id.as_deref(),
            _ => None,
        }
    }

    /// Correlation id (`x-ms-correlation-request-id`) of the failed response, when known.
    pub fn correlation_id(&self) -> Option<&str> {
        match self {
            Self::Service { correlation_id, .. } => correlation_id.as_deref(),
            _ => None,
        }
    }

    /// Decoded ARM error detail, when the service sent one.
    pub fn detail(&self) -> Option<&ArmErrorDetail> {
        match self {
            Self::Service { detail, .. } | Self::OperationFailed { detail, .. } => {
                detail.as_deref()
            }
            _ => None,
        }
    }

    /// ARM error code (`ResourceNotFound`, `Conflict`, ...), when the service sent one.
    pub fn code(&self) -> Option<&str> {
        self.detail().map(|detail| detail.code.as_str())
    }

    /// Reports whether ARM returned 404.
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(StatusCode::NOT_FOUND)
    }

    /// Reports whether ARM returned 409.
    pub fn is_conflict(&self) -> bool {
        self.status() == Some(StatusCode::CONFLICT)
    }

    /// Reports whether repeating the request may succeed: 429, 502, 503, 504, connection
    /// errors and timeouts.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Service { status, .. } => is_retryable_status(*status),
            Self::Transport { source, .. } => source.is_connect() || source.is_timeout(),
            Self::Timeout { .. } => true,
            _ => false,
        }
    }
}

pub(crate) use http_retry::is_retryable_status;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detail_decodes_envelope_with_details() {
        let body = br#"{"error":{"code":"InvalidParameter","message":"bad name","target":"name",
            "details":[{"code":"Inner","message":"inner message"}]}}"#;

        let detail = ArmErrorDetail::from_body(body).expect("decodes");

        assert_eq!(detail.code, "InvalidParameter");
        assert_eq!(detail.message, "bad name");
        assert_eq!(detail.target.as_deref(), Some("name"));
        assert_eq!(detail.details.len(), 1);
        assert_eq!(detail.details[0].code, "Inner");
    }

    #[test]
    fn detail_decodes_bare_form() {
        let detail =
            ArmErrorDetail::from_body(br#"{"code":"Conflict","message":"busy"}"#).expect("decodes");

        assert_eq!(detail.code, "Conflict");
    }

    #[test]
    fn detail_rejects_unrelated_body() {
        assert!(ArmErrorDetail::from_body(b"<html>bad gateway</html>").is_none());
        assert!(ArmErrorDetail::from_body(br#"{"value":[]}"#).is_none());
    }

    #[test]
    fn service_error_message_names_request_and_code() {
        let error = ArmError::Service {
            method: Method::PUT,
            path: "/subscriptions/s/resourceGroups/rg".into(),
            status: StatusCode::CONFLICT,
            detail: Some(Box::new(ArmErrorDetail {
                code: "Conflict".into(),
                message: "in use".into(),
                target: None,
                details: Vec::new(),
            })),
            request_id: Some("req-1".into()),
            correlation_id: Some("corr-1".into()),
        };

        assert_eq!(
            error.to_string(),
            "PUT /subscriptions/s/resourceGroups/rg failed with HTTP 409 Conflict: Conflict: in use"
        );
        assert!(error.is_conflict());
        assert!(!error.is_retryable());
        assert_eq!(error.request_id(), Some("req-1"));
        assert_eq!(error.correlation_id(), Some("corr-1"));
        assert_eq!(error.code(), Some("Conflict"));
    }
}

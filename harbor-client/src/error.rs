//! The error type of this crate.

use std::fmt;

use http::{Method, StatusCode};

/// Maximum number of characters kept from one Harbor error message.
pub(crate) const MAX_MESSAGE_CHARS: usize = 300;

/// Maximum number of Harbor error entries kept from one response.
pub(crate) const MAX_HARBOR_ERRORS: usize = 10;

/// Errors returned by the Harbor client.
///
/// Messages name the operation, method and path template that failed, and never contain
/// credentials, header dumps or whole response bodies.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A request body could not be serialized.
    #[error("failed to serialize the request body")]
    Encode {
        /// The serializer's error.
        source: serde_json::Error,
    },

    /// A [`ClientBuilder`](crate::ClientBuilder) setting is invalid.
    #[error("invalid client setting {setting}: {reason}")]
    InvalidConfig {
        /// Name of the setting, for example `base_url`.
        setting: &'static str,
        /// Description of the problem and of its fix.
        reason: String,
        /// The underlying error, if any.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },

    /// An argument was rejected before any request was sent.
    #[error("invalid {name} {value:?}: {rule}")]
    InvalidArgument {
        /// Name of the argument.
        name: &'static str,
        /// The rejected value.
        value: String,
        /// The rule the value breaks.
        rule: &'static str,
    },

    /// A value of the `q` query parameter cannot be expressed in Harbor's query language.
    #[error("unsupported value {value:?} for query key {key:?}: {rule}")]
    UnsupportedQueryValue {
        /// The query key.
        key: String,
        /// The rejected value.
        value: String,
        /// The rule the value breaks.
        rule: &'static str,
    },

    /// A request header has an invalid name, or a value with bytes that HTTP does not allow.
    #[error(
        "{operation}: header {name} is not valid HTTP because its name is invalid or its value \
         contains control characters or non-ASCII bytes. The value is not shown"
    )]
    InvalidHeader {
        /// The operation whose request was rejected.
        operation: Operation,
        /// Name of the header.
        name: &'static str,
    },

    /// Harbor returned a status that is not a success.
    #[error("{0}")]
    Status(Box<ApiError>),

    /// Harbor rejected a write with `403 CSRF token invalid`.
    ///
    /// Harbor treats a request that carries its session cookies (`sid`, `_gorilla_csrf`) as a
    /// browser session and then requires a CSRF token on every write.
    #[error(
        "{0}. Harbor treated the request as a browser session because it carried session \
         cookies. Do not send cookies with Basic auth: use a reqwest::Client without a cookie \
         store"
    )]
    Csrf(Box<ApiError>),

    /// The request could not be sent, or the response could not be read.
    #[error("{operation}: {}{}, request id {request_id}", transport_summary(source), attempts_suffix(*attempts))]
    Transport {
        /// The operation that failed.
        operation: Operation,
        /// The `X-Request-Id` sent with the request.
        request_id: String,
        /// Number of attempts made, retries included.
        attempts: u32,
        /// The HTTP client's error.
        source: reqwest::Error,
    },

    /// The response body did not decode into the expected type.
    #[error(
        "{operation}: the response body did not decode as the expected JSON type, request id {request_id}"
    )]
    Decode {
        /// The operation that failed.
        operation: Operation,
        /// The request id Harbor echoed, or the one that was sent.
        request_id: String,
        /// Location of the decoding failure, without any value from the body.
        source: Box<DecodeError>,
    },
}

/// Location and kind of a response body's decoding failure: the JSON path, line and column.
///
/// It keeps no text of the body, because serde_json's own messages quote the offending value,
/// which may be a secret such as a robot's password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    /// Kind of failure: `syntax`, `data` (a value of the wrong type or shape), `eof` or `io`.
    pub category: &'static str,
    /// JSON path of the value that failed, such as `[3].scan_overview`, when it could be found.
    pub path: Option<String>,
    /// Line of the body, from 1.
    pub line: usize,
    /// Column of the line, from 1.
    pub column: usize,
}

impl DecodeError {
    /// Describes `error`, which came from decoding `body` as `T`.
    ///
    /// The body is decoded a second time to find the path of the failing value. That happens
    /// only on failure, so successful decoding pays nothing for it.
    pub(crate) fn describe<T: serde::de::DeserializeOwned>(
        body: &[u8],
        error: &serde_json::Error,
    ) -> Self {
        let category = match error.classify() {
            serde_json::error::Category::Io => "io",
            serde_json::error::Category::Syntax => "syntax",
            serde_json::error::Category::Data => "data",
            serde_json::error::Category::Eof => "eof",
        };
        let mut deserializer = serde_json::Deserializer::from_slice(body);
        let path = serde_path_to_error::deserialize::<_, T>(&mut deserializer)
            .err()
            .map(|failure| failure.path().to_string())
            .filter(|path| path != ".");
        Self {
            category,
            path,
            line: error.line(),
            column: error.column(),
        }
    }
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self.category {
            "syntax" => "invalid JSON",
            "eof" => "the body ended early",
            "io" => "the body could not be read",
            _ => "a value of the wrong type or shape",
        };
        match &self.path {
            Some(path) => write!(
                f,
                "{kind} at `{path}` (line {}, column {})",
                self.line, self.column
            ),
            None => write!(f, "{kind} at line {}, column {}", self.line, self.column),
        }
    }
}

impl std::error::Error for DecodeError {}

impl Error {
    /// Returns the HTTP status of a response that was not a success.
    pub fn status(&self) -> Option<StatusCode> {
        self.api_error().map(|error| error.status)
    }

    /// Returns the request id: the one Harbor echoed in `X-Request-Id`, or else the one sent.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Self::Status(error) | Self::Csrf(error) => Some(&error.request_id),
            Self::Transport { request_id, .. } | Self::Decode { request_id, .. } => {
                Some(request_id)
            }
            _ => None,
        }
    }

    /// Returns the Harbor operation id of the failed request, for example `listArtifacts`.
    pub fn operation_id(&self) -> Option<&'static str> {
        self.operation().map(|operation| operation.id)
    }

    /// Returns the error entries of Harbor's error body, empty when it sent none.
    pub fn harbor_errors(&self) -> &[HarborError] {
        self.api_error().map_or(&[], |error| &error.errors)
    }

    /// Reports whether Harbor returned `404 Not Found`.
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(StatusCode::NOT_FOUND)
    }

    /// Reports whether Harbor returned `409 Conflict`, for example because a resource exists.
    pub fn is_conflict(&self) -> bool {
        self.status() == Some(StatusCode::CONFLICT)
    }

    /// Reports whether sending the same request again later may succeed.
    ///
    /// True for connection failures (other than TLS failures) and for statuses 429, 502, 503 and
    /// 504: the same classes the client retries for idempotent requests.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Status(error) => crate::retry::is_retryable_status(error.status),
            Self::Transport { source, .. } => crate::retry::is_retryable_transport(source),
            _ => false,
        }
    }

    fn api_error(&self) -> Option<&ApiError> {
        match self {
            Self::Status(error) | Self::Csrf(error) => Some(error),
            _ => None,
        }
    }

    fn operation(&self) -> Option<&Operation> {
        match self {
            Self::Status(error) | Self::Csrf(error) => Some(&error.operation),
            Self::InvalidHeader { operation, .. }
            | Self::Transport { operation, .. }
            | Self::Decode { operation, .. } => Some(operation),
            _ => None,
        }
    }
}

/// Describes a transport failure by its class, without repeating the source's message.
fn transport_summary(source: &reqwest::Error) -> &'static str {
    if source.is_timeout() {
        "the request timed out"
    } else if crate::retry::is_tls_failure(source) {
        "the TLS handshake with Harbor failed (check its certificate and the trusted CAs)"
    } else if source.is_connect() {
        "failed to connect to Harbor"
    } else if source.is_body() || source.is_decode() {
        "failed to read the response body"
    } else {
        "the request failed"
    }
}

fn attempts_suffix(attempts: u32) -> String {
    if attempts > 1 {
        format!(" after {attempts} attempts")
    } else {
        String::new()
    }
}

/// The Harbor operation a request belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operation {
    /// Harbor operation id, for example `listArtifacts`.
    pub id: &'static str,
    /// HTTP method.
    pub method: Method,
    /// Path template below `/api/v2.0`, for example `/projects/{project_name}/repositories`.
    pub path_template: &'static str,
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({} {})", self.id, self.method, self.path_template)
    }
}

/// One entry of Harbor's error body `{"errors":[{"code":"NOT_FOUND","message":"..."}]}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HarborError {
    /// Harbor's error code, for example `NOT_FOUND`. Empty when Harbor sent none.
    pub code: String,
    /// Harbor's message, cut to 300 characters.
    pub message: String,
}

/// A response whose status is not a success.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub(crate) operation: Operation,
    pub(crate) status: StatusCode,
    pub(crate) errors: Vec<HarborError>,
    pub(crate) request_id: String,
    pub(crate) attempts: u32,
}

impl ApiError {
    /// Returns the operation that failed.
    pub fn operation(&self) -> &Operation {
        &self.operation
    }

    /// Returns the HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// Returns the entries of Harbor's error body (at most 10).
    pub fn errors(&self) -> &[HarborError] {
        &self.errors
    }

    /// Returns the request id Harbor echoed, or else the one sent.
    pub fn request_id(&self) -> &str {
        &self.request_id
    }

    /// Returns the number of attempts made, retries included.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// Reports whether this is a `403` whose message reports an invalid CSRF token.
    pub(crate) fn is_csrf_rejection(&self) -> bool {
        self.status == StatusCode::FORBIDDEN
            && self.errors.iter().any(|error| {
                error
                    .message
                    .to_ascii_lowercase()
                    .contains("csrf token invalid")
            })
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} failed with HTTP {}", self.operation, self.status)?;
        if let Some(first) = self.errors.first() {
            if first.code.is_empty() {
                write!(f, ": {}", first.message)?;
            } else {
                write!(f, ": {}: {}", first.code, first.message)?;
            }
            if self.errors.len() > 1 {
                write!(f, " (and {} more errors)", self.errors.len() - 1)?;
            }
        }
        write!(
            f,
            "{}, request id {}",
            attempts_suffix(self.attempts),
            self.request_id
        )
    }
}

/// Cuts `message` to [`MAX_MESSAGE_CHARS`] characters, marking the cut with `…`.
pub(crate) fn truncate_message(message: &str) -> String {
    match message.char_indices().nth(MAX_MESSAGE_CHARS) {
        Some((end, _)) => format!("{}…", &message[..end]),
        None => message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api_error(status: StatusCode, errors: Vec<HarborError>) -> ApiError {
        ApiError {
            operation: Operation {
                id: "getProject",
                method: Method::GET,
                path_template: "/projects/{project_name_or_id}",
            },
            status,
            errors,
            request_id: "req-1".to_owned(),
            attempts: 1,
        }
    }

    #[test]
    fn status_display_names_operation_code_and_request_id() {
        let error = Error::Status(Box::new(api_error(
            StatusCode::NOT_FOUND,
            vec![HarborError {
                code: "NOT_FOUND".to_owned(),
                message: "project 123 not found".to_owned(),
            }],
        )));
        assert_eq!(
            error.to_string(),
            "getProject (GET /projects/{project_name_or_id}) failed with HTTP 404 Not Found: \
             NOT_FOUND: project 123 not found, request id req-1"
        );
        assert!(error.is_not_found());
        assert!(!error.is_conflict());
        assert!(!error.is_retryable());
    }

    #[test]
    fn retryable_statuses() {
        for (status, expected) in [
            (StatusCode::TOO_MANY_REQUESTS, true),
            (StatusCode::BAD_GATEWAY, true),
            (StatusCode::SERVICE_UNAVAILABLE, true),
            (StatusCode::GATEWAY_TIMEOUT, true),
            (StatusCode::INTERNAL_SERVER_ERROR, false),
            (StatusCode::CONFLICT, false),
        ] {
            let error = Error::Status(Box::new(api_error(status, Vec::new())));
            assert_eq!(error.is_retryable(), expected, "status {status}");
        }
    }

    #[test]
    fn csrf_rejection_needs_403_and_message() {
        let csrf = vec![HarborError {
            code: "FORBIDDEN".to_owned(),
            message: "CSRF token invalid".to_owned(),
        }];
        assert!(api_error(StatusCode::FORBIDDEN, csrf.clone()).is_csrf_rejection());
        assert!(!api_error(StatusCode::UNAUTHORIZED, csrf).is_csrf_rejection());
        assert!(!api_error(StatusCode::FORBIDDEN, Vec::new()).is_csrf_rejection());
    }

    #[test]
    fn long_message_is_truncated() {
        let long = "é".repeat(1000);
        let cut = truncate_message(&long);
        assert_eq!(cut.chars().count(), MAX_MESSAGE_CHARS + 1);
        assert!(cut.ends_with('…'));
        assert_eq!(truncate_message("short"), "short");
    }
}

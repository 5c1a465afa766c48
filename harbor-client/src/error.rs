//! The error type of this crate.

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use http::{Method, StatusCode};

use crate::tasks::replication::FailedTask;

/// Maximum number of characters kept from one Harbor error message.
pub(crate) const MAX_MESSAGE_CHARS: usize = 300;

/// Maximum number of Harbor error entries kept from one response.
pub(crate) const MAX_HARBOR_ERRORS: usize = 10;

/// Errors returned by the Harbor client and by its [`tasks`](crate::tasks).
///
/// Messages of request errors name the operation, method and path template that failed.
/// Messages of task errors name the resource and the value that failed. No message contains
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

    /// An argument, or a field of a task's desired state, was rejected before any request was
    /// sent.
    #[error("invalid {name} {value:?}: {rule}")]
    InvalidArgument {
        /// Name of the argument or field, for example `project name`.
        name: &'static str,
        /// The rejected value. Never a secret: secret fields report `[REDACTED]`.
        value: String,
        /// The rule the value breaks, and the fix where there is one.
        rule: Cow<'static, str>,
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

    /// A resource that a task's desired state refers to does not exist, or Harbor's response
    /// lacks an id the task needs.
    ///
    /// [`Error::is_not_found`] returns true for it, as for an HTTP 404 in [`Error::Status`],
    /// so a caller asking whether something is missing needs one check for both.
    #[error("{kind} {name:?} not found")]
    NotFound {
        /// Kind of resource, for example `user`.
        kind: &'static str,
        /// Name or id that was looked up.
        name: String,
    },

    /// The existing resource differs in a field that Harbor cannot change after creation.
    #[error(
        "{kind} {name:?} exists with a different {field}, which Harbor cannot change after \
         creation: {reason}. Delete and recreate it, or change the desired state"
    )]
    CannotUpdate {
        /// Kind of resource.
        kind: &'static str,
        /// Name of the resource.
        name: String,
        /// The field that differs.
        field: &'static str,
        /// Actual and desired values.
        reason: String,
    },

    /// Harbor rejected the request with `412 Precondition Failed`, for example deleting a
    /// replication policy that still has running executions.
    ///
    /// [`Error::status`], [`Error::request_id`] and [`Error::harbor_errors`] return those of
    /// the wrapped response error.
    #[error("{what} failed because a precondition does not hold: {hint}")]
    Precondition {
        /// The attempted operation.
        what: String,
        /// The suggested next step.
        hint: &'static str,
        /// The response error.
        #[source]
        source: Box<Error>,
    },

    /// A wait reached its deadline before the work finished.
    #[error(
        "timed out after {waited:?} waiting for {what}; last state {last_state}{}",
        pending_suffix(pending_executions)
    )]
    Timeout {
        /// The awaited work.
        what: String,
        /// Time spent waiting, sleeps included.
        waited: Duration,
        /// Last observed state.
        last_state: String,
        /// Ids of executions that had not finished, for replication waits.
        pending_executions: Vec<i64>,
    },

    /// A replication execution ended in `Failed` or `Stopped`.
    #[error(
        "replication execution {execution_id} ended {status}: {failed} of {total} tasks failed{}",
        failed_tasks_suffix(failed_tasks)
    )]
    ReplicationFailed {
        /// The execution id.
        execution_id: i64,
        /// The terminal status.
        status: String,
        /// Number of failed tasks reported by Harbor.
        failed: i64,
        /// Number of tasks in the execution.
        total: i64,
        /// Failed tasks with the tail of their logs.
        failed_tasks: Vec<FailedTask>,
    },

    /// A scan ended with `Error` or `Stopped`.
    #[error("scan of {artifact} ended with status {status}")]
    ScanFailed {
        /// The artifact, as `project/repository@reference`.
        artifact: String,
        /// The terminal scan status.
        status: String,
    },

    /// A garbage-collection run ended with `Error` or `Stopped`.
    #[error("garbage collection {gc_id} ended with status {status}")]
    GcFailed {
        /// The run id.
        gc_id: i64,
        /// The terminal status.
        status: String,
        /// The last lines of the run's log.
        log_tail: Vec<String>,
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
    /// Builds an [`Error::InvalidArgument`] for a desired-state field.
    pub(crate) fn invalid(
        field: &'static str,
        value: impl Into<String>,
        rule: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self::InvalidArgument {
            name: field,
            value: value.into(),
            rule: rule.into(),
        }
    }

    /// Returns the HTTP status of a response that was not a success.
    ///
    /// For [`Error::Precondition`] it is the status of the wrapped response error.
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
            Self::Precondition { source, .. } => source.request_id(),
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

    /// Reports whether Harbor returned `404 Not Found`, or a task found no resource it refers to
    /// ([`Error::NotFound`]).
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::NotFound { .. }) || self.status() == Some(StatusCode::NOT_FOUND)
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
            Self::Precondition { source, .. } => source.api_error(),
            _ => None,
        }
    }

    fn operation(&self) -> Option<&Operation> {
        match self {
            Self::Status(error) | Self::Csrf(error) => Some(&error.operation),
            Self::InvalidHeader { operation, .. }
            | Self::Transport { operation, .. }
            | Self::Decode { operation, .. } => Some(operation),
            Self::Precondition { source, .. } => source.operation(),
            _ => None,
        }
    }
}

fn pending_suffix(pending: &[i64]) -> String {
    if pending.is_empty() {
        String::new()
    } else {
        format!("; executions still running: {pending:?}")
    }
}

fn failed_tasks_suffix(tasks: &[FailedTask]) -> String {
    let ids: Vec<i64> = tasks.iter().map(|task| task.task_id).collect();
    if ids.is_empty() {
        String::new()
    } else {
        format!(" (failed task ids {ids:?}; their log tails are in `failed_tasks`)")
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
    fn missing_referenced_resource_is_not_found() {
        let error = Error::NotFound {
            kind: "user",
            name: "alice".to_owned(),
        };
        assert_eq!(error.to_string(), r#"user "alice" not found"#);
        assert!(error.is_not_found());
        assert_eq!(error.status(), None);
        assert_eq!(error.request_id(), None);
        assert!(!error.is_retryable());
    }

    #[test]
    fn precondition_reports_wrapped_response() {
        let error = Error::Precondition {
            what: "deleting replication policy 7".to_owned(),
            hint: "stop its running executions first",
            source: Box::new(Error::Status(Box::new(api_error(
                StatusCode::PRECONDITION_FAILED,
                Vec::new(),
            )))),
        };
        assert_eq!(
            error.to_string(),
            "deleting replication policy 7 failed because a precondition does not hold: stop \
             its running executions first"
        );
        assert_eq!(error.status(), Some(StatusCode::PRECONDITION_FAILED));
        assert_eq!(error.request_id(), Some("req-1"));
        assert_eq!(error.operation_id(), Some("getProject"));
        assert!(!error.is_not_found());
        assert!(!error.is_conflict());
        assert!(!error.is_retryable());
    }

    #[test]
    fn task_failures_have_no_response() {
        let errors = [
            Error::invalid("project name", "Team A", "use lower-case letters"),
            Error::CannotUpdate {
                kind: "registry",
                name: "ecr".to_owned(),
                field: "provider",
                reason: "aws-ecr, desired azure-acr".to_owned(),
            },
            Error::Timeout {
                what: "replication execution 3".to_owned(),
                waited: Duration::from_secs(60),
                last_state: "InProgress".to_owned(),
                pending_executions: vec![3],
            },
            Error::ReplicationFailed {
                execution_id: 3,
                status: "Failed".to_owned(),
                failed: 1,
                total: 2,
                failed_tasks: Vec::new(),
            },
            Error::ScanFailed {
                artifact: "library/nginx@1.27".to_owned(),
                status: "Error".to_owned(),
            },
            Error::GcFailed {
                gc_id: 5,
                status: "Stopped".to_owned(),
                log_tail: Vec::new(),
            },
        ];
        for error in &errors {
            assert_eq!(error.status(), None, "{error}");
            assert_eq!(error.request_id(), None, "{error}");
            assert!(!error.is_not_found(), "{error}");
            assert!(!error.is_conflict(), "{error}");
            assert!(!error.is_retryable(), "{error}");
        }
    }

    #[test]
    fn timeout_lists_pending_executions() {
        let error = Error::Timeout {
            what: "replication policy 7 to stop".to_owned(),
            waited: Duration::from_secs(90),
            last_state: "InProgress".to_owned(),
            pending_executions: vec![11, 12],
        };
        assert_eq!(
            error.to_string(),
            "timed out after 90s waiting for replication policy 7 to stop; last state \
             InProgress; executions still running: [11, 12]"
        );
    }

    #[test]
    fn error_fits_result_large_err_limit() {
        // clippy's result_large_err warns above 128 bytes, and every task returns this type.
        assert!(size_of::<Error>() <= 128, "{} bytes", size_of::<Error>());
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

//! The crate's error type.

use std::time::Duration;

use reqwest::StatusCode;

use crate::arm::ArmError;

/// Error of every operation in this crate.
///
/// Messages name the operation and the value involved. They never contain passwords,
/// tokens, response bodies or headers.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A request to Azure Resource Manager failed.
    #[error(transparent)]
    Arm(ArmError),

    /// A name breaks the rules of its kind.
    #[error("invalid {kind} {value:?}: expected {rule}")]
    InvalidName {
        /// Kind of name, such as `registry name`.
        kind: &'static str,
        /// The rejected value.
        value: String,
        /// The rule it breaks.
        rule: &'static str,
    },

    /// An argument is invalid; the reason names the value and the rule.
    #[error("invalid {field}: {reason}")]
    InvalidInput {
        /// Argument or field name.
        field: &'static str,
        /// Problem with the value and the expected form.
        reason: String,
    },

    /// A change was requested on a system scope map (name starting with `_`).
    #[error(
        "scope map {name} is a system scope map and read-only; create a user scope map instead"
    )]
    ReadOnlyScopeMap {
        /// Scope map name.
        name: String,
    },

    /// ARM reported the import as failed.
    #[error("importImage into registry {registry} failed: {code}: {message}")]
    ImportFailed {
        /// Target registry.
        registry: String,
        /// ARM error code, such as `InvalidParameters`.
        code: String,
        /// ARM error message.
        message: String,
        /// `x-ms-request-id` of the response that reported the failure.
        request_id: Option<String>,
    },

    /// A long-running operation did not finish before its deadline.
    #[error(
        "{operation} timed out after {deadline:?} (last status {last_status}); raise the deadline or check the operation in the Azure portal"
    )]
    Timeout {
        /// Operation and resource path.
        operation: String,
        /// Deadline that expired.
        deadline: Duration,
        /// Last status seen before the deadline.
        last_status: String,
    },

    /// After an import with digest pinning, a target tag points at another manifest.
    #[error("target {target} has digest {actual} after import, expected {expected}")]
    DigestMismatch {
        /// Target `repository:tag`.
        target: String,
        /// Digest of the source manifest.
        expected: String,
        /// Digest found in the target registry.
        actual: String,
    },

    /// Exchanging an Azure AD token for an ACR token failed.
    #[error(
        "ACR token exchange with {registry} failed{}{}; check that the identity has a role on the registry and that the Azure AD scope {audience} is right",
        .status.map(|s| format!(" with HTTP {s}")).unwrap_or_default(),
        .code.as_ref().map(|c| format!(" ({c})")).unwrap_or_default()
    )]
    AcrExchange {
        /// Registry login server.
        registry: String,
        /// Azure AD scope of the access token that was exchanged.
        audience: String,
        /// Response status, when a response arrived.
        status: Option<StatusCode>,
        /// ACR error code from the response body, when present.
        code: Option<String>,
    },

    /// A registry (data plane) request failed.
    #[error("{operation} on registry {registry} failed with HTTP {status}{}", .code.as_ref().map(|c| format!(": {c}")).unwrap_or_default())]
    Registry {
        /// Operation, such as `HEAD /v2/mirror/nginx/manifests/1.25.3`.
        operation: String,
        /// Registry host.
        registry: String,
        /// Response status.
        status: StatusCode,
        /// Registry error code from the response body, when present.
        code: Option<String>,
        /// Request id header of the response, when present.
        request_id: Option<String>,
    },

    /// A registry request failed before a response arrived.
    #[error("{operation} on registry {registry} failed before a response arrived")]
    Transport {
        /// Operation, such as `POST /oauth2/exchange`.
        operation: String,
        /// Registry host.
        registry: String,
        /// Underlying client error.
        #[source]
        source: reqwest::Error,
    },

    /// A registry response was missing a field or did not decode.
    #[error("invalid response to {operation} from registry {registry}: {reason}")]
    InvalidResponse {
        /// Operation that received the response.
        operation: String,
        /// Registry host.
        registry: String,
        /// Problem with the response, without the body.
        reason: String,
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
}

impl From<ArmError> for Error {
    fn from(error: ArmError) -> Self {
        match error {
            ArmError::Timeout {
                path,
                deadline,
                last_status,
            } => Self::Timeout {
                operation: format!("long-running operation on {path}"),
                deadline,
                last_status,
            },
            other => Self::Arm(other),
        }
    }
}

impl Error {
    /// HTTP status of the failed response, when there was one.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Self::Arm(error) => error.status(),
            Self::AcrExchange { status, .. } => *status,
            Self::Registry { status, .. } => Some(*status),
            Self::Transport { source, .. } => source.status(),
            _ => None,
        }
    }

    /// Request id of the failed response, when known.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Self::Arm(error) => error.request_id(),
            Self::ImportFailed { request_id, .. } | Self::Registry { request_id, .. } => {
                request_id.as_deref()
            }
            _ => None,
        }
    }

    /// Reports whether the service returned 404.
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(StatusCode::NOT_FOUND)
    }

    /// Reports whether the service returned 409.
    pub fn is_conflict(&self) -> bool {
        self.status() == Some(StatusCode::CONFLICT)
    }

    /// Reports whether repeating the call may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Arm(error) => error.is_retryable(),
            Self::Timeout { .. } => true,
            Self::Registry { status, .. } => matches!(status.as_u16(), 429 | 502 | 503 | 504),
            Self::Transport { source, .. } => source.is_connect() || source.is_timeout(),
            _ => false,
        }
    }
}

/// Result of an `ensure_*` call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ensured<T> {
    /// The resource did not exist and was created.
    Created(T),
    /// The resource existed and was changed.
    Updated(T),
    /// The resource already matched.
    Unchanged(T),
}

impl<T> Ensured<T> {
    /// Returns the resource.
    pub fn into_inner(self) -> T {
        match self {
            Self::Created(value) | Self::Updated(value) | Self::Unchanged(value) => value,
        }
    }

    /// Borrows the resource.
    pub fn get(&self) -> &T {
        match self {
            Self::Created(value) | Self::Updated(value) | Self::Unchanged(value) => value,
        }
    }

    /// Checks whether the call changed anything.
    pub fn changed(&self) -> bool {
        !matches!(self, Self::Unchanged(_))
    }
}

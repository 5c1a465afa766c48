//! The crate's error type.

use std::path::PathBuf;

use crate::validate::ValidationError;

/// Errors of the aks-deploy crate.
///
/// Messages name the failing value and the fix; they never contain a secret value.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The values failed validation; every problem found is listed.
    #[error("invalid Harbor chart values: {}", join_problems(.0))]
    Invalid(Vec<ValidationError>),

    /// The chart's values.yaml could not be read or parsed.
    #[error("failed to load chart values from {path}: {message}")]
    ChartValues {
        /// Path of the values.yaml file.
        path: PathBuf,
        /// The failure.
        message: String,
    },

    /// Serializing or parsing YAML failed.
    #[error("YAML error in {context}: {message}")]
    Yaml {
        /// The document being serialized or parsed.
        context: String,
        /// The parser's message.
        message: String,
    },

    /// The helm binary was not found.
    #[error(
        "helm not found at {searched}: set the HELM environment variable to the helm binary or put helm on PATH"
    )]
    HelmNotFound {
        /// Places searched for helm: the `HELM` path or `PATH`.
        searched: String,
    },

    /// A helm command failed; argv and output have secret values replaced by `***`.
    #[error("helm {command} failed with {status}: {stderr}")]
    Helm {
        /// The redacted command line, without the program.
        command: String,
        /// The exit status.
        status: String,
        /// The redacted standard error.
        stderr: String,
    },

    /// A local I/O operation failed.
    #[error("{action} failed: {source}")]
    Io {
        /// The action that failed.
        action: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },

    /// A Kubernetes API request failed.
    #[error("Kubernetes {action} failed: {source}")]
    Kube {
        /// The request, for example `apply StorageClass/harbor-disk-zrs`.
        action: String,
        /// The kube client error.
        #[source]
        source: kube::Error,
    },

    /// A wait ended before the resource reached the expected state.
    #[error("timed out after {seconds}s waiting for {resource}: {state}")]
    Timeout {
        /// The resource waited on, for example `Deployment harbor/harbor-core`.
        resource: String,
        /// The deadline in seconds.
        seconds: u64,
        /// The last observed state.
        state: String,
    },

    /// An input value is invalid.
    #[error("invalid {field} {value:?}: {rule}")]
    InvalidInput {
        /// The field name.
        field: &'static str,
        /// The rejected value (never a secret).
        value: String,
        /// The rule it breaks and the fix.
        rule: String,
    },

    /// An Azure Resource Manager request failed.
    #[error("AKS request {action} failed")]
    Arm {
        /// The request.
        action: String,
        /// The ARM error with status, error code and request id.
        #[source]
        source: Box<acr_client::arm::ArmError>,
    },

    /// Azure Resource Manager returned a response body this crate cannot use.
    #[error("AKS request {action} returned an invalid response: {message}")]
    InvalidResponse {
        /// The request.
        action: String,
        /// The problem with the response.
        message: String,
    },
}

impl Error {
    /// Returns the validation problems when this is [`Error::Invalid`].
    pub fn validation_errors(&self) -> &[ValidationError] {
        match self {
            Error::Invalid(errors) => errors,
            _ => &[],
        }
    }

    /// Returns true when a Kubernetes or ARM request failed with 404.
    pub fn is_not_found(&self) -> bool {
        match self {
            Error::Kube {
                source: kube::Error::Api(status),
                ..
            } => status.code == 404,
            Error::Arm { source, .. } => source.is_not_found(),
            _ => false,
        }
    }

    pub(crate) fn io(action: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            action: action.into(),
            source,
        }
    }

    pub(crate) fn kube(action: impl Into<String>, source: kube::Error) -> Self {
        Error::Kube {
            action: action.into(),
            source,
        }
    }
}

fn join_problems(errors: &[ValidationError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// Result alias of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

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
        "helm not found {searched}: set the HELM environment variable to the helm binary or put helm on PATH"
    )]
    HelmNotFound {
        /// Place searched for helm, such as `at HELM=/usr/bin/helm` or `on PATH`.
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

    /// Returns the HTTP status of a failed Kubernetes or ARM request.
    pub fn status(&self) -> Option<http::StatusCode> {
        match self {
            Error::Kube {
                source: kube::Error::Api(status),
                ..
            } => http::StatusCode::from_u16(status.code).ok(),
            Error::Arm { source, .. } => source.status(),
            _ => None,
        }
    }

    /// Returns the ARM request id (`x-ms-request-id`) of a failed AKS request. Kubernetes
    /// errors carry none.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Error::Arm { source, .. } => source.request_id(),
            _ => None,
        }
    }

    /// Returns true when a Kubernetes or ARM request failed with 404.
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(http::StatusCode::NOT_FOUND)
    }

    /// Returns true when a Kubernetes or ARM request failed with 409, such as a server-side
    /// apply conflict with another field manager.
    pub fn is_conflict(&self) -> bool {
        self.status() == Some(http::StatusCode::CONFLICT)
    }

    /// Returns true when repeating the request may succeed: 429, 502, 503 or 504 from the
    /// Kubernetes API, a refused, reset or timed out connection to it, or a retryable ARM
    /// error.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Kube { source, .. } => match source {
                kube::Error::Api(status) => http::StatusCode::from_u16(status.code)
                    .is_ok_and(http_retry::is_retryable_status),
                kube::Error::HyperError(_) => true,
                kube::Error::Service(error) => is_connection_failure(error.as_ref()),
                _ => false,
            },
            Error::Arm { source, .. } => source.is_retryable(),
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

/// Reports whether `error` or one of its sources is an I/O error of a refused, reset or timed
/// out connection.
fn is_connection_failure(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut current = Some(error);
    while let Some(error) = current {
        if let Some(io) = error.downcast_ref::<std::io::Error>() {
            use std::io::ErrorKind;
            if matches!(
                io.kind(),
                ErrorKind::ConnectionRefused
                    | ErrorKind::ConnectionReset
                    | ErrorKind::ConnectionAborted
                    | ErrorKind::TimedOut
            ) {
                return true;
            }
        }
        current = error.source();
    }
    false
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

#[cfg(test)]
mod tests {
    use super::*;

    fn api_error(code: u16) -> Error {
        let status = kube::core::Status {
            code,
            ..Default::default()
        };
        Error::kube("get Namespace/harbor", kube::Error::Api(Box::new(status)))
    }

    #[test]
    fn kube_status_classifies() {
        let cases = [
            (404, true, false, false),
            (409, false, true, false),
            (429, false, false, true),
            (503, false, false, true),
            (400, false, false, false),
        ];
        for (code, not_found, conflict, retryable) in cases {
            let error = api_error(code);
            assert_eq!(error.status().map(|status| status.as_u16()), Some(code));
            assert_eq!(error.is_not_found(), not_found, "{code}");
            assert_eq!(error.is_conflict(), conflict, "{code}");
            assert_eq!(error.is_retryable(), retryable, "{code}");
            assert_eq!(error.request_id(), None);
        }
    }

    #[test]
    fn local_errors_have_no_status() {
        let error = Error::InvalidInput {
            field: "namespace",
            value: "Harbor".into(),
            rule: "must be an RFC 1123 DNS label".into(),
        };
        assert_eq!(error.status(), None);
        assert!(!error.is_retryable());
    }

    #[tokio::test]
    async fn refused_connection_is_retryable() {
        // Nothing listens on port 1 of the loopback address.
        let config = kube::Config::new("http://127.0.0.1:1".parse().unwrap());
        let client = kube::Client::try_from(config).unwrap();
        let namespaces: kube::Api<k8s_openapi::api::core::v1::Namespace> = kube::Api::all(client);

        let source = namespaces.get("harbor").await.unwrap_err();
        let error = Error::kube("get Namespace/harbor", source);

        assert!(error.is_retryable(), "{error:?}");
        assert_eq!(error.status(), None);
    }

    #[test]
    fn other_service_errors_are_final() {
        let source = kube::Error::Service(Box::new(std::io::Error::other("bad certificate")));
        assert!(!Error::kube("get Namespace/harbor", source).is_retryable());
    }
}

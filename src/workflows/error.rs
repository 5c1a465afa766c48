//! Errors that stop a workflow before or while it runs.

/// Errors of the workflows' input checks and of the steps that every later step needs.
///
/// Failures of a single image or target do not stop a workflow; they are in its report.
/// Messages never contain a secret value. The client errors are boxed because they are
/// large, and every `Result` of a workflow would otherwise grow to their size.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WorkflowError {
    /// An input value breaks a rule.
    #[error("invalid {field}: {reason}")]
    InvalidInput {
        /// Name of the input field.
        field: &'static str,
        /// The value and the rule it breaks.
        reason: String,
    },

    /// An ACR name or request is invalid, or an ARM or ACR request failed.
    #[error("ACR request failed")]
    Acr(#[source] Box<acr_client::Error>),

    /// A Harbor setting is invalid, or a Harbor request failed.
    #[error("Harbor request failed")]
    Harbor(#[source] Box<harbor_client::Error>),

    /// Harbor returned a resource without the id that a later step needs: a malformed
    /// response rather than a missing resource.
    #[error("Harbor returned {kind} {name:?} without an id, so the later steps cannot refer to it")]
    MissingId {
        /// Kind of resource, such as `replication policy`.
        kind: &'static str,
        /// Name of the resource.
        name: String,
    },

    /// Harbor rejected the ping of a registry endpoint with an error status, because it cannot
    /// reach the registry or log in to it.
    #[error(
        "registry endpoint {endpoint:?} at {url} failed Harbor's ping with status {status}: \
         check the URL, the network path from Harbor to the registry and the credential"
    )]
    EndpointUnreachable {
        /// Name of the endpoint in Harbor.
        endpoint: String,
        /// URL of the registry.
        url: String,
        /// HTTP status of Harbor's response to the ping.
        status: u16,
        /// The ping's error, with Harbor's message.
        #[source]
        source: Box<harbor_client::Error>,
    },
}

impl From<acr_client::Error> for WorkflowError {
    fn from(error: acr_client::Error) -> Self {
        Self::Acr(Box::new(error))
    }
}

impl From<harbor_client::Error> for WorkflowError {
    fn from(error: harbor_client::Error) -> Self {
        Self::Harbor(Box::new(error))
    }
}

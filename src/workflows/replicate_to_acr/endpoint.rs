//! The token password decision and the Harbor registry endpoint with its ping.

use acr_client::{AcrManagementClient, Ensured, Token};
use harbor_client::Client;
use harbor_client::generated::models::{Registry, RegistryPing, RegistryUpdate};
use harbor_client::tasks::{Outcome, Provider, ensure_registry};
use secrecy::SecretString;

use super::input::{ENDPOINT_DESCRIPTION, ReplicateToAcrInput};
use super::report::StepStatus;
use crate::workflows::WorkflowError;

/// Reason that Harbor needs a new token password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum PasswordReason {
    /// The token was just created and has no password yet.
    TokenCreated,
    /// Harbor has no endpoint to read a stored password from.
    EndpointMissing,
    /// The endpoint logs in as another user, so its stored password is not the token's.
    OtherUser(Option<String>),
}

impl PasswordReason {
    /// Decides whether Harbor needs a new password. `None` means the endpoint already logs in
    /// as the token, so its stored password is kept and nothing is generated.
    pub(super) fn decide(
        token: &Ensured<Token>,
        endpoint: Option<&Registry>,
        username: &str,
    ) -> Option<Self> {
        if matches!(token, Ensured::Created(_)) {
            return Some(Self::TokenCreated);
        }
        let Some(endpoint) = endpoint else {
            return Some(Self::EndpointMissing);
        };
        let access_key = endpoint
            .credential
            .as_ref()
            .and_then(|credential| credential.access_key.clone())
            .filter(|key| !key.is_empty());
        if access_key.as_deref() == Some(username) {
            None
        } else {
            Some(Self::OtherUser(access_key))
        }
    }

    /// Describes the reason for the report.
    pub(super) fn describe(&self, endpoint: &str) -> String {
        match self {
            Self::TokenCreated => "the token is new".to_owned(),
            Self::EndpointMissing => format!("Harbor has no endpoint {endpoint}"),
            Self::OtherUser(Some(user)) => format!("endpoint {endpoint} logs in as {user}"),
            Self::OtherUser(None) => format!("endpoint {endpoint} has no credential"),
        }
    }
}

/// Generates the input's token password and returns it with the step status: created for a
/// new token, updated for an existing one.
pub(super) async fn generate_password(
    acr: &AcrManagementClient,
    input: &ReplicateToAcrInput,
    reason: &PasswordReason,
) -> Result<(SecretString, StepStatus), WorkflowError> {
    let expiry = input
        .password_lifetime
        .map(|lifetime| acr.arm().clock().now_utc() + lifetime);
    let credentials = acr
        .generate_token_password(&input.registry, &input.token, Some(input.password), expiry)
        .await?;
    let password = credentials
        .password(input.password)
        .cloned()
        .ok_or_else(|| {
            WorkflowError::Acr(Box::new(acr_client::Error::InvalidInput {
                field: "generateCredentials result",
                reason: format!(
                    "ARM returned no value for {} of token {}",
                    input.password.as_str(),
                    input.token
                ),
            }))
        })?;
    let status = if *reason == PasswordReason::TokenCreated {
        StepStatus::Created
    } else {
        StepStatus::Updated
    };
    Ok((password, status))
}

/// Ensures the endpoint and checks with a ping that Harbor reaches ACR with it. Returns the
/// step status and the endpoint id.
///
/// With a new `password`, `ensure_registry` pings with it before it creates or updates the
/// endpoint. Without one, the stored password is kept: a changed URL or description is
/// written without a secret, and an unchanged endpoint is pinged by id.
pub(super) async fn ensure_endpoint(
    harbor: &Client,
    input: &ReplicateToAcrInput,
    existing: Option<Registry>,
    password: Option<SecretString>,
) -> Result<(StepStatus, i64), WorkflowError> {
    match (password, existing) {
        (Some(password), _) => {
            let spec = input
                .registry_spec()?
                .credential(input.token.as_str(), password)?
                .rotate_secret(true);
            let outcome = ensure_registry(harbor, &spec)
                .await
                .map_err(|error| ping_error(input, error))?;
            let status = match outcome {
                Outcome::Created(_) => StepStatus::Created,
                Outcome::Updated(_) => StepStatus::Updated,
                Outcome::Unchanged(_) => StepStatus::Unchanged,
            };
            let id = registry_id(input, outcome.resource())?;
            Ok((status, id))
        }
        (None, Some(existing)) => keep_credential(harbor, input, &existing).await,
        (None, None) => Err(WorkflowError::InvalidInput {
            field: "endpoint",
            reason: format!(
                "endpoint {} is missing and no password was generated for it",
                input.endpoint
            ),
        }),
    }
}

/// Updates the URL and description of an endpoint that logs in as the token, without sending
/// a secret, and pings it.
async fn keep_credential(
    harbor: &Client,
    input: &ReplicateToAcrInput,
    existing: &Registry,
) -> Result<(StepStatus, i64), WorkflowError> {
    let id = registry_id(input, existing)?;
    let provider = Provider::AzureAcr.as_str();
    if existing.r#type.as_deref() != Some(provider) {
        return Err(harbor_client::Error::CannotUpdate {
            kind: "registry",
            name: input.endpoint.clone(),
            field: "provider",
            reason: format!("actual {:?}, desired {provider:?}", existing.r#type),
        }
        .into());
    }
    let url = input.endpoint_url();
    let same_url = existing.url.as_deref().map(|url| url.trim_end_matches('/')) == Some(&url);
    let same_description = existing.description.as_deref() == Some(ENDPOINT_DESCRIPTION);
    if same_url && same_description {
        ping(harbor, input, id, None).await?;
        return Ok((StepStatus::Unchanged, id));
    }

    ping(harbor, input, id, Some(url.clone())).await?;
    let update = RegistryUpdate {
        url: Some(url),
        description: Some(ENDPOINT_DESCRIPTION.to_owned()),
        ..RegistryUpdate::default()
    };
    harbor.update_registry(id, update).send().await?;
    Ok((StepStatus::Updated, id))
}

/// Pings the stored endpoint `id`, with `url` in place of the stored URL when given. Harbor
/// uses the stored credential for the fields the request leaves out.
async fn ping(
    harbor: &Client,
    input: &ReplicateToAcrInput,
    id: i64,
    url: Option<String>,
) -> Result<(), WorkflowError> {
    let request = RegistryPing {
        id: Some(id),
        url,
        ..RegistryPing::default()
    };
    harbor
        .ping_registry(request)
        .send()
        .await
        .map_err(|error| ping_error(input, error))
}

/// Turns a ping that Harbor rejected with an error status into
/// [`WorkflowError::EndpointUnreachable`], and passes other errors through.
fn ping_error(input: &ReplicateToAcrInput, error: harbor_client::Error) -> WorkflowError {
    match (error.operation_id(), error.status()) {
        (Some("pingRegistry"), Some(status)) => WorkflowError::EndpointUnreachable {
            endpoint: input.endpoint.clone(),
            url: input.endpoint_url(),
            status: status.as_u16(),
            source: Box::new(error),
        },
        _ => error.into(),
    }
}

fn registry_id(input: &ReplicateToAcrInput, registry: &Registry) -> Result<i64, WorkflowError> {
    registry.id.ok_or_else(|| WorkflowError::MissingId {
        kind: "registry endpoint",
        name: input.endpoint.clone(),
    })
}

#[cfg(test)]
mod tests {
    use harbor_client::generated::models::RegistryCredential;

    use super::*;

    fn token() -> Token {
        serde_json::from_value(serde_json::json!({"id": "/t", "name": "harbor-push"})).unwrap()
    }

    fn endpoint(access_key: Option<&str>) -> Registry {
        Registry {
            credential: access_key.map(|key| RegistryCredential {
                access_key: Some(key.to_owned()),
                ..RegistryCredential::default()
            }),
            ..Registry::default()
        }
    }

    #[test]
    fn password_needed_only_when_harbor_lacks_it() {
        let same = endpoint(Some("harbor-push"));
        let other = endpoint(Some("old-token"));
        let none = endpoint(None);
        let existing = Ensured::Unchanged(token());

        assert_eq!(
            PasswordReason::decide(&Ensured::Created(token()), Some(&same), "harbor-push"),
            Some(PasswordReason::TokenCreated)
        );
        assert_eq!(
            PasswordReason::decide(&existing, None, "harbor-push"),
            Some(PasswordReason::EndpointMissing)
        );
        assert_eq!(
            PasswordReason::decide(&existing, Some(&same), "harbor-push"),
            None
        );
        assert_eq!(
            PasswordReason::decide(&Ensured::Updated(token()), Some(&same), "harbor-push"),
            None
        );
        assert_eq!(
            PasswordReason::decide(&existing, Some(&other), "harbor-push"),
            Some(PasswordReason::OtherUser(Some("old-token".to_owned())))
        );
        assert_eq!(
            PasswordReason::decide(&existing, Some(&none), "harbor-push"),
            Some(PasswordReason::OtherUser(None))
        );
    }
}

//! The token password decision and the Harbor registry endpoint with its ping.

use std::time::Duration;

use acr_client::{AcrManagementClient, Ensured, PasswordName, Token};
use harbor_client::Client;
use harbor_client::generated::models::{Registry, RegistryPing, RegistryUpdate};
use harbor_client::tasks::{Outcome, Provider, ensure_registry};
use secrecy::SecretString;
use time::OffsetDateTime;

use super::input::{ENDPOINT_DESCRIPTION, ReplicateToAcrInput};
use super::report::StepStatus;
use crate::workflows::WorkflowError;

/// How long before its expiry a token password is replaced.
///
/// The workflow generates a new password when the one Harbor logs in with expires within this
/// margin, so a workflow run at least once a week replaces the password before replication
/// fails on it. The margin is a chosen value, not an ACR limit.
pub const PASSWORD_RENEWAL_MARGIN: Duration = Duration::from_secs(7 * 24 * 60 * 60);

/// Reason that Harbor needs a new token password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum PasswordReason {
    /// The token was just created and has no password yet.
    TokenCreated,
    /// Harbor has no endpoint to read a stored password from.
    EndpointMissing,
    /// The endpoint logs in as another user, so its stored password is not the token's.
    OtherUser(Option<String>),
    /// The input forces a new password.
    Forced,
    /// The password slot expired at this time.
    Expired(OffsetDateTime),
    /// The password slot expires at this time, within [`PASSWORD_RENEWAL_MARGIN`].
    ExpiresSoon(OffsetDateTime),
}

impl PasswordReason {
    /// Decides whether Harbor needs a new password. `None` means the endpoint already logs in
    /// as the token with a password that stays valid beyond [`PASSWORD_RENEWAL_MARGIN`] from
    /// `now`, so its stored password is kept and nothing is generated.
    ///
    /// The expiry comes from the token's password list in ARM, which has no values. A slot
    /// without an expiry, or a token whose response lists no passwords, counts as valid.
    pub(super) fn decide(
        token: &Ensured<Token>,
        endpoint: Option<&Registry>,
        username: &str,
        slot: PasswordName,
        force: bool,
        now: OffsetDateTime,
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
        if access_key.as_deref() != Some(username) {
            return Some(Self::OtherUser(access_key));
        }
        if force {
            return Some(Self::Forced);
        }
        match password_renewal(token.get(), slot, now)? {
            PasswordRenewal::Expired(expiry) => Some(Self::Expired(expiry)),
            PasswordRenewal::ExpiresSoon(expiry) => Some(Self::ExpiresSoon(expiry)),
        }
    }

    /// Describes the reason for the report.
    pub(super) fn describe(&self, endpoint: &str) -> String {
        match self {
            Self::TokenCreated => "the token is new".to_owned(),
            Self::EndpointMissing => format!("Harbor has no endpoint {endpoint}"),
            Self::OtherUser(Some(user)) => format!("endpoint {endpoint} logs in as {user}"),
            Self::OtherUser(None) => format!("endpoint {endpoint} has no credential"),
            Self::Forced => "the input forces a new password".to_owned(),
            Self::Expired(expiry) => PasswordRenewal::Expired(*expiry).to_string(),
            Self::ExpiresSoon(expiry) => PasswordRenewal::ExpiresSoon(*expiry).to_string(),
        }
    }
}

/// Expiry of a token password slot that calls for a new password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordRenewal {
    /// The password expired at this time.
    Expired(OffsetDateTime),
    /// The password expires at this time, within [`PASSWORD_RENEWAL_MARGIN`].
    ExpiresSoon(OffsetDateTime),
}

impl std::fmt::Display for PasswordRenewal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Expired(expiry) => write!(f, "the password expired at {}", rfc3339(*expiry)),
            Self::ExpiresSoon(expiry) => write!(
                f,
                "the password expires at {}, within the renewal margin of {} days",
                rfc3339(*expiry),
                PASSWORD_RENEWAL_MARGIN.as_secs() / 86_400
            ),
        }
    }
}

/// Decides by expiry whether the password in `slot` of `token` needs replacing at `now`.
///
/// Returns `None` when the slot's expiry lies beyond [`PASSWORD_RENEWAL_MARGIN`] from `now`,
/// and also when ARM lists no expiry for the slot, because such a password does not expire.
/// It does not check that the slot has a password at all.
pub fn password_renewal(
    token: &Token,
    slot: PasswordName,
    now: OffsetDateTime,
) -> Option<PasswordRenewal> {
    let expiry = password_expiry(token, slot)?;
    if expiry <= now {
        Some(PasswordRenewal::Expired(expiry))
    } else if expiry - now <= PASSWORD_RENEWAL_MARGIN {
        Some(PasswordRenewal::ExpiresSoon(expiry))
    } else {
        None
    }
}

/// Returns the expiry of the password `slot` of `token`, when ARM lists one.
fn password_expiry(token: &Token, slot: PasswordName) -> Option<OffsetDateTime> {
    token.password(slot)?.expiry
}

fn rfc3339(time: OffsetDateTime) -> String {
    time.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| time.to_string())
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
        .generate_token_password(&input.registry, &input.token, input.password, expiry)
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
    use time::macros::datetime;

    use super::*;

    const NOW: OffsetDateTime = datetime!(2026-01-01 00:00 UTC);

    fn token() -> Token {
        serde_json::from_value(serde_json::json!({"id": "/t", "name": "harbor-push"})).unwrap()
    }

    /// Builds a token whose `password1` expires at `expiry` (RFC 3339) and whose `password2`
    /// expired in 2020.
    fn token_expiring(expiry: &str) -> Token {
        serde_json::from_value(serde_json::json!({
            "id": "/t",
            "name": "harbor-push",
            "properties": {"credentials": {"passwords": [
                {"name": "password1", "expiry": expiry},
                {"name": "password2", "expiry": "2020-01-01T00:00:00Z"}
            ]}}
        }))
        .unwrap()
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

    fn decide(token: &Ensured<Token>, endpoint: Option<&Registry>) -> Option<PasswordReason> {
        PasswordReason::decide(
            token,
            endpoint,
            "harbor-push",
            PasswordName::Password1,
            false,
            NOW,
        )
    }

    #[test]
    fn password_needed_only_when_harbor_lacks_it() {
        let same = endpoint(Some("harbor-push"));
        let other = endpoint(Some("old-token"));
        let none = endpoint(None);
        let existing = Ensured::Unchanged(token());

        assert_eq!(
            decide(&Ensured::Created(token()), Some(&same)),
            Some(PasswordReason::TokenCreated)
        );
        assert_eq!(
            decide(&existing, None),
            Some(PasswordReason::EndpointMissing)
        );
        assert_eq!(decide(&existing, Some(&same)), None);
        assert_eq!(decide(&Ensured::Updated(token()), Some(&same)), None);
        assert_eq!(
            decide(&existing, Some(&other)),
            Some(PasswordReason::OtherUser(Some("old-token".to_owned())))
        );
        assert_eq!(
            decide(&existing, Some(&none)),
            Some(PasswordReason::OtherUser(None))
        );
    }

    #[test]
    fn password_renewed_by_expiry_of_its_slot() {
        let same = endpoint(Some("harbor-push"));
        let expiring = |expiry| Ensured::Unchanged(token_expiring(expiry));

        assert_eq!(
            decide(&expiring("2025-12-31T00:00:00Z"), Some(&same)),
            Some(PasswordReason::Expired(datetime!(2025-12-31 00:00 UTC)))
        );
        assert_eq!(
            decide(&expiring("2026-01-01T00:00:00Z"), Some(&same)),
            Some(PasswordReason::Expired(NOW))
        );
        assert_eq!(
            decide(&expiring("2026-01-08T00:00:00Z"), Some(&same)),
            Some(PasswordReason::ExpiresSoon(datetime!(2026-01-08 00:00 UTC)))
        );
        assert_eq!(decide(&expiring("2026-01-08T00:00:01Z"), Some(&same)), None);
        assert_eq!(
            PasswordReason::decide(
                &expiring("2026-03-01T00:00:00Z"),
                Some(&same),
                "harbor-push",
                PasswordName::Password2,
                false,
                NOW,
            ),
            Some(PasswordReason::Expired(datetime!(2020-01-01 00:00 UTC))),
            "the input's slot decides, not the other one"
        );
    }

    #[test]
    fn forced_password_only_replaces_a_kept_one() {
        let same = endpoint(Some("harbor-push"));
        let forced = |token: &Ensured<Token>, endpoint| {
            PasswordReason::decide(
                token,
                endpoint,
                "harbor-push",
                PasswordName::Password1,
                true,
                NOW,
            )
        };

        assert_eq!(
            forced(&Ensured::Unchanged(token()), Some(&same)),
            Some(PasswordReason::Forced)
        );
        assert_eq!(
            forced(&Ensured::Created(token()), Some(&same)),
            Some(PasswordReason::TokenCreated)
        );
        assert_eq!(
            forced(&Ensured::Unchanged(token()), None),
            Some(PasswordReason::EndpointMissing)
        );
    }

    #[test]
    fn expiry_reasons_name_the_time() {
        assert_eq!(
            PasswordReason::Expired(datetime!(2025-12-31 00:00 UTC)).describe("exampleacr"),
            "the password expired at 2025-12-31T00:00:00Z"
        );
        assert_eq!(
            PasswordReason::ExpiresSoon(datetime!(2026-01-05 12:00 UTC)).describe("exampleacr"),
            "the password expires at 2026-01-05T12:00:00Z, within the renewal margin of 7 days"
        );
    }
}

//! Credentials that the main job's `apply` generates, kept in Kubernetes Secrets in Harbor's
//! namespace so that the next run reuses them instead of replacing them.
//!
//! Two credentials are kept: the ACR token password that Harbor's registry endpoint logs in
//! with, and the secret of the Harbor robot account that ACR imports with. Anything else that
//! uses them keeps working across runs, because each is replaced only when it no longer works,
//! when it nears its expiry, or when the caller requests a rotation.
//!
//! Another tool that regenerates the same token slot, such as the `replicate_to_acr` workflow
//! run against the same token, replaces the password behind the store's back. The next run
//! notices it by the slot's creation time and generates a new one, and the other tool's copy
//! then stops working. Give each tool its own token or slot to avoid that.

mod decide;

use std::collections::BTreeMap;
use std::fmt;

use acr_client::{AcrManagementClient, PasswordName, RegistryName, TokenName};
use aks_deploy::kube_apply::Applier;
use harbor_client::generated::models::RegistryPing;
use harbor_client::tasks::{EnsuredRobot, find_registry, refresh_robot_secret};
use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;
use kube::api::{Api, ObjectMeta};
use reqwest::StatusCode;
use secrecy::{ExposeSecret, SecretString};
use time::OffsetDateTime;

use self::decide::slot_label;
pub use self::decide::{Replacement, acr_password_replacement, robot_secret_replacement};

/// Name of the Secret that keeps the ACR token password.
pub const ACR_PASSWORD_SECRET: &str = "harbor-azure-acr-token";

/// Name of the Secret that keeps the import robot's secret.
pub const ROBOT_SECRET_SECRET: &str = "harbor-azure-import-robot";

const USERNAME_KEY: &str = "username";
const PASSWORD_KEY: &str = "password";
const SLOT_ANNOTATION: &str = "harbor-azure/password-slot";
const CREATED_ANNOTATION: &str = "harbor-azure/password-created";

/// A credential as its Secret keeps it. `Debug` hides the secret.
#[derive(Clone)]
pub struct StoredCredential {
    /// User the credential logs in as: the token name or the robot's full name.
    pub username: String,
    /// The password or robot secret.
    pub secret: SecretString,
    /// For a token password, `<registry>/<token>/<slot>`.
    pub slot: Option<String>,
    /// For a token password, its creation time as ARM returned it, when ARM returned one.
    pub created: Option<OffsetDateTime>,
}

impl fmt::Debug for StoredCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredCredential")
            .field("username", &self.username)
            .field("secret", &"[REDACTED]")
            .field("slot", &self.slot)
            .field("created", &self.created)
            .finish()
    }
}

impl StoredCredential {
    /// Reads a credential from `secret`. Returns `None` when a key is missing or not UTF-8,
    /// so an unreadable Secret counts as no kept credential.
    pub fn from_secret(secret: &Secret) -> Option<Self> {
        let data = secret.data.as_ref()?;
        let text = |key: &str| {
            data.get(key)
                .and_then(|value| String::from_utf8(value.0.clone()).ok())
        };
        let annotations = secret.metadata.annotations.as_ref();
        let annotation = |key: &str| annotations.and_then(|map| map.get(key)).cloned();
        let created = annotation(CREATED_ANNOTATION).and_then(|value| {
            OffsetDateTime::parse(&value, &time::format_description::well_known::Rfc3339).ok()
        });
        Some(Self {
            username: text(USERNAME_KEY)?,
            secret: SecretString::from(text(PASSWORD_KEY)?),
            slot: annotation(SLOT_ANNOTATION),
            created,
        })
    }

    /// Builds the Secret `name` in `namespace` that keeps this credential.
    pub fn to_secret(&self, name: &str, namespace: &str) -> Secret {
        let mut annotations = BTreeMap::new();
        if let Some(slot) = &self.slot {
            annotations.insert(SLOT_ANNOTATION.to_owned(), slot.clone());
        }
        if let Some(created) = self.created.and_then(|time| {
            time.format(&time::format_description::well_known::Rfc3339)
                .ok()
        }) {
            annotations.insert(CREATED_ANNOTATION.to_owned(), created);
        }
        let data = BTreeMap::from([
            (
                USERNAME_KEY.to_owned(),
                ByteString(self.username.clone().into_bytes()),
            ),
            (
                PASSWORD_KEY.to_owned(),
                ByteString(self.secret.expose_secret().as_bytes().to_vec()),
            ),
        ]);
        Secret {
            metadata: ObjectMeta {
                name: Some(name.to_owned()),
                namespace: Some(namespace.to_owned()),
                labels: Some(BTreeMap::from([(
                    "app.kubernetes.io/managed-by".to_owned(),
                    "harbor-azure".to_owned(),
                )])),
                annotations: (!annotations.is_empty()).then_some(annotations),
                ..ObjectMeta::default()
            },
            type_: Some("Opaque".to_owned()),
            data: Some(data),
            ..Secret::default()
        }
    }
}

/// Outcome of keeping a credential: reused, created or replaced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialChange {
    /// The kept credential was reused and nothing was generated.
    Kept,
    /// A first credential was generated, because none existed to replace.
    Created,
    /// A new credential replaced the previous one, for this reason.
    Replaced(Replacement),
}

/// A credential to use for the rest of the run, and what happened to it.
#[derive(Debug, Clone)]
pub struct KeptCredential {
    /// User the credential logs in as.
    pub username: String,
    /// The password or robot secret.
    pub secret: SecretString,
    /// Whether it was reused, created or replaced.
    pub change: CredentialChange,
}

/// Errors of reading, checking, generating and storing kept credentials. Messages never
/// contain a secret.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoredCredentialError {
    /// Reading the Secret failed.
    #[error("failed to read Secret {namespace}/{name}")]
    Read {
        /// Namespace of the Secret.
        namespace: String,
        /// Name of the Secret.
        name: String,
        /// The API server's error.
        #[source]
        source: Box<kube::Error>,
    },

    /// Writing the Secret failed. The generated credential is then lost, so the next run
    /// replaces it again.
    #[error("failed to store the new credential in Secret {namespace}/{name}")]
    Write {
        /// Namespace of the Secret.
        namespace: String,
        /// Name of the Secret.
        name: String,
        /// The apply error.
        #[source]
        source: Box<aks_deploy::Error>,
    },

    /// An ARM request failed, or ARM returned no value for the generated password.
    #[error("ACR request failed")]
    Acr(#[source] Box<acr_client::Error>),

    /// A Harbor request failed, or Harbor returned the robot without an id.
    #[error("Harbor request failed")]
    Harbor(#[source] Box<harbor_client::Error>),
}

impl From<acr_client::Error> for StoredCredentialError {
    fn from(error: acr_client::Error) -> Self {
        Self::Acr(Box::new(error))
    }
}

impl From<harbor_client::Error> for StoredCredentialError {
    fn from(error: harbor_client::Error) -> Self {
        Self::Harbor(Box::new(error))
    }
}

/// Kept credentials in the Secrets of one namespace.
#[derive(Clone)]
pub struct CredentialStore {
    kube: kube::Client,
    namespace: String,
}

impl fmt::Debug for CredentialStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CredentialStore")
            .field("namespace", &self.namespace)
            .finish_non_exhaustive()
    }
}

impl CredentialStore {
    /// Keeps credentials in Secrets of `namespace`, which must exist before the first write.
    pub fn new(kube: kube::Client, namespace: impl Into<String>) -> Self {
        Self {
            kube,
            namespace: namespace.into(),
        }
    }

    /// Reads the credential kept in Secret `name`, or `None` when there is no such Secret or
    /// it cannot be read as a credential.
    ///
    /// # Errors
    /// [`StoredCredentialError::Read`] when the API server rejects the request.
    pub async fn read(
        &self,
        name: &str,
    ) -> Result<Option<StoredCredential>, StoredCredentialError> {
        let api: Api<Secret> = Api::namespaced(self.kube.clone(), &self.namespace);
        let secret = api
            .get_opt(name)
            .await
            .map_err(|source| StoredCredentialError::Read {
                namespace: self.namespace.clone(),
                name: name.to_owned(),
                source: Box::new(source),
            })?;
        Ok(secret.as_ref().and_then(StoredCredential::from_secret))
    }

    async fn write(
        &self,
        name: &str,
        credential: &StoredCredential,
    ) -> Result<(), StoredCredentialError> {
        let secret = credential.to_secret(name, &self.namespace);
        // The store owns these Secrets. Taking over fields that someone changed with kubectl
        // keeps a just-generated password from being lost to a field conflict.
        Applier::new(self.kube.clone())
            .force_conflicts()
            .apply_namespaced(&secret)
            .await
            .map_err(|source| StoredCredentialError::Write {
                namespace: self.namespace.clone(),
                name: name.to_owned(),
                source: Box::new(source),
            })?;
        Ok(())
    }

    /// Returns the password in `slot` of `token`: the kept one while
    /// [`acr_password_replacement`] allows it, else a new one that ARM generates without an
    /// expiry and that is then kept in [`ACR_PASSWORD_SECRET`].
    ///
    /// # Errors
    /// [`StoredCredentialError::Acr`] when reading the token or generating the password fails,
    /// and the read and write errors of the Secret.
    pub async fn keep_acr_password(
        &self,
        acr: &AcrManagementClient,
        registry: &RegistryName,
        token: &TokenName,
        slot: PasswordName,
        rotate: bool,
    ) -> Result<KeptCredential, StoredCredentialError> {
        let stored = self.read(ACR_PASSWORD_SECRET).await?;
        let listed = acr.get_token(registry, token).await?;
        let now = acr.arm().clock().now_utc();
        let replacement =
            acr_password_replacement(stored.as_ref(), registry, token, &listed, slot, rotate, now);
        let replacement = match (replacement, stored) {
            (Some(replacement), _) => replacement,
            (None, Some(stored)) => {
                return Ok(KeptCredential {
                    username: stored.username,
                    secret: stored.secret,
                    change: CredentialChange::Kept,
                });
            }
            (None, None) => Replacement::NotStored,
        };

        let slot_had_password = listed.password(slot).is_some();
        let generated = acr
            .generate_token_password(registry, token, slot, None)
            .await?;
        let password = generated
            .passwords
            .iter()
            .find(|password| password.name == Some(slot))
            .and_then(|password| Some((password.value.clone()?, password.creation_date)));
        let Some((secret, created)) = password else {
            return Err(acr_client::Error::InvalidInput {
                field: "generateCredentials result",
                reason: format!(
                    "ARM returned no value for {} of token {token}",
                    slot.as_str()
                ),
            }
            .into());
        };
        // ARM's generateCredentials response may omit the creation time, which the next run
        // compares to tell a password generated elsewhere; the token lists it.
        let created = match created {
            Some(created) => Some(created),
            None => listed_creation_time(acr, registry, token, slot).await,
        };
        let credential = StoredCredential {
            username: token.as_str().to_owned(),
            secret,
            slot: Some(slot_label(registry, token, slot)),
            created,
        };
        self.write(ACR_PASSWORD_SECRET, &credential).await?;
        let change = if slot_had_password {
            CredentialChange::Replaced(replacement)
        } else {
            CredentialChange::Created
        };
        Ok(KeptCredential {
            username: credential.username,
            secret: credential.secret,
            change,
        })
    }

    /// Returns the secret of the ensured `robot`, which logs in as `login_name`: the secret
    /// Harbor returned on creation, the kept one while Harbor accepts a login with it, or a
    /// new one from `refresh_robot_secret`. New secrets are kept in [`ROBOT_SECRET_SECRET`].
    ///
    /// The login check sends `GET /api/v2.0/users/current` to `harbor_url` with the kept
    /// secret, from a client with default settings.
    ///
    /// # Errors
    /// [`StoredCredentialError::Harbor`] when the login check fails for another reason than
    /// a rejected secret, when the refresh fails or when the robot has no id, and the read
    /// and write errors of the Secret.
    pub async fn keep_robot_secret(
        &self,
        harbor: &harbor_client::Client,
        harbor_url: &str,
        robot: &EnsuredRobot,
        login_name: &str,
        rotate: bool,
    ) -> Result<KeptCredential, StoredCredentialError> {
        if let Some(created) = &robot.secret {
            let credential = robot_credential(login_name, created.secret().clone());
            self.write(ROBOT_SECRET_SECRET, &credential).await?;
            return Ok(KeptCredential {
                username: credential.username,
                secret: credential.secret,
                change: CredentialChange::Created,
            });
        }

        let stored = self.read(ROBOT_SECRET_SECRET).await?;
        let mut replacement = robot_secret_replacement(stored.as_ref(), login_name, rotate);
        if replacement.is_none()
            && let Some(stored) = &stored
        {
            if robot_login_accepted(harbor_url, login_name, &stored.secret).await? {
                return Ok(KeptCredential {
                    username: stored.username.clone(),
                    secret: stored.secret.clone(),
                    change: CredentialChange::Kept,
                });
            }
            replacement = Some(Replacement::LoginRejected);
        }

        let id = robot
            .robot
            .id
            .ok_or_else(|| harbor_client::Error::NotFound {
                kind: "id of robot",
                name: login_name.to_owned(),
            })?;
        let refreshed = refresh_robot_secret(harbor, id, None).await?;
        let credential = robot_credential(login_name, refreshed.secret().clone());
        self.write(ROBOT_SECRET_SECRET, &credential).await?;
        Ok(KeptCredential {
            username: credential.username,
            secret: credential.secret,
            change: CredentialChange::Replaced(replacement.unwrap_or(Replacement::NotStored)),
        })
    }
}

/// Returns whether Harbor's registry endpoint `name` passes Harbor's ping with the credential
/// Harbor stores for it, or `true` when there is no such endpoint.
///
/// A caller that kept the token password writes it to the endpoint only when this returns
/// `false`, for example after a run that stopped between generating the password and
/// updating the endpoint.
///
/// # Errors
/// [`StoredCredentialError::Harbor`] when listing the endpoints fails, when the endpoint has
/// no id, or when the ping fails without an HTTP status.
pub async fn endpoint_credential_works(
    harbor: &harbor_client::Client,
    name: &str,
) -> Result<bool, StoredCredentialError> {
    let Some(existing) = find_registry(harbor, name).await? else {
        return Ok(true);
    };
    let id = existing.id.ok_or_else(|| harbor_client::Error::NotFound {
        kind: "id of registry endpoint",
        name: name.to_owned(),
    })?;
    // With only the id, Harbor pings with the stored URL and credential.
    let ping = RegistryPing {
        id: Some(id),
        ..RegistryPing::default()
    };
    match harbor.ping_registry(ping).send().await {
        Ok(()) => Ok(true),
        Err(error) if error.status().is_some() => {
            tracing::info!(endpoint = %name, error = %error, "the stored endpoint credential failed the ping");
            Ok(false)
        }
        Err(error) => Err(error.into()),
    }
}

fn robot_credential(login_name: &str, secret: SecretString) -> StoredCredential {
    StoredCredential {
        username: login_name.to_owned(),
        secret,
        slot: None,
        created: None,
    }
}

/// Returns whether Harbor accepts a login as `username` with `secret`.
///
/// Harbor treats a request with a wrong Basic password as anonymous, and
/// `GET /users/current` returns 401 to anonymous requests, so 401 means the secret was
/// rejected and another client error means the login worked. A server error or 429 is
/// returned as an error, because it shows nothing about the secret.
///
/// NOTE: for an authenticated robot Harbor is expected to return an error status other than
/// 401 here, because the operation serves only users. No live Harbor confirmed it.
async fn robot_login_accepted(
    harbor_url: &str,
    username: &str,
    secret: &SecretString,
) -> Result<bool, harbor_client::Error> {
    let client = harbor_client::Client::builder(harbor_url)
        .credentials(harbor_client::Credentials::basic(username, secret.clone()))
        .build()?;
    match client.get_current_user_info().send().await {
        Ok(_) => Ok(true),
        Err(error) if error.status() == Some(StatusCode::UNAUTHORIZED) => Ok(false),
        // A robot is no user, so Harbor returns a client error such as 412 for its valid login.
        // A server error or 429 shows nothing about the secret and is passed on.
        Err(error)
            if error
                .status()
                .is_some_and(|status| status.is_client_error())
                && error.status() != Some(StatusCode::TOO_MANY_REQUESTS) =>
        {
            Ok(true)
        }
        Err(error) => Err(error),
    }
}

/// Reads the creation time of `slot` from the token's password list. A failed read is logged
/// and gives `None`, because the new password must still be kept.
async fn listed_creation_time(
    acr: &AcrManagementClient,
    registry: &RegistryName,
    token: &TokenName,
    slot: PasswordName,
) -> Option<OffsetDateTime> {
    match acr.get_token(registry, token).await {
        Ok(listed) => listed.password(slot)?.creation_date,
        Err(error) => {
            tracing::warn!(%registry, %token, slot = slot.as_str(), %error, "reading the new password's creation time failed; the next run cannot tell whether it was regenerated elsewhere");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_round_trips_through_secret() {
        let credential = StoredCredential {
            username: "harbor-push".to_owned(),
            secret: SecretString::from("s3cr3t-EXAMPLE"),
            slot: Some("exampleacr/harbor-push/password1".to_owned()),
            created: Some(time::macros::datetime!(2026-01-01 00:00 UTC)),
        };

        let secret = credential.to_secret(ACR_PASSWORD_SECRET, "harbor");
        let read = StoredCredential::from_secret(&secret).unwrap();

        assert_eq!(read.username, "harbor-push");
        assert_eq!(read.secret.expose_secret(), "s3cr3t-EXAMPLE");
        assert_eq!(read.slot, credential.slot);
        assert_eq!(read.created, credential.created);
        assert_eq!(secret.metadata.namespace.as_deref(), Some("harbor"));
        assert_eq!(
            secret.metadata.annotations.unwrap()[CREATED_ANNOTATION],
            "2026-01-01T00:00:00Z"
        );
    }

    #[test]
    fn secret_without_password_is_not_a_credential() {
        let mut secret = robot_credential("robot$library+acr-import", SecretString::from("x"))
            .to_secret(ROBOT_SECRET_SECRET, "harbor");
        secret.data.as_mut().unwrap().remove(PASSWORD_KEY);

        assert!(StoredCredential::from_secret(&secret).is_none());
    }

    #[test]
    fn debug_hides_the_secret() {
        let credential = robot_credential(
            "robot$library+acr-import",
            SecretString::from("s3cr3t-EXAMPLE"),
        );

        let debug = format!("{credential:?}");

        assert!(!debug.contains("s3cr3t-EXAMPLE"), "{debug}");
        assert!(debug.contains("[REDACTED]"), "{debug}");
    }
}

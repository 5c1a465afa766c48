//! Tokens: non-Azure-AD logins bound to a scope map, and their passwords.
//!
//! A token created through ARM has no password. Passwords come from
//! `generateCredentials`, which returns each value only once.

use std::fmt;

use futures_util::Stream;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::Error;
use crate::arm::FinalStateVia;
use crate::error::Ensured;
use crate::management::{API_VERSION, AcrManagementClient};
use crate::names::{RegistryName, ScopeMapName, TokenName};

/// Whether a token can log in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum TokenStatus {
    /// The token can log in.
    Enabled,
    /// Logins with the token are rejected.
    Disabled,
    /// A status this crate does not know.
    #[serde(untagged)]
    Other(String),
}

/// One of the two password slots of a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PasswordName {
    /// `password1`.
    Password1,
    /// `password2`.
    Password2,
}

/// The passwords that `generateCredentials` regenerates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordSelection {
    /// Only this slot; the other password keeps working.
    Only(PasswordName),
    /// Both slots, which ends every login with the old passwords.
    Both,
}

impl From<PasswordName> for PasswordSelection {
    fn from(password: PasswordName) -> Self {
        PasswordSelection::Only(password)
    }
}

impl PasswordName {
    /// Returns the other password slot.
    pub fn other(self) -> Self {
        match self {
            Self::Password1 => Self::Password2,
            Self::Password2 => Self::Password1,
        }
    }

    /// Returns the name as ARM spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Password1 => "password1",
            Self::Password2 => "password2",
        }
    }
}

/// A certificate to attach to a token, PEM encoded and then base64 encoded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenCertificateInput {
    /// `certificate1` or `certificate2`.
    pub name: String,
    /// Base64 of the PEM certificate.
    pub encoded_pem_certificate: String,
}

/// Token properties to write; `None` and empty fields are left out of the request.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TokenWrite {
    /// Resource id of the scope map.
    pub scope_map_id: Option<String>,
    /// Token status.
    pub status: Option<TokenStatus>,
    /// Certificates to attach.
    pub certificates: Vec<TokenCertificateInput>,
}

impl TokenWrite {
    fn body(&self) -> serde_json::Value {
        let mut properties = serde_json::Map::new();
        if let Some(scope_map_id) = &self.scope_map_id {
            properties.insert("scopeMapId".into(), serde_json::json!(scope_map_id));
        }
        if let Some(status) = &self.status {
            properties.insert("status".into(), serde_json::json!(status));
        }
        if !self.certificates.is_empty() {
            properties.insert(
                "credentials".into(),
                serde_json::json!({ "certificates": self.certificates }),
            );
        }
        serde_json::json!({ "properties": properties })
    }
}

/// A token as ARM returns it.
#[derive(Debug, Clone, Deserialize)]
pub struct Token {
    /// Resource id.
    pub id: String,
    /// Token name, which is also the username.
    pub name: String,
    /// Token properties.
    #[serde(default)]
    pub properties: TokenProperties,
}

impl Token {
    /// Returns the listed password in slot `name`, when the slot has one.
    pub fn password(&self, name: PasswordName) -> Option<&TokenPassword> {
        self.properties
            .credentials
            .as_ref()?
            .passwords
            .iter()
            .find(|password| password.name == Some(name))
    }
}

/// Properties of a token.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenProperties {
    /// Creation time as ARM formats it.
    #[serde(default)]
    pub creation_date: Option<String>,
    /// Resource id of the scope map.
    #[serde(default)]
    pub scope_map_id: Option<String>,
    /// Token status.
    #[serde(default)]
    pub status: Option<TokenStatus>,
    /// Provisioning state.
    #[serde(default)]
    pub provisioning_state: Option<String>,
    /// Certificates and password metadata.
    #[serde(default)]
    pub credentials: Option<TokenCredentialsInfo>,
}

/// Certificates and passwords of a token as ARM lists them.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct TokenCredentialsInfo {
    /// Attached certificates.
    #[serde(default)]
    pub certificates: Vec<TokenCertificate>,
    /// Passwords; ARM returns values only from `generateCredentials`.
    #[serde(default)]
    pub passwords: Vec<TokenPassword>,
}

/// A certificate attached to a token.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenCertificate {
    /// `certificate1` or `certificate2`.
    #[serde(default)]
    pub name: Option<String>,
    /// SHA-1 thumbprint.
    #[serde(default)]
    pub thumbprint: Option<String>,
    /// Expiry as ARM formats it.
    #[serde(default)]
    pub expiry: Option<String>,
    /// Base64 of the PEM certificate, when ARM echoes it.
    #[serde(default)]
    pub encoded_pem_certificate: Option<String>,
}

/// A token password; `Debug` prints `[REDACTED]` in place of the value.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenPassword {
    /// `password1` or `password2`.
    #[serde(default)]
    pub name: Option<PasswordName>,
    /// Password value, present only right after generation.
    #[serde(default)]
    pub value: Option<SecretString>,
    /// Expiry, when set.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub expiry: Option<OffsetDateTime>,
    /// Creation time, when ARM sends it. The REST spec names the field `creationTime`, unlike
    /// the `creationDate` of the token itself, so both names are read.
    #[serde(
        default,
        rename = "creationTime",
        alias = "creationDate",
        with = "time::serde::rfc3339::option"
    )]
    pub creation_date: Option<OffsetDateTime>,
}

/// Result of `generateCredentials`: the username and the generated password(s).
#[derive(Debug, Clone, Deserialize)]
pub struct GeneratedCredentials {
    /// Username for `docker login`: the token name.
    pub username: String,
    /// Passwords ARM returned; only the regenerated one is new when a name was given.
    #[serde(default)]
    pub passwords: Vec<TokenPassword>,
}

impl GeneratedCredentials {
    /// Returns the value of the password `name`, if it was returned.
    pub fn password(&self, name: PasswordName) -> Option<&SecretString> {
        self.passwords
            .iter()
            .find(|password| password.name == Some(name))
            .and_then(|password| password.value.as_ref())
    }
}

/// Result of a password rotation.
#[derive(Clone)]
pub struct RotatedCredentials {
    /// Username: the token name.
    pub username: String,
    /// Password that was not in use before and was regenerated first; switch clients to it.
    pub active: (PasswordName, SecretString),
    /// Password that was in use and was regenerated second, now a standby.
    pub standby: (PasswordName, SecretString),
}

impl fmt::Debug for RotatedCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RotatedCredentials")
            .field("username", &self.username)
            .field("active", &self.active.0)
            .field("standby", &self.standby.0)
            .finish_non_exhaustive()
    }
}

impl AcrManagementClient {
    /// Creates an enabled token bound to `scope_map` and waits for provisioning. The
    /// token has no password until [`AcrManagementClient::generate_token_password`].
    ///
    /// # Errors
    /// [`Error::Arm`] or [`Error::Timeout`].
    pub async fn create_token(
        &self,
        registry: &RegistryName,
        token: &TokenName,
        scope_map: &ScopeMapName,
    ) -> Result<Token, Error> {
        let write = TokenWrite {
            scope_map_id: Some(self.scope_map_id(registry, scope_map)?.to_string()),
            status: Some(TokenStatus::Enabled),
            certificates: Vec::new(),
        };
        self.put_token(registry, token, &write).await
    }

    /// Creates or replaces a token with every property given explicitly.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] without a scope map id, [`Error::Arm`] or [`Error::Timeout`].
    pub async fn put_token(
        &self,
        registry: &RegistryName,
        token: &TokenName,
        write: &TokenWrite,
    ) -> Result<Token, Error> {
        if write.scope_map_id.is_none() {
            return Err(Error::InvalidInput {
                field: "scope_map_id",
                reason: format!("token {token} needs a scope map id"),
            });
        }
        let id = self.token_id(registry, token)?;
        let poller = self
            .arm()
            .begin_put(
                id.as_str(),
                API_VERSION,
                &write.body(),
                FinalStateVia::AzureAsyncOperation,
            )
            .await?;
        Ok(poller.wait_json().await?)
    }

    /// Changes the given properties of a token with a PATCH and waits for provisioning.
    ///
    /// # Errors
    /// [`Error::Arm`] or [`Error::Timeout`].
    pub async fn update_token(
        &self,
        registry: &RegistryName,
        token: &TokenName,
        write: &TokenWrite,
    ) -> Result<Token, Error> {
        let id = self.token_id(registry, token)?;
        let poller = self
            .arm()
            .begin_patch(
                id.as_str(),
                API_VERSION,
                &write.body(),
                FinalStateVia::AzureAsyncOperation,
            )
            .await?;
        Ok(poller.wait_json().await?)
    }

    /// Enables a token.
    ///
    /// # Errors
    /// [`Error::Arm`] or [`Error::Timeout`].
    pub async fn enable_token(
        &self,
        registry: &RegistryName,
        token: &TokenName,
    ) -> Result<Token, Error> {
        let write = TokenWrite {
            status: Some(TokenStatus::Enabled),
            ..TokenWrite::default()
        };
        self.update_token(registry, token, &write).await
    }

    /// Disables a token; its passwords stay but logins are rejected.
    ///
    /// # Errors
    /// [`Error::Arm`] or [`Error::Timeout`].
    pub async fn disable_token(
        &self,
        registry: &RegistryName,
        token: &TokenName,
    ) -> Result<Token, Error> {
        let write = TokenWrite {
            status: Some(TokenStatus::Disabled),
            ..TokenWrite::default()
        };
        self.update_token(registry, token, &write).await
    }

    /// Reads a token.
    ///
    /// # Errors
    /// [`Error::Arm`]; [`Error::is_not_found`] is true when it does not exist.
    pub async fn get_token(
        &self,
        registry: &RegistryName,
        token: &TokenName,
    ) -> Result<Token, Error> {
        let id = self.token_id(registry, token)?;
        Ok(self.arm().get_json(id.as_str(), API_VERSION).await?)
    }

    /// Lists the tokens of a registry lazily.
    pub fn list_tokens(
        &self,
        registry: &RegistryName,
    ) -> impl Stream<Item = Result<Token, Error>> + Send + 'static {
        let path = self
            .registry_id(registry)
            .and_then(|id| Ok(id.action("tokens")?));
        self.list_path(path)
    }

    /// Deletes a token and waits until it is gone.
    ///
    /// # Errors
    /// [`Error::Arm`] or [`Error::Timeout`].
    pub async fn delete_token(
        &self,
        registry: &RegistryName,
        token: &TokenName,
    ) -> Result<(), Error> {
        let id = self.token_id(registry, token)?;
        self.arm()
            .begin_delete(id.as_str(), API_VERSION, FinalStateVia::Location)
            .await?
            .wait()
            .await?;
        Ok(())
    }

    /// Generates a token password with `generateCredentials` and waits for the result.
    ///
    /// `passwords` is a slot such as [`PasswordName::Password1`], or
    /// [`PasswordSelection::Both`]. `expiry` `None` omits the field, so the password does not
    /// expire.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when `expiry` is not in the future, [`Error::Arm`] or
    /// [`Error::Timeout`].
    pub async fn generate_token_password(
        &self,
        registry: &RegistryName,
        token: &TokenName,
        passwords: impl Into<PasswordSelection>,
        expiry: Option<OffsetDateTime>,
    ) -> Result<GeneratedCredentials, Error> {
        let mut body = serde_json::json!({
            "tokenId": self.token_id(registry, token)?.to_string(),
        });
        if let PasswordSelection::Only(password) = passwords.into() {
            body["name"] = serde_json::json!(password);
        }
        if let Some(expiry) = expiry {
            let now = self.arm().clock().now_utc();
            if expiry <= now {
                return Err(Error::InvalidInput {
                    field: "expiry",
                    reason: format!(
                        "password expiry {expiry} for token {token} is not in the future (now {now})"
                    ),
                });
            }
            let formatted = expiry
                .format(&time::format_description::well_known::Rfc3339)
                .map_err(|error| Error::InvalidInput {
                    field: "expiry",
                    reason: format!("cannot format {expiry} as RFC 3339: {error}"),
                })?;
            body["expiry"] = serde_json::json!(formatted);
        }

        let path = self.registry_id(registry)?.action("generateCredentials")?;
        let poller = self
            .arm()
            .begin_post(&path, API_VERSION, Some(&body), FinalStateVia::Location)
            .await?;
        Ok(poller.wait_json().await?)
    }

    /// Rotates both token passwords: first the one not `in_use`, then `in_use`.
    ///
    /// Clients still using the old `in_use` password fail after the second step, so
    /// switch them to [`RotatedCredentials::active`] right after this call.
    ///
    /// # Errors
    /// As [`AcrManagementClient::generate_token_password`]; when the second step fails the
    /// first password is already replaced.
    pub async fn rotate_token_passwords(
        &self,
        registry: &RegistryName,
        token: &TokenName,
        in_use: PasswordName,
        expiry: Option<OffsetDateTime>,
    ) -> Result<RotatedCredentials, Error> {
        let unused = in_use.other();
        let first = self
            .generate_token_password(registry, token, unused, expiry)
            .await?;
        let second = self
            .generate_token_password(registry, token, in_use, expiry)
            .await?;

        let missing = |name: PasswordName| Error::InvalidInput {
            field: "generateCredentials result",
            reason: format!(
                "ARM returned no value for {} of token {token}",
                name.as_str()
            ),
        };
        let active = first
            .password(unused)
            .cloned()
            .ok_or_else(|| missing(unused))?;
        let standby = second
            .password(in_use)
            .cloned()
            .ok_or_else(|| missing(in_use))?;
        Ok(RotatedCredentials {
            username: second.username,
            active: (unused, active),
            standby: (in_use, standby),
        })
    }

    /// Creates an enabled token bound to `scope_map`, or fixes the scope map and status
    /// of an existing one. Does not generate passwords.
    ///
    /// # Errors
    /// [`Error::Arm`] or [`Error::Timeout`].
    pub async fn ensure_token(
        &self,
        registry: &RegistryName,
        token: &TokenName,
        scope_map: &ScopeMapName,
    ) -> Result<Ensured<Token>, Error> {
        let id = self.token_id(registry, token)?;
        let scope_map_id = self.scope_map_id(registry, scope_map)?;
        let current: Option<Token> = self
            .arm()
            .get_json_optional(id.as_str(), API_VERSION)
            .await?;
        let Some(current) = current else {
            let created = self.create_token(registry, token, scope_map).await?;
            return Ok(Ensured::Created(created));
        };

        let same_scope_map = current
            .properties
            .scope_map_id
            .as_deref()
            .is_some_and(|existing| existing.eq_ignore_ascii_case(scope_map_id.as_str()));
        let enabled = current.properties.status == Some(TokenStatus::Enabled);
        if same_scope_map && enabled {
            return Ok(Ensured::Unchanged(current));
        }
        let write = TokenWrite {
            scope_map_id: (!same_scope_map).then(|| scope_map_id.to_string()),
            status: (!enabled).then_some(TokenStatus::Enabled),
            certificates: Vec::new(),
        };
        let updated = self.update_token(registry, token, &write).await?;
        Ok(Ensured::Updated(updated))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_list_reads_expiry_and_creation_time() {
        let token: Token = serde_json::from_str(
            r#"{"id":"/t","name":"harbor-push","properties":{"credentials":{"passwords":[
                {"name":"password1","creationTime":"2026-01-01T00:00:00Z","expiry":"2026-02-01T00:00:00Z"},
                {"name":"password2","creationDate":"2025-01-01T00:00:00Z"}
            ]}}}"#,
        )
        .unwrap();

        let passwords = token.properties.credentials.unwrap().passwords;
        assert_eq!(passwords[0].name, Some(PasswordName::Password1));
        assert_eq!(
            passwords[0].creation_date,
            Some(time::macros::datetime!(2026-01-01 00:00 UTC))
        );
        assert_eq!(
            passwords[0].expiry,
            Some(time::macros::datetime!(2026-02-01 00:00 UTC))
        );
        assert!(passwords[0].value.is_none());
        assert_eq!(
            passwords[1].creation_date,
            Some(time::macros::datetime!(2025-01-01 00:00 UTC))
        );
        assert_eq!(passwords[1].expiry, None);
    }

    #[test]
    fn password_debug_is_redacted() {
        let credentials: GeneratedCredentials = serde_json::from_str(
            r#"{"username":"harbor-push","passwords":[{"name":"password1","value":"s3cr3t-EXAMPLE","expiry":"2026-01-31T00:00:00Z"}]}"#,
        )
        .unwrap();

        let debug = format!("{credentials:?}");
        assert!(!debug.contains("s3cr3t-EXAMPLE"), "{debug}");
        assert!(debug.contains("harbor-push"), "{debug}");
        assert!(credentials.password(PasswordName::Password1).is_some());
        assert!(credentials.password(PasswordName::Password2).is_none());
    }

    #[test]
    fn rotated_credentials_debug_is_redacted() {
        let rotated = RotatedCredentials {
            username: "harbor-push".into(),
            active: (PasswordName::Password2, SecretString::from("s3cr3t-A")),
            standby: (PasswordName::Password1, SecretString::from("s3cr3t-B")),
        };

        let debug = format!("{rotated:?}");
        assert!(!debug.contains("s3cr3t"), "{debug}");
    }

    #[test]
    fn write_body_omits_unset_fields() {
        let write = TokenWrite {
            status: Some(TokenStatus::Disabled),
            ..TokenWrite::default()
        };

        assert_eq!(
            write.body(),
            serde_json::json!({"properties": {"status": "disabled"}})
        );
    }
}

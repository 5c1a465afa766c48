//! Credential providers: where the username and password or refresh token come from.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use async_trait::async_trait;
use secrecy::SecretString;

use crate::Error;

/// Credentials for one registry.
#[derive(Clone)]
#[non_exhaustive]
pub enum Credential {
    /// No credentials: anonymous pull where the registry allows it.
    Anonymous,
    /// Username and password: HTTP Basic, and the credentials of a token request.
    Basic {
        /// User name, such as a Harbor robot account `robot$project+name`.
        username: String,
        /// Password or robot secret.
        password: SecretString,
    },
    /// An OAuth2 refresh token, exchanged at the token service with `grant_type=refresh_token`
    /// (ACR refresh tokens, Docker identity tokens).
    RefreshToken(SecretString),
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credential::Anonymous => f.write_str("Anonymous"),
            Credential::Basic { username, .. } => f
                .debug_struct("Basic")
                .field("username", username)
                .field("password", &"[REDACTED]")
                .finish(),
            Credential::RefreshToken(_) => f.write_str("RefreshToken([REDACTED])"),
        }
    }
}

/// Yields credentials when a registry asks for them.
///
/// Called on every authentication challenge, so a provider may return fresh credentials each
/// time (a rotated robot secret, a new ACR refresh token).
#[async_trait]
pub trait CredentialProvider: Send + Sync + fmt::Debug {
    /// Returns the credentials for `registry` (host and port).
    ///
    /// # Errors
    ///
    /// Whatever stops the provider from obtaining credentials, as [`Error::Auth`].
    async fn credential(&self, registry: &str) -> Result<Credential, Error>;
}

/// No credentials.
#[derive(Debug, Clone, Copy, Default)]
pub struct Anonymous;

#[async_trait]
impl CredentialProvider for Anonymous {
    async fn credential(&self, _registry: &str) -> Result<Credential, Error> {
        Ok(Credential::Anonymous)
    }
}

/// A fixed username and password.
#[derive(Clone)]
pub struct BasicCredentials {
    username: String,
    password: SecretString,
}

impl BasicCredentials {
    /// Creates the provider.
    pub fn new(username: impl Into<String>, password: SecretString) -> Self {
        BasicCredentials {
            username: username.into(),
            password,
        }
    }
}

impl fmt::Debug for BasicCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BasicCredentials")
            .field("username", &self.username)
            .field("password", &"[REDACTED]")
            .finish()
    }
}

#[async_trait]
impl CredentialProvider for BasicCredentials {
    async fn credential(&self, _registry: &str) -> Result<Credential, Error> {
        Ok(Credential::Basic {
            username: self.username.clone(),
            password: self.password.clone(),
        })
    }
}

/// A Harbor robot account: its full name (`robot$name` or `robot$project+name`, as Harbor
/// returns it on creation) and its secret.
#[derive(Clone)]
pub struct HarborRobot {
    inner: BasicCredentials,
}

impl HarborRobot {
    /// Creates the provider.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] when `name` lacks Harbor's `robot$` prefix, because Harbor then
    /// treats it as a local user and the token request fails with 401.
    pub fn new(name: impl Into<String>, secret: SecretString) -> Result<Self, Error> {
        let name = name.into();
        if !name.starts_with("robot$") || name.len() == "robot$".len() {
            return Err(Error::InvalidInput {
                what: "Harbor robot account name",
                value: name,
                rule: "must be the full name Harbor returns, starting with `robot$`".to_owned(),
            });
        }
        Ok(HarborRobot {
            inner: BasicCredentials::new(name, secret),
        })
    }
}

impl fmt::Debug for HarborRobot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HarborRobot")
            .field("name", &self.inner.username)
            .field("secret", &"[REDACTED]")
            .finish()
    }
}

#[async_trait]
impl CredentialProvider for HarborRobot {
    async fn credential(&self, registry: &str) -> Result<Credential, Error> {
        self.inner.credential(registry).await
    }
}

/// A future yielding an ACR refresh token.
pub type RefreshTokenFuture = Pin<Box<dyn Future<Output = Result<SecretString, Error>> + Send>>;

/// Azure Container Registry with Microsoft Entra ID: a refresh token from ACR's
/// `/oauth2/exchange` endpoint, exchanged for access tokens with `grant_type=refresh_token`.
///
/// The closure performs the exchange, for instance with the `acr-client` crate's data-plane
/// module, and is called on each challenge, so it can cache and renew the refresh token.
#[derive(Clone)]
pub struct AcrRefreshToken {
    fetch: Arc<dyn Fn(String) -> RefreshTokenFuture + Send + Sync>,
}

impl AcrRefreshToken {
    /// Creates the provider from a closure that receives the registry host and returns its
    /// refresh token.
    pub fn new<F>(fetch: F) -> Self
    where
        F: Fn(String) -> RefreshTokenFuture + Send + Sync + 'static,
    {
        AcrRefreshToken {
            fetch: Arc::new(fetch),
        }
    }
}

impl fmt::Debug for AcrRefreshToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AcrRefreshToken").finish_non_exhaustive()
    }
}

#[async_trait]
impl CredentialProvider for AcrRefreshToken {
    async fn credential(&self, registry: &str) -> Result<Credential, Error> {
        let token = (self.fetch)(registry.to_owned()).await?;
        Ok(Credential::RefreshToken(token))
    }
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;

    #[test]
    fn debug_hides_secrets() {
        let basic = BasicCredentials::new("admin", SecretString::from("hunter2-secret"));
        let robot = HarborRobot::new("robot$ci+push", SecretString::from("robot-secret")).unwrap();
        let credential = Credential::RefreshToken(SecretString::from("refresh-secret"));
        let rendered = format!("{basic:?} {robot:?} {credential:?}");
        for secret in ["hunter2-secret", "robot-secret", "refresh-secret"] {
            assert!(!rendered.contains(secret), "{rendered}");
        }
        assert!(rendered.contains("robot$ci+push"), "{rendered}");
    }

    #[test]
    fn robot_name_needs_prefix() {
        let error = HarborRobot::new("ci+push", SecretString::from("x")).unwrap_err();
        assert!(error.to_string().contains("robot$"), "{error}");
    }

    #[tokio::test]
    async fn acr_provider_calls_closure_with_registry() {
        let provider = AcrRefreshToken::new(|registry| {
            Box::pin(async move { Ok(SecretString::from(format!("token-for-{registry}"))) })
        });
        let Credential::RefreshToken(token) =
            provider.credential("example.azurecr.io").await.unwrap()
        else {
            panic!("expected a refresh token");
        };
        assert_eq!(token.expose_secret(), "token-for-example.azurecr.io");
    }
}

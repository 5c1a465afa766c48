//! [`DataPlaneClient`]: authenticated requests to one registry's login server.
//!
//! With Azure AD, the client exchanges an Azure AD access token for an ACR refresh token
//! (`POST /oauth2/exchange` with `grant_type=access_token`). That grant works for service
//! principals and managed identities, which have no Azure AD refresh token. The client
//! then exchanges the refresh token for a scoped access token (`POST /oauth2/token`). With basic
//! credentials (a token password or the admin user) it gets the access token from
//! `GET /oauth2/token`.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use azure_core::credentials::TokenCredential;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use tokio::sync::Mutex;
use url::Url;

use super::token_cache::TokenCache;
use crate::Error;
use crate::arm::{AzureCloud, Clock, RetryPolicy, SystemClock};
use crate::registry::AdminCredentials;
use crate::token::{GeneratedCredentials, PasswordName};

/// Authentication method for the registry.
#[derive(Clone)]
#[non_exhaustive]
pub enum DataPlaneAuth {
    /// An Azure AD identity, exchanged for ACR tokens.
    AzureAd {
        /// Any azure_identity credential.
        credential: Arc<dyn TokenCredential>,
        /// Azure AD scope of the exchanged token, by default the Resource Manager scope.
        scope: String,
        /// Tenant sent with the exchange; only needed when the identity's home tenant
        /// differs from the registry's.
        tenant: Option<String>,
    },
    /// A username and password: a token and one of its passwords, or the admin user.
    Basic {
        /// Username: the token name or the registry name for the admin user.
        username: String,
        /// Password.
        password: SecretString,
    },
}

impl fmt::Debug for DataPlaneAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::AzureAd { scope, tenant, .. } => f
                .debug_struct("AzureAd")
                .field("scope", scope)
                .field("tenant", tenant)
                .finish_non_exhaustive(),
            Self::Basic { username, .. } => f
                .debug_struct("Basic")
                .field("username", username)
                .field("password", &"[REDACTED]")
                .finish(),
        }
    }
}

impl DataPlaneAuth {
    /// Azure AD authentication with the public cloud's Resource Manager scope.
    pub fn azure_ad(credential: Arc<dyn TokenCredential>) -> Self {
        Self::AzureAd {
            credential,
            scope: AzureCloud::Public.management_scope().to_owned(),
            tenant: None,
        }
    }

    /// Basic credentials of a token from `generateCredentials`.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when the result contains no value for `password`.
    pub fn from_token_credentials(
        credentials: &GeneratedCredentials,
        password: PasswordName,
    ) -> Result<Self, Error> {
        let value = credentials
            .password(password)
            .ok_or_else(|| Error::InvalidInput {
                field: "password",
                reason: format!(
                    "the credentials of {} contain no value for {}",
                    credentials.username,
                    password.as_str()
                ),
            })?;
        Ok(Self::Basic {
            username: credentials.username.clone(),
            password: value.clone(),
        })
    }

    /// Basic credentials of the admin user, using its first password.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when ARM returned no password.
    pub fn from_admin_credentials(credentials: &AdminCredentials) -> Result<Self, Error> {
        let password = credentials
            .passwords
            .first()
            .ok_or_else(|| Error::InvalidInput {
                field: "password",
                reason: format!("no admin password for {}", credentials.username),
            })?;
        Ok(Self::Basic {
            username: credentials.username.clone(),
            password: password.value.clone(),
        })
    }
}

/// Client for one registry's data plane. Cheap to clone; clones share the token cache.
#[derive(Clone)]
pub struct DataPlaneClient {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) base: Url,
    pub(crate) service: String,
    auth: DataPlaneAuth,
    pub(crate) http: reqwest::Client,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) retry: RetryPolicy,
    refresh_margin: Duration,
    cache: Mutex<TokenCache>,
}

impl fmt::Debug for DataPlaneClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DataPlaneClient")
            .field("base", &self.inner.base.as_str())
            .field("service", &self.inner.service)
            .field("auth", &self.inner.auth)
            .finish_non_exhaustive()
    }
}

/// Builder for [`DataPlaneClient`].
#[derive(Debug)]
pub struct DataPlaneClientBuilder {
    login_server: String,
    endpoint: Option<Url>,
    auth: DataPlaneAuth,
    http: Option<reqwest::Client>,
    clock: Option<Arc<dyn Clock>>,
    retry: RetryPolicy,
    refresh_margin: Duration,
}

impl DataPlaneClientBuilder {
    /// Sends requests to `endpoint` instead of `https://{login server}`; the login server
    /// stays the `service` of token requests.
    pub fn endpoint(mut self, endpoint: Url) -> Self {
        self.endpoint = Some(endpoint);
        self
    }

    /// Uses the caller's HTTP client.
    pub fn http_client(mut self, http: reqwest::Client) -> Self {
        self.http = Some(http);
        self
    }

    /// Sets the clock that decides when cached tokens are stale.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Sets the retry policy; the default is [`default_retry_policy`](crate::arm::default_retry_policy).
    pub fn retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Sets how long before a token's `exp` claim it is replaced. Default 5 minutes.
    pub fn refresh_margin(mut self, margin: Duration) -> Self {
        self.refresh_margin = margin;
        self
    }

    /// Builds the client.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when the login server is not a host name (with optional
    /// port); [`Error::Transport`] when the default HTTP client cannot be created.
    pub fn build(self) -> Result<DataPlaneClient, Error> {
        let service = normalize_login_server(&self.login_server)?;
        self.retry.validate().map_err(|error| Error::InvalidInput {
            field: "retry policy",
            reason: error.to_string(),
        })?;
        let base = match self.endpoint {
            Some(endpoint) => endpoint,
            None => Url::parse(&format!("https://{service}")).map_err(|_| Error::InvalidInput {
                field: "login server",
                reason: format!("{service:?} is not a valid host name"),
            })?,
        };
        let http = match self.http {
            Some(http) => http,
            None => reqwest::Client::builder()
                .build()
                .map_err(|source| Error::Transport {
                    operation: "create HTTP client".to_owned(),
                    registry: service.clone(),
                    source,
                })?,
        };
        Ok(DataPlaneClient {
            inner: Arc::new(Inner {
                base,
                service,
                auth: self.auth,
                http,
                clock: self.clock.unwrap_or_else(|| Arc::new(SystemClock::new())),
                retry: self.retry,
                refresh_margin: self.refresh_margin,
                cache: Mutex::new(TokenCache::default()),
            }),
        })
    }
}

/// Reduces `https://exampleacr.azurecr.io/` to `exampleacr.azurecr.io` and checks that
/// what remains is a lower-case host with an optional port.
fn normalize_login_server(value: &str) -> Result<String, Error> {
    let trimmed = value.trim();
    let without_scheme = trimmed
        .strip_prefix("https://")
        .or_else(|| trimmed.strip_prefix("http://"))
        .unwrap_or(trimmed);
    let host = without_scheme.trim_end_matches('/').to_ascii_lowercase();
    let valid = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':'));
    if !valid {
        return Err(Error::InvalidInput {
            field: "login server",
            reason: format!("{value:?} is not a host name such as exampleacr.azurecr.io"),
        });
    }
    Ok(host)
}

#[derive(Deserialize)]
struct RefreshTokenResponse {
    refresh_token: Option<SecretString>,
}

#[derive(Deserialize)]
struct AccessTokenResponse {
    access_token: Option<SecretString>,
    token: Option<SecretString>,
}

#[derive(Deserialize)]
struct AcrErrors {
    #[serde(default)]
    errors: Vec<AcrErrorEntry>,
}

#[derive(Deserialize)]
struct AcrErrorEntry {
    #[serde(default)]
    code: Option<String>,
}

pub(crate) fn acr_error_code(body: &[u8]) -> Option<String> {
    serde_json::from_slice::<AcrErrors>(body)
        .ok()?
        .errors
        .into_iter()
        .find_map(|entry| entry.code)
}

const REFRESH_KEY: &str = "\0refresh";

/// API version of the ACR data-plane REST spec these requests follow.
pub const DATA_PLANE_API_VERSION: &str = "2021-07-01";

impl DataPlaneClient {
    /// Starts building a client for `login_server`, such as `exampleacr.azurecr.io`.
    pub fn builder(login_server: &str, auth: DataPlaneAuth) -> DataPlaneClientBuilder {
        DataPlaneClientBuilder {
            login_server: login_server.to_owned(),
            endpoint: None,
            auth,
            http: None,
            clock: None,
            retry: crate::arm::retry::default_policy(),
            refresh_margin: Duration::from_secs(300),
        }
    }

    /// Login server, which is also the `service` of token requests.
    pub fn login_server(&self) -> &str {
        &self.inner.service
    }

    /// Returns the base URL of every request: `https://{login server}`, or the endpoint set
    /// with [`DataPlaneClientBuilder::endpoint`].
    pub fn endpoint(&self) -> &Url {
        &self.inner.base
    }

    /// Returns an access token for `scope` (such as `repository:mirror/nginx:pull,push`),
    /// from the cache while it is fresh.
    ///
    /// # Errors
    /// [`Error::AcrExchange`] when the registry rejects the exchange,
    /// [`Error::Credential`] when Azure AD gives no token, [`Error::Transport`] or
    /// [`Error::InvalidResponse`].
    pub async fn access_token(&self, scope: &str) -> Result<SecretString, Error> {
        let now = self.inner.clock.now_utc();
        if let Some(token) = self.inner.cache.lock().await.get(scope, now) {
            return Ok(token);
        }

        let token = match &self.inner.auth {
            DataPlaneAuth::AzureAd { .. } => {
                let refresh_token = self.refresh_token().await?;
                match self.exchange_refresh_token(&refresh_token, scope).await {
                    Err(Error::AcrExchange {
                        status: Some(StatusCode::UNAUTHORIZED),
                        ..
                    }) => {
                        // The cached refresh token may have been revoked early, so one
                        // new exchange is tried before giving up.
                        self.inner.cache.lock().await.remove(REFRESH_KEY);
                        let refresh_token = self.refresh_token().await?;
                        self.exchange_refresh_token(&refresh_token, scope).await?
                    }
                    other => other?,
                }
            }
            DataPlaneAuth::Basic { username, password } => {
                self.basic_access_token(username, password, scope).await?
            }
        };
        self.inner
            .cache
            .lock()
            .await
            .insert(scope, &token, self.inner.refresh_margin);
        Ok(token)
    }

    /// Returns the ACR refresh token for the Azure AD identity, from the cache while
    /// fresh.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] with basic credentials; otherwise as
    /// [`DataPlaneClient::access_token`].
    pub async fn refresh_token(&self) -> Result<SecretString, Error> {
        let DataPlaneAuth::AzureAd {
            credential,
            scope,
            tenant,
        } = &self.inner.auth
        else {
            return Err(Error::InvalidInput {
                field: "auth",
                reason: "refresh tokens need Azure AD authentication, not basic credentials"
                    .to_owned(),
            });
        };
        let now = self.inner.clock.now_utc();
        if let Some(token) = self.inner.cache.lock().await.get(REFRESH_KEY, now) {
            return Ok(token);
        }

        let aad = credential
            .get_token(&[scope.as_str()], None)
            .await
            .map_err(|source| Error::Credential {
                scope: scope.clone(),
                source,
            })?;
        let body = {
            let mut form = url::form_urlencoded::Serializer::new(String::new());
            form.append_pair("grant_type", "access_token")
                .append_pair("service", &self.inner.service);
            if let Some(tenant) = tenant {
                form.append_pair("tenant", tenant);
            }
            form.append_pair("access_token", aad.token.secret());
            SecretString::from(form.finish())
        };

        let response = self.post_form("/oauth2/exchange", body, scope).await?;
        let decoded: RefreshTokenResponse = serde_json::from_slice(&response)
            .map_err(|_| self.invalid_exchange("/oauth2/exchange"))?;
        let token = decoded
            .refresh_token
            .ok_or_else(|| self.invalid_exchange("/oauth2/exchange"))?;
        self.inner
            .cache
            .lock()
            .await
            .insert(REFRESH_KEY, &token, self.inner.refresh_margin);
        Ok(token)
    }

    async fn exchange_refresh_token(
        &self,
        refresh_token: &SecretString,
        scope: &str,
    ) -> Result<SecretString, Error> {
        let audience = match &self.inner.auth {
            DataPlaneAuth::AzureAd { scope, .. } => scope.clone(),
            DataPlaneAuth::Basic { .. } => String::new(),
        };
        let body = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("grant_type", "refresh_token")
            .append_pair("service", &self.inner.service)
            .append_pair("scope", scope)
            .append_pair("refresh_token", refresh_token.expose_secret())
            .finish();
        let response = self
            .post_form("/oauth2/token", SecretString::from(body), &audience)
            .await?;
        let decoded: AccessTokenResponse = serde_json::from_slice(&response)
            .map_err(|_| self.invalid_exchange("/oauth2/token"))?;
        decoded
            .access_token
            .or(decoded.token)
            .ok_or_else(|| self.invalid_exchange("/oauth2/token"))
    }

    async fn basic_access_token(
        &self,
        username: &str,
        password: &SecretString,
        scope: &str,
    ) -> Result<SecretString, Error> {
        let mut url = self.url_with_api_version("/oauth2/token");
        url.query_pairs_mut()
            .append_pair("service", &self.inner.service)
            .append_pair("scope", scope);
        let request = self
            .inner
            .http
            .get(url)
            .basic_auth(username, Some(password.expose_secret()));
        let response = self.send("GET /oauth2/token", request).await?;
        let status = response.status();
        let body = response
            .bytes()
            .await
            .map_err(|source| self.transport("GET /oauth2/token", source))?;
        if !status.is_success() {
            return Err(Error::Registry {
                operation: "GET /oauth2/token".to_owned(),
                registry: self.inner.service.clone(),
                status,
                code: acr_error_code(&body),
                request_id: None,
            });
        }
        let decoded: AccessTokenResponse =
            serde_json::from_slice(&body).map_err(|_| self.invalid_exchange("/oauth2/token"))?;
        decoded
            .access_token
            .or(decoded.token)
            .ok_or_else(|| self.invalid_exchange("/oauth2/token"))
    }

    /// Posts a form whose body may contain secrets and returns the success body.
    async fn post_form(
        &self,
        path: &str,
        body: SecretString,
        audience: &str,
    ) -> Result<bytes::Bytes, Error> {
        let operation = format!("POST {path}");
        let request = self
            .inner
            .http
            .request(Method::POST, self.url_with_api_version(path))
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body.expose_secret().to_owned());
        let response = self.send(&operation, request).await?;
        let status = response.status();
        let bytes = response
            .bytes()
            .await
            .map_err(|source| self.transport(&operation, source))?;
        if !status.is_success() {
            let error = Error::AcrExchange {
                registry: self.inner.service.clone(),
                audience: audience.to_owned(),
                status: Some(status),
                code: acr_error_code(&bytes),
            };
            tracing::debug!(%error, "ACR token request failed");
            return Err(error);
        }
        Ok(bytes)
    }

    /// URL of an `/oauth2` endpoint with the data-plane `api-version`, which the REST
    /// spec lists as an optional query parameter.
    fn url_with_api_version(&self, path: &str) -> Url {
        let mut url = self.url(path);
        url.query_pairs_mut()
            .append_pair("api-version", DATA_PLANE_API_VERSION);
        url
    }

    pub(crate) fn url(&self, path: &str) -> Url {
        let mut url = self.inner.base.clone();
        url.set_path(&format!(
            "{}{path}",
            self.inner.base.path().trim_end_matches('/')
        ));
        url
    }

    pub(crate) fn transport(&self, operation: &str, source: reqwest::Error) -> Error {
        Error::Transport {
            operation: operation.to_owned(),
            registry: self.inner.service.clone(),
            source,
        }
    }

    fn invalid_exchange(&self, path: &str) -> Error {
        Error::InvalidResponse {
            operation: format!("POST {path}"),
            registry: self.inner.service.clone(),
            reason: "the response has no token field".to_owned(),
        }
    }

    /// Bearer header for `scope`, marked sensitive so `reqwest` never prints it.
    pub(crate) async fn bearer(&self, scope: &str) -> Result<HeaderValue, Error> {
        let token = self.access_token(scope).await?;
        let mut value = HeaderValue::from_str(&format!("Bearer {}", token.expose_secret()))
            .map_err(|_| Error::InvalidResponse {
                operation: "POST /oauth2/token".to_owned(),
                registry: self.inner.service.clone(),
                reason: "the access token is not a valid header value".to_owned(),
            })?;
        value.set_sensitive(true);
        Ok(value)
    }

    pub(crate) fn authorized(
        &self,
        method: Method,
        url: Url,
        bearer: HeaderValue,
    ) -> reqwest::RequestBuilder {
        self.inner
            .http
            .request(method, url)
            .header(AUTHORIZATION, bearer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_server_is_normalized() {
        assert_eq!(
            normalize_login_server("https://ExampleACR.azurecr.io/").unwrap(),
            "exampleacr.azurecr.io"
        );
        assert_eq!(
            normalize_login_server("harbor.example.test:8443").unwrap(),
            "harbor.example.test:8443"
        );
        assert!(normalize_login_server("exampleacr.azurecr.io/v2").is_err());
        assert!(normalize_login_server("").is_err());
    }

    #[test]
    fn endpoint_defaults_to_login_server() {
        let auth = DataPlaneAuth::Basic {
            username: "harbor-push".into(),
            password: SecretString::from("s3cr3t-EXAMPLE"),
        };
        let default = DataPlaneClient::builder("ExampleACR.azurecr.io", auth.clone())
            .build()
            .unwrap();
        assert_eq!(
            default.endpoint().as_str(),
            "https://exampleacr.azurecr.io/"
        );

        let proxy = Url::parse("http://127.0.0.1:8443").unwrap();
        let proxied = DataPlaneClient::builder("exampleacr.azurecr.io", auth)
            .endpoint(proxy.clone())
            .build()
            .unwrap();
        assert_eq!(proxied.endpoint(), &proxy);
        assert_eq!(proxied.login_server(), "exampleacr.azurecr.io");
    }

    #[test]
    fn basic_auth_debug_is_redacted() {
        let auth = DataPlaneAuth::Basic {
            username: "harbor-push".into(),
            password: SecretString::from("s3cr3t-EXAMPLE"),
        };

        let debug = format!("{auth:?}");
        assert!(!debug.contains("s3cr3t"), "{debug}");
        assert!(debug.contains("harbor-push"), "{debug}");
    }

    #[test]
    fn acr_error_code_is_read() {
        assert_eq!(
            acr_error_code(br#"{"errors":[{"code":"UNAUTHORIZED","message":"x"}]}"#).as_deref(),
            Some("UNAUTHORIZED")
        );
        assert_eq!(acr_error_code(b"nope"), None);
    }
}

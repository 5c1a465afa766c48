//! Configuration of a [`Client`]: base URL, credentials, TLS, timeouts and retries.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use http::HeaderValue;

use crate::RetryPolicy;
use crate::auth::Credentials;
use crate::client::Inner;
use crate::retry::{SharedSleeper, Sleeper, TokioSleeper};
use crate::{Client, Error};

/// Default time to establish a TCP and TLS connection.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Default time for one attempt, from sending the request to reading the whole response body.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// Builds a [`Client`]. Created by [`Client::builder`].
///
/// The client keeps no cookie store. Harbor sets `sid` and `_gorilla_csrf` cookies, and a client
/// that sends them back along with Basic auth is treated as a browser session, so Harbor rejects
/// its writes with `403 CSRF token invalid`.
///
/// `Debug` never shows the password or token.
#[derive(Clone)]
pub struct ClientBuilder {
    base_url: String,
    credentials: Option<Credentials>,
    root_certificates_pem: Vec<Vec<u8>>,
    accept_invalid_certs: bool,
    connect_timeout: Option<Duration>,
    request_timeout: Option<Duration>,
    user_agent: Option<String>,
    http_client: Option<reqwest::Client>,
    retry_policy: RetryPolicy,
    sleeper: SharedSleeper,
}

impl ClientBuilder {
    pub(crate) fn new(base_url: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            credentials: None,
            root_certificates_pem: Vec::new(),
            accept_invalid_certs: false,
            connect_timeout: None,
            request_timeout: None,
            user_agent: None,
            http_client: None,
            retry_policy: RetryPolicy::default(),
            sleeper: SharedSleeper(Arc::new(TokioSleeper)),
        }
    }

    /// Sets the credentials sent with every request (default: none, anonymous access).
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = Some(credentials);
        self
    }

    /// Trusts the CA certificates of a PEM bundle in addition to the system roots.
    ///
    /// May be called several times. The bundle is parsed by [`ClientBuilder::build`].
    pub fn add_root_certificates_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.root_certificates_pem.push(pem.into());
        self
    }

    /// Turns TLS certificate and host name verification off (default: on).
    ///
    /// Any server can then impersonate Harbor and read the credentials. The client logs a
    /// `tracing` warning when it is built with this setting.
    pub fn danger_accept_invalid_certs(mut self, accept: bool) -> Self {
        self.accept_invalid_certs = accept;
        self
    }

    /// Sets the time to establish a connection (default [`DEFAULT_CONNECT_TIMEOUT`]).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// Sets the time for one attempt, including reading the response body (default
    /// [`DEFAULT_REQUEST_TIMEOUT`]). Retries get a fresh timeout each.
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = Some(timeout);
        self
    }

    /// Sets the `User-Agent` header (default `harbor-client/<crate version>`).
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = Some(user_agent.into());
        self
    }

    /// Sends requests through the caller's own `reqwest::Client`.
    ///
    /// TLS, timeout and user agent settings then belong to that client, so combining this with
    /// [`add_root_certificates_pem`](Self::add_root_certificates_pem),
    /// [`danger_accept_invalid_certs`](Self::danger_accept_invalid_certs), the timeouts or
    /// [`user_agent`](Self::user_agent) is an error. The client must not have a cookie store.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http_client = Some(client);
        self
    }

    /// Sets the retry policy (default [`RetryPolicy::default`]: 4 attempts, 30 s in all).
    ///
    /// Idempotent requests (GET, HEAD, PUT, DELETE, OPTIONS) are sent again after a connection
    /// failure and on the statuses 429, 502, 503 and 504, after the wait `Retry-After` requests
    /// or a backoff with jitter. POST and PATCH are sent again only when the connection could not
    /// be established, because then the request never reached Harbor. Timeouts and TLS failures
    /// are not retried.
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry_policy = policy;
        self
    }

    /// Sets the function that waits between attempts (default `tokio::time::sleep`).
    ///
    /// Tests pass a sleeper that returns at once and records the delays.
    pub fn sleeper(mut self, sleeper: impl Sleeper) -> Self {
        self.sleeper = SharedSleeper(Arc::new(sleeper));
        self
    }

    /// Validates the settings and builds the client.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] when the base URL is not an `http` or `https` URL, contains
    /// credentials, a query or a fragment, or already ends in `/api/v2.0`; when a PEM bundle
    /// contains no certificate; when credentials cannot form a header; when settings conflict with
    /// [`http_client`](Self::http_client); or when reqwest cannot build its client.
    pub fn build(self) -> Result<Client, Error> {
        let base = parse_base_url(&self.base_url)?;
        self.retry_policy
            .validate()
            .map_err(|error| Error::InvalidConfig {
                setting: "retry_policy",
                reason: error.to_string(),
                source: None,
            })?;
        let authorization = self
            .credentials
            .as_ref()
            .map(Credentials::header_value)
            .transpose()?;
        let http = match self.http_client.clone() {
            Some(client) => {
                self.check_no_transport_settings()?;
                client
            }
            None => self.build_reqwest_client()?,
        };
        if self.accept_invalid_certs {
            tracing::warn!(
                base_url = %base,
                "TLS certificate verification is disabled for this Harbor client; any server can \
                 impersonate Harbor and read its credentials"
            );
        }
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                base,
                authorization,
                credentials: self.credentials,
                accept_invalid_certs: self.accept_invalid_certs,
                retry_policy: self.retry_policy,
                sleeper: self.sleeper,
            }),
        })
    }

    fn check_no_transport_settings(&self) -> Result<(), Error> {
        let conflicts = [
            (
                !self.root_certificates_pem.is_empty(),
                "add_root_certificates_pem",
            ),
            (self.accept_invalid_certs, "danger_accept_invalid_certs"),
            (self.connect_timeout.is_some(), "connect_timeout"),
            (self.request_timeout.is_some(), "request_timeout"),
            (self.user_agent.is_some(), "user_agent"),
        ];
        match conflicts.iter().find(|(set, _)| *set) {
            Some((_, setting)) => Err(Error::InvalidConfig {
                setting,
                reason: "this setting cannot be combined with http_client; configure it on the \
                         reqwest::Client instead"
                    .to_owned(),
                source: None,
            }),
            None => Ok(()),
        }
    }

    fn build_reqwest_client(&self) -> Result<reqwest::Client, Error> {
        let user_agent = self
            .user_agent
            .clone()
            .unwrap_or_else(|| format!("harbor-client/{}", env!("CARGO_PKG_VERSION")));
        let user_agent = HeaderValue::from_str(&user_agent).map_err(|source| {
            invalid(
                "user_agent",
                format!("{user_agent:?} is not a valid header value"),
                Some(Box::new(source)),
            )
        })?;
        let mut certificates = Vec::new();
        for (index, pem) in self.root_certificates_pem.iter().enumerate() {
            certificates.extend(parse_pem_bundle(index, pem)?);
        }
        reqwest::Client::builder()
            .user_agent(user_agent)
            .connect_timeout(self.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT))
            .timeout(self.request_timeout.unwrap_or(DEFAULT_REQUEST_TIMEOUT))
            .tls_certs_merge(certificates)
            .tls_danger_accept_invalid_certs(self.accept_invalid_certs)
            .build()
            .map_err(|source| {
                invalid(
                    "http_client",
                    "reqwest could not build the HTTP client (check the root certificates)"
                        .to_owned(),
                    Some(Box::new(source)),
                )
            })
    }
}

fn parse_pem_bundle(index: usize, pem: &[u8]) -> Result<Vec<reqwest::Certificate>, Error> {
    let certificates = reqwest::Certificate::from_pem_bundle(pem).map_err(|source| {
        invalid(
            "root_certificates_pem",
            format!("PEM bundle {index} is not valid PEM"),
            Some(Box::new(source)),
        )
    })?;
    if certificates.is_empty() {
        return Err(invalid(
            "root_certificates_pem",
            format!("PEM bundle {index} contains no \"BEGIN CERTIFICATE\" block"),
            None,
        ));
    }
    Ok(certificates)
}

/// Parses and checks the base URL. A path prefix such as `/harbor` is kept.
fn parse_base_url(raw: &str) -> Result<url::Url, Error> {
    let mut base = url::Url::parse(raw).map_err(|source| {
        invalid(
            "base_url",
            format!("{raw:?} is not a valid absolute URL such as https://harbor.example.test"),
            Some(Box::new(source)),
        )
    })?;
    if !base.username().is_empty() || base.password().is_some() {
        // The URL is not repeated here because it contains credentials.
        return Err(invalid(
            "base_url",
            "the URL contains credentials; pass them with ClientBuilder::credentials".to_owned(),
            None,
        ));
    }
    if !matches!(base.scheme(), "http" | "https") {
        return Err(invalid(
            "base_url",
            format!("{raw:?} must use the http or https scheme"),
            None,
        ));
    }
    if base.query().is_some() || base.fragment().is_some() {
        return Err(invalid(
            "base_url",
            format!("{raw:?} must not contain a query or fragment"),
            None,
        ));
    }
    let prefix = base.path().trim_end_matches('/').to_owned();
    if prefix.ends_with("/api/v2.0") {
        return Err(invalid(
            "base_url",
            format!("{raw:?} ends in /api/v2.0, which the client adds itself; remove it"),
            None,
        ));
    }
    base.set_path(&prefix);
    Ok(base)
}

fn invalid(
    setting: &'static str,
    reason: String,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
) -> Error {
    Error::InvalidConfig {
        setting,
        reason,
        source,
    }
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("base_url", &self.base_url)
            .field("credentials", &self.credentials)
            .field("root_certificates_pem", &self.root_certificates_pem.len())
            .field("accept_invalid_certs", &self.accept_invalid_certs)
            .field("connect_timeout", &self.connect_timeout)
            .field("request_timeout", &self.request_timeout)
            .field("user_agent", &self.user_agent)
            .field("http_client", &self.http_client.is_some())
            .field("retry_policy", &self.retry_policy)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_url_keeps_path_prefix() {
        let cases = [
            (
                "https://harbor.example.test",
                "https://harbor.example.test/",
            ),
            (
                "https://harbor.example.test/",
                "https://harbor.example.test/",
            ),
            (
                "https://example.test/harbor/",
                "https://example.test/harbor",
            ),
            ("http://127.0.0.1:8080/a/b", "http://127.0.0.1:8080/a/b"),
        ];
        for (raw, expected) in cases {
            assert_eq!(parse_base_url(raw).unwrap().as_str(), expected, "{raw}");
        }
    }

    #[test]
    fn invalid_base_urls_are_rejected() {
        let cases = [
            ("harbor.example.test", "valid absolute URL"),
            ("ftp://harbor.example.test", "http or https"),
            ("https://harbor.example.test/?x=1", "query"),
            ("https://harbor.example.test/#top", "fragment"),
            ("https://harbor.example.test/api/v2.0/", "/api/v2.0"),
            (
                "https://user1:s3cr3t-EXAMPLE@harbor.example.test",
                "credentials",
            ),
        ];
        for (raw, expected) in cases {
            let error = parse_base_url(raw).unwrap_err();
            let message = error.to_string();
            assert!(message.contains(expected), "{raw}: {message}");
            assert!(!message.contains("s3cr3t"), "{message}");
        }
    }

    #[test]
    fn invalid_pem_is_rejected() {
        let cases: [&[u8]; 3] = [
            b"not a certificate",
            b"",
            b"-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n",
        ];
        for pem in cases {
            let error = Client::builder("https://harbor.example.test")
                .add_root_certificates_pem(pem)
                .build()
                .unwrap_err();
            assert!(
                matches!(
                    error,
                    Error::InvalidConfig {
                        setting: "root_certificates_pem",
                        ..
                    }
                ),
                "{error}"
            );
        }
    }

    #[test]
    fn http_client_conflicts_are_rejected() {
        let error = Client::builder("https://harbor.example.test")
            .http_client(reqwest::Client::new())
            .request_timeout(Duration::from_secs(1))
            .build()
            .unwrap_err();
        assert!(error.to_string().contains("request_timeout"), "{error}");
    }

    #[test]
    fn debug_hides_credentials() {
        let builder = Client::builder("https://harbor.example.test").credentials(
            Credentials::basic("robot$library+ci", "s3cr3t-EXAMPLE".to_owned().into()),
        );
        let debug = format!("{builder:?}");
        assert!(debug.contains("robot$library+ci"), "{debug}");
        assert!(!debug.contains("s3cr3t"), "{debug}");
        let client = builder.build().unwrap();
        let debug = format!("{client:?}");
        assert!(!debug.contains("s3cr3t"), "{debug}");
        assert!(!debug.contains("cm9ib3Qk"), "{debug}");
    }
}

//! The registry client: base URL, HTTP client, authentication and the request loop with
//! retries.

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use reqwest::header::{AUTHORIZATION, HeaderMap, WWW_AUTHENTICATE};
use reqwest::{Method, Response, StatusCode};
use url::Url;

use crate::auth::{Anonymous, Authenticator, CredentialProvider, Scope};
use crate::range::DEFAULT_MAX_CHUNK;
use crate::retry::{self, RetryPolicy};
use crate::{Error, RepositoryName};

/// Upload method for blobs pushed to this registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadMode {
    /// One streaming `PUT` per blob after the `POST`: the fewest requests. The default.
    Monolithic,
    /// `PATCH` requests of at most `max_chunk` bytes (raised to the registry's
    /// `OCI-Chunk-Min-Length`) and a final `PUT`; an interrupted chunk resumes from the
    /// registry's `Range`. For registries that cap the request size. One chunk per blob
    /// transfer is held in memory.
    Chunked {
        /// Maximum bytes per `PATCH`.
        max_chunk: u64,
    },
}

impl UploadMode {
    /// Chunked uploads with the default maximum of 4 MiB per request.
    pub fn chunked() -> Self {
        UploadMode::Chunked {
            max_chunk: DEFAULT_MAX_CHUNK,
        }
    }
}

/// A client for one registry's distribution API. Cheap to clone.
#[derive(Clone)]
pub struct RegistryClient {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) base: Url,
    pub(crate) registry: String,
    pub(crate) http: reqwest::Client,
    pub(crate) auth: Authenticator,
    pub(crate) retry: RetryPolicy,
    pub(crate) upload: UploadMode,
}

impl fmt::Debug for RegistryClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RegistryClient")
            .field("base", &self.inner.base.as_str())
            .field("upload", &self.inner.upload)
            .finish_non_exhaustive()
    }
}

/// Builder of a [`RegistryClient`].
#[derive(Debug)]
pub struct RegistryClientBuilder {
    base: String,
    provider: Arc<dyn CredentialProvider>,
    http: Option<reqwest::Client>,
    retry: RetryPolicy,
    upload: UploadMode,
}

impl RegistryClientBuilder {
    /// Sets where credentials come from. Default: [`Anonymous`].
    pub fn credentials(mut self, provider: impl CredentialProvider + 'static) -> Self {
        self.provider = Arc::new(provider);
        self
    }

    /// Uses the caller's HTTP client (proxies, CA bundles, timeouts, connection pool).
    ///
    /// Without one, `build` creates a client, which loads the system root certificates. Clients
    /// of several registries in one program can share one HTTP client to load them once.
    pub fn http_client(mut self, http: reqwest::Client) -> Self {
        self.http = Some(http);
        self
    }

    /// Sets the retry policy. Default: [`RetryPolicy::default`].
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Sets how blobs are uploaded. Default: [`UploadMode::Monolithic`].
    pub fn upload_mode(mut self, upload: UploadMode) -> Self {
        self.upload = upload;
        self
    }

    /// Builds the client.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] when the base URL is not `http://` or `https://` with a host and
    /// nothing after it, or the chunk size is 0.
    pub fn build(self) -> Result<RegistryClient, Error> {
        let invalid = |rule: &str| Error::InvalidInput {
            what: "registry URL",
            value: self.base.clone(),
            rule: rule.to_owned(),
        };
        let base = Url::parse(&self.base)
            .map_err(|_| invalid("must be an absolute URL such as https://registry.example.com"))?;
        if !matches!(base.scheme(), "http" | "https") {
            return Err(invalid("scheme must be https or http"));
        }
        let host = base
            .host_str()
            .ok_or_else(|| invalid("must contain a host"))?;
        if base.path() != "/" || base.query().is_some() {
            return Err(invalid(
                "must not contain a path or query; /v2/ is added by the client",
            ));
        }
        if let UploadMode::Chunked { max_chunk: 0 } = self.upload {
            return Err(Error::InvalidInput {
                what: "maximum chunk size",
                value: "0".to_owned(),
                rule: "must be at least 1 byte".to_owned(),
            });
        }
        let registry = match base.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_owned(),
        };
        if base.scheme() == "http" {
            tracing::warn!(registry = %registry, "registry client uses plain HTTP: blobs and credentials travel unencrypted");
        }
        let http = match self.http {
            Some(http) => http,
            None => reqwest::Client::builder()
                .user_agent(concat!("oci-transfer/", env!("CARGO_PKG_VERSION")))
                .build()
                .map_err(|error| Error::Transport {
                    method: "BUILD".to_owned(),
                    url: base.to_string(),
                    source: error,
                })?,
        };
        Ok(RegistryClient {
            inner: Arc::new(Inner {
                auth: Authenticator::new(registry.clone(), self.provider),
                base,
                registry,
                http,
                retry: self.retry,
                upload: self.upload,
            }),
        })
    }
}

/// A request without a streaming body, so it can be repeated.
pub(crate) struct Request {
    pub(crate) method: Method,
    pub(crate) url: Url,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Option<Bytes>,
    pub(crate) scopes: Vec<Scope>,
}

impl Request {
    pub(crate) fn new(method: Method, url: Url, scopes: Vec<Scope>) -> Self {
        Request {
            method,
            url,
            headers: HeaderMap::new(),
            body: None,
            scopes,
        }
    }
}

impl RegistryClient {
    /// Starts a builder for the registry at `base`, such as `https://harbor.example.com` or
    /// `http://127.0.0.1:5000`.
    pub fn builder(base: impl Into<String>) -> RegistryClientBuilder {
        RegistryClientBuilder {
            base: base.into(),
            provider: Arc::new(Anonymous),
            http: None,
            retry: RetryPolicy::default(),
            upload: UploadMode::Monolithic,
        }
    }

    /// Registry host and port, such as `harbor.example.com` or `127.0.0.1:5000`.
    pub fn registry(&self) -> &str {
        &self.inner.registry
    }

    /// Base URL of the registry.
    pub fn base_url(&self) -> &Url {
        &self.inner.base
    }

    /// Whether `other` talks to the same registry (same scheme, host and port).
    pub fn is_same_registry(&self, other: &RegistryClient) -> bool {
        self.inner.base.origin() == other.inner.base.origin()
    }

    /// Checks that `url` has the registry's scheme, host and port. Only such URLs get the
    /// registry's credentials, so an upload `Location` on another host, such as a storage
    /// service, is sent without them.
    fn is_own_origin(&self, url: &Url) -> bool {
        url.origin() == self.inner.base.origin()
    }

    /// Builds `<base>/v2/<repository>/<suffix>`.
    pub(crate) fn repository_url(&self, repository: &RepositoryName, suffix: &str) -> Url {
        let mut url = self.inner.base.clone();
        url.set_path(&format!("/v2/{repository}/{suffix}"));
        url
    }

    /// Sends `request`, answering auth challenges and repeating retryable failures, and returns
    /// the response whatever its status after that.
    ///
    /// Every method is repeated, because each request this crate sends without a streaming body
    /// is safe to repeat: a repeated `POST` opens a second, unused upload session, and a repeated
    /// `PATCH` that the registry already stored gets 416, after which the upload resumes from
    /// the registry's `Range`.
    ///
    /// NOTE: a chunked upload's final `PUT` whose response is lost after the registry stored the
    /// blob is repeated too, gets 404 for the closed session, and fails the copy. A repeated copy
    /// then finds the blob and skips it.
    pub(crate) async fn execute(&self, request: Request) -> Result<Response, Error> {
        let inner = &self.inner;
        let started = std::time::Instant::now();
        let mut attempt = 1;
        let own_origin = self.is_own_origin(&request.url);
        // A 401 from another host is returned without a response to its challenge, because
        // responding would send the registry's credentials to that host's realm.
        let mut answered_challenge = !own_origin;
        let mut authorization = if own_origin {
            inner.auth.cached_header(&request.scopes)
        } else {
            None
        };
        loop {
            let mut builder = inner
                .http
                .request(request.method.clone(), request.url.clone())
                .headers(request.headers.clone());
            if let Some(value) = &authorization {
                builder = builder.header(AUTHORIZATION, value.clone());
            }
            if let Some(body) = &request.body {
                builder = builder.body(body.clone());
            }
            let shown_url = crate::error::url_for_message(&request.url);
            let outcome = builder.send().await;
            let response = match outcome {
                Ok(response) => response,
                Err(source) => {
                    if let Some(wait) = inner.retry.next_delay(attempt, started.elapsed(), None) {
                        tracing::warn!(method = %request.method, url = %shown_url, attempt, error = %source, wait_ms = wait.as_millis() as u64, "request failed; retrying");
                        tokio::time::sleep(wait).await;
                        attempt += 1;
                        continue;
                    }
                    return Err(Error::Transport {
                        method: request.method.to_string(),
                        url: shown_url,
                        source,
                    });
                }
            };
            let status = response.status();
            tracing::debug!(method = %request.method, url = %shown_url, status = status.as_u16(), attempt, "registry request");
            if status == StatusCode::UNAUTHORIZED && !answered_challenge {
                answered_challenge = true;
                inner.auth.invalidate(&request.scopes);
                let challenge = response
                    .headers()
                    .get(WWW_AUTHENTICATE)
                    .and_then(|value| value.to_str().ok())
                    .map(str::to_owned);
                authorization = Some(
                    inner
                        .auth
                        .answer_challenge(&inner.http, challenge.as_deref(), &request.scopes)
                        .await?,
                );
                continue;
            }
            let retry_wait = if retry::is_retryable_status(status.as_u16()) {
                inner.retry.next_delay(
                    attempt,
                    started.elapsed(),
                    retry::retry_after(response.headers()),
                )
            } else {
                None
            };
            if let Some(wait) = retry_wait {
                tracing::warn!(method = %request.method, url = %shown_url, attempt, status = status.as_u16(), wait_ms = wait.as_millis() as u64, "retryable status; retrying");
                tokio::time::sleep(wait).await;
                attempt += 1;
                continue;
            }
            return Ok(response);
        }
    }

    /// Sends a request with a streaming body once, with the cached authorization; on 401 it
    /// answers the challenge so that a repeated transfer is authorized, and returns the 401.
    /// A URL on another origin gets no authorization, and its challenge gets no response.
    pub(crate) async fn execute_streaming(
        &self,
        method: Method,
        url: Url,
        headers: HeaderMap,
        body: reqwest::Body,
        scopes: &[Scope],
    ) -> Result<Response, Error> {
        let inner = &self.inner;
        let own_origin = self.is_own_origin(&url);
        let mut builder = inner
            .http
            .request(method.clone(), url.clone())
            .headers(headers)
            .body(body);
        if own_origin && let Some(value) = inner.auth.cached_header(scopes) {
            builder = builder.header(AUTHORIZATION, value);
        }
        let response = builder.send().await.map_err(|source| Error::Transport {
            method: method.to_string(),
            url: crate::error::url_for_message(&url),
            source,
        })?;
        tracing::debug!(method = %method, url = %crate::error::url_for_message(&url), status = response.status().as_u16(), "registry streaming request");
        if response.status() == StatusCode::UNAUTHORIZED && own_origin {
            inner.auth.invalidate(scopes);
            let challenge = response
                .headers()
                .get(WWW_AUTHENTICATE)
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned);
            inner
                .auth
                .answer_challenge(&inner.http, challenge.as_deref(), scopes)
                .await?;
        }
        Ok(response)
    }
}

#[derive(serde::Deserialize)]
struct ErrorBody {
    #[serde(default)]
    errors: Vec<ErrorEntry>,
}

#[derive(serde::Deserialize)]
struct ErrorEntry {
    code: Option<String>,
}

/// Maximum error body read to extract distribution error codes.
const MAX_ERROR_BODY: usize = 64 * 1024;

/// Returns `response` when its status is one of `expected`, else an [`Error::Status`] with the
/// distribution error codes and the request id.
pub(crate) async fn expect_status(
    response: Response,
    method: Method,
    url: &Url,
    expected: &[StatusCode],
) -> Result<Response, Error> {
    if expected.contains(&response.status()) {
        return Ok(response);
    }
    Err(status_error(response, method, url).await)
}

/// Converts an unexpected response into [`Error::Status`].
pub(crate) async fn status_error(response: Response, method: Method, url: &Url) -> Error {
    let status = response.status().as_u16();
    let request_id = ["x-request-id", "docker-request-id"]
        .iter()
        .find_map(|name| response.headers().get(*name))
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let body = response.bytes().await.unwrap_or_default();
    let codes = if body.len() <= MAX_ERROR_BODY {
        serde_json::from_slice::<ErrorBody>(&body)
            .map(|parsed| {
                parsed
                    .errors
                    .into_iter()
                    .filter_map(|entry| entry.code)
                    .collect()
            })
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    Error::Status {
        method: method.to_string(),
        url: crate::error::url_for_message(url),
        status,
        codes,
        request_id,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_url_rules() {
        assert!(
            RegistryClient::builder("https://r.example.test")
                .build()
                .is_ok()
        );
        assert!(
            RegistryClient::builder("http://127.0.0.1:5000/")
                .build()
                .is_ok()
        );
        for bad in [
            "r.example.test",
            "ftp://r.example.test",
            "https://r.example.test/v2/",
        ] {
            let error = RegistryClient::builder(bad).build().unwrap_err();
            assert!(error.to_string().contains(bad), "{error}");
        }
    }

    #[test]
    fn debug_hides_credentials() {
        let client = RegistryClient::builder("https://r.example.test")
            .credentials(crate::BasicCredentials::new(
                "robot$ci",
                secrecy::SecretString::from("client-secret-value"),
            ))
            .build()
            .unwrap();
        let rendered = format!("{client:?}");
        assert!(!rendered.contains("client-secret-value"), "{rendered}");
        assert!(rendered.contains("r.example.test"), "{rendered}");
    }

    #[test]
    fn same_registry_compares_origin() {
        let a = RegistryClient::builder("https://r.example.test")
            .build()
            .unwrap();
        let b = RegistryClient::builder("https://r.example.test:443")
            .build()
            .unwrap();
        let c = RegistryClient::builder("https://other.example.test")
            .build()
            .unwrap();
        assert!(a.is_same_registry(&b));
        assert!(!a.is_same_registry(&c));
        assert_eq!(a.registry(), "r.example.test");
    }

    #[test]
    fn repository_url_adds_v2_prefix() {
        let client = RegistryClient::builder("http://127.0.0.1:5000")
            .build()
            .unwrap();
        let repository = RepositoryName::new("mirror/nginx").unwrap();
        assert_eq!(
            client
                .repository_url(&repository, "manifests/latest")
                .as_str(),
            "http://127.0.0.1:5000/v2/mirror/nginx/manifests/latest"
        );
    }
}

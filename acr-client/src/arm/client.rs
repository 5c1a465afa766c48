//! [`ArmClient`]: authenticated, retried JSON requests to Azure Resource Manager.

use std::fmt;
use std::sync::Arc;

use azure_core::credentials::TokenCredential;
use bytes::Bytes;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tracing::Instrument;
use url::Url;

use super::clock::{Clock, SystemClock};
use super::error::{ArmError, ArmErrorDetail, is_retryable_status};
use super::lro::{FinalStateVia, LroOptions, Poller};
use super::paging;
use super::retry::{RetryPolicy, retry_after};

/// An Azure cloud: its Resource Manager endpoint and Azure AD scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum AzureCloud {
    /// Azure public cloud (`https://management.azure.com`).
    #[default]
    Public,
    /// Azure operated by 21Vianet in China (`https://management.chinacloudapi.cn`).
    China,
    /// Azure US Government (`https://management.usgovcloudapi.net`).
    UsGovernment,
}

impl AzureCloud {
    /// Resource Manager endpoint of this cloud.
    pub fn management_endpoint(self) -> &'static str {
        match self {
            Self::Public => "https://management.azure.com",
            Self::China => "https://management.chinacloudapi.cn",
            Self::UsGovernment => "https://management.usgovcloudapi.net",
        }
    }

    /// Azure AD scope of access tokens for Resource Manager in this cloud.
    pub fn management_scope(self) -> &'static str {
        match self {
            Self::Public => "https://management.azure.com/.default",
            Self::China => "https://management.chinacloudapi.cn/.default",
            Self::UsGovernment => "https://management.usgovcloudapi.net/.default",
        }
    }

    /// Suffix of container registry login servers in this cloud, with the leading dot.
    pub fn acr_login_server_suffix(self) -> &'static str {
        match self {
            Self::Public => ".azurecr.io",
            Self::China => ".azurecr.cn",
            Self::UsGovernment => ".azurecr.us",
        }
    }
}

/// Client for Azure Resource Manager, shared by every resource provider in this workspace.
///
/// Cheap to clone. Each request gets a fresh token from the credential (azure_identity
/// credentials cache tokens themselves), is retried by the [`RetryPolicy`], and runs in a
/// `tracing` span named `arm_request` with method, path, API version, attempt, status,
/// `x-ms-request-id` and `x-ms-correlation-request-id`. Bodies are never logged.
///
/// Paths are resource ids or action paths starting with `/subscriptions/` (see
/// [`ResourceId`](super::ResourceId)); the client appends `api-version`.
///
/// ```no_run
/// # async fn example() -> Result<(), acr_client::arm::ArmError> {
/// use std::sync::Arc;
/// use acr_client::arm::{ArmClient, ResourceId};
///
/// let credential = azure_identity::DeveloperToolsCredential::new(None).unwrap();
/// let arm = ArmClient::builder(credential).build()?;
/// let cluster = ResourceId::resource_group("00000000-0000-0000-0000-000000000000", "rg")?
///     .provider("Microsoft.ContainerService")?
///     .child("managedClusters", "aks-1")?;
/// let body: serde_json::Value = arm.get_json(cluster.as_str(), "2026-08-01").await?;
/// # let _ = body; Ok(()) }
/// ```
#[derive(Clone)]
pub struct ArmClient {
    inner: Arc<Inner>,
}

struct Inner {
    endpoint: Url,
    scope: String,
    credential: Arc<dyn TokenCredential>,
    http: reqwest::Client,
    retry: RetryPolicy,
    clock: Arc<dyn Clock>,
    lro: LroOptions,
}

impl fmt::Debug for ArmClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ArmClient")
            .field("endpoint", &self.inner.endpoint.as_str())
            .field("scope", &self.inner.scope)
            .field("retry", &self.inner.retry)
            .field("lro", &self.inner.lro)
            .finish_non_exhaustive()
    }
}

/// Builder for [`ArmClient`]; defaults to the public cloud.
pub struct ArmClientBuilder {
    endpoint: String,
    scope: String,
    credential: Arc<dyn TokenCredential>,
    http: Option<reqwest::Client>,
    retry: RetryPolicy,
    clock: Arc<dyn Clock>,
    lro: LroOptions,
}

impl fmt::Debug for ArmClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ArmClientBuilder")
            .field("endpoint", &self.endpoint)
            .field("scope", &self.scope)
            .field("retry", &self.retry)
            .field("lro", &self.lro)
            .finish_non_exhaustive()
    }
}

impl ArmClientBuilder {
    /// Uses the endpoint and scope of a sovereign or the public cloud.
    pub fn cloud(mut self, cloud: AzureCloud) -> Self {
        self.endpoint = cloud.management_endpoint().to_owned();
        self.scope = cloud.management_scope().to_owned();
        self
    }

    /// Sets the Resource Manager endpoint, such as `https://management.azure.com`.
    pub fn endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = endpoint.into();
        self
    }

    /// Sets the Azure AD scope requested from the credential.
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = scope.into();
        self
    }

    /// Uses the caller's HTTP client (proxies, CA bundles, timeouts).
    pub fn http_client(mut self, http: reqwest::Client) -> Self {
        self.http = Some(http);
        self
    }

    /// Sets the retry policy; the default is [`default_retry_policy`](crate::arm::default_retry_policy).
    pub fn retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Sets the clock used for backoff, polling and deadlines.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Sets the defaults for long-running operations.
    pub fn lro_options(mut self, lro: LroOptions) -> Self {
        self.lro = lro;
        self
    }

    /// Builds the client.
    ///
    /// # Errors
    /// [`ArmError::InvalidRequest`] when the endpoint is not an absolute `http` or `https`
    /// URL or the scope is empty; [`ArmError::Transport`] when the default HTTP client
    /// cannot be created.
    pub fn build(self) -> Result<ArmClient, ArmError> {
        let endpoint = parse_endpoint(&self.endpoint)?;
        self.retry
            .validate()
            .map_err(|error| ArmError::InvalidRequest {
                reason: error.to_string(),
            })?;
        if self.scope.trim().is_empty() {
            return Err(ArmError::InvalidRequest {
                reason: "the Azure AD scope must not be empty".to_owned(),
            });
        }
        let http = match self.http {
            Some(http) => http,
            None => reqwest::Client::builder()
                .build()
                .map_err(|source| ArmError::Transport {
                    method: Method::GET,
                    path: String::new(),
                    source,
                })?,
        };

        Ok(ArmClient {
            inner: Arc::new(Inner {
                endpoint,
                scope: self.scope,
                credential: self.credential,
                http,
                retry: self.retry,
                clock: self.clock,
                lro: self.lro,
            }),
        })
    }
}

fn parse_endpoint(endpoint: &str) -> Result<Url, ArmError> {
    let invalid = |rule: &str| ArmError::InvalidRequest {
        reason: format!("invalid ARM endpoint {endpoint:?}: {rule}"),
    };
    let mut url = Url::parse(endpoint).map_err(|_| invalid("it must be an absolute URL"))?;
    if !matches!(url.scheme(), "https" | "http") || url.host_str().is_none() {
        return Err(invalid("it must be an http or https URL with a host"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid("it must not have a query or fragment"));
    }
    let trimmed = url.path().trim_end_matches('/').to_owned();
    url.set_path(&trimmed);
    Ok(url)
}

/// A response from ARM with a success status.
#[derive(Debug, Clone)]
pub struct ArmResponse {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
    method: Method,
    path: String,
}

impl ArmResponse {
    /// Response status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// Response headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// Raw response body.
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// Value of `x-ms-request-id`.
    pub fn request_id(&self) -> Option<&str> {
        header(&self.headers, "x-ms-request-id")
    }

    /// Decodes the body as JSON.
    ///
    /// # Errors
    /// [`ArmError::Decode`] naming the request when the body does not match `T`.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, ArmError> {
        serde_json::from_slice(&self.body).map_err(|source| ArmError::Decode {
            method: self.method.clone(),
            path: self.path.clone(),
            status: self.status,
            request_id: self.request_id().map(str::to_owned),
            source,
        })
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|value| value.to_str().ok())
}

/// A request to ARM, built as data before it is sent.
#[derive(Debug, Clone)]
pub struct ArmRequest {
    method: Method,
    url: Url,
    body: Option<Bytes>,
    idempotent: bool,
}

impl ArmRequest {
    /// Request method.
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// Full request URL, including `api-version`.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// JSON body, if any.
    pub fn body(&self) -> Option<&Bytes> {
        self.body.as_ref()
    }

    /// Marks a request as safe to repeat. GET, HEAD, PUT and DELETE are by default;
    /// mark a POST only when the action has no side effects, such as `listCredentials`.
    pub fn idempotent(mut self, idempotent: bool) -> Self {
        self.idempotent = idempotent;
        self
    }
}

impl ArmClient {
    /// Starts building a client that authenticates with `credential`.
    ///
    /// Any azure_identity credential works: `ClientSecretCredential`,
    /// `ManagedIdentityCredential`, `WorkloadIdentityCredential` or `AzureCliCredential`
    /// (see the crate documentation for each).
    pub fn builder(credential: Arc<dyn TokenCredential>) -> ArmClientBuilder {
        ArmClientBuilder {
            endpoint: AzureCloud::Public.management_endpoint().to_owned(),
            scope: AzureCloud::Public.management_scope().to_owned(),
            credential,
            http: None,
            retry: super::retry::default_policy(),
            clock: Arc::new(SystemClock::new()),
            lro: LroOptions::default(),
        }
    }

    /// Resource Manager endpoint.
    pub fn endpoint(&self) -> &Url {
        &self.inner.endpoint
    }

    /// Azure AD scope requested for each request.
    pub fn scope(&self) -> &str {
        &self.inner.scope
    }

    /// Clock used for backoff, polling and deadlines.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.inner.clock
    }

    /// Defaults for long-running operations started by this client.
    pub fn lro_options(&self) -> &LroOptions {
        &self.inner.lro
    }

    /// HTTP client used for ARM requests, for callers that talk to other hosts with the
    /// same proxy and TLS settings.
    pub fn http_client(&self) -> &reqwest::Client {
        &self.inner.http
    }

    /// Credential used for ARM requests, for callers that need other Azure AD tokens.
    pub fn credential(&self) -> &Arc<dyn TokenCredential> {
        &self.inner.credential
    }

    /// Builds a request for `path` (starting with `/`) with `api-version` appended.
    ///
    /// # Errors
    /// [`ArmError::InvalidRequest`] when the path does not start with `/` or the body
    /// cannot be serialized.
    pub fn request<B: Serialize + ?Sized>(
        &self,
        method: Method,
        path: &str,
        api_version: &str,
        body: Option<&B>,
    ) -> Result<ArmRequest, ArmError> {
        if !path.starts_with('/') || path.contains(['?', '#']) {
            return Err(ArmError::InvalidRequest {
                reason: format!("ARM path {path:?} must start with '/' and have no query"),
            });
        }
        let mut url = self.inner.endpoint.clone();
        url.set_path(&format!(
            "{}{path}",
            self.inner.endpoint.path().trim_end_matches('/')
        ));
        url.query_pairs_mut()
            .append_pair("api-version", api_version);

        let body = body
            .map(|body| serde_json::to_vec(body).map(Bytes::from))
            .transpose()
            .map_err(|error| ArmError::InvalidRequest {
                reason: format!("failed to serialize the body for {path}: {error}"),
            })?;
        let idempotent = matches!(
            method,
            Method::GET | Method::HEAD | Method::PUT | Method::DELETE
        );
        Ok(ArmRequest {
            method,
            url,
            body,
            idempotent,
        })
    }

    /// Sends a request with retries and returns the success response.
    ///
    /// # Errors
    /// [`ArmError::Service`] for a non-success status, with the decoded ARM error;
    /// [`ArmError::Transport`] or [`ArmError::Credential`] when no response arrived.
    pub async fn send(&self, request: ArmRequest) -> Result<ArmResponse, ArmError> {
        self.check_same_origin(&request.url)?;
        let span = tracing::debug_span!(
            "arm_request",
            http.method = %request.method,
            path = request.url.path(),
            api_version = request_api_version(&request.url),
            attempt = tracing::field::Empty,
            status = tracing::field::Empty,
            request_id = tracing::field::Empty,
            correlation_id = tracing::field::Empty,
        );
        self.send_with_retries(request).instrument(span).await
    }

    async fn send_with_retries(&self, request: ArmRequest) -> Result<ArmResponse, ArmError> {
        let policy = &self.inner.retry;
        let clock = &self.inner.clock;
        let started = clock.elapsed();
        let mut attempt = 1;
        loop {
            let span = tracing::Span::current();
            span.record("attempt", attempt);

            let (retryable, requested_wait, outcome) = match self.send_once(&request).await {
                Ok(response) => {
                    span.record("status", response.status.as_u16());
                    if let Some(id) = header(&response.headers, "x-ms-request-id") {
                        span.record("request_id", id);
                    }
                    if let Some(id) = header(&response.headers, "x-ms-correlation-request-id") {
                        span.record("correlation_id", id);
                    }
                    if response.status.is_success() {
                        return Ok(response);
                    }
                    let retryable = request.idempotent && is_retryable_status(response.status);
                    let wait = retry_after(&response.headers, clock.now_utc());
                    (retryable, wait, service_error(response))
                }
                Err(error) => {
                    let retryable = match &error {
                        ArmError::Transport { source, .. } => source.is_connect(),
                        _ => false,
                    };
                    (retryable, None, error)
                }
            };

            if !retryable {
                return Err(outcome);
            }
            let waited = clock.elapsed().saturating_sub(started);
            let Some(wait) = policy.next_delay(attempt, waited, requested_wait) else {
                tracing::warn!(
                    attempt,
                    error = %outcome,
                    "not retrying ARM request: no attempt left, or the wait would exceed the \
                     retry budget"
                );
                return Err(outcome);
            };
            tracing::info!(
                attempt,
                wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                error = %outcome,
                "retrying ARM request"
            );
            clock.sleep(wait).await;
            attempt += 1;
        }
    }

    /// Sends one attempt; returns the response whatever its status.
    async fn send_once(&self, request: &ArmRequest) -> Result<ArmResponse, ArmError> {
        let token = self.token().await?;
        let mut bearer = HeaderValue::from_str(&format!("Bearer {}", token.expose_secret()))
            .map_err(|_| ArmError::InvalidRequest {
                reason: "the credential returned a token that is not a valid header value"
                    .to_owned(),
            })?;
        bearer.set_sensitive(true);

        let mut builder = self
            .inner
            .http
            .request(request.method.clone(), request.url.clone())
            .header(AUTHORIZATION, bearer)
            .header(ACCEPT, "application/json")
            .header("x-ms-client-request-id", uuid::Uuid::new_v4().to_string());
        if let Some(body) = &request.body {
            builder = builder
                .header(CONTENT_TYPE, "application/json")
                .body(body.clone());
        }

        let transport = |source| ArmError::Transport {
            method: request.method.clone(),
            path: request.url.path().to_owned(),
            source,
        };
        let response = builder.send().await.map_err(transport)?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.bytes().await.map_err(transport)?;
        Ok(ArmResponse {
            status,
            headers,
            body,
            method: request.method.clone(),
            path: request.url.path().to_owned(),
        })
    }

    async fn token(&self) -> Result<SecretString, ArmError> {
        let scope = self.inner.scope.as_str();
        let token = self
            .inner
            .credential
            .get_token(&[scope], None)
            .await
            .map_err(|source| ArmError::Credential {
                scope: scope.to_owned(),
                source,
            })?;
        Ok(SecretString::from(token.token.secret().to_owned()))
    }

    /// Rejects URLs from ARM responses (`nextLink`, `Location`, `Azure-AsyncOperation`)
    /// whose origin differs from the endpoint, so the bearer token never goes elsewhere.
    pub(crate) fn check_same_origin(&self, url: &Url) -> Result<(), ArmError> {
        if url.origin() == self.inner.endpoint.origin() {
            Ok(())
        } else {
            Err(ArmError::InvalidRequest {
                reason: format!(
                    "refusing to send the ARM token to {}, which is not the configured endpoint {}",
                    url.origin().ascii_serialization(),
                    self.inner.endpoint.origin().ascii_serialization()
                ),
            })
        }
    }

    /// Sends a GET to an absolute URL taken from an ARM response (poll or next-page link).
    pub(crate) async fn get_url(&self, url: Url) -> Result<ArmResponse, ArmError> {
        self.send(ArmRequest {
            method: Method::GET,
            url,
            body: None,
            idempotent: true,
        })
        .await
    }

    /// Reads a resource.
    ///
    /// # Errors
    /// See [`ArmClient::send`]; [`ArmError::Decode`] when the body does not match `T`.
    pub async fn get_json<T: DeserializeOwned>(
        &self,
        path: &str,
        api_version: &str,
    ) -> Result<T, ArmError> {
        let request = self.request::<()>(Method::GET, path, api_version, None)?;
        self.send(request).await?.json()
    }

    /// Reads a resource, returning `None` when ARM responds with 404.
    ///
    /// # Errors
    /// As [`ArmClient::get_json`], except for 404.
    pub async fn get_json_optional<T: DeserializeOwned>(
        &self,
        path: &str,
        api_version: &str,
    ) -> Result<Option<T>, ArmError> {
        match self.get_json(path, api_version).await {
            Ok(value) => Ok(Some(value)),
            Err(error) if error.is_not_found() => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// Sends a PUT and decodes the immediate response, without polling.
    ///
    /// # Errors
    /// See [`ArmClient::send`]; [`ArmError::Decode`] when the body does not match `T`.
    pub async fn put_json<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        path: &str,
        api_version: &str,
        body: &B,
    ) -> Result<T, ArmError> {
        let request = self.request(Method::PUT, path, api_version, Some(body))?;
        self.send(request).await?.json()
    }

    /// Sends a POST and decodes the response, without polling. POSTs are not retried
    /// after a response; use [`ArmClient::request`] with [`ArmRequest::idempotent`] for
    /// actions that are safe to repeat.
    ///
    /// # Errors
    /// See [`ArmClient::send`]; [`ArmError::Decode`] when the body does not match `T`.
    pub async fn post_json<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        path: &str,
        api_version: &str,
        body: Option<&B>,
    ) -> Result<T, ArmError> {
        let request = self.request(Method::POST, path, api_version, body)?;
        self.send(request).await?.json()
    }

    /// Sends a DELETE without polling; success is any 2xx status.
    ///
    /// # Errors
    /// See [`ArmClient::send`].
    pub async fn delete(&self, path: &str, api_version: &str) -> Result<(), ArmError> {
        let request = self.request::<()>(Method::DELETE, path, api_version, None)?;
        self.send(request).await.map(drop)
    }

    /// Starts a long-running PUT and returns its poller.
    ///
    /// # Errors
    /// Errors of the initial request, see [`ArmClient::send`].
    pub async fn begin_put<B: Serialize + ?Sized>(
        &self,
        path: &str,
        api_version: &str,
        body: &B,
        final_state_via: FinalStateVia,
    ) -> Result<Poller, ArmError> {
        let request = self.request(Method::PUT, path, api_version, Some(body))?;
        self.begin(request, final_state_via).await
    }

    /// Starts a long-running PATCH and returns its poller. PATCH is retried only after a
    /// connection error, when the request never reached ARM.
    ///
    /// # Errors
    /// Errors of the initial request, see [`ArmClient::send`].
    pub async fn begin_patch<B: Serialize + ?Sized>(
        &self,
        path: &str,
        api_version: &str,
        body: &B,
        final_state_via: FinalStateVia,
    ) -> Result<Poller, ArmError> {
        let request = self.request(Method::PATCH, path, api_version, Some(body))?;
        self.begin(request, final_state_via).await
    }

    /// Starts a long-running POST action and returns its poller. POST is retried only
    /// after a connection error, when the request never reached ARM.
    ///
    /// # Errors
    /// Errors of the initial request, see [`ArmClient::send`].
    pub async fn begin_post<B: Serialize + ?Sized>(
        &self,
        path: &str,
        api_version: &str,
        body: Option<&B>,
        final_state_via: FinalStateVia,
    ) -> Result<Poller, ArmError> {
        let request = self.request(Method::POST, path, api_version, body)?;
        self.begin(request, final_state_via).await
    }

    /// Starts a long-running DELETE and returns its poller.
    ///
    /// # Errors
    /// Errors of the initial request, see [`ArmClient::send`].
    pub async fn begin_delete(
        &self,
        path: &str,
        api_version: &str,
        final_state_via: FinalStateVia,
    ) -> Result<Poller, ArmError> {
        let request = self.request::<()>(Method::DELETE, path, api_version, None)?;
        self.begin(request, final_state_via).await
    }

    /// Sends the initial request of a long-running operation and returns its poller.
    ///
    /// # Errors
    /// Errors of the initial request, see [`ArmClient::send`].
    pub async fn begin(
        &self,
        request: ArmRequest,
        final_state_via: FinalStateVia,
    ) -> Result<Poller, ArmError> {
        let method = request.method.clone();
        let url = request.url.clone();
        let response = self.send(request).await?;
        Poller::from_initial(self.clone(), method, url, response, final_state_via)
    }

    /// Lists a collection lazily, following `nextLink` one page at a time.
    ///
    /// Each item is decoded from the page's `value` array. The stream ends after the page
    /// without `nextLink`; a `nextLink` on another host ends it with an error.
    pub fn list_json<T: DeserializeOwned + Send + 'static>(
        &self,
        path: &str,
        api_version: &str,
    ) -> impl futures_util::Stream<Item = Result<T, ArmError>> + Send + 'static + use<T> {
        paging::items(
            self.clone(),
            self.request::<()>(Method::GET, path, api_version, None),
        )
    }
}

fn request_api_version(url: &Url) -> String {
    url.query_pairs()
        .find(|(key, _)| key == "api-version")
        .map(|(_, value)| value.into_owned())
        .unwrap_or_default()
}

/// Turns a non-success response into [`ArmError::Service`].
pub(crate) fn service_error(response: ArmResponse) -> ArmError {
    ArmError::Service {
        detail: ArmErrorDetail::from_body(&response.body).map(Box::new),
        request_id: header(&response.headers, "x-ms-request-id").map(str::to_owned),
        correlation_id: header(&response.headers, "x-ms-correlation-request-id").map(str::to_owned),
        method: response.method,
        path: response.path,
        status: response.status,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct NoCredential;

    #[async_trait::async_trait]
    impl TokenCredential for NoCredential {
        async fn get_token(
            &self,
            _scopes: &[&str],
            _options: Option<azure_core::credentials::TokenRequestOptions<'_>>,
        ) -> azure_core::Result<azure_core::credentials::AccessToken> {
            unreachable!("request building must not fetch tokens")
        }
    }

    fn client(endpoint: &str) -> ArmClient {
        ArmClient::builder(Arc::new(NoCredential))
            .endpoint(endpoint)
            .build()
            .unwrap()
    }

    #[test]
    fn request_appends_api_version_and_body() {
        let arm = client("https://management.azure.com/");
        let body = serde_json::json!({"location": "westus"});

        let request = arm
            .request(
                Method::PUT,
                "/subscriptions/s/resourceGroups/rg",
                "2025-04-01",
                Some(&body),
            )
            .unwrap();

        assert_eq!(
            request.url().as_str(),
            "https://management.azure.com/subscriptions/s/resourceGroups/rg?api-version=2025-04-01"
        );
        assert_eq!(
            request.body().unwrap().as_ref(),
            br#"{"location":"westus"}"#
        );
        assert!(request.idempotent);
    }

    #[test]
    fn request_marks_post_and_patch_not_idempotent() {
        let arm = client("https://management.azure.com");

        let post = arm
            .request::<()>(Method::POST, "/subscriptions/s/x", "1", None)
            .unwrap();
        let patch = arm
            .request::<()>(Method::PATCH, "/subscriptions/s/x", "1", None)
            .unwrap();

        assert!(!post.idempotent);
        assert!(!patch.idempotent);
        assert!(post.idempotent(true).idempotent);
    }

    #[test]
    fn request_rejects_relative_path_and_query() {
        let arm = client("https://management.azure.com");

        assert!(
            arm.request::<()>(Method::GET, "subscriptions/s", "1", None)
                .is_err()
        );
        assert!(
            arm.request::<()>(Method::GET, "/subscriptions/s?x=1", "1", None)
                .is_err()
        );
    }

    #[test]
    fn builder_rejects_bad_endpoint_and_scope() {
        let builder = || ArmClient::builder(Arc::new(NoCredential));

        let error = builder()
            .endpoint("management.azure.com")
            .build()
            .unwrap_err();
        assert!(
            error.to_string().contains("management.azure.com"),
            "{error}"
        );
        assert!(builder().endpoint("ftp://x").build().is_err());
        assert!(builder().scope(" ").build().is_err());
        let error = builder()
            .retry_policy(RetryPolicy::default().with_max_attempts(0))
            .build()
            .unwrap_err();
        assert!(error.to_string().contains("max_attempts is 0"), "{error}");
    }

    #[test]
    fn sovereign_cloud_sets_endpoint_and_scope() {
        let arm = ArmClient::builder(Arc::new(NoCredential))
            .cloud(AzureCloud::China)
            .build()
            .unwrap();

        assert_eq!(
            arm.endpoint().as_str(),
            "https://management.chinacloudapi.cn/"
        );
        assert_eq!(arm.scope(), "https://management.chinacloudapi.cn/.default");
    }

    #[test]
    fn same_origin_check_rejects_other_hosts() {
        let arm = client("https://management.azure.com");

        assert!(
            arm.check_same_origin(&Url::parse("https://management.azure.com/x").unwrap())
                .is_ok()
        );
        let error = arm
            .check_same_origin(&Url::parse("https://evil.example/x").unwrap())
            .unwrap_err();
        assert!(
            error.to_string().contains("https://evil.example"),
            "{error}"
        );
    }
}

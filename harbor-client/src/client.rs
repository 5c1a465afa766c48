//! The Harbor client and the `execute_*` methods that generated operations call.

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use http::header::LOCATION;
use serde::de::DeserializeOwned;

use crate::RetryPolicy;
use crate::auth::Credentials;
use crate::builder::ClientBuilder;
use crate::error::Operation;
use crate::retry::SharedSleeper;
use crate::transport::header_str;
use crate::{Created, Error, Page, RawResponse, Request};

/// A Harbor API client. Cheap to clone; clones share connections.
///
/// `Debug` never shows the password or token.
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) http: reqwest::Client,
    /// Base URL with any path prefix and no trailing slash, for example `https://h/harbor`.
    pub(crate) base: url::Url,
    /// Precomputed `Authorization` header, marked sensitive.
    pub(crate) authorization: Option<http::HeaderValue>,
    /// Kept for `Debug` only, which redacts the secret.
    pub(crate) credentials: Option<Credentials>,
    pub(crate) accept_invalid_certs: bool,
    pub(crate) retry_policy: RetryPolicy,
    pub(crate) sleeper: SharedSleeper,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.base.as_str())
            .field("credentials", &self.inner.credentials)
            .field("accept_invalid_certs", &self.inner.accept_invalid_certs)
            .field("retry_policy", &self.inner.retry_policy)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Starts building a client for the Harbor at `base_url`, for example
    /// `https://harbor.example.test` or `https://example.test/harbor` behind a path prefix.
    ///
    /// The client adds `/api/v2.0` to every request path.
    ///
    /// ```no_run
    /// use harbor_client::{Client, Credentials};
    /// use secrecy::SecretString;
    ///
    /// # fn main() -> Result<(), harbor_client::Error> {
    /// let password = SecretString::from(std::env::var("HARBOR_PASSWORD").unwrap_or_default());
    /// let client = Client::builder("https://harbor.example.test")
    ///     .credentials(Credentials::basic("robot$library+ci", password))
    ///     .build()?;
    /// # drop(client);
    /// # Ok(())
    /// # }
    /// ```
    pub fn builder(base_url: impl Into<String>) -> ClientBuilder {
        ClientBuilder::new(base_url)
    }

    /// Reports whether this client skips TLS certificate verification.
    pub fn accepts_invalid_certs(&self) -> bool {
        self.inner.accept_invalid_certs
    }

    /// Sends `request` and decodes the JSON response body as `T`.
    ///
    /// Generated operations call the `execute_*` methods. They are public so a caller can send a
    /// hand-built [`Request`], for example for an endpoint that Harbor's swagger does not describe.
    ///
    /// # Errors
    ///
    /// [`Error::Status`] or [`Error::Csrf`] for a non-success status, [`Error::Transport`] when
    /// the request could not be sent or the body could not be read, [`Error::InvalidHeader`] for
    /// a header value that HTTP does not allow, and [`Error::Decode`] when the body is not the
    /// expected JSON.
    pub async fn execute_json<T: DeserializeOwned>(&self, request: Request) -> Result<T, Error> {
        let operation = Operation::of(&request);
        let (bytes, request_id) = self.send(request).await?.read_body(&operation).await?;
        decode_json(&bytes, operation, request_id)
    }

    /// Sends a list request and returns one page with `X-Total-Count` and the next `Link`.
    ///
    /// # Errors
    ///
    /// The same as [`Client::execute_json`].
    pub async fn execute_page<T: DeserializeOwned>(
        &self,
        request: Request,
    ) -> Result<Page<T>, Error> {
        let operation = Operation::of(&request);
        let sent = self.send(request).await?;
        let headers = sent.response.headers();
        let total =
            header_str(headers, "x-total-count").and_then(|value| value.trim().parse::<u64>().ok());
        let next = headers
            .get_all(http::header::LINK)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .find_map(crate::paging::parse_next_link);
        let (bytes, request_id) = sent.read_body(&operation).await?;
        // Harbor sends `null` instead of `[]` for some empty lists.
        let items: Option<Vec<T>> = decode_json(&bytes, operation, request_id)?;
        Ok(Page {
            items: items.unwrap_or_default(),
            total,
            next,
        })
    }

    /// Sends `request` and discards the response body.
    ///
    /// # Errors
    ///
    /// The same as [`Client::execute_json`], except [`Error::Decode`].
    pub async fn execute_empty(&self, request: Request) -> Result<(), Error> {
        self.send(request).await.map(|_| ())
    }

    /// Sends a create request and returns its `Location`.
    ///
    /// # Errors
    ///
    /// The same as [`Client::execute_json`], except [`Error::Decode`].
    pub async fn execute_created(&self, request: Request) -> Result<Created, Error> {
        let name_in_location = request
            .header_value("X-Resource-Name-In-Location")
            .is_some_and(|value| value.eq_ignore_ascii_case("true"));
        let sent = self.send(request).await?;
        let location = header_str(sent.response.headers(), LOCATION.as_str()).map(str::to_owned);
        Ok(Created {
            location,
            name_in_location,
        })
    }

    /// Sends a create request whose response may carry the new resource in its body, its id
    /// in `Location`, or both. Returns the decoded body, `None` when it is empty, and the
    /// [`Created`] with the `Location`.
    ///
    /// # Errors
    ///
    /// The same as [`Client::execute_json`].
    pub(crate) async fn execute_json_created<T: DeserializeOwned>(
        &self,
        request: Request,
    ) -> Result<(Option<T>, Created), Error> {
        let operation = Operation::of(&request);
        let name_in_location = request
            .header_value("X-Resource-Name-In-Location")
            .is_some_and(|value| value.eq_ignore_ascii_case("true"));
        let sent = self.send(request).await?;
        let location = header_str(sent.response.headers(), LOCATION.as_str()).map(str::to_owned);
        let (bytes, request_id) = sent.read_body(&operation).await?;
        let body = if bytes.iter().all(u8::is_ascii_whitespace) {
            None
        } else {
            Some(decode_json(&bytes, operation, request_id)?)
        };
        let created = Created {
            location,
            name_in_location,
        };
        Ok((body, created))
    }

    /// Sends `request` and returns the response body as text. Invalid UTF-8 becomes U+FFFD.
    ///
    /// # Errors
    ///
    /// The same as [`Client::execute_json`], except [`Error::Decode`].
    pub async fn execute_text(&self, request: Request) -> Result<String, Error> {
        let bytes = self.execute_bytes(request).await?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    /// Sends `request` and returns the last response whatever its status, with its headers and
    /// whole body.
    ///
    /// The request goes through the same URL building, headers, auth and retries as the other
    /// `execute_*` methods, but a non-success status is returned instead of turned into
    /// [`Error::Status`]. The contract suite uses it to read the status and headers of each
    /// operation. A caller can use it to inspect a response that the typed methods reject.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidHeader`] for a header value that HTTP does not allow, and
    /// [`Error::Transport`] when the request could not be sent or the body could not be read.
    pub async fn execute_raw(&self, request: Request) -> Result<RawResponse, Error> {
        self.send_raw(request).await
    }

    /// Sends `request` and returns the raw response body.
    ///
    /// # Errors
    ///
    /// The same as [`Client::execute_json`], except [`Error::Decode`].
    pub async fn execute_bytes(&self, request: Request) -> Result<Bytes, Error> {
        let operation = Operation::of(&request);
        let (bytes, _) = self.send(request).await?.read_body(&operation).await?;
        Ok(bytes)
    }
}

fn decode_json<T: DeserializeOwned>(
    bytes: &[u8],
    operation: Operation,
    request_id: String,
) -> Result<T, Error> {
    serde_json::from_slice(bytes).map_err(|error| Error::Decode {
        operation,
        request_id,
        source: Box::new(crate::error::DecodeError::describe::<T>(bytes, &error)),
    })
}

//! The Harbor client and its transport.

use std::sync::Arc;

use serde::de::DeserializeOwned;

use crate::request::Body;
use crate::{Error, Page, Request};

/// A Harbor API client. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    http: reqwest::Client,
    base: url::Url,
}

/// Response of a create operation that returns no body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Created {
    /// Value of the `Location` header, if Harbor sent one.
    pub location: Option<String>,
}

impl Client {
    /// Creates a client for the Harbor at `base` (for example `https://harbor.example.test`).
    pub fn new(base: url::Url) -> Self {
        Self {
            inner: Arc::new(Inner {
                http: reqwest::Client::new(),
                base,
            }),
        }
    }

    async fn send(&self, request: Request) -> Result<reqwest::Response, Error> {
        let operation_id = request.operation_id;
        let mut url = self.inner.base.clone();
        url.set_path(&format!(
            "{}/api/v2.0{}",
            url.path().trim_end_matches('/'),
            request.path
        ));
        if !request.query.is_empty() {
            url.query_pairs_mut().extend_pairs(request.query.iter());
        }
        let mut builder = self
            .inner
            .http
            .request(request.method, url)
            .header(http::header::ACCEPT, request.accept);
        for (name, value) in &request.headers {
            builder = builder.header(*name, value);
        }
        if let Body::Json(bytes) = request.body {
            builder = builder
                .header(http::header::CONTENT_TYPE, "application/json")
                .body(bytes);
        }
        let response = builder.send().await.map_err(|source| Error::Transport {
            operation_id,
            source,
        })?;
        if !response.status().is_success() {
            return Err(Error::Status {
                operation_id,
                status: response.status().as_u16(),
            });
        }
        Ok(response)
    }

    pub(crate) async fn execute_json<T: DeserializeOwned>(
        &self,
        request: Request,
    ) -> Result<T, Error> {
        let operation_id = request.operation_id;
        let response = self.send(request).await?;
        let bytes = response.bytes().await.map_err(|source| Error::Transport {
            operation_id,
            source,
        })?;
        serde_json::from_slice(&bytes).map_err(|source| Error::Decode {
            operation_id,
            source,
        })
    }

    pub(crate) async fn execute_page<T: DeserializeOwned>(
        &self,
        request: Request,
    ) -> Result<Page<T>, Error> {
        let items = self.execute_json(request).await?;
        Ok(Page {
            items,
            total: None,
            next: None,
        })
    }

    pub(crate) async fn execute_empty(&self, request: Request) -> Result<(), Error> {
        self.send(request).await.map(|_| ())
    }

    pub(crate) async fn execute_created(&self, request: Request) -> Result<Created, Error> {
        let response = self.send(request).await?;
        let location = response
            .headers()
            .get(http::header::LOCATION)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        Ok(Created { location })
    }

    pub(crate) async fn execute_text(&self, request: Request) -> Result<String, Error> {
        let operation_id = request.operation_id;
        let response = self.send(request).await?;
        response.text().await.map_err(|source| Error::Transport {
            operation_id,
            source,
        })
    }

    pub(crate) async fn execute_bytes(&self, request: Request) -> Result<bytes::Bytes, Error> {
        let operation_id = request.operation_id;
        let response = self.send(request).await?;
        response.bytes().await.map_err(|source| Error::Transport {
            operation_id,
            source,
        })
    }
}

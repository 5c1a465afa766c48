//! Repository and tag listing and manifest digests on an ACR login server.

use std::collections::VecDeque;

use futures_util::Stream;
use reqwest::Method;
use reqwest::header::{ACCEPT, HeaderMap, LINK};
use serde::Deserialize;
use url::Url;

use super::client::{DataPlaneClient, acr_error_code};
use crate::Error;
use crate::names::RepositoryName;

/// Media types sent in `Accept` for manifest requests: OCI and Docker, index and image.
pub const MANIFEST_ACCEPT: &str = "application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json";

/// Page size requested from the listing endpoints.
const PAGE_SIZE: &str = "100";

/// Token scope for listing repositories.
pub const CATALOG_SCOPE: &str = "registry:catalog:*";

/// Token scope for `actions` (such as `["pull", "push"]`) on `repository`.
pub fn repository_scope(repository: &RepositoryName, actions: &[&str]) -> String {
    format!("repository:{repository}:{}", actions.join(","))
}

/// A tag as the ACR listing returns it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TagAttributes {
    /// Tag name.
    pub name: String,
    /// Digest of the manifest the tag points at.
    #[serde(default)]
    pub digest: Option<String>,
    /// Creation time as ACR formats it.
    #[serde(default)]
    pub created_time: Option<String>,
    /// Last update time as ACR formats it.
    #[serde(default)]
    pub last_update_time: Option<String>,
}

#[derive(Deserialize)]
struct RepositoryPage {
    #[serde(default)]
    repositories: Vec<String>,
    #[serde(default)]
    link: Option<String>,
}

#[derive(Deserialize)]
struct TagPage {
    #[serde(default)]
    tags: Vec<TagAttributes>,
    #[serde(default)]
    link: Option<String>,
}

/// Reads the `rel="next"` target of a `Link` header, such as
/// `</acr/v1/_catalog?last=b&n=100>; rel="next"`.
fn next_link(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(LINK)?.to_str().ok()?;
    value.split(',').find_map(|part| {
        let (target, params) = part.split_once(';')?;
        params.contains("rel=\"next\"").then(|| {
            target
                .trim()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .to_owned()
        })
    })
}

impl DataPlaneClient {
    async fn get_page(
        &self,
        url: Url,
        scope: &str,
    ) -> Result<(bytes::Bytes, Option<String>), Error> {
        let operation = format!("GET {}", url.path());
        if url.origin() != self.inner.base.origin() {
            return Err(Error::InvalidResponse {
                operation,
                registry: self.inner.service.clone(),
                reason: format!(
                    "the next-page link points at another host: {}",
                    url.origin().ascii_serialization()
                ),
            });
        }
        let bearer = self.bearer(scope).await?;
        let response = self
            .send(&operation, self.authorized(Method::GET, url, bearer))
            .await?;
        let status = response.status();
        let link = next_link(response.headers());
        let request_id = request_id(response.headers());
        let body = response
            .bytes()
            .await
            .map_err(|source| self.transport(&operation, source))?;
        if !status.is_success() {
            return Err(Error::Registry {
                operation,
                registry: self.inner.service.clone(),
                status,
                code: acr_error_code(&body),
                request_id,
            });
        }
        Ok((body, link))
    }

    fn first_page(&self, path: &str) -> Url {
        let mut url = self.url(path);
        url.query_pairs_mut().append_pair("n", PAGE_SIZE);
        url
    }

    fn resolve(&self, link: &str) -> Result<Url, Error> {
        self.inner
            .base
            .join(link)
            .map_err(|_| Error::InvalidResponse {
                operation: "list".to_owned(),
                registry: self.inner.service.clone(),
                reason: format!("invalid next-page link {link:?}"),
            })
    }

    /// Lists repository names lazily, one page of up to 100 at a time.
    pub fn list_repositories(&self) -> impl Stream<Item = Result<String, Error>> + Send + 'static {
        let client = self.clone();
        let first = self.first_page("/acr/v1/_catalog");
        paged(first, move |url| {
            let client = client.clone();
            async move {
                let (body, link) = client.get_page(url, CATALOG_SCOPE).await?;
                let page: RepositoryPage = client.decode(&body, "GET /acr/v1/_catalog")?;
                let next = link
                    .or(page.link)
                    .map(|link| client.resolve(&link))
                    .transpose()?;
                Ok((page.repositories, next))
            }
        })
    }

    /// Lists the tags of `repository` lazily, one page of up to 100 at a time.
    pub fn list_tags(
        &self,
        repository: &RepositoryName,
    ) -> impl Stream<Item = Result<TagAttributes, Error>> + Send + 'static {
        let client = self.clone();
        let scope = repository_scope(repository, &["metadata_read"]);
        let path = format!("/acr/v1/{repository}/_tags");
        let first = self.first_page(&path);
        paged(first, move |url| {
            let client = client.clone();
            let scope = scope.clone();
            let operation = format!("GET {path}");
            async move {
                let (body, link) = client.get_page(url, &scope).await?;
                let page: TagPage = client.decode(&body, &operation)?;
                let next = link
                    .or(page.link)
                    .map(|link| client.resolve(&link))
                    .transpose()?;
                Ok((page.tags, next))
            }
        })
    }

    /// Reads the digest of `repository:reference` with a manifest HEAD
    /// (`Docker-Content-Digest`).
    ///
    /// # Errors
    /// [`Error::Registry`] for a non-success status (404 when the tag is unknown),
    /// [`Error::InvalidResponse`] without a digest header.
    pub async fn manifest_digest(
        &self,
        repository: &RepositoryName,
        reference: &str,
    ) -> Result<String, Error> {
        let path = format!("/v2/{repository}/manifests/{reference}");
        let operation = format!("HEAD {path}");
        let bearer = self
            .bearer(&repository_scope(repository, &["pull"]))
            .await?;
        let request = self
            .authorized(Method::HEAD, self.url(&path), bearer)
            .header(ACCEPT, MANIFEST_ACCEPT);
        let response = self.send(&operation, request).await?;
        if !response.status().is_success() {
            return Err(Error::Registry {
                operation,
                registry: self.inner.service.clone(),
                status: response.status(),
                code: None,
                request_id: request_id(response.headers()),
            });
        }
        digest_header(response.headers()).ok_or_else(|| Error::InvalidResponse {
            operation,
            registry: self.inner.service.clone(),
            reason: "the response has no Docker-Content-Digest header".to_owned(),
        })
    }

    fn decode<T: serde::de::DeserializeOwned>(
        &self,
        body: &[u8],
        operation: &str,
    ) -> Result<T, Error> {
        serde_json::from_slice(body).map_err(|error| Error::InvalidResponse {
            operation: operation.to_owned(),
            registry: self.inner.service.clone(),
            reason: format!("the body does not decode: {error}"),
        })
    }
}

pub(crate) fn digest_header(headers: &HeaderMap) -> Option<String> {
    headers
        .get("docker-content-digest")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
}

fn request_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get("x-ms-request-id")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
}

/// Streams items page by page; `fetch` returns one page's items and the next page URL.
fn paged<T, F, Fut>(first: Url, fetch: F) -> impl Stream<Item = Result<T, Error>> + Send + 'static
where
    T: Send + 'static,
    F: Fn(Url) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Result<(Vec<T>, Option<Url>), Error>> + Send,
{
    let state = (Some(first), VecDeque::<T>::new(), fetch);
    futures_util::stream::try_unfold(state, |(mut next, mut buffer, fetch)| async move {
        loop {
            if let Some(item) = buffer.pop_front() {
                return Ok(Some((item, (next, buffer, fetch))));
            }
            let Some(url) = next.take() else {
                return Ok(None);
            };
            let (items, following) = fetch(url).await?;
            buffer = items.into();
            next = following;
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn next_link_reads_rel_next() {
        let mut headers = HeaderMap::new();
        headers.insert(
            LINK,
            HeaderValue::from_static("</acr/v1/_catalog?last=b&n=100>; rel=\"next\""),
        );

        assert_eq!(
            next_link(&headers).as_deref(),
            Some("/acr/v1/_catalog?last=b&n=100")
        );
        assert_eq!(next_link(&HeaderMap::new()), None);
    }

    #[test]
    fn repository_scope_joins_actions() {
        let repository = RepositoryName::new("mirror/nginx").unwrap();

        assert_eq!(
            repository_scope(&repository, &["pull", "push"]),
            "repository:mirror/nginx:pull,push"
        );
    }
}

//! Tag lists and the repository catalog, paged with the `Link` header.

use futures_util::Stream;
use reqwest::header::LINK;
use reqwest::{Method, StatusCode};
use serde::Deserialize;
use url::Url;

use crate::auth::Scope;
use crate::client::{Request, expect_status};
use crate::{Error, RegistryClient, RepositoryName};

/// Page size requested with `n=`, the distribution default maximum.
pub const DEFAULT_PAGE_SIZE: u32 = 100;

/// One page of names and the URL of the next page.
#[derive(Debug, Clone)]
pub struct Page {
    /// Tags or repository names of this page.
    pub items: Vec<String>,
    /// The next page from the `Link: <…>; rel="next"` header, when there is one.
    pub next: Option<Url>,
}

#[derive(Deserialize)]
struct TagList {
    #[serde(default)]
    tags: Option<Vec<String>>,
}

#[derive(Deserialize)]
struct Catalog {
    #[serde(default)]
    repositories: Vec<String>,
}

/// Extracts the `rel="next"` target of a `Link` header, resolved against `base`.
pub fn next_link(base: &Url, header: &str) -> Option<Url> {
    header.split(',').find_map(|link| {
        let (target, params) = link.split_once(';')?;
        let is_next = params.split(';').any(|param| {
            param
                .trim()
                .replace(' ', "")
                .eq_ignore_ascii_case("rel=\"next\"")
                || param.trim().eq_ignore_ascii_case("rel=next")
        });
        if !is_next {
            return None;
        }
        let target = target.trim().strip_prefix('<')?.strip_suffix('>')?;
        base.join(target).ok()
    })
}

impl RegistryClient {
    /// Fetches one page of tags: the first page when `next` is `None`.
    ///
    /// # Errors
    ///
    /// [`Error::Status`] (404 when the repository does not exist), [`Error::InvalidResponse`]
    /// when the body is not a tag list.
    pub async fn list_tags_page(
        &self,
        repository: &RepositoryName,
        page_size: u32,
        next: Option<Url>,
    ) -> Result<Page, Error> {
        let url = next.unwrap_or_else(|| {
            let mut url = self.repository_url(repository, "tags/list");
            url.query_pairs_mut()
                .append_pair("n", &page_size.to_string());
            url
        });
        let (body, next) = self
            .get_page(url, vec![Scope::pull(repository.as_str())])
            .await?;
        let list: TagList = decode(&body, "tag list", repository.as_str())?;
        Ok(Page {
            items: list.tags.unwrap_or_default(),
            next,
        })
    }

    /// Fetches one page of the catalog: the first page when `next` is `None`.
    ///
    /// # Errors
    ///
    /// [`Error::Status`], [`Error::InvalidResponse`] when the body is not a catalog.
    pub async fn list_catalog_page(
        &self,
        page_size: u32,
        next: Option<Url>,
    ) -> Result<Page, Error> {
        let url = next.unwrap_or_else(|| {
            let mut url = self.base_url().clone();
            url.set_path("/v2/_catalog");
            url.query_pairs_mut()
                .append_pair("n", &page_size.to_string());
            url
        });
        let (body, next) = self.get_page(url, vec![Scope::Catalog]).await?;
        let catalog: Catalog = decode(&body, "catalog", self.registry())?;
        Ok(Page {
            items: catalog.repositories,
            next,
        })
    }

    /// Streams all tags of a repository page by page, fetching a page only when the previous one
    /// is consumed.
    pub fn list_tags(
        &self,
        repository: &RepositoryName,
    ) -> impl Stream<Item = Result<String, Error>> + Send + '_ {
        let repository = repository.clone();
        paged(move |next| {
            let repository = repository.clone();
            async move {
                self.list_tags_page(&repository, DEFAULT_PAGE_SIZE, next)
                    .await
            }
        })
    }

    /// Streams all repository names of the catalog page by page.
    pub fn list_catalog(&self) -> impl Stream<Item = Result<String, Error>> + Send + '_ {
        paged(move |next| self.list_catalog_page(DEFAULT_PAGE_SIZE, next))
    }

    async fn get_page(
        &self,
        url: Url,
        scopes: Vec<Scope>,
    ) -> Result<(bytes::Bytes, Option<Url>), Error> {
        let response = self
            .execute(Request::new(Method::GET, url.clone(), scopes))
            .await?;
        let response = expect_status(response, Method::GET, &url, &[StatusCode::OK]).await?;
        let next = response
            .headers()
            .get(LINK)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| next_link(&url, value));
        let body = response.bytes().await.map_err(|source| Error::Transport {
            method: "GET".to_owned(),
            url: crate::error::url_for_message(&url),
            source,
        })?;
        Ok((body, next))
    }
}

fn decode<T: serde::de::DeserializeOwned>(
    body: &[u8],
    what: &'static str,
    origin: &str,
) -> Result<T, Error> {
    serde_json::from_slice(body).map_err(|error| Error::InvalidResponse {
        what,
        origin: origin.to_owned(),
        reason: error.to_string(),
    })
}

fn paged<'a, F, Fut>(fetch: F) -> impl Stream<Item = Result<String, Error>> + Send + 'a
where
    F: Fn(Option<Url>) -> Fut + Send + 'a,
    Fut: std::future::Future<Output = Result<Page, Error>> + Send + 'a,
{
    enum State {
        Start,
        Next(Url),
        Done,
    }
    let pages =
        futures_util::stream::try_unfold((State::Start, fetch), |(state, fetch)| async move {
            let next = match state {
                State::Done => return Ok(None),
                State::Start => None,
                State::Next(url) => Some(url),
            };
            let page = fetch(next).await?;
            let state = match page.next {
                Some(url) => State::Next(url),
                None => State::Done,
            };
            Ok(Some((
                futures_util::stream::iter(page.items.into_iter().map(Ok)),
                (state, fetch),
            )))
        });
    futures_util::TryStreamExt::try_flatten(pages)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_link_relative_and_absolute() {
        let base = Url::parse("http://127.0.0.1:5000/v2/a/tags/list?n=2").unwrap();
        let next = next_link(&base, r#"</v2/a/tags/list?last=b&n=2>; rel="next""#).unwrap();
        assert_eq!(
            next.as_str(),
            "http://127.0.0.1:5000/v2/a/tags/list?last=b&n=2"
        );
        let absolute =
            next_link(&base, r#"<https://r.test/v2/_catalog?last=x>; rel=next"#).unwrap();
        assert_eq!(absolute.as_str(), "https://r.test/v2/_catalog?last=x");
        assert!(next_link(&base, r#"</v2/x>; rel="prev""#).is_none());
    }
}

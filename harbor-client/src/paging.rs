//! Paged list operations: one [`Page`] at a time, or every item as a lazy [`stream`].

use futures_util::Stream;
use serde::de::DeserializeOwned;

use crate::{Client, Error, Request};

/// Page size the stream requests when the caller set none. Harbor's maximum is 100.
pub const DEFAULT_PAGE_SIZE: i64 = 100;

/// Largest page size Harbor accepts; larger requests get `422`.
pub const MAX_PAGE_SIZE: i64 = 100;

/// One page of a list operation.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// Items of this page.
    pub items: Vec<T>,
    /// Total number of items, from `X-Total-Count`.
    pub total: Option<u64>,
    /// Path and query of the next page, from the `Link` header.
    pub next: Option<String>,
}

/// A list request that can be sent page by page.
pub trait PagedRequest: Clone + Send + Sync + 'static {
    /// Type of the listed items.
    type Item: DeserializeOwned + Send + 'static;

    /// Sets the page number (from 1) and page size.
    fn set_page(&mut self, page: i64, page_size: i64);

    /// Returns the page size the caller asked for, if any.
    fn page_size(&self) -> Option<i64>;

    /// Builds the request for the current page.
    ///
    /// # Errors
    ///
    /// Returns an error when an argument cannot be encoded.
    fn build(&self) -> Result<Request, Error>;
}

/// Lists every item of `request`, fetching one page at a time as the stream is polled.
///
/// The page size is the request's own, capped at [`MAX_PAGE_SIZE`], or [`DEFAULT_PAGE_SIZE`] when
/// unset. Pages are numbered from 1. The stream ends after an empty or short page, after a page
/// without a `Link` `rel="next"` when `X-Total-Count` shows all items were read, or on the first
/// error, which it yields as its last item. Only one page is held in memory.
pub fn stream<R: PagedRequest>(
    client: Client,
    request: R,
) -> impl Stream<Item = Result<R::Item, Error>> + Send {
    let cursor = Cursor {
        client,
        request,
        page: 1,
        fetched: 0,
        items: Vec::new().into_iter(),
        done: false,
    };
    futures_util::stream::unfold(cursor, |mut cursor| async move {
        loop {
            if let Some(item) = cursor.items.next() {
                return Some((Ok(item), cursor));
            }
            if cursor.done {
                return None;
            }
            if let Err(error) = cursor.fetch_next_page().await {
                cursor.done = true;
                return Some((Err(error), cursor));
            }
        }
    })
}

struct Cursor<R: PagedRequest> {
    client: Client,
    request: R,
    page: i64,
    fetched: u64,
    items: std::vec::IntoIter<R::Item>,
    done: bool,
}

impl<R: PagedRequest> Cursor<R> {
    async fn fetch_next_page(&mut self) -> Result<(), Error> {
        let page_size = effective_page_size(self.request.page_size())?;
        self.request.set_page(self.page, page_size);
        let request = self.request.build()?;
        let page: Page<R::Item> = self.client.execute_page(request).await?;

        let count = page.items.len() as u64;
        self.fetched += count;
        self.done = !has_more(&page, page_size, self.fetched);
        self.page += 1;
        self.items = page.items.into_iter();
        Ok(())
    }
}

/// Caps the caller's page size at [`MAX_PAGE_SIZE`] and rejects zero or negative sizes.
fn effective_page_size(requested: Option<i64>) -> Result<i64, Error> {
    match requested {
        None => Ok(DEFAULT_PAGE_SIZE),
        Some(size) if size < 1 => Err(Error::InvalidArgument {
            name: "page_size",
            value: size.to_string(),
            rule: "the page size must be at least 1".into(),
        }),
        Some(size) => Ok(size.min(MAX_PAGE_SIZE)),
    }
}

/// Decides whether another page may hold items, after `fetched` items in total.
fn has_more<T>(page: &Page<T>, page_size: i64, fetched: u64) -> bool {
    let full = i64::try_from(page.items.len()).is_ok_and(|len| len >= page_size);
    if !full {
        return false;
    }
    if page.next.is_some() {
        return true;
    }
    // Without a next link, trust the total when Harbor sent one. Without either header, ask for
    // the next page: an empty or short page then ends the stream.
    page.total.is_none_or(|total| fetched < total)
}

/// Returns the target of the `rel="next"` link in a `Link` header value (RFC 8288).
///
/// Harbor writes `</api/v2.0/...?page=1&page_size=10>; rel="prev" , </api/v2.0/...>; rel="next"`.
/// Link targets may contain `,` (Harbor copies the unescaped `q` into them), so the value is
/// split on `<...>` targets, not on commas.
pub(crate) fn parse_next_link(header: &str) -> Option<String> {
    let mut rest = header;
    loop {
        let start = rest.find('<')?;
        let end = start + rest[start..].find('>')?;
        let target = &rest[start + 1..end];
        let after = &rest[end + 1..];
        let params_end = after.find('<').unwrap_or(after.len());
        if params_are_next(&after[..params_end]) {
            return Some(target.to_owned());
        }
        rest = after;
    }
}

/// Reports whether link parameters such as `; rel="next"` contain the relation type `next`.
fn params_are_next(params: &str) -> bool {
    params.split(';').any(|param| {
        let Some((name, value)) = param.split_once('=') else {
            return false;
        };
        name.trim().eq_ignore_ascii_case("rel")
            && value
                .trim()
                .trim_end_matches(',')
                .trim()
                .trim_matches('"')
                .split_ascii_whitespace()
                .any(|relation| relation.eq_ignore_ascii_case("next"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_link_is_found() {
        let cases: &[(&str, Option<&str>)] = &[
            (
                r#"</api/v2.0/projects?page=1&page_size=10>; rel="prev" , </api/v2.0/projects?page=3&page_size=10>; rel="next""#,
                Some("/api/v2.0/projects?page=3&page_size=10"),
            ),
            (
                r#"</api/v2.0/projects?page=2&page_size=10>; rel="next""#,
                Some("/api/v2.0/projects?page=2&page_size=10"),
            ),
            (
                r#"</api/v2.0/projects?page=1&page_size=10>; rel="prev""#,
                None,
            ),
            (
                r#"</a?q=name=~x,tags=y&page=1>; rel="prev", </a?q=name=~x,tags=y&page=3>; rel=next"#,
                Some("/a?q=name=~x,tags=y&page=3"),
            ),
            (
                r#"<https://h/x?page=2>; title="n"; REL="last next""#,
                Some("https://h/x?page=2"),
            ),
            ("", None),
            ("garbage", None),
            ("<unterminated; rel=\"next\"", None),
        ];
        for (header, expected) in cases {
            assert_eq!(parse_next_link(header).as_deref(), *expected, "{header}");
        }
    }

    #[test]
    fn page_size_is_capped_and_defaulted() {
        assert_eq!(effective_page_size(None).unwrap(), 100);
        assert_eq!(effective_page_size(Some(500)).unwrap(), 100);
        assert_eq!(effective_page_size(Some(10)).unwrap(), 10);
        assert!(effective_page_size(Some(0)).is_err());
        assert!(effective_page_size(Some(-1)).is_err());
    }

    #[test]
    fn end_of_list_is_detected() {
        fn page(len: usize, total: Option<u64>, next: bool) -> Page<u8> {
            Page {
                items: vec![0; len],
                total,
                next: next.then(|| "/next".to_owned()),
            }
        }
        // (page, page size, fetched so far, expected "has more")
        let cases = [
            (page(10, Some(30), true), 10, 10, true),
            (page(10, Some(30), false), 10, 10, true),
            (page(10, Some(30), false), 10, 30, false),
            (page(10, None, true), 10, 10, true),
            (page(10, None, false), 10, 10, true),
            (page(5, Some(30), true), 10, 15, false),
            (page(0, Some(30), true), 10, 0, false),
        ];
        for (index, (page, size, fetched, expected)) in cases.into_iter().enumerate() {
            assert_eq!(has_more(&page, size, fetched), expected, "case {index}");
        }
    }
}

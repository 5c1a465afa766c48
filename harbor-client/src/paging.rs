//! Paged list operations.

use serde::de::DeserializeOwned;

use crate::{Error, Request};

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

//! Lazy listing of ARM collections that link pages with `nextLink`.

use std::collections::VecDeque;

use futures_util::Stream;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use url::Url;

use super::client::{ArmClient, ArmRequest};
use super::error::ArmError;

/// One page of an ARM collection.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Page<T> {
    /// Items of this page.
    #[serde(default = "Vec::new")]
    pub value: Vec<T>,
    /// Absolute URL of the next page, absent on the last page.
    #[serde(default)]
    pub next_link: Option<String>,
}

enum Next {
    First(ArmRequest),
    Link(Url),
    End,
}

struct State<T> {
    client: ArmClient,
    next: Next,
    buffer: VecDeque<T>,
}

/// Streams the items of every page, fetching a page only when the previous one is used up.
pub(crate) fn items<T: DeserializeOwned + Send + 'static>(
    client: ArmClient,
    first: Result<ArmRequest, ArmError>,
) -> impl Stream<Item = Result<T, ArmError>> + Send + 'static {
    let initial = first.map(|request| State {
        client,
        next: Next::First(request),
        buffer: VecDeque::new(),
    });

    futures_util::stream::try_unfold(Some(initial), |slot| async move {
        let mut state = match slot {
            Some(Ok(state)) => state,
            Some(Err(error)) => return Err(error),
            None => return Ok(None),
        };
        loop {
            if let Some(item) = state.buffer.pop_front() {
                return Ok(Some((item, Some(Ok(state)))));
            }
            let response = match std::mem::replace(&mut state.next, Next::End) {
                Next::End => return Ok(None),
                Next::First(request) => state.client.send(request).await?,
                Next::Link(url) => state.client.get_url(url).await?,
            };
            let page: Page<T> = response.json()?;
            state.next = match page.next_link.filter(|link| !link.is_empty()) {
                Some(link) => {
                    Next::Link(Url::parse(&link).map_err(|_| ArmError::InvalidRequest {
                        reason: format!("invalid nextLink {link:?} in a list response"),
                    })?)
                }
                None => Next::End,
            };
            state.buffer = page.value.into();
        }
    })
}

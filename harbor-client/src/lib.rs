//! A client for the Harbor v2.0 REST API.
//!
//! Every operation of Harbor's swagger is generated into [`generated`]; the hand-written modules
//! around it own the transport: base URL and API prefix, auth, TLS, retries, paging, path encoding
//! and errors.

mod auth;
mod builder;
mod client;
mod created;
mod error;
pub mod generated;
pub mod paging;
pub mod path;
mod project_ref;
pub mod query;
mod request;
mod retry;
pub mod tasks;
mod transport;

pub use auth::Credentials;
pub use builder::{ClientBuilder, DEFAULT_CONNECT_TIMEOUT, DEFAULT_REQUEST_TIMEOUT};
pub use client::Client;
pub use created::Created;
pub use error::{ApiError, Error, HarborError, Operation};
pub use paging::{Page, PagedRequest};
pub use project_ref::ProjectRef;
pub use request::{Body, Request};
pub use retry::{RetryPolicy, Sleeper};

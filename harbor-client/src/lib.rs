//! A client for the Harbor v2.0 REST API.
//!
//! Every operation of Harbor's swagger is generated into [`generated`]; the hand-written modules
//! around it own the transport: base URL and API prefix, auth, TLS, retries, paging, path encoding
//! and errors.

// The execute_* methods are called only by generated operations, which land next.
#[allow(dead_code)]
mod client;
mod error;
pub mod generated;
pub mod paging;
pub mod path;
mod project_ref;
pub mod query;
mod request;

pub use client::{Client, Created};
pub use error::Error;
pub use paging::Page;
pub use project_ref::ProjectRef;
pub use request::{Body, Request};

//! A client for the Harbor v2.0 REST API.
//!
//! Every operation of Harbor's swagger is generated into [`generated`]; the hand-written modules
//! around it own the transport: base URL and API prefix, auth, TLS, retries, paging, path encoding
//! and errors.
//!
//! ```no_run
//! use futures_util::StreamExt;
//! use harbor_client::query::Query;
//! use harbor_client::{Client, Credentials, ProjectRef};
//! use secrecy::SecretString;
//!
//! # async fn run() -> Result<(), harbor_client::Error> {
//! let password = SecretString::from(std::env::var("HARBOR_PASSWORD").unwrap_or_default());
//! let client = Client::builder("https://harbor.example.test")
//!     .credentials(Credentials::basic("robot$library+ci", password))
//!     .build()?;
//!
//! // A project named "2024" is sent with `X-Is-Resource-Name: true`, so Harbor does not read
//! // the name as an id.
//! let project = client.get_project(ProjectRef::name("2024")).send().await?;
//! println!("project id {:?}", project.project_id);
//!
//! // Repository names as Harbor lists them (`library/team/app`) are encoded for the path.
//! let tagged = Query::builder().exact("tags", "v1.0_rc").build()?;
//! let artifacts = client
//!     .list_artifacts("library", "library/team/app")
//!     .q(tagged)
//!     .with_scan_overview(true)
//!     .stream();
//! let mut artifacts = std::pin::pin!(artifacts);
//! while let Some(artifact) = artifacts.next().await {
//!     let artifact = artifact?;
//!     println!("{:?}", artifact.digest);
//! }
//!
//! match client.get_project(ProjectRef::name("missing")).send().await {
//!     Err(error) if error.is_not_found() => println!("no such project"),
//!     other => drop(other?),
//! }
//! # Ok(())
//! # }
//! ```

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
mod raw_response;
mod request;
mod retry;
pub mod tasks;
mod transport;

pub use auth::Credentials;
pub use builder::{ClientBuilder, DEFAULT_CONNECT_TIMEOUT, DEFAULT_REQUEST_TIMEOUT};
pub use client::Client;
pub use created::Created;
pub use error::{ApiError, DecodeError, Error, HarborError, Operation};
pub use http_retry::RetryPolicy;
pub use paging::{Page, PagedRequest};
pub use project_ref::ProjectRef;
pub use raw_response::RawResponse;
pub use request::{Body, Request};
pub use retry::Sleeper;

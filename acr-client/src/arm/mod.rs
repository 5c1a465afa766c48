//! Azure Resource Manager plumbing shared by every Azure crate in this workspace.
//!
//! - [`ArmClient`]: JSON requests with an Azure AD token from any
//!   [`TokenCredential`](azure_core::credentials::TokenCredential), `api-version` per call,
//!   retries ([`RetryPolicy`]) and one `tracing` span per request.
//! - [`ArmError`]: the decoded ARM error body (code, message, target, details) with
//!   `x-ms-request-id` and `x-ms-correlation-request-id`.
//! - [`Poller`]: long-running operations (`Azure-AsyncOperation`, `Location`,
//!   `provisioningState`) with `Retry-After` and a deadline ([`LroOptions`]).
//! - [`ArmClient::list_json`]: `nextLink` paging as a lazy `Stream`.
//! - [`ResourceId`]: resource ids and action paths built from escaped segments.
//! - [`Clock`]: the time source; [`VirtualClock`] makes retry and polling tests instant.

mod client;
mod clock;
mod error;
mod lro;
mod paging;
mod resource_id;
pub(crate) mod retry;

pub use client::{ArmClient, ArmClientBuilder, ArmRequest, ArmResponse, AzureCloud};
pub use clock::{BoxFuture, Clock, SystemClock, VirtualClock};
pub use error::{ArmError, ArmErrorDetail};
pub use lro::{FinalStateVia, LroOptions, LroResult, Poller};
pub use paging::Page;
pub use resource_id::ResourceId;
pub use retry::{RetryPolicy, default_policy as default_retry_policy};

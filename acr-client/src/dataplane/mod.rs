//! ACR data plane: token exchange, token cache, repository and tag listing, and
//! manifest digests.

mod catalog;
mod client;
mod source;
mod token_cache;
mod transport;

pub use catalog::{CATALOG_SCOPE, MANIFEST_ACCEPT, TagAttributes, repository_scope};
pub use client::{DATA_PLANE_API_VERSION, DataPlaneAuth, DataPlaneClient, DataPlaneClientBuilder};
pub use source::{RegistryCredentials, resolve_manifest_digest};

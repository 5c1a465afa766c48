//! Client-side image copy between OCI registries and OCI image layout directories.
//!
//! The crate implements the OCI distribution API on [`oci_spec`] types. It covers
//! authentication challenges (anonymous, Basic, bearer tokens with scopes, refresh tokens) and
//! manifests of every Docker v2 and OCI type. It also covers blobs (existence check, verified
//! streaming download, monolithic and chunked upload, cross-repository mount), and tags and
//! catalog with `Link` paging.
//!
//! A [`Copier`] copies an image or a whole index: existing blobs are skipped, blobs already in
//! the destination registry are mounted, other blobs are streamed without being held in memory
//! and verified against their digest, and manifests are pushed last.
//!
//! ```no_run
//! use oci_transfer::{BasicCredentials, Copier, CopyOptions, Endpoint, RegistryClient};
//! use secrecy::SecretString;
//!
//! # async fn run() -> Result<(), oci_transfer::Error> {
//! let harbor = RegistryClient::builder("https://harbor.internal.example")
//!     .credentials(BasicCredentials::new("robot$mirror", SecretString::from("from a vault")))
//!     .build()?;
//! let acr = RegistryClient::builder("https://example.azurecr.io").build()?;
//! let copier = Copier::new(CopyOptions::default())?;
//! let report = copier
//!     .copy(
//!         &Endpoint::registry(&harbor, "library/nginx", "1.27")?,
//!         &Endpoint::registry(&acr, "mirror/nginx", "1.27")?,
//!     )
//!     .await?;
//! println!("pushed {} ({} blobs copied, {} mounted)", report.digest, report.blobs_copied, report.blobs_mounted);
//! # Ok(())
//! # }
//! ```

pub mod auth;
pub mod blob;
pub mod catalog;
mod client;
pub mod copy;
mod digest;
mod error;
pub mod layout;
pub mod location;
pub mod manifest;
pub mod progress;
pub mod range;
mod reference;
pub mod retry;

pub use auth::{
    AcrRefreshToken, Anonymous, BasicCredentials, Credential, CredentialProvider, HarborRobot,
};
pub use client::{RegistryClient, RegistryClientBuilder, UploadMode};
pub use copy::{
    BlobLocations, Copier, CopyOptions, CopyReport, Endpoint, PlatformSelection, PlatformSpec,
};
pub use digest::sha256_digest;
pub use error::Error;
pub use layout::OciLayout;
pub use manifest::{Manifest, ManifestKind};
pub use progress::{ProgressEvent, ProgressSink};
pub use reference::{ManifestReference, RepositoryName};
pub use retry::RetryPolicy;

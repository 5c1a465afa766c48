//! Azure Container Registry (ACR) on `azure_core` 1.x: registries, `importImage`, scope
//! maps and tokens through Azure Resource Manager, and the ACR data-plane token exchange.
//!
//! The [`arm`] module is the reusable Resource Manager plumbing (authentication, retries,
//! error decoding, long-running operations, paging) that other Azure crates build on.
//!
//! # Example
//!
//! Create a push scope map and a token for a mirror repository, give the token a password
//! and import an image from Harbor with digest pinning:
//!
//! ```no_run
//! use std::sync::Arc;
//!
//! use acr_client::arm::ArmClient;
//! use acr_client::{
//!     AcrManagementClient, ImportImage, PasswordName, RegistryName, RepositoryName,
//!     ScopeMapAction, ScopeMapName, TokenName,
//! };
//! use secrecy::SecretString;
//!
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! let credential = azure_identity::AzureCliCredential::new(None)?;
//! let arm = ArmClient::builder(credential).build()?;
//! let acr = AcrManagementClient::new(arm, "00000000-0000-0000-0000-000000000000", "rg")?;
//!
//! let registry = RegistryName::new("exampleacr")?;
//! let scope_map = ScopeMapName::new("harbor-push-scope-map")?;
//! let token = TokenName::new("harbor-push")?;
//! let repository = RepositoryName::new("mirror/nginx")?;
//!
//! acr.ensure_scope_map(&registry, &scope_map, None, &ScopeMapAction::for_mirror_target(&repository))
//!     .await?;
//! acr.ensure_token(&registry, &token, &scope_map).await?;
//! let expiry = time::OffsetDateTime::now_utc() + time::Duration::days(30);
//! let credentials = acr
//!     .generate_token_password(&registry, &token, PasswordName::Password1, Some(expiry))
//!     .await?;
//! # let _ = credentials;
//!
//! let import = ImportImage::builder("library/nginx:1.25.3")
//!     .registry_uri("https://harbor.example.test:8443/")
//!     .credentials("robot$library+acr-import", SecretString::from("from a secret store"))
//!     .target_tag("mirror/nginx:1.25.3")
//!     .pin_digest(true)
//!     .build()?;
//! let result = acr.import_image(&registry, &import).await?;
//! println!("imported {} ({:?})", result.source_image, result.digest);
//! # Ok(()) }
//! ```
//!
//! # Credentials
//!
//! Any [`TokenCredential`](azure_core::credentials::TokenCredential) works. The
//! `azure_identity` crate provides these, among others:
//!
//! ```no_run
//! # fn credentials() -> azure_core::Result<()> {
//! use azure_identity::{
//!     AzureCliCredential, ClientSecretCredential, ManagedIdentityCredential,
//!     ManagedIdentityCredentialOptions, UserAssignedId, WorkloadIdentityCredential,
//! };
//!
//! // A service principal with a client secret.
//! let secret = std::env::var("AZURE_CLIENT_SECRET").unwrap_or_default();
//! let service_principal = ClientSecretCredential::new(
//!     "00000000-0000-0000-0000-000000000000",
//!     "11111111-1111-1111-1111-111111111111".to_owned(),
//!     secret.into(),
//!     None,
//! )?;
//!
//! // The managed identity of a VM, App Service or AKS node pool; `None` selects the
//! // system-assigned identity.
//! let managed = ManagedIdentityCredential::new(Some(ManagedIdentityCredentialOptions {
//!     user_assigned_id: Some(UserAssignedId::ClientId(
//!         "22222222-2222-2222-2222-222222222222".to_owned(),
//!     )),
//!     ..Default::default()
//! }))?;
//!
//! // AKS workload identity: reads AZURE_TENANT_ID, AZURE_CLIENT_ID and
//! // AZURE_FEDERATED_TOKEN_FILE set by the workload identity webhook.
//! let workload = WorkloadIdentityCredential::new(None)?;
//!
//! // The account logged in with `az login`, for local development.
//! let cli = AzureCliCredential::new(None)?;
//! # let _ = (service_principal, managed, workload, cli); Ok(()) }
//! ```
//!
//! For a sovereign cloud, set both the ARM endpoint and scope with
//! [`ArmClientBuilder::cloud`](arm::ArmClientBuilder::cloud) (or `endpoint` and `scope`),
//! and the login server suffix with [`AcrManagementClient::with_cloud`].

pub mod arm;
pub mod dataplane;
mod error;
mod import;
mod management;
mod names;
mod registry;
mod scope_map;
mod token;

pub use error::{Ensured, Error};
pub use import::{
    ACR_AUDIENCE_SCOPE, ImageName, ImageReference, ImportImage, ImportImageBuilder, ImportMode,
    ImportResult,
};
pub use management::{API_VERSION, AcrManagementClient};
pub use names::{RegistryName, RepositoryName, ScopeMapName, TokenName};
pub use registry::{
    AdminCredentials, NameAvailability, NamedPassword, Registry, RegistryCreate,
    RegistryProperties, Sku, SkuName, ZoneRedundancy,
};
pub use scope_map::{
    RepositoryAction, RepositoryPermission, SYSTEM_SCOPE_MAPS, ScopeMap, ScopeMapAction,
    ScopeMapProperties, merge_actions, remove_actions, system_scope_map_covering,
};
pub use token::{
    GeneratedCredentials, PasswordName, PasswordSelection, RotatedCredentials, Token,
    TokenCertificate, TokenCertificateInput, TokenCredentialsInfo, TokenPassword, TokenProperties,
    TokenStatus, TokenWrite,
};

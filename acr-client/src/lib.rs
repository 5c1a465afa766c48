//! Azure Container Registry management and data-plane authentication.

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
    ImageName, ImageReference, ImportImage, ImportImageBuilder, ImportMode, ImportResult,
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
    GeneratedCredentials, PasswordName, RotatedCredentials, Token, TokenCertificate,
    TokenCertificateInput, TokenCredentialsInfo, TokenPassword, TokenProperties, TokenStatus,
    TokenWrite,
};

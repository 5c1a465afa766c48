//! [`AcrManagementClient`]: container registries in one resource group.

use url::Url;

use crate::Error;
use crate::arm::{ArmClient, AzureCloud, ResourceId};
use crate::names::{RegistryName, ScopeMapName, TokenName};

/// API version of `Microsoft.ContainerRegistry` used for every management request.
pub const API_VERSION: &str = "2025-04-01";

const PROVIDER: &str = "Microsoft.ContainerRegistry";

/// Client for container registries, scope maps, tokens and imports in one resource group.
///
/// Cheap to clone. Registry operations live in `registry.rs`, imports in `import.rs`,
/// scope maps in `scope_map.rs` and tokens in `token.rs`, each as methods on this type.
#[derive(Debug, Clone)]
pub struct AcrManagementClient {
    arm: ArmClient,
    subscription_id: String,
    resource_group: String,
    cloud: AzureCloud,
    data_plane_endpoint: Option<Url>,
    http: reqwest::Client,
}

impl AcrManagementClient {
    /// Creates a client for registries in `resource_group` of `subscription_id`.
    ///
    /// # Errors
    /// [`Error::Arm`] when the subscription id or resource group is empty or contains `/`.
    pub fn new(arm: ArmClient, subscription_id: &str, resource_group: &str) -> Result<Self, Error> {
        ResourceId::resource_group(subscription_id, resource_group)?;
        Ok(Self {
            http: arm.http_client().clone(),
            arm,
            subscription_id: subscription_id.to_owned(),
            resource_group: resource_group.to_owned(),
            cloud: AzureCloud::Public,
            data_plane_endpoint: None,
        })
    }

    /// Sets the cloud whose login server suffix is used for data-plane requests.
    /// Default [`AzureCloud::Public`]; set it together with the ARM client's cloud.
    pub fn with_cloud(mut self, cloud: AzureCloud) -> Self {
        self.cloud = cloud;
        self
    }

    /// Sends data-plane requests (token exchanges and digest checks) to `endpoint` instead of
    /// `https://{login server}`, for example through a private endpoint or a proxy. Data-plane
    /// clients return it from [`endpoint`](crate::dataplane::DataPlaneClient::endpoint), so
    /// registry clients built on them use it too.
    pub fn with_data_plane_endpoint(mut self, endpoint: Url) -> Self {
        self.data_plane_endpoint = Some(endpoint);
        self
    }

    /// Returns the ARM client.
    pub fn arm(&self) -> &ArmClient {
        &self.arm
    }

    /// Subscription id.
    pub fn subscription_id(&self) -> &str {
        &self.subscription_id
    }

    /// Resource group.
    pub fn resource_group(&self) -> &str {
        &self.resource_group
    }

    /// Cloud used for login servers.
    pub fn cloud(&self) -> AzureCloud {
        self.cloud
    }

    /// Sets the HTTP client for requests outside ARM: login servers (digest checks after
    /// an import) and source registries (digest pinning). Default: the [`ArmClient`]'s
    /// HTTP client.
    pub fn with_http_client(mut self, http: reqwest::Client) -> Self {
        self.http = http;
        self
    }

    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.http
    }

    pub(crate) fn data_plane_endpoint(&self) -> Option<&Url> {
        self.data_plane_endpoint.as_ref()
    }

    /// Resource id of a registry in this resource group.
    ///
    /// # Errors
    /// Never for validated names; the `Result` comes from [`ResourceId`].
    pub fn registry_id(&self, registry: &RegistryName) -> Result<ResourceId, Error> {
        Ok(self
            .registries_provider()?
            .child("registries", registry.as_str())?)
    }

    /// Resource id of a scope map.
    ///
    /// # Errors
    /// Never for validated names; the `Result` comes from [`ResourceId`].
    pub fn scope_map_id(
        &self,
        registry: &RegistryName,
        scope_map: &ScopeMapName,
    ) -> Result<ResourceId, Error> {
        Ok(self
            .registry_id(registry)?
            .child("scopeMaps", scope_map.as_str())?)
    }

    /// Resource id of a token.
    ///
    /// # Errors
    /// Never for validated names; the `Result` comes from [`ResourceId`].
    pub fn token_id(
        &self,
        registry: &RegistryName,
        token: &TokenName,
    ) -> Result<ResourceId, Error> {
        Ok(self
            .registry_id(registry)?
            .child("tokens", token.as_str())?)
    }

    pub(crate) fn registries_provider(&self) -> Result<ResourceId, Error> {
        Ok(
            ResourceId::resource_group(&self.subscription_id, &self.resource_group)?
                .provider(PROVIDER)?,
        )
    }

    pub(crate) fn subscription_provider(&self) -> Result<ResourceId, Error> {
        Ok(ResourceId::subscription(&self.subscription_id)?.provider(PROVIDER)?)
    }
}

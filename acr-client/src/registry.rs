//! Registries: create, get, list, delete, name availability and admin credentials.

use std::collections::BTreeMap;

use futures_util::{Stream, TryStreamExt};
use reqwest::Method;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use crate::Error;
use crate::arm::FinalStateVia;
use crate::error::Ensured;
use crate::management::{API_VERSION, AcrManagementClient};
use crate::names::RegistryName;

/// Registry SKU.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum SkuName {
    /// Basic tier.
    Basic,
    /// Standard tier.
    Standard,
    /// Premium tier: geo-replication, private endpoints, zone redundancy everywhere.
    Premium,
    /// A tier this crate does not know.
    #[serde(untagged)]
    Other(String),
}

/// Zone redundancy setting of a registry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum ZoneRedundancy {
    /// Replicated across availability zones.
    Enabled,
    /// Not zone redundant.
    Disabled,
    /// A value this crate does not know.
    #[serde(untagged)]
    Other(String),
}

/// Parameters of a new registry.
///
/// The admin user is off unless [`RegistryCreate::admin_user_enabled`] turns it on,
/// because tokens and Azure AD identities are the safer way to log in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryCreate {
    /// Azure region, such as `westus`.
    pub location: String,
    /// SKU.
    pub sku: SkuName,
    /// Resource tags.
    pub tags: BTreeMap<String, String>,
    /// Whether the admin user is enabled. Default `false`.
    pub admin_user_enabled: bool,
    /// Zone redundancy; `None` leaves the service default.
    pub zone_redundancy: Option<ZoneRedundancy>,
}

impl RegistryCreate {
    /// Parameters with no tags, admin user off and the default zone redundancy.
    pub fn new(location: impl Into<String>, sku: SkuName) -> Self {
        Self {
            location: location.into(),
            sku,
            tags: BTreeMap::new(),
            admin_user_enabled: false,
            zone_redundancy: None,
        }
    }

    fn body(&self) -> serde_json::Value {
        let mut properties = serde_json::json!({ "adminUserEnabled": self.admin_user_enabled });
        if let Some(zone_redundancy) = &self.zone_redundancy {
            properties["zoneRedundancy"] = serde_json::json!(zone_redundancy);
        }
        let mut body = serde_json::json!({
            "location": self.location,
            "sku": { "name": self.sku },
            "properties": properties,
        });
        if !self.tags.is_empty() {
            body["tags"] = serde_json::json!(self.tags);
        }
        body
    }
}

/// A registry as ARM returns it. Unknown fields are ignored.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Registry {
    /// Resource id.
    pub id: String,
    /// Registry name.
    pub name: String,
    /// Azure region.
    #[serde(default)]
    pub location: String,
    /// Resource tags.
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    /// SKU.
    pub sku: Sku,
    /// Registry properties.
    #[serde(default)]
    pub properties: RegistryProperties,
}

/// SKU of a registry.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Sku {
    /// SKU name.
    pub name: SkuName,
    /// SKU tier.
    #[serde(default)]
    pub tier: Option<String>,
}

/// Properties of a registry.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegistryProperties {
    /// Host name used by Docker and OCI clients, such as `exampleacr.azurecr.io`.
    #[serde(default)]
    pub login_server: Option<String>,
    /// Creation time as ARM formats it.
    #[serde(default)]
    pub creation_date: Option<String>,
    /// Provisioning state, such as `Succeeded` or `Creating`.
    #[serde(default)]
    pub provisioning_state: Option<String>,
    /// Whether the admin user is enabled.
    #[serde(default)]
    pub admin_user_enabled: bool,
    /// Zone redundancy.
    #[serde(default)]
    pub zone_redundancy: Option<ZoneRedundancy>,
    /// Public network access, `Enabled` or `Disabled`.
    #[serde(default)]
    pub public_network_access: Option<String>,
    /// Whether anonymous pull is enabled.
    #[serde(default)]
    pub anonymous_pull_enabled: bool,
    /// Whether dedicated data endpoints are enabled.
    #[serde(default)]
    pub data_endpoint_enabled: bool,
    /// Policies (quarantine, trust, retention, export, ...) as ARM returns them.
    #[serde(default)]
    pub policies: Option<serde_json::Value>,
}

/// Result of a registry name availability check.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NameAvailability {
    /// Whether the name can be used.
    pub name_available: bool,
    /// Reason the name is taken, such as `AlreadyExists`.
    #[serde(default)]
    pub reason: Option<String>,
    /// Explanation from the service.
    #[serde(default)]
    pub message: Option<String>,
}

/// Admin user credentials of a registry; `Debug` redacts the passwords.
#[derive(Debug, Clone, Deserialize)]
pub struct AdminCredentials {
    /// Admin username, the registry name.
    pub username: String,
    /// The two admin passwords (`password` and `password2`).
    #[serde(default)]
    pub passwords: Vec<NamedPassword>,
}

/// A named password; `Debug` prints `[REDACTED]` in place of the value.
#[derive(Debug, Clone, Deserialize)]
pub struct NamedPassword {
    /// Password name, such as `password` or `password2`.
    pub name: String,
    /// Password value.
    pub value: SecretString,
}

impl AcrManagementClient {
    /// Creates a registry or replaces its settings, and waits until ARM reports it ready.
    ///
    /// # Errors
    /// [`Error::Arm`] for ARM errors, such as a name already used anywhere in Azure (see
    /// [`AcrManagementClient::check_registry_name`]). [`Error::Timeout`] when
    /// provisioning outlasts the deadline.
    pub async fn create_registry(
        &self,
        registry: &RegistryName,
        parameters: &RegistryCreate,
    ) -> Result<Registry, Error> {
        let id = self.registry_id(registry)?;
        let poller = self
            .arm()
            .begin_put(
                id.as_str(),
                API_VERSION,
                &parameters.body(),
                FinalStateVia::AzureAsyncOperation,
            )
            .await?;
        Ok(poller.wait_json().await?)
    }

    /// Creates a registry, or brings the SKU, admin user and tags of an existing one in
    /// line with `parameters` by a PATCH. Tags not in `parameters` stay.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when the existing registry is in another location or has
    /// another zone redundancy, because ARM cannot change either after creation;
    /// otherwise as [`AcrManagementClient::create_registry`].
    pub async fn ensure_registry(
        &self,
        registry: &RegistryName,
        parameters: &RegistryCreate,
    ) -> Result<Ensured<Registry>, Error> {
        let id = self.registry_id(registry)?;
        let current: Option<Registry> = self
            .arm()
            .get_json_optional(id.as_str(), API_VERSION)
            .await?;
        let Some(current) = current else {
            let created = self.create_registry(registry, parameters).await?;
            return Ok(Ensured::Created(created));
        };

        if !current.location.eq_ignore_ascii_case(&parameters.location) {
            return Err(Error::InvalidInput {
                field: "location",
                reason: format!(
                    "registry {registry} exists in {} and cannot move to {}; delete it first or keep its location",
                    current.location, parameters.location
                ),
            });
        }
        if let Some(zone_redundancy) = &parameters.zone_redundancy
            && current.properties.zone_redundancy.as_ref() != Some(zone_redundancy)
        {
            return Err(Error::InvalidInput {
                field: "zone_redundancy",
                reason: format!(
                    "registry {registry} has zone redundancy {:?}, which cannot change after creation",
                    current.properties.zone_redundancy
                ),
            });
        }

        let missing_tags: BTreeMap<&String, &String> = parameters
            .tags
            .iter()
            .filter(|(key, value)| current.tags.get(*key) != Some(*value))
            .collect();
        let same_sku = current.sku.name == parameters.sku;
        let same_admin = current.properties.admin_user_enabled == parameters.admin_user_enabled;
        if same_sku && same_admin && missing_tags.is_empty() {
            return Ok(Ensured::Unchanged(current));
        }

        let mut tags = current.tags.clone();
        tags.extend(parameters.tags.clone());
        let body = serde_json::json!({
            "sku": { "name": parameters.sku },
            "tags": tags,
            "properties": { "adminUserEnabled": parameters.admin_user_enabled },
        });
        let updated = self
            .arm()
            .begin_patch(
                id.as_str(),
                API_VERSION,
                &body,
                FinalStateVia::AzureAsyncOperation,
            )
            .await?
            .wait_json()
            .await?;
        Ok(Ensured::Updated(updated))
    }

    /// Reads a registry.
    ///
    /// # Errors
    /// [`Error::Arm`]; [`Error::is_not_found`] is true when it does not exist.
    pub async fn get_registry(&self, registry: &RegistryName) -> Result<Registry, Error> {
        let id = self.registry_id(registry)?;
        Ok(self.arm().get_json(id.as_str(), API_VERSION).await?)
    }

    /// Lists the registries of the resource group lazily.
    pub fn list_registries(&self) -> impl Stream<Item = Result<Registry, Error>> + Send + 'static {
        let path = self
            .registries_provider()
            .and_then(|provider| Ok(provider.action("registries")?));
        self.list_path(path)
    }

    /// Lists the registries of the whole subscription lazily.
    pub fn list_registries_in_subscription(
        &self,
    ) -> impl Stream<Item = Result<Registry, Error>> + Send + 'static {
        let path = self
            .subscription_provider()
            .and_then(|provider| Ok(provider.action("registries")?));
        self.list_path(path)
    }

    pub(crate) fn list_path<T: serde::de::DeserializeOwned + Send + 'static>(
        &self,
        path: Result<String, Error>,
    ) -> impl Stream<Item = Result<T, Error>> + Send + 'static {
        let arm = self.arm().clone();
        futures_util::stream::once(async move { path })
            .map_ok(move |path| arm.list_json::<T>(&path, API_VERSION).map_err(Error::from))
            .try_flatten()
    }

    /// Deletes a registry and waits until ARM reports it gone.
    ///
    /// # Errors
    /// [`Error::Arm`] or [`Error::Timeout`].
    pub async fn delete_registry(&self, registry: &RegistryName) -> Result<(), Error> {
        let id = self.registry_id(registry)?;
        self.arm()
            .begin_delete(id.as_str(), API_VERSION, FinalStateVia::Location)
            .await?
            .wait()
            .await?;
        Ok(())
    }

    /// Checks whether a registry name is free. Names are global across Azure.
    ///
    /// # Errors
    /// [`Error::Arm`].
    pub async fn check_registry_name(
        &self,
        registry: &RegistryName,
    ) -> Result<NameAvailability, Error> {
        let path = self
            .subscription_provider()?
            .action("checkNameAvailability")?;
        let body = serde_json::json!({
            "name": registry.as_str(),
            "type": "Microsoft.ContainerRegistry/registries",
        });
        let request = self
            .arm()
            .request(Method::POST, &path, API_VERSION, Some(&body))?
            .idempotent(true);
        Ok(self.arm().send(request).await?.json()?)
    }

    /// Reads the admin user credentials. The admin user must be enabled.
    ///
    /// # Errors
    /// [`Error::Arm`]; ARM responds with 400 when the admin user is disabled.
    pub async fn list_admin_credentials(
        &self,
        registry: &RegistryName,
    ) -> Result<AdminCredentials, Error> {
        let path = self.registry_id(registry)?.action("listCredentials")?;
        let request = self
            .arm()
            .request::<()>(Method::POST, &path, API_VERSION, None)?
            .idempotent(true);
        Ok(self.arm().send(request).await?.json()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_body_has_admin_user_off_by_default() {
        let body = RegistryCreate::new("westus", SkuName::Premium).body();

        assert_eq!(
            body,
            serde_json::json!({
                "location": "westus",
                "sku": {"name": "Premium"},
                "properties": {"adminUserEnabled": false}
            })
        );
    }

    #[test]
    fn create_body_sets_zone_redundancy() {
        let mut parameters = RegistryCreate::new("westus", SkuName::Premium);
        parameters.zone_redundancy = Some(ZoneRedundancy::Enabled);

        assert_eq!(parameters.body()["properties"]["zoneRedundancy"], "Enabled");
    }

    #[test]
    fn unknown_sku_decodes() {
        let sku: Sku = serde_json::from_str(r#"{"name":"Classic"}"#).unwrap();

        assert_eq!(sku.name, SkuName::Other("Classic".into()));
    }

    #[test]
    fn admin_credentials_debug_hides_passwords() {
        let credentials: AdminCredentials = serde_json::from_str(
            r#"{"username":"exampleacr","passwords":[{"name":"password","value":"s3cr3t-EXAMPLE"}]}"#,
        )
        .unwrap();

        let debug = format!("{credentials:?}");
        assert!(!debug.contains("s3cr3t-EXAMPLE"), "{debug}");
        assert!(debug.contains("exampleacr"), "{debug}");
    }
}

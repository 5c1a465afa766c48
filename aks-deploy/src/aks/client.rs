//! AKS managed clusters over the ARM client of `acr-client`.

use acr_client::arm::{ArmClient, ArmError, FinalStateVia, ResourceId};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http::Method;
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::Value;

use super::spec::ClusterSpec;
use crate::error::{Error, Result};

/// API version of `Microsoft.ContainerService/managedClusters` this client sends.
pub const API_VERSION: &str = "2026-08-01";

/// Summary of a managed cluster as ARM returns it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ManagedClusterInfo {
    /// Resource id.
    pub id: String,
    /// Cluster name.
    pub name: String,
    /// Region.
    pub location: String,
    /// Properties read by this SDK.
    pub properties: ManagedClusterProperties,
}

/// The properties of a managed cluster this SDK reads.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ManagedClusterProperties {
    /// `Succeeded`, `Creating`, `Updating`, `Failed`, ...
    pub provisioning_state: Option<String>,
    /// API server host name.
    pub fqdn: Option<String>,
    /// Kubernetes version in use.
    pub current_kubernetes_version: Option<String>,
}

#[derive(Deserialize)]
struct CredentialResults {
    kubeconfigs: Vec<CredentialResult>,
}

#[derive(Deserialize)]
struct CredentialResult {
    value: String,
}

/// Client of the managed clusters of one resource group.
#[derive(Debug, Clone)]
pub struct AksClient {
    arm: ArmClient,
    resource_group: ResourceId,
}

impl AksClient {
    /// Returns a client for `resource_group` in `subscription_id`.
    ///
    /// # Errors
    ///
    /// Returns [`Error::Arm`] when an id segment is empty or contains `/`.
    pub fn new(arm: ArmClient, subscription_id: &str, resource_group: &str) -> Result<Self> {
        let resource_group = ResourceId::resource_group(subscription_id, resource_group)
            .map_err(|error| arm_error("resource group id", error))?;
        Ok(AksClient {
            arm,
            resource_group,
        })
    }

    fn cluster_path(&self, name: &str) -> Result<ResourceId> {
        self.resource_group
            .clone()
            .provider("Microsoft.ContainerService")
            .and_then(|id| id.child("managedClusters", name))
            .map_err(|error| arm_error(&format!("cluster id {name}"), error))
    }

    /// Creates or updates cluster `name` and waits for the long-running operation.
    ///
    /// # Errors
    ///
    /// Returns [`Error::InvalidInput`] for an invalid spec and [`Error::Arm`] when ARM rejects
    /// the request or the operation fails.
    pub async fn create_or_update(
        &self,
        name: &str,
        spec: &ClusterSpec,
    ) -> Result<ManagedClusterInfo> {
        let body = spec.to_body()?;
        let path = self.cluster_path(name)?;
        let action = format!("create or update managed cluster {name}");
        let poller = self
            .arm
            .begin_put(
                path.as_str(),
                API_VERSION,
                &body,
                FinalStateVia::AzureAsyncOperation,
            )
            .await
            .map_err(|error| arm_error(&action, error))?;
        poller
            .wait_json()
            .await
            .map_err(|error| arm_error(&action, error))
    }

    /// Reads cluster `name`, or `None` when it does not exist.
    ///
    /// # Errors
    ///
    /// Returns [`Error::Arm`] for failures other than 404.
    pub async fn get(&self, name: &str) -> Result<Option<ManagedClusterInfo>> {
        let path = self.cluster_path(name)?;
        self.arm
            .get_json_optional(path.as_str(), API_VERSION)
            .await
            .map_err(|error| arm_error(&format!("get managed cluster {name}"), error))
    }

    /// Returns the first user kubeconfig of cluster `name` (`listClusterUserCredential`).
    ///
    /// # Errors
    ///
    /// Returns [`Error::Arm`] when the request fails and [`Error::InvalidResponse`] when the
    /// response has no usable kubeconfig.
    pub async fn user_kubeconfig(&self, name: &str) -> Result<SecretString> {
        let path = self.cluster_path(name)?;
        let action = format!("list user credentials of managed cluster {name}");
        let url = path
            .action("listClusterUserCredential")
            .map_err(|error| arm_error(&action, error))?;
        // The POST only reads credentials, so repeating it is safe.
        let request = self
            .arm
            .request::<Value>(Method::POST, &url, API_VERSION, None)
            .map_err(|error| arm_error(&action, error))?
            .idempotent(true);
        let response = self
            .arm
            .send(request)
            .await
            .map_err(|error| arm_error(&action, error))?;
        let results: CredentialResults =
            response.json().map_err(|error| arm_error(&action, error))?;
        let first =
            results
                .kubeconfigs
                .into_iter()
                .next()
                .ok_or_else(|| Error::InvalidResponse {
                    action: action.clone(),
                    message: "the response has no kubeconfig".into(),
                })?;
        let bytes =
            STANDARD
                .decode(first.value.as_bytes())
                .map_err(|_| Error::InvalidResponse {
                    action: action.clone(),
                    message: "the kubeconfig is not valid base64".into(),
                })?;
        let text = String::from_utf8(bytes).map_err(|_| Error::InvalidResponse {
            action,
            message: "the kubeconfig is not UTF-8".into(),
        })?;
        Ok(SecretString::from(text))
    }
}

fn arm_error(action: &str, source: ArmError) -> Error {
    Error::Arm {
        action: action.to_string(),
        source: Box::new(source),
    }
}

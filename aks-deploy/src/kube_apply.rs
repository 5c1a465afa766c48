//! Server-side apply of the SDK's objects with field manager `harbor-azure`.

use std::fmt::Debug;

use k8s_openapi::NamespaceResourceScope;
use kube::api::{Api, Patch, PatchParams};
use kube::core::{ApiResource, DynamicObject};
use kube::{Client, Resource, ResourceExt};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{Error, Result};

/// Field manager of every apply request.
pub const FIELD_MANAGER: &str = "harbor-azure";

/// Applies objects with server-side apply.
///
/// Apply is idempotent: sending the same object again changes nothing. `force` takes over fields
/// that another manager (for example `kubectl`) set, as `kubectl apply --server-side
/// --force-conflicts` does.
#[derive(Clone)]
pub struct Applier {
    client: Client,
    force: bool,
}

impl Debug for Applier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Applier")
            .field("force", &self.force)
            .finish()
    }
}

impl Applier {
    /// Returns an applier that fails on field conflicts.
    pub fn new(client: Client) -> Self {
        Applier {
            client,
            force: false,
        }
    }

    /// Takes over conflicting fields instead of failing.
    pub fn force_conflicts(mut self) -> Self {
        self.force = true;
        self
    }

    fn params(&self) -> PatchParams {
        let params = PatchParams::apply(FIELD_MANAGER);
        if self.force { params.force() } else { params }
    }

    /// Applies a cluster-scoped object such as a StorageClass or Namespace.
    ///
    /// # Errors
    ///
    /// Returns [`Error::Kube`] naming the kind and name when the API server rejects the request.
    pub async fn apply_cluster<K>(&self, object: &K) -> Result<K>
    where
        K: Resource + Clone + Debug + Serialize + DeserializeOwned,
        K::DynamicType: Default,
    {
        let api: Api<K> = Api::all(self.client.clone());
        let kind = K::kind(&K::DynamicType::default()).into_owned();
        self.patch(&api, &kind, object).await
    }

    /// Applies a namespaced object into its `metadata.namespace`.
    ///
    /// # Errors
    ///
    /// Returns [`Error::InvalidInput`] when the object has no namespace and [`Error::Kube`] when
    /// the API server rejects the request.
    pub async fn apply_namespaced<K>(&self, object: &K) -> Result<K>
    where
        K: Resource<Scope = NamespaceResourceScope> + Clone + Debug + Serialize + DeserializeOwned,
        K::DynamicType: Default,
    {
        let namespace = object.namespace().ok_or_else(|| Error::InvalidInput {
            field: "metadata.namespace",
            value: object.name_any(),
            rule: "namespaced objects need a namespace".into(),
        })?;
        let api: Api<K> = Api::namespaced(self.client.clone(), &namespace);
        let kind = K::kind(&K::DynamicType::default()).into_owned();
        self.patch(&api, &kind, object).await
    }

    /// Applies a cluster-scoped dynamic object, such as a cert-manager ClusterIssuer.
    ///
    /// # Errors
    ///
    /// Returns [`Error::Kube`] when the API server rejects the request, for example 404 when the
    /// CRD is not installed.
    pub async fn apply_dynamic_cluster(
        &self,
        object: &DynamicObject,
        resource: &ApiResource,
    ) -> Result<DynamicObject> {
        let api: Api<DynamicObject> = Api::all_with(self.client.clone(), resource);
        self.patch(&api, &resource.kind, object).await
    }

    async fn patch<K>(&self, api: &Api<K>, kind: &str, object: &K) -> Result<K>
    where
        K: Resource + Clone + Debug + Serialize + DeserializeOwned,
    {
        let name = object.name_any();
        tracing::debug!(%kind, %name, "server-side apply");
        api.patch(&name, &self.params(), &Patch::Apply(object))
            .await
            .map_err(|error| Error::kube(format!("apply {kind}/{name}"), error))
    }
}

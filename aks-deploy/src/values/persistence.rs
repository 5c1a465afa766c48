//! The chart's `persistence` section: volume claims and image storage.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

/// Access mode of a PersistentVolumeClaim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum AccessMode {
    /// Mounted read-write by one node (Azure Disks).
    ReadWriteOnce,
    /// Mounted read-write by many nodes (Azure Files).
    ReadWriteMany,
    /// Mounted read-write by one pod.
    ReadWriteOncePod,
}

impl AccessMode {
    /// Returns the Kubernetes spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            AccessMode::ReadWriteOnce => "ReadWriteOnce",
            AccessMode::ReadWriteMany => "ReadWriteMany",
            AccessMode::ReadWriteOncePod => "ReadWriteOncePod",
        }
    }
}

impl fmt::Display for AccessMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One claim of `persistence.persistentVolumeClaim`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Claim {
    /// An existing claim to use instead of a new one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub existing_claim: Option<String>,
    /// Storage class; `-` requests an empty class name, unset uses the cluster default.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub storage_class: Option<String>,
    /// Access mode; the chart default is ReadWriteOnce.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_mode: Option<AccessMode>,
    /// Requested size as a Kubernetes quantity, for example `50Gi`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<String>,
    /// Claim annotations.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

impl Claim {
    /// Returns a claim of `size` on `storage_class` with `access_mode`.
    pub fn new(storage_class: &str, access_mode: AccessMode, size: &str) -> Self {
        Claim {
            storage_class: Some(storage_class.to_string()),
            access_mode: Some(access_mode),
            size: Some(size.to_string()),
            ..Claim::default()
        }
    }

    /// Returns the access mode the chart renders (ReadWriteOnce when unset).
    pub fn effective_access_mode(&self) -> AccessMode {
        self.access_mode.unwrap_or(AccessMode::ReadWriteOnce)
    }
}

/// The jobservice claims; chart 1.10 and later read only `jobLog`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JobserviceClaims {
    /// The job log claim, rendered only when `jobservice.jobLoggers` contains `file`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job_log: Option<Claim>,
}

/// `persistence.persistentVolumeClaim`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Claims {
    /// Registry storage, used when image storage is the filesystem.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registry: Option<Claim>,
    /// Jobservice job logs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jobservice: Option<JobserviceClaims>,
    /// Internal database.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<Claim>,
    /// Internal Redis.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redis: Option<Claim>,
    /// Trivy cache, one claim per trivy pod.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trivy: Option<Claim>,
}

/// Storage backend of the registry's image layers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageStorage {
    /// The registry claim.
    Filesystem,
    /// An Azure Blob container; the account key is read from a Secret.
    AzureBlob {
        /// Storage account name.
        account_name: String,
        /// Blob container name.
        container: String,
        /// Name of a Secret with key `AZURE_STORAGE_ACCESS_KEY`.
        existing_secret: String,
    },
}

/// `persistence`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Persistence {
    /// Whether the chart creates claims at all.
    pub enabled: bool,
    /// Claims per component.
    pub persistent_volume_claim: Claims,
    /// Image storage.
    #[serde(serialize_with = "serialize_image_storage")]
    pub image_chart_storage: ImageStorage,
}

impl Default for Persistence {
    fn default() -> Self {
        Persistence {
            enabled: true,
            persistent_volume_claim: Claims::default(),
            image_chart_storage: ImageStorage::Filesystem,
        }
    }
}

fn serialize_image_storage<S: serde::Serializer>(
    storage: &ImageStorage,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    let value = match storage {
        ImageStorage::Filesystem => serde_json::json!({"type": "filesystem"}),
        ImageStorage::AzureBlob {
            account_name,
            container,
            existing_secret,
        } => serde_json::json!({
            "type": "azure",
            "azure": {
                "accountname": account_name,
                "container": container,
                "existingSecret": existing_secret,
            },
        }),
    };
    value.serialize(serializer)
}

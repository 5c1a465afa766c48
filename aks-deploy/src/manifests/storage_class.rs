//! Zone-redundant StorageClasses for Azure Disks and Azure Files.

use std::collections::BTreeMap;

use k8s_openapi::api::storage::v1::StorageClass;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use crate::error::Result;
use crate::names::check_dns_subdomain;

/// CSI provisioner of Azure managed disks.
pub const DISK_PROVISIONER: &str = "disk.csi.azure.com";
/// CSI provisioner of Azure Files.
pub const FILE_PROVISIONER: &str = "file.csi.azure.com";

/// Builds a Premium ZRS managed disk class.
///
/// ZRS disks attach in every zone of the region, so a pod can move zones with its volume.
/// Binding waits for the first pod so the scheduler, not the provisioner, picks the node.
///
/// # Errors
///
/// Returns [`crate::Error::InvalidInput`] when `name` is not an RFC 1123 DNS subdomain.
pub fn zrs_disk_storage_class(name: &str) -> Result<StorageClass> {
    Ok(StorageClass {
        metadata: metadata(name)?,
        provisioner: DISK_PROVISIONER.to_string(),
        parameters: Some(BTreeMap::from([
            ("skuName".to_string(), "Premium_ZRS".to_string()),
            ("cachingMode".to_string(), "ReadOnly".to_string()),
        ])),
        reclaim_policy: Some("Retain".to_string()),
        volume_binding_mode: Some("WaitForFirstConsumer".to_string()),
        allow_volume_expansion: Some(true),
        ..StorageClass::default()
    })
}

/// Builds a Premium ZRS Azure Files (SMB) class for ReadWriteMany claims.
///
/// The mount options give write access to the Harbor containers, which run as uid and gid 10000.
/// `mfsymlinks` and `nobrl` are the Azure Files options for Linux applications that use symlinks
/// and byte-range locks.
///
/// # Errors
///
/// Returns [`crate::Error::InvalidInput`] when `name` is not an RFC 1123 DNS subdomain.
pub fn zrs_file_storage_class(name: &str) -> Result<StorageClass> {
    Ok(StorageClass {
        metadata: metadata(name)?,
        provisioner: FILE_PROVISIONER.to_string(),
        parameters: Some(BTreeMap::from([(
            "skuName".to_string(),
            "Premium_ZRS".to_string(),
        )])),
        mount_options: Some(
            [
                "dir_mode=0770",
                "file_mode=0770",
                "uid=10000",
                "gid=10000",
                "mfsymlinks",
                "cache=strict",
                "nobrl",
            ]
            .map(String::from)
            .to_vec(),
        ),
        reclaim_policy: Some("Retain".to_string()),
        volume_binding_mode: Some("Immediate".to_string()),
        allow_volume_expansion: Some(true),
        ..StorageClass::default()
    })
}

/// Returns true when the class provisions zone-redundant Azure storage (`skuName` ending `_ZRS`).
pub fn is_zone_redundant(class: &StorageClass) -> bool {
    let azure = class.provisioner == DISK_PROVISIONER || class.provisioner == FILE_PROVISIONER;
    let sku = class
        .parameters
        .as_ref()
        .and_then(|p| p.get("skuName").or_else(|| p.get("skuname")));
    azure && sku.is_some_and(|sku| sku.ends_with("_ZRS"))
}

fn metadata(name: &str) -> Result<ObjectMeta> {
    check_dns_subdomain("StorageClass name", name)?;
    Ok(ObjectMeta {
        name: Some(name.to_string()),
        labels: Some(BTreeMap::from([(
            "app.kubernetes.io/managed-by".to_string(),
            "harbor-azure".to_string(),
        )])),
        ..ObjectMeta::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disk_class_is_premium_zrs_wait_for_consumer() {
        let class = zrs_disk_storage_class("harbor-disk-zrs").unwrap();
        assert_eq!(class.provisioner, "disk.csi.azure.com");
        let parameters = class.parameters.clone().unwrap();
        assert_eq!(parameters["skuName"], "Premium_ZRS");
        assert_eq!(
            class.volume_binding_mode.as_deref(),
            Some("WaitForFirstConsumer")
        );
        assert_eq!(class.allow_volume_expansion, Some(true));
        assert!(is_zone_redundant(&class));
    }

    #[test]
    fn file_class_is_premium_zrs() {
        let class = zrs_file_storage_class("harbor-file-zrs").unwrap();
        assert_eq!(class.provisioner, "file.csi.azure.com");
        assert_eq!(class.parameters.clone().unwrap()["skuName"], "Premium_ZRS");
        assert!(is_zone_redundant(&class));
    }

    #[test]
    fn lrs_class_is_not_zone_redundant() {
        let mut class = zrs_disk_storage_class("managed-csi-premium").unwrap();
        class.parameters = Some(BTreeMap::from([(
            "skuName".to_string(),
            "Premium_LRS".to_string(),
        )]));
        assert!(!is_zone_redundant(&class));
    }

    #[test]
    fn storage_classes_reject_invalid_name() {
        for build in [zrs_disk_storage_class, zrs_file_storage_class] {
            let message = build("Harbor_ZRS").unwrap_err().to_string();
            assert!(
                message.contains("StorageClass name \"Harbor_ZRS\""),
                "{message}"
            );
            assert!(message.contains("RFC 1123 DNS subdomain"), "{message}");
        }
    }
}

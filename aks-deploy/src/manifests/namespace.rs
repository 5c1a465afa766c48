//! The Harbor namespace.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use crate::error::Result;
use crate::names::check_dns_label;

/// Builds a Namespace labelled as managed by harbor-azure.
///
/// # Errors
///
/// Returns [`crate::Error::InvalidInput`] when `name` is not an RFC 1123 DNS label.
pub fn namespace(name: &str) -> Result<Namespace> {
    check_dns_label("namespace", name)?;
    Ok(Namespace {
        metadata: ObjectMeta {
            name: Some(name.to_string()),
            labels: Some(BTreeMap::from([(
                "app.kubernetes.io/managed-by".to_string(),
                "harbor-azure".to_string(),
            )])),
            ..ObjectMeta::default()
        },
        ..Namespace::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespace_is_labelled() {
        let namespace = namespace("harbor").unwrap();
        assert_eq!(namespace.metadata.name.as_deref(), Some("harbor"));
        let labels = namespace.metadata.labels.unwrap();
        assert_eq!(labels["app.kubernetes.io/managed-by"], "harbor-azure");
    }

    #[test]
    fn namespace_rejects_invalid_name() {
        let error = namespace("App_NS").unwrap_err();
        let message = error.to_string();
        assert!(message.contains("namespace \"App_NS\""), "{message}");
        assert!(message.contains("RFC 1123 DNS label"), "{message}");
    }
}

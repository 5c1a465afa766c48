//! The Harbor namespace.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

/// Builds a Namespace labelled as managed by harbor-azure.
pub fn namespace(name: &str) -> Namespace {
    Namespace {
        metadata: ObjectMeta {
            name: Some(name.to_string()),
            labels: Some(BTreeMap::from([(
                "app.kubernetes.io/managed-by".to_string(),
                "harbor-azure".to_string(),
            )])),
            ..ObjectMeta::default()
        },
        ..Namespace::default()
    }
}

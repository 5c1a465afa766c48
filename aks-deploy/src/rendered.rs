//! Parsing of multi-document manifests, such as `helm template` output, into k8s-openapi types.

use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use k8s_openapi::api::core::v1::{ConfigMap, PersistentVolumeClaim, Secret, Service};
use k8s_openapi::api::networking::v1::Ingress;
use serde_json::Value;

use crate::error::{Error, Result};

/// Objects of a rendered manifest stream, grouped by kind.
#[derive(Debug, Clone, Default)]
pub struct RenderedObjects {
    /// Deployments.
    pub deployments: Vec<Deployment>,
    /// StatefulSets.
    pub stateful_sets: Vec<StatefulSet>,
    /// PersistentVolumeClaims.
    pub claims: Vec<PersistentVolumeClaim>,
    /// Services.
    pub services: Vec<Service>,
    /// Ingresses.
    pub ingresses: Vec<Ingress>,
    /// Secrets.
    pub secrets: Vec<Secret>,
    /// ConfigMaps.
    pub config_maps: Vec<ConfigMap>,
    /// `(kind, name)` of every other object.
    pub others: Vec<(String, String)>,
}

impl RenderedObjects {
    /// Parses a `---`-separated YAML stream; empty documents are skipped.
    ///
    /// # Errors
    ///
    /// Returns [`Error::Yaml`] naming the document's index when a document does not parse or
    /// does not match its kind's schema.
    pub fn parse(stream: &str) -> Result<Self> {
        let mut objects = RenderedObjects::default();
        for (index, document) in split_documents(stream).into_iter().enumerate() {
            let value: Value = serde_saphyr::from_str(&document).map_err(|error| Error::Yaml {
                context: format!("manifest document {index}"),
                message: error.to_string(),
            })?;
            if value.is_null() {
                continue;
            }
            objects.push(index, value)?;
        }
        Ok(objects)
    }

    /// Returns the Deployment named `name`.
    pub fn deployment(&self, name: &str) -> Option<&Deployment> {
        self.deployments
            .iter()
            .find(|d| d.metadata.name.as_deref() == Some(name))
    }

    /// Returns the StatefulSet named `name`.
    pub fn stateful_set(&self, name: &str) -> Option<&StatefulSet> {
        self.stateful_sets
            .iter()
            .find(|s| s.metadata.name.as_deref() == Some(name))
    }

    /// Returns the claim named `name`.
    pub fn claim(&self, name: &str) -> Option<&PersistentVolumeClaim> {
        self.claims
            .iter()
            .find(|c| c.metadata.name.as_deref() == Some(name))
    }

    /// Returns the ConfigMap named `name`.
    pub fn config_map(&self, name: &str) -> Option<&ConfigMap> {
        self.config_maps
            .iter()
            .find(|c| c.metadata.name.as_deref() == Some(name))
    }

    fn push(&mut self, index: usize, value: Value) -> Result<()> {
        let kind = value
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        match kind.as_str() {
            "Deployment" => self.deployments.push(typed(index, &kind, value)?),
            "StatefulSet" => self.stateful_sets.push(typed(index, &kind, value)?),
            "PersistentVolumeClaim" => self.claims.push(typed(index, &kind, value)?),
            "Service" => self.services.push(typed(index, &kind, value)?),
            "Ingress" => self.ingresses.push(typed(index, &kind, value)?),
            "Secret" => self.secrets.push(typed(index, &kind, value)?),
            "ConfigMap" => self.config_maps.push(typed(index, &kind, value)?),
            _ => {
                let name = value
                    .pointer("/metadata/name")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                self.others.push((kind.clone(), name));
            }
        }
        Ok(())
    }
}

fn typed<T: serde::de::DeserializeOwned>(index: usize, kind: &str, value: Value) -> Result<T> {
    serde_json::from_value(value).map_err(|error| Error::Yaml {
        context: format!("manifest document {index} ({kind})"),
        message: error.to_string(),
    })
}

/// Splits a YAML stream at lines that are exactly `---` (optionally followed by a comment).
fn split_documents(stream: &str) -> Vec<String> {
    let mut documents = vec![String::new()];
    for line in stream.lines() {
        let trimmed = line.trim_end();
        if trimmed == "---" || trimmed.starts_with("--- ") {
            documents.push(String::new());
            continue;
        }
        if let Some(current) = documents.last_mut() {
            current.push_str(line);
            current.push('\n');
        }
    }
    documents
        .into_iter()
        .filter(|doc| {
            doc.lines()
                .any(|line| !line.trim().is_empty() && !line.trim_start().starts_with('#'))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_groups_documents_by_kind() {
        let stream = "---\n# Source: a\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\n# only a comment\n---\napiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: b\nspec:\n  accessModes: [ReadWriteMany]\n---\napiVersion: x/v1\nkind: Other\nmetadata:\n  name: c\n";
        let objects = RenderedObjects::parse(stream).unwrap();
        assert_eq!(objects.config_maps.len(), 1);
        assert_eq!(objects.claims.len(), 1);
        assert_eq!(objects.others, vec![("Other".to_string(), "c".to_string())]);
    }

    #[test]
    fn parse_names_the_failing_document() {
        let stream = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\nkind: Deployment\nspec: 3\n";
        let error = RenderedObjects::parse(stream).unwrap_err().to_string();
        assert!(
            error.contains("manifest document 1 (Deployment)"),
            "{error}"
        );
    }
}

//! The `[acr]` section: registry, scope map, token, repositories and imports.

use harbor_client::tasks::{RobotLevel, RobotSpec};
use serde::Deserialize;

use super::rules;
use super::validate::Validator;

/// The Azure Container Registry that Harbor replicates to and that imports images from Harbor.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AcrConfig {
    /// Registry name, 5-50 letters and digits, without `.azurecr.io`.
    pub name: String,
    /// Resource group of the registry. Default: `azure.resource_group`.
    pub resource_group: Option<String>,
    /// SKU: Basic, Standard or Premium. Default: Premium.
    #[serde(default = "default_sku")]
    pub sku: String,
    /// Scope map that grants the token its repository actions.
    pub scope_map: String,
    /// Token that Harbor's registry endpoint logs in with.
    pub token: String,
    /// Repositories of the scope map and the actions granted on each.
    #[serde(default)]
    pub repositories: Vec<AcrRepository>,
    /// Images that ACR imports from Harbor.
    pub import: Option<AcrImport>,
}

fn default_sku() -> String {
    "Premium".into()
}

/// One repository of the scope map.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AcrRepository {
    /// Repository path, such as `mirror/nginx`.
    pub name: String,
    /// Actions: `content/read`, `content/write`, `content/delete`, `metadata/read`,
    /// `metadata/write`.
    pub actions: Vec<String>,
}

/// Images that ACR imports from a Harbor project.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AcrImport {
    /// Harbor project the images come from.
    pub project: String,
    /// Name of the Harbor robot account ACR pulls with: `robot$<project>+<robot>`.
    pub robot: String,
    /// Namespace in ACR that the imported repositories go under, such as `mirror`.
    pub target_namespace: String,
    /// Images as `repository:tag` inside the project, such as `nginx:1.25.3`.
    pub images: Vec<String>,
}

impl AcrConfig {
    /// Returns the registry name, lowercase: `name`, or the name in a login server such as
    /// `exampleacr.azurecr.io` given as `name`.
    pub fn registry_name(&self) -> String {
        match acr_client::RegistryName::new(&self.name) {
            Ok(name) => name.as_str().to_ascii_lowercase(),
            // Validation rejects such a name before a plan is built.
            Err(_) => self.name.to_ascii_lowercase(),
        }
    }

    /// Returns the registry's login server, such as `exampleacr.azurecr.io` (lowercase).
    pub fn login_server(&self) -> String {
        format!("{}.azurecr.io", self.registry_name())
    }

    pub(crate) fn validate(&self, v: &mut Validator) {
        v.check("acr.name", &self.name, rules::acr_registry_name);
        if let Some(group) = &self.resource_group {
            v.check("acr.resource_group", group, rules::resource_group);
        }
        v.check("acr.sku", &self.sku, rules::acr_sku);
        v.check("acr.scope_map", &self.scope_map, rules::acr_scope_map_name);
        let is_system =
            acr_client::ScopeMapName::new(&self.scope_map).is_ok_and(|name| name.is_system());
        if is_system {
            v.report(
                "acr.scope_map",
                &self.scope_map,
                "scope maps starting with `_` are ACR's read-only system maps: choose another name",
            );
        }
        v.check("acr.token", &self.token, rules::acr_token_name);

        for (index, repository) in self.repositories.iter().enumerate() {
            let key = format!("acr.repositories[{index}]");
            v.check(format!("{key}.name"), &repository.name, rules::repository);
            if repository.actions.is_empty() {
                v.report_literal(format!("{key}.actions"), "[]", "list at least one action");
            }
            for (action_index, action) in repository.actions.iter().enumerate() {
                v.check(
                    format!("{key}.actions[{action_index}]"),
                    action,
                    rules::acr_action,
                );
            }
        }

        if let Some(import) = &self.import {
            import.validate(v);
        }
    }
}

impl AcrImport {
    fn validate(&self, v: &mut Validator) {
        v.check("acr.import.project", &self.project, rules::harbor_project);
        v.check("acr.import.robot", &self.robot, |robot| {
            let level = RobotLevel::Project(self.project.clone());
            match RobotSpec::new(robot, level) {
                Err(harbor_client::Error::InvalidArgument {
                    name: "robot name",
                    rule,
                    ..
                }) => Err(rule.into_owned()),
                // A bad project name is reported under acr.import.project.
                _ => Ok(()),
            }
        });
        v.check(
            "acr.import.target_namespace",
            &self.target_namespace,
            rules::repository,
        );
        if self.images.is_empty() {
            v.report_literal(
                "acr.import.images",
                "[]",
                "list at least one image or drop [acr.import]",
            );
        }
        for (index, image) in self.images.iter().enumerate() {
            v.check(
                format!("acr.import.images[{index}]"),
                image,
                rules::image_in_project,
            );
        }
    }
}

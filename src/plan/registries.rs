//! The ACR scope map and token, the Harbor robot, registry endpoint and replication rule, and
//! the images ACR imports from Harbor.

use acr_client::{
    ImportImage, RegistryName, RepositoryAction, RepositoryName, ScopeMapAction, ScopeMapName,
    TokenName,
};
use harbor_client::generated::models::{
    Access, Registry, RegistryCredential, ReplicationFilter, ReplicationPolicy, ReplicationTrigger,
    RobotCreate, RobotPermission,
};
use secrecy::SecretString;

use super::PlanError;
use crate::config::{AcrConfig, AcrImport, Config};

/// The ACR resources the plan creates.
#[derive(Debug, Clone)]
pub struct AcrPlan {
    /// Subscription of the registry.
    pub subscription_id: String,
    /// Resource group of the registry.
    pub resource_group: String,
    /// The registry.
    pub registry: RegistryName,
    /// SKU name.
    pub sku: String,
    /// Scope map of the push token.
    pub scope_map: ScopeMapName,
    /// The scope map's entries.
    pub actions: Vec<ScopeMapAction>,
    /// Token bound to the scope map; its `password1` becomes Harbor's registry credential.
    pub token: TokenName,
}

/// The Harbor resources the plan creates.
#[derive(Debug, Clone)]
pub struct HarborPlan {
    /// Harbor's external URL.
    pub url: String,
    /// Robot account that ACR imports with, and its project.
    pub import_robot: Option<(String, RobotCreate)>,
    /// Registry endpoint of ACR. The credential has no secret in the plan: ACR generates it.
    pub acr_endpoint: Option<Registry>,
    /// Push replication from the import project to the ACR endpoint.
    pub replication: Option<ReplicationPolicy>,
}

/// One image that ACR imports from Harbor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedImport {
    /// Harbor's hostname, the import source registry.
    pub source_registry: String,
    /// Source image, `project/repository:tag`.
    pub source_image: String,
    /// Target in ACR, `namespace/repository:tag`.
    pub target_tag: String,
}

impl PlannedImport {
    /// Builds the ACR import request with the robot's credentials; the source tag's digest is
    /// pinned so that a tag moved during the import cannot leave the target on another manifest.
    ///
    /// # Errors
    ///
    /// [`acr_client::Error`] when an image name is invalid.
    pub fn request(
        &self,
        username: &str,
        password: SecretString,
    ) -> Result<ImportImage, acr_client::Error> {
        ImportImage::builder(&self.source_image)
            .registry_uri(&self.source_registry)
            .credentials(username, password)
            .target_tag(&self.target_tag)
            .pin_digest(true)
            .build()
    }
}

/// Returns the full Harbor name of a project robot, `robot$<project>+<name>`, with Harbor's
/// default robot prefix `robot$`.
pub fn robot_full_name(project: &str, robot: &str) -> String {
    format!("robot${project}+{robot}")
}

pub(crate) fn acr_plan(config: &Config, acr: &AcrConfig) -> Result<AcrPlan, PlanError> {
    let registry = RegistryName::new(&acr.name).map_err(PlanError::Acr)?;
    let scope_map = ScopeMapName::new(&acr.scope_map).map_err(PlanError::Acr)?;
    let token = TokenName::new(&acr.token).map_err(PlanError::Acr)?;
    let mut actions = Vec::new();
    for repository in &acr.repositories {
        let name = RepositoryName::new(&repository.name).map_err(PlanError::Acr)?;
        for action in &repository.actions {
            let action: RepositoryAction = action.parse().map_err(PlanError::Acr)?;
            let entry = ScopeMapAction::new(name.clone(), action);
            if !actions.contains(&entry) {
                actions.push(entry);
            }
        }
    }
    Ok(AcrPlan {
        subscription_id: config.azure.subscription_id.clone(),
        resource_group: acr
            .resource_group
            .clone()
            .unwrap_or_else(|| config.azure.resource_group.clone()),
        registry,
        sku: acr.sku.clone(),
        scope_map,
        actions,
        token,
    })
}

pub(crate) fn harbor_plan(config: &Config) -> HarborPlan {
    let url = format!("https://{}", config.harbor.hostname);
    let Some(acr) = &config.acr else {
        return HarborPlan {
            url,
            import_robot: None,
            acr_endpoint: None,
            replication: None,
        };
    };

    let endpoint = Registry {
        name: Some(acr.name.to_ascii_lowercase()),
        r#type: Some("azure-acr".to_owned()),
        url: Some(format!("https://{}", acr.login_server())),
        credential: Some(RegistryCredential {
            r#type: Some("basic".to_owned()),
            access_key: Some(acr.token.clone()),
            access_secret: None,
        }),
        insecure: Some(false),
        description: Some("ACR push target; the credential is an ACR token".to_owned()),
        ..Registry::default()
    };
    let import_robot = acr
        .import
        .as_ref()
        .map(|import| (import.project.clone(), import_robot(import)));
    let replication = acr
        .import
        .as_ref()
        .map(|import| replication_policy(acr, import, &endpoint));
    HarborPlan {
        url,
        import_robot,
        acr_endpoint: Some(endpoint),
        replication,
    }
}

fn import_robot(import: &AcrImport) -> RobotCreate {
    RobotCreate {
        name: Some(import.robot.clone()),
        description: Some("Pulls images for ACR importImage".to_owned()),
        level: Some("project".to_owned()),
        // -1: the robot never expires.
        duration: Some(-1),
        disable: Some(false),
        permissions: Some(vec![RobotPermission {
            kind: Some("project".to_owned()),
            namespace: Some(import.project.clone()),
            access: Some(vec![Access {
                resource: Some("repository".to_owned()),
                action: Some("pull".to_owned()),
                effect: None,
            }]),
        }]),
        secret: None,
    }
}

/// Push replication of the project's repositories that the scope map covers, with the
/// project's path level replaced by the target namespace (`library/nginx` to `mirror/nginx`).
fn replication_policy(
    acr: &AcrConfig,
    import: &AcrImport,
    endpoint: &Registry,
) -> ReplicationPolicy {
    let prefix = format!("{}/", import.target_namespace);
    let mut repositories: Vec<&str> = acr
        .repositories
        .iter()
        .filter_map(|repository| repository.name.strip_prefix(&prefix))
        .collect();
    repositories.sort_unstable();
    repositories.dedup();
    let pattern = match repositories.as_slice() {
        [] => format!("{}/**", import.project),
        [single] => format!("{}/{single}", import.project),
        several => format!("{}/{{{}}}", import.project, several.join(",")),
    };
    ReplicationPolicy {
        name: Some(format!(
            "{}-to-{}",
            import.project,
            acr.name.to_ascii_lowercase()
        )),
        description: Some("Push the project's mirrored repositories to ACR".to_owned()),
        dest_registry: Some(Registry {
            name: endpoint.name.clone(),
            ..Registry::default()
        }),
        dest_namespace: Some(import.target_namespace.clone()),
        dest_namespace_replace_count: Some(1),
        trigger: Some(ReplicationTrigger {
            r#type: Some("event_based".to_owned()),
            trigger_settings: None,
        }),
        filters: Some(vec![ReplicationFilter {
            r#type: Some("name".to_owned()),
            value: Some(serde_json::Value::String(pattern)),
            decoration: None,
        }]),
        // Harbor's create and update handlers read `deletion`, so both names are sent.
        deletion: Some(false),
        replicate_deletion: Some(false),
        r#override: Some(true),
        enabled: Some(true),
        ..ReplicationPolicy::default()
    }
}

pub(crate) fn planned_imports(config: &Config) -> Result<Vec<PlannedImport>, PlanError> {
    let Some(import) = config.acr.as_ref().and_then(|acr| acr.import.as_ref()) else {
        return Ok(Vec::new());
    };
    let mut imports = Vec::new();
    for image in &import.images {
        let planned = PlannedImport {
            source_registry: config.harbor.hostname.clone(),
            source_image: format!("{}/{image}", import.project),
            target_tag: format!("{}/{image}", import.target_namespace),
        };
        // Builds the request once with a stand-in password, so acr-client checks the names now.
        planned
            .request("plan", SecretString::from("plan"))
            .map_err(PlanError::Acr)?;
        imports.push(planned);
    }
    Ok(imports)
}

//! The ACR scope map and token, the Harbor robot, registry endpoint and replication rule, and
//! the images ACR imports from Harbor.

use acr_client::{
    ImportImage, RegistryCreate, RegistryName, RepositoryAction, RepositoryName, ScopeMapAction,
    ScopeMapName, SkuName, TokenName, ZoneRedundancy,
};
use harbor_client::generated::models::Robot;
use harbor_client::tasks::replication::{Destination, Direction, Filter, Trigger};
use harbor_client::tasks::{
    Provider, RegistrySpec, ReplicationPolicySpec, RobotLevel, RobotPermissionSpec, RobotSpec,
};
use oci_transfer::PlatformSelection;
use secrecy::SecretString;
use url::Url;

use super::{PlanError, Preset};
use crate::config::{AcrConfig, AcrImport, Config};
use crate::workflows::transfer_route::{DestinationKind, RouteDecision, RouteInput, plan_route};

/// The ACR resources the plan creates.
#[derive(Debug, Clone)]
pub struct AcrPlan {
    /// Subscription of the registry.
    pub subscription_id: String,
    /// Resource group of the registry.
    pub resource_group: String,
    /// The registry.
    pub registry: RegistryName,
    /// Parameters of the registry: location, SKU, admin user off, and zone redundancy for the
    /// across-zones preset on the Premium SKU.
    pub registry_create: RegistryCreate,
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
    /// Robot account that ACR imports with.
    pub import_robot: Option<RobotPlan>,
    /// Registry endpoint of ACR.
    pub acr_endpoint: Option<EndpointPlan>,
    /// Push replication from the import project to the ACR endpoint.
    pub replication: Option<ReplicationPlan>,
}

/// A project robot account with pull access.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RobotPlan {
    /// Project of the robot.
    pub project: String,
    /// Short name; Harbor's full name is `robot$<project>+<name>`.
    pub name: String,
}

impl RobotPlan {
    /// Returns Harbor's full name of the robot with the default prefix `robot$`.
    pub fn full_name(&self) -> String {
        robot_full_name(&self.project, &self.name)
    }

    /// Returns the name to log in with: the name Harbor returned for the ensured robot, which
    /// carries the server's configured robot name prefix, or [`RobotPlan::full_name`] when
    /// Harbor returned none.
    pub fn login_name(&self, robot: &Robot) -> String {
        robot
            .name
            .clone()
            .filter(|name| !name.is_empty())
            .unwrap_or_else(|| self.full_name())
    }

    /// Builds the desired state for `harbor_client::tasks::ensure_robot`: pull on the project's
    /// repositories, no expiry.
    ///
    /// # Errors
    ///
    /// [`harbor_client::Error::InvalidArgument`] when the robot or project name is invalid.
    pub fn spec(&self) -> Result<RobotSpec, harbor_client::Error> {
        Ok(
            RobotSpec::new(&self.name, RobotLevel::Project(self.project.clone()))?
                .description("Pulls images for ACR importImage")
                .permission(RobotPermissionSpec::project(
                    &self.project,
                    [("repository", "pull")],
                )),
        )
    }
}

/// Harbor's registry endpoint of ACR; its password is the ACR token's, known only at apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointPlan {
    /// Endpoint name.
    pub name: String,
    /// Registry URL, `https://<login server>`.
    pub url: String,
    /// User name: the ACR token's name.
    pub access_key: String,
}

impl EndpointPlan {
    /// Builds the desired state for `harbor_client::tasks::ensure_registry`, with the secret
    /// sent on every call (`rotate_secret(true)`). A caller that knows Harbor already has the
    /// password, as the main job's apply does after a successful ping, turns that off.
    ///
    /// # Errors
    ///
    /// [`harbor_client::Error::InvalidArgument`] when the name, URL or credential is invalid.
    pub fn spec(&self, password: SecretString) -> Result<RegistrySpec, harbor_client::Error> {
        Ok(
            RegistrySpec::new(&self.name, Provider::AzureAcr, &self.url)?
                .description("ACR push target; the credential is an ACR token")
                .credential(&self.access_key, password)?
                .rotate_secret(true),
        )
    }
}

/// A push replication rule to the ACR endpoint, whose id is known only at apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplicationPlan {
    /// Rule name.
    pub name: String,
    /// Name of the destination endpoint.
    pub endpoint: String,
    /// Repository name pattern, such as `library/{hello,nginx}`.
    pub pattern: String,
    /// Destination namespace; it replaces the project, the first path component.
    pub namespace: String,
}

impl ReplicationPlan {
    /// Builds the desired state for `harbor_client::tasks::ensure_replication_policy`: event
    /// based, overwriting, deletions not replicated.
    ///
    /// # Errors
    ///
    /// [`harbor_client::Error::InvalidArgument`] when a field is invalid.
    pub fn spec(
        &self,
        destination_registry_id: i64,
    ) -> Result<ReplicationPolicySpec, harbor_client::Error> {
        ReplicationPolicySpec::new(
            &self.name,
            Direction::Push {
                destination_registry_id,
            },
        )?
        .description("Push the project's mirrored repositories to ACR")
        .filter(Filter::name(&self.pattern))?
        .destination(Destination::new(&self.namespace, Some(1)))?
        .trigger(Trigger::EventBased)
        .map(|spec| {
            spec.replicate_deletion(false)
                .override_existing(true)
                .enabled(true)
        })
    }
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
    /// Server-side import or client-side copy, from `ingress_nginx.exposure`, and why.
    pub route: RouteDecision,
}

impl PlannedImport {
    /// Builds the ACR import request with the robot's credentials. The source tag's digest is
    /// pinned so that a tag moved during the import cannot leave the target on another manifest.
    /// The import overwrites an existing target tag, so a second apply imports again instead of
    /// failing; Harbor is the source of truth for these tags.
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
            .force(true)
            .pin_digest(true)
            .build()
    }
}

/// Returns the full Harbor name of a project robot, `robot$<project>+<name>`, with Harbor's
/// default robot prefix `robot$`.
pub fn robot_full_name(project: &str, robot: &str) -> String {
    format!("robot${project}+{robot}")
}

pub(crate) fn acr_plan(
    config: &Config,
    acr: &AcrConfig,
    preset: Preset,
) -> Result<AcrPlan, PlanError> {
    let sku = match acr.sku.as_str() {
        "Basic" => SkuName::Basic,
        "Standard" => SkuName::Standard,
        _ => SkuName::Premium,
    };
    let zone_redundant = preset == Preset::AcrossZones && sku == SkuName::Premium;
    let mut registry_create = RegistryCreate::new(&config.azure.location, sku);
    if zone_redundant {
        registry_create.zone_redundancy = Some(ZoneRedundancy::Enabled);
    }
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
        registry_create,
        scope_map,
        actions,
        token,
    })
}

pub(crate) fn harbor_plan(config: &Config) -> Result<HarborPlan, PlanError> {
    let url = format!("https://{}", config.harbor.hostname);
    let Some(acr) = &config.acr else {
        return Ok(HarborPlan {
            url,
            import_robot: None,
            acr_endpoint: None,
            replication: None,
        });
    };

    let endpoint = EndpointPlan {
        name: acr.registry_name(),
        url: format!("https://{}", acr.login_server()),
        access_key: acr.token.clone(),
    };
    // Builds each desired state once with stand-in values, so harbor-client checks the names now.
    endpoint
        .spec(SecretString::from("plan"))
        .map_err(PlanError::Harbor)?;

    let mut import_robot = None;
    let mut replication = None;
    if let Some(import) = &acr.import {
        let robot = RobotPlan {
            project: import.project.clone(),
            name: import.robot.clone(),
        };
        robot.spec().map_err(PlanError::Harbor)?;
        let rule = ReplicationPlan {
            name: format!("{}-to-{}", import.project, endpoint.name),
            endpoint: endpoint.name.clone(),
            pattern: replication_pattern(acr, import),
            namespace: import.target_namespace.clone(),
        };
        rule.spec(1).map_err(PlanError::Harbor)?;
        import_robot = Some(robot);
        replication = Some(rule);
    }
    Ok(HarborPlan {
        url,
        import_robot,
        acr_endpoint: Some(endpoint),
        replication,
    })
}

/// Selects the project's repositories that the scope map covers under the target namespace,
/// so that replication never pushes where the token may not write.
fn replication_pattern(acr: &AcrConfig, import: &AcrImport) -> String {
    let prefix = format!("{}/", import.target_namespace);
    let mut repositories: Vec<&str> = acr
        .repositories
        .iter()
        .filter_map(|repository| repository.name.strip_prefix(&prefix))
        .collect();
    repositories.sort_unstable();
    repositories.dedup();
    match repositories.as_slice() {
        [] => format!("{}/**", import.project),
        [single] => format!("{}/{single}", import.project),
        several => format!("{}/{{{}}}", import.project, several.join(",")),
    }
}

pub(crate) fn planned_imports(config: &Config) -> Result<Vec<PlannedImport>, PlanError> {
    let Some(import) = config.acr.as_ref().and_then(|acr| acr.import.as_ref()) else {
        return Ok(Vec::new());
    };
    let source_url = format!("https://{}", config.harbor.hostname);
    let source = Url::parse(&source_url).map_err(|_| {
        PlanError::setting(
            config,
            None,
            "harbor.hostname",
            format!("{:?}", config.harbor.hostname),
            "the hostname forms an https URL",
        )
    })?;
    let route = plan_route(
        &RouteInput::new(DestinationKind::Acr, &source, &PlatformSelection::All)
            .exposure(config.ingress_nginx.exposure),
    );
    let mut imports = Vec::new();
    for image in &import.images {
        let planned = PlannedImport {
            source_registry: config.harbor.hostname.clone(),
            source_image: format!("{}/{image}", import.project),
            target_tag: format!("{}/{image}", import.target_namespace),
            route: route.clone(),
        };
        // Builds the request once with a stand-in password, so acr-client checks the names now.
        planned
            .request("plan", SecretString::from("plan"))
            .map_err(PlanError::Acr)?;
        imports.push(planned);
    }
    Ok(imports)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_name_follows_harbor_prefix() {
        let plan = RobotPlan {
            project: "library".to_owned(),
            name: "acr-import".to_owned(),
        };
        let named = |name: Option<&str>| Robot {
            name: name.map(str::to_owned),
            ..Robot::default()
        };

        assert_eq!(
            plan.login_name(&named(Some("bot-library+acr-import"))),
            "bot-library+acr-import"
        );
        assert_eq!(plan.login_name(&named(None)), "robot$library+acr-import");
        assert_eq!(
            plan.login_name(&named(Some(""))),
            "robot$library+acr-import"
        );
    }
}

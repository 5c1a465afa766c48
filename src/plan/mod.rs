//! The deployment plan: everything `apply` would do, built from a [`Config`] without contacting
//! any cloud, cluster or registry.
//!
//! A [`Plan`] renders as text for the terminal ([`Plan::render_text`]) and as files for a GitOps
//! repository ([`Plan::write_files`]). Neither shows a secret value: secrets appear as their
//! source, such as `<from env HARBOR_ADMIN_PASSWORD>`.
//!
//! ```
//! use harbor_azure::config::Config;
//! use harbor_azure::plan::{Plan, Preset, SecretMode};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let config = Config::load(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/harbor.toml"))?;
//! let chart_keys = harbor_azure::plan::load_chart_keys(env!("CARGO_MANIFEST_DIR").as_ref())?;
//! let plan = Plan::build(&config, Preset::AcrossZones, &chart_keys, SecretMode::Placeholder)?;
//! assert!(plan.render_text().contains("helm upgrade --install harbor harbor/harbor"));
//! # Ok(())
//! # }
//! ```

mod app;
mod chart;
mod error;
mod files;
mod preset;
mod registries;
mod render;
mod secrets;

use std::fmt;
use std::path::Path;
use std::time::Duration;

use aks_deploy::chart_keys::ChartKeys;
use aks_deploy::helm::{Helm, Release};
use aks_deploy::manifests::{
    AcmeIssuer, cluster_issuer, namespace, zrs_disk_storage_class, zrs_file_storage_class,
};
use aks_deploy::render::render_values;
use aks_deploy::validate::ValidationContext;
use aks_deploy::values::{AcmeChallenge, HarborValues};
use k8s_openapi::api::core::v1::{Namespace, Secret};
use k8s_openapi::api::storage::v1::StorageClass;
use kube::core::DynamicObject;

pub use app::{AppPlan, PULL_SECRET};
pub use chart::{default_chart_values_path, load_chart_keys, load_chart_keys_from};
pub use error::PlanError;
pub use files::{MANIFEST_LIST, WrittenFiles};
pub use preset::Preset;
pub use registries::{
    AcrPlan, EndpointPlan, HarborPlan, PlannedImport, ReplicationPlan, RobotPlan, robot_full_name,
};
pub use render::{Step, StepKind, Target};
pub use secrets::{SecretMode, SecretSource};

use crate::config::Config;

/// How long `helm upgrade --install --wait` waits for the release. Harbor's first start runs
/// database migrations, so the default of helm (5 minutes) is often too short.
pub const HELM_TIMEOUT: Duration = Duration::from_secs(900);

/// Everything a deployment creates or changes, in the order `apply` runs it.
///
/// `Debug` lists the Secrets by name only, because in resolve mode they hold real values.
#[derive(Clone)]
pub struct Plan {
    /// The preset the values come from.
    pub preset: Preset,
    /// Harbor's namespace.
    pub namespace: Namespace,
    /// StorageClasses the plan creates (the across-zones preset's ZRS classes).
    pub storage_classes: Vec<StorageClass>,
    /// Name of the AKS built-in class the other presets use, which the plan does not create.
    pub existing_storage_class: Option<String>,
    /// Harbor's Secrets. In plan mode their data are placeholders, never rendered.
    pub secrets: Vec<Secret>,
    /// The source of each Secret key's value.
    pub secret_sources: Vec<SecretSource>,
    /// cert-manager's ClusterIssuer.
    pub cluster_issuer: Option<DynamicObject>,
    /// The typed chart values.
    pub values: HarborValues,
    /// The rendered values file. It names Secrets and contains no secret value.
    pub values_yaml: String,
    /// The helm release.
    pub release: Release,
    /// ACR scope map and token.
    pub acr: Option<AcrPlan>,
    /// Harbor robot, registry endpoint and replication rule.
    pub harbor: HarborPlan,
    /// Images ACR imports from Harbor.
    pub imports: Vec<PlannedImport>,
    /// The sample application.
    pub app: Option<AppPlan>,
    /// What the plan expects to exist and does not create: the ingress controller,
    /// cert-manager, the DNS record and the network.
    pub prerequisites: Vec<String>,
    /// Settings the preset could not honour, and chart validation warnings.
    pub warnings: Vec<String>,
}

impl fmt::Debug for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secret_names: Vec<&str> = self
            .secrets
            .iter()
            .map(|secret| secret.metadata.name.as_deref().unwrap_or_default())
            .collect();
        f.debug_struct("Plan")
            .field("preset", &self.preset)
            .field("namespace", &self.namespace)
            .field("storage_classes", &self.storage_classes)
            .field("existing_storage_class", &self.existing_storage_class)
            .field("secrets", &secret_names)
            .field("secret_sources", &self.secret_sources)
            .field("cluster_issuer", &self.cluster_issuer)
            .field("values_yaml", &self.values_yaml)
            .field("release", &self.release)
            .field("acr", &self.acr)
            .field("harbor", &self.harbor)
            .field("imports", &self.imports)
            .field("app", &self.app)
            .field("prerequisites", &self.prerequisites)
            .field("warnings", &self.warnings)
            .finish_non_exhaustive()
    }
}

fn prerequisites(config: &Config) -> Vec<String> {
    let harbor = &config.harbor;
    let ingress = &config.ingress_nginx;
    let mut lines = vec![format!(
        "NGINX ingress controller: release {} in namespace {}, serving ingress class {}",
        ingress.release, ingress.namespace, harbor.ingress_class
    )];
    if let Some(cert_manager) = &config.cert_manager {
        lines.push(format!(
            "cert-manager with its CRDs in namespace {}, for ClusterIssuer {}",
            cert_manager.namespace, cert_manager.cluster_issuer
        ));
    } else {
        lines.push(format!(
            "TLS Secret {}/{} with Harbor's certificate",
            harbor.namespace, harbor.tls_secret
        ));
    }
    if let Some(dns) = &config.dns {
        let group = dns
            .resource_group
            .as_deref()
            .unwrap_or(&config.azure.resource_group);
        lines.push(format!(
            "DNS: a record for {} in zone {} (resource group {group}) pointing at the ingress \
             controller's external IP",
            harbor.hostname, dns.zone
        ));
    }
    if let Some(network) = &config.network {
        let subnets: Vec<String> = network
            .subnets
            .iter()
            .map(|(name, cidr)| format!("{name} {cidr}"))
            .collect();
        lines.push(format!(
            "virtual network {} {} with subnets {}",
            network.vnet,
            network.address_space,
            subnets.join(", ")
        ));
    }
    lines
}

impl Plan {
    /// Builds the plan for `preset`.
    ///
    /// With [`SecretMode::Placeholder`] nothing is read from the environment or from files.
    ///
    /// # Errors
    ///
    /// [`PlanError`] when the preset needs a missing section, the chart values fail validation,
    /// a name is invalid or (in resolve mode) a secret cannot be read.
    pub fn build(
        config: &Config,
        preset: Preset,
        chart_keys: &ChartKeys,
        mode: SecretMode,
    ) -> Result<Plan, PlanError> {
        let harbor = &config.harbor;
        let (mut values, mut warnings) = preset::preset_values(config, preset)?;

        let external = preset == Preset::ManagedServices;
        let (secrets, secret_sources) = secrets::harbor_secrets(config, mode, external)?;
        let kubernetes_secrets = secrets
            .apply(&mut values, &harbor.namespace)
            .map_err(PlanError::Values)?;

        let mut context = ValidationContext::new(chart_keys.clone());
        let mut storage_classes = Vec::new();
        let mut existing_storage_class = Some(harbor.storage_classes.disk.clone());
        if preset == Preset::AcrossZones {
            let classes = &harbor.storage_classes;
            context = context
                .with_zone_redundant_class(&classes.zrs_disk)
                .with_zone_redundant_class(&classes.zrs_file);
            storage_classes
                .push(zrs_disk_storage_class(&classes.zrs_disk).map_err(PlanError::Values)?);
            storage_classes
                .push(zrs_file_storage_class(&classes.zrs_file).map_err(PlanError::Values)?);
            existing_storage_class = None;
        }
        let rendered = render_values(&values, &context).map_err(PlanError::Values)?;
        warnings.extend(rendered.warnings.iter().map(ToString::to_string));

        let cluster_issuer = match &config.cert_manager {
            Some(cert_manager) => Some(
                cluster_issuer(&AcmeIssuer {
                    name: cert_manager.cluster_issuer.clone(),
                    server: cert_manager.acme_server.clone(),
                    email: cert_manager.email.clone(),
                    challenge: AcmeChallenge::Http01 {
                        ingress_class: harbor.ingress_class.clone(),
                    },
                    azure_dns: None,
                })
                .map_err(PlanError::Values)?,
            ),
            None => None,
        };

        let mut release = Release::new(&harbor.release, &harbor.namespace, &harbor.chart);
        release.version = Some(harbor.chart_version.clone());
        release.timeout = HELM_TIMEOUT;

        let acr = match &config.acr {
            Some(acr) => {
                let name = acr.registry_name();
                if !acr.name.eq_ignore_ascii_case(&name) {
                    warnings.push(format!(
                        "acr.name = {:?} is a login server; the plan uses the registry name {name}",
                        acr.name
                    ));
                }
                Some(registries::acr_plan(config, acr, preset)?)
            }
            None => None,
        };

        let harbor_plan = registries::harbor_plan(config)?;
        let app = match &config.app {
            Some(app_config) => {
                let (app, warning) =
                    app::app_plan(config, app_config, harbor_plan.import_robot.as_ref())?;
                warnings.extend(warning);
                Some(app)
            }
            None => None,
        };

        Ok(Plan {
            preset,
            namespace: namespace(&harbor.namespace).map_err(PlanError::Values)?,
            storage_classes,
            existing_storage_class,
            secrets: kubernetes_secrets,
            secret_sources,
            cluster_issuer,
            values,
            values_yaml: rendered.yaml,
            release,
            acr,
            harbor: harbor_plan,
            imports: registries::planned_imports(config)?,
            app,
            prerequisites: prerequisites(config),
            warnings,
        })
    }

    /// Returns the helm arguments with `values_file` as the values file path; no secret is in
    /// them, because the values reference Secrets.
    pub fn helm_args(&self, values_file: &Path) -> Vec<String> {
        Helm::upgrade_install_args(&self.release, values_file)
    }
}

//! The plan as a list of steps and as text.

use std::fmt::Write as _;

use k8s_openapi::api::storage::v1::StorageClass;
use serde::Serialize;

use super::Plan;
use crate::workflows::replicate_to_acr::PASSWORD_RENEWAL_MARGIN;
use crate::workflows::stored_credentials::{ACR_PASSWORD_SECRET, ROBOT_SECRET_SECRET};
use crate::workflows::transfer_route::Route;

/// The system a step acts on; steps are grouped by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Target {
    /// Server-side apply to the AKS cluster.
    Kubernetes,
    /// `helm upgrade --install`.
    Helm,
    /// Azure Resource Manager calls to the registry.
    Acr,
    /// Harbor's REST API.
    Harbor,
}

impl Target {
    fn heading(self) -> &'static str {
        match self {
            Target::Kubernetes => "Kubernetes",
            Target::Helm => "Helm",
            Target::Acr => "Azure Container Registry",
            Target::Harbor => "Harbor",
        }
    }
}

/// The action of a step, which `apply` dispatches on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StepKind {
    /// Apply Harbor's Namespace.
    Namespace,
    /// Apply the StorageClass at this index of [`Plan::storage_classes`].
    StorageClass(usize),
    /// Apply the Secret at this index of [`Plan::secrets`].
    Secret(usize),
    /// Apply cert-manager's ClusterIssuer.
    ClusterIssuer,
    /// Install or upgrade the Harbor release.
    HelmRelease,
    /// Create the registry or update its SKU and admin user.
    AcrRegistry,
    /// Create the scope map or make its actions exactly the planned list.
    AcrScopeMap,
    /// Create the token bound to the scope map.
    AcrToken,
    /// Reuse the token's kept `password1`, or generate and keep a new one.
    AcrTokenPassword,
    /// Create the robot account ACR imports with, and reuse or refresh its kept secret.
    HarborRobot,
    /// Create or update Harbor's registry endpoint of ACR.
    HarborEndpoint,
    /// Create or update the replication rule.
    HarborReplication,
    /// Import or copy the image at this index of [`Plan::imports`] into ACR, by its route.
    AcrImport(usize),
    /// Apply the sample application's Namespace.
    AppNamespace,
    /// Apply the application's pull Secret with the import robot's credentials.
    AppPullSecret,
    /// Apply the application's Deployment and wait for its rollout.
    AppDeployment,
}

/// One step of the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// The system the step acts on.
    pub target: Target,
    /// The action.
    pub kind: StepKind,
    /// One line describing the step.
    pub summary: String,
    /// Further lines: the request body, the values, the secret sources.
    pub details: Vec<String>,
}

impl Plan {
    /// Lists the steps in the order `apply` runs them.
    pub fn steps(&self) -> Vec<Step> {
        let mut steps = Vec::new();
        let mut push = |target, kind, summary: String, details: Vec<String>| {
            steps.push(Step {
                target,
                kind,
                summary,
                details,
            });
        };

        let namespace = self.release.namespace.clone();
        push(
            Target::Kubernetes,
            StepKind::Namespace,
            format!("apply Namespace {namespace}"),
            Vec::new(),
        );
        for (index, class) in self.storage_classes.iter().enumerate() {
            push(
                Target::Kubernetes,
                StepKind::StorageClass(index),
                format!("apply StorageClass {}", describe_storage_class(class)),
                Vec::new(),
            );
        }
        for (index, secret) in self.secrets.iter().enumerate() {
            let name = secret.metadata.name.clone().unwrap_or_default();
            let details = self
                .secret_sources
                .iter()
                .filter(|source| source.secret == name)
                .map(|source| match source.derived {
                    Some(derived) => format!(
                        "{} = {derived} {} ({})",
                        source.key, source.reference, source.config_key
                    ),
                    None => format!(
                        "{} = {} ({})",
                        source.key, source.reference, source.config_key
                    ),
                })
                .collect();
            push(
                Target::Kubernetes,
                StepKind::Secret(index),
                format!("apply Secret {namespace}/{name}"),
                details,
            );
        }
        if let Some(issuer) = &self.cluster_issuer {
            let name = issuer.metadata.name.clone().unwrap_or_default();
            let server = issuer.data["spec"]["acme"]["server"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            push(
                Target::Kubernetes,
                StepKind::ClusterIssuer,
                format!("apply ClusterIssuer {name} (ACME {server}, HTTP-01)"),
                Vec::new(),
            );
        }

        let mut details = vec![format!("values.yaml ({} preset):", self.preset)];
        details.extend(self.values_yaml.lines().map(|line| format!("  {line}")));
        push(
            Target::Helm,
            StepKind::HelmRelease,
            format!("helm {}", self.helm_args("values.yaml".as_ref()).join(" ")),
            details,
        );

        if let Some(acr) = &self.acr {
            let registry = acr.registry.as_str();
            let create = &acr.registry_create;
            let zones = if create.zone_redundancy.is_some() {
                ", zone redundant"
            } else {
                ""
            };
            push(
                Target::Acr,
                StepKind::AcrRegistry,
                format!(
                    "ensure registry {registry} ({:?}, {}, admin user disabled{zones}) in resource group {}",
                    create.sku, create.location, acr.resource_group
                ),
                Vec::new(),
            );
            let actions = acr.actions.iter().map(ToString::to_string).collect();
            push(
                Target::Acr,
                StepKind::AcrScopeMap,
                format!(
                    "ensure scope map {} on registry {registry} with exactly these actions, removing any others:",
                    acr.scope_map.as_str()
                ),
                actions,
            );
            push(
                Target::Acr,
                StepKind::AcrToken,
                format!(
                    "ensure token {} (enabled) bound to scope map {}",
                    acr.token.as_str(),
                    acr.scope_map.as_str()
                ),
                Vec::new(),
            );
            push(
                Target::Acr,
                StepKind::AcrTokenPassword,
                format!(
                    "reuse password1 of token {} kept in Secret {namespace}/{ACR_PASSWORD_SECRET}, or generate a new one (no expiry) when none is kept, ARM lists none or one generated since, it expires within {} days, or apply runs with --rotate-credentials; never printed",
                    acr.token.as_str(),
                    PASSWORD_RENEWAL_MARGIN.as_secs() / 86_400
                ),
                Vec::new(),
            );
        }

        if let Some(robot) = &self.harbor.import_robot {
            push(
                Target::Harbor,
                StepKind::HarborRobot,
                format!(
                    "ensure robot account {} with pull access to project {}; reuse its secret kept in Secret {namespace}/{ROBOT_SECRET_SECRET}, or refresh it when none is kept, Harbor rejects the kept one, or apply runs with --rotate-credentials",
                    robot.full_name(),
                    robot.project
                ),
                Vec::new(),
            );
        }
        if let Some(endpoint) = &self.harbor.acr_endpoint {
            push(
                Target::Harbor,
                StepKind::HarborEndpoint,
                format!(
                    "ensure registry endpoint {} (azure-acr, {}) with user {} and that token's password1, sent when it is new or the stored one fails Harbor's ping",
                    endpoint.name, endpoint.url, endpoint.access_key
                ),
                Vec::new(),
            );
        }
        if let Some(rule) = &self.harbor.replication {
            // The endpoint id is known only at apply; any positive id builds the body, and the
            // destination is then shown by name.
            let details = match rule.spec(1) {
                Ok(spec) => {
                    let mut body = serde_json::to_value(spec.to_model()).unwrap_or_default();
                    body["dest_registry"] =
                        serde_json::json!({ "id": format!("<id of endpoint {}>", rule.endpoint) });
                    json_lines(&body)
                }
                Err(error) => vec![format!("<invalid: {error}>")],
            };
            push(
                Target::Harbor,
                StepKind::HarborReplication,
                format!(
                    "ensure replication rule {}: push {} to {} under {}/ on each push",
                    rule.name, rule.pattern, rule.endpoint, rule.namespace
                ),
                details,
            );
        }

        if let Some(acr) = &self.acr {
            for (index, import) in self.imports.iter().enumerate() {
                let verb = match import.route.route {
                    Route::ServerSideImport => "import",
                    Route::ClientSideCopy => "copy",
                };
                push(
                    Target::Acr,
                    StepKind::AcrImport(index),
                    format!(
                        "{verb} {}/{} to {}/{} (digest pinned, overwriting the tag)",
                        import.source_registry,
                        import.source_image,
                        acr.registry.login_server(),
                        import.target_tag
                    ),
                    vec![format!("route: {}", import.route)],
                );
            }
        }
        if let Some(app) = &self.app {
            let app_namespace = app.namespace.metadata.name.clone().unwrap_or_default();
            push(
                Target::Kubernetes,
                StepKind::AppNamespace,
                format!("apply Namespace {app_namespace}"),
                Vec::new(),
            );
            if let Some((registry, robot)) = &app.pull {
                push(
                    Target::Kubernetes,
                    StepKind::AppPullSecret,
                    format!(
                        "apply Secret {app_namespace}/{} (kubernetes.io/dockerconfigjson for {registry} as {})",
                        super::PULL_SECRET,
                        robot.full_name()
                    ),
                    Vec::new(),
                );
            }
            push(
                Target::Kubernetes,
                StepKind::AppDeployment,
                format!(
                    "apply Deployment {app_namespace}/{} ({}, {} replicas spread across zones and hosts) and wait for its rollout",
                    app.deployment.metadata.name.clone().unwrap_or_default(),
                    app_image(app),
                    app.deployment
                        .spec
                        .as_ref()
                        .and_then(|spec| spec.replicas)
                        .unwrap_or(1)
                ),
                Vec::new(),
            );
        }
        steps
    }

    /// Renders the plan as text: a header, the numbered steps grouped by target, and warnings.
    pub fn render_text(&self) -> String {
        let mut text = String::new();
        let _ = writeln!(
            text,
            "Plan: Harbor {} on AKS, preset {}, chart {} {}",
            self.harbor.url,
            self.preset,
            self.release.chart,
            self.release.version.as_deref().unwrap_or("(latest)")
        );
        if let Some(class) = &self.existing_storage_class {
            let _ = writeln!(
                text,
                "Storage: existing StorageClass {class} (created by AKS)"
            );
        }

        if !self.prerequisites.is_empty() {
            let _ = writeln!(text, "\nPrerequisites (not created by this plan)");
            for line in &self.prerequisites {
                let _ = writeln!(text, "  - {line}");
            }
        }

        let mut current = None;
        for (index, step) in self.steps().iter().enumerate() {
            if current != Some(step.target) {
                let _ = writeln!(text, "\n{}", step.target.heading());
                current = Some(step.target);
            }
            let _ = writeln!(text, "{:>3}. {}", index + 1, step.summary);
            for line in &step.details {
                let _ = writeln!(text, "       {line}");
            }
        }

        if !self.warnings.is_empty() {
            let _ = writeln!(text, "\nWarnings");
            for warning in &self.warnings {
                let _ = writeln!(text, "  - {warning}");
            }
        }
        text
    }
}

fn app_image(app: &super::AppPlan) -> String {
    app.deployment
        .spec
        .as_ref()
        .and_then(|spec| spec.template.spec.as_ref())
        .and_then(|pod| pod.containers.first())
        .and_then(|container| container.image.clone())
        .unwrap_or_default()
}

fn describe_storage_class(class: &StorageClass) -> String {
    let name = class.metadata.name.clone().unwrap_or_default();
    let sku = class
        .parameters
        .as_ref()
        .and_then(|parameters| parameters.get("skuName").cloned())
        .unwrap_or_default();
    format!("{name} ({}, skuName {sku})", class.provisioner)
}

fn json_lines(body: &impl Serialize) -> Vec<String> {
    let json = serde_json::to_string_pretty(body).unwrap_or_else(|error| format!("<{error}>"));
    json.lines().map(str::to_owned).collect()
}

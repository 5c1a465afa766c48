//! `deploy_across_zones`: storage classes, secrets, helm, rollout and spread report, with a plan
//! that lists the same steps without running them.

use k8s_openapi::api::core::v1::{Namespace, Node, Secret};
use k8s_openapi::api::storage::v1::StorageClass;
use kube::Client;
use kube::api::{Api, ListParams};
use kube::core::DynamicObject;

use crate::chart_keys::ChartKeys;
use crate::error::{Error, Result};
use crate::helm::{Helm, Release};
use crate::kube_apply::Applier;
use crate::manifests::{
    AcmeIssuer, HarborSecrets, RegistryCredentials, cluster_issuer, cluster_issuer_resource,
    namespace, pull_secret, zrs_disk_storage_class, zrs_file_storage_class,
};
use crate::plan::{Plan, PlanStep};
use crate::presets::{PresetBase, ZoneLayout, across_zones};
use crate::render::render_values;
use crate::rollout::{WaitPolicy, wait_for_release};
use crate::spread::{SpreadReport, ZonePreflight, preflight_zone_labels, read_spread};
use crate::validate::ValidationContext;
use crate::values::HarborValues;

/// Inputs of a zone-redundant Harbor deployment.
#[derive(Debug, Clone)]
pub struct ZoneDeployment {
    /// The helm release (chart folder or reference, name, namespace, timeout).
    pub release: Release,
    /// Host, ingress class and cert-manager issuer name.
    pub base: PresetBase,
    /// Zones and storage class names.
    pub layout: ZoneLayout,
    /// Harbor's secret values.
    pub secrets: HarborSecrets,
    /// A ClusterIssuer to create; `base.cluster_issuer` should name it.
    pub issuer: Option<AcmeIssuer>,
    /// A pull Secret for Harbor's images (for example a mirror in ACR), with its name.
    pub image_pull: Option<(String, Vec<RegistryCredentials>)>,
    /// Changes to the preset's values before validation.
    pub customize: Option<fn(&mut HarborValues)>,
    /// The chart's key tree.
    pub chart_keys: ChartKeys,
    /// Policy for nodes without a zone label.
    pub preflight: ZonePreflight,
    /// Rollout deadline and poll interval.
    pub wait: WaitPolicy,
}

/// Everything a deployment applies, built without contacting the cluster.
#[derive(Debug, Clone)]
pub struct PreparedDeployment {
    /// The final values.
    pub values: HarborValues,
    /// The rendered values file.
    pub values_yaml: String,
    /// The Namespace.
    pub namespace: Namespace,
    /// The Premium ZRS disk and file classes.
    pub storage_classes: Vec<StorageClass>,
    /// Harbor's Secrets and the pull Secret.
    pub secrets: Vec<Secret>,
    /// The ClusterIssuer.
    pub issuer: Option<DynamicObject>,
    /// Validation and pre-flight warnings.
    pub warnings: Vec<String>,
}

/// Result of [`deploy_across_zones`].
#[derive(Debug, Clone)]
pub struct DeployReport {
    /// The plan that was run.
    pub plan: Plan,
    /// Workloads that rolled out.
    pub rolled_out: Vec<String>,
    /// Pods per zone and node after the rollout.
    pub spread: SpreadReport,
}

/// Builds the values and objects of a zone deployment; `nodes`, when given, drive the
/// zone-label pre-flight.
///
/// # Errors
///
/// Returns [`Error::Invalid`] when validation fails, [`Error::InvalidInput`] for bad secrets,
/// zones, issuer settings or Kubernetes names.
pub fn prepare_across_zones(
    deployment: &ZoneDeployment,
    nodes: Option<&[Node]>,
) -> Result<PreparedDeployment> {
    let namespace_name = &deployment.release.namespace;
    let mut values = across_zones(&deployment.base, &deployment.layout)?;
    if let Some(customize) = deployment.customize {
        customize(&mut values);
    }

    let mut warnings = Vec::new();
    if let Some(nodes) = nodes {
        warnings.extend(preflight_zone_labels(
            nodes,
            &mut values,
            deployment.preflight,
            usize::from(deployment.layout.zones),
        )?);
    }

    let mut secrets = deployment.secrets.apply(&mut values, namespace_name)?;
    if let Some((name, credentials)) = &deployment.image_pull {
        secrets.push(pull_secret(name, namespace_name, credentials)?);
        values.image_pull_secrets = vec![name.clone()];
    }

    let context = ValidationContext::new(deployment.chart_keys.clone())
        .with_zone_redundant_class(&deployment.layout.disk_class)
        .with_zone_redundant_class(&deployment.layout.file_class);
    let rendered = render_values(&values, &context)?;
    warnings.extend(rendered.warnings.iter().map(ToString::to_string));

    let issuer = deployment.issuer.as_ref().map(cluster_issuer).transpose()?;
    Ok(PreparedDeployment {
        values,
        values_yaml: rendered.yaml,
        namespace: namespace(namespace_name)?,
        storage_classes: vec![
            zrs_disk_storage_class(&deployment.layout.disk_class)?,
            zrs_file_storage_class(&deployment.layout.file_class)?,
        ],
        secrets,
        issuer,
        warnings,
    })
}

/// Lists the steps of a prepared deployment; secret values appear as `***`.
pub fn plan(deployment: &ZoneDeployment, prepared: &PreparedDeployment) -> Plan {
    let namespace = deployment.release.namespace.clone();
    let selector = format!("release={}", deployment.release.name);
    let mut steps = vec![PlanStep::ApplyNamespace {
        name: namespace.clone(),
    }];
    for class in &prepared.storage_classes {
        steps.push(PlanStep::ApplyStorageClass {
            name: class.metadata.name.clone().unwrap_or_default(),
            provisioner: class.provisioner.clone(),
            sku: class
                .parameters
                .as_ref()
                .and_then(|p| p.get("skuName").cloned())
                .unwrap_or_default(),
        });
    }
    for secret in &prepared.secrets {
        steps.push(PlanStep::ApplySecret {
            namespace: namespace.clone(),
            name: secret.metadata.name.clone().unwrap_or_default(),
            kind: secret.type_.clone().unwrap_or_default(),
            keys: secret
                .data
                .as_ref()
                .map(|data| data.keys().cloned().collect())
                .unwrap_or_default(),
        });
    }
    if let Some(issuer) = &prepared.issuer {
        steps.push(PlanStep::ApplyClusterIssuer {
            name: issuer.metadata.name.clone().unwrap_or_default(),
        });
    }
    let redactor = deployment.secrets.redactor();
    steps.push(PlanStep::HelmUpgradeInstall {
        args: Helm::upgrade_install_args(&deployment.release, "<values file>".as_ref()),
        values_yaml: redactor.redact(&prepared.values_yaml),
    });
    steps.push(PlanStep::WaitForRollout {
        namespace: namespace.clone(),
        selector: selector.clone(),
        timeout_seconds: deployment.wait.timeout.as_secs(),
    });
    steps.push(PlanStep::ReportSpread {
        namespace,
        selector,
    });
    Plan {
        steps,
        warnings: prepared.warnings.clone(),
    }
}

/// Deploys Harbor across zones: pre-flight, Namespace, storage classes, Secrets, ClusterIssuer,
/// `helm upgrade --install`, rollout waits and a spread report.
///
/// # Errors
///
/// Returns the first failing step's error; helm errors have secret values replaced by `***`.
pub async fn deploy_across_zones(
    client: &Client,
    helm: &Helm,
    deployment: &ZoneDeployment,
) -> Result<DeployReport> {
    let nodes: Api<Node> = Api::all(client.clone());
    let node_list = nodes
        .list(&ListParams::default())
        .await
        .map_err(|error| Error::kube("list Nodes", error))?;
    let prepared = prepare_across_zones(deployment, Some(&node_list.items))?;
    let plan = plan(deployment, &prepared);
    for warning in &prepared.warnings {
        tracing::warn!(%warning, "deploy_across_zones");
    }

    let applier = Applier::new(client.clone());
    applier.apply_cluster(&prepared.namespace).await?;
    for class in &prepared.storage_classes {
        applier.apply_cluster(class).await?;
    }
    for secret in &prepared.secrets {
        applier.apply_namespaced(secret).await?;
    }
    if let Some(issuer) = &prepared.issuer {
        applier
            .apply_dynamic_cluster(issuer, &cluster_issuer_resource())
            .await?;
    }

    let helm = helm.clone().with_redactor(deployment.secrets.redactor());
    helm.upgrade_install(&deployment.release, &prepared.values_yaml)
        .await?;

    let selector = format!("release={}", deployment.release.name);
    let namespace = &deployment.release.namespace;
    let rolled_out = wait_for_release(client, namespace, &selector, deployment.wait).await?;
    let spread = read_spread(client, namespace, &selector).await?;
    Ok(DeployReport {
        plan,
        rolled_out,
        spread,
    })
}

//! Scheduling and scaling settings shared by the chart's components.

use std::collections::BTreeMap;
use std::fmt;

use k8s_openapi::api::core::v1::{
    Affinity, ResourceRequirements, Toleration, TopologySpreadConstraint,
};
use serde::Serialize;

/// A Harbor component that the chart deploys as its own workload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Component {
    /// `core`: API and token service.
    Core,
    /// `portal`: web UI.
    Portal,
    /// `registry`: the distribution registry and registryctl.
    Registry,
    /// `jobservice`: replication, scan and GC jobs.
    Jobservice,
    /// `trivy`: the vulnerability scanner (a StatefulSet).
    Trivy,
    /// `database`: the internal PostgreSQL (a StatefulSet of one replica).
    Database,
    /// `redis`: the internal Redis (a StatefulSet of one replica).
    Redis,
    /// `nginx`: the proxy used when the chart is not exposed by an ingress.
    Nginx,
    /// `exporter`: the metrics exporter.
    Exporter,
}

impl Component {
    /// Components whose pods the chart can run as several replicas with spread constraints.
    pub const SCALABLE: [Component; 7] = [
        Component::Core,
        Component::Portal,
        Component::Registry,
        Component::Jobservice,
        Component::Trivy,
        Component::Nginx,
        Component::Exporter,
    ];

    /// Returns the chart's name for the component (the top-level values key and `component` label).
    pub fn as_str(self) -> &'static str {
        match self {
            Component::Core => "core",
            Component::Portal => "portal",
            Component::Registry => "registry",
            Component::Jobservice => "jobservice",
            Component::Trivy => "trivy",
            Component::Database => "database",
            Component::Redis => "redis",
            Component::Nginx => "nginx",
            Component::Exporter => "exporter",
        }
    }
}

impl fmt::Display for Component {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The chart's `podDisruptionBudget` block; the chart renders the budget only when replicas > 1.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DisruptionBudget {
    /// Whether the chart renders a PodDisruptionBudget.
    pub enabled: bool,
    /// Minimum available pods.
    pub min_available: i32,
}

/// Replicas and scheduling of one component (`core`, `portal`, `registry`, ...).
///
/// Empty collections and `None` are left out of the values, so the chart's defaults apply.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Workload {
    /// Number of pods.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replicas: Option<i32>,
    /// Pod disruption budget.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pod_disruption_budget: Option<DisruptionBudget>,
    /// Node labels the pods must match.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub node_selector: BTreeMap<String, String>,
    /// Tolerations of the pods.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tolerations: Vec<Toleration>,
    /// Affinity of the pods.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub affinity: Option<Affinity>,
    /// Spread constraints, without `labelSelector`: the chart appends its own selector
    /// (`release`, `app` and `component`) to every constraint.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub topology_spread_constraints: Vec<TopologySpreadConstraint>,
    /// Extra pod annotations.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub pod_annotations: BTreeMap<String, String>,
    /// Priority class of the pods.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority_class_name: Option<String>,
}

impl Workload {
    /// Returns the replica count the chart uses when none is set (1).
    pub fn effective_replicas(&self) -> i32 {
        self.replicas.unwrap_or(1)
    }
}

/// Settings of `core`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Core {
    /// Replicas and scheduling.
    #[serde(flatten)]
    pub workload: Workload,
    /// Name of a Secret with key `secret` (16 characters) used between core, jobservice and
    /// registry; the chart generates one when unset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub existing_secret: Option<String>,
}

/// The registry's own credentials for core and jobservice (`registry.credentials`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RegistryCredentialsRef {
    /// Name of a Secret with keys `REGISTRY_PASSWD` and `REGISTRY_HTPASSWD`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub existing_secret: Option<String>,
}

/// Settings of `registry`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Registry {
    /// Replicas and scheduling.
    #[serde(flatten)]
    pub workload: Workload,
    /// Credential secret reference.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credentials: Option<RegistryCredentialsRef>,
}

/// Destination of jobservice job logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum JobLogger {
    /// Files on the jobservice `jobLog` volume.
    File,
    /// The Harbor database; no volume is needed.
    Database,
    /// Standard output.
    Stdout,
}

/// Settings of `jobservice`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Jobservice {
    /// Replicas and scheduling.
    #[serde(flatten)]
    pub workload: Workload,
    /// Job loggers; the chart default is `[file]`, which needs the `jobLog` volume.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job_loggers: Option<Vec<JobLogger>>,
}

impl Jobservice {
    /// Returns true when jobs log to files, so the chart mounts the `jobLog` claim.
    pub fn logs_to_file(&self) -> bool {
        self.job_loggers
            .as_ref()
            .is_none_or(|loggers| loggers.contains(&JobLogger::File))
    }
}

/// Settings of `trivy`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Trivy {
    /// Whether the chart deploys trivy.
    pub enabled: bool,
    /// Replicas and scheduling.
    #[serde(flatten)]
    pub workload: Workload,
    /// Container resources.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resources: Option<ResourceRequirements>,
}

impl Default for Trivy {
    fn default() -> Self {
        Trivy {
            enabled: true,
            workload: Workload::default(),
            resources: None,
        }
    }
}

/// The chart's `updateStrategy.type`, applied to registry and jobservice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum UpdateStrategy {
    /// Start new pods before stopping old ones (chart default).
    RollingUpdate,
    /// Stop old pods first: needed when a ReadWriteOnce volume cannot attach twice.
    Recreate,
}

#[derive(Serialize)]
pub(crate) struct UpdateStrategyRepr {
    #[serde(rename = "type")]
    pub(crate) kind: UpdateStrategy,
}

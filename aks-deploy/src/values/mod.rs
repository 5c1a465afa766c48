//! Typed values of the goharbor/harbor chart 1.19.2.
//!
//! Every field maps to a key of the chart's values.yaml. `None`, empty maps and empty lists are
//! left out of the rendered file because a `null` in Helm values deletes the chart's default.

mod component;
mod database;
mod expose;
mod metrics;
mod persistence;
mod redis;

use serde::Serialize;
use serde_json::Value;

pub use component::{
    Component, Core, DisruptionBudget, JobLogger, Jobservice, Registry, RegistryCredentialsRef,
    Trivy, UpdateStrategy, Workload,
};
pub use database::{Database, ExternalDatabase, SslMode};
pub use expose::{AcmeChallenge, CertManager, Expose, ExposeKind, Ingress, ServiceExposure, Tls};
pub use metrics::{Metrics, ServiceMonitor};
pub use persistence::{AccessMode, Claim, Claims, ImageStorage, JobserviceClaims, Persistence};
pub use redis::{ExternalRedis, Redis, RedisIndexes};

use component::UpdateStrategyRepr;

/// Default name of the Secret holding the Harbor admin password.
pub const DEFAULT_ADMIN_PASSWORD_SECRET: &str = "harbor-admin-password";

/// Values of the goharbor/harbor chart.
#[derive(Debug, Clone, PartialEq)]
pub struct HarborValues {
    /// Exposure (ingress or service) and TLS.
    pub expose: Expose,
    /// The URL clients use, for example `https://harbor.example.test`.
    pub external_url: String,
    /// Name of the Secret with the admin password; the chart's plain `harborAdminPassword` is
    /// never emitted.
    pub admin_password_secret: String,
    /// Key of the admin password in that Secret (chart default `HARBOR_ADMIN_PASSWORD`).
    pub admin_password_key: Option<String>,
    /// Name of a Secret with key `secretKey` (16 characters) used to encrypt stored credentials.
    pub secret_key_secret: Option<String>,
    /// Volume claims and image storage.
    pub persistence: Persistence,
    /// Update strategy of registry and jobservice.
    pub update_strategy: Option<UpdateStrategy>,
    /// Pull secrets of every Harbor pod.
    pub image_pull_secrets: Vec<String>,
    /// `core`.
    pub core: Core,
    /// `portal`.
    pub portal: Workload,
    /// `registry`.
    pub registry: Registry,
    /// `jobservice`.
    pub jobservice: Jobservice,
    /// `trivy`.
    pub trivy: Trivy,
    /// `nginx`, used when not exposed by an ingress.
    pub nginx: Workload,
    /// `exporter`, deployed when metrics are enabled.
    pub exporter: Workload,
    /// `database`.
    pub database: Database,
    /// `redis`.
    pub redis: Redis,
    /// `metrics`.
    pub metrics: Option<Metrics>,
    /// Values merged over the typed ones; validation checks them like the rest.
    pub extra: Value,
}

impl HarborValues {
    /// Returns values with the chart's defaults, exposed by `expose` at `external_url`.
    pub fn new(external_url: impl Into<String>, expose: Expose) -> Self {
        HarborValues {
            expose,
            external_url: external_url.into(),
            admin_password_secret: DEFAULT_ADMIN_PASSWORD_SECRET.to_string(),
            admin_password_key: None,
            secret_key_secret: None,
            persistence: Persistence::default(),
            update_strategy: None,
            image_pull_secrets: Vec::new(),
            core: Core::default(),
            portal: Workload::default(),
            registry: Registry::default(),
            jobservice: Jobservice::default(),
            trivy: Trivy::default(),
            nginx: Workload::default(),
            exporter: Workload::default(),
            database: Database::Internal,
            redis: Redis::Internal,
            metrics: None,
            extra: Value::Object(serde_json::Map::new()),
        }
    }

    /// Returns the scheduling settings of `component`, or `None` for the internal database and
    /// Redis, which the chart runs as a single pod.
    pub fn workload(&self, component: Component) -> Option<&Workload> {
        match component {
            Component::Core => Some(&self.core.workload),
            Component::Portal => Some(&self.portal),
            Component::Registry => Some(&self.registry.workload),
            Component::Jobservice => Some(&self.jobservice.workload),
            Component::Trivy => Some(&self.trivy.workload),
            Component::Nginx => Some(&self.nginx),
            Component::Exporter => Some(&self.exporter),
            Component::Database | Component::Redis => None,
        }
    }

    /// Returns the mutable scheduling settings of `component` (see [`HarborValues::workload`]).
    pub fn workload_mut(&mut self, component: Component) -> Option<&mut Workload> {
        match component {
            Component::Core => Some(&mut self.core.workload),
            Component::Portal => Some(&mut self.portal),
            Component::Registry => Some(&mut self.registry.workload),
            Component::Jobservice => Some(&mut self.jobservice.workload),
            Component::Trivy => Some(&mut self.trivy.workload),
            Component::Nginx => Some(&mut self.nginx),
            Component::Exporter => Some(&mut self.exporter),
            Component::Database | Component::Redis => None,
        }
    }

    /// Returns the components the chart deploys with these values and that accept replicas.
    pub fn deployed_scalable_components(&self) -> Vec<Component> {
        Component::SCALABLE
            .into_iter()
            .filter(|component| match component {
                Component::Nginx => !matches!(self.expose.kind, ExposeKind::Ingress(_)),
                Component::Exporter => self.metrics.as_ref().is_some_and(|m| m.enabled),
                Component::Trivy => self.trivy.enabled,
                _ => true,
            })
            .collect()
    }

    /// Serializes the typed values and merges [`HarborValues::extra`] over them.
    pub fn to_value(&self) -> Value {
        let mut value = self.typed_value();
        merge(&mut value, &self.extra);
        value
    }

    /// Serializes the values as [`HarborValues::to_value`] does, with the keys moved to where
    /// chart `version` (such as `1.9.6`) reads them.
    ///
    /// Charts before 1.10.0 read the jobservice log claim from flat keys
    /// (`persistence.persistentVolumeClaim.jobservice.{storageClass,accessMode,size,…}`). Later
    /// charts read them under `jobservice.jobLog` and ignore the flat keys without a warning.
    /// Only that move is made: other keys are those of chart 1.19.2, which
    /// [`crate::chart_keys::CHART_VERSION`] names and validation checks.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`](crate::Error::InvalidInput) when `version` is not
    /// `MAJOR.MINOR.PATCH` (a leading `v` is allowed).
    pub fn to_value_for_chart(&self, version: &str) -> crate::error::Result<Value> {
        let (major, minor) = parse_chart_version(version)?;
        let mut value = self.to_value();
        if (major, minor) < (1, 10) {
            flatten_job_log(&mut value);
        }
        Ok(value)
    }

    /// Serializes only the typed values, without [`HarborValues::extra`].
    pub fn typed_value(&self) -> Value {
        let repr = ValuesRepr {
            expose: &self.expose,
            external_url: &self.external_url,
            existing_secret_admin_password: &self.admin_password_secret,
            existing_secret_admin_password_key: self.admin_password_key.as_deref(),
            existing_secret_secret_key: self.secret_key_secret.as_deref(),
            persistence: &self.persistence,
            update_strategy: self.update_strategy.map(|kind| UpdateStrategyRepr { kind }),
            image_pull_secrets: self
                .image_pull_secrets
                .iter()
                .map(|name| NameRepr { name })
                .collect(),
            core: &self.core,
            portal: &self.portal,
            registry: &self.registry,
            jobservice: &self.jobservice,
            trivy: &self.trivy,
            nginx: &self.nginx,
            exporter: &self.exporter,
            database: &self.database,
            redis: &self.redis,
            metrics: self.metrics.as_ref(),
        };
        let mut value = serde_json::to_value(repr).unwrap_or(Value::Null);
        prune_empty(&mut value);
        value
    }
}

/// Deep-merges `overlay` into `base`: mappings merge key by key, anything else replaces.
pub fn merge(base: &mut Value, overlay: &Value) {
    match (base, overlay) {
        (Value::Object(base), Value::Object(overlay)) => {
            for (key, value) in overlay {
                merge(base.entry(key.clone()).or_insert(Value::Null), value);
            }
        }
        (base, overlay) => *base = overlay.clone(),
    }
}

/// Removes empty mappings left by sections with no field set, so the chart defaults apply.
fn prune_empty(value: &mut Value) {
    if let Value::Object(map) = value {
        for child in map.values_mut() {
            prune_empty(child);
        }
        map.retain(|_, child| !matches!(child, Value::Object(inner) if inner.is_empty()));
    }
}

#[derive(Serialize)]
struct NameRepr<'a> {
    name: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ValuesRepr<'a> {
    expose: &'a Expose,
    #[serde(rename = "externalURL")]
    external_url: &'a str,
    existing_secret_admin_password: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    existing_secret_admin_password_key: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    existing_secret_secret_key: Option<&'a str>,
    persistence: &'a Persistence,
    #[serde(skip_serializing_if = "Option::is_none")]
    update_strategy: Option<UpdateStrategyRepr>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    image_pull_secrets: Vec<NameRepr<'a>>,
    core: &'a Core,
    portal: &'a Workload,
    registry: &'a Registry,
    jobservice: &'a Jobservice,
    trivy: &'a Trivy,
    nginx: &'a Workload,
    exporter: &'a Workload,
    database: &'a Database,
    redis: &'a Redis,
    #[serde(skip_serializing_if = "Option::is_none")]
    metrics: Option<&'a Metrics>,
}

/// Returns the major and minor number of a chart version such as `1.19.2` or `v1.9.6`.
fn parse_chart_version(version: &str) -> crate::error::Result<(u64, u64)> {
    let invalid = || crate::error::Error::InvalidInput {
        field: "chart version",
        value: version.to_owned(),
        rule: "must be MAJOR.MINOR.PATCH, such as 1.19.2".to_owned(),
    };
    let trimmed = version.strip_prefix('v').unwrap_or(version);
    let parts: Vec<&str> = trimmed.split('.').collect();
    let [major, minor, patch] = parts.as_slice() else {
        return Err(invalid());
    };
    let number = |part: &str| part.parse::<u64>().map_err(|_| invalid());
    // The patch may carry a pre-release suffix such as `0-rc1`.
    let patch_digits = patch.split('-').next().unwrap_or_default();
    number(patch_digits)?;
    Ok((number(major)?, number(minor)?))
}

/// Moves `persistence.persistentVolumeClaim.jobservice.jobLog.*` up one level, the layout of
/// charts before 1.10.0.
fn flatten_job_log(value: &mut Value) {
    let Some(jobservice) = value
        .pointer_mut("/persistence/persistentVolumeClaim/jobservice")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    if let Some(Value::Object(job_log)) = jobservice.remove("jobLog") {
        for (key, field) in job_log {
            jobservice.insert(key, field);
        }
    }
}

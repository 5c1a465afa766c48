//! Errors of building a plan.

use std::path::PathBuf;

use aks_deploy::chart_keys::CHART_VERSION;

use super::Preset;
use crate::config::{Config, Problem, SecretError, SecretRef};

/// Errors of [`Plan::build`](super::Plan::build). Messages never contain a secret value.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PlanError {
    /// The preset name is not one of the three.
    #[error("unknown preset `{0}`: use managed-disks, managed-services or across-zones")]
    UnknownPreset(String),

    /// The preset needs a configuration section that is missing.
    #[error("the {preset} preset needs the [{section}] section in the configuration")]
    MissingSection {
        /// The missing section.
        section: &'static str,
        /// The preset.
        preset: Preset,
    },

    /// A configuration value does not fit the plan, shown in the layout of
    /// [`ConfigError::Invalid`](crate::config::ConfigError::Invalid).
    #[error("{origin}: invalid configuration{}:\n  - {problem}", for_preset(*.preset))]
    Setting {
        /// The configuration file path, or `<input>`.
        origin: String,
        /// The preset whose rule the value breaks, when the rule belongs to one preset.
        preset: Option<Preset>,
        /// The key, the value and the rule.
        problem: Problem,
    },

    /// The values.yaml of the Harbor chart is not at the path the plan reads it from.
    #[error(
        "Harbor chart {CHART_VERSION} values file not found at {}: set HARBOR_AZURE_SPECS to a \
         folder that contains harbor-helm/chart/values.yaml. To make one, run `helm pull \
         harbor/harbor --version {CHART_VERSION} --untar --untardir specs/harbor-helm` and \
         rename specs/harbor-helm/harbor to specs/harbor-helm/chart",
        .path.display()
    )]
    ChartValuesNotFound {
        /// The path that was read.
        path: PathBuf,
    },

    /// The chart's values.yaml cannot be read or parsed, or it belongs to another chart version.
    #[error("invalid Harbor chart values file {}: {reason}", .path.display())]
    ChartValues {
        /// Path of the values.yaml file.
        path: PathBuf,
        /// The problem and its fix.
        reason: String,
    },

    /// Building, validating or rendering the chart values or manifests failed.
    #[error("invalid deployment")]
    Values(#[source] aks_deploy::Error),

    /// An ACR name or image is invalid.
    #[error("invalid ACR setting")]
    Acr(#[source] acr_client::Error),

    /// A Harbor robot, endpoint or replication setting is invalid.
    #[error("invalid Harbor setting")]
    Harbor(#[source] harbor_client::Error),

    /// A secret's value breaks a rule. The message shows the source and the length, never
    /// the value.
    #[error("invalid secret `{key}` ({reference}): {rule}")]
    InvalidSecret {
        /// Dotted configuration key of the secret reference.
        key: &'static str,
        /// Source of the value.
        reference: SecretRef,
        /// Rule a valid value follows, and the fix.
        rule: String,
    },

    /// A secret could not be read.
    #[error("failed to read the secret of `{key}`")]
    Secret {
        /// Dotted configuration key of the secret reference.
        key: &'static str,
        /// What failed.
        #[source]
        source: SecretError,
    },
}

impl PlanError {
    /// Builds [`PlanError::Setting`] for `key`, whose value `literal` is written as in TOML
    /// (`2`, `["1"]`, `"text"`).
    pub(crate) fn setting(
        config: &Config,
        preset: Option<Preset>,
        key: impl Into<String>,
        literal: impl std::fmt::Display,
        rule: impl Into<String>,
    ) -> Self {
        PlanError::Setting {
            origin: config.origin().to_owned(),
            preset,
            problem: Problem {
                key: key.into(),
                value: literal.to_string(),
                rule: rule.into(),
                is_string: false,
            },
        }
    }
}

fn for_preset(preset: Option<Preset>) -> String {
    preset.map_or_else(String::new, |preset| format!(" for the {preset} preset"))
}

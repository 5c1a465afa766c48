//! Errors of building a plan.

use super::Preset;
use crate::config::SecretError;

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

    /// A configuration value does not fit the chosen preset.
    #[error("{key} = {value}: {rule}")]
    Setting {
        /// Dotted configuration key.
        key: String,
        /// The value.
        value: String,
        /// What the preset needs.
        rule: String,
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

    /// A secret could not be read.
    #[error("failed to read the secret of `{key}`")]
    Secret {
        /// Dotted configuration key of the secret reference.
        key: &'static str,
        /// What failed.
        #[source]
        source: SecretError,
    },

    /// A secret was read but breaks a rule of its use.
    #[error("invalid secret `{key}`: it {reason}")]
    InvalidSecret {
        /// Dotted configuration key of the secret reference.
        key: &'static str,
        /// The rule it breaks; never the value.
        reason: String,
    },
}

//! The errors and warnings that validation reports.

use std::fmt;

use crate::values::Component;

/// A problem that stops rendering. The message names the key, the value and the fix.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ValidationError {
    /// A key that the chart's values.yaml does not contain; Helm would ignore it.
    UnknownKey {
        /// Dotted key path.
        key: String,
        /// The key to use instead, when one is known.
        replacement: Option<String>,
    },
    /// A mapping set where the chart expects a scalar.
    MappingForScalar {
        /// Dotted key path.
        key: String,
    },
    /// Several replicas mount the same ReadWriteOnce claim.
    RwoWithReplicas {
        /// The components concerned.
        components: Vec<Component>,
    },
    /// The internal database or Redis was asked to run more than one replica.
    InternalScaled {
        /// The component.
        component: Component,
        /// The key that asked for it.
        key: String,
    },
    /// A spread constraint carries its own `labelSelector`; the chart appends one, which would
    /// give the constraint two `labelSelector` keys.
    UserLabelSelector {
        /// The component.
        component: Component,
    },
    /// A spread constraint the API server rejects (maxSkew below 1 or no topologyKey).
    InvalidSpreadConstraint {
        /// The component.
        component: Component,
        /// The broken rule.
        reason: String,
    },
    /// An external database without `sslmode`, so the chart default `disable` would apply.
    SslmodeMissing {
        /// The database host.
        host: String,
    },
    /// TLS disabled towards Azure Database for PostgreSQL, which rejects plain connections.
    SslDisabledOnAzure {
        /// The database host.
        host: String,
    },
    /// An Azure Cache for Redis address on a port that does not match the TLS setting.
    RedisPortMismatch {
        /// The `host:port` address.
        addr: String,
        /// Whether TLS is enabled.
        tls: bool,
    },
    /// A component spreads across zones but its volume is not zone-redundant, so its pods are
    /// pinned to the zone of the disk.
    ZoneSpreadWithoutZoneStorage {
        /// The component whose claim is zonal.
        component: Component,
        /// The claim's storage class (`None` is the cluster default class).
        storage_class: Option<String>,
    },
    /// Any other value the cluster or the chart would reject.
    InvalidValue {
        /// Dotted key path.
        key: String,
        /// The rejected value.
        value: String,
        /// The rule and the fix.
        fix: String,
    },
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ValidationError::UnknownKey {
                key,
                replacement: Some(replacement),
            } => write!(
                f,
                "{key} is not a key of chart 1.19.2 and Helm would ignore it: set {replacement} instead"
            ),
            ValidationError::UnknownKey {
                key,
                replacement: None,
            } => write!(
                f,
                "{key} is not a key of chart 1.19.2 and Helm would ignore it: check the spelling against the chart's values.yaml"
            ),
            ValidationError::MappingForScalar { key } => {
                write!(f, "{key} expects a single value, not a mapping")
            }
            ValidationError::RwoWithReplicas { components } => {
                let names: Vec<&str> = components.iter().map(|c| c.as_str()).collect();
                write!(
                    f,
                    "{} run more than one replica on a ReadWriteOnce claim, which a second node cannot attach: \
                     store images in Azure Blob and set jobservice.jobLoggers to [database], \
                     or use a ReadWriteMany class such as azurefile-csi-premium, \
                     or set replicas to 1 with updateStrategy.type Recreate",
                    names.join(" and ")
                )
            }
            ValidationError::InternalScaled { component, key } => write!(
                f,
                "{key}: the internal {component} always runs one replica: use an external {component} for high availability"
            ),
            ValidationError::UserLabelSelector { component } => write!(
                f,
                "{component}.topologySpreadConstraints has a labelSelector, but the chart adds its own: remove it"
            ),
            ValidationError::InvalidSpreadConstraint { component, reason } => {
                write!(f, "{component}.topologySpreadConstraints: {reason}")
            }
            ValidationError::SslmodeMissing { host } => write!(
                f,
                "database.external.sslmode is not set for {host}, so the chart would use disable: set require or verify-full"
            ),
            ValidationError::SslDisabledOnAzure { host } => write!(
                f,
                "database.external.sslmode is disable, but {host} accepts only TLS connections: set require or verify-full"
            ),
            ValidationError::RedisPortMismatch { addr, tls: true } => write!(
                f,
                "redis.external.addr {addr} is the non-TLS port of Azure Cache for Redis while TLS is on: use port 6380"
            ),
            ValidationError::RedisPortMismatch { addr, tls: false } => write!(
                f,
                "redis.external.addr {addr} uses Azure Cache for Redis without TLS: set tlsOptions.enable to true and use port 6380"
            ),
            ValidationError::ZoneSpreadWithoutZoneStorage {
                component,
                storage_class,
            } => write!(
                f,
                "{component} spreads across zones but its claim uses storage class {}, which is not zone-redundant: \
                 use a class with skuName Premium_ZRS, such as the ones manifests::zrs_disk_storage_class and manifests::zrs_file_storage_class build",
                storage_class.as_deref().unwrap_or("(cluster default)")
            ),
            ValidationError::InvalidValue { key, value, fix } => {
                write!(f, "{key} {value:?} is invalid: {fix}")
            }
        }
    }
}

/// A problem that does not stop rendering.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ValidationWarning {
    /// A jobservice job log claim is set but no logger writes files, so the chart renders no
    /// jobservice claim.
    JobLogClaimUnused,
    /// A rolling update of a single replica on a ReadWriteOnce claim can stall when the new pod
    /// lands on another node.
    RollingUpdateOnRwo {
        /// The component.
        component: Component,
    },
}

impl fmt::Display for ValidationWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ValidationWarning::JobLogClaimUnused => f.write_str(
                "persistence.persistentVolumeClaim.jobservice.jobLog is set, but jobservice.jobLoggers has no file logger, so no jobservice claim will be rendered",
            ),
            ValidationWarning::RollingUpdateOnRwo { component } => write!(
                f,
                "{component} uses a ReadWriteOnce claim with updateStrategy RollingUpdate: a new pod on another node cannot attach the volume; set updateStrategy.type to Recreate"
            ),
        }
    }
}

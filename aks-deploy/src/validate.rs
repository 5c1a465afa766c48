//! Checks of [`HarborValues`] that catch, before anything runs, what would otherwise fail only
//! on the cluster or be ignored by Helm without a warning.

use std::collections::BTreeSet;
use std::fmt;

use serde_json::Value;

use crate::chart_keys::{ChartKeys, KeyProblem};
use crate::error::{Error, Result};
use crate::values::{
    AccessMode, Claim, Component, Database, ExposeKind, HarborValues, ImageStorage, Redis, SslMode,
    Tls, UpdateStrategy,
};

/// Label of the zone a node runs in.
pub const ZONE_TOPOLOGY_KEY: &str = "topology.kubernetes.io/zone";
/// Label of a node's host name.
pub const HOSTNAME_TOPOLOGY_KEY: &str = "kubernetes.io/hostname";

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

/// Inputs of validation besides the values.
#[derive(Debug, Clone)]
pub struct ValidationContext {
    /// The chart's key tree.
    pub chart_keys: ChartKeys,
    /// Storage classes whose volumes survive the loss of a zone and attach in every zone.
    pub zone_redundant_classes: BTreeSet<String>,
}

impl ValidationContext {
    /// Returns a context with the chart keys and no zone-redundant class.
    pub fn new(chart_keys: ChartKeys) -> Self {
        ValidationContext {
            chart_keys,
            zone_redundant_classes: BTreeSet::new(),
        }
    }

    /// Adds a zone-redundant storage class name.
    pub fn with_zone_redundant_class(mut self, name: impl Into<String>) -> Self {
        self.zone_redundant_classes.insert(name.into());
        self
    }
}

/// Validates `values`, returning the warnings when there is no error.
///
/// # Errors
///
/// Returns [`Error::Invalid`] listing every problem found.
pub fn validate(
    values: &HarborValues,
    context: &ValidationContext,
) -> Result<Vec<ValidationWarning>> {
    let mut errors = Vec::new();
    let mut warnings = Vec::new();

    check_extra_scaling(&values.extra, &mut errors);
    check_keys(values, &context.chart_keys, &mut errors);
    check_rwo(values, &mut errors, &mut warnings);
    check_spread_constraints(values, &mut errors);
    check_zone_storage(values, context, &mut errors);
    check_database(&values.database, &mut errors);
    check_redis(&values.redis, &mut errors);
    check_expose(values, &mut errors);
    check_quantities(values, &mut errors);
    check_disruption_budgets(values, &mut errors);
    check_names(values, &mut errors);

    if errors.is_empty() {
        Ok(warnings)
    } else {
        Err(Error::Invalid(errors))
    }
}

const INTERNAL_SCALE_KEYS: [(&str, Component); 4] = [
    ("database.replicas", Component::Database),
    ("database.internal.replicas", Component::Database),
    ("redis.replicas", Component::Redis),
    ("redis.internal.replicas", Component::Redis),
];

fn check_extra_scaling(extra: &Value, errors: &mut Vec<ValidationError>) {
    for (key, component) in INTERNAL_SCALE_KEYS {
        let pointer = format!("/{}", key.replace('.', "/"));
        let Some(replicas) = extra.pointer(&pointer) else {
            continue;
        };
        if replicas.as_i64() != Some(1) {
            errors.push(ValidationError::InternalScaled {
                component,
                key: key.to_string(),
            });
        }
    }
}

fn check_keys(values: &HarborValues, keys: &ChartKeys, errors: &mut Vec<ValidationError>) {
    let rendered = values.to_value();
    for (key, problem) in keys.unknown_paths(&rendered) {
        if INTERNAL_SCALE_KEYS
            .iter()
            .any(|(scale_key, _)| *scale_key == key)
        {
            continue;
        }
        match problem {
            KeyProblem::Unknown => {
                let replacement = replacement_key(&key);
                errors.push(ValidationError::UnknownKey { key, replacement });
            }
            KeyProblem::MapForScalar => errors.push(ValidationError::MappingForScalar { key }),
        }
    }
}

/// Returns the chart 1.19 key for a key of older charts.
fn replacement_key(key: &str) -> Option<String> {
    const FLAT_JOBSERVICE: &str = "persistence.persistentVolumeClaim.jobservice.";
    let field = key.strip_prefix(FLAT_JOBSERVICE)?;
    const CLAIM_FIELDS: [&str; 6] = [
        "existingClaim",
        "storageClass",
        "subPath",
        "accessMode",
        "size",
        "annotations",
    ];
    let first = field.split('.').next()?;
    CLAIM_FIELDS
        .contains(&first)
        .then(|| format!("{FLAT_JOBSERVICE}jobLog.{field}"))
}

fn claim_is_rwo(claim: Option<&Claim>) -> bool {
    match claim {
        Some(claim) if claim.existing_claim.is_some() => false,
        Some(claim) => claim.effective_access_mode() != AccessMode::ReadWriteMany,
        None => true,
    }
}

fn check_rwo(
    values: &HarborValues,
    errors: &mut Vec<ValidationError>,
    warnings: &mut Vec<ValidationWarning>,
) {
    if !values.persistence.enabled {
        return;
    }
    let claims = &values.persistence.persistent_volume_claim;
    let job_log = claims.jobservice.as_ref().and_then(|j| j.job_log.as_ref());
    let mut on_rwo = Vec::new();
    if values.persistence.image_chart_storage == ImageStorage::Filesystem
        && claim_is_rwo(claims.registry.as_ref())
    {
        on_rwo.push(Component::Registry);
    }
    if values.jobservice.logs_to_file() && claim_is_rwo(job_log) {
        on_rwo.push(Component::Jobservice);
    }
    if job_log.is_some() && !values.jobservice.logs_to_file() {
        warnings.push(ValidationWarning::JobLogClaimUnused);
    }

    let mut scaled = Vec::new();
    for component in on_rwo {
        let replicas = values
            .workload(component)
            .map_or(1, |workload| workload.effective_replicas());
        if replicas > 1 {
            scaled.push(component);
        } else if values.update_strategy != Some(UpdateStrategy::Recreate) {
            warnings.push(ValidationWarning::RollingUpdateOnRwo { component });
        }
    }
    if !scaled.is_empty() {
        errors.push(ValidationError::RwoWithReplicas { components: scaled });
    }
}

fn check_spread_constraints(values: &HarborValues, errors: &mut Vec<ValidationError>) {
    for component in Component::SCALABLE {
        let Some(workload) = values.workload(component) else {
            continue;
        };
        for constraint in &workload.topology_spread_constraints {
            if constraint.label_selector.is_some() {
                errors.push(ValidationError::UserLabelSelector { component });
            }
            if constraint.max_skew < 1 {
                errors.push(ValidationError::InvalidSpreadConstraint {
                    component,
                    reason: format!("maxSkew {} is below 1", constraint.max_skew),
                });
            }
            if constraint.topology_key.is_empty() {
                errors.push(ValidationError::InvalidSpreadConstraint {
                    component,
                    reason: "topologyKey is empty: use topology.kubernetes.io/zone or kubernetes.io/hostname".into(),
                });
            }
            let policy = constraint.when_unsatisfiable.as_str();
            if policy != "DoNotSchedule" && policy != "ScheduleAnyway" {
                errors.push(ValidationError::InvalidSpreadConstraint {
                    component,
                    reason: format!(
                        "whenUnsatisfiable {policy:?} is neither DoNotSchedule nor ScheduleAnyway"
                    ),
                });
            }
        }
    }
    // The chart's extra values may also carry constraints with selectors.
    for component in Component::SCALABLE {
        let pointer = format!("/{}/topologySpreadConstraints", component.as_str());
        if let Some(Value::Array(constraints)) = values.extra.pointer(&pointer)
            && constraints.iter().any(|c| c.get("labelSelector").is_some())
        {
            errors.push(ValidationError::UserLabelSelector { component });
        }
    }
}

fn spreads_across_zones(values: &HarborValues, component: Component) -> bool {
    values.workload(component).is_some_and(|workload| {
        workload
            .topology_spread_constraints
            .iter()
            .any(|constraint| constraint.topology_key == ZONE_TOPOLOGY_KEY)
    })
}

fn check_zone_storage(
    values: &HarborValues,
    context: &ValidationContext,
    errors: &mut Vec<ValidationError>,
) {
    if !values.persistence.enabled {
        return;
    }
    let claims = &values.persistence.persistent_volume_claim;
    let job_log = claims.jobservice.as_ref().and_then(|j| j.job_log.as_ref());
    let mut volumes: Vec<(Component, Option<&Claim>)> = Vec::new();
    if values.persistence.image_chart_storage == ImageStorage::Filesystem {
        volumes.push((Component::Registry, claims.registry.as_ref()));
    }
    if values.jobservice.logs_to_file() {
        volumes.push((Component::Jobservice, job_log));
    }
    if values.trivy.enabled {
        volumes.push((Component::Trivy, claims.trivy.as_ref()));
    }
    let any_zone_spread = Component::SCALABLE
        .into_iter()
        .any(|component| spreads_across_zones(values, component));
    // A single internal database or Redis pod on a zonal disk would keep Harbor in one zone.
    if any_zone_spread && values.database == Database::Internal {
        volumes.push((Component::Database, claims.database.as_ref()));
    }
    if any_zone_spread && values.redis == Redis::Internal {
        volumes.push((Component::Redis, claims.redis.as_ref()));
    }

    for (component, claim) in volumes {
        let spreads = matches!(component, Component::Database | Component::Redis)
            || spreads_across_zones(values, component);
        if !spreads || claim.is_some_and(|c| c.existing_claim.is_some()) {
            continue;
        }
        let storage_class = claim.and_then(|c| c.storage_class.clone());
        let redundant = storage_class
            .as_ref()
            .is_some_and(|name| context.zone_redundant_classes.contains(name));
        if !redundant {
            errors.push(ValidationError::ZoneSpreadWithoutZoneStorage {
                component,
                storage_class,
            });
        }
    }
}

fn check_database(database: &Database, errors: &mut Vec<ValidationError>) {
    let Database::External(external) = database else {
        return;
    };
    match external.sslmode {
        None => errors.push(ValidationError::SslmodeMissing {
            host: external.host.clone(),
        }),
        Some(SslMode::Disable) if external.host.ends_with(".postgres.database.azure.com") => {
            errors.push(ValidationError::SslDisabledOnAzure {
                host: external.host.clone(),
            });
        }
        Some(_) => {}
    }
    if external.host.is_empty() {
        errors.push(invalid(
            "database.external.host",
            "",
            "set the server's host name",
        ));
    }
    if external.existing_secret.is_empty() {
        errors.push(invalid(
            "database.external.existingSecret",
            "",
            "name a Secret with key password",
        ));
    }
}

fn check_redis(redis: &Redis, errors: &mut Vec<ValidationError>) {
    let Redis::External(external) = redis else {
        return;
    };
    let Some((host, port)) = external.addr.rsplit_once(':') else {
        errors.push(invalid(
            "redis.external.addr",
            &external.addr,
            "use host:port",
        ));
        return;
    };
    if port.parse::<u16>().is_err() {
        errors.push(invalid(
            "redis.external.addr",
            &external.addr,
            "the port is not a number",
        ));
        return;
    }
    if host.ends_with(".redis.cache.windows.net") && (port == "6379" || !external.tls) {
        errors.push(ValidationError::RedisPortMismatch {
            addr: external.addr.clone(),
            tls: external.tls,
        });
    }
    if external.existing_secret.is_empty() {
        errors.push(invalid(
            "redis.external.existingSecret",
            "",
            "name a Secret with key REDIS_PASSWORD",
        ));
    }
}

fn check_expose(values: &HarborValues, errors: &mut Vec<ValidationError>) {
    if !(values.external_url.starts_with("https://") || values.external_url.starts_with("http://"))
    {
        errors.push(invalid(
            "externalURL",
            &values.external_url,
            "use an absolute http:// or https:// URL",
        ));
    }
    match &values.expose.kind {
        ExposeKind::Ingress(ingress) => {
            if ingress.host.is_empty() || ingress.host.contains('/') || ingress.host.contains(':') {
                errors.push(invalid(
                    "expose.ingress.hosts.core",
                    &ingress.host,
                    "use a bare host name such as harbor.example.test",
                ));
            }
        }
        ExposeKind::ClusterIp(service) | ExposeKind::LoadBalancer(service) => {
            if service.node_ports.is_some() {
                errors.push(invalid(
                    "expose.nodePort.ports",
                    "set",
                    "node ports apply only to expose type nodePort",
                ));
            }
            if matches!(values.expose.tls, Tls::Auto { common_name: None }) {
                errors.push(invalid(
                    "expose.tls.auto.commonName",
                    "",
                    "the chart requires a common name for generated certificates without an ingress",
                ));
            }
        }
        ExposeKind::NodePort(service) => {
            if let Some((http, https)) = service.node_ports
                && (!(30000..=32767).contains(&http) || !(30000..=32767).contains(&https))
            {
                errors.push(invalid(
                    "expose.nodePort.ports",
                    &format!("{http}/{https}"),
                    "node ports must be within 30000-32767",
                ));
            }
            if matches!(values.expose.tls, Tls::Auto { common_name: None }) {
                errors.push(invalid(
                    "expose.tls.auto.commonName",
                    "",
                    "the chart requires a common name for generated certificates without an ingress",
                ));
            }
        }
    }
}

fn check_quantities(values: &HarborValues, errors: &mut Vec<ValidationError>) {
    let claims = &values.persistence.persistent_volume_claim;
    let job_log = claims.jobservice.as_ref().and_then(|j| j.job_log.as_ref());
    let named = [
        ("registry", claims.registry.as_ref()),
        ("jobservice.jobLog", job_log),
        ("database", claims.database.as_ref()),
        ("redis", claims.redis.as_ref()),
        ("trivy", claims.trivy.as_ref()),
    ];
    for (name, claim) in named {
        let Some(size) = claim.and_then(|c| c.size.as_deref()) else {
            continue;
        };
        if !is_storage_quantity(size) {
            errors.push(invalid(
                &format!("persistence.persistentVolumeClaim.{name}.size"),
                size,
                "use a Kubernetes quantity such as 10Gi",
            ));
        }
    }
    for component in Component::SCALABLE {
        if let Some(replicas) = values.workload(component).and_then(|w| w.replicas)
            && replicas < 0
        {
            errors.push(invalid(
                &format!("{component}.replicas"),
                &replicas.to_string(),
                "replicas cannot be negative",
            ));
        }
    }
}

fn check_disruption_budgets(values: &HarborValues, errors: &mut Vec<ValidationError>) {
    for component in Component::SCALABLE {
        let Some(workload) = values.workload(component) else {
            continue;
        };
        let Some(budget) = &workload.pod_disruption_budget else {
            continue;
        };
        let replicas = workload.effective_replicas();
        // The chart renders the budget only for more than one replica.
        if budget.enabled && replicas > 1 && budget.min_available >= replicas {
            errors.push(invalid(
                &format!("{component}.podDisruptionBudget.minAvailable"),
                &budget.min_available.to_string(),
                &format!(
                    "with {replicas} replicas no pod may ever be evicted, so node drains and cluster upgrades stall: use at most {}",
                    replicas - 1
                ),
            ));
        }
    }
}

fn check_names(values: &HarborValues, errors: &mut Vec<ValidationError>) {
    let mut names: Vec<(String, &str)> = vec![(
        "existingSecretAdminPassword".into(),
        values.admin_password_secret.as_str(),
    )];
    if let Some(name) = &values.secret_key_secret {
        names.push(("existingSecretSecretKey".into(), name));
    }
    if let Some(name) = &values.core.existing_secret {
        names.push(("core.existingSecret".into(), name));
    }
    for (index, name) in values.image_pull_secrets.iter().enumerate() {
        names.push((format!("imagePullSecrets[{index}].name"), name));
    }
    let claims = &values.persistence.persistent_volume_claim;
    let job_log = claims.jobservice.as_ref().and_then(|j| j.job_log.as_ref());
    let named_claims = [
        ("registry", claims.registry.as_ref()),
        ("jobservice.jobLog", job_log),
        ("database", claims.database.as_ref()),
        ("redis", claims.redis.as_ref()),
        ("trivy", claims.trivy.as_ref()),
    ];
    for (claim_name, claim) in named_claims {
        let Some(claim) = claim else { continue };
        let prefix = format!("persistence.persistentVolumeClaim.{claim_name}");
        // `-` requests an empty storageClassName from the chart.
        if let Some(class) = claim.storage_class.as_deref().filter(|c| *c != "-") {
            names.push((format!("{prefix}.storageClass"), class));
        }
        if let Some(existing) = &claim.existing_claim {
            names.push((format!("{prefix}.existingClaim"), existing));
        }
    }
    for (key, name) in names {
        if !is_dns_subdomain(name) {
            errors.push(invalid(
                &key,
                name,
                "use a Kubernetes name: at most 253 lowercase letters, digits, '-' and '.', starting and ending with a letter or digit",
            ));
        }
    }
}

/// Returns true for a DNS-1123 subdomain, the rule of most Kubernetes object names.
pub fn is_dns_subdomain(name: &str) -> bool {
    let alphanumeric = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    (1..=253).contains(&name.len())
        && name.starts_with(alphanumeric)
        && name.ends_with(alphanumeric)
        && name
            .chars()
            .all(|c| alphanumeric(c) || c == '-' || c == '.')
}

/// Returns true for a positive storage quantity: digits with an optional binary or decimal suffix.
pub fn is_storage_quantity(text: &str) -> bool {
    const SUFFIXES: [&str; 13] = [
        "Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "k", "M", "G", "T", "P", "E", "",
    ];
    SUFFIXES.iter().any(|suffix| {
        text.strip_suffix(suffix).is_some_and(|number| {
            !number.is_empty()
                && number.chars().all(|c| c.is_ascii_digit())
                && number.chars().any(|c| c != '0')
        })
    })
}

fn invalid(key: &str, value: &str, fix: &str) -> ValidationError {
    ValidationError::InvalidValue {
        key: key.to_string(),
        value: value.to_string(),
        fix: fix.to_string(),
    }
}

//! Checks of keys, spread constraints, external services, exposure, quantities, disruption
//! budgets and names.

use serde_json::Value;

use super::ValidationError;
use crate::chart_keys::{ChartKeys, KeyProblem};
use crate::names::{DNS_SUBDOMAIN_RULE, is_dns_subdomain};
use crate::values::{Component, Database, ExposeKind, HarborValues, Redis, SslMode, Tls};

const INTERNAL_SCALE_KEYS: [(&str, Component); 4] = [
    ("database.replicas", Component::Database),
    ("database.internal.replicas", Component::Database),
    ("redis.replicas", Component::Redis),
    ("redis.internal.replicas", Component::Redis),
];

pub(super) fn check_extra_scaling(extra: &Value, errors: &mut Vec<ValidationError>) {
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

pub(super) fn check_keys(
    values: &HarborValues,
    keys: &ChartKeys,
    errors: &mut Vec<ValidationError>,
) {
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

pub(super) fn check_spread_constraints(values: &HarborValues, errors: &mut Vec<ValidationError>) {
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

pub(super) fn check_database(database: &Database, errors: &mut Vec<ValidationError>) {
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

pub(super) fn check_redis(redis: &Redis, errors: &mut Vec<ValidationError>) {
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

pub(super) fn check_expose(values: &HarborValues, errors: &mut Vec<ValidationError>) {
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

pub(super) fn check_quantities(values: &HarborValues, errors: &mut Vec<ValidationError>) {
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

pub(super) fn check_disruption_budgets(values: &HarborValues, errors: &mut Vec<ValidationError>) {
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

pub(super) fn check_names(values: &HarborValues, errors: &mut Vec<ValidationError>) {
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
            errors.push(invalid(&key, name, DNS_SUBDOMAIN_RULE));
        }
    }
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

//! The three ways to run Harbor on AKS and how the configuration adjusts their values.

use std::fmt;
use std::str::FromStr;

use aks_deploy::presets::{self, ExternalServices, PresetBase, ZoneLayout};
use aks_deploy::values::{
    AccessMode, Claim, Component, Database, HarborValues, JobLogger, Redis, SslMode, Tls,
};

use super::PlanError;
use crate::config::Config;

/// A deployment layout, as `aks-deploy`'s presets define them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Preset {
    /// Every component once, volumes on Premium SSD managed disks.
    ManagedDisks,
    /// Azure Database for PostgreSQL and Azure Cache for Redis in place of the internal ones.
    ManagedServices,
    /// Zone-redundant storage, with core, portal, registry, jobservice and Trivy spread across
    /// availability zones. The internal PostgreSQL and Redis stay one pod each, on a
    /// zone-redundant disk.
    AcrossZones,
}

impl Preset {
    /// All presets, in the order the documentation lists them.
    pub const ALL: [Preset; 3] = [
        Preset::ManagedDisks,
        Preset::ManagedServices,
        Preset::AcrossZones,
    ];

    /// Returns the command-line name, such as `across-zones`.
    pub fn as_str(self) -> &'static str {
        match self {
            Preset::ManagedDisks => "managed-disks",
            Preset::ManagedServices => "managed-services",
            Preset::AcrossZones => "across-zones",
        }
    }
}

impl fmt::Display for Preset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Preset {
    type Err = PlanError;

    fn from_str(value: &str) -> Result<Self, PlanError> {
        Preset::ALL
            .into_iter()
            .find(|preset| preset.as_str() == value)
            .ok_or_else(|| PlanError::UnknownPreset(value.to_owned()))
    }
}

/// Names of the Secrets that hold the external database and Redis passwords.
pub(crate) const DATABASE_SECRET: &str = "harbor-database";
pub(crate) const REDIS_SECRET: &str = "harbor-redis";

/// Builds the preset's values, then applies the configuration's classes, sizes, replicas and
/// TLS secret. Returns the values and warnings about settings the preset cannot honour.
pub(crate) fn preset_values(
    config: &Config,
    preset: Preset,
) -> Result<(HarborValues, Vec<String>), PlanError> {
    let harbor = &config.harbor;
    let mut base = PresetBase::new(&harbor.hostname, &harbor.ingress_class);
    base.cluster_issuer = config
        .cert_manager
        .as_ref()
        .map(|cert_manager| cert_manager.cluster_issuer.clone());

    let mut values = match preset {
        Preset::ManagedDisks => presets::managed_disks(&base),
        Preset::ManagedServices => {
            let postgres = config.postgres.as_ref().ok_or(PlanError::MissingSection {
                section: "postgres",
                preset,
            })?;
            let redis = config.redis.as_ref().ok_or(PlanError::MissingSection {
                section: "redis",
                preset,
            })?;
            let services = ExternalServices {
                database_host: postgres.host.clone(),
                database_user: postgres.username.clone(),
                database_secret: DATABASE_SECRET.to_owned(),
                database_name: postgres.database.clone(),
                redis_host: redis.host.clone(),
                redis_secret: REDIS_SECRET.to_owned(),
                blob: None,
            };
            let mut values = presets::external_services(&base, &services);
            if let Database::External(database) = &mut values.database {
                database.port = postgres.port;
                database.sslmode = Some(match postgres.sslmode.as_str() {
                    "verify-ca" => SslMode::VerifyCa,
                    "verify-full" => SslMode::VerifyFull,
                    _ => SslMode::Require,
                });
            }
            if let Redis::External(external) = &mut values.redis {
                external.addr = format!("{}:{}", redis.host, redis.port);
                external.tls = redis.tls;
            }
            values
        }
        Preset::AcrossZones => {
            // Checked here too, so the error names the configuration key and not the count
            // that the preset receives.
            if !(2..=3).contains(&config.azure.zones.len()) {
                return Err(PlanError::setting(
                    config,
                    Some(preset),
                    "azure.zones",
                    format!("{:?}", config.azure.zones),
                    "list 2 or 3 availability zones (AKS regions offer at most 3), \
                     or use another preset",
                ));
            }
            let zones = u8::try_from(config.azure.zones.len()).unwrap_or(u8::MAX);
            let layout = ZoneLayout {
                zones,
                disk_class: harbor.storage_classes.zrs_disk.clone(),
                file_class: harbor.storage_classes.zrs_file.clone(),
            };
            presets::across_zones(&base, &layout).map_err(PlanError::Values)?
        }
    };

    values.expose.tls = Tls::Secret {
        secret_name: harbor.tls_secret.clone(),
    };
    if preset != Preset::AcrossZones {
        replace_storage_class(&mut values, &harbor.storage_classes.disk);
    }
    apply_sizes(&mut values, config);
    let mut warnings = apply_replicas(&mut values, config, preset)?;
    if preset == Preset::AcrossZones {
        warnings.extend(small_file_shares(config));
        warnings.extend(single_pod_services(&values));
    }
    Ok((values, warnings))
}

/// Warns about Azure Files volumes below the smallest Premium share, which Azure provisions
/// (and bills) at that size whatever the claim requests.
///
/// Only registry and job log are on Azure Files in the across-zones preset, each as one claim
/// that its replicas share. Trivy is on managed disks.
fn small_file_shares(config: &Config) -> Vec<String> {
    let minimum = presets::PREMIUM_FILE_MIN_SIZE;
    let Some(minimum_bytes) = quantity_bytes(minimum) else {
        return Vec::new();
    };
    let sizes = &config.harbor.sizes;
    [("registry", &sizes.registry), ("job_log", &sizes.job_log)]
        .into_iter()
        .filter(|(_, size)| quantity_bytes(size).is_some_and(|bytes| bytes < minimum_bytes))
        .map(|(volume, size)| {
            format!(
                "harbor.sizes.{volume} = {size} is below {minimum}, the smallest Premium Azure \
                 Files share: the claim still requests {size}, but Azure provisions and bills \
                 a {minimum} share for {volume}"
            )
        })
        .collect()
}

/// Warns that the internal database and Redis do not spread: the chart runs each as a
/// StatefulSet of one pod, which the preset keeps on a zone-redundant disk.
fn single_pod_services(values: &HarborValues) -> Vec<String> {
    let mut internal = Vec::new();
    if matches!(values.database, Database::Internal) {
        internal.push("PostgreSQL");
    }
    if matches!(values.redis, Redis::Internal) {
        internal.push("Redis");
    }
    if internal.is_empty() {
        return Vec::new();
    }
    vec![format!(
        "the across-zones preset keeps the internal {}: each runs as one pod on a \
         zone-redundant disk, so a zone outage stops it until Kubernetes reschedules the pod \
         into another zone, where the disk can attach",
        internal.join(" and ")
    )]
}

/// Converts a storage quantity such as `10Gi` or `500M` into bytes.
fn quantity_bytes(quantity: &str) -> Option<u128> {
    let split = quantity
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(quantity.len());
    let (number, suffix) = quantity.split_at(split);
    let number: u128 = number.parse().ok()?;
    let multiplier: u128 = match suffix {
        "" => 1,
        "Ki" => 1 << 10,
        "Mi" => 1 << 20,
        "Gi" => 1 << 30,
        "Ti" => 1 << 40,
        "Pi" => 1 << 50,
        "Ei" => 1 << 60,
        "k" => 1_000,
        "M" => 1_000_000,
        "G" => 1_000_000_000,
        "T" => 1_000_000_000_000,
        "P" => 1_000_000_000_000_000,
        "E" => 1_000_000_000_000_000_000,
        _ => return None,
    };
    number.checked_mul(multiplier)
}

fn claims_mut(values: &mut HarborValues) -> Vec<(&'static str, &mut Claim)> {
    let claims = &mut values.persistence.persistent_volume_claim;
    let job_log = claims
        .jobservice
        .as_mut()
        .and_then(|jobservice| jobservice.job_log.as_mut());
    [
        ("registry", claims.registry.as_mut()),
        ("job_log", job_log),
        ("database", claims.database.as_mut()),
        ("redis", claims.redis.as_mut()),
        ("trivy", claims.trivy.as_mut()),
    ]
    .into_iter()
    .filter_map(|(volume, claim)| claim.map(|claim| (volume, claim)))
    .collect()
}

fn replace_storage_class(values: &mut HarborValues, class: &str) {
    for (_, claim) in claims_mut(values) {
        claim.storage_class = Some(class.to_owned());
    }
}

fn apply_sizes(values: &mut HarborValues, config: &Config) {
    let sizes = &config.harbor.sizes;
    for (volume, claim) in claims_mut(values) {
        let size = match volume {
            "registry" => &sizes.registry,
            "job_log" => &sizes.job_log,
            "database" => &sizes.database,
            "redis" => &sizes.redis,
            _ => &sizes.trivy,
        };
        claim.size = Some(size.clone());
    }
}

/// Sets the configured replicas. A component whose volume is ReadWriteOnce keeps one replica,
/// because a second pod on another node could not attach the disk. A warning names the key.
///
/// In the across-zones preset each component needs a replica per zone, because the preset's
/// disruption budget keeps `zones - 1` pods available. With fewer replicas the budget allows no
/// eviction, so node drains block.
fn apply_replicas(
    values: &mut HarborValues,
    config: &Config,
    preset: Preset,
) -> Result<Vec<String>, PlanError> {
    let zones = config.azure.zones.len();
    let claims = &values.persistence.persistent_volume_claim;
    let on_rwo = |claim: Option<&Claim>| {
        claim.is_some_and(|claim| claim.effective_access_mode() == AccessMode::ReadWriteOnce)
    };
    let registry_rwo = on_rwo(claims.registry.as_ref());
    let jobservice_rwo = on_rwo(
        claims
            .jobservice
            .as_ref()
            .and_then(|jobservice| jobservice.job_log.as_ref()),
    ) && values
        .jobservice
        .job_loggers
        .as_ref()
        .is_none_or(|loggers| loggers.contains(&JobLogger::File));

    let mut warnings = Vec::new();
    for (name, replicas) in config.harbor.replicas.by_component() {
        let component = match name {
            "core" => Component::Core,
            "portal" => Component::Portal,
            "registry" => Component::Registry,
            "jobservice" => Component::Jobservice,
            _ => Component::Trivy,
        };
        let single_attach = (component == Component::Registry && registry_rwo)
            || (component == Component::Jobservice && jobservice_rwo);
        if preset == Preset::AcrossZones && (replicas as usize) < zones {
            return Err(PlanError::setting(
                config,
                Some(preset),
                format!("harbor.replicas.{name}"),
                replicas,
                format!(
                    "the preset runs at least one replica per zone: \
                     set {zones} or more, or use another preset"
                ),
            ));
        }
        let replicas = i32::try_from(replicas).unwrap_or(i32::MAX);
        let effective = if single_attach && replicas > 1 {
            warnings.push(format!(
                "harbor.replicas.{name} = {replicas} lowered to 1: the {preset} preset keeps \
                 {name} data on a ReadWriteOnce disk"
            ));
            1
        } else {
            replicas
        };
        if let Some(workload) = values.workload_mut(component) {
            workload.replicas = Some(effective);
        }
    }
    Ok(warnings)
}

#[cfg(test)]
mod tests {
    use super::quantity_bytes;

    #[test]
    fn quantity_bytes_by_suffix() {
        assert_eq!(quantity_bytes("100Gi"), Some(100 << 30));
        assert_eq!(quantity_bytes("1Gi"), Some(1 << 30));
        assert_eq!(quantity_bytes("500M"), Some(500_000_000));
        assert_eq!(quantity_bytes("42"), Some(42));
        assert_eq!(quantity_bytes("10GB"), None);
    }
}

//! Values for the three documented ways to run Harbor on AKS.

use k8s_openapi::api::core::v1::TopologySpreadConstraint;

use crate::error::{Error, Result};
use crate::validate::{HOSTNAME_TOPOLOGY_KEY, ZONE_TOPOLOGY_KEY};
use crate::values::{
    AccessMode, AcmeChallenge, CertManager, Claim, Claims, Component, Database, DisruptionBudget,
    Expose, ExposeKind, ExternalDatabase, ExternalRedis, HarborValues, ImageStorage, Ingress,
    JobLogger, JobserviceClaims, Redis, RedisIndexes, SslMode, Tls, UpdateStrategy,
};

/// Built-in AKS class of Premium SSD managed disks (LRS on most clusters, so zonal).
pub const MANAGED_CSI_PREMIUM: &str = "managed-csi-premium";
/// Default name of the SDK's Premium ZRS managed disk class.
pub const ZRS_DISK_CLASS: &str = "harbor-disk-zrs";
/// Default name of the SDK's Premium ZRS Azure Files class.
pub const ZRS_FILE_CLASS: &str = "harbor-file-zrs";
/// Smallest Premium Azure Files share; the CSI driver provisions at least this size.
pub const PREMIUM_FILE_MIN_SIZE: &str = "100Gi";

/// Settings shared by every preset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresetBase {
    /// Host name, for example `harbor.example.test`.
    pub host: String,
    /// Ingress class name, for example `webapprouting.kubernetes.azure.com`.
    pub ingress_class: String,
    /// cert-manager ClusterIssuer; when set, the certificate lands in Secret `<host>-tls`
    /// (dots replaced by dashes). Without it the chart generates a self-signed certificate.
    pub cluster_issuer: Option<String>,
}

impl PresetBase {
    /// Returns the base for `host` behind ingress class `ingress_class`, without cert-manager.
    pub fn new(host: impl Into<String>, ingress_class: impl Into<String>) -> Self {
        PresetBase {
            host: host.into(),
            ingress_class: ingress_class.into(),
            cluster_issuer: None,
        }
    }

    /// Returns the name of the TLS Secret that cert-manager fills.
    pub fn tls_secret_name(&self) -> String {
        format!("{}-tls", self.host.replace('.', "-"))
    }

    fn values(&self) -> HarborValues {
        let tls = match &self.cluster_issuer {
            Some(_) => Tls::Secret {
                secret_name: self.tls_secret_name(),
            },
            None => Tls::Auto { common_name: None },
        };
        let ingress = Ingress {
            host: self.host.clone(),
            class_name: Some(self.ingress_class.clone()),
            annotations: Default::default(),
            cert_manager: self.cluster_issuer.as_ref().map(|issuer| CertManager {
                cluster_issuer: issuer.clone(),
                challenge: AcmeChallenge::Http01 {
                    ingress_class: self.ingress_class.clone(),
                },
            }),
        };
        let expose = Expose {
            kind: ExposeKind::Ingress(ingress),
            tls,
        };
        HarborValues::new(format!("https://{}", self.host), expose)
    }
}

/// Harbor with every component once, each volume on a Premium SSD managed disk.
///
/// Registry and jobservice use `updateStrategy: Recreate` so an update never needs the
/// ReadWriteOnce disk on two nodes at once.
pub fn managed_disks(base: &PresetBase) -> HarborValues {
    let mut values = base.values();
    values.persistence.persistent_volume_claim = Claims {
        registry: Some(Claim::new(
            MANAGED_CSI_PREMIUM,
            AccessMode::ReadWriteOnce,
            "100Gi",
        )),
        jobservice: Some(JobserviceClaims {
            job_log: Some(Claim::new(
                MANAGED_CSI_PREMIUM,
                AccessMode::ReadWriteOnce,
                "4Gi",
            )),
        }),
        database: Some(Claim::new(
            MANAGED_CSI_PREMIUM,
            AccessMode::ReadWriteOnce,
            "8Gi",
        )),
        redis: Some(Claim::new(
            MANAGED_CSI_PREMIUM,
            AccessMode::ReadWriteOnce,
            "4Gi",
        )),
        trivy: Some(Claim::new(
            MANAGED_CSI_PREMIUM,
            AccessMode::ReadWriteOnce,
            "8Gi",
        )),
    };
    values.update_strategy = Some(UpdateStrategy::Recreate);
    values
}

/// Connection settings of Azure Database for PostgreSQL and Azure Cache for Redis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalServices {
    /// PostgreSQL host, for example `example.postgres.database.azure.com`.
    pub database_host: String,
    /// PostgreSQL user.
    pub database_user: String,
    /// Secret with key `password`.
    pub database_secret: String,
    /// Database name of Harbor core.
    pub database_name: String,
    /// Redis host, for example `example.redis.cache.windows.net`; port 6380 (TLS) is used.
    pub redis_host: String,
    /// Secret with key `REDIS_PASSWORD` (the cache's access key).
    pub redis_secret: String,
    /// Azure Blob storage of images: account name, container and a Secret with key
    /// `AZURE_STORAGE_ACCESS_KEY`. `None` keeps images on a managed disk.
    pub blob: Option<(String, String, String)>,
}

/// Port of Azure Cache for Redis with TLS.
pub const AZURE_REDIS_TLS_PORT: u16 = 6380;

/// Harbor on Azure Database for PostgreSQL (`sslmode: require`) and Azure Cache for Redis over
/// TLS on port 6380. Job logs go to the database, so jobservice needs no volume.
pub fn external_services(base: &PresetBase, services: &ExternalServices) -> HarborValues {
    let mut values = managed_disks(base);
    values.database = Database::External(ExternalDatabase {
        host: services.database_host.clone(),
        port: 5432,
        username: services.database_user.clone(),
        existing_secret: services.database_secret.clone(),
        core_database: services.database_name.clone(),
        sslmode: Some(SslMode::Require),
    });
    values.redis = Redis::External(ExternalRedis {
        addr: format!("{}:{AZURE_REDIS_TLS_PORT}", services.redis_host),
        sentinel_master_set: None,
        existing_secret: services.redis_secret.clone(),
        tls: true,
        indexes: RedisIndexes::default(),
    });
    values.jobservice.job_loggers = Some(vec![JobLogger::Database]);
    let claims = &mut values.persistence.persistent_volume_claim;
    claims.database = None;
    claims.redis = None;
    claims.jobservice = None;
    if let Some((account_name, container, existing_secret)) = &services.blob {
        values.persistence.image_chart_storage = ImageStorage::AzureBlob {
            account_name: account_name.clone(),
            container: container.clone(),
            existing_secret: existing_secret.clone(),
        };
        claims.registry = None;
    }
    values
}

/// Settings of the zone-redundant preset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZoneLayout {
    /// Number of availability zones the node pools span (2 or 3).
    pub zones: u8,
    /// Premium ZRS managed disk class of database, redis and trivy.
    pub disk_class: String,
    /// Premium ZRS Azure Files class of registry and job log.
    pub file_class: String,
}

impl Default for ZoneLayout {
    fn default() -> Self {
        ZoneLayout {
            zones: 3,
            disk_class: ZRS_DISK_CLASS.to_string(),
            file_class: ZRS_FILE_CLASS.to_string(),
        }
    }
}

/// Returns the spread constraints of the zone preset: at most one pod of difference between
/// zones (hard) and between nodes (soft). The chart adds the label selector.
pub fn zone_spread_constraints() -> Vec<TopologySpreadConstraint> {
    vec![
        TopologySpreadConstraint {
            max_skew: 1,
            topology_key: ZONE_TOPOLOGY_KEY.to_string(),
            when_unsatisfiable: "DoNotSchedule".to_string(),
            ..TopologySpreadConstraint::default()
        },
        TopologySpreadConstraint {
            max_skew: 1,
            topology_key: HOSTNAME_TOPOLOGY_KEY.to_string(),
            when_unsatisfiable: "ScheduleAnyway".to_string(),
            ..TopologySpreadConstraint::default()
        },
    ]
}

/// Harbor across availability zones.
///
/// Registry and job log use ReadWriteMany Premium ZRS Azure Files, because their replicas share
/// one claim. Database, redis and trivy use ReadWriteOnce Premium ZRS managed disks, because
/// they are StatefulSets whose pods each get their own claim. Every scalable component runs
/// `zones` replicas with zone and host spread and a disruption budget of `zones - 1` available
/// pods.
///
/// # Errors
///
/// Returns [`Error::InvalidInput`] when `layout.zones` is not 2 or 3.
pub fn across_zones(base: &PresetBase, layout: &ZoneLayout) -> Result<HarborValues> {
    if !(2..=3).contains(&layout.zones) {
        return Err(Error::InvalidInput {
            field: "zones",
            value: layout.zones.to_string(),
            rule: "AKS regions offer zones 1 to 3: use 2 or 3".into(),
        });
    }

    let replicas = i32::from(layout.zones);
    let mut values = base.values();
    let file = |size: &str| Claim::new(&layout.file_class, AccessMode::ReadWriteMany, size);
    let disk = |size: &str| Claim::new(&layout.disk_class, AccessMode::ReadWriteOnce, size);
    values.persistence.persistent_volume_claim = Claims {
        registry: Some(file("200Gi")),
        jobservice: Some(JobserviceClaims {
            job_log: Some(file(PREMIUM_FILE_MIN_SIZE)),
        }),
        database: Some(disk("16Gi")),
        redis: Some(disk("8Gi")),
        trivy: Some(disk("8Gi")),
    };

    // Every scalable component gets replicas and spread, including nginx and the exporter that
    // only deploy with service exposure or metrics, so enabling those later keeps the layout.
    // Budgets go only to deployed components because the chart renders a budget even for a
    // component it does not deploy.
    let deployed = values.deployed_scalable_components();
    for component in Component::SCALABLE {
        let Some(workload) = values.workload_mut(component) else {
            continue;
        };
        workload.replicas = Some(replicas);
        workload.topology_spread_constraints = zone_spread_constraints();
        if deployed.contains(&component) {
            workload.pod_disruption_budget = Some(DisruptionBudget {
                enabled: true,
                min_available: replicas - 1,
            });
        }
    }
    Ok(values)
}

/// Components that the zone preset spreads, for assertions and reports.
pub fn zone_spread_components(values: &HarborValues) -> Vec<Component> {
    values
        .deployed_scalable_components()
        .into_iter()
        .filter(|component| {
            values
                .workload(*component)
                .is_some_and(|w| !w.topology_spread_constraints.is_empty())
        })
        .collect()
}

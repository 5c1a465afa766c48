//! The `[harbor]` section: release, hostname, TLS, storage, sizes, replicas and admin account.

use serde::Deserialize;

use super::number;
use super::rules;
use super::secret::SecretRef;
use super::validate::Validator;

/// Harbor's Helm release and its settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HarborConfig {
    /// Namespace of the release. Default: `harbor`.
    #[serde(default = "default_harbor")]
    pub namespace: String,
    /// Helm release name. Default: `harbor`.
    #[serde(default = "default_harbor")]
    pub release: String,
    /// Chart reference: `repo/chart`, an `oci://` reference or a folder. Default: `harbor/harbor`,
    /// the goharbor chart repository added as `harbor`.
    #[serde(default = "default_chart")]
    pub chart: String,
    /// Chart version. Default and only supported value: the version whose values `aks-deploy`
    /// types, 1.19.2.
    #[serde(default = "default_chart_version")]
    pub chart_version: String,
    /// Public hostname of the portal and registry, such as `harbor.example.test`.
    pub hostname: String,
    /// Ingress class of the Harbor ingress. Default: `nginx`.
    #[serde(default = "default_ingress_class")]
    pub ingress_class: String,
    /// Secret holding the TLS certificate, filled by cert-manager when `[cert_manager]` is set.
    pub tls_secret: String,
    /// Name of the Harbor administrator account used by `apply`. Default: `admin`.
    #[serde(default = "default_admin_user")]
    pub admin_user: String,
    /// Password of the administrator account.
    pub admin_password: SecretRef,
    /// Key of 16 characters that Harbor encrypts stored credentials with.
    pub secret_key: SecretRef,
    /// Secret of 16 characters that core, jobservice and the registry share.
    pub core_secret: SecretRef,
    /// Password that core and jobservice log in to the internal registry with, at most 72
    /// bytes. Without it the chart would use its well-known default.
    pub registry_password: SecretRef,
    /// Storage class names per kind of volume.
    #[serde(default)]
    pub storage_classes: StorageClassNames,
    /// Volume sizes. Defaults are the chart's.
    #[serde(default)]
    pub sizes: VolumeSizes,
    /// Replicas per component. Default: 1 each.
    #[serde(default)]
    pub replicas: Replicas,
}

fn default_harbor() -> String {
    "harbor".into()
}

fn default_chart() -> String {
    "harbor/harbor".into()
}

fn default_chart_version() -> String {
    aks_deploy::chart_keys::CHART_VERSION.into()
}

fn default_ingress_class() -> String {
    "nginx".into()
}

fn default_admin_user() -> String {
    "admin".into()
}

/// Storage classes the presets use.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StorageClassNames {
    /// Class of the managed-disks and managed-services presets. Default: `managed-csi-premium`,
    /// which AKS creates.
    #[serde(default = "default_disk_class")]
    pub disk: String,
    /// Zone-redundant managed disk class of the across-zones preset (database, Redis, Trivy).
    /// Default: `harbor-disk-zrs`.
    #[serde(default = "default_zrs_disk_class")]
    pub zrs_disk: String,
    /// Zone-redundant Azure Files class of the across-zones preset (registry, job log).
    /// Default: `harbor-file-zrs`.
    #[serde(default = "default_zrs_file_class")]
    pub zrs_file: String,
}

fn default_disk_class() -> String {
    "managed-csi-premium".into()
}

fn default_zrs_disk_class() -> String {
    "harbor-disk-zrs".into()
}

fn default_zrs_file_class() -> String {
    "harbor-file-zrs".into()
}

impl Default for StorageClassNames {
    fn default() -> Self {
        Self {
            disk: default_disk_class(),
            zrs_disk: default_zrs_disk_class(),
            zrs_file: default_zrs_file_class(),
        }
    }
}

/// Sizes of Harbor's persistent volumes as Kubernetes quantities.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VolumeSizes {
    /// Image storage. Default: `5Gi`.
    #[serde(default = "size_5gi")]
    pub registry: String,
    /// Jobservice job logs. Default: `1Gi`.
    #[serde(default = "size_1gi")]
    pub job_log: String,
    /// Internal PostgreSQL. Default: `1Gi`.
    #[serde(default = "size_1gi")]
    pub database: String,
    /// Internal Redis. Default: `1Gi`.
    #[serde(default = "size_1gi")]
    pub redis: String,
    /// Trivy's vulnerability database cache. Default: `5Gi`.
    #[serde(default = "size_5gi")]
    pub trivy: String,
}

fn size_1gi() -> String {
    "1Gi".into()
}

fn size_5gi() -> String {
    "5Gi".into()
}

impl Default for VolumeSizes {
    fn default() -> Self {
        Self {
            registry: size_5gi(),
            job_log: size_1gi(),
            database: size_1gi(),
            redis: size_1gi(),
            trivy: size_5gi(),
        }
    }
}

/// Replicas of the components that can scale.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Replicas {
    /// Core (API and token service). Default: 1.
    #[serde(default = "one", deserialize_with = "number::replicas")]
    pub core: u32,
    /// Portal (web UI). Default: 1.
    #[serde(default = "one", deserialize_with = "number::replicas")]
    pub portal: u32,
    /// Registry. Default: 1.
    #[serde(default = "one", deserialize_with = "number::replicas")]
    pub registry: u32,
    /// Jobservice. Default: 1.
    #[serde(default = "one", deserialize_with = "number::replicas")]
    pub jobservice: u32,
    /// Trivy scanner. Default: 1.
    #[serde(default = "one", deserialize_with = "number::replicas")]
    pub trivy: u32,
}

fn one() -> u32 {
    1
}

impl Default for Replicas {
    fn default() -> Self {
        Self {
            core: 1,
            portal: 1,
            registry: 1,
            jobservice: 1,
            trivy: 1,
        }
    }
}

impl Replicas {
    /// Returns each component with its replica count.
    pub fn by_component(&self) -> [(&'static str, u32); 5] {
        [
            ("core", self.core),
            ("portal", self.portal),
            ("registry", self.registry),
            ("jobservice", self.jobservice),
            ("trivy", self.trivy),
        ]
    }
}

impl VolumeSizes {
    /// Returns each volume with its size.
    pub fn by_volume(&self) -> [(&'static str, &str); 5] {
        [
            ("registry", &self.registry),
            ("job_log", &self.job_log),
            ("database", &self.database),
            ("redis", &self.redis),
            ("trivy", &self.trivy),
        ]
    }
}

impl HarborConfig {
    pub(crate) fn validate(&self, v: &mut Validator) {
        v.check("harbor.namespace", &self.namespace, rules::dns_label);
        v.check("harbor.release", &self.release, rules::dns_label);
        if self.chart.is_empty() {
            v.report(
                "harbor.chart",
                "",
                "give a chart reference such as `harbor/harbor`",
            );
        }
        let supported = aks_deploy::chart_keys::CHART_VERSION;
        if self.chart_version != supported {
            v.report(
                "harbor.chart_version",
                &self.chart_version,
                format!("the typed chart values are for chart {supported}: use {supported}"),
            );
        }
        v.check("harbor.hostname", &self.hostname, rules::hostname);
        v.check(
            "harbor.ingress_class",
            &self.ingress_class,
            rules::dns_subdomain,
        );
        v.check("harbor.tls_secret", &self.tls_secret, rules::dns_subdomain);
        v.check("harbor.admin_user", &self.admin_user, |user| {
            if user.is_empty() || user.chars().any(char::is_whitespace) {
                Err("the admin user name is not empty and has no whitespace".into())
            } else {
                Ok(())
            }
        });

        let classes = &self.storage_classes;
        v.check(
            "harbor.storage_classes.disk",
            &classes.disk,
            rules::dns_subdomain,
        );
        v.check(
            "harbor.storage_classes.zrs_disk",
            &classes.zrs_disk,
            rules::dns_subdomain,
        );
        v.check(
            "harbor.storage_classes.zrs_file",
            &classes.zrs_file,
            rules::dns_subdomain,
        );
        if classes.zrs_disk == classes.zrs_file {
            v.report(
                "harbor.storage_classes.zrs_file",
                &classes.zrs_file,
                "the Azure Files class needs a name of its own, not the zrs_disk class",
            );
        }

        for (volume, size) in self.sizes.by_volume() {
            v.check(
                format!("harbor.sizes.{volume}"),
                size,
                rules::storage_quantity,
            );
        }
        for (component, replicas) in self.replicas.by_component() {
            if replicas == 0 {
                v.report_literal(
                    format!("harbor.replicas.{component}"),
                    0,
                    number::REPLICAS_RULE,
                );
            }
        }
    }
}

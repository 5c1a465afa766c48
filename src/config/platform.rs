//! The cluster add-ons around Harbor: `[cert_manager]`, `[ingress_nginx]` and `[dns]`.

use serde::Deserialize;

use super::rules;
use super::validate::Validator;
use crate::workflows::transfer_route::SourceExposure;

/// cert-manager, which issues Harbor's TLS certificate through an ACME cluster issuer.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CertManagerConfig {
    /// Namespace of cert-manager. Default: `cert-manager`.
    #[serde(default = "default_cert_manager_namespace")]
    pub namespace: String,
    /// Name of the ClusterIssuer that the Harbor ingress refers to.
    pub cluster_issuer: String,
    /// Contact address registered with the ACME server.
    pub email: String,
    /// ACME directory URL. Default: Let's Encrypt production.
    #[serde(default = "default_acme_server")]
    pub acme_server: String,
}

fn default_cert_manager_namespace() -> String {
    "cert-manager".into()
}

fn default_acme_server() -> String {
    "https://acme-v02.api.letsencrypt.org/directory".into()
}

impl CertManagerConfig {
    pub(crate) fn validate(&self, v: &mut Validator) {
        v.check("cert_manager.namespace", &self.namespace, rules::dns_label);
        v.check(
            "cert_manager.cluster_issuer",
            &self.cluster_issuer,
            rules::dns_subdomain,
        );
        v.check("cert_manager.email", &self.email, rules::email);
        v.check("cert_manager.acme_server", &self.acme_server, |url| {
            if url.starts_with("https://") && url.len() > "https://".len() {
                Ok(())
            } else {
                Err("the ACME server is an https:// URL".into())
            }
        });
    }
}

/// The NGINX ingress controller that exposes Harbor.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IngressNginxConfig {
    /// Namespace of the controller. Default: `ingress-nginx`.
    #[serde(default = "default_ingress_nginx")]
    pub namespace: String,
    /// Helm release of the controller. Default: `ingress-nginx`.
    #[serde(default = "default_ingress_nginx")]
    pub release: String,
    /// Exposure of the controller's Service: `public`, `internal` or `private-link`. It
    /// decides whether ACR's import service can reach Harbor, so whether the images of
    /// `[acr.import]` are imported by ACR or copied by `apply`. Default: unset, and the plan
    /// states that it assumes ACR can reach Harbor.
    pub exposure: Option<SourceExposure>,
}

fn default_ingress_nginx() -> String {
    "ingress-nginx".into()
}

impl Default for IngressNginxConfig {
    fn default() -> Self {
        Self {
            namespace: default_ingress_nginx(),
            release: default_ingress_nginx(),
            exposure: None,
        }
    }
}

impl IngressNginxConfig {
    pub(crate) fn validate(&self, v: &mut Validator) {
        v.check("ingress_nginx.namespace", &self.namespace, rules::dns_label);
        v.check("ingress_nginx.release", &self.release, rules::dns_label);
    }
}

/// The Azure DNS zone that holds Harbor's hostname.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DnsConfig {
    /// Zone name, such as `example.test`; `harbor.hostname` must lie inside it.
    pub zone: String,
    /// Resource group of the zone. Default: `azure.resource_group`.
    pub resource_group: Option<String>,
}

impl DnsConfig {
    pub(crate) fn validate(&self, harbor_hostname: &str, v: &mut Validator) {
        v.check("dns.zone", &self.zone, rules::hostname);
        if let Some(group) = &self.resource_group {
            v.check("dns.resource_group", group, rules::resource_group);
        }
        // An invalid hostname is already reported under harbor.hostname, and the zone check
        // would only repeat it.
        let suffix = format!(".{}", self.zone);
        if rules::hostname(harbor_hostname).is_ok() && !harbor_hostname.ends_with(&suffix) {
            v.report(
                "harbor.hostname",
                harbor_hostname,
                format!(
                    "the hostname must lie inside the DNS zone `{}` (dns.zone)",
                    self.zone
                ),
            );
        }
    }
}

//! The chart's `expose` section: how Harbor is reachable and with which TLS certificate.

use std::collections::BTreeMap;

use serde::Serialize;

/// ACME challenge type that cert-manager solves for the ingress certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AcmeChallenge {
    /// HTTP-01 through the ingress controller of this class.
    Http01 {
        /// Ingress class that serves the challenge.
        ingress_class: String,
    },
    /// DNS-01; the solver is configured on the ClusterIssuer.
    Dns01,
}

/// cert-manager settings of the ingress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertManager {
    /// Name of the ClusterIssuer (annotation `cert-manager.io/cluster-issuer`).
    pub cluster_issuer: String,
    /// ACME challenge type.
    pub challenge: AcmeChallenge,
}

/// TLS of the exposed endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tls {
    /// The chart generates a self-signed certificate.
    Auto {
        /// Common name of the generated certificate (required for clusterIP, nodePort and
        /// loadBalancer exposure).
        common_name: Option<String>,
    },
    /// A `kubernetes.io/tls` Secret, for example one that cert-manager writes.
    Secret {
        /// The Secret's name.
        secret_name: String,
    },
    /// TLS is terminated in front of Harbor (certSource `none`).
    Terminated,
    /// Plain HTTP.
    Disabled,
}

/// Ingress exposure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ingress {
    /// Host name of Harbor.
    pub host: String,
    /// Ingress class name, for example `webapprouting.kubernetes.azure.com` or `nginx`.
    pub class_name: Option<String>,
    /// Extra annotations; helm merges them with the chart's default annotations.
    pub annotations: BTreeMap<String, String>,
    /// cert-manager issuer, added as annotations.
    pub cert_manager: Option<CertManager>,
}

/// Service exposure (clusterIP, nodePort, loadBalancer).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceExposure {
    /// Service annotations, for example `service.beta.kubernetes.io/azure-load-balancer-internal`.
    pub annotations: BTreeMap<String, String>,
    /// Static IP of a load balancer.
    pub load_balancer_ip: Option<String>,
    /// Allowed source ranges of a load balancer.
    pub source_ranges: Vec<String>,
    /// HTTP and HTTPS node ports of a nodePort service.
    pub node_ports: Option<(u16, u16)>,
}

/// The exposure type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExposeKind {
    /// An Ingress object.
    Ingress(Ingress),
    /// A ClusterIP service in front of the chart's nginx.
    ClusterIp(ServiceExposure),
    /// A NodePort service.
    NodePort(ServiceExposure),
    /// A LoadBalancer service.
    LoadBalancer(ServiceExposure),
}

/// The `expose` section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(into = "ExposeRepr")]
pub struct Expose {
    /// The exposure type and its settings.
    pub kind: ExposeKind,
    /// TLS source.
    pub tls: Tls,
}

impl Expose {
    /// Returns the ingress annotations including the cert-manager ones, when exposed by ingress.
    pub fn ingress_annotations(&self) -> Option<BTreeMap<String, String>> {
        let ExposeKind::Ingress(ingress) = &self.kind else {
            return None;
        };
        let mut annotations = ingress.annotations.clone();
        if let Some(cert_manager) = &ingress.cert_manager {
            annotations.insert(
                "cert-manager.io/cluster-issuer".into(),
                cert_manager.cluster_issuer.clone(),
            );
            if let AcmeChallenge::Http01 { ingress_class } = &cert_manager.challenge {
                annotations.insert(
                    "acme.cert-manager.io/http01-ingress-class".into(),
                    ingress_class.clone(),
                );
            }
        }
        Some(annotations)
    }
}

#[derive(Serialize)]
struct TlsRepr {
    enabled: bool,
    #[serde(rename = "certSource", skip_serializing_if = "Option::is_none")]
    cert_source: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    auto: Option<BTreeMap<&'static str, String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    secret: Option<BTreeMap<&'static str, String>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct IngressRepr {
    hosts: BTreeMap<&'static str, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    class_name: Option<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    annotations: BTreeMap<String, String>,
}

#[derive(Serialize)]
struct PortRepr {
    port: u16,
    #[serde(rename = "nodePort")]
    node_port: u16,
}

#[derive(Serialize, Default)]
#[serde(rename_all = "camelCase")]
struct ServiceRepr {
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    annotations: BTreeMap<String, String>,
    #[serde(rename = "IP", skip_serializing_if = "Option::is_none")]
    ip: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    source_ranges: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ports: Option<BTreeMap<&'static str, PortRepr>>,
}

#[derive(Serialize)]
struct ExposeRepr {
    #[serde(rename = "type")]
    kind: &'static str,
    tls: TlsRepr,
    #[serde(skip_serializing_if = "Option::is_none")]
    ingress: Option<IngressRepr>,
    #[serde(rename = "clusterIP", skip_serializing_if = "Option::is_none")]
    cluster_ip: Option<ServiceRepr>,
    #[serde(rename = "nodePort", skip_serializing_if = "Option::is_none")]
    node_port: Option<ServiceRepr>,
    #[serde(rename = "loadBalancer", skip_serializing_if = "Option::is_none")]
    load_balancer: Option<ServiceRepr>,
}

impl From<Expose> for ExposeRepr {
    fn from(expose: Expose) -> Self {
        let tls = match &expose.tls {
            Tls::Auto { common_name } => TlsRepr {
                enabled: true,
                cert_source: Some("auto"),
                auto: common_name
                    .clone()
                    .map(|name| BTreeMap::from([("commonName", name)])),
                secret: None,
            },
            Tls::Secret { secret_name } => TlsRepr {
                enabled: true,
                cert_source: Some("secret"),
                auto: None,
                secret: Some(BTreeMap::from([("secretName", secret_name.clone())])),
            },
            Tls::Terminated => TlsRepr {
                enabled: true,
                cert_source: Some("none"),
                auto: None,
                secret: None,
            },
            Tls::Disabled => TlsRepr {
                enabled: false,
                cert_source: None,
                auto: None,
                secret: None,
            },
        };
        let annotations = expose.ingress_annotations();
        let mut repr = ExposeRepr {
            kind: "ingress",
            tls,
            ingress: None,
            cluster_ip: None,
            node_port: None,
            load_balancer: None,
        };
        match expose.kind {
            ExposeKind::Ingress(ingress) => {
                repr.ingress = Some(IngressRepr {
                    hosts: BTreeMap::from([("core", ingress.host)]),
                    class_name: ingress.class_name,
                    annotations: annotations.unwrap_or_default(),
                });
            }
            ExposeKind::ClusterIp(service) => {
                repr.kind = "clusterIP";
                repr.cluster_ip = Some(service_repr(service));
            }
            ExposeKind::NodePort(service) => {
                repr.kind = "nodePort";
                repr.node_port = Some(service_repr(service));
            }
            ExposeKind::LoadBalancer(service) => {
                repr.kind = "loadBalancer";
                repr.load_balancer = Some(service_repr(service));
            }
        }
        repr
    }
}

fn service_repr(service: ServiceExposure) -> ServiceRepr {
    ServiceRepr {
        annotations: service.annotations,
        ip: service.load_balancer_ip,
        source_ranges: service.source_ranges,
        ports: service.node_ports.map(|(http, https)| {
            BTreeMap::from([
                (
                    "http",
                    PortRepr {
                        port: 80,
                        node_port: http,
                    },
                ),
                (
                    "https",
                    PortRepr {
                        port: 443,
                        node_port: https,
                    },
                ),
            ])
        }),
    }
}

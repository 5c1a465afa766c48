//! Install the NGINX ingress controller behind an Azure load balancer, and cert-manager with an
//! ACME ClusterIssuer, for one of three network topologies between Harbor instances.
//!
//! ```sh
//! cargo run --example ingress-nginx-cert-manager -- --dry-run --topology public
//! cargo run --example ingress-nginx-cert-manager -- --dry-run --topology internal
//! cargo run --example ingress-nginx-cert-manager -- --dry-run --topology private-link \
//!     --pls-subnet pls-subnet --pls-visibility 00000000-0000-0000-0000-000000000000
//! ```
//!
//! - `public`: a public load balancer. Let's Encrypt reaches the controller, so HTTP-01 works.
//! - `internal`: an internal load balancer in the cluster's virtual network, for peers that
//!   reach it by VNet peering or VPN. Let's Encrypt cannot reach it, so the issuer uses DNS-01
//!   on Azure DNS.
//! - `private-link`: an internal load balancer with an Azure Private Link Service in front, for
//!   peers in other virtual networks or tenants that connect with a private endpoint. DNS-01 too.
//!
//! Without `--dry-run` it runs helm (from `HELM` or `PATH`) against the current kubeconfig
//! context and applies the ClusterIssuer with server-side apply.

#[path = "common/dry_run.rs"]
#[allow(dead_code)]
mod dry_run;

use std::error::Error;
use std::path::Path;
use std::process::ExitCode;

use aks_deploy::helm::{Helm, Release};
use aks_deploy::kube_apply::{Applier, FIELD_MANAGER};
use aks_deploy::manifests::{
    AcmeIssuer, AzureDnsZone, LETS_ENCRYPT, cluster_issuer, cluster_issuer_resource,
};
use aks_deploy::names::DnsSubdomain;
use aks_deploy::values::AcmeChallenge;
use clap::{Parser, ValueEnum};
use serde_json::{Map, Value, json};

use dry_run::error_chain;

/// Annotation that puts a LoadBalancer Service on an internal Azure load balancer.
const INTERNAL: &str = "service.beta.kubernetes.io/azure-load-balancer-internal";
/// Prefix of the annotations with which cloud-provider-azure creates a Private Link Service.
const PLS: &str = "service.beta.kubernetes.io/azure-pls-";

#[derive(Debug, Parser)]
#[command(
    about = "Install ingress-nginx on an Azure load balancer and cert-manager with a ClusterIssuer"
)]
struct Cli {
    /// Network path by which other Harbor instances and clients reach this one.
    #[arg(long, value_enum, default_value_t = Topology::Public)]
    topology: Topology,
    /// Ingress class name of the controller.
    #[arg(long, default_value = "nginx")]
    ingress_class: String,
    /// Controller replicas, spread over zones.
    #[arg(long, default_value_t = 2)]
    replicas: u32,
    /// Subnet of the internal load balancer's front-end IP. Unset, the nodes' subnet is used.
    #[arg(long, value_name = "SUBNET")]
    internal_subnet: Option<String>,
    /// Name of the Private Link Service.
    #[arg(long, default_value = "harbor-pls")]
    pls_name: String,
    /// Subnet of the Private Link Service's NAT IP addresses (private-link only).
    #[arg(long, value_name = "SUBNET", default_value = "pls-subnet")]
    pls_subnet: String,
    /// Subscription allowed to connect a private endpoint. Repeat the flag for several.
    #[arg(long = "pls-visibility", value_name = "SUBSCRIPTION_ID")]
    pls_visibility: Vec<String>,
    /// Subscription whose private endpoints are approved without a manual step. Repeat the flag
    /// for several. Each must also be in --pls-visibility.
    #[arg(long = "pls-auto-approval", value_name = "SUBSCRIPTION_ID")]
    pls_auto_approval: Vec<String>,
    /// Name of the ClusterIssuer (an RFC 1123 DNS subdomain), referenced by the ingress
    /// annotation `cert-manager.io/cluster-issuer`.
    #[arg(long, default_value = "letsencrypt")]
    issuer: DnsSubdomain,
    /// ACME directory URL.
    #[arg(long, default_value = LETS_ENCRYPT)]
    acme_server: String,
    /// Contact e-mail of the ACME account.
    #[arg(long, default_value = "ops@example.test")]
    acme_email: String,
    /// Azure DNS zone with Harbor's host name (DNS-01, internal and private-link).
    #[arg(long, default_value = "example.test")]
    dns_zone: String,
    /// Resource group of the Azure DNS zone.
    #[arg(long, default_value = "dns-rg")]
    dns_resource_group: String,
    /// Subscription of the Azure DNS zone.
    #[arg(long, default_value = "00000000-0000-0000-0000-000000000000")]
    dns_subscription_id: String,
    /// Client id of the managed identity cert-manager uses for Azure DNS.
    #[arg(long, default_value = "11111111-1111-1111-1111-111111111111")]
    dns_identity_client_id: String,
    /// Print the helm invocations, values and manifests instead of installing them. Needs no
    /// cluster.
    #[arg(long)]
    dry_run: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Topology {
    /// Public Azure load balancer.
    Public,
    /// Internal Azure load balancer.
    Internal,
    /// Internal load balancer with an Azure Private Link Service.
    PrivateLink,
}

/// A chart from a helm repository.
#[derive(Debug)]
struct Chart {
    repository_name: &'static str,
    repository_url: &'static str,
    release: Release,
    values: Value,
}

/// Builds the ingress-nginx Service annotations of `topology`.
fn service_annotations(cli: &Cli) -> Result<Map<String, Value>, Box<dyn Error>> {
    let mut annotations = Map::new();
    // On AKS 1.24 and later the Azure load balancer probes path / by default, where
    // ingress-nginx returns 404, so the probe uses the controller's /healthz instead.
    annotations.insert(
        "service.beta.kubernetes.io/azure-load-balancer-health-probe-request-path".to_owned(),
        json!("/healthz"),
    );
    if cli.topology == Topology::Public {
        return Ok(annotations);
    }
    annotations.insert(INTERNAL.to_owned(), json!("true"));
    if let Some(subnet) = &cli.internal_subnet {
        annotations.insert(format!("{INTERNAL}-subnet"), json!(subnet));
    }
    if cli.topology == Topology::PrivateLink {
        if let Some(missing) = cli
            .pls_auto_approval
            .iter()
            .find(|subscription| !cli.pls_visibility.contains(subscription))
        {
            return Err(format!(
                "--pls-auto-approval {missing} is not in --pls-visibility; add it there too"
            )
            .into());
        }
        annotations.insert(format!("{PLS}create"), json!("true"));
        annotations.insert(format!("{PLS}name"), json!(cli.pls_name));
        annotations.insert(
            format!("{PLS}ip-configuration-subnet"),
            json!(cli.pls_subnet),
        );
        annotations.insert(
            format!("{PLS}ip-configuration-ip-address-count"),
            json!("1"),
        );
        annotations.insert(format!("{PLS}proxy-protocol"), json!("false"));
        if !cli.pls_visibility.is_empty() {
            annotations.insert(
                format!("{PLS}visibility"),
                json!(cli.pls_visibility.join(" ")),
            );
        }
        if !cli.pls_auto_approval.is_empty() {
            annotations.insert(
                format!("{PLS}auto-approval"),
                json!(cli.pls_auto_approval.join(" ")),
            );
        }
    }
    Ok(annotations)
}

// NOTE: the ingress-nginx (4.x) and cert-manager (1.15 and later) value keys are written from
// their charts' values.yaml. No copy of those charts is in this repository, so no test renders
// them.
fn charts(cli: &Cli) -> Result<Vec<Chart>, Box<dyn Error>> {
    let ingress_values = json!({
        "controller": {
            "replicaCount": cli.replicas,
            "ingressClassResource": {"name": cli.ingress_class, "default": false},
            "topologySpreadConstraints": [{
                "maxSkew": 1,
                "topologyKey": "topology.kubernetes.io/zone",
                "whenUnsatisfiable": "ScheduleAnyway",
                "labelSelector": {"matchLabels": {
                    "app.kubernetes.io/name": "ingress-nginx",
                    "app.kubernetes.io/component": "controller",
                }},
            }],
            "service": {
                "type": "LoadBalancer",
                // Keeps the client source IP for Harbor's audit log. Nodes without a controller
                // pod fail the health probe and get no traffic.
                "externalTrafficPolicy": "Local",
                "annotations": service_annotations(cli)?,
            },
        },
    });
    let cert_manager_values = json!({"crds": {"enabled": true}});
    Ok(vec![
        Chart {
            repository_name: "ingress-nginx",
            repository_url: "https://kubernetes.github.io/ingress-nginx",
            release: Release::new(
                "ingress-nginx",
                "ingress-nginx",
                "ingress-nginx/ingress-nginx",
            ),
            values: ingress_values,
        },
        Chart {
            repository_name: "jetstack",
            repository_url: "https://charts.jetstack.io",
            release: Release::new("cert-manager", "cert-manager", "jetstack/cert-manager"),
            values: cert_manager_values,
        },
    ])
}

fn issuer(cli: &Cli) -> AcmeIssuer {
    let (challenge, azure_dns) = match cli.topology {
        Topology::Public => (
            AcmeChallenge::Http01 {
                ingress_class: cli.ingress_class.clone(),
            },
            None,
        ),
        Topology::Internal | Topology::PrivateLink => (
            AcmeChallenge::Dns01,
            Some(AzureDnsZone {
                subscription_id: cli.dns_subscription_id.clone(),
                resource_group: cli.dns_resource_group.clone(),
                zone: cli.dns_zone.clone(),
                identity_client_id: cli.dns_identity_client_id.clone(),
            }),
        ),
    };
    AcmeIssuer {
        name: cli.issuer.to_string(),
        server: cli.acme_server.clone(),
        email: cli.acme_email.clone(),
        challenge,
        azure_dns,
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = if cli.dry_run {
        dry_run(&cli)
    } else {
        apply(&cli)
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {}", error_chain(error.as_ref()));
            ExitCode::FAILURE
        }
    }
}

/// Prints the helm commands with their values files, then the ClusterIssuer.
fn dry_run(cli: &Cli) -> Result<(), Box<dyn Error>> {
    let topology = cli
        .topology
        .to_possible_value()
        .map(|value| value.get_name().to_owned())
        .unwrap_or_default();
    println!("# Dry run: topology {topology}");
    for chart in charts(cli)? {
        let values_file = format!("{}-values.yaml", chart.release.name);
        println!("\n# helm release {}", chart.release.name);
        println!(
            "helm repo add --force-update {} {}",
            chart.repository_name, chart.repository_url
        );
        println!(
            "helm {}",
            Helm::upgrade_install_args(&chart.release, Path::new(&values_file)).join(" ")
        );
        println!("# {values_file}:");
        print!("{}", serde_saphyr::to_string(&chart.values)?);
    }
    let object = cluster_issuer(&issuer(cli))?;
    println!("\n# server-side apply with field manager {FIELD_MANAGER}");
    println!("---");
    print!("{}", serde_saphyr::to_string(&object)?);
    Ok(())
}

fn apply(cli: &Cli) -> Result<(), Box<dyn Error>> {
    let charts = charts(cli)?;
    let issuer_object = cluster_issuer(&issuer(cli))?;
    let helm = Helm::locate()?;
    for chart in &charts {
        let status = std::process::Command::new(helm.program())
            .args([
                "repo",
                "add",
                "--force-update",
                chart.repository_name,
                chart.repository_url,
            ])
            .status()?;
        if !status.success() {
            return Err(format!(
                "helm repo add {} {} failed with {status}",
                chart.repository_name, chart.repository_url
            )
            .into());
        }
    }
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        for chart in &charts {
            let values = serde_saphyr::to_string(&chart.values)?;
            helm.upgrade_install(&chart.release, &values).await?;
            println!("helm release {} installed", chart.release.name);
        }
        let client = kube::Client::try_default().await.map_err(|error| {
            format!("no Kubernetes cluster from the current kubeconfig: {error}")
        })?;
        Applier::new(client)
            .apply_dynamic_cluster(&issuer_object, &cluster_issuer_resource())
            .await?;
        println!("ClusterIssuer {} applied", cli.issuer);
        Ok(())
    })
}

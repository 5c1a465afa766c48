//! Route planner: whether an image goes to its destination by a server-side import (ACR
//! `importImage`) or by a client-side copy from the machine that runs the workflow.
//!
//! ACR's import service pulls the source from Azure's network, so it works only when the
//! source is reachable from there, and it copies whole images: every platform of an index.
//! Other destinations (ECR, GCR, a plain distribution registry) have no import at all. The
//! planner weighs these facts per image and returns the route with a reason as data
//! ([`RouteReason`]) and as text ([`RouteReason`]'s `Display`), so a user can act on it.
//!
//! Rules, first match wins:
//!
//! 1. A destination without a server-side import is always copied.
//! 2. A subset of platforms is always copied, because `importImage` copies the whole index.
//! 3. A source marked unreachable is copied, because the caller knows the network better than
//!    any inference from names.
//! 4. A source whose TLS certificate comes from a private CA is copied, unless it is an ACR
//!    named by resource id: `importImage` has no setting for a CA bundle, so ACR's import
//!    service verifies the source against public roots only.
//! 5. A source marked reachable is imported.
//! 6. A source that is an ACR named by resource id is imported through Azure Resource Manager.
//! 7. A source ACR's import service cannot reach by its address is copied: plain `http`, a
//!    loopback, private, link-local or shared address, or a name that public DNS does not
//!    serve (`.local`, `.internal`, `.svc`, a single label).
//! 8. Harbor's ingress exposure: a public load balancer is imported, an internal load balancer
//!    or a Private Link Service is copied.
//! 9. Nothing known: imported, with a reason saying it is an assumption and how to correct it.
//!
//! ```
//! use harbor_azure::workflows::transfer_route::{
//!     DestinationKind, Route, RouteInput, SourceExposure, plan_route,
//! };
//! use oci_transfer::PlatformSelection;
//!
//! let source = url::Url::parse("https://harbor.example.test").unwrap();
//! let input = RouteInput::new(DestinationKind::Acr, &source, &PlatformSelection::All)
//!     .exposure(Some(SourceExposure::PrivateLink));
//! let decision = plan_route(&input);
//! assert_eq!(decision.route, Route::ClientSideCopy);
//! println!("{decision}");
//! ```

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use oci_transfer::PlatformSelection;
use serde::Deserialize;
use url::{Host, Url};

/// Transfer route of an image to its destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Route {
    /// ACR `importImage`: ACR pulls the image from the source itself.
    ServerSideImport,
    /// The workflow pulls from the source and pushes to the destination with `oci-transfer`.
    ClientSideCopy,
}

impl fmt::Display for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Route::ServerSideImport => "server-side import",
            Route::ClientSideCopy => "client-side copy",
        })
    }
}

/// Kind of the destination registry, which decides whether a server-side import exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DestinationKind {
    /// Azure Container Registry, which has `importImage`.
    Acr,
    /// Amazon Elastic Container Registry.
    Ecr,
    /// Google Container Registry or Artifact Registry.
    Gcr,
    /// Any other OCI distribution registry, such as Harbor or the CNCF distribution registry.
    Distribution,
}

impl DestinationKind {
    /// Reports whether the destination can import an image from a source by itself.
    pub fn has_server_side_import(self) -> bool {
        self == DestinationKind::Acr
    }
}

impl fmt::Display for DestinationKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DestinationKind::Acr => "ACR",
            DestinationKind::Ecr => "ECR",
            DestinationKind::Gcr => "GCR",
            DestinationKind::Distribution => "the destination registry",
        })
    }
}

/// Exposure of Harbor's ingress controller: the three network topologies between Harbor and
/// its peers.
///
/// In TOML: `"public"`, `"internal"` or `"private-link"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceExposure {
    /// A Service of type LoadBalancer with a public IP address.
    Public,
    /// An Azure internal load balancer: a private IP address in the virtual network.
    Internal,
    /// An internal load balancer behind an Azure Private Link Service, reached through
    /// private endpoints in other virtual networks.
    PrivateLink,
}

impl fmt::Display for SourceExposure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SourceExposure::Public => "public",
            SourceExposure::Internal => "internal",
            SourceExposure::PrivateLink => "private-link",
        })
    }
}

/// The caller's statement about whether ACR's import service can reach the source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reachability {
    /// ACR can pull from the source, for instance through a public route the planner cannot
    /// see.
    Reachable,
    /// ACR cannot pull from the source.
    Unreachable,
}

/// Facts the planner weighs for one image.
#[derive(Debug, Clone)]
pub struct RouteInput<'a> {
    destination: DestinationKind,
    source: &'a Url,
    source_acr: Option<&'a str>,
    exposure: Option<SourceExposure>,
    reachability: Option<Reachability>,
    private_ca: bool,
    platforms: &'a PlatformSelection,
}

impl<'a> RouteInput<'a> {
    /// Creates an input for an image from the registry at `source` to a `destination`, with
    /// the platforms to copy. Exposure, override and source ACR are unset.
    pub fn new(
        destination: DestinationKind,
        source: &'a Url,
        platforms: &'a PlatformSelection,
    ) -> Self {
        Self {
            destination,
            source,
            source_acr: None,
            exposure: None,
            reachability: None,
            private_ca: false,
            platforms,
        }
    }

    /// Sets Harbor's ingress exposure, when known.
    pub fn exposure(mut self, exposure: Option<SourceExposure>) -> Self {
        self.exposure = exposure;
        self
    }

    /// Sets the caller's reachability override.
    pub fn reachability(mut self, reachability: Option<Reachability>) -> Self {
        self.reachability = reachability;
        self
    }

    /// Marks the source as an ACR with this ARM resource id.
    pub fn source_acr(mut self, resource_id: Option<&'a str>) -> Self {
        self.source_acr = resource_id;
        self
    }

    /// States whether the source's TLS certificate comes from a private CA, one the caller
    /// trusts through its own CA bundle rather than the public roots. Default: false.
    pub fn private_ca(mut self, private_ca: bool) -> Self {
        self.private_ca = private_ca;
        self
    }
}

/// Property of a source address that puts it out of reach of ACR's import service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AddressKind {
    /// The source URL uses `http`. The `registryUri` of importImage is a host without a
    /// scheme, and ACR connects to it over HTTPS.
    // NOTE: no test against the live service checks that ACR fails on a plain-http source.
    // Marking the source reachable tries an import anyway.
    PlainHttp,
    /// A loopback address, such as `127.0.0.1` or `localhost`.
    Loopback,
    /// A private address (RFC 1918, IPv6 unique local) inside some network.
    Private,
    /// A link-local address.
    LinkLocal,
    /// A shared address (RFC 6598 carrier-grade NAT, `100.64.0.0/10`).
    Shared,
    /// A name that public DNS does not serve, such as `harbor.svc.cluster.local`.
    PrivateName,
}

impl fmt::Display for AddressKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AddressKind::PlainHttp => "uses plain http, and ACR imports over HTTPS only",
            AddressKind::Loopback => "is a loopback address",
            AddressKind::Private => "is a private address",
            AddressKind::LinkLocal => "is a link-local address",
            AddressKind::Shared => "is a shared (carrier-grade NAT) address",
            AddressKind::PrivateName => "is a name that public DNS does not resolve",
        })
    }
}

/// The reason for a [`Route`], as data. `Display` renders the text shown to users.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RouteReason {
    /// The destination has no server-side import.
    NoServerSideImport {
        /// The destination.
        destination: DestinationKind,
        /// A reachability override that was given and does not apply.
        ignored_override: Option<Reachability>,
    },
    /// Only some platforms of an index are wanted.
    PlatformSubset {
        /// The selected platforms, such as `linux/amd64, linux/arm64`.
        platforms: String,
        /// A reachability override that was given and does not apply.
        ignored_override: Option<Reachability>,
    },
    /// The caller marked the source reachable from Azure.
    MarkedReachable {
        /// The exposure or address that the override contradicts, as text.
        overrides: Option<String>,
    },
    /// The caller marked the source unreachable from Azure.
    MarkedUnreachable,
    /// The source's TLS certificate comes from a private CA, which ACR's import service does
    /// not trust.
    PrivateCa {
        /// Host of the source URL.
        host: String,
        /// A reachability override that was given and does not apply.
        ignored_override: Option<Reachability>,
    },
    /// The source is an ACR named by resource id.
    SourceIsAcr {
        /// ARM resource id of the source registry.
        resource_id: String,
    },
    /// The source's address is out of reach of ACR's import service.
    UnreachableAddress {
        /// Host of the source URL.
        host: String,
        /// The property that puts it out of reach.
        kind: AddressKind,
        /// The configured exposure, when it is public and so contradicts the address.
        contradicts: Option<SourceExposure>,
    },
    /// Harbor's ingress exposure decides.
    Exposure {
        /// The exposure.
        exposure: SourceExposure,
        /// Host of the source URL.
        host: String,
    },
    /// Nothing contradicts reachability, so the source is assumed reachable.
    AssumedReachable {
        /// Host of the source URL.
        host: String,
    },
}

impl fmt::Display for RouteReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RouteReason::NoServerSideImport {
                destination,
                ignored_override,
            } => {
                write!(
                    f,
                    "{destination} has no server-side import, so the image is copied by this client"
                )?;
                write_ignored(f, *ignored_override)
            }
            RouteReason::PlatformSubset {
                platforms,
                ignored_override,
            } => {
                write!(
                    f,
                    "only platforms {platforms} are selected, but importImage copies every platform of an index; the client copy writes an index with the selected platforms only"
                )?;
                write_ignored(f, *ignored_override)
            }
            RouteReason::MarkedReachable { overrides } => {
                f.write_str("the input marks the source reachable from Azure")?;
                if let Some(overridden) = overrides {
                    write!(f, ", overriding that {overridden}")?;
                }
                Ok(())
            }
            RouteReason::MarkedUnreachable => f.write_str(
                "the input marks the source unreachable from Azure, so ACR's import service cannot pull it",
            ),
            RouteReason::PrivateCa {
                host,
                ignored_override,
            } => {
                write!(
                    f,
                    "the certificate of {host} comes from a private CA, and importImage has no setting to trust one, so the copy runs from this client"
                )?;
                write_ignored(f, *ignored_override)
            }
            RouteReason::SourceIsAcr { resource_id } => write!(
                f,
                "the source is ACR {resource_id}, which importImage reads by resource id with the caller's Azure AD identity; if its public network access is disabled, it must allow trusted Azure services"
            ),
            RouteReason::UnreachableAddress {
                host,
                kind,
                contradicts,
            } => {
                write!(
                    f,
                    "source {host} {kind}, so ACR's import service cannot reach it"
                )?;
                if let Some(exposure) = contradicts {
                    write!(
                        f,
                        " although the exposure is {exposure}; use the public hostname as the source URL"
                    )?;
                }
                f.write_str("; mark the source reachable to import it anyway")
            }
            RouteReason::Exposure { exposure, host } => match exposure {
                SourceExposure::Public => write!(
                    f,
                    "Harbor's ingress has a public load balancer, so ACR's import service can pull from {host}"
                ),
                SourceExposure::Internal => write!(
                    f,
                    "Harbor's ingress is an internal load balancer, which ACR's import service cannot reach; the copy runs from this client, which must reach {host}"
                ),
                SourceExposure::PrivateLink => write!(
                    f,
                    "Harbor's ingress is reached through a Private Link Service, which ACR's import service cannot use; the copy runs from this client, which must reach {host}"
                ),
            },
            RouteReason::AssumedReachable { host } => write!(
                f,
                "assumed that ACR's import service can reach {host}, because the exposure is not set and the address is a public https name; set the exposure to internal or private-link, or mark the source unreachable, if it cannot"
            ),
        }
    }
}

fn write_ignored(f: &mut fmt::Formatter<'_>, ignored: Option<Reachability>) -> fmt::Result {
    match ignored {
        Some(Reachability::Reachable) => {
            f.write_str(" (the source is marked reachable, which does not change this)")
        }
        Some(Reachability::Unreachable) | None => Ok(()),
    }
}

/// A route and its reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteDecision {
    /// The route.
    pub route: Route,
    /// The rule that chose the route.
    pub reason: RouteReason,
}

impl fmt::Display for RouteDecision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.route, self.reason)
    }
}

/// Picks the route of one image. See the module documentation for the rules and their order.
pub fn plan_route(input: &RouteInput<'_>) -> RouteDecision {
    let copy = |reason| RouteDecision {
        route: Route::ClientSideCopy,
        reason,
    };
    let import = |reason| RouteDecision {
        route: Route::ServerSideImport,
        reason,
    };
    let ignored_override = input
        .reachability
        .filter(|reachability| *reachability == Reachability::Reachable);

    if !input.destination.has_server_side_import() {
        return copy(RouteReason::NoServerSideImport {
            destination: input.destination,
            ignored_override,
        });
    }
    if let PlatformSelection::Only(_) = input.platforms {
        return copy(RouteReason::PlatformSubset {
            platforms: input.platforms.to_string(),
            ignored_override,
        });
    }

    let host = host_for_message(input.source);
    if input.reachability == Some(Reachability::Unreachable) {
        return copy(RouteReason::MarkedUnreachable);
    }
    if input.private_ca && input.source_acr.is_none() {
        return copy(RouteReason::PrivateCa {
            host,
            ignored_override,
        });
    }

    let address = unreachable_address(input.source);
    if input.reachability == Some(Reachability::Reachable) {
        let overrides = match (address, input.exposure) {
            (Some(kind), _) if input.source_acr.is_none() => Some(format!("{host} {kind}")),
            (_, Some(exposure @ (SourceExposure::Internal | SourceExposure::PrivateLink)))
                if input.source_acr.is_none() =>
            {
                Some(format!("Harbor's exposure is {exposure}"))
            }
            _ => None,
        };
        return import(RouteReason::MarkedReachable { overrides });
    }

    if let Some(resource_id) = input.source_acr {
        return import(RouteReason::SourceIsAcr {
            resource_id: resource_id.to_owned(),
        });
    }
    if let Some(kind) = address {
        return copy(RouteReason::UnreachableAddress {
            host,
            kind,
            contradicts: input
                .exposure
                .filter(|exposure| *exposure == SourceExposure::Public),
        });
    }
    match input.exposure {
        Some(exposure) => {
            let reason = RouteReason::Exposure { exposure, host };
            if exposure == SourceExposure::Public {
                import(reason)
            } else {
                copy(reason)
            }
        }
        None => import(RouteReason::AssumedReachable { host }),
    }
}

fn host_for_message(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    }
}

/// Returns why ACR's import service cannot reach `url`, when its scheme or host shows it.
fn unreachable_address(url: &Url) -> Option<AddressKind> {
    let kind = match url.host()? {
        Host::Ipv4(address) => ipv4_kind(address),
        Host::Ipv6(address) => ipv6_kind(address),
        Host::Domain(name) => domain_kind(name),
    };
    kind.or_else(|| (url.scheme() == "http").then_some(AddressKind::PlainHttp))
}

fn ipv4_kind(address: Ipv4Addr) -> Option<AddressKind> {
    let [first, second, ..] = address.octets();
    if address.is_loopback() {
        Some(AddressKind::Loopback)
    } else if address.is_private() {
        Some(AddressKind::Private)
    } else if address.is_link_local() {
        Some(AddressKind::LinkLocal)
    } else if first == 100 && (64..128).contains(&second) {
        Some(AddressKind::Shared)
    } else {
        None
    }
}

fn ipv6_kind(address: Ipv6Addr) -> Option<AddressKind> {
    if let Some(mapped) = address.to_ipv4_mapped() {
        return ipv4_kind(mapped);
    }
    let first = address.segments()[0];
    if address.is_loopback() {
        Some(AddressKind::Loopback)
    } else if first & 0xfe00 == 0xfc00 {
        Some(AddressKind::Private)
    } else if first & 0xffc0 == 0xfe80 {
        Some(AddressKind::LinkLocal)
    } else {
        None
    }
}

/// Suffixes of names that public DNS does not serve: RFC 6762 `.local`, RFC 6761
/// `.localhost`, RFC 8375 `.home.arpa`, ICANN's reserved `.internal`, and Kubernetes
/// cluster DNS (`.svc`, `.cluster.local`).
const PRIVATE_SUFFIXES: [&str; 5] = [".local", ".localhost", ".internal", ".home.arpa", ".svc"];

fn domain_kind(name: &str) -> Option<AddressKind> {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    if let Ok(address) = name.parse::<IpAddr>() {
        return match address {
            IpAddr::V4(address) => ipv4_kind(address),
            IpAddr::V6(address) => ipv6_kind(address),
        };
    }
    if name == "localhost" || name.ends_with(".localhost") {
        return Some(AddressKind::Loopback);
    }
    let single_label = !name.contains('.');
    let private_suffix = PRIVATE_SUFFIXES
        .iter()
        .any(|suffix| name.ends_with(suffix) || name == suffix[1..]);
    (single_label || private_suffix).then_some(AddressKind::PrivateName)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One row of the rule table: the inputs and the expected route and reason.
    struct Case {
        name: &'static str,
        destination: DestinationKind,
        source: &'static str,
        source_acr: Option<&'static str>,
        exposure: Option<SourceExposure>,
        reachability: Option<Reachability>,
        private_ca: bool,
        platforms: Option<&'static [&'static str]>,
        route: Route,
        reason: RouteReason,
    }

    const HARBOR: &str = "https://harbor.example.test";
    const ACR_ID: &str = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/sourceacr";

    fn case(name: &'static str, route: Route, reason: RouteReason) -> Case {
        Case {
            name,
            destination: DestinationKind::Acr,
            source: HARBOR,
            source_acr: None,
            exposure: None,
            reachability: None,
            private_ca: false,
            platforms: None,
            route,
            reason,
        }
    }

    fn host(name: &str) -> String {
        name.to_owned()
    }

    fn cases() -> Vec<Case> {
        use Route::{ClientSideCopy as Copy, ServerSideImport as Import};
        vec![
            Case {
                destination: DestinationKind::Ecr,
                exposure: Some(SourceExposure::Public),
                ..case(
                    "ECR has no import",
                    Copy,
                    RouteReason::NoServerSideImport {
                        destination: DestinationKind::Ecr,
                        ignored_override: None,
                    },
                )
            },
            Case {
                destination: DestinationKind::Gcr,
                ..case(
                    "GCR has no import",
                    Copy,
                    RouteReason::NoServerSideImport {
                        destination: DestinationKind::Gcr,
                        ignored_override: None,
                    },
                )
            },
            Case {
                destination: DestinationKind::Distribution,
                reachability: Some(Reachability::Reachable),
                source_acr: Some(ACR_ID),
                ..case(
                    "plain registry ignores reachable override",
                    Copy,
                    RouteReason::NoServerSideImport {
                        destination: DestinationKind::Distribution,
                        ignored_override: Some(Reachability::Reachable),
                    },
                )
            },
            Case {
                platforms: Some(&["linux/amd64"]),
                exposure: Some(SourceExposure::Public),
                ..case(
                    "platform subset beats public exposure",
                    Copy,
                    RouteReason::PlatformSubset {
                        platforms: "linux/amd64".to_owned(),
                        ignored_override: None,
                    },
                )
            },
            Case {
                platforms: Some(&["linux/amd64", "linux/arm64"]),
                reachability: Some(Reachability::Reachable),
                source_acr: Some(ACR_ID),
                ..case(
                    "platform subset beats override and ACR source",
                    Copy,
                    RouteReason::PlatformSubset {
                        platforms: "linux/amd64, linux/arm64".to_owned(),
                        ignored_override: Some(Reachability::Reachable),
                    },
                )
            },
            Case {
                exposure: Some(SourceExposure::Public),
                reachability: Some(Reachability::Unreachable),
                ..case(
                    "unreachable override beats public exposure",
                    Copy,
                    RouteReason::MarkedUnreachable,
                )
            },
            Case {
                source_acr: Some(ACR_ID),
                reachability: Some(Reachability::Unreachable),
                ..case(
                    "unreachable override beats ACR source",
                    Copy,
                    RouteReason::MarkedUnreachable,
                )
            },
            Case {
                exposure: Some(SourceExposure::PrivateLink),
                reachability: Some(Reachability::Reachable),
                ..case(
                    "reachable override beats private link",
                    Import,
                    RouteReason::MarkedReachable {
                        overrides: Some("Harbor's exposure is private-link".to_owned()),
                    },
                )
            },
            Case {
                source: "http://127.0.0.1:5000",
                exposure: Some(SourceExposure::Internal),
                reachability: Some(Reachability::Reachable),
                ..case(
                    "reachable override beats loopback address",
                    Import,
                    RouteReason::MarkedReachable {
                        overrides: Some("127.0.0.1:5000 is a loopback address".to_owned()),
                    },
                )
            },
            Case {
                exposure: Some(SourceExposure::Public),
                reachability: Some(Reachability::Reachable),
                ..case(
                    "reachable override agreeing with exposure",
                    Import,
                    RouteReason::MarkedReachable { overrides: None },
                )
            },
            Case {
                source: "https://sourceacr.azurecr.io",
                source_acr: Some(ACR_ID),
                exposure: Some(SourceExposure::PrivateLink),
                ..case(
                    "ACR source by resource id",
                    Import,
                    RouteReason::SourceIsAcr {
                        resource_id: ACR_ID.to_owned(),
                    },
                )
            },
            Case {
                source: "http://harbor.example.test",
                ..case(
                    "plain http",
                    Copy,
                    RouteReason::UnreachableAddress {
                        host: host("harbor.example.test"),
                        kind: AddressKind::PlainHttp,
                        contradicts: None,
                    },
                )
            },
            Case {
                source: "https://10.240.4.10",
                exposure: Some(SourceExposure::Public),
                ..case(
                    "private address contradicts public exposure",
                    Copy,
                    RouteReason::UnreachableAddress {
                        host: host("10.240.4.10"),
                        kind: AddressKind::Private,
                        contradicts: Some(SourceExposure::Public),
                    },
                )
            },
            Case {
                source: "https://localhost:8443",
                ..case(
                    "localhost",
                    Copy,
                    RouteReason::UnreachableAddress {
                        host: host("localhost:8443"),
                        kind: AddressKind::Loopback,
                        contradicts: None,
                    },
                )
            },
            Case {
                source: "https://[fd00::10]",
                ..case(
                    "IPv6 unique local address",
                    Copy,
                    RouteReason::UnreachableAddress {
                        host: host("[fd00::10]"),
                        kind: AddressKind::Private,
                        contradicts: None,
                    },
                )
            },
            Case {
                source: "https://169.254.10.1",
                ..case(
                    "link-local address",
                    Copy,
                    RouteReason::UnreachableAddress {
                        host: host("169.254.10.1"),
                        kind: AddressKind::LinkLocal,
                        contradicts: None,
                    },
                )
            },
            Case {
                source: "https://100.72.0.5",
                ..case(
                    "shared address",
                    Copy,
                    RouteReason::UnreachableAddress {
                        host: host("100.72.0.5"),
                        kind: AddressKind::Shared,
                        contradicts: None,
                    },
                )
            },
            Case {
                source: "https://harbor.harbor.svc.cluster.local",
                ..case(
                    "cluster DNS name",
                    Copy,
                    RouteReason::UnreachableAddress {
                        host: host("harbor.harbor.svc.cluster.local"),
                        kind: AddressKind::PrivateName,
                        contradicts: None,
                    },
                )
            },
            Case {
                source: "https://harbor",
                ..case(
                    "single-label name",
                    Copy,
                    RouteReason::UnreachableAddress {
                        host: host("harbor"),
                        kind: AddressKind::PrivateName,
                        contradicts: None,
                    },
                )
            },
            Case {
                exposure: Some(SourceExposure::Public),
                ..case(
                    "public load balancer",
                    Import,
                    RouteReason::Exposure {
                        exposure: SourceExposure::Public,
                        host: host("harbor.example.test"),
                    },
                )
            },
            Case {
                exposure: Some(SourceExposure::Internal),
                ..case(
                    "internal load balancer",
                    Copy,
                    RouteReason::Exposure {
                        exposure: SourceExposure::Internal,
                        host: host("harbor.example.test"),
                    },
                )
            },
            Case {
                exposure: Some(SourceExposure::PrivateLink),
                ..case(
                    "private link",
                    Copy,
                    RouteReason::Exposure {
                        exposure: SourceExposure::PrivateLink,
                        host: host("harbor.example.test"),
                    },
                )
            },
            Case {
                source: "https://20.50.1.2:8443",
                ..case(
                    "public address without exposure",
                    Import,
                    RouteReason::AssumedReachable {
                        host: host("20.50.1.2:8443"),
                    },
                )
            },
            Case {
                private_ca: true,
                exposure: Some(SourceExposure::Public),
                ..case(
                    "private CA beats public exposure",
                    Copy,
                    RouteReason::PrivateCa {
                        host: host("harbor.example.test"),
                        ignored_override: None,
                    },
                )
            },
            Case {
                private_ca: true,
                reachability: Some(Reachability::Reachable),
                ..case(
                    "private CA ignores reachable override",
                    Copy,
                    RouteReason::PrivateCa {
                        host: host("harbor.example.test"),
                        ignored_override: Some(Reachability::Reachable),
                    },
                )
            },
            Case {
                private_ca: true,
                reachability: Some(Reachability::Unreachable),
                ..case(
                    "unreachable override beats private CA",
                    Copy,
                    RouteReason::MarkedUnreachable,
                )
            },
            Case {
                private_ca: true,
                source: "https://sourceacr.azurecr.io",
                source_acr: Some(ACR_ID),
                ..case(
                    "ACR source ignores private CA",
                    Import,
                    RouteReason::SourceIsAcr {
                        resource_id: ACR_ID.to_owned(),
                    },
                )
            },
            case(
                "nothing known",
                Import,
                RouteReason::AssumedReachable {
                    host: host("harbor.example.test"),
                },
            ),
        ]
    }

    #[test]
    fn every_rule_picks_expected_route() {
        for case in cases() {
            let source = Url::parse(case.source).unwrap();
            let platforms = match case.platforms {
                Some(platforms) => PlatformSelection::only(platforms.iter().copied()).unwrap(),
                None => PlatformSelection::All,
            };
            let input = RouteInput::new(case.destination, &source, &platforms)
                .exposure(case.exposure)
                .reachability(case.reachability)
                .source_acr(case.source_acr)
                .private_ca(case.private_ca);
            let decision = plan_route(&input);
            assert_eq!(decision.route, case.route, "{}", case.name);
            assert_eq!(decision.reason, case.reason, "{}", case.name);
        }
    }

    #[test]
    fn reason_text_names_next_step() {
        let expectations = [
            ("ECR has no import", "ECR has no server-side import"),
            (
                "plain registry ignores reachable override",
                "marked reachable, which does not change this",
            ),
            (
                "platform subset beats public exposure",
                "only platforms linux/amd64 are selected, but importImage copies every platform",
            ),
            (
                "reachable override beats private link",
                "overriding that Harbor's exposure is private-link",
            ),
            (
                "unreachable override beats public exposure",
                "marks the source unreachable from Azure",
            ),
            (
                "ACR source by resource id",
                "must allow trusted Azure services",
            ),
            (
                "plain http",
                "uses plain http, and ACR imports over HTTPS only",
            ),
            (
                "private address contradicts public exposure",
                "although the exposure is public; use the public hostname",
            ),
            (
                "cluster DNS name",
                "mark the source reachable to import it anyway",
            ),
            (
                "private CA ignores reachable override",
                "importImage has no setting to trust one, so the copy runs from this client (the source is marked reachable",
            ),
            ("internal load balancer", "internal load balancer"),
            ("private link", "Private Link Service"),
            ("public load balancer", "public load balancer"),
            (
                "nothing known",
                "set the exposure to internal or private-link, or mark the source unreachable",
            ),
        ];
        let cases = cases();
        for (name, expected) in expectations {
            let case = cases.iter().find(|case| case.name == name).unwrap();
            let decision = RouteDecision {
                route: case.route,
                reason: case.reason.clone(),
            };
            let text = decision.to_string();
            assert!(text.contains(expected), "{name}: {text}");
            assert!(text.starts_with(&format!("{}: ", case.route)), "{text}");
        }
    }

    #[test]
    fn exposure_parses_toml_names() {
        #[derive(Deserialize)]
        struct Wrapper {
            exposure: SourceExposure,
        }
        for (text, expected) in [
            ("public", SourceExposure::Public),
            ("internal", SourceExposure::Internal),
            ("private-link", SourceExposure::PrivateLink),
        ] {
            let parsed: Wrapper = toml::from_str(&format!("exposure = \"{text}\"")).unwrap();
            assert_eq!(parsed.exposure, expected);
            assert_eq!(expected.to_string(), text);
        }
        assert!(toml::from_str::<Wrapper>("exposure = \"private_link\"").is_err());
    }

    #[test]
    fn only_acr_has_server_side_import() {
        assert!(DestinationKind::Acr.has_server_side_import());
        for kind in [
            DestinationKind::Ecr,
            DestinationKind::Gcr,
            DestinationKind::Distribution,
        ] {
            assert!(!kind.has_server_side_import(), "{kind}");
        }
    }
}

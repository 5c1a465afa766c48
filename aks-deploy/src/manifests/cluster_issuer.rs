//! The cert-manager ClusterIssuer for ACME certificates, as a dynamic object (cert-manager's
//! types are not part of k8s-openapi).

use kube::core::{ApiResource, DynamicObject, GroupVersionKind};
use serde_json::json;

use crate::error::{Error, Result};
use crate::names::check_dns_subdomain;
use crate::values::AcmeChallenge;

/// Returns the API resource of `cert-manager.io/v1` ClusterIssuer.
pub fn cluster_issuer_resource() -> ApiResource {
    ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("cert-manager.io", "v1", "ClusterIssuer"),
        "clusterissuers",
    )
}

/// Let's Encrypt's production ACME directory.
pub const LETS_ENCRYPT: &str = "https://acme-v02.api.letsencrypt.org/directory";

/// Settings of an ACME ClusterIssuer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcmeIssuer {
    /// Issuer name, referenced by the ingress annotation.
    pub name: String,
    /// ACME directory URL, for example [`LETS_ENCRYPT`].
    pub server: String,
    /// Contact e-mail of the ACME account.
    pub email: String,
    /// Challenge type.
    pub challenge: AcmeChallenge,
    /// For DNS-01: Azure DNS zone, its resource group and subscription; cert-manager
    /// authenticates with the cluster's managed identity.
    pub azure_dns: Option<AzureDnsZone>,
}

/// An Azure DNS zone for DNS-01 challenges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AzureDnsZone {
    /// Subscription id.
    pub subscription_id: String,
    /// Resource group of the zone.
    pub resource_group: String,
    /// Zone name, for example `example.test`.
    pub zone: String,
    /// Client id of the managed identity cert-manager uses.
    pub identity_client_id: String,
}

/// Builds the ClusterIssuer object.
///
/// # Errors
///
/// Returns [`Error::InvalidInput`] when the name or the account key Secret name
/// (`<name>-account-key`) is not an RFC 1123 DNS subdomain, or for a DNS-01 issuer without an
/// Azure DNS zone.
pub fn cluster_issuer(issuer: &AcmeIssuer) -> Result<DynamicObject> {
    check_dns_subdomain("ClusterIssuer name", &issuer.name)?;
    let account_key_secret = format!("{}-account-key", issuer.name);
    check_dns_subdomain("ACME account key Secret name", &account_key_secret)?;
    let solver = match (&issuer.challenge, &issuer.azure_dns) {
        (AcmeChallenge::Http01 { ingress_class }, _) => {
            json!({"http01": {"ingress": {"ingressClassName": ingress_class}}})
        }
        (AcmeChallenge::Dns01, Some(dns)) => json!({"dns01": {"azureDNS": {
            "subscriptionID": dns.subscription_id,
            "resourceGroupName": dns.resource_group,
            "hostedZoneName": dns.zone,
            "environment": "AzurePublicCloud",
            "managedIdentity": {"clientID": dns.identity_client_id},
        }}}),
        (AcmeChallenge::Dns01, None) => {
            return Err(Error::InvalidInput {
                field: "azure_dns",
                value: issuer.name.clone(),
                rule: "a DNS-01 issuer needs the Azure DNS zone that holds the host name".into(),
            });
        }
    };
    Ok(
        DynamicObject::new(&issuer.name, &cluster_issuer_resource()).data(json!({
            "spec": {"acme": {
                "server": issuer.server,
                "email": issuer.email,
                "privateKeySecretRef": {"name": account_key_secret},
                "solvers": [solver],
            }}
        })),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http01_issuer_names_ingress_class() {
        let issuer = cluster_issuer(&AcmeIssuer {
            name: "letsencrypt".into(),
            server: LETS_ENCRYPT.into(),
            email: "ops@example.test".into(),
            challenge: AcmeChallenge::Http01 {
                ingress_class: "nginx".into(),
            },
            azure_dns: None,
        })
        .unwrap();
        let json = serde_json::to_value(&issuer).unwrap();
        assert_eq!(json["apiVersion"], "cert-manager.io/v1");
        assert_eq!(json["kind"], "ClusterIssuer");
        assert_eq!(json["metadata"]["name"], "letsencrypt");
        assert_eq!(
            json["spec"]["acme"]["solvers"][0]["http01"]["ingress"]["ingressClassName"],
            "nginx"
        );
        assert_eq!(
            json["spec"]["acme"]["privateKeySecretRef"]["name"],
            "letsencrypt-account-key"
        );
    }

    #[test]
    fn dns01_issuer_without_zone_is_rejected() {
        let result = cluster_issuer(&AcmeIssuer {
            name: "letsencrypt-dns".into(),
            server: LETS_ENCRYPT.into(),
            email: "ops@example.test".into(),
            challenge: AcmeChallenge::Dns01,
            azure_dns: None,
        });
        assert!(result.is_err());
    }

    #[test]
    fn issuer_rejects_invalid_name() {
        let mut issuer = AcmeIssuer {
            name: "LetsEncrypt".into(),
            server: LETS_ENCRYPT.into(),
            email: "ops@example.test".into(),
            challenge: AcmeChallenge::Http01 {
                ingress_class: "nginx".into(),
            },
            azure_dns: None,
        };
        let error = cluster_issuer(&issuer).unwrap_err().to_string();
        assert!(
            error.contains("ClusterIssuer name \"LetsEncrypt\""),
            "{error}"
        );

        // 250 characters fit a name but not the account key Secret's name.
        issuer.name = "a".repeat(250);
        let error = cluster_issuer(&issuer).unwrap_err().to_string();
        assert!(error.contains("ACME account key Secret name"), "{error}");
    }
}

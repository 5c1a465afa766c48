//! The `[network]` section: virtual network and subnets.

use std::collections::BTreeMap;

use ipnet::Ipv4Net;
use serde::Deserialize;

use super::rules;
use super::validate::Validator;

/// The virtual network of the cluster and the managed services.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkConfig {
    /// Virtual network name.
    pub vnet: String,
    /// Address space in CIDR notation, such as `10.240.0.0/16`.
    pub address_space: String,
    /// Subnet name to CIDR; each subnet lies inside `address_space` and they do not overlap.
    pub subnets: BTreeMap<String, String>,
}

impl NetworkConfig {
    pub(crate) fn validate(&self, v: &mut Validator) {
        v.check("network.vnet", &self.vnet, rules::network_name);
        let vnet = parse_cidr(&self.address_space);
        if let Err(rule) = &vnet {
            v.report("network.address_space", &self.address_space, rule.clone());
        }

        let mut parsed: Vec<(&str, Ipv4Net)> = Vec::new();
        for (name, cidr) in &self.subnets {
            let key = format!("network.subnets.{name}");
            v.check(key.clone(), name, rules::network_name);
            let subnet = match parse_cidr(cidr) {
                Ok(subnet) => subnet,
                Err(rule) => {
                    v.report(key, cidr, rule);
                    continue;
                }
            };
            if let Ok(vnet) = vnet
                && !vnet.contains(&subnet)
            {
                v.report(
                    key.clone(),
                    cidr,
                    format!("a subnet must lie inside network.address_space {vnet}"),
                );
            }
            for (other_name, other) in &parsed {
                if other.contains(&subnet.network()) || subnet.contains(&other.network()) {
                    v.report(
                        key.clone(),
                        cidr,
                        format!("a subnet must not overlap network.subnets.{other_name} {other}"),
                    );
                }
            }
            parsed.push((name, subnet));
        }
    }
}

fn parse_cidr(value: &str) -> Result<Ipv4Net, String> {
    let net: Ipv4Net = value
        .parse()
        .map_err(|_| "an IPv4 CIDR is `a.b.c.d/len`, such as `10.240.0.0/16`".to_owned())?;
    if net.network() != net.addr() {
        return Err(format!(
            "the CIDR has host bits set: the network address is {}",
            net.trunc()
        ));
    }
    Ok(net)
}

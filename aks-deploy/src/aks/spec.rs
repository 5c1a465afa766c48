//! The ManagedCluster request body of an AKS cluster with node pools across zones.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::error::{Error, Result};

/// Role of a node pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoolMode {
    /// Runs system pods; every cluster needs one.
    System,
    /// Runs workloads only.
    User,
}

/// One node pool, before it is laid out over zones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodePool {
    /// Pool name: lowercase letters and digits, starting with a letter, at most 12 characters
    /// (11 when one pool per zone appends the zone digit).
    pub name: String,
    /// VM size, for example `Standard_D4ds_v5`.
    pub vm_size: String,
    /// Role.
    pub mode: PoolMode,
    /// Autoscaler minimum nodes (per pool).
    pub min_count: i32,
    /// Autoscaler maximum nodes (per pool).
    pub max_count: i32,
    /// Node labels.
    pub node_labels: BTreeMap<String, String>,
    /// Node taints such as `dedicated=harbor:NoSchedule`.
    pub node_taints: Vec<String>,
}

/// How pools are laid out over availability zones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ZonePools {
    /// Each pool spans zones 1 to 3.
    Spanning,
    /// Each pool becomes three pools, one per zone (name plus zone digit). The autoscaler can
    /// then grow exactly the zone whose pods are pending, and `balance-similar-node-groups`
    /// keeps the zones even.
    PerZone,
}

/// The availability zones the cluster uses.
pub const ZONES: [&str; 3] = ["1", "2", "3"];

/// An AKS cluster for Harbor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterSpec {
    /// Azure region, for example `westeurope`.
    pub location: String,
    /// DNS prefix of the API server.
    pub dns_prefix: String,
    /// Kubernetes version; `None` takes the region's default.
    pub kubernetes_version: Option<String>,
    /// Node pools; the first System pool hosts system pods.
    pub pools: Vec<NodePool>,
    /// Zone layout.
    pub zone_pools: ZonePools,
    /// Resource tags.
    pub tags: BTreeMap<String, String>,
}

impl ClusterSpec {
    /// Checks names and counts and builds the ManagedCluster body for a PUT.
    ///
    /// The body uses a system-assigned identity, Azure CNI overlay, the standard load
    /// balancer, the Azure Disk and File CSI drivers, and the autoscaler profile
    /// `balance-similar-node-groups: "true"`.
    ///
    /// # Errors
    ///
    /// Returns [`Error::InvalidInput`] naming the first invalid field.
    pub fn to_body(&self) -> Result<Value> {
        self.check()?;
        let mut profiles = Vec::new();
        for pool in &self.pools {
            match self.zone_pools {
                ZonePools::Spanning => profiles.push(pool_profile(pool, &pool.name, &ZONES)),
                ZonePools::PerZone => {
                    for zone in ZONES {
                        let name = format!("{}{zone}", pool.name);
                        profiles.push(pool_profile(pool, &name, &[zone]));
                    }
                }
            }
        }
        let mut properties = json!({
            "dnsPrefix": self.dns_prefix,
            "enableRBAC": true,
            "agentPoolProfiles": profiles,
            "autoScalerProfile": {
                "balance-similar-node-groups": "true",
                "expander": "least-waste",
                "skip-nodes-with-local-storage": "false",
            },
            "networkProfile": {
                "networkPlugin": "azure",
                "networkPluginMode": "overlay",
                "loadBalancerSku": "standard",
                "outboundType": "loadBalancer",
            },
            "storageProfile": {
                "diskCSIDriver": {"enabled": true},
                "fileCSIDriver": {"enabled": true},
            },
        });
        if let Some(version) = &self.kubernetes_version {
            properties["kubernetesVersion"] = Value::String(version.clone());
        }
        Ok(json!({
            "location": self.location,
            "identity": {"type": "SystemAssigned"},
            "sku": {"name": "Base", "tier": "Standard"},
            "tags": self.tags,
            "properties": properties,
        }))
    }

    fn check(&self) -> Result<()> {
        if self.location.is_empty() {
            return Err(invalid(
                "location",
                "",
                "set an Azure region such as westeurope",
            ));
        }
        let prefix_ok = (1..=54).contains(&self.dns_prefix.len())
            && self
                .dns_prefix
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-')
            && self
                .dns_prefix
                .starts_with(|c: char| c.is_ascii_alphanumeric())
            && self
                .dns_prefix
                .ends_with(|c: char| c.is_ascii_alphanumeric());
        if !prefix_ok {
            return Err(invalid(
                "dns_prefix",
                &self.dns_prefix,
                "use 1-54 letters, digits and hyphens, starting and ending with a letter or digit",
            ));
        }
        if !self.pools.iter().any(|pool| pool.mode == PoolMode::System) {
            return Err(invalid("pools", "", "add at least one System pool"));
        }
        let max_name = match self.zone_pools {
            ZonePools::Spanning => 12,
            ZonePools::PerZone => 11,
        };
        for pool in &self.pools {
            let name_ok = (1..=max_name).contains(&pool.name.len())
                && pool.name.starts_with(|c: char| c.is_ascii_lowercase())
                && pool
                    .name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
            if !name_ok {
                return Err(invalid(
                    "pool name",
                    &pool.name,
                    &format!(
                        "use at most {max_name} lowercase letters and digits, starting with a letter"
                    ),
                ));
            }
            if pool.vm_size.is_empty() {
                return Err(invalid(
                    "vm_size",
                    &pool.name,
                    "set a VM size such as Standard_D4ds_v5",
                ));
            }
            if pool.min_count < 1 || pool.max_count < pool.min_count {
                return Err(invalid(
                    "pool counts",
                    &format!("{}: {}..{}", pool.name, pool.min_count, pool.max_count),
                    "use 1 <= min_count <= max_count",
                ));
            }
        }
        Ok(())
    }
}

fn pool_profile(pool: &NodePool, name: &str, zones: &[&str]) -> Value {
    json!({
        "name": name,
        "type": "VirtualMachineScaleSets",
        "mode": match pool.mode { PoolMode::System => "System", PoolMode::User => "User" },
        "osType": "Linux",
        "vmSize": pool.vm_size,
        "availabilityZones": zones,
        "enableAutoScaling": true,
        "count": pool.min_count,
        "minCount": pool.min_count,
        "maxCount": pool.max_count,
        "nodeLabels": pool.node_labels,
        "nodeTaints": pool.node_taints,
    })
}

fn invalid(field: &'static str, value: &str, rule: &str) -> Error {
    Error::InvalidInput {
        field,
        value: value.to_string(),
        rule: rule.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(zone_pools: ZonePools) -> ClusterSpec {
        ClusterSpec {
            location: "westeurope".into(),
            dns_prefix: "harbor-aks".into(),
            kubernetes_version: None,
            pools: vec![
                NodePool {
                    name: "system".into(),
                    vm_size: "Standard_D4ds_v5".into(),
                    mode: PoolMode::System,
                    min_count: 1,
                    max_count: 3,
                    node_labels: BTreeMap::new(),
                    node_taints: Vec::new(),
                },
                NodePool {
                    name: "harbor".into(),
                    vm_size: "Standard_D8ds_v5".into(),
                    mode: PoolMode::User,
                    min_count: 1,
                    max_count: 5,
                    node_labels: BTreeMap::from([("workload".into(), "harbor".into())]),
                    node_taints: Vec::new(),
                },
            ],
            zone_pools,
            tags: BTreeMap::new(),
        }
    }

    #[test]
    fn spanning_pools_cover_three_zones() {
        let body = spec(ZonePools::Spanning).to_body().unwrap();
        let pools = body["properties"]["agentPoolProfiles"].as_array().unwrap();
        assert_eq!(pools.len(), 2);
        assert_eq!(pools[0]["availabilityZones"], json!(["1", "2", "3"]));
        assert_eq!(
            body["properties"]["autoScalerProfile"]["balance-similar-node-groups"],
            "true"
        );
    }

    #[test]
    fn per_zone_pools_get_one_zone_each() {
        let body = spec(ZonePools::PerZone).to_body().unwrap();
        let pools = body["properties"]["agentPoolProfiles"].as_array().unwrap();
        let names: Vec<&str> = pools.iter().map(|p| p["name"].as_str().unwrap()).collect();
        assert_eq!(
            names,
            [
                "system1", "system2", "system3", "harbor1", "harbor2", "harbor3"
            ]
        );
        assert_eq!(pools[4]["availabilityZones"], json!(["2"]));
        assert_eq!(pools[4]["mode"], "User");
    }

    #[test]
    fn long_pool_name_is_rejected_per_zone() {
        let mut spec = spec(ZonePools::PerZone);
        spec.pools[1].name = "harborpool12".into();
        let error = spec.to_body().unwrap_err().to_string();
        assert!(error.contains("harborpool12"), "{error}");
    }

    #[test]
    fn cluster_without_system_pool_is_rejected() {
        let mut spec = spec(ZonePools::Spanning);
        spec.pools.remove(0);
        assert!(spec.to_body().is_err());
    }
}

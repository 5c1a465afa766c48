//! Pod counts per zone and node read from the cluster, and the zone-label pre-flight check.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Node, Pod};
use kube::api::{Api, ListParams};
use kube::{Client, ResourceExt};

use crate::error::{Error, Result};
use crate::validate::ZONE_TOPOLOGY_KEY;
use crate::values::{Component, HarborValues};

/// Zone name used in reports for nodes without a zone label.
pub const NO_ZONE: &str = "(no zone)";

/// Pods of one group (a component) per zone and per node.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupSpread {
    /// Running or pending pods per zone.
    pub per_zone: BTreeMap<String, usize>,
    /// Pods per node.
    pub per_node: BTreeMap<String, usize>,
    /// Pods not yet scheduled.
    pub unscheduled: usize,
}

impl GroupSpread {
    /// Returns the largest difference of pod counts between zones among `zones`.
    pub fn zone_skew(&self, zones: &[String]) -> usize {
        let counts: Vec<usize> = zones
            .iter()
            .map(|zone| self.per_zone.get(zone).copied().unwrap_or(0))
            .collect();
        let max = counts.iter().copied().max().unwrap_or(0);
        let min = counts.iter().copied().min().unwrap_or(0);
        max - min
    }
}

/// Spread of pods grouped by a label (the chart's `component`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SpreadReport {
    /// Zones that have at least one node.
    pub zones: Vec<String>,
    /// Spread per label value.
    pub groups: BTreeMap<String, GroupSpread>,
}

impl std::fmt::Display for SpreadReport {
    /// Writes one line per group: pods per zone, the zone skew and the number of nodes used.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (group, spread) in &self.groups {
            let zones: Vec<String> = self
                .zones
                .iter()
                .map(|zone| format!("{zone}={}", spread.per_zone.get(zone).copied().unwrap_or(0)))
                .collect();
            write!(
                f,
                "{group}: {} (skew {}), {} nodes",
                zones.join(" "),
                spread.zone_skew(&self.zones),
                spread.per_node.len()
            )?;
            if spread.unscheduled > 0 {
                write!(f, ", {} unscheduled", spread.unscheduled)?;
            }
            writeln!(f)?;
        }
        Ok(())
    }
}

/// Builds the report from nodes and pods; pods are grouped by the value of `group_label`.
pub fn build_report(nodes: &[Node], pods: &[Pod], group_label: &str) -> SpreadReport {
    let zone_of: BTreeMap<String, String> = nodes
        .iter()
        .map(|node| {
            let zone = node
                .labels()
                .get(ZONE_TOPOLOGY_KEY)
                .cloned()
                .unwrap_or_else(|| NO_ZONE.to_string());
            (node.name_any(), zone)
        })
        .collect();
    let mut zones: Vec<String> = zone_of.values().cloned().collect();
    zones.sort();
    zones.dedup();

    let mut groups: BTreeMap<String, GroupSpread> = BTreeMap::new();
    for pod in pods {
        let group = pod
            .labels()
            .get(group_label)
            .cloned()
            .unwrap_or_else(|| "(unlabelled)".to_string());
        let entry = groups.entry(group).or_default();
        match pod.spec.as_ref().and_then(|s| s.node_name.clone()) {
            Some(node) => {
                let zone = zone_of
                    .get(&node)
                    .cloned()
                    .unwrap_or_else(|| NO_ZONE.to_string());
                *entry.per_zone.entry(zone).or_default() += 1;
                *entry.per_node.entry(node).or_default() += 1;
            }
            None => entry.unscheduled += 1,
        }
    }
    SpreadReport { zones, groups }
}

/// Reads nodes and the pods matching `label_selector` in `namespace` and builds the report,
/// grouped by the chart's `component` label.
///
/// # Errors
///
/// Returns [`Error::Kube`] when listing fails.
pub async fn read_spread(
    client: &Client,
    namespace: &str,
    label_selector: &str,
) -> Result<SpreadReport> {
    let nodes: Api<Node> = Api::all(client.clone());
    let pods: Api<Pod> = Api::namespaced(client.clone(), namespace);
    let node_list = nodes
        .list(&ListParams::default())
        .await
        .map_err(|error| Error::kube("list Nodes", error))?;
    let pod_list = pods
        .list(&ListParams::default().labels(label_selector))
        .await
        .map_err(|error| Error::kube(format!("list Pods in {namespace}"), error))?;
    Ok(build_report(&node_list.items, &pod_list.items, "component"))
}

/// Policy for nodes without the zone label when the values spread across zones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ZonePreflight {
    /// Fail before installing.
    Fail,
    /// Turn the zone constraints into `ScheduleAnyway` and return a warning.
    Downgrade,
}

/// Checks that the nodes can carry a spread across `zones` availability zones when `values`
/// spread across zones with `DoNotSchedule`.
///
/// Three rules apply, in this order:
/// - Every node has the zone label. With a hard zone constraint, pods cannot schedule on nodes
///   without it, because the scheduler treats such nodes as outside every domain.
/// - Every zone value has the zonal form `<region>-<number>`, such as `westeurope-1`.
/// - The nodes span at least `zones` distinct zones.
///
/// With [`ZonePreflight::Downgrade`], unlabelled nodes turn the zone constraints into
/// `ScheduleAnyway`, and the other two rules return warnings, because pods still schedule
/// there but run in fewer zones than planned.
///
/// # Errors
///
/// Returns [`Error::InvalidInput`] naming the nodes, with their zone values, when `policy` is
/// [`ZonePreflight::Fail`] and a rule fails.
pub fn preflight_zone_labels(
    nodes: &[Node],
    values: &mut HarborValues,
    policy: ZonePreflight,
    zones: usize,
) -> Result<Vec<String>> {
    let components: Vec<Component> = Component::SCALABLE
        .into_iter()
        .filter(|component| {
            values.workload(*component).is_some_and(|w| {
                w.topology_spread_constraints.iter().any(|c| {
                    c.topology_key == ZONE_TOPOLOGY_KEY && c.when_unsatisfiable == "DoNotSchedule"
                })
            })
        })
        .collect();
    if components.is_empty() {
        return Ok(Vec::new());
    }

    let unlabelled: Vec<String> = nodes
        .iter()
        .filter(|node| !node.labels().contains_key(ZONE_TOPOLOGY_KEY))
        .map(|node| node.name_any())
        .collect();
    if !unlabelled.is_empty() {
        return match policy {
            ZonePreflight::Fail => Err(Error::InvalidInput {
                field: "nodes",
                value: unlabelled.join(", "),
                rule: format!(
                    "these nodes have no {ZONE_TOPOLOGY_KEY} label, so pods with a DoNotSchedule zone constraint cannot run there: create zonal node pools or downgrade the constraints"
                ),
            }),
            ZonePreflight::Downgrade => Ok(downgrade(values, &components, &unlabelled)),
        };
    }

    match zone_problem(nodes, zones) {
        None => Ok(Vec::new()),
        Some(problem) => match policy {
            ZonePreflight::Fail => Err(problem),
            ZonePreflight::Downgrade => Ok(vec![problem.to_string()]),
        },
    }
}

/// Turns the zone constraints of `components` into `ScheduleAnyway` and returns one warning
/// per component.
fn downgrade(
    values: &mut HarborValues,
    components: &[Component],
    unlabelled: &[String],
) -> Vec<String> {
    let mut warnings = Vec::new();
    for component in components {
        if let Some(workload) = values.workload_mut(*component) {
            for constraint in &mut workload.topology_spread_constraints {
                if constraint.topology_key == ZONE_TOPOLOGY_KEY {
                    constraint.when_unsatisfiable = "ScheduleAnyway".to_string();
                }
            }
        }
        warnings.push(format!(
            "{component}: zone spread downgraded to ScheduleAnyway because nodes {} have no zone label",
            unlabelled.join(", ")
        ));
    }
    warnings
}

/// Checks the zone values of labelled nodes: the zonal form first, then the number of
/// distinct zones. Returns the first failed rule as an error naming the nodes and values.
fn zone_problem(nodes: &[Node], zones: usize) -> Option<Error> {
    let labelled: Vec<(String, String)> = nodes
        .iter()
        .filter_map(|node| {
            let zone = node.labels().get(ZONE_TOPOLOGY_KEY)?;
            Some((node.name_any(), zone.clone()))
        })
        .collect();
    let list = |pairs: &[&(String, String)]| {
        pairs
            .iter()
            .map(|(node, zone)| format!("{node}={zone}"))
            .collect::<Vec<_>>()
            .join(", ")
    };

    let not_zonal: Vec<&(String, String)> = labelled
        .iter()
        .filter(|(_, zone)| !is_zonal(zone))
        .collect();
    if !not_zonal.is_empty() {
        return Some(Error::InvalidInput {
            field: "nodes",
            value: list(&not_zonal),
            rule: format!(
                "these {ZONE_TOPOLOGY_KEY} values are not availability zones of the form <region>-<number>, such as westeurope-1; AKS sets fault domain numbers such as 0 or 1 on node pools without availability zones: create node pools with zones (az aks nodepool add --zones 1 2 3)"
            ),
        });
    }

    let mut distinct: Vec<&str> = labelled.iter().map(|(_, zone)| zone.as_str()).collect();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() < zones {
        let all: Vec<&(String, String)> = labelled.iter().collect();
        return Some(Error::InvalidInput {
            field: "nodes",
            value: list(&all),
            rule: format!(
                "the nodes span {} availability zones ({}), fewer than the {zones} the deployment spreads across: add nodes in the missing zones or configure fewer zones",
                distinct.len(),
                distinct.join(", ")
            ),
        });
    }
    None
}

/// Returns whether `zone` has the form `<region>-<number>`, such as `westeurope-1`.
///
/// NOTE: the form is taken from the AKS node labels as documented. Zonal node pools carry
/// `<region>-<zone>` and the other pools a fault domain number such as `0`. No live cluster
/// checked it here.
fn is_zonal(zone: &str) -> bool {
    let Some((region, number)) = zone.rsplit_once('-') else {
        return false;
    };
    !region.is_empty()
        && region
            .bytes()
            .all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit())
        && !number.is_empty()
        && number.bytes().all(|byte| byte.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::presets::{PresetBase, ZoneLayout, across_zones};

    fn node(name: &str, zone: Option<&str>) -> Node {
        let mut labels = serde_json::Map::new();
        if let Some(zone) = zone {
            labels.insert(ZONE_TOPOLOGY_KEY.into(), zone.into());
        }
        serde_json::from_value(serde_json::json!({"metadata": {"name": name, "labels": labels}}))
            .unwrap()
    }

    fn pod(name: &str, component: &str, node: Option<&str>) -> Pod {
        serde_json::from_value(serde_json::json!({
            "metadata": {"name": name, "labels": {"component": component}},
            "spec": {"containers": [], "nodeName": node}
        }))
        .unwrap()
    }

    #[test]
    fn report_counts_pods_per_zone_and_node() {
        let nodes = [
            node("n1", Some("eastus-1")),
            node("n2", Some("eastus-2")),
            node("n3", Some("eastus-3")),
        ];
        let pods = [
            pod("c1", "core", Some("n1")),
            pod("c2", "core", Some("n2")),
            pod("c3", "core", Some("n2")),
            pod("c4", "core", None),
        ];
        let report = build_report(&nodes, &pods, "component");
        let core = &report.groups["core"];
        assert_eq!(core.per_zone["eastus-2"], 2);
        assert_eq!(core.per_node["n1"], 1);
        assert_eq!(core.unscheduled, 1);
        assert_eq!(core.zone_skew(&report.zones), 2);
        assert_eq!(
            report.to_string(),
            "core: eastus-1=1 eastus-2=2 eastus-3=0 (skew 2), 2 nodes, 1 unscheduled\n"
        );
    }

    fn zone_values() -> HarborValues {
        let base = PresetBase::new("harbor.example.test", "nginx");
        across_zones(&base, &ZoneLayout::default()).unwrap()
    }

    #[test]
    fn preflight_fails_on_nodes_without_zone() {
        let mut values = zone_values();
        let nodes = [node("n1", None), node("n2", Some("westeurope-1"))];
        let error = preflight_zone_labels(&nodes, &mut values, ZonePreflight::Fail, 1).unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid nodes \"n1\": these nodes have no topology.kubernetes.io/zone label, so pods \
             with a DoNotSchedule zone constraint cannot run there: create zonal node pools or \
             downgrade the constraints"
        );
    }

    #[test]
    fn preflight_rejects_fault_domain_values() {
        let mut values = zone_values();
        let nodes = [
            node("aks-pool-0", Some("0")),
            node("aks-pool-1", Some("1")),
            node("aks-pool-2", Some("westeurope-3")),
        ];
        let error = preflight_zone_labels(&nodes, &mut values, ZonePreflight::Fail, 3).unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid nodes \"aks-pool-0=0, aks-pool-1=1\": these topology.kubernetes.io/zone \
             values are not availability zones of the form <region>-<number>, such as \
             westeurope-1; AKS sets fault domain numbers such as 0 or 1 on node pools without \
             availability zones: create node pools with zones (az aks nodepool add --zones 1 2 3)"
        );
    }

    #[test]
    fn preflight_rejects_too_few_zones() {
        let mut values = zone_values();
        let nodes = [
            node("n1", Some("westeurope-1")),
            node("n2", Some("westeurope-2")),
            node("n3", Some("westeurope-1")),
        ];
        let error = preflight_zone_labels(&nodes, &mut values, ZonePreflight::Fail, 3).unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid nodes \"n1=westeurope-1, n2=westeurope-2, n3=westeurope-1\": the nodes span \
             2 availability zones (westeurope-1, westeurope-2), fewer than the 3 the deployment \
             spreads across: add nodes in the missing zones or configure fewer zones"
        );
        let warnings = preflight_zone_labels(&nodes, &mut values, ZonePreflight::Fail, 2).unwrap();
        assert!(warnings.is_empty(), "{warnings:?}");
    }

    #[test]
    fn zonal_form_needs_region_and_number() {
        for zone in ["westeurope-1", "eastus2-3", "usgovvirginia-2"] {
            assert!(is_zonal(zone), "{zone}");
        }
        for zone in [
            "0",
            "1",
            "-1",
            "westeurope-",
            "westeurope",
            "WestEurope-1",
            "west europe-1",
        ] {
            assert!(!is_zonal(zone), "{zone}");
        }
    }

    #[test]
    fn preflight_downgrade_schedules_anyway() {
        let mut values = zone_values();
        let nodes = [node("n1", None)];
        let warnings =
            preflight_zone_labels(&nodes, &mut values, ZonePreflight::Downgrade, 3).unwrap();
        assert!(!warnings.is_empty());
        let zone = &values.core.workload.topology_spread_constraints[0];
        assert_eq!(zone.when_unsatisfiable, "ScheduleAnyway");
    }

    #[test]
    fn preflight_downgrade_warns_on_fault_domains() {
        let mut values = zone_values();
        let nodes = [node("n1", Some("0"))];
        let warnings =
            preflight_zone_labels(&nodes, &mut values, ZonePreflight::Downgrade, 1).unwrap();
        assert_eq!(warnings.len(), 1);
        assert!(
            warnings[0].starts_with("invalid nodes \"n1=0\""),
            "{warnings:?}"
        );
        let zone = &values.core.workload.topology_spread_constraints[0];
        assert_eq!(zone.when_unsatisfiable, "DoNotSchedule");
    }

    #[test]
    fn preflight_passes_with_zone_labels() {
        let mut values = zone_values();
        let nodes = [
            node("n1", Some("eastus-1")),
            node("n2", Some("eastus-2")),
            node("n3", Some("eastus-3")),
        ];
        let warnings = preflight_zone_labels(&nodes, &mut values, ZonePreflight::Fail, 3).unwrap();
        assert!(warnings.is_empty());
    }
}

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

/// Checks that every node has a zone label when `values` spread across zones.
///
/// With a hard zone constraint, pods cannot schedule on nodes without the label: the scheduler
/// treats such nodes as outside every domain.
///
/// # Errors
///
/// Returns [`Error::InvalidInput`] naming the unlabelled nodes when `policy` is
/// [`ZonePreflight::Fail`].
pub fn preflight_zone_labels(
    nodes: &[Node],
    values: &mut HarborValues,
    policy: ZonePreflight,
) -> Result<Vec<String>> {
    let unlabelled: Vec<String> = nodes
        .iter()
        .filter(|node| !node.labels().contains_key(ZONE_TOPOLOGY_KEY))
        .map(|node| node.name_any())
        .collect();
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
    if unlabelled.is_empty() || components.is_empty() {
        return Ok(Vec::new());
    }
    match policy {
        ZonePreflight::Fail => Err(Error::InvalidInput {
            field: "nodes",
            value: unlabelled.join(", "),
            rule: format!(
                "these nodes have no {ZONE_TOPOLOGY_KEY} label, so pods with a DoNotSchedule zone constraint cannot run there: create zonal node pools or downgrade the constraints"
            ),
        }),
        ZonePreflight::Downgrade => {
            let mut warnings = Vec::new();
            for component in components {
                if let Some(workload) = values.workload_mut(component) {
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
            Ok(warnings)
        }
    }
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

    #[test]
    fn preflight_fails_on_nodes_without_zone() {
        let base = PresetBase::new("harbor.example.test", "nginx");
        let mut values = across_zones(&base, &ZoneLayout::default()).unwrap();
        let nodes = [node("n1", None)];
        let error = preflight_zone_labels(&nodes, &mut values, ZonePreflight::Fail).unwrap_err();
        assert!(error.to_string().contains("n1"), "{error}");
    }

    #[test]
    fn preflight_downgrade_schedules_anyway() {
        let base = PresetBase::new("harbor.example.test", "nginx");
        let mut values = across_zones(&base, &ZoneLayout::default()).unwrap();
        let nodes = [node("n1", None)];
        let warnings =
            preflight_zone_labels(&nodes, &mut values, ZonePreflight::Downgrade).unwrap();
        assert!(!warnings.is_empty());
        let zone = &values.core.workload.topology_spread_constraints[0];
        assert_eq!(zone.when_unsatisfiable, "ScheduleAnyway");
    }

    #[test]
    fn preflight_passes_with_zone_labels() {
        let base = PresetBase::new("harbor.example.test", "nginx");
        let mut values = across_zones(&base, &ZoneLayout::default()).unwrap();
        let nodes = [node("n1", Some("eastus-1"))];
        let warnings = preflight_zone_labels(&nodes, &mut values, ZonePreflight::Fail).unwrap();
        assert!(warnings.is_empty());
    }
}

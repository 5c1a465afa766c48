//! The chart's `metrics` section.

use serde::Serialize;

/// Prometheus ServiceMonitor settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceMonitor {
    /// Whether the chart renders a ServiceMonitor (needs the Prometheus operator CRDs).
    pub enabled: bool,
}

/// `metrics`: the metrics endpoints of core, registry and jobservice and the exporter.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Metrics {
    /// Whether metrics endpoints and the exporter are deployed.
    pub enabled: bool,
    /// ServiceMonitor settings.
    pub service_monitor: ServiceMonitor,
}

//! The `[app]` section: the sample application deployed next to Harbor.

use serde::Deserialize;

use super::number;
use super::rules;
use super::validate::Validator;

/// The sample application, pulled from Harbor and spread across zones and hosts.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppConfig {
    /// Full image reference, such as `harbor.example.test/library/hello:1.0.0`.
    pub image: String,
    /// Deployment name. Default: `hello`.
    #[serde(default = "default_name")]
    pub name: String,
    /// Namespace. Default: `hello`.
    #[serde(default = "default_name")]
    pub namespace: String,
    /// Container port that serves HTTP. Default: 8080.
    #[serde(default = "default_port", deserialize_with = "number::port")]
    pub port: u16,
    /// HTTP path of the readiness and liveness probes. Default: `/`.
    #[serde(default = "default_probe_path")]
    pub probe_path: String,
    /// Replicas. Default: 3, one per zone of a three-zone region.
    #[serde(default = "default_replicas", deserialize_with = "number::replicas")]
    pub replicas: u32,
}

fn default_name() -> String {
    "hello".into()
}

fn default_port() -> u16 {
    8080
}

fn default_probe_path() -> String {
    "/".into()
}

fn default_replicas() -> u32 {
    3
}

impl AppConfig {
    pub(crate) fn validate(&self, v: &mut Validator) {
        v.check("app.image", &self.image, rules::image_reference);
        v.check("app.name", &self.name, rules::dns_label);
        v.check("app.namespace", &self.namespace, rules::dns_label);
        if self.port == 0 {
            v.report_literal("app.port", 0, number::PORT_RULE);
        }
        if !self.probe_path.starts_with('/') {
            v.report(
                "app.probe_path",
                &self.probe_path,
                "an HTTP path starts with `/`",
            );
        }
        if self.replicas == 0 {
            v.report_literal("app.replicas", 0, number::REPLICAS_RULE);
        }
    }
}

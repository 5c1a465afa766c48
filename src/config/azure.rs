//! The `[azure]` section: subscription, resource group, location and zones.

use serde::Deserialize;

use super::rules;
use super::validate::Validator;

/// Where the Azure resources go.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AzureConfig {
    /// Subscription id (a GUID).
    pub subscription_id: String,
    /// Resource group of the cluster and the other resources, unless a section names its own.
    pub resource_group: String,
    /// Region as ARM writes it, such as `westeurope`.
    pub location: String,
    /// Availability zones that the across-zones preset spreads over. Default: `["1", "2", "3"]`.
    #[serde(default = "default_zones")]
    pub zones: Vec<String>,
}

fn default_zones() -> Vec<String> {
    ["1", "2", "3"].map(String::from).to_vec()
}

impl AzureConfig {
    pub(crate) fn validate(&self, v: &mut Validator) {
        v.check(
            "azure.subscription_id",
            &self.subscription_id,
            rules::subscription_id,
        );
        v.check(
            "azure.resource_group",
            &self.resource_group,
            rules::resource_group,
        );
        v.check("azure.location", &self.location, rules::location);
        if self.zones.is_empty() {
            v.report_literal("azure.zones", "[]", "list at least one availability zone");
        }
        for (index, zone) in self.zones.iter().enumerate() {
            v.check(format!("azure.zones[{index}]"), zone, rules::zone);
            if self.zones[..index].contains(zone) {
                v.report(
                    format!("azure.zones[{index}]"),
                    zone,
                    "each zone appears once",
                );
            }
        }
    }
}

//! Checks of [`HarborValues`] that catch, before anything runs, what would otherwise fail only
//! on the cluster or be ignored by Helm without a warning.

mod checks;
mod problems;
mod storage;

use std::collections::BTreeSet;

use crate::chart_keys::ChartKeys;
use crate::error::{Error, Result};
use crate::values::HarborValues;

pub use crate::names::is_dns_subdomain;
pub use checks::is_storage_quantity;
pub use problems::{ValidationError, ValidationWarning};

/// Label of the zone a node runs in.
pub const ZONE_TOPOLOGY_KEY: &str = "topology.kubernetes.io/zone";
/// Label of a node's host name.
pub const HOSTNAME_TOPOLOGY_KEY: &str = "kubernetes.io/hostname";

/// Inputs of validation besides the values.
#[derive(Debug, Clone)]
pub struct ValidationContext {
    /// The chart's key tree.
    pub chart_keys: ChartKeys,
    /// Storage classes whose volumes survive the loss of a zone and attach in every zone.
    pub zone_redundant_classes: BTreeSet<String>,
}

impl ValidationContext {
    /// Returns a context with the chart keys and no zone-redundant class.
    pub fn new(chart_keys: ChartKeys) -> Self {
        ValidationContext {
            chart_keys,
            zone_redundant_classes: BTreeSet::new(),
        }
    }

    /// Adds a zone-redundant storage class name.
    pub fn with_zone_redundant_class(mut self, name: impl Into<String>) -> Self {
        self.zone_redundant_classes.insert(name.into());
        self
    }
}

/// Validates `values`, returning the warnings when there is no error.
///
/// # Errors
///
/// Returns [`Error::Invalid`] listing every problem found.
pub fn validate(
    values: &HarborValues,
    context: &ValidationContext,
) -> Result<Vec<ValidationWarning>> {
    let mut errors = Vec::new();
    let mut warnings = Vec::new();

    checks::check_extra_scaling(&values.extra, &mut errors);
    checks::check_keys(values, &context.chart_keys, &mut errors);
    storage::check_rwo(values, &mut errors, &mut warnings);
    checks::check_spread_constraints(values, &mut errors);
    storage::check_zone_storage(values, context, &mut errors);
    checks::check_database(&values.database, &mut errors);
    checks::check_redis(&values.redis, &mut errors);
    checks::check_expose(values, &mut errors);
    checks::check_quantities(values, &mut errors);
    checks::check_disruption_budgets(values, &mut errors);
    checks::check_names(values, &mut errors);

    if errors.is_empty() {
        Ok(warnings)
    } else {
        Err(Error::Invalid(errors))
    }
}

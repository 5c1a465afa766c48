//! Checks of volume claims: ReadWriteOnce claims under several replicas and zonal storage under
//! zone spread.

use super::{ValidationContext, ValidationError, ValidationWarning, ZONE_TOPOLOGY_KEY};
use crate::values::{
    AccessMode, Claim, Component, Database, HarborValues, ImageStorage, Redis, UpdateStrategy,
};

fn claim_is_rwo(claim: Option<&Claim>) -> bool {
    match claim {
        Some(claim) if claim.existing_claim.is_some() => false,
        Some(claim) => claim.effective_access_mode() != AccessMode::ReadWriteMany,
        None => true,
    }
}

pub(super) fn check_rwo(
    values: &HarborValues,
    errors: &mut Vec<ValidationError>,
    warnings: &mut Vec<ValidationWarning>,
) {
    if !values.persistence.enabled {
        return;
    }
    let claims = &values.persistence.persistent_volume_claim;
    let job_log = claims.jobservice.as_ref().and_then(|j| j.job_log.as_ref());
    let mut on_rwo = Vec::new();
    if values.persistence.image_chart_storage == ImageStorage::Filesystem
        && claim_is_rwo(claims.registry.as_ref())
    {
        on_rwo.push(Component::Registry);
    }
    if values.jobservice.logs_to_file() && claim_is_rwo(job_log) {
        on_rwo.push(Component::Jobservice);
    }
    if job_log.is_some() && !values.jobservice.logs_to_file() {
        warnings.push(ValidationWarning::JobLogClaimUnused);
    }

    let mut scaled = Vec::new();
    for component in on_rwo {
        let replicas = values
            .workload(component)
            .map_or(1, |workload| workload.effective_replicas());
        if replicas > 1 {
            scaled.push(component);
        } else if values.update_strategy != Some(UpdateStrategy::Recreate) {
            warnings.push(ValidationWarning::RollingUpdateOnRwo { component });
        }
    }
    if !scaled.is_empty() {
        errors.push(ValidationError::RwoWithReplicas { components: scaled });
    }
}

fn spreads_across_zones(values: &HarborValues, component: Component) -> bool {
    values.workload(component).is_some_and(|workload| {
        workload
            .topology_spread_constraints
            .iter()
            .any(|constraint| constraint.topology_key == ZONE_TOPOLOGY_KEY)
    })
}

pub(super) fn check_zone_storage(
    values: &HarborValues,
    context: &ValidationContext,
    errors: &mut Vec<ValidationError>,
) {
    if !values.persistence.enabled {
        return;
    }
    let claims = &values.persistence.persistent_volume_claim;
    let job_log = claims.jobservice.as_ref().and_then(|j| j.job_log.as_ref());
    let mut volumes: Vec<(Component, Option<&Claim>)> = Vec::new();
    if values.persistence.image_chart_storage == ImageStorage::Filesystem {
        volumes.push((Component::Registry, claims.registry.as_ref()));
    }
    if values.jobservice.logs_to_file() {
        volumes.push((Component::Jobservice, job_log));
    }
    if values.trivy.enabled {
        volumes.push((Component::Trivy, claims.trivy.as_ref()));
    }
    let any_zone_spread = Component::SCALABLE
        .into_iter()
        .any(|component| spreads_across_zones(values, component));
    // A single internal database or Redis pod on a zonal disk would keep Harbor in one zone.
    if any_zone_spread && values.database == Database::Internal {
        volumes.push((Component::Database, claims.database.as_ref()));
    }
    if any_zone_spread && values.redis == Redis::Internal {
        volumes.push((Component::Redis, claims.redis.as_ref()));
    }

    for (component, claim) in volumes {
        let spreads = matches!(component, Component::Database | Component::Redis)
            || spreads_across_zones(values, component);
        if !spreads || claim.is_some_and(|c| c.existing_claim.is_some()) {
            continue;
        }
        let storage_class = claim.and_then(|c| c.storage_class.clone());
        let redundant = storage_class
            .as_ref()
            .is_some_and(|name| context.zone_redundant_classes.contains(name));
        if !redundant {
            errors.push(ValidationError::ZoneSpreadWithoutZoneStorage {
                component,
                storage_class,
            });
        }
    }
}

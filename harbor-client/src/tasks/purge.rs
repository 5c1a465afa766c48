//! The audit-log purge schedule.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::Client;
use crate::Error;
use crate::generated::models::{ExecHistory, Schedule};
use crate::tasks::gc::parse_parameters;
use crate::tasks::schedule::read_schedule;
use crate::tasks::{JobSchedule, Outcome};

/// Desired audit-log purge schedule: keep `retention_hours` of the listed event types.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PurgeScheduleSpec {
    schedule: JobSchedule,
    retention_hours: u32,
    event_types: Vec<String>,
}

impl PurgeScheduleSpec {
    /// Purges audit-log entries of `event_types` (for example `create_artifact`,
    /// `delete_artifact`, `pull_artifact`) older than `retention_hours`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] for 0 hours, more than 10 years, or an empty event type list.
    pub fn new<S: Into<String>>(
        schedule: JobSchedule,
        retention_hours: u32,
        event_types: impl IntoIterator<Item = S>,
    ) -> Result<Self, Error> {
        if retention_hours == 0 || retention_hours > 87_600 {
            return Err(Error::invalid(
                "audit log retention hours",
                retention_hours.to_string(),
                "the retention is 1 to 87600 hours (10 years)",
            ));
        }
        let mut event_types: Vec<String> = event_types.into_iter().map(Into::into).collect();
        if event_types.is_empty() || event_types.iter().any(|kind| kind.trim().is_empty()) {
            return Err(Error::invalid(
                "audit log event types",
                format!("{event_types:?}"),
                "list at least one event type, such as pull_artifact",
            ));
        }
        event_types.sort();
        event_types.dedup();
        Ok(Self {
            schedule,
            retention_hours,
            event_types,
        })
    }

    // NOTE: `include_event_types` is the key of Harbor v2.15.2's swagger example. Older Harbor 2.x
    // handlers require `include_operations` (`create,delete,pull`) instead and reject this with 400.
    fn parameters(&self) -> BTreeMap<String, Value> {
        BTreeMap::from([
            (
                "audit_retention_hour".to_owned(),
                json!(self.retention_hours),
            ),
            (
                "include_event_types".to_owned(),
                json!(self.event_types.join(",")),
            ),
            ("dry_run".to_owned(), json!(false)),
        ])
    }

    fn to_model(&self) -> Schedule {
        Schedule {
            schedule: Some(self.schedule.to_model()),
            parameters: Some(self.parameters()),
            ..Schedule::default()
        }
    }
}

/// Creates or updates the audit-log purge schedule.
///
/// # Errors
///
/// Returns the request's [`Error`] when a request fails.
pub async fn ensure_purge_schedule(
    client: &Client,
    spec: &PurgeScheduleSpec,
) -> Result<Outcome<ExecHistory>, Error> {
    let actual: Option<ExecHistory> =
        read_schedule(client, client.get_purge_schedule().build()?).await?;
    let exists = actual
        .as_ref()
        .is_some_and(|actual| actual.schedule.is_some());
    if !exists && spec.schedule == JobSchedule::None {
        return Ok(Outcome::Unchanged(actual.unwrap_or_default()));
    }
    if let Some(actual) = actual.filter(|_| exists) {
        let parameters = parse_parameters(actual.job_parameters.as_deref());
        let mut actual_types: Vec<String> = parameters
            .get("include_event_types")
            .and_then(Value::as_str)
            .unwrap_or("")
            .split(',')
            .map(str::trim)
            .filter(|kind| !kind.is_empty())
            .map(str::to_owned)
            .collect();
        actual_types.sort();
        actual_types.dedup();
        let same_parameters = parameters
            .get("audit_retention_hour")
            .and_then(Value::as_u64)
            == Some(u64::from(spec.retention_hours))
            && actual_types == spec.event_types;
        if spec.schedule.matches(actual.schedule.as_ref()) && same_parameters {
            return Ok(Outcome::Unchanged(actual));
        }
        client.update_purge_schedule(spec.to_model()).send().await?;
        return Ok(Outcome::Updated(reread(client).await?));
    }
    client.create_purge_schedule(spec.to_model()).send().await?;
    Ok(Outcome::Created(reread(client).await?))
}

async fn reread(client: &Client) -> Result<ExecHistory, Error> {
    let schedule = read_schedule(client, client.get_purge_schedule().build()?).await?;
    Ok(schedule.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_is_validated() {
        assert!(PurgeScheduleSpec::new(JobSchedule::Daily, 0, ["pull_artifact"]).is_err());
        assert!(PurgeScheduleSpec::new(JobSchedule::Daily, 24, Vec::<String>::new()).is_err());
        let spec =
            PurgeScheduleSpec::new(JobSchedule::Daily, 24, ["pull_artifact", "create_artifact"])
                .unwrap();
        assert_eq!(
            spec.parameters()["include_event_types"],
            "create_artifact,pull_artifact"
        );
    }
}

//! Garbage collection: its schedule, and waiting for a run.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::Client;
use crate::Error;
use crate::generated::models::{GCHistory, Schedule};
use crate::tasks::schedule::read_schedule;
use crate::tasks::wait::Poller;
use crate::tasks::{JobSchedule, Outcome, WaitOptions};

/// Desired garbage-collection schedule and parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GcScheduleSpec {
    schedule: JobSchedule,
    delete_untagged: bool,
    workers: u8,
}

impl GcScheduleSpec {
    /// Starts a schedule that keeps untagged artifacts and uses one worker.
    pub fn new(schedule: JobSchedule) -> Self {
        Self {
            schedule,
            delete_untagged: false,
            workers: 1,
        }
    }

    /// Also deletes untagged artifacts.
    pub fn delete_untagged(mut self, delete: bool) -> Self {
        self.delete_untagged = delete;
        self
    }

    /// Sets the number of parallel workers, 1 to 5.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] outside 1 to 5.
    pub fn workers(mut self, workers: u8) -> Result<Self, Error> {
        if !(1..=5).contains(&workers) {
            return Err(Error::invalid(
                "GC workers",
                workers.to_string(),
                "Harbor runs 1 to 5 GC workers",
            ));
        }
        self.workers = workers;
        Ok(self)
    }

    fn parameters(&self) -> BTreeMap<String, Value> {
        BTreeMap::from([
            ("delete_untagged".to_owned(), json!(self.delete_untagged)),
            ("workers".to_owned(), json!(self.workers)),
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

/// Creates or updates the garbage-collection schedule.
///
/// # Errors
///
/// Returns the request's [`Error`] when a request fails.
pub async fn ensure_gc_schedule(
    client: &Client,
    spec: &GcScheduleSpec,
) -> Result<Outcome<GCHistory>, Error> {
    let actual: Option<GCHistory> =
        read_schedule(client, client.get_gc_schedule().build()?).await?;
    let exists = actual
        .as_ref()
        .is_some_and(|actual| actual.schedule.is_some());
    if !exists && spec.schedule == JobSchedule::None {
        return Ok(Outcome::Unchanged(actual.unwrap_or_default()));
    }
    if let Some(actual) = actual.filter(|_| exists) {
        let parameters = parse_parameters(actual.job_parameters.as_deref());
        let same_parameters = parameters
            .get("delete_untagged")
            .and_then(Value::as_bool)
            .unwrap_or(false)
            == spec.delete_untagged
            && parameters
                .get("workers")
                .and_then(Value::as_u64)
                .unwrap_or(1)
                == u64::from(spec.workers);
        if spec.schedule.matches(actual.schedule.as_ref()) && same_parameters {
            return Ok(Outcome::Unchanged(actual));
        }
        client.update_gc_schedule(spec.to_model()).send().await?;
        return Ok(Outcome::Updated(reread(client).await?));
    }
    client.create_gc_schedule(spec.to_model()).send().await?;
    Ok(Outcome::Created(reread(client).await?))
}

async fn reread(client: &Client) -> Result<GCHistory, Error> {
    let schedule = read_schedule(client, client.get_gc_schedule().build()?).await?;
    Ok(schedule.unwrap_or_default())
}

/// Polls garbage-collection run `gc_id` until it ends and returns it.
///
/// # Errors
///
/// [`Error::GcFailed`] with the log tail when the run ends with `Error` or `Stopped`,
/// [`Error::Timeout`] when the deadline passes, and the request's [`Error`] when a request fails.
pub async fn wait_for_gc(
    client: &Client,
    gc_id: i64,
    options: WaitOptions,
) -> Result<GCHistory, Error> {
    let mut poller = Poller::new(client, options);
    loop {
        let run = client.get_gc(gc_id).send().await?;
        let status = run.job_status.clone().unwrap_or_default();
        tracing::debug!(
            gc_id,
            job_status = status.as_str(),
            "polled garbage collection"
        );
        match status.to_ascii_lowercase().as_str() {
            "success" | "succeed" => return Ok(run),
            "error" | "failed" | "stopped" => {
                let log = client.get_gc_log(gc_id).send().await.unwrap_or_default();
                return Err(Error::GcFailed {
                    gc_id,
                    status,
                    log_tail: crate::tasks::wait::tail(&log, crate::tasks::wait::LOG_TAIL_LINES),
                });
            }
            _ => {}
        }
        if !poller.pause().await {
            return Err(Error::Timeout {
                what: format!("garbage collection {gc_id}"),
                waited: poller.elapsed(),
                last_state: status,
                pending_executions: Vec::new(),
            });
        }
    }
}

/// Parses the JSON object Harbor stores as a string in `job_parameters`.
pub(crate) fn parse_parameters(parameters: Option<&str>) -> serde_json::Map<String, Value> {
    parameters
        .and_then(|text| serde_json::from_str::<Value>(text).ok())
        .and_then(|value| value.as_object().cloned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workers_are_bounded() {
        let spec = GcScheduleSpec::new(JobSchedule::Daily);
        assert!(spec.clone().workers(0).is_err());
        assert!(spec.clone().workers(6).is_err());
        assert!(spec.workers(5).is_ok());
    }

    #[test]
    fn parameters_parse_from_a_string() {
        let parameters = parse_parameters(Some(r#"{"delete_untagged":true,"workers":2}"#));
        assert_eq!(parameters["workers"], 2);
        assert!(parse_parameters(Some("not json")).is_empty());
        assert!(parse_parameters(None).is_empty());
    }
}

//! The error type of the task layer.

use std::time::Duration;

/// Errors returned by `ensure_*`, `wait_for_*` and the other task helpers.
///
/// Messages name the resource and the value that failed and never contain a secret.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TaskError {
    /// A Harbor request failed.
    #[error(transparent)]
    Api(#[from] crate::Error),

    /// A desired-state field was rejected before any request was sent.
    #[error("invalid {field} {value:?}: {rule}")]
    Invalid {
        /// Name of the field, for example `project name`.
        field: &'static str,
        /// The rejected value. Never a secret: secret fields report `[REDACTED]`.
        value: String,
        /// The rule the value breaks, and the fix where there is one.
        rule: String,
    },

    /// A resource that the desired state refers to does not exist.
    #[error("{kind} {name:?} not found")]
    NotFound {
        /// Kind of resource, for example `user`.
        kind: &'static str,
        /// Name or id that was looked up.
        name: String,
    },

    /// The existing resource differs in a field that Harbor cannot change after creation.
    #[error(
        "{kind} {name:?} exists with a different {field}, which Harbor cannot change after \
         creation: {reason}. Delete and recreate it, or change the desired state"
    )]
    CannotUpdate {
        /// Kind of resource.
        kind: &'static str,
        /// Name of the resource.
        name: String,
        /// The field that differs.
        field: &'static str,
        /// Actual and desired values.
        reason: String,
    },

    /// Harbor rejected the request with `412 Precondition Failed`, for example deleting a
    /// replication policy that still has running executions.
    #[error("{what} failed because a precondition does not hold: {hint}")]
    Precondition {
        /// The attempted operation.
        what: String,
        /// The suggested next step.
        hint: &'static str,
        /// The response error.
        #[source]
        source: Box<crate::Error>,
    },

    /// A wait reached its deadline before the work finished.
    #[error(
        "timed out after {waited:?} waiting for {what}; last state {last_state}{}",
        pending_suffix(pending_executions)
    )]
    Timeout {
        /// The awaited work.
        what: String,
        /// Time spent waiting, sleeps included.
        waited: Duration,
        /// Last observed state.
        last_state: String,
        /// Ids of executions that had not finished, for replication waits.
        pending_executions: Vec<i64>,
    },

    /// A replication execution ended in `Failed` or `Stopped`.
    #[error(
        "replication execution {execution_id} ended {status}: {failed} of {total} tasks failed{}",
        failed_tasks_suffix(failed_tasks)
    )]
    ReplicationFailed {
        /// The execution id.
        execution_id: i64,
        /// The terminal status.
        status: String,
        /// Number of failed tasks reported by Harbor.
        failed: i64,
        /// Number of tasks in the execution.
        total: i64,
        /// Failed tasks with the tail of their logs.
        failed_tasks: Vec<crate::tasks::replication::FailedTask>,
    },

    /// A scan ended with `Error` or `Stopped`.
    #[error("scan of {artifact} ended with status {status}")]
    ScanFailed {
        /// The artifact, as `project/repository@reference`.
        artifact: String,
        /// The terminal scan status.
        status: String,
    },

    /// A garbage-collection run ended with `Error` or `Stopped`.
    #[error("garbage collection {gc_id} ended with status {status}")]
    GcFailed {
        /// The run id.
        gc_id: i64,
        /// The terminal status.
        status: String,
        /// The last lines of the run's log.
        log_tail: Vec<String>,
    },
}

impl TaskError {
    pub(crate) fn invalid(
        field: &'static str,
        value: impl Into<String>,
        rule: impl Into<String>,
    ) -> Self {
        Self::Invalid {
            field,
            value: value.into(),
            rule: rule.into(),
        }
    }

    /// Returns the HTTP status when a Harbor request failed.
    pub fn status(&self) -> Option<http::StatusCode> {
        match self {
            Self::Api(error) => error.status(),
            Self::Precondition { source, .. } => source.status(),
            _ => None,
        }
    }
}

fn pending_suffix(pending: &[i64]) -> String {
    if pending.is_empty() {
        String::new()
    } else {
        format!("; executions still running: {pending:?}")
    }
}

fn failed_tasks_suffix(tasks: &[crate::tasks::replication::FailedTask]) -> String {
    let ids: Vec<i64> = tasks.iter().map(|task| task.task_id).collect();
    if ids.is_empty() {
        String::new()
    } else {
        format!(" (failed task ids {ids:?}; their log tails are in `failed_tasks`)")
    }
}

//! The report of `replicate_to_acr`: one result per step, and the replication run.

use std::fmt;

use harbor_client::generated::models::ReplicationExecution;
use harbor_client::tasks::replication::{ExecutionStatus, FailedTask};

use crate::workflows::WorkflowError;

/// Result of one step.
#[derive(Debug)]
pub enum StepStatus {
    /// The resource did not exist and was created. For the password step: a password was
    /// generated for a new token. For the run step: an execution was started and succeeded.
    Created,
    /// The resource existed and was changed. For the password step: the password of an
    /// existing token was regenerated.
    Updated,
    /// The resource existed as desired, and no write request was sent. For the password step:
    /// no password was generated.
    Unchanged,
    /// The step failed, so the later steps did not run.
    Failed(WorkflowError),
}

impl StepStatus {
    /// Returns `created`, `updated`, `unchanged` or `failed`.
    pub fn verb(&self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Updated => "updated",
            Self::Unchanged => "unchanged",
            Self::Failed(_) => "failed",
        }
    }
}

/// Result of one step of the plan.
#[derive(Debug)]
pub struct StepReport {
    /// The operation, as named in the plan.
    pub action: &'static str,
    /// The resource, as named in the plan.
    pub target: String,
    /// What happened.
    pub status: StepStatus,
    /// Reason for the status, such as the reason a password was generated. Empty when the
    /// status needs no reason.
    pub note: String,
}

/// The replication run, as Harbor counts its tasks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecutionReport {
    /// Id of the replication execution.
    pub id: i64,
    /// Status when the wait ended.
    pub status: ExecutionStatus,
    /// Number of tasks.
    pub total: i64,
    /// Tasks that succeeded.
    pub succeeded: i64,
    /// Tasks that failed.
    pub failed: i64,
    /// Tasks still in progress.
    pub in_progress: i64,
    /// Tasks that were stopped.
    pub stopped: i64,
    /// Failed tasks with the last lines of their logs, at most 10.
    pub failed_tasks: Vec<FailedTask>,
}

impl ExecutionReport {
    pub(super) fn new(
        execution_id: i64,
        execution: &ReplicationExecution,
        failed_tasks: Vec<FailedTask>,
    ) -> Self {
        Self {
            id: execution.id.unwrap_or(execution_id),
            status: ExecutionStatus::parse(execution.status.as_deref().unwrap_or("")),
            total: execution.total.unwrap_or(0),
            succeeded: execution.succeed.unwrap_or(0),
            failed: execution.failed.unwrap_or(0),
            in_progress: execution.in_progress.unwrap_or(0),
            stopped: execution.stopped.unwrap_or(0),
            failed_tasks,
        }
    }
}

/// Results of [`apply`](super::apply), one per step that ran, in plan order.
#[derive(Debug, Default)]
pub struct ReplicateToAcrReport {
    /// Per-step results. A failed step is the last one.
    pub steps: Vec<StepReport>,
    /// The run, when one was started and its state could be read.
    pub execution: Option<ExecutionReport>,
}

impl ReplicateToAcrReport {
    /// Reports whether every step ran and none failed.
    pub fn is_success(&self) -> bool {
        self.failure().is_none()
    }

    /// Returns the step that failed and stopped the workflow, if any.
    pub fn failure(&self) -> Option<&StepReport> {
        self.steps
            .iter()
            .find(|step| matches!(step.status, StepStatus::Failed(_)))
    }

    /// Returns the error that stopped the workflow, if any.
    pub fn error(&self) -> Option<&WorkflowError> {
        self.failure().and_then(|step| match &step.status {
            StepStatus::Failed(error) => Some(error),
            _ => None,
        })
    }

    /// Returns the result of the step named `action` in the plan, when it ran.
    pub fn step(&self, action: &str) -> Option<&StepReport> {
        self.steps.iter().find(|step| step.action == action)
    }

    pub(super) fn push(
        &mut self,
        action: &'static str,
        target: impl Into<String>,
        status: StepStatus,
        note: impl Into<String>,
    ) {
        self.steps.push(StepReport {
            action,
            target: target.into(),
            status,
            note: note.into(),
        });
    }
}

impl fmt::Display for ReplicateToAcrReport {
    /// Writes one line per step, with the error and its causes for a failed step, then the
    /// run's task counts and failed tasks.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, step) in self.steps.iter().enumerate() {
            write!(
                f,
                "{:>3}. {} {}: {}",
                index + 1,
                step.action,
                step.target,
                step.status.verb()
            )?;
            if !step.note.is_empty() {
                write!(f, " ({})", step.note)?;
            }
            if let StepStatus::Failed(error) = &step.status {
                // The workflow's own message names only the failed system, such as "Harbor
                // request failed", so the causes follow it.
                write!(f, ": {error}")?;
                let mut cause = std::error::Error::source(error);
                while let Some(inner) = cause {
                    write!(f, ": {inner}")?;
                    cause = inner.source();
                }
            }
            writeln!(f)?;
        }
        if let Some(execution) = &self.execution {
            writeln!(
                f,
                "execution {} {:?}: {} tasks, {} succeeded, {} failed, {} in progress, {} stopped",
                execution.id,
                execution.status,
                execution.total,
                execution.succeeded,
                execution.failed,
                execution.in_progress,
                execution.stopped
            )?;
            for task in &execution.failed_tasks {
                writeln!(
                    f,
                    "  task {} {} -> {} failed; log tail:",
                    task.task_id, task.source, task.destination
                )?;
                for line in &task.log_tail {
                    writeln!(f, "    {line}")?;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_step_shows_the_cause() {
        let mut report = ReplicateToAcrReport::default();
        let cause = harbor_client::Error::NotFound {
            kind: "id of replication policy",
            name: "push-to-exampleacr".to_owned(),
        };
        report.push(
            "ensure_replication_policy",
            "push-to-exampleacr",
            StepStatus::Failed(cause.into()),
            "",
        );

        let printed = report.to_string();

        assert_eq!(
            printed,
            "  1. ensure_replication_policy push-to-exampleacr: failed: Harbor request failed: \
             id of replication policy \"push-to-exampleacr\" not found\n"
        );
    }
}

//! Replication executions: start one, wait for it, and delete a policy whose executions are
//! stuck.

use crate::Client;
use crate::Error;
use crate::generated::models::{ReplicationExecution, StartReplicationExecution};
use crate::tasks::WaitOptions;
use crate::tasks::wait::{LOG_TAIL_LINES, Poller, tail};

/// Maximum number of failed tasks whose logs a failed wait reads.
const MAX_FAILED_TASKS: usize = 10;

/// Status of a replication execution, as Harbor spells it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ExecutionStatus {
    /// `InProgress`.
    InProgress,
    /// `Succeed`.
    Succeeded,
    /// `Failed`.
    Failed,
    /// `Stopped`.
    Stopped,
    /// Any other value.
    Unknown(String),
}

impl ExecutionStatus {
    /// Parses Harbor's status string.
    pub fn parse(status: &str) -> Self {
        match status {
            "InProgress" | "Running" | "Pending" => Self::InProgress,
            "Succeed" | "Success" => Self::Succeeded,
            "Failed" | "Error" => Self::Failed,
            "Stopped" => Self::Stopped,
            other => Self::Unknown(other.to_owned()),
        }
    }
}

/// A failed replication task and the last lines of its log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedTask {
    /// The task id.
    pub task_id: i64,
    /// The source resource, for example `library/nginx:1.27`.
    pub source: String,
    /// The destination resource.
    pub destination: String,
    /// Up to 20 last lines of the task log; empty when the log could not be read.
    pub log_tail: Vec<String>,
}

/// Starts the policy with id `policy_id` and returns the new execution's id.
///
/// # Errors
///
/// Returns the request's [`Error`] when the request fails, and [`Error::NotFound`] when Harbor's
/// response has no `Location` with the execution id.
pub async fn start_replication(client: &Client, policy_id: i64) -> Result<i64, Error> {
    let request = StartReplicationExecution {
        policy_id: Some(policy_id),
    };
    let created = client.start_replication(request).send().await?;
    created.id().ok_or_else(|| Error::NotFound {
        kind: "execution id in the Location of the started replication policy",
        name: policy_id.to_string(),
    })
}

/// Polls execution `execution_id` until it finishes and returns it.
///
/// The execution counts as finished only when two consecutive polls show the same final status
/// and no task in progress. A final status that a later poll revises, such as `Failed` followed
/// by `Succeed`, is therefore not taken as the result.
///
/// # Errors
///
/// [`Error::ReplicationFailed`] with the failed tasks and their log tails when the execution
/// ends `Failed` or `Stopped`, [`Error::Timeout`] with the execution id when the deadline
/// passes, and the request's [`Error`] when a request fails.
///
/// # Example
///
/// ```no_run
/// use std::time::Duration;
///
/// use harbor_client::tasks::replication::{start_replication, wait_for_replication};
/// use harbor_client::tasks::WaitOptions;
///
/// # async fn run(client: harbor_client::Client, policy_id: i64) -> Result<(), harbor_client::Error> {
/// let execution_id = start_replication(&client, policy_id).await?;
/// let options = WaitOptions::with_timeout(Duration::from_secs(3600));
/// let execution = wait_for_replication(&client, execution_id, options).await?;
/// println!("replicated {} artifacts", execution.succeed.unwrap_or(0));
/// # Ok(())
/// # }
/// ```
pub async fn wait_for_replication(
    client: &Client,
    execution_id: i64,
    options: WaitOptions,
) -> Result<ReplicationExecution, Error> {
    let mut poller = Poller::new(client, options);
    let mut previous: Option<ExecutionStatus> = None;
    loop {
        let execution = client
            .get_replication_execution(execution_id)
            .send()
            .await?;
        let status = ExecutionStatus::parse(execution.status.as_deref().unwrap_or(""));
        tracing::debug!(
            execution_id,
            status = execution.status.as_deref().unwrap_or(""),
            in_progress = execution.in_progress.unwrap_or(0),
            "polled replication execution"
        );
        let settled = status != ExecutionStatus::InProgress
            && !matches!(status, ExecutionStatus::Unknown(_))
            && execution.in_progress.unwrap_or(0) == 0;
        if settled && previous.as_ref() == Some(&status) {
            return finish(client, execution, status).await;
        }
        previous = settled.then_some(status);

        if !poller.pause().await {
            return Err(Error::Timeout {
                what: format!("replication execution {execution_id}"),
                waited: poller.elapsed(),
                last_state: execution.status.unwrap_or_default(),
                pending_executions: vec![execution_id],
            });
        }
    }
}

async fn finish(
    client: &Client,
    execution: ReplicationExecution,
    status: ExecutionStatus,
) -> Result<ReplicationExecution, Error> {
    if status == ExecutionStatus::Succeeded {
        return Ok(execution);
    }
    let execution_id = execution.id.unwrap_or_default();
    let tasks = client
        .list_replication_tasks(execution_id)
        .status("Failed")
        .page_size(MAX_FAILED_TASKS as i64)
        .send()
        .await?;
    let mut failed_tasks = Vec::new();
    for task in tasks.items.into_iter().take(MAX_FAILED_TASKS) {
        let Some(task_id) = task.id else { continue };
        // A missing log must not hide the failure itself, so a log error leaves the tail empty.
        let log = client
            .get_replication_log(execution_id, task_id)
            .send()
            .await
            .unwrap_or_default();
        failed_tasks.push(FailedTask {
            task_id,
            source: task.src_resource.unwrap_or_default(),
            destination: task.dst_resource.unwrap_or_default(),
            log_tail: tail(&log, LOG_TAIL_LINES),
        });
    }
    Err(Error::ReplicationFailed {
        execution_id,
        status: execution.status.unwrap_or_default(),
        failed: execution.failed.unwrap_or(0),
        total: execution.total.unwrap_or(0),
        failed_tasks,
    })
}

/// Options of [`delete_replication_policy`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeletePolicyOptions {
    /// Stops running executions when Harbor refuses the delete because of them.
    pub stop_running: bool,
    /// How long to wait for stopped executions to leave `InProgress`.
    pub wait: WaitOptions,
}

/// Deletes replication policy `policy_id`.
///
/// Harbor returns 412 while an execution of the policy is not final. With `stop_running`, this
/// call then stops every `InProgress` execution, polls until none is in progress, and deletes
/// again. Stopping is asynchronous and may never finish (a large blob in flight, or a job
/// service that lost the job).
///
/// # Errors
///
/// [`Error::Precondition`] on 412 without `stop_running`; [`Error::Timeout`] listing
/// the executions still in progress when the deadline passes; the request's [`Error`] otherwise.
pub async fn delete_replication_policy(
    client: &Client,
    policy_id: i64,
    options: DeletePolicyOptions,
) -> Result<(), Error> {
    let mut poller = Poller::new(client, options.wait);
    loop {
        let error = match client.delete_replication_policy(policy_id).send().await {
            Ok(()) => return Ok(()),
            Err(error) if error.status() == Some(http::StatusCode::PRECONDITION_FAILED) => error,
            Err(error) => return Err(error),
        };
        if !options.stop_running {
            return Err(Error::Precondition {
                what: format!("deleting replication policy {policy_id}"),
                hint: "an execution of the policy is still running; stop it first, or pass stop_running",
                source: Box::new(error),
            });
        }

        let running = client
            .list_replication_executions()
            .policy_id(policy_id)
            .status("InProgress")
            .send()
            .await?;
        let mut pending: Vec<i64> = running
            .items
            .iter()
            .filter_map(|execution| execution.id)
            .collect();
        for id in &pending {
            tracing::info!(
                policy_id,
                execution_id = *id,
                "stopping replication execution so its policy can be deleted"
            );
            client.stop_replication(*id).send().await?;
        }
        let stopped = pending.clone();

        while !pending.is_empty() {
            if !poller.pause().await {
                return Err(Error::Timeout {
                    what: format!("executions of replication policy {policy_id} to stop"),
                    waited: poller.elapsed(),
                    last_state: "InProgress".to_owned(),
                    pending_executions: pending,
                });
            }
            let mut still_running = Vec::new();
            for id in pending {
                let execution = client.get_replication_execution(id).send().await?;
                let status = ExecutionStatus::parse(execution.status.as_deref().unwrap_or(""));
                if status == ExecutionStatus::InProgress {
                    still_running.push(id);
                }
            }
            pending = still_running;
        }

        // Harbor also rejects the delete while an execution is pending or retrying, and this call
        // does not stop those. Pausing before the next attempt keeps the loop within the deadline.
        if stopped.is_empty() && !poller.pause().await {
            return Err(Error::Timeout {
                what: format!("replication policy {policy_id} to become deletable"),
                waited: poller.elapsed(),
                last_state: "412 Precondition Failed".to_owned(),
                pending_executions: Vec::new(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_parse() {
        assert_eq!(
            ExecutionStatus::parse("Succeed"),
            ExecutionStatus::Succeeded
        );
        assert_eq!(
            ExecutionStatus::parse("InProgress"),
            ExecutionStatus::InProgress
        );
        assert_eq!(
            ExecutionStatus::parse("odd"),
            ExecutionStatus::Unknown("odd".to_owned())
        );
    }
}

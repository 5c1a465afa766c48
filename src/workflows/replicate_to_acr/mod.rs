//! `replicate_to_acr`: Harbor pushes to ACR through a registry endpoint that logs in with an
//! ACR token.
//!
//! The workflow ensures the ACR scope map and the token bound to it, and generates a token
//! password only when Harbor needs one. It then ensures Harbor's `azure-acr` registry endpoint
//! with that token, checks it with a ping, and ensures a push policy to the endpoint. Last, it
//! runs the policy once and waits for the run. Every step depends on the one before, so the
//! first failed step stops the workflow.
//!
//! Harbor never returns a stored password, so the workflow cannot compare one. It generates a
//! password in these cases, and otherwise keeps the endpoint's stored password:
//!
//! - the token was just created;
//! - the endpoint is missing, or logs in as another user;
//! - ARM lists the password slot as expired or expiring within [`PASSWORD_RENEWAL_MARGIN`];
//! - the input forces it.
//!
//! A re-run against the same state therefore sends no write request to ARM or Harbor apart from
//! the new run. Generating replaces the input's password slot of the token (`password1` by
//! default), so other clients of the token should use the other slot.

mod endpoint;
mod input;
mod report;

use acr_client::{AcrManagementClient, Ensured};
use harbor_client::Client;
use harbor_client::tasks::replication::{start_replication, wait_for_replication};
use harbor_client::tasks::{Outcome, ensure_replication_policy, find_registry};

pub use self::endpoint::{PASSWORD_RENEWAL_MARGIN, PasswordRenewal, password_renewal};
use self::endpoint::{PasswordReason, ensure_endpoint, generate_password};
pub use self::input::ReplicateToAcrInput;
pub use self::report::{ExecutionReport, ReplicateToAcrReport, StepReport, StepStatus};
use super::{PlanStep, WorkflowError, WorkflowPlan};

/// Step names, in the order `apply` takes them.
const STEP_SCOPE_MAP: &str = "ensure_scope_map";
const STEP_TOKEN: &str = "ensure_token";
const STEP_PASSWORD: &str = "generate_token_password";
const STEP_ENDPOINT: &str = "ensure_registry";
const STEP_POLICY: &str = "ensure_replication_policy";
const STEP_RUN: &str = "run_replication";

/// Lists the steps: scope map, token, password, endpoint, policy and, unless the input turns
/// it off, the run.
pub fn plan(input: &ReplicateToAcrInput) -> WorkflowPlan {
    let registry = &input.registry;
    let actions: Vec<String> = input.actions.iter().map(ToString::to_string).collect();
    let expiry = match input.password_lifetime {
        Some(lifetime) => format!("expires {} s after generation", lifetime.as_secs()),
        None => "no expiry".to_owned(),
    };
    let password_condition = if input.force_new_password {
        "always, because the input forces a new password".to_owned()
    } else {
        format!(
            "only when the token is new, the endpoint is missing or logs in as another user, or \
             the password expires within {} days",
            PASSWORD_RENEWAL_MARGIN.as_secs() / 86_400
        )
    };
    let mut steps = vec![
        PlanStep::new(
            STEP_SCOPE_MAP,
            format!("{registry}/{}", input.scope_map),
            format!("{}; actions already in the map stay", actions.join(", ")),
        ),
        PlanStep::new(
            STEP_TOKEN,
            format!("{registry}/{}", input.token),
            format!("enabled, bound to scope map {}", input.scope_map),
        ),
        PlanStep::new(
            STEP_PASSWORD,
            format!("{registry}/{}/{}", input.token, input.password.as_str()),
            format!("{password_condition}; {expiry}"),
        ),
        PlanStep::new(
            STEP_ENDPOINT,
            input.endpoint.clone(),
            format!(
                "azure-acr at {} as {}, checked by ping",
                input.endpoint_url(),
                input.token
            ),
        ),
        PlanStep::new(STEP_POLICY, input.policy.clone(), policy_detail(input)),
    ];
    if input.run {
        steps.push(PlanStep::new(
            STEP_RUN,
            input.policy.clone(),
            format!(
                "start a run and wait for it, timeout {} s",
                input.wait.timeout().as_secs()
            ),
        ));
    }
    WorkflowPlan {
        workflow: "replicate_to_acr",
        steps,
    }
}

fn policy_detail(input: &ReplicateToAcrInput) -> String {
    let namespace = input
        .destination
        .namespace
        .as_deref()
        .filter(|namespace| !namespace.is_empty());
    let destination = match (namespace, input.destination.replace_count) {
        (None, _) => "the source path".to_owned(),
        (Some(namespace), None | Some(-1)) => {
            format!("namespace {namespace}, keeping only the last path component")
        }
        (Some(namespace), Some(0)) => format!("namespace {namespace} as a prefix"),
        (Some(namespace), Some(1)) => {
            format!("namespace {namespace} in place of the first path component")
        }
        (Some(namespace), Some(count)) => {
            format!("namespace {namespace} in place of the first {count} path components")
        }
    };
    let trigger = input
        .trigger
        .to_model()
        .r#type
        .unwrap_or_else(|| "manual".to_owned());
    let mut detail = format!(
        "push {} to {} under {destination}, trigger {trigger}",
        input.repository_filter, input.endpoint
    );
    for filter in &input.filters {
        let model = filter.to_model();
        detail.push_str(&format!(
            ", {} filter {}",
            model.r#type.unwrap_or_default(),
            model.value.unwrap_or_default()
        ));
        if let Some(decoration) = model.decoration {
            detail.push_str(&format!(" ({decoration})"));
        }
    }
    detail
}

/// Runs the steps of [`plan`] against ACR through `acr` and Harbor through `harbor`.
///
/// Returns a report with one result per step that ran. The first failed step stops the
/// workflow and is the report's last step. A failed ping is
/// [`WorkflowError::EndpointUnreachable`] naming the endpoint and Harbor's status, and a run
/// that ends `Failed` carries Harbor's task counts and the failed tasks' log tails in
/// [`ReplicateToAcrReport::execution`].
///
/// # Errors
/// [`WorkflowError::InvalidInput`] before any request when the cloud of `acr` differs from the
/// cloud of `input`, because the endpoint URL would name another login server.
pub async fn apply(
    acr: &AcrManagementClient,
    harbor: &Client,
    input: &ReplicateToAcrInput,
) -> Result<ReplicateToAcrReport, WorkflowError> {
    if acr.cloud() != input.cloud {
        return Err(WorkflowError::InvalidInput {
            field: "cloud",
            reason: format!(
                "the input names {:?} but the ACR client uses {:?}: set the same cloud on both",
                input.cloud,
                acr.cloud()
            ),
        });
    }
    let mut report = ReplicateToAcrReport::default();
    if let Err((action, target, error)) = run_steps(acr, harbor, input, &mut report).await {
        tracing::warn!(step = action, %target, error = %error, "replicate_to_acr stopped");
        report.push(action, target, StepStatus::Failed(error), "");
    }
    Ok(report)
}

type StepError = (&'static str, String, WorkflowError);

async fn run_steps(
    acr: &AcrManagementClient,
    harbor: &Client,
    input: &ReplicateToAcrInput,
    report: &mut ReplicateToAcrReport,
) -> Result<(), StepError> {
    let registry = &input.registry;

    let target = format!("{registry}/{}", input.scope_map);
    let scope_map = acr
        .ensure_scope_map(
            registry,
            &input.scope_map,
            Some("Harbor push replication"),
            &input.actions,
        )
        .await
        .map_err(|error| (STEP_SCOPE_MAP, target.clone(), error.into()))?;
    report.push(STEP_SCOPE_MAP, target, status_of(&scope_map), "");

    let target = format!("{registry}/{}", input.token);
    let token = acr
        .ensure_token(registry, &input.token, &input.scope_map)
        .await
        .map_err(|error| (STEP_TOKEN, target.clone(), error.into()))?;
    report.push(STEP_TOKEN, target, status_of(&token), "");

    let target = format!("{registry}/{}/{}", input.token, input.password.as_str());
    let existing = find_registry(harbor, &input.endpoint)
        .await
        .map_err(|error| (STEP_PASSWORD, target.clone(), error.into()))?;
    let reason = PasswordReason::decide(
        &token,
        existing.as_ref(),
        input.token.as_str(),
        input.password,
        input.force_new_password,
        acr.arm().clock().now_utc(),
    );
    let password = match reason {
        Some(reason) => {
            let (password, status) = generate_password(acr, input, &reason)
                .await
                .map_err(|error| (STEP_PASSWORD, target.clone(), error))?;
            let note = format!("generated because {}", reason.describe(&input.endpoint));
            report.push(STEP_PASSWORD, target, status, note);
            Some(password)
        }
        None => {
            let note = format!(
                "not generated, because endpoint {} logs in as {} already and the password \
                 does not expire within {} days",
                input.endpoint,
                input.token,
                PASSWORD_RENEWAL_MARGIN.as_secs() / 86_400
            );
            report.push(STEP_PASSWORD, target, StepStatus::Unchanged, note);
            None
        }
    };

    let target = input.endpoint.clone();
    let (status, registry_id) = ensure_endpoint(harbor, input, existing, password)
        .await
        .map_err(|error| (STEP_ENDPOINT, target.clone(), error))?;
    report.push(STEP_ENDPOINT, target, status, "ping succeeded");

    let target = input.policy.clone();
    let spec = input
        .policy_spec(registry_id)
        .map_err(|error| (STEP_POLICY, target.clone(), error.into()))?;
    let policy = ensure_replication_policy(harbor, &spec)
        .await
        .map_err(|error| (STEP_POLICY, target.clone(), error.into()))?;
    let policy_id = policy.resource().id.ok_or_else(|| {
        let error = WorkflowError::MissingId {
            kind: "replication policy",
            name: input.policy.clone(),
        };
        (STEP_POLICY, target.clone(), error)
    })?;
    let status = match policy {
        Outcome::Created(_) => StepStatus::Created,
        Outcome::Updated(_) => StepStatus::Updated,
        Outcome::Unchanged(_) => StepStatus::Unchanged,
    };
    report.push(STEP_POLICY, target, status, "");

    if input.run {
        let target = input.policy.clone();
        let note = run(harbor, input, policy_id, report)
            .await
            .map_err(|error| (STEP_RUN, target.clone(), error))?;
        report.push(STEP_RUN, target, StepStatus::Created, note);
    }
    Ok(())
}

/// Starts the policy, waits for the run and stores its task counts in `report`.
async fn run(
    harbor: &Client,
    input: &ReplicateToAcrInput,
    policy_id: i64,
    report: &mut ReplicateToAcrReport,
) -> Result<String, WorkflowError> {
    let execution_id = start_replication(harbor, policy_id).await?;
    match wait_for_replication(harbor, execution_id, input.wait).await {
        Ok(execution) => {
            report.execution = Some(ExecutionReport::new(execution_id, &execution, Vec::new()));
            tracing::info!(execution_id, policy = %input.policy, "replicated to ACR");
            Ok(format!("execution {execution_id} succeeded"))
        }
        Err(error) => {
            let failed_tasks = match &error {
                harbor_client::Error::ReplicationFailed { failed_tasks, .. } => {
                    failed_tasks.clone()
                }
                _ => Vec::new(),
            };
            // The wait's error has no success or in-progress counts, so the execution is read
            // once more. When that read fails too, the report has no execution.
            match harbor.get_replication_execution(execution_id).send().await {
                Ok(execution) => {
                    report.execution =
                        Some(ExecutionReport::new(execution_id, &execution, failed_tasks));
                }
                Err(read_error) => {
                    tracing::warn!(execution_id, error = %read_error, "failed to read the counts of a failed replication run");
                }
            }
            Err(error.into())
        }
    }
}

fn status_of<T>(ensured: &Ensured<T>) -> StepStatus {
    match ensured {
        Ensured::Created(_) => StepStatus::Created,
        Ensured::Updated(_) => StepStatus::Updated,
        Ensured::Unchanged(_) => StepStatus::Unchanged,
    }
}

#[cfg(test)]
mod tests;

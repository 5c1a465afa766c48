//! `multi_cloud_fanout`: a primary Harbor pushes to replica Harbors and to ACR, ECR or GCR.
//!
//! For each target the workflow ensures a registry endpoint (Harbor pings it before saving),
//! ensures a push policy named `fanout-<endpoint>`, starts a run and waits for it. Targets run
//! one after another, and a failed target does not stop the others. `ensure_*` leaves existing
//! endpoints and policies unchanged, so a re-run creates only what is missing.

use harbor_client::Client;
use harbor_client::tasks::replication::{
    Destination, Direction, Filter, start_replication, wait_for_replication,
};
use harbor_client::tasks::{
    Outcome, Provider, RegistrySpec, ReplicationPolicySpec, WaitOptions, ensure_registry,
    ensure_replication_policy,
};
use secrecy::SecretString;

use super::{PlanStep, WorkflowError, WorkflowPlan};

/// Prefix of the push policy that the workflow keeps for each target.
pub const POLICY_PREFIX: &str = "fanout-";

/// One replica: another Harbor, or an ACR, ECR or GCR registry.
#[derive(Debug, Clone)]
pub struct FanoutTarget {
    name: String,
    provider: Provider,
    url: String,
    endpoint: RegistrySpec,
    namespace: Option<String>,
}

impl FanoutTarget {
    /// Creates a target: the endpoint `name` in the primary Harbor, of `provider`, at `url`,
    /// with the access key and secret the endpoint logs in with.
    ///
    /// # Errors
    /// [`WorkflowError::InvalidInput`] when `provider` is not Harbor, ACR, ECR or GCR, and
    /// [`WorkflowError::Harbor`] for an invalid name, URL or credential.
    pub fn new(
        name: &str,
        provider: Provider,
        url: &str,
        access_key: &str,
        access_secret: SecretString,
    ) -> Result<Self, WorkflowError> {
        if !matches!(
            provider,
            Provider::Harbor | Provider::AzureAcr | Provider::AwsEcr | Provider::GoogleGcr
        ) {
            return Err(WorkflowError::InvalidInput {
                field: "provider",
                reason: format!(
                    "{} is not a fan-out target: use harbor, azure-acr, aws-ecr or google-gcr",
                    provider.as_str()
                ),
            });
        }
        let endpoint = RegistrySpec::new(name, provider, url)?
            .description("replica of the primary Harbor, kept by multi_cloud_fanout")
            .credential(access_key, access_secret)?;
        Ok(Self {
            name: name.to_owned(),
            provider,
            url: url.trim_end_matches('/').to_owned(),
            endpoint,
            namespace: None,
        })
    }

    /// Puts the replicated repositories under `namespace` in the target instead of their
    /// source project.
    pub fn namespace(mut self, namespace: impl Into<String>) -> Self {
        self.namespace = Some(namespace.into());
        self
    }

    /// Returns the endpoint name.
    pub fn name(&self) -> &str {
        &self.name
    }

    fn policy_name(&self) -> String {
        format!("{POLICY_PREFIX}{}", self.name)
    }

    fn policy(
        &self,
        registry_id: i64,
        filter: &str,
    ) -> Result<ReplicationPolicySpec, harbor_client::Error> {
        let mut policy = ReplicationPolicySpec::new(
            self.policy_name(),
            Direction::Push {
                destination_registry_id: registry_id,
            },
        )?
        .description(format!("push to {} ({})", self.url, self.provider.as_str()))
        .filter(Filter::name(filter))?;
        if let Some(namespace) = &self.namespace {
            policy = policy.destination(Destination::new(namespace.clone(), None))?;
        }
        Ok(policy)
    }
}

/// Validated input of [`plan`] and [`apply`].
#[derive(Debug, Clone)]
pub struct MultiCloudFanoutInput {
    targets: Vec<FanoutTarget>,
    repository_filter: String,
    wait: WaitOptions,
}

impl MultiCloudFanoutInput {
    /// Creates an input that pushes the repositories matching `repository_filter` (a Harbor
    /// name filter such as `library/**`) to every target, waiting for each run with the
    /// default [`WaitOptions`].
    ///
    /// # Errors
    /// [`WorkflowError::InvalidInput`] when `targets` is empty, two targets share an endpoint
    /// name, or `repository_filter` is empty.
    pub fn new(targets: Vec<FanoutTarget>, repository_filter: &str) -> Result<Self, WorkflowError> {
        if targets.is_empty() {
            return Err(WorkflowError::InvalidInput {
                field: "targets",
                reason: "the list is empty: give at least one replica".to_owned(),
            });
        }
        for (index, target) in targets.iter().enumerate() {
            if targets[..index]
                .iter()
                .any(|earlier| earlier.name == target.name)
            {
                return Err(WorkflowError::InvalidInput {
                    field: "targets",
                    reason: format!(
                        "endpoint name {:?} appears more than once, so both targets would share one policy",
                        target.name
                    ),
                });
            }
        }
        if repository_filter.trim().is_empty() {
            return Err(WorkflowError::InvalidInput {
                field: "repository_filter",
                reason: "the filter is empty: use a pattern such as library/** or **".to_owned(),
            });
        }
        Ok(Self {
            targets,
            repository_filter: repository_filter.to_owned(),
            wait: WaitOptions::default(),
        })
    }

    /// Sets how long each run is awaited, and how often it is polled.
    pub fn wait(mut self, wait: WaitOptions) -> Self {
        self.wait = wait;
        self
    }

    /// Returns the targets.
    pub fn targets(&self) -> &[FanoutTarget] {
        &self.targets
    }
}

/// Lists four steps per target: the endpoint, the push policy, the run and the wait.
pub fn plan(input: &MultiCloudFanoutInput) -> WorkflowPlan {
    let mut steps = Vec::with_capacity(input.targets.len() * 4);
    for target in &input.targets {
        steps.push(PlanStep::new(
            "ensure_registry",
            target.name.clone(),
            format!(
                "{} at {}, checked by ping",
                target.provider.as_str(),
                target.url
            ),
        ));
        let destination = target.namespace.as_deref().map_or_else(
            || "source project".to_owned(),
            |namespace| format!("namespace {namespace}"),
        );
        steps.push(PlanStep::new(
            "ensure_replication_policy",
            target.policy_name(),
            format!(
                "push {} to {} in {}",
                input.repository_filter, target.name, destination
            ),
        ));
        steps.push(PlanStep::new(
            "start_replication",
            target.policy_name(),
            String::new(),
        ));
        steps.push(PlanStep::new(
            "wait_for_replication",
            target.policy_name(),
            format!("timeout {} s", input.wait.timeout().as_secs()),
        ));
    }
    WorkflowPlan {
        workflow: "multi_cloud_fanout",
        steps,
    }
}

/// Result of one target.
#[derive(Debug)]
pub enum TargetStatus {
    /// The run finished successfully.
    Replicated {
        /// Whether the endpoint was created, updated or unchanged.
        endpoint: &'static str,
        /// Whether the policy was created, updated or unchanged.
        policy: &'static str,
        /// Id of the replication execution.
        execution_id: i64,
        /// Number of artifacts the run copied, as Harbor counts them.
        succeeded: i64,
    },
    /// A step failed, so the later steps of this target did not run.
    Failed {
        /// The step that failed, as named in the plan.
        step: &'static str,
        /// The failure.
        cause: harbor_client::Error,
    },
}

/// Result of one target with its endpoint name.
#[derive(Debug)]
pub struct TargetReport {
    /// Endpoint name.
    pub name: String,
    /// What happened.
    pub status: TargetStatus,
}

/// Results of [`apply`], one per target in input order.
#[derive(Debug)]
pub struct MultiCloudFanoutReport {
    /// Per-target results.
    pub targets: Vec<TargetReport>,
}

impl MultiCloudFanoutReport {
    /// Reports whether every target replicated.
    pub fn is_success(&self) -> bool {
        self.targets
            .iter()
            .all(|target| matches!(target.status, TargetStatus::Replicated { .. }))
    }
}

/// Runs the steps of [`plan`] against the primary Harbor behind `harbor`.
///
/// Returns a report instead of an error, because every failure belongs to one target.
pub async fn apply(harbor: &Client, input: &MultiCloudFanoutInput) -> MultiCloudFanoutReport {
    let mut targets = Vec::with_capacity(input.targets.len());
    for target in &input.targets {
        let status = match replicate_one(harbor, input, target).await {
            Ok(status) => status,
            Err((step, cause)) => {
                tracing::warn!(target = %target.name, step, error = %cause, "fan-out target failed");
                TargetStatus::Failed { step, cause }
            }
        };
        targets.push(TargetReport {
            name: target.name.clone(),
            status,
        });
    }
    MultiCloudFanoutReport { targets }
}

async fn replicate_one(
    harbor: &Client,
    input: &MultiCloudFanoutInput,
    target: &FanoutTarget,
) -> Result<TargetStatus, (&'static str, harbor_client::Error)> {
    let endpoint = ensure_registry(harbor, &target.endpoint)
        .await
        .map_err(|error| ("ensure_registry", error))?;
    let endpoint_verb = endpoint.verb();
    let registry_id = endpoint.resource().id.ok_or_else(|| {
        (
            "ensure_registry",
            harbor_client::Error::NotFound {
                kind: "id of registry",
                name: target.name.clone(),
            },
        )
    })?;

    let policy_spec = target
        .policy(registry_id, &input.repository_filter)
        .map_err(|error| ("ensure_replication_policy", error))?;
    let policy: Outcome<_> = ensure_replication_policy(harbor, &policy_spec)
        .await
        .map_err(|error| ("ensure_replication_policy", error))?;
    let policy_verb = policy.verb();
    let policy_id = policy.resource().id.ok_or_else(|| {
        (
            "ensure_replication_policy",
            harbor_client::Error::NotFound {
                kind: "id of replication policy",
                name: target.policy_name(),
            },
        )
    })?;

    let execution_id = start_replication(harbor, policy_id)
        .await
        .map_err(|error| ("start_replication", error))?;
    let execution = wait_for_replication(harbor, execution_id, input.wait)
        .await
        .map_err(|error| ("wait_for_replication", error))?;
    tracing::info!(target = %target.name, execution_id, "fan-out target replicated");
    Ok(TargetStatus::Replicated {
        endpoint: endpoint_verb,
        policy: policy_verb,
        execution_id,
        succeeded: execution.succeed.unwrap_or(0),
    })
}

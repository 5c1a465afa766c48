//! Waits for Deployments and StatefulSets to finish rolling out.

use std::time::Duration;

use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use kube::api::{Api, ListParams};
use kube::{Client, ResourceExt};

use crate::error::{Error, Result};

/// Deadline and poll interval of a rollout wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WaitPolicy {
    /// Maximum time to wait.
    pub timeout: Duration,
    /// Time between two reads of the object.
    pub interval: Duration,
}

impl Default for WaitPolicy {
    /// Returns a 10-minute deadline with a 5-second interval.
    fn default() -> Self {
        WaitPolicy {
            timeout: Duration::from_secs(600),
            interval: Duration::from_secs(5),
        }
    }
}

/// Progress of one rollout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RolloutState {
    /// Whether the controller has seen the latest spec and every replica is updated and ready.
    pub complete: bool,
    /// Human-readable progress, for example `2/3 updated, 1/3 ready`.
    pub summary: String,
}

/// Returns the rollout state of a Deployment, as `kubectl rollout status` judges it.
pub fn deployment_state(deployment: &Deployment) -> RolloutState {
    let desired = deployment
        .spec
        .as_ref()
        .and_then(|s| s.replicas)
        .unwrap_or(1);
    let generation = deployment.metadata.generation.unwrap_or(0);
    let Some(status) = &deployment.status else {
        return RolloutState {
            complete: false,
            summary: "no status yet".into(),
        };
    };
    let observed = status.observed_generation.unwrap_or(0) >= generation;
    let updated = status.updated_replicas.unwrap_or(0);
    let available = status.available_replicas.unwrap_or(0);
    let total = status.replicas.unwrap_or(0);
    RolloutState {
        complete: observed && updated == desired && available == desired && total == desired,
        summary: format!(
            "{updated}/{desired} updated, {available}/{desired} available, {total} total{}",
            if observed {
                ""
            } else {
                ", spec change not yet observed"
            }
        ),
    }
}

/// Returns the rollout state of a StatefulSet.
pub fn stateful_set_state(set: &StatefulSet) -> RolloutState {
    let desired = set.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
    let generation = set.metadata.generation.unwrap_or(0);
    let Some(status) = &set.status else {
        return RolloutState {
            complete: false,
            summary: "no status yet".into(),
        };
    };
    let observed = status.observed_generation.unwrap_or(0) >= generation;
    let ready = status.ready_replicas.unwrap_or(0);
    let updated = status.updated_replicas.unwrap_or(0);
    let revision_done =
        status.update_revision.is_none() || status.update_revision == status.current_revision;
    RolloutState {
        complete: observed && ready == desired && updated == desired && revision_done,
        summary: format!(
            "{updated}/{desired} updated, {ready}/{desired} ready{}",
            if observed {
                ""
            } else {
                ", spec change not yet observed"
            }
        ),
    }
}

/// Waits until the Deployment `name` in `namespace` has rolled out.
///
/// # Errors
///
/// Returns [`Error::Timeout`] with the last state when the deadline passes, and
/// [`Error::Kube`] when a read fails.
pub async fn wait_for_deployment(
    client: &Client,
    namespace: &str,
    name: &str,
    policy: WaitPolicy,
) -> Result<()> {
    let api: Api<Deployment> = Api::namespaced(client.clone(), namespace);
    let resource = format!("Deployment {namespace}/{name}");
    poll(&resource, policy, || async {
        let deployment = api
            .get(name)
            .await
            .map_err(|error| Error::kube(format!("get {resource}"), error))?;
        Ok(deployment_state(&deployment))
    })
    .await
}

/// Waits until the StatefulSet `name` in `namespace` has rolled out.
///
/// # Errors
///
/// Returns [`Error::Timeout`] or [`Error::Kube`] as [`wait_for_deployment`] does.
pub async fn wait_for_stateful_set(
    client: &Client,
    namespace: &str,
    name: &str,
    policy: WaitPolicy,
) -> Result<()> {
    let api: Api<StatefulSet> = Api::namespaced(client.clone(), namespace);
    let resource = format!("StatefulSet {namespace}/{name}");
    poll(&resource, policy, || async {
        let set = api
            .get(name)
            .await
            .map_err(|error| Error::kube(format!("get {resource}"), error))?;
        Ok(stateful_set_state(&set))
    })
    .await
}

/// Waits for every Deployment and StatefulSet matching `label_selector` in `namespace`, for
/// example `release=harbor`. Returns the names waited on.
///
/// # Errors
///
/// Returns the first [`Error::Timeout`] or [`Error::Kube`].
pub async fn wait_for_release(
    client: &Client,
    namespace: &str,
    label_selector: &str,
    policy: WaitPolicy,
) -> Result<Vec<String>> {
    let params = ListParams::default().labels(label_selector);
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), namespace);
    let sets: Api<StatefulSet> = Api::namespaced(client.clone(), namespace);
    let deployment_names: Vec<String> = deployments
        .list(&params)
        .await
        .map_err(|error| Error::kube(format!("list Deployments in {namespace}"), error))?
        .items
        .iter()
        .map(|d| d.name_any())
        .collect();
    let set_names: Vec<String> = sets
        .list(&params)
        .await
        .map_err(|error| Error::kube(format!("list StatefulSets in {namespace}"), error))?
        .items
        .iter()
        .map(|s| s.name_any())
        .collect();
    let mut waited = Vec::new();
    for name in deployment_names {
        wait_for_deployment(client, namespace, &name, policy).await?;
        waited.push(format!("Deployment/{name}"));
    }
    for name in set_names {
        wait_for_stateful_set(client, namespace, &name, policy).await?;
        waited.push(format!("StatefulSet/{name}"));
    }
    Ok(waited)
}

async fn poll<F, Fut>(resource: &str, policy: WaitPolicy, mut read: F) -> Result<()>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<RolloutState>>,
{
    let deadline = tokio::time::Instant::now() + policy.timeout;
    loop {
        let state = read().await?;
        if state.complete {
            tracing::debug!(%resource, summary = %state.summary, "rollout complete");
            return Ok(());
        }
        if tokio::time::Instant::now() + policy.interval > deadline {
            return Err(Error::Timeout {
                resource: resource.to_string(),
                seconds: policy.timeout.as_secs(),
                state: state.summary,
            });
        }
        tokio::time::sleep(policy.interval).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deployment(json: serde_json::Value) -> Deployment {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn deployment_with_all_replicas_available_is_complete() {
        let d = deployment(serde_json::json!({
            "metadata": {"name": "c", "generation": 2},
            "spec": {"replicas": 3, "selector": {}, "template": {}},
            "status": {"observedGeneration": 2, "replicas": 3, "updatedReplicas": 3, "availableReplicas": 3}
        }));
        assert!(deployment_state(&d).complete);
    }

    #[test]
    fn deployment_with_old_generation_is_incomplete() {
        let d = deployment(serde_json::json!({
            "metadata": {"name": "c", "generation": 3},
            "spec": {"replicas": 3, "selector": {}, "template": {}},
            "status": {"observedGeneration": 2, "replicas": 3, "updatedReplicas": 3, "availableReplicas": 3}
        }));
        let state = deployment_state(&d);
        assert!(!state.complete);
        assert!(
            state.summary.contains("not yet observed"),
            "{}",
            state.summary
        );
    }

    #[test]
    fn deployment_with_surge_pod_is_incomplete() {
        let d = deployment(serde_json::json!({
            "metadata": {"name": "c", "generation": 2},
            "spec": {"replicas": 3, "selector": {}, "template": {}},
            "status": {"observedGeneration": 2, "replicas": 4, "updatedReplicas": 3, "availableReplicas": 3}
        }));
        assert!(!deployment_state(&d).complete);
    }

    #[test]
    fn stateful_set_mid_update_is_incomplete() {
        let s: StatefulSet = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "t", "generation": 1},
            "spec": {"replicas": 2, "selector": {}, "template": {}, "serviceName": "t"},
            "status": {"observedGeneration": 1, "replicas": 2, "readyReplicas": 2, "updatedReplicas": 2,
                       "currentRevision": "t-1", "updateRevision": "t-2"}
        }))
        .unwrap();
        assert!(!stateful_set_state(&s).complete);
    }
}

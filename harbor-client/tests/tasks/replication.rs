//! Replication policies, executions and policy deletion with stuck executions.

use std::collections::VecDeque;
use std::time::Duration;

use harbor_client::Error;
use harbor_client::generated::models::{ReplicationExecution, ReplicationTask};
use harbor_client::tasks::replication::{
    DeletePolicyOptions, Destination, Direction, Filter, ReplicationPolicySpec, Trigger,
    delete_replication_policy, ensure_replication_policy, start_replication, wait_for_replication,
};
use harbor_client::tasks::{Cron, Outcome, WaitOptions};

use crate::fake_harbor::FakeHarbor;

fn to_acr() -> ReplicationPolicySpec {
    ReplicationPolicySpec::new(
        "to-acr",
        Direction::Push {
            destination_registry_id: 3,
        },
    )
    .unwrap()
    .filter(Filter::name("library/**"))
    .unwrap()
    .filter(Filter::tag("v1.*").excludes())
    .unwrap()
    .filter(Filter::labels(["qa", "canary"]))
    .unwrap()
    .trigger(Trigger::EventBased)
    .unwrap()
    .replicate_deletion(true)
}

fn wait(seconds: u64) -> WaitOptions {
    WaitOptions::with_timeout(Duration::from_secs(seconds)).initial_interval(Duration::from_secs(1))
}

#[tokio::test]
async fn policy_created_then_unchanged() {
    let harbor = FakeHarbor::start().await;
    let client = harbor.client();

    let created = ensure_replication_policy(&client, &to_acr()).await.unwrap();
    assert!(matches!(created, Outcome::Created(_)), "{created:?}");
    let create = harbor
        .take_requests()
        .into_iter()
        .find(|r| r.method == "POST")
        .unwrap();
    assert_eq!(create.body["deletion"], true);
    assert_eq!(create.body["replicate_deletion"], true);
    assert_eq!(
        create.body["trigger"],
        serde_json::json!({"type": "event_based"})
    );
    assert!(create.body.get("dest_namespace_replace_count").is_none());
    assert_eq!(
        create.body["filters"][1],
        serde_json::json!({"type": "tag", "value": "v1.*", "decoration": "excludes"})
    );
    assert_eq!(
        create.body["filters"][0],
        serde_json::json!({"type": "name", "value": "library/**"})
    );

    let unchanged = ensure_replication_policy(&client, &to_acr()).await.unwrap();
    assert!(matches!(unchanged, Outcome::Unchanged(_)), "{unchanged:?}");
    assert!(harbor.take_writes().is_empty());
}

#[tokio::test]
async fn policy_update_keeps_stored_replace_count() {
    let harbor = FakeHarbor::start().await;
    let client = harbor.client();
    let with_count = to_acr()
        .destination(Destination::new("mirror", Some(1)))
        .unwrap();
    let id = ensure_replication_policy(&client, &with_count)
        .await
        .unwrap()
        .resource()
        .id
        .unwrap();
    harbor.take_requests();

    let schedule = Trigger::Scheduled(Cron::parse("0 0 2 * * *").unwrap());
    let changed = to_acr()
        .trigger(schedule)
        .unwrap()
        .destination(Destination {
            namespace: Some("mirror".to_owned()),
            replace_count: None,
        })
        .unwrap();
    let updated = ensure_replication_policy(&client, &changed).await.unwrap();
    assert!(matches!(updated, Outcome::Updated(_)), "{updated:?}");
    let update = harbor
        .take_requests()
        .into_iter()
        .find(|r| r.method == "PUT")
        .unwrap();
    assert_eq!(update.line(), format!("PUT /replication/policies/{id}"));
    assert_eq!(update.body["dest_namespace_replace_count"], 1);
    assert_eq!(
        update.body["trigger"]["trigger_settings"]["cron"],
        "0 0 2 * * *"
    );
    assert_eq!(updated.resource().dest_namespace_replace_count, Some(1));
}

#[tokio::test]
async fn omitted_replace_count_is_stored_as_legacy() {
    let harbor = FakeHarbor::start().await;
    let client = harbor.client();
    let spec = to_acr()
        .destination(Destination::new("mirror", None))
        .unwrap();

    let created = ensure_replication_policy(&client, &spec).await.unwrap();
    assert_eq!(created.resource().dest_namespace_replace_count, Some(-1));
    assert_eq!(
        spec.preview_destination("a/b/c/image").unwrap(),
        "mirror/image"
    );
    harbor.take_requests();
    assert!(
        !ensure_replication_policy(&client, &spec)
            .await
            .unwrap()
            .is_change()
    );
    assert!(harbor.take_writes().is_empty());
}

#[tokio::test]
async fn replication_failed_then_succeeded() {
    let harbor = FakeHarbor::start().await;
    harbor.state().script_execution(
        40,
        5,
        &[
            ("InProgress", 2),
            ("Failed", 0),
            ("Succeed", 0),
            ("Succeed", 0),
        ],
    );
    let client = harbor.client();

    let execution = wait_for_replication(&client, 40, wait(600)).await.unwrap();
    assert_eq!(execution.status.as_deref(), Some("Succeed"));
    let polls = harbor
        .take_requests()
        .iter()
        .filter(|r| r.line() == "GET /replication/executions/40")
        .count();
    assert_eq!(polls, 4);
}

#[tokio::test]
async fn replication_failure_reports_task_logs() {
    let harbor = FakeHarbor::start().await;
    {
        let mut state = harbor.state();
        state.script_execution(41, 5, &[("Failed", 0)]);
        state.tasks.insert(
            41,
            vec![
                ReplicationTask {
                    id: Some(7),
                    execution_id: Some(41),
                    status: Some("Failed".to_owned()),
                    src_resource: Some("library/nginx:1.27".to_owned()),
                    dst_resource: Some("mirror/nginx:1.27".to_owned()),
                    ..ReplicationTask::default()
                },
                ReplicationTask {
                    id: Some(8),
                    execution_id: Some(41),
                    status: Some("Succeed".to_owned()),
                    ..ReplicationTask::default()
                },
            ],
        );
        let log: String = (1..=30).map(|line| format!("line {line}\n")).collect();
        state.task_logs.insert(7, log);
    }
    let client = harbor.client();

    let error = wait_for_replication(&client, 41, wait(600))
        .await
        .unwrap_err();
    let Error::ReplicationFailed {
        execution_id,
        failed_tasks,
        ..
    } = &error
    else {
        panic!("expected ReplicationFailed, got {error}");
    };
    assert_eq!(*execution_id, 41);
    assert_eq!(failed_tasks.len(), 1);
    assert_eq!(failed_tasks[0].task_id, 7);
    assert_eq!(failed_tasks[0].source, "library/nginx:1.27");
    assert_eq!(failed_tasks[0].log_tail.len(), 20);
    assert_eq!(
        failed_tasks[0].log_tail.last().map(String::as_str),
        Some("line 30")
    );
    assert!(error.to_string().contains("[7]"), "{error}");
}

#[tokio::test]
async fn replication_that_never_ends_times_out() {
    let harbor = FakeHarbor::start().await;
    harbor.state().script_execution(42, 5, &[("InProgress", 1)]);
    let client = harbor.client();

    let error = wait_for_replication(&client, 42, wait(60))
        .await
        .unwrap_err();
    let Error::Timeout {
        pending_executions,
        last_state,
        ..
    } = &error
    else {
        panic!("expected Timeout, got {error}");
    };
    assert_eq!(pending_executions, &[42]);
    assert_eq!(last_state, "InProgress");
    let slept: Duration = harbor.sleeps().iter().sum();
    assert_eq!(slept, Duration::from_secs(60));
}

#[tokio::test]
async fn start_replication_returns_execution_id() {
    let harbor = FakeHarbor::start().await;
    let client = harbor.client();

    let id = start_replication(&client, 5).await.unwrap();
    let execution = wait_for_replication(&client, id, wait(600)).await.unwrap();
    assert_eq!(execution.policy_id, Some(5));
}

fn stuck_policy(harbor: &FakeHarbor, stop_after_polls: usize) -> i64 {
    let mut state = harbor.state();
    let id = state.next_id();
    state
        .policies
        .push(harbor_client::generated::models::ReplicationPolicy {
            id: Some(id),
            name: Some("stuck".to_owned()),
            ..Default::default()
        });
    let running = ReplicationExecution {
        id: Some(77),
        policy_id: Some(id),
        status: Some("InProgress".to_owned()),
        in_progress: Some(1),
        ..ReplicationExecution::default()
    };
    let mut script: VecDeque<ReplicationExecution> =
        std::iter::repeat_n(running, stop_after_polls).collect();
    if stop_after_polls > 0 {
        script.push_back(ReplicationExecution {
            status: Some("Stopped".to_owned()),
            in_progress: Some(0),
            ..script[0].clone()
        });
    }
    state.executions.insert(77, script);
    id
}

#[tokio::test]
async fn delete_stops_stuck_executions() {
    let harbor = FakeHarbor::start().await;
    // Two polls return the execution running and the third returns it stopped.
    let policy_id = stuck_policy(&harbor, 2);
    let client = harbor.client();
    let options = DeletePolicyOptions {
        stop_running: true,
        wait: wait(60),
    };

    delete_replication_policy(&client, policy_id, options)
        .await
        .unwrap();
    let requests = harbor.take_requests();
    let lines: Vec<String> = requests.iter().map(|r| r.line()).collect();
    assert_eq!(
        lines,
        [
            format!("DELETE /replication/policies/{policy_id}"),
            "GET /replication/executions".to_owned(),
            "PUT /replication/executions/77".to_owned(),
            "GET /replication/executions/77".to_owned(),
            "GET /replication/executions/77".to_owned(),
            "GET /replication/executions/77".to_owned(),
            format!("DELETE /replication/policies/{policy_id}"),
        ]
    );
    let list = &requests[1];
    let filters: Vec<(String, String)> = url::form_urlencoded::parse(list.query.as_bytes())
        .into_owned()
        .collect();
    assert!(
        filters.contains(&("policy_id".to_owned(), policy_id.to_string())),
        "{}",
        list.query
    );
    assert!(
        filters.contains(&("status".to_owned(), "InProgress".to_owned())),
        "{}",
        list.query
    );
    assert_eq!(harbor.state().stopped, [77]);
    assert!(harbor.state().policies.is_empty());
    let backoff = [1, 2, 4].map(Duration::from_secs);
    assert_eq!(harbor.sleeps(), backoff);
}

#[tokio::test]
async fn delete_times_out_listing_pending() {
    let harbor = FakeHarbor::start().await;
    let policy_id = stuck_policy(&harbor, 1);
    harbor.state().executions.get_mut(&77).unwrap().pop_back();
    let client = harbor.client();
    let options = DeletePolicyOptions {
        stop_running: true,
        wait: wait(60),
    };

    let error = delete_replication_policy(&client, policy_id, options)
        .await
        .unwrap_err();
    let Error::Timeout {
        pending_executions, ..
    } = &error
    else {
        panic!("expected Timeout, got {error}");
    };
    assert_eq!(pending_executions, &[77]);
    assert!(error.to_string().contains("[77]"), "{error}");
    assert_eq!(harbor.state().policies.len(), 1);
}

#[tokio::test]
async fn delete_without_stop_reports_precondition() {
    let harbor = FakeHarbor::start().await;
    let policy_id = stuck_policy(&harbor, 1);
    let client = harbor.client();
    let options = DeletePolicyOptions {
        stop_running: false,
        wait: wait(60),
    };

    let error = delete_replication_policy(&client, policy_id, options)
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Precondition { .. }), "{error}");
    assert_eq!(error.status(), Some(http::StatusCode::PRECONDITION_FAILED));
    assert_eq!(
        harbor.take_writes(),
        [format!("DELETE /replication/policies/{policy_id}")]
    );
}

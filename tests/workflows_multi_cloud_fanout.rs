//! `multi_cloud_fanout` against a stateful fake of the primary Harbor.

mod support;

use std::time::Duration;

use harbor_azure::workflows::WorkflowError;
use harbor_azure::workflows::multi_cloud_fanout::{
    self, FanoutTarget, MultiCloudFanoutInput, TargetStatus,
};
use harbor_client::tasks::{Provider, WaitOptions};
use secrecy::SecretString;
use support::fake_harbor::FakeHarbor;

const ECR_URL: &str = "https://123456789012.dkr.ecr.eu-west-1.amazonaws.com";

fn targets() -> Vec<FanoutTarget> {
    let secret = || SecretString::from("s3cr3t-EXAMPLE");
    vec![
        FanoutTarget::new(
            "replica-west",
            Provider::Harbor,
            "https://harbor-west.example.test",
            "robot$replica",
            secret(),
        )
        .unwrap(),
        FanoutTarget::new(
            "acr",
            Provider::AzureAcr,
            "https://exampleacr.azurecr.io",
            "harbor-push",
            secret(),
        )
        .unwrap()
        .namespace("mirror"),
        FanoutTarget::new("ecr", Provider::AwsEcr, ECR_URL, "AKIAEXAMPLE", secret()).unwrap(),
        FanoutTarget::new(
            "gcr",
            Provider::GoogleGcr,
            "https://gcr.io",
            "_json_key",
            secret(),
        )
        .unwrap(),
    ]
}

fn input() -> MultiCloudFanoutInput {
    MultiCloudFanoutInput::new(targets(), "library/**")
        .unwrap()
        .wait(WaitOptions::with_timeout(Duration::from_secs(60)))
}

#[test]
fn plan_lists_endpoint_and_policy_per_target() {
    let input = input();

    let plan = multi_cloud_fanout::plan(&input);

    let endpoints: Vec<&str> = plan
        .steps
        .iter()
        .filter(|step| step.action == "ensure_registry")
        .map(|step| step.target.as_str())
        .collect();
    let policies: Vec<&str> = plan
        .steps
        .iter()
        .filter(|step| step.action == "ensure_replication_policy")
        .map(|step| step.target.as_str())
        .collect();
    assert_eq!(endpoints, ["replica-west", "acr", "ecr", "gcr"]);
    assert_eq!(
        policies,
        [
            "fanout-replica-west",
            "fanout-acr",
            "fanout-ecr",
            "fanout-gcr"
        ]
    );
    assert_eq!(plan.steps.len(), 16);
    assert!(
        plan.steps[0]
            .detail
            .contains("harbor at https://harbor-west.example.test")
    );
    assert!(plan.steps[5].detail.contains("namespace mirror"));
    let shown = format!("{plan}{plan:?}{input:?}");
    assert!(!shown.contains("s3cr3t"), "{shown}");
}

#[tokio::test]
async fn unreachable_target_does_not_stop_others() {
    let harbor = FakeHarbor::start().await;
    harbor.state().unreachable.insert(ECR_URL.to_owned());

    let report = multi_cloud_fanout::apply(&harbor.client(), &input()).await;

    assert!(!report.is_success());
    let names: Vec<&str> = report
        .targets
        .iter()
        .map(|target| target.name.as_str())
        .collect();
    assert_eq!(names, ["replica-west", "acr", "ecr", "gcr"]);
    match &report.targets[2].status {
        TargetStatus::Failed {
            step,
            cause: harbor_client::Error::Status(_),
        } => assert_eq!(*step, "ensure_registry"),
        other => panic!("expected a failed ping, got {other:?}"),
    }
    for index in [0, 1, 3] {
        match &report.targets[index].status {
            TargetStatus::Replicated {
                endpoint,
                policy,
                succeeded,
                ..
            } => {
                assert_eq!(*endpoint, "created");
                assert_eq!(*policy, "created");
                assert_eq!(*succeeded, 2);
            }
            other => panic!("expected target {index} replicated, got {other:?}"),
        }
    }
    let state = harbor.state();
    assert_eq!(state.registries.len(), 3);
    assert_eq!(state.policies.len(), 3);
    let acr_policy = state
        .policies
        .iter()
        .find(|policy| policy.name.as_deref() == Some("fanout-acr"))
        .unwrap();
    assert_eq!(acr_policy.dest_namespace.as_deref(), Some("mirror"));
}

#[tokio::test]
async fn rerun_creates_only_missing_target() {
    let harbor = FakeHarbor::start().await;
    harbor.state().unreachable.insert(ECR_URL.to_owned());
    let client = harbor.client();
    multi_cloud_fanout::apply(&client, &input()).await;
    harbor.state().unreachable.clear();

    let report = multi_cloud_fanout::apply(&client, &input()).await;

    assert!(report.is_success(), "{report:?}");
    for (index, expected) in [
        (0, "unchanged"),
        (1, "unchanged"),
        (2, "created"),
        (3, "unchanged"),
    ] {
        match &report.targets[index].status {
            TargetStatus::Replicated {
                endpoint, policy, ..
            } => {
                assert_eq!(*endpoint, expected, "endpoint of target {index}");
                assert_eq!(*policy, expected, "policy of target {index}");
            }
            other => panic!("expected target {index} replicated, got {other:?}"),
        }
    }
    assert_eq!(
        harbor.count("POST /registries"),
        4,
        "one endpoint per target"
    );
    assert_eq!(
        harbor.count("POST /replication/policies"),
        4,
        "one policy per target"
    );
    assert_eq!(
        harbor.count("POST /replication/executions"),
        7,
        "a run per target and run"
    );
    assert_eq!(harbor.state().registries.len(), 4);
}

#[test]
fn input_rejects_invalid_values() {
    let secret = || SecretString::from("s3cr3t-EXAMPLE");
    let quay = FanoutTarget::new("quay", Provider::Quay, "https://quay.io", "robot", secret());
    let bad_url = FanoutTarget::new(
        "acr",
        Provider::AzureAcr,
        "ftp://exampleacr.azurecr.io",
        "key",
        secret(),
    );
    let empty_secret = FanoutTarget::new(
        "acr",
        Provider::AzureAcr,
        "https://exampleacr.azurecr.io",
        "key",
        SecretString::from(""),
    );
    let no_targets = MultiCloudFanoutInput::new(vec![], "**");
    let mut twice = targets();
    twice.push(targets().remove(0));
    let duplicate = MultiCloudFanoutInput::new(twice, "**");
    let empty_filter = MultiCloudFanoutInput::new(targets(), " ");

    assert!(
        matches!(
            quay,
            Err(WorkflowError::InvalidInput {
                field: "provider",
                ..
            })
        ),
        "{quay:?}"
    );
    assert!(
        matches!(bad_url, Err(WorkflowError::Harbor(_))),
        "{bad_url:?}"
    );
    assert!(
        matches!(empty_secret, Err(WorkflowError::Harbor(_))),
        "{empty_secret:?}"
    );
    assert!(matches!(
        no_targets,
        Err(WorkflowError::InvalidInput {
            field: "targets",
            ..
        })
    ));
    assert!(matches!(
        duplicate,
        Err(WorkflowError::InvalidInput {
            field: "targets",
            ..
        })
    ));
    assert!(matches!(
        empty_filter,
        Err(WorkflowError::InvalidInput {
            field: "repository_filter",
            ..
        })
    ));
}

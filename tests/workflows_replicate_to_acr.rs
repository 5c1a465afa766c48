//! `replicate_to_acr` against stateful fakes of ARM (scope maps, tokens, passwords) and of
//! Harbor (endpoints, ping, policies, executions).

mod support;

use std::time::Duration;

use acr_client::arm::AzureCloud;
use acr_client::{RegistryName, RepositoryName, ScopeMapAction, ScopeMapName, TokenName};
use harbor_azure::workflows::WorkflowError;
use harbor_azure::workflows::replicate_to_acr::{self, ReplicateToAcrInput, ReplicateToAcrReport};
use harbor_client::generated::models::{Registry, RegistryCredential};
use harbor_client::tasks::WaitOptions;
use harbor_client::tasks::replication::{Destination, ExecutionStatus, Filter, Trigger};
use support::fake_acr::FakeAcr;
use support::fake_harbor::{FAILED_TASK_OFFSET, FakeHarbor};

const REGISTRY: &str = "exampleacr";
const SCOPE_MAP: &str = "harbor-push-scope-map";
const TOKEN: &str = "harbor-push";
const ENDPOINT_URL: &str = "https://exampleacr.azurecr.io";
const POLICY: &str = "push-to-exampleacr";

fn input() -> ReplicateToAcrInput {
    let repository = RepositoryName::new("mirror/nginx").unwrap();
    ReplicateToAcrInput::new(
        RegistryName::new(REGISTRY).unwrap(),
        ScopeMapName::new(SCOPE_MAP).unwrap(),
        TokenName::new(TOKEN).unwrap(),
        ScopeMapAction::for_mirror_target(&repository),
        "library/nginx",
    )
    .unwrap()
    .destination(Destination::new("mirror", Some(1)))
    .unwrap()
    .trigger(Trigger::EventBased)
    .unwrap()
    .filter(Filter::tag("1.*"))
    .unwrap()
    .wait(WaitOptions::with_timeout(Duration::from_secs(60)))
}

async fn start_fakes() -> (FakeAcr, wiremock::MockServer, FakeHarbor) {
    let (acr, acr_server) = FakeAcr::start(REGISTRY).await;
    (acr, acr_server, FakeHarbor::start().await)
}

/// Returns each step as `action: verb`.
fn verbs(report: &ReplicateToAcrReport) -> Vec<String> {
    report
        .steps
        .iter()
        .map(|step| format!("{}: {}", step.action, step.status.verb()))
        .collect()
}

/// Stores an `azure-acr` endpoint that logs in as `access_key`, as if created earlier.
fn seed_endpoint(harbor: &FakeHarbor, access_key: &str) {
    let mut state = harbor.state();
    state.last_id += 1;
    let id = state.last_id;
    state.registries.push(Registry {
        id: Some(id),
        name: Some(REGISTRY.to_owned()),
        r#type: Some("azure-acr".to_owned()),
        url: Some(ENDPOINT_URL.to_owned()),
        description: Some("ACR push target; the credential is an ACR token".to_owned()),
        credential: Some(RegistryCredential {
            r#type: Some("basic".to_owned()),
            access_key: Some(access_key.to_owned()),
            access_secret: Some(harbor_client::generated::Secret::new("old-password")),
        }),
        ..Registry::default()
    });
}

/// Returns the access key and secret that the stored endpoint logs in with.
fn stored_credential(harbor: &FakeHarbor) -> (String, String) {
    let state = harbor.state();
    let credential = state.registries[0].credential.clone().unwrap();
    (
        credential.access_key.unwrap(),
        credential.access_secret.unwrap().expose_secret().to_owned(),
    )
}

#[test]
fn plan_lists_exact_steps() {
    let plan = replicate_to_acr::plan(&input());

    let steps: Vec<(&str, &str, &str)> = plan
        .steps
        .iter()
        .map(|step| (step.action, step.target.as_str(), step.detail.as_str()))
        .collect();
    assert_eq!(plan.workflow, "replicate_to_acr");
    assert_eq!(
        steps,
        [
            (
                "ensure_scope_map",
                "exampleacr/harbor-push-scope-map",
                "repositories/mirror/nginx/content/read, repositories/mirror/nginx/content/write, \
                 repositories/mirror/nginx/metadata/read; actions already in the map stay",
            ),
            (
                "ensure_token",
                "exampleacr/harbor-push",
                "enabled, bound to scope map harbor-push-scope-map",
            ),
            (
                "generate_token_password",
                "exampleacr/harbor-push/password1",
                "only when the token is new, the endpoint is missing or logs in as another \
                 user, or the password expires within 7 days; no expiry",
            ),
            (
                "ensure_registry",
                "exampleacr",
                "azure-acr at https://exampleacr.azurecr.io as harbor-push, checked by ping",
            ),
            (
                "ensure_replication_policy",
                "push-to-exampleacr",
                "push library/nginx to exampleacr under namespace mirror in place of the first \
                 path component, trigger event_based, tag filter \"1.*\" (matches)",
            ),
            (
                "run_replication",
                "push-to-exampleacr",
                "start a run and wait for it, timeout 60 s",
            ),
        ]
    );
}

#[test]
fn plan_follows_cloud_and_run_flag() {
    let input = input()
        .cloud(AzureCloud::China)
        .run(false)
        .password_lifetime(Duration::from_secs(30 * 86_400))
        .unwrap();

    let plan = replicate_to_acr::plan(&input);

    let actions: Vec<&str> = plan.steps.iter().map(|step| step.action).collect();
    assert_eq!(
        actions,
        [
            "ensure_scope_map",
            "ensure_token",
            "generate_token_password",
            "ensure_registry",
            "ensure_replication_policy"
        ]
    );
    assert_eq!(
        plan.steps[3].detail,
        "azure-acr at https://exampleacr.azurecr.cn as harbor-push, checked by ping"
    );
    assert!(
        plan.steps[2]
            .detail
            .ends_with("; expires 2592000 s after generation"),
        "{}",
        plan.steps[2].detail
    );
}

#[tokio::test]
async fn first_run_creates_everything() {
    let (acr, acr_server, harbor) = start_fakes().await;
    let client = support::acr_client(&acr_server.uri());

    let report = replicate_to_acr::apply(&client, &harbor.client(), &input())
        .await
        .unwrap();

    assert!(report.is_success(), "{report}");
    assert_eq!(
        verbs(&report),
        [
            "ensure_scope_map: created",
            "ensure_token: created",
            "generate_token_password: created",
            "ensure_registry: created",
            "ensure_replication_policy: created",
            "run_replication: created",
        ]
    );
    assert_eq!(report.steps[2].note, "generated because the token is new");
    let execution = report.execution.as_ref().unwrap();
    assert_eq!(execution.status, ExecutionStatus::Succeeded);
    assert_eq!(
        (execution.total, execution.succeeded, execution.failed),
        (2, 2, 0)
    );

    assert_eq!(
        acr.scope_map_actions(SCOPE_MAP).unwrap(),
        [
            "repositories/mirror/nginx/content/read",
            "repositories/mirror/nginx/content/write",
            "repositories/mirror/nginx/metadata/read"
        ]
    );
    let (scope_map_id, status) = acr.token_state(TOKEN).unwrap();
    assert!(scope_map_id.ends_with("/scopeMaps/harbor-push-scope-map"));
    assert_eq!(status, "enabled");
    assert_eq!(acr.generated_passwords(), 1);

    assert_eq!(
        stored_credential(&harbor),
        (TOKEN.to_owned(), FakeAcr::password_value(1))
    );
    let state = harbor.state();
    let endpoint = &state.registries[0];
    assert_eq!(endpoint.r#type.as_deref(), Some("azure-acr"));
    assert_eq!(endpoint.url.as_deref(), Some(ENDPOINT_URL));
    let policy = &state.policies[0];
    assert_eq!(policy.name.as_deref(), Some(POLICY));
    assert_eq!(
        policy
            .dest_registry
            .as_ref()
            .and_then(|registry| registry.id),
        endpoint.id
    );
    assert_eq!(policy.dest_namespace.as_deref(), Some("mirror"));
    assert_eq!(policy.dest_namespace_replace_count, Some(1));
    assert_eq!(
        policy
            .trigger
            .as_ref()
            .and_then(|trigger| trigger.r#type.as_deref()),
        Some("event_based")
    );
    assert_eq!(policy.filters.as_ref().map(Vec::len), Some(2));
}

#[tokio::test]
async fn rerun_sends_no_write() {
    let (acr, acr_server, harbor) = start_fakes().await;
    let client = support::acr_client(&acr_server.uri());
    let input = input().run(false);
    replicate_to_acr::apply(&client, &harbor.client(), &input)
        .await
        .unwrap();
    let arm_writes = acr.token_writes();
    let harbor_writes = harbor.writes();
    let pings = harbor.count("POST /registries/ping");

    let report = replicate_to_acr::apply(&client, &harbor.client(), &input)
        .await
        .unwrap();

    assert!(report.is_success(), "{report}");
    assert_eq!(
        verbs(&report),
        [
            "ensure_scope_map: unchanged",
            "ensure_token: unchanged",
            "generate_token_password: unchanged",
            "ensure_registry: unchanged",
            "ensure_replication_policy: unchanged",
        ]
    );
    assert_eq!(acr.token_writes(), arm_writes, "ARM writes on the re-run");
    assert_eq!(acr.generated_passwords(), 1);
    assert_eq!(
        harbor.writes(),
        harbor_writes,
        "Harbor writes on the re-run"
    );
    assert_eq!(
        harbor.count("POST /registries/ping"),
        pings + 1,
        "the unchanged endpoint is pinged once"
    );
    assert_eq!(
        stored_credential(&harbor),
        (TOKEN.to_owned(), FakeAcr::password_value(1))
    );
}

#[tokio::test]
async fn rerun_with_run_starts_only_the_run() {
    let (acr, acr_server, harbor) = start_fakes().await;
    let client = support::acr_client(&acr_server.uri());
    replicate_to_acr::apply(&client, &harbor.client(), &input())
        .await
        .unwrap();
    let harbor_writes = harbor.writes().len();

    let report = replicate_to_acr::apply(&client, &harbor.client(), &input())
        .await
        .unwrap();

    assert!(report.is_success(), "{report}");
    assert_eq!(acr.generated_passwords(), 1);
    assert_eq!(
        harbor.writes()[harbor_writes..],
        ["POST /replication/executions"]
    );
}

#[tokio::test]
async fn failed_ping_stops_before_policy() {
    let (acr, acr_server, harbor) = start_fakes().await;
    harbor.state().unreachable.insert(ENDPOINT_URL.to_owned());
    let client = support::acr_client(&acr_server.uri());

    let report = replicate_to_acr::apply(&client, &harbor.client(), &input())
        .await
        .unwrap();

    assert!(!report.is_success());
    assert_eq!(
        verbs(&report),
        [
            "ensure_scope_map: created",
            "ensure_token: created",
            "generate_token_password: created",
            "ensure_registry: failed",
        ]
    );
    match report.error() {
        Some(WorkflowError::EndpointUnreachable {
            endpoint, status, ..
        }) => {
            assert_eq!(endpoint, REGISTRY);
            assert_eq!(*status, 400);
        }
        other => panic!("expected an unreachable endpoint, got {other:?}"),
    }
    let message = report.error().unwrap().to_string();
    assert_eq!(
        message,
        "registry endpoint \"exampleacr\" at https://exampleacr.azurecr.io failed Harbor's ping \
         with status 400: check the URL, the network path from Harbor to the registry and the \
         credential"
    );
    assert!(harbor.state().registries.is_empty());
    assert_eq!(harbor.count("GET /replication/policies"), 0);
    assert_eq!(harbor.count("POST /replication/policies"), 0);
    assert_eq!(acr.generated_passwords(), 1);
}

#[tokio::test]
async fn unchanged_endpoint_is_pinged_by_id() {
    let (_acr, acr_server, harbor) = start_fakes().await;
    let client = support::acr_client(&acr_server.uri());
    let input = input().run(false);
    replicate_to_acr::apply(&client, &harbor.client(), &input)
        .await
        .unwrap();
    harbor.state().unreachable.insert(ENDPOINT_URL.to_owned());

    let report = replicate_to_acr::apply(&client, &harbor.client(), &input)
        .await
        .unwrap();

    assert_eq!(
        report.failure().map(|step| step.action),
        Some("ensure_registry")
    );
    assert!(
        matches!(
            report.error(),
            Some(WorkflowError::EndpointUnreachable { status: 400, .. })
        ),
        "{report}"
    );
    assert_eq!(harbor.count("POST /replication/policies"), 1);
}

#[tokio::test]
async fn failed_execution_reports_counts() {
    let (_acr, acr_server, harbor) = start_fakes().await;
    harbor.state().failing_policies.insert(POLICY.to_owned());
    let client = support::acr_client(&acr_server.uri());

    let report = replicate_to_acr::apply(&client, &harbor.client(), &input())
        .await
        .unwrap();

    assert_eq!(
        report.failure().map(|step| step.action),
        Some("run_replication")
    );
    assert!(matches!(
        report.error(),
        Some(WorkflowError::Harbor(error))
            if matches!(**error, harbor_client::Error::ReplicationFailed { failed: 1, total: 2, .. })
    ));
    let execution = report.execution.as_ref().unwrap();
    assert_eq!(execution.status, ExecutionStatus::Failed);
    assert_eq!(
        (
            execution.total,
            execution.succeeded,
            execution.failed,
            execution.in_progress
        ),
        (2, 1, 1, 0)
    );
    assert_eq!(execution.failed_tasks.len(), 1);
    let task = &execution.failed_tasks[0];
    assert_eq!(task.task_id, FAILED_TASK_OFFSET + execution.id);
    assert_eq!(
        task.log_tail.last().map(String::as_str),
        Some("failed: 401 unauthorized: token password expired")
    );
    let printed = report.to_string();
    assert!(
        printed.contains(&format!(
            "execution {} Failed: 2 tasks, 1 succeeded, 1 failed, 0 in progress, 0 stopped",
            execution.id
        )),
        "{printed}"
    );
}

#[tokio::test]
async fn policy_without_id_is_malformed_response() {
    let (_acr, acr_server, harbor) = start_fakes().await;
    harbor.state().policy_get_without_id = true;
    let client = support::acr_client(&acr_server.uri());

    let report = replicate_to_acr::apply(&client, &harbor.client(), &input())
        .await
        .unwrap();

    assert_eq!(
        report.failure().map(|step| step.action),
        Some("ensure_replication_policy")
    );
    let error = report.error().unwrap();
    match error {
        WorkflowError::MissingId { kind, name } => {
            assert_eq!(*kind, "replication policy");
            assert_eq!(name, POLICY);
        }
        other => panic!("expected a missing id, got {other:?}"),
    }
    assert_eq!(
        error.to_string(),
        "Harbor returned replication policy \"push-to-exampleacr\" without an id, so the later \
         steps cannot refer to it"
    );
    assert_eq!(harbor.count("POST /replication/executions"), 0);
}

#[tokio::test]
async fn missing_endpoint_gets_one_password() {
    let (acr, acr_server, harbor) = start_fakes().await;
    acr.set_scope_map(
        SCOPE_MAP,
        &[
            "repositories/mirror/nginx/content/read",
            "repositories/mirror/nginx/content/write",
            "repositories/mirror/nginx/metadata/read",
        ],
    );
    acr.set_token(TOKEN, SCOPE_MAP);
    let client = support::acr_client(&acr_server.uri());

    let report = replicate_to_acr::apply(&client, &harbor.client(), &input().run(false))
        .await
        .unwrap();

    assert!(report.is_success(), "{report}");
    assert_eq!(
        verbs(&report),
        [
            "ensure_scope_map: unchanged",
            "ensure_token: unchanged",
            "generate_token_password: updated",
            "ensure_registry: created",
            "ensure_replication_policy: created",
        ]
    );
    assert_eq!(
        report.steps[2].note,
        "generated because Harbor has no endpoint exampleacr"
    );
    assert_eq!(
        acr.token_writes(),
        ["POST generateCredentials harbor-push password1"]
    );
    assert_eq!(
        stored_credential(&harbor),
        (TOKEN.to_owned(), FakeAcr::password_value(1))
    );
}

#[tokio::test]
async fn endpoint_of_other_user_gets_new_password() {
    let (acr, acr_server, harbor) = start_fakes().await;
    acr.set_scope_map(SCOPE_MAP, &["repositories/mirror/nginx/content/write"]);
    acr.set_token(TOKEN, SCOPE_MAP);
    seed_endpoint(&harbor, "old-token");
    let client = support::acr_client(&acr_server.uri());

    let report = replicate_to_acr::apply(&client, &harbor.client(), &input().run(false))
        .await
        .unwrap();

    assert!(report.is_success(), "{report}");
    assert_eq!(
        verbs(&report)[..4],
        [
            "ensure_scope_map: updated",
            "ensure_token: unchanged",
            "generate_token_password: updated",
            "ensure_registry: updated",
        ]
    );
    assert_eq!(
        report.steps[2].note,
        "generated because endpoint exampleacr logs in as old-token"
    );
    assert_eq!(acr.generated_passwords(), 1);
    assert_eq!(harbor.count("PUT /registries/1"), 1);
    assert_eq!(harbor.state().registries.len(), 1);
    assert_eq!(
        stored_credential(&harbor),
        (TOKEN.to_owned(), FakeAcr::password_value(1))
    );
}

/// Stores the scope map, the token and an endpoint that logs in as the token, as a finished
/// earlier run leaves them.
fn seed_finished_run(acr: &FakeAcr, harbor: &FakeHarbor) {
    acr.set_scope_map(
        SCOPE_MAP,
        &[
            "repositories/mirror/nginx/content/read",
            "repositories/mirror/nginx/content/write",
            "repositories/mirror/nginx/metadata/read",
        ],
    );
    acr.set_token(TOKEN, SCOPE_MAP);
    seed_endpoint(harbor, TOKEN);
}

#[tokio::test]
async fn expiring_password_is_regenerated() {
    // The fake ARM's clock reads 2026-01-01T00:00:00Z.
    for (expiry, note) in [
        (
            "2025-12-31T00:00:00Z",
            "generated because the password expired at 2025-12-31T00:00:00Z",
        ),
        (
            "2026-01-05T00:00:00Z",
            "generated because the password expires at 2026-01-05T00:00:00Z, within the \
             renewal margin of 7 days",
        ),
    ] {
        let (acr, acr_server, harbor) = start_fakes().await;
        seed_finished_run(&acr, &harbor);
        acr.set_password_expiry(TOKEN, "password1", expiry);
        let client = support::acr_client(&acr_server.uri());

        let report = replicate_to_acr::apply(&client, &harbor.client(), &input().run(false))
            .await
            .unwrap();

        assert!(report.is_success(), "{expiry}: {report}");
        assert_eq!(
            verbs(&report)[2..4],
            [
                "generate_token_password: updated",
                "ensure_registry: updated"
            ],
            "{expiry}"
        );
        assert_eq!(report.steps[2].note, note);
        assert_eq!(
            acr.token_writes(),
            ["POST generateCredentials harbor-push password1"],
            "{expiry}"
        );
        assert_eq!(
            stored_credential(&harbor),
            (TOKEN.to_owned(), FakeAcr::password_value(1)),
            "{expiry}"
        );
    }
}

#[tokio::test]
async fn valid_password_is_kept() {
    let (acr, acr_server, harbor) = start_fakes().await;
    seed_finished_run(&acr, &harbor);
    acr.set_password_expiry(TOKEN, "password1", "2026-01-08T00:00:01Z");
    acr.set_password_expiry(TOKEN, "password2", "2025-06-01T00:00:00Z");
    let client = support::acr_client(&acr_server.uri());

    let report = replicate_to_acr::apply(&client, &harbor.client(), &input().run(false))
        .await
        .unwrap();

    assert!(report.is_success(), "{report}");
    assert_eq!(
        verbs(&report)[2..4],
        [
            "generate_token_password: unchanged",
            "ensure_registry: unchanged"
        ]
    );
    assert_eq!(
        report.steps[2].note,
        "not generated, because endpoint exampleacr logs in as harbor-push already and the \
         password does not expire within 7 days"
    );
    assert_eq!(acr.generated_passwords(), 0);
    assert_eq!(
        stored_credential(&harbor),
        (TOKEN.to_owned(), "old-password".to_owned())
    );
}

#[tokio::test]
async fn forced_password_is_regenerated() {
    let (acr, acr_server, harbor) = start_fakes().await;
    seed_finished_run(&acr, &harbor);
    let client = support::acr_client(&acr_server.uri());
    let input = input().run(false).force_new_password(true);

    let report = replicate_to_acr::apply(&client, &harbor.client(), &input)
        .await
        .unwrap();

    assert!(report.is_success(), "{report}");
    assert_eq!(
        verbs(&report)[2..4],
        [
            "generate_token_password: updated",
            "ensure_registry: updated"
        ]
    );
    assert_eq!(
        report.steps[2].note,
        "generated because the input forces a new password"
    );
    assert_eq!(acr.generated_passwords(), 1);
    assert_eq!(harbor.count("PUT /registries/1"), 1);
    assert_eq!(
        stored_credential(&harbor),
        (TOKEN.to_owned(), FakeAcr::password_value(1))
    );
    assert_eq!(
        replicate_to_acr::plan(&input).steps[2].detail,
        "always, because the input forces a new password; no expiry"
    );
}

#[tokio::test]
async fn moved_endpoint_keeps_its_password() {
    let (acr, acr_server, harbor) = start_fakes().await;
    acr.set_scope_map(
        SCOPE_MAP,
        &[
            "repositories/mirror/nginx/content/read",
            "repositories/mirror/nginx/content/write",
            "repositories/mirror/nginx/metadata/read",
        ],
    );
    acr.set_token(TOKEN, SCOPE_MAP);
    seed_endpoint(&harbor, TOKEN);
    harbor.state().registries[0].url = Some("https://oldacr.azurecr.io".to_owned());
    let client = support::acr_client(&acr_server.uri());

    let report = replicate_to_acr::apply(&client, &harbor.client(), &input().run(false))
        .await
        .unwrap();

    assert!(report.is_success(), "{report}");
    assert_eq!(
        verbs(&report)[2..4],
        [
            "generate_token_password: unchanged",
            "ensure_registry: updated"
        ]
    );
    assert_eq!(acr.generated_passwords(), 0);
    assert_eq!(
        harbor.state().registries[0].url.as_deref(),
        Some(ENDPOINT_URL)
    );
    assert_eq!(
        stored_credential(&harbor),
        (TOKEN.to_owned(), "old-password".to_owned())
    );
}

#[tokio::test]
async fn report_and_errors_hide_password() {
    let (_acr, acr_server, harbor) = start_fakes().await;
    harbor.state().unreachable.insert(ENDPOINT_URL.to_owned());
    let client = support::acr_client(&acr_server.uri());
    let input = input();

    let report = replicate_to_acr::apply(&client, &harbor.client(), &input)
        .await
        .unwrap();

    let plan = replicate_to_acr::plan(&input);
    let error = report.error().unwrap();
    let printed = format!("{report}{report:?}{plan}{plan:?}{input:?}{error}{error:?}");
    assert!(!printed.contains("s3cr3t"), "{printed}");
}

#[tokio::test]
async fn cloud_mismatch_is_rejected_before_requests() {
    let (acr, acr_server, harbor) = start_fakes().await;
    let client = support::acr_client(&acr_server.uri());

    let result = replicate_to_acr::apply(
        &client,
        &harbor.client(),
        &input().cloud(AzureCloud::UsGovernment),
    )
    .await;

    assert!(
        matches!(
            result,
            Err(WorkflowError::InvalidInput { field: "cloud", .. })
        ),
        "{result:?}"
    );
    assert!(acr.token_writes().is_empty());
    assert!(harbor.state().requests.is_empty());
}

#[test]
fn input_rejects_invalid_values() {
    let registry = || RegistryName::new(REGISTRY).unwrap();
    let token = || TokenName::new(TOKEN).unwrap();
    let actions =
        || ScopeMapAction::for_mirror_target(&RepositoryName::new("mirror/nginx").unwrap());
    let system = ReplicateToAcrInput::new(
        registry(),
        ScopeMapName::new("_repositories_push").unwrap(),
        token(),
        actions(),
        "library/**",
    );
    let no_actions = ReplicateToAcrInput::new(
        registry(),
        ScopeMapName::new(SCOPE_MAP).unwrap(),
        token(),
        Vec::new(),
        "library/**",
    );
    let empty_filter = ReplicateToAcrInput::new(
        registry(),
        ScopeMapName::new(SCOPE_MAP).unwrap(),
        token(),
        actions(),
        " ",
    );
    let second_name_filter = input().filter(Filter::name("team-a/**"));
    let short_lifetime = input().password_lifetime(Duration::from_secs(5));
    let bad_count = input().destination(Destination::new("mirror", Some(200)));
    let padded_endpoint = input().endpoint_name(" acr ");

    for (result, field) in [
        (system.map(|_| ()), "scope_map"),
        (no_actions.map(|_| ()), "actions"),
        (empty_filter.map(|_| ()), "repository_filter"),
        (second_name_filter.map(|_| ()), "filter"),
        (short_lifetime.map(|_| ()), "password_lifetime"),
    ] {
        match result {
            Err(WorkflowError::InvalidInput { field: actual, .. }) => assert_eq!(actual, field),
            other => panic!("expected invalid {field}, got {other:?}"),
        }
    }
    assert!(
        matches!(bad_count, Err(WorkflowError::Harbor(_))),
        "{bad_count:?}"
    );
    assert!(
        matches!(padded_endpoint, Err(WorkflowError::Harbor(_))),
        "{padded_endpoint:?}"
    );
}

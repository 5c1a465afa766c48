//! Management workflows against wiremock: scope map read-modify-write, token creation
//! with password generation and rotation, and imports (credentials, long-running
//! variants, digest pinning).

mod common;

use std::time::Duration;

use acr_client::{
    Ensured, Error, ImportImage, PasswordName, RegistryName, RepositoryName, RepositoryPermission,
    ScopeMapAction, ScopeMapName, TokenName,
};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use wiremock::matchers::{body_json, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use common::{acr_client, mgmt_example};

const SUBSCRIPTION: &str = "00000000-0000-0000-0000-000000000000";
const DIGEST: &str = "sha256:f20c43161d73848408ef247f0ec7111b19fe58ffebc0cbcaa0d2c8bda4967268";

fn registry_path(name: &str) -> String {
    format!(
        "/subscriptions/{SUBSCRIPTION}/resourceGroups/myResourceGroup/providers/Microsoft.ContainerRegistry/registries/{name}"
    )
}

fn exampleacr() -> RegistryName {
    RegistryName::new("exampleacr").unwrap()
}

fn scope_map_body(name: &str, actions: &[&str]) -> Value {
    json!({
        "id": format!("{}/scopeMaps/{name}", registry_path("exampleacr")),
        "name": name,
        "properties": {"type": "IsUserDefined", "actions": actions, "provisioningState": "Succeeded"}
    })
}

#[tokio::test]
async fn add_actions_writes_merged_full_list() {
    let server = MockServer::start().await;
    let scope_map = format!("{}/scopeMaps/mirror-map", registry_path("exampleacr"));
    Mock::given(method("GET"))
        .and(path(scope_map.as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(scope_map_body(
            "mirror-map",
            &[
                "REPOSITORIES/mirror/nginx/CONTENT/READ",
                "repositories/other/content/read",
            ],
        )))
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path(scope_map.as_str()))
        .and(body_json(json!({"properties": {"actions": [
            "REPOSITORIES/mirror/nginx/CONTENT/READ",
            "repositories/other/content/read",
            "repositories/mirror/nginx/metadata/read"
        ]}})))
        .respond_with(ResponseTemplate::new(200).set_body_json(scope_map_body(
            "mirror-map",
            &[
                "REPOSITORIES/mirror/nginx/CONTENT/READ",
                "repositories/other/content/read",
                "repositories/mirror/nginx/metadata/read",
            ],
        )))
        .expect(1)
        .mount(&server)
        .await;
    let (client, _) = acr_client(&server);
    let actions = ScopeMapAction::for_permissions(
        &RepositoryName::new("mirror/nginx").unwrap(),
        &[RepositoryPermission::Pull, RepositoryPermission::ListTags],
    );

    let outcome = client
        .add_scope_map_actions(
            &exampleacr(),
            &ScopeMapName::new("mirror-map").unwrap(),
            &actions,
        )
        .await
        .unwrap();

    assert!(matches!(outcome, Ensured::Updated(_)));
    let read_entries = outcome
        .get()
        .properties
        .actions
        .iter()
        .filter(|entry| entry.eq_ignore_ascii_case("repositories/mirror/nginx/content/read"))
        .count();
    assert_eq!(read_entries, 1);
}

#[tokio::test]
async fn add_present_actions_sends_no_write() {
    let server = MockServer::start().await;
    let scope_map = format!("{}/scopeMaps/mirror-map", registry_path("exampleacr"));
    Mock::given(method("GET"))
        .and(path(scope_map.as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(scope_map_body(
            "mirror-map",
            &["Repositories/mirror/nginx/Content/Read"],
        )))
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(&server)
        .await;
    let (client, _) = acr_client(&server);
    let actions = ScopeMapAction::for_permissions(
        &RepositoryName::new("mirror/nginx").unwrap(),
        &[RepositoryPermission::Pull],
    );

    let outcome = client
        .add_scope_map_actions(
            &exampleacr(),
            &ScopeMapName::new("mirror-map").unwrap(),
            &actions,
        )
        .await
        .unwrap();

    assert!(!outcome.changed());
}

#[tokio::test]
async fn system_scope_map_is_read_only() {
    let server = MockServer::start().await;
    let (client, _) = acr_client(&server);
    let system = ScopeMapName::new("_repositories_pull").unwrap();
    let actions = ScopeMapAction::for_mirror_target(&RepositoryName::new("mirror/nginx").unwrap());

    let add = client
        .add_scope_map_actions(&exampleacr(), &system, &actions)
        .await;
    let delete = client.delete_scope_map(&exampleacr(), &system).await;
    let ensure = client
        .ensure_scope_map(&exampleacr(), &system, None, &actions)
        .await;

    for result in [add.map(drop), delete, ensure.map(drop)] {
        assert!(
            matches!(result, Err(Error::ReadOnlyScopeMap { .. })),
            "{result:?}"
        );
    }
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn ensure_scope_map_creates_when_missing() {
    let server = MockServer::start().await;
    let scope_map = format!(
        "{}/scopeMaps/harbor-push-scope-map",
        registry_path("exampleacr")
    );
    let actions = [
        "repositories/mirror/nginx/content/read",
        "repositories/mirror/nginx/content/write",
    ];
    Mock::given(method("GET"))
        .and(path(scope_map.as_str()))
        .respond_with(
            ResponseTemplate::new(404).set_body_json(
                json!({"error": {"code": "ResourceNotFound", "message": "not found"}}),
            ),
        )
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path(scope_map.as_str()))
        .and(body_json(json!({"properties": {"actions": actions}})))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(scope_map_body("harbor-push-scope-map", &actions)),
        )
        .expect(1)
        .mount(&server)
        .await;
    let (client, _) = acr_client(&server);
    let push = ScopeMapAction::for_permissions(
        &RepositoryName::new("mirror/nginx").unwrap(),
        &[RepositoryPermission::Push],
    );

    let outcome = client
        .ensure_scope_map(
            &exampleacr(),
            &ScopeMapName::new("harbor-push-scope-map").unwrap(),
            None,
            &push,
        )
        .await
        .unwrap();

    assert!(matches!(outcome, Ensured::Created(_)));
}

fn push_actions(repository: &str) -> Vec<ScopeMapAction> {
    ScopeMapAction::for_permissions(
        &RepositoryName::new(repository).unwrap(),
        &[RepositoryPermission::Push],
    )
}

#[tokio::test]
async fn sync_scope_map_removes_unlisted_actions() {
    let server = MockServer::start().await;
    let scope_map = format!(
        "{}/scopeMaps/harbor-push-scope-map",
        registry_path("exampleacr")
    );
    Mock::given(method("GET"))
        .and(path(scope_map.as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(scope_map_body(
            "harbor-push-scope-map",
            &[
                "repositories/mirror/nginx/content/read",
                "repositories/mirror/old/content/read",
                "repositories/mirror/old/content/write",
            ],
        )))
        .mount(&server)
        .await;
    let exact = [
        "repositories/mirror/nginx/content/read",
        "repositories/mirror/nginx/content/write",
    ];
    Mock::given(method("PATCH"))
        .and(path(scope_map.as_str()))
        .and(body_json(json!({"properties": {"actions": exact}})))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(scope_map_body("harbor-push-scope-map", &exact)),
        )
        .expect(1)
        .mount(&server)
        .await;
    let (client, _) = acr_client(&server);

    let outcome = client
        .sync_scope_map(
            &exampleacr(),
            &ScopeMapName::new("harbor-push-scope-map").unwrap(),
            None,
            &push_actions("mirror/nginx"),
        )
        .await
        .unwrap();

    let Ensured::Updated(updated) = outcome else {
        panic!("expected an update, got {outcome:?}");
    };
    assert_eq!(updated.properties.actions, exact);
}

#[tokio::test]
async fn sync_scope_map_leaves_equal_set() {
    let server = MockServer::start().await;
    let scope_map = format!(
        "{}/scopeMaps/harbor-push-scope-map",
        registry_path("exampleacr")
    );
    // The same two actions in another order and casing.
    Mock::given(method("GET"))
        .and(path(scope_map.as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(scope_map_body(
            "harbor-push-scope-map",
            &[
                "repositories/mirror/nginx/content/write",
                "REPOSITORIES/mirror/nginx/CONTENT/READ",
            ],
        )))
        .expect(1)
        .mount(&server)
        .await;
    let (client, _) = acr_client(&server);

    let outcome = client
        .sync_scope_map(
            &exampleacr(),
            &ScopeMapName::new("harbor-push-scope-map").unwrap(),
            None,
            &push_actions("mirror/nginx"),
        )
        .await
        .unwrap();

    assert!(matches!(outcome, Ensured::Unchanged(_)), "{outcome:?}");
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1, "only the GET is sent");
}

#[tokio::test]
async fn sync_scope_map_creates_when_missing() {
    let server = MockServer::start().await;
    let scope_map = format!(
        "{}/scopeMaps/harbor-push-scope-map",
        registry_path("exampleacr")
    );
    let actions = [
        "repositories/mirror/nginx/content/read",
        "repositories/mirror/nginx/content/write",
    ];
    Mock::given(method("GET"))
        .and(path(scope_map.as_str()))
        .respond_with(
            ResponseTemplate::new(404).set_body_json(
                json!({"error": {"code": "ResourceNotFound", "message": "not found"}}),
            ),
        )
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path(scope_map.as_str()))
        .and(body_json(json!({"properties": {
            "description": "Harbor push replication",
            "actions": actions
        }})))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(scope_map_body("harbor-push-scope-map", &actions)),
        )
        .expect(1)
        .mount(&server)
        .await;
    let (client, _) = acr_client(&server);

    let outcome = client
        .sync_scope_map(
            &exampleacr(),
            &ScopeMapName::new("harbor-push-scope-map").unwrap(),
            Some("Harbor push replication"),
            &push_actions("mirror/nginx"),
        )
        .await
        .unwrap();

    assert!(matches!(outcome, Ensured::Created(_)), "{outcome:?}");
}

#[tokio::test]
async fn sync_scope_map_rejects_empty_list() {
    let server = MockServer::start().await;
    let (client, _) = acr_client(&server);

    let error = client
        .sync_scope_map(
            &exampleacr(),
            &ScopeMapName::new("harbor-push-scope-map").unwrap(),
            None,
            &[],
        )
        .await
        .unwrap_err();

    assert!(matches!(error, Error::InvalidInput { .. }), "{error:?}");
    assert_eq!(
        error.to_string(),
        "invalid actions: scope map harbor-push-scope-map needs at least one action"
    );
    assert!(server.received_requests().await.unwrap().is_empty());
}

fn token_body(status: &str) -> Value {
    json!({
        "id": format!("{}/tokens/harbor-push", registry_path("exampleacr")),
        "name": "harbor-push",
        "properties": {
            "scopeMapId": format!("{}/scopeMaps/harbor-push-scope-map", registry_path("exampleacr")),
            "status": status,
            "provisioningState": "Succeeded"
        }
    })
}

#[tokio::test]
async fn token_create_then_generate_password() {
    let server = MockServer::start().await;
    let token_path = format!("{}/tokens/harbor-push", registry_path("exampleacr"));
    let operation = format!("{}/operationStatuses/tokens-1", server.uri());
    Mock::given(method("PUT"))
        .and(path(token_path.as_str()))
        .and(body_json(json!({"properties": {
            "scopeMapId": format!("{}/scopeMaps/harbor-push-scope-map", registry_path("exampleacr")),
            "status": "enabled"
        }})))
        .respond_with(
            ResponseTemplate::new(201)
                .insert_header("Azure-AsyncOperation", operation.as_str())
                .set_body_json(token_body("enabled")),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/operationStatuses/tokens-1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"status": "Succeeded"})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(token_path.as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_body("enabled")))
        .mount(&server)
        .await;
    let location = format!("{}/operationResults/credentials-1", server.uri());
    Mock::given(method("POST"))
        .and(path(format!(
            "{}/generateCredentials",
            registry_path("exampleacr")
        )))
        .and(body_json(json!({
            "tokenId": token_path,
            "name": "password1",
            "expiry": "2026-01-31T00:00:00Z"
        })))
        .respond_with(ResponseTemplate::new(202).insert_header("Location", location.as_str()))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/operationResults/credentials-1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "username": "harbor-push",
            "passwords": [{"name": "password1", "value": "s3cr3t-EXAMPLE", "expiry": "2026-01-31T00:00:00Z"}]
        })))
        .mount(&server)
        .await;
    let (client, _) = acr_client(&server);
    let token = TokenName::new("harbor-push").unwrap();

    let created = client
        .create_token(
            &exampleacr(),
            &token,
            &ScopeMapName::new("harbor-push-scope-map").unwrap(),
        )
        .await
        .unwrap();
    let credentials = client
        .generate_token_password(
            &exampleacr(),
            &token,
            PasswordName::Password1,
            Some(time::macros::datetime!(2026-01-31 00:00 UTC)),
        )
        .await
        .unwrap();

    assert_eq!(created.name, "harbor-push");
    assert_eq!(credentials.username, "harbor-push");
    assert_eq!(
        credentials
            .password(PasswordName::Password1)
            .unwrap()
            .expose_secret(),
        "s3cr3t-EXAMPLE"
    );
    assert_eq!(
        credentials.passwords[0].expiry,
        Some(time::macros::datetime!(2026-01-31 00:00 UTC))
    );
    assert!(!format!("{credentials:?}").contains("s3cr3t"));
}

#[tokio::test]
async fn password_expiry_in_past_is_rejected() {
    let server = MockServer::start().await;
    let (client, _) = acr_client(&server);

    let error = client
        .generate_token_password(
            &exampleacr(),
            &TokenName::new("harbor-push").unwrap(),
            PasswordName::Password1,
            Some(time::macros::datetime!(2025-12-31 00:00 UTC)),
        )
        .await
        .unwrap_err();

    assert!(
        matches!(
            error,
            Error::InvalidInput {
                field: "expiry",
                ..
            }
        ),
        "{error:?}"
    );
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn rotation_regenerates_unused_password_first() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!(
            "{}/generateCredentials",
            registry_path("exampleacr")
        )))
        .respond_with(|request: &Request| {
            let body: Value = serde_json::from_slice(&request.body).unwrap();
            let name = body["name"].as_str().unwrap().to_owned();
            ResponseTemplate::new(200).set_body_json(json!({
                "username": "harbor-push",
                "passwords": [{"name": name, "value": format!("new-{name}")}]
            }))
        })
        .expect(2)
        .mount(&server)
        .await;
    let (client, _) = acr_client(&server);

    let rotated = client
        .rotate_token_passwords(
            &exampleacr(),
            &TokenName::new("harbor-push").unwrap(),
            PasswordName::Password1,
            None,
        )
        .await
        .unwrap();

    let order: Vec<String> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|request| {
            let body: Value = serde_json::from_slice(&request.body).unwrap();
            assert!(
                body.get("expiry").is_none(),
                "expiry must be omitted: {body}"
            );
            body["name"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(order, ["password2", "password1"]);
    assert_eq!(rotated.active.0, PasswordName::Password2);
    assert_eq!(rotated.active.1.expose_secret(), "new-password2");
    assert_eq!(rotated.standby.1.expose_secret(), "new-password1");
}

#[tokio::test]
async fn ensure_token_enables_disabled_token() {
    let server = MockServer::start().await;
    let token_path = format!("{}/tokens/harbor-push", registry_path("exampleacr"));
    Mock::given(method("GET"))
        .and(path(token_path.as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_body("disabled")))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path(token_path.as_str()))
        .and(body_json(json!({"properties": {"status": "enabled"}})))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_body("enabled")))
        .expect(1)
        .mount(&server)
        .await;
    let (client, _) = acr_client(&server);

    let outcome = client
        .ensure_token(
            &exampleacr(),
            &TokenName::new("harbor-push").unwrap(),
            &ScopeMapName::new("harbor-push-scope-map").unwrap(),
        )
        .await
        .unwrap();

    assert!(matches!(outcome, Ensured::Updated(_)));
}

fn import_path() -> String {
    format!("{}/importImage", registry_path("exampleacr"))
}

#[tokio::test]
async fn import_from_registry_sends_credentials_without_resource_id() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(import_path()))
        .and(body_json(json!({
            "source": {
                "registryUri": "harbor.example.test:8443",
                "sourceImage": "library/nginx:1.25.3",
                "credentials": {"username": "robot$library+acr-import", "password": "s3cr3t-EXAMPLE"}
            },
            "targetTags": ["mirror/nginx:1.25.3"],
            "mode": "NoForce"
        })))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    let (client, clock) = acr_client(&server);
    let request = ImportImage::builder("library/nginx:1.25.3")
        .registry_uri("https://harbor.example.test:8443/")
        .credentials(
            "robot$library+acr-import",
            SecretString::from("s3cr3t-EXAMPLE"),
        )
        .target_tag("mirror/nginx:1.25.3")
        .build()
        .unwrap();

    let result = client.import_image(&exampleacr(), &request).await.unwrap();

    assert_eq!(result.source_image, "library/nginx:1.25.3");
    assert!(clock.sleeps().is_empty(), "a 200 needs no polling");
    assert!(!format!("{request:?}").contains("s3cr3t"));
}

/// Mounts `POST importImage` responding 202 with `Azure-AsyncOperation` and
/// `Retry-After: 2`. Polls respond with `statuses` in turn, and the last one repeats.
async fn mount_async_import(server: &MockServer, statuses: Vec<Value>) {
    let operation = format!("{}/operationStatuses/import-1", server.uri());
    Mock::given(method("POST"))
        .and(path(import_path()))
        .respond_with(
            ResponseTemplate::new(202)
                .insert_header("Azure-AsyncOperation", operation.as_str())
                .insert_header("Retry-After", "2"),
        )
        .expect(1)
        .mount(server)
        .await;
    let last = statuses.len() - 1;
    for (index, status) in statuses.into_iter().enumerate() {
        let mock = Mock::given(method("GET"))
            .and(path("/operationStatuses/import-1"))
            .respond_with(ResponseTemplate::new(200).set_body_json(status));
        let mock = if index < last {
            mock.up_to_n_times(1)
        } else {
            mock
        };
        mock.mount(server).await;
    }
}

fn nginx_import(force: bool) -> ImportImage {
    ImportImage::builder("library/nginx:1.25.3")
        .registry_uri("harbor.example.test")
        .target_tag("mirror/nginx:1.25.3")
        .force(force)
        .build()
        .unwrap()
}

#[tokio::test]
async fn import_202_polls_honouring_retry_after() {
    let server = MockServer::start().await;
    let in_progress = json!({"status": "InProgress"});
    mount_async_import(
        &server,
        vec![
            in_progress.clone(),
            in_progress.clone(),
            in_progress,
            json!({"status": "Succeeded"}),
        ],
    )
    .await;
    let (client, clock) = acr_client(&server);

    client
        .import_image(&exampleacr(), &nginx_import(true))
        .await
        .unwrap();

    assert_eq!(clock.sleeps(), vec![Duration::from_secs(2); 4]);
    let requests = server.received_requests().await.unwrap();
    let body: Value = serde_json::from_slice(&requests[0].body).unwrap();
    assert_eq!(body["mode"], "Force");
}

#[tokio::test]
async fn import_never_finishing_times_out() {
    let server = MockServer::start().await;
    mount_async_import(&server, vec![json!({"status": "InProgress"})]).await;
    let (client, clock) = acr_client(&server);
    let request = ImportImage::builder("library/nginx:1.25.3")
        .registry_uri("harbor.example.test")
        .target_tag("mirror/nginx:1.25.3")
        .deadline(Duration::from_secs(30 * 60))
        .build()
        .unwrap();

    let error = client
        .import_image(&exampleacr(), &request)
        .await
        .unwrap_err();

    match &error {
        Error::Timeout {
            deadline,
            last_status,
            ..
        } => {
            assert_eq!(*deadline, Duration::from_secs(30 * 60));
            assert_eq!(last_status, "InProgress");
        }
        other => panic!("expected Timeout, got {other:?}"),
    }
    let waited: Duration = clock.sleeps().iter().sum();
    assert_eq!(waited, Duration::from_secs(30 * 60));
}

#[tokio::test]
async fn import_failure_reports_code_and_message() {
    let server = MockServer::start().await;
    mount_async_import(
        &server,
        vec![
            json!({"status": "InProgress"}),
            json!({"status": "Failed", "error": {"code": "InvalidParameters", "message": "tag already exists"}}),
        ],
    )
    .await;
    let (client, _) = acr_client(&server);

    let error = client
        .import_image(&exampleacr(), &nginx_import(false))
        .await
        .unwrap_err();

    match &error {
        Error::ImportFailed {
            code,
            message,
            registry,
            ..
        } => {
            assert_eq!(code, "InvalidParameters");
            assert_eq!(message, "tag already exists");
            assert_eq!(registry, "exampleacr");
        }
        other => panic!("expected ImportFailed, got {other:?}"),
    }
}

/// Mounts a source registry that demands a Bearer token from a realm on the same server,
/// and the ARM and data-plane endpoints of the target registry.
async fn mount_pinned_import(server: &MockServer, target_digest: &str) {
    let realm = format!("{}/service/token", server.uri());
    Mock::given(method("HEAD"))
        .and(path("/v2/library/nginx/manifests/1.25.3"))
        .and(|request: &Request| !request.headers.contains_key("authorization"))
        .respond_with(ResponseTemplate::new(401).insert_header(
            "WWW-Authenticate",
            format!(r#"Bearer realm="{realm}",service="harbor-registry",scope="repository:library/nginx:pull""#)
                .as_str(),
        ))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/service/token"))
        .and(wiremock::matchers::query_param(
            "service",
            "harbor-registry",
        ))
        .and(wiremock::matchers::query_param(
            "scope",
            "repository:library/nginx:pull",
        ))
        // base64("robot$library+acr-import:s3cr3t-EXAMPLE")
        .and(wiremock::matchers::header(
            "authorization",
            "Basic cm9ib3QkbGlicmFyeSthY3ItaW1wb3J0OnMzY3IzdC1FWEFNUExF",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"token": "harbor-token"})))
        .expect(1)
        .mount(server)
        .await;
    Mock::given(method("HEAD"))
        .and(path("/v2/library/nginx/manifests/1.25.3"))
        .and(wiremock::matchers::header(
            "authorization",
            "Bearer harbor-token",
        ))
        .respond_with(ResponseTemplate::new(200).insert_header("Docker-Content-Digest", DIGEST))
        .expect(1)
        .mount(server)
        .await;

    Mock::given(method("POST"))
        .and(path(import_path()))
        .and(body_json(json!({
            "source": {
                "registryUri": server.address().to_string(),
                "sourceImage": format!("library/nginx@{DIGEST}"),
                "credentials": {"username": "robot$library+acr-import", "password": "s3cr3t-EXAMPLE"}
            },
            "targetTags": ["mirror/nginx:1.25.3"],
            "mode": "Force"
        })))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(server)
        .await;

    let mut registry = mgmt_example("RegistryGet.json")["responses"]["200"]["body"].clone();
    registry["name"] = json!("exampleacr");
    registry["properties"]["loginServer"] = json!("exampleacr.azurecr.io");
    Mock::given(method("GET"))
        .and(path(registry_path("exampleacr")))
        .respond_with(ResponseTemplate::new(200).set_body_json(registry))
        .mount(server)
        .await;
    let expiry = common::start_time().unix_timestamp() + 3600;
    Mock::given(method("POST"))
        .and(path("/oauth2/exchange"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"refresh_token": common::jwt_with_exp(expiry)})),
        )
        .mount(server)
        .await;
    Mock::given(method("POST"))
        .and(path("/oauth2/token"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"access_token": common::jwt_with_exp(expiry)})),
        )
        .mount(server)
        .await;
    Mock::given(method("HEAD"))
        .and(path("/v2/mirror/nginx/manifests/1.25.3"))
        .respond_with(
            ResponseTemplate::new(200).insert_header("Docker-Content-Digest", target_digest),
        )
        .expect(1)
        .mount(server)
        .await;
}

fn pinned_import(server: &MockServer) -> ImportImage {
    ImportImage::builder("library/nginx:1.25.3")
        .registry_uri(server.uri())
        .credentials(
            "robot$library+acr-import",
            SecretString::from("s3cr3t-EXAMPLE"),
        )
        .target_tag("mirror/nginx:1.25.3")
        .force(true)
        .pin_digest(true)
        .build()
        .unwrap()
}

#[tokio::test]
async fn pinned_import_uses_digest_and_verifies_target() {
    let server = MockServer::start().await;
    mount_pinned_import(&server, DIGEST).await;
    let (client, _) = acr_client(&server);

    let result = client
        .import_image(&exampleacr(), &pinned_import(&server))
        .await
        .unwrap();

    assert_eq!(result.source_image, format!("library/nginx@{DIGEST}"));
    assert_eq!(result.digest.as_deref(), Some(DIGEST));
    assert_eq!(result.target_tags, ["mirror/nginx:1.25.3"]);
    assert!(result.verified);
}

#[tokio::test]
async fn pinned_import_detects_moved_target_tag() {
    let server = MockServer::start().await;
    let other = "sha256:0000000000000000000000000000000000000000000000000000000000000000";
    mount_pinned_import(&server, other).await;
    let (client, _) = acr_client(&server);

    let error = client
        .import_image(&exampleacr(), &pinned_import(&server))
        .await
        .unwrap_err();

    match error {
        Error::DigestMismatch {
            target,
            expected,
            actual,
        } => {
            assert_eq!(target, "mirror/nginx:1.25.3");
            assert_eq!(expected, DIGEST);
            assert_eq!(actual, other);
        }
        other => panic!("expected DigestMismatch, got {other:?}"),
    }
}

#[tokio::test]
async fn pinned_import_without_target_keeps_source_tag() {
    let server = MockServer::start().await;
    Mock::given(method("HEAD"))
        .and(path("/v2/library/nginx/manifests/1.25.3"))
        .respond_with(ResponseTemplate::new(200).insert_header("Docker-Content-Digest", DIGEST))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(import_path()))
        .and(body_json(json!({
            "source": {"registryUri": server.address().to_string(), "sourceImage": format!("library/nginx@{DIGEST}")},
            "targetTags": ["library/nginx:1.25.3"],
            "mode": "NoForce"
        })))
        .respond_with(ResponseTemplate::new(500))
        .expect(1)
        .mount(&server)
        .await;
    let (client, _) = acr_client(&server);
    let request = ImportImage::builder("library/nginx:1.25.3")
        .registry_uri(server.uri())
        .pin_digest(true)
        .build()
        .unwrap();

    // The import itself fails with 500 here; the test checks the request it sent.
    let error = client
        .import_image(&exampleacr(), &request)
        .await
        .unwrap_err();

    assert_eq!(error.status().map(|s| s.as_u16()), Some(500));
}

#[tokio::test]
async fn pinned_acr_import_uses_azure_ad() {
    let server = MockServer::start().await;
    let source_id = format!(
        "/subscriptions/{SUBSCRIPTION}/resourceGroups/sourceResourceGroup/providers/Microsoft.ContainerRegistry/registries/sourceacr"
    );
    let mut source = mgmt_example("RegistryGet.json")["responses"]["200"]["body"].clone();
    source["id"] = json!(source_id);
    source["name"] = json!("sourceacr");
    source["properties"]["loginServer"] = json!("sourceacr.azurecr.io");
    Mock::given(method("GET"))
        .and(path(source_id.as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(source))
        .expect(1)
        .mount(&server)
        .await;
    let expiry = common::start_time().unix_timestamp() + 3600;
    Mock::given(method("POST"))
        .and(path("/oauth2/exchange"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"refresh_token": common::jwt_with_exp(expiry)})),
        )
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/oauth2/token"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"access_token": common::jwt_with_exp(expiry)})),
        )
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("HEAD"))
        .and(path("/v2/base/nginx/manifests/stable"))
        .respond_with(ResponseTemplate::new(200).insert_header("Docker-Content-Digest", DIGEST))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(import_path()))
        .and(body_json(json!({
            "source": {"resourceId": source_id, "sourceImage": format!("base/nginx@{DIGEST}")},
            "untaggedTargetRepositories": ["mirror/nginx"],
            "mode": "NoForce"
        })))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    let mut target = mgmt_example("RegistryGet.json")["responses"]["200"]["body"].clone();
    target["properties"]["loginServer"] = json!("exampleacr.azurecr.io");
    Mock::given(method("GET"))
        .and(path(registry_path("exampleacr")))
        .respond_with(ResponseTemplate::new(200).set_body_json(target))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("HEAD"))
        .and(path(format!("/v2/mirror/nginx/manifests/{DIGEST}")))
        .respond_with(ResponseTemplate::new(200).insert_header("Docker-Content-Digest", DIGEST))
        .expect(1)
        .mount(&server)
        .await;
    let (client, _) = acr_client(&server);
    let request = ImportImage::builder("base/nginx:stable")
        .resource_id(source_id.as_str())
        .untagged_target_repository("mirror/nginx")
        .pin_digest(true)
        .build()
        .unwrap();

    let result = client.import_image(&exampleacr(), &request).await.unwrap();

    assert_eq!(result.digest.as_deref(), Some(DIGEST));
    assert!(result.target_tags.is_empty());
    assert!(result.verified);
    let exchanges: Vec<String> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|request| request.url.path() == "/oauth2/exchange")
        .map(|request| String::from_utf8_lossy(&request.body).into_owned())
        .collect();
    assert!(
        exchanges[0].contains("service=sourceacr.azurecr.io"),
        "{exchanges:?}"
    );
    assert!(
        exchanges[1].contains("service=exampleacr.azurecr.io"),
        "{exchanges:?}"
    );
}

#[tokio::test]
async fn check_registry_name_sends_name_and_type() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!(
            "/subscriptions/{SUBSCRIPTION}/providers/Microsoft.ContainerRegistry/checkNameAvailability"
        )))
        .and(body_json(json!({"name": "exampleacr", "type": "Microsoft.ContainerRegistry/registries"})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "nameAvailable": false, "reason": "AlreadyExists", "message": "The registry exampleacr is already in use."
        })))
        .expect(1)
        .mount(&server)
        .await;
    let (client, _) = acr_client(&server);

    let availability = client.check_registry_name(&exampleacr()).await.unwrap();

    assert!(!availability.name_available);
    assert_eq!(availability.reason.as_deref(), Some("AlreadyExists"));
}

#[tokio::test]
async fn delete_registry_waits_for_location() {
    let server = MockServer::start().await;
    let location = format!("{}/operationResults/delete-1", server.uri());
    Mock::given(method("DELETE"))
        .and(path(registry_path("exampleacr")))
        .respond_with(ResponseTemplate::new(202).insert_header("Location", location.as_str()))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/operationResults/delete-1"))
        .respond_with(ResponseTemplate::new(202))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/operationResults/delete-1"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let (client, clock) = acr_client(&server);

    client.delete_registry(&exampleacr()).await.unwrap();

    assert_eq!(clock.sleeps().len(), 2);
}

fn registry_body(location: &str, sku: &str, admin: bool) -> Value {
    let mut body = mgmt_example("RegistryGet.json")["responses"]["200"]["body"].clone();
    body["name"] = json!("exampleacr");
    body["location"] = json!(location);
    body["sku"] = json!({"name": sku, "tier": sku});
    body["properties"]["adminUserEnabled"] = json!(admin);
    body
}

#[tokio::test]
async fn ensure_registry_patches_sku_and_admin_user() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(registry_path("exampleacr")))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(registry_body("westus", "Basic", true)),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path(registry_path("exampleacr")))
        .and(body_json(json!({
            "sku": {"name": "Premium"},
            "tags": {"key": "value", "team": "platform"},
            "properties": {"adminUserEnabled": false}
        })))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(registry_body("westus", "Premium", false)),
        )
        .expect(1)
        .mount(&server)
        .await;
    let (client, _) = acr_client(&server);
    let mut parameters = acr_client::RegistryCreate::new("westus", acr_client::SkuName::Premium);
    parameters.tags.insert("team".into(), "platform".into());

    let outcome = client
        .ensure_registry(&exampleacr(), &parameters)
        .await
        .unwrap();

    assert!(matches!(outcome, Ensured::Updated(_)));
    assert_eq!(outcome.get().sku.name, acr_client::SkuName::Premium);
}

#[tokio::test]
async fn ensure_registry_leaves_matching_registry() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(registry_path("exampleacr")))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(registry_body("westus", "Standard", false)),
        )
        .mount(&server)
        .await;
    let (client, _) = acr_client(&server);
    let parameters = acr_client::RegistryCreate::new("westus", acr_client::SkuName::Standard);

    let outcome = client
        .ensure_registry(&exampleacr(), &parameters)
        .await
        .unwrap();

    assert!(!outcome.changed());
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn ensure_registry_rejects_other_location() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(registry_path("exampleacr")))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(registry_body("eastus", "Standard", false)),
        )
        .mount(&server)
        .await;
    let (client, _) = acr_client(&server);
    let parameters = acr_client::RegistryCreate::new("westus", acr_client::SkuName::Standard);

    let error = client
        .ensure_registry(&exampleacr(), &parameters)
        .await
        .unwrap_err();

    assert!(
        matches!(
            error,
            Error::InvalidInput {
                field: "location",
                ..
            }
        ),
        "{error:?}"
    );
    assert!(error.to_string().contains("eastus"), "{error}");
}

#[tokio::test]
async fn data_plane_audience_follows_arm_policy() {
    let server = MockServer::start().await;
    let (client, _clock) = acr_client(&server);
    let example = mgmt_example("RegistryGet.json")["responses"]["200"]["body"].clone();
    assert_eq!(
        example["properties"]["policies"]["azureADAuthenticationAsArmPolicy"]["status"],
        "enabled"
    );

    for (status, expected, other) in [
        (
            "enabled",
            "https://management.azure.com/.default",
            acr_client::ACR_AUDIENCE_SCOPE,
        ),
        (
            "disabled",
            acr_client::ACR_AUDIENCE_SCOPE,
            "https://management.azure.com/.default",
        ),
    ] {
        let mut body = example.clone();
        body["properties"]["policies"]["azureADAuthenticationAsArmPolicy"]["status"] =
            json!(status);
        let registry: acr_client::Registry = serde_json::from_value(body).unwrap();

        let data_plane = client.data_plane_for(&registry).unwrap();

        let debug = format!("{data_plane:?}");
        assert!(debug.contains(expected), "{status}: {debug}");
        assert!(!debug.contains(other), "{status}: {debug}");
    }
}

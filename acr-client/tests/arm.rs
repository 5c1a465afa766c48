//! ARM plumbing against wiremock: retries, error decoding, long-running operations and
//! paging.

mod common;

use std::time::Duration;

use acr_client::arm::{ArmError, FinalStateVia, default_retry_policy};
use futures_util::TryStreamExt;
use serde_json::{Value, json};
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use common::{AAD_TOKEN, arm_client};

const RESOURCE: &str = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Test/things/t1";
const API: &str = "2026-08-01";

#[tokio::test]
async fn get_sends_token_and_api_version() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(RESOURCE))
        .and(query_param("api-version", API))
        .and(header(
            "authorization",
            format!("Bearer {AAD_TOKEN}").as_str(),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"name": "t1"})))
        .expect(1)
        .mount(&server)
        .await;
    let (arm, _) = arm_client(&server);

    let body: Value = arm.get_json(RESOURCE, API).await.unwrap();

    assert_eq!(body["name"], "t1");
}

#[tokio::test]
async fn get_retries_503_honouring_retry_after() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(RESOURCE))
        .respond_with(ResponseTemplate::new(503).insert_header("Retry-After", "7"))
        .up_to_n_times(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(RESOURCE))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"name": "t1"})))
        .mount(&server)
        .await;
    let (arm, clock) = arm_client(&server);

    let body: Value = arm.get_json(RESOURCE, API).await.unwrap();

    assert_eq!(body["name"], "t1");
    assert_eq!(
        clock.sleeps(),
        vec![Duration::from_secs(7), Duration::from_secs(7)]
    );
}

#[tokio::test]
async fn get_gives_up_after_max_attempts() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(RESOURCE))
        .respond_with(ResponseTemplate::new(429).insert_header("x-ms-request-id", "req-429"))
        .expect(4)
        .mount(&server)
        .await;
    let (arm, clock) = arm_client(&server);

    let error = arm.get_json::<Value>(RESOURCE, API).await.unwrap_err();

    assert_eq!(error.status().map(|s| s.as_u16()), Some(429));
    assert!(error.is_retryable());
    assert_eq!(error.request_id(), Some("req-429"));
    assert_eq!(clock.sleeps().len(), 3);
}

#[tokio::test]
async fn post_is_not_retried() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503))
        .expect(1)
        .mount(&server)
        .await;
    let (arm, clock) = arm_client(&server);

    let error = arm
        .post_json::<Value, Value>(&format!("{RESOURCE}/action"), API, None)
        .await
        .unwrap_err();

    assert_eq!(error.status().map(|s| s.as_u16()), Some(503));
    assert!(clock.sleeps().is_empty());
}

#[tokio::test]
async fn retry_stops_when_retry_after_exceeds_budget() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503).insert_header("Retry-After", "600"))
        .expect(1)
        .mount(&server)
        .await;
    let (arm, clock) = arm_client(&server);

    let error = arm.get_json::<Value>(RESOURCE, API).await.unwrap_err();

    assert_eq!(error.status().map(|s| s.as_u16()), Some(503));
    assert!(clock.sleeps().is_empty());
    assert!(default_retry_policy().max_elapsed() < Duration::from_secs(600));
}

#[tokio::test]
async fn error_body_and_ids_are_decoded() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(404)
                .insert_header("x-ms-request-id", "req-1")
                .insert_header("x-ms-correlation-request-id", "corr-1")
                .set_body_json(json!({"error": {
                    "code": "ResourceNotFound",
                    "message": "The Resource 't1' was not found.",
                    "target": "t1",
                    "details": [{"code": "Inner", "message": "inner"}]
                }})),
        )
        .mount(&server)
        .await;
    let (arm, _) = arm_client(&server);

    let error = arm.get_json::<Value>(RESOURCE, API).await.unwrap_err();

    assert!(error.is_not_found());
    assert!(!error.is_conflict());
    assert_eq!(error.code(), Some("ResourceNotFound"));
    assert_eq!(error.request_id(), Some("req-1"));
    assert_eq!(error.correlation_id(), Some("corr-1"));
    let detail = error.detail().unwrap();
    assert_eq!(detail.target.as_deref(), Some("t1"));
    assert_eq!(detail.details[0].code, "Inner");
    assert_eq!(
        error.to_string(),
        format!(
            "GET {RESOURCE} failed with HTTP 404 Not Found: ResourceNotFound: The Resource 't1' was not found. (target t1)"
        )
    );
    assert!(
        arm.get_json_optional::<Value>(RESOURCE, API)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn put_with_async_operation_polls_then_reads_resource() {
    let server = MockServer::start().await;
    let status_url = format!("{}/operations/op1", server.uri());
    Mock::given(method("PUT"))
        .and(path(RESOURCE))
        .and(body_json(json!({"location": "westus"})))
        .respond_with(
            ResponseTemplate::new(201)
                .insert_header("Azure-AsyncOperation", status_url.as_str())
                .insert_header("Retry-After", "2")
                .set_body_json(json!({"properties": {"provisioningState": "Creating"}})),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/operations/op1"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("Retry-After", "3")
                .set_body_json(json!({"status": "InProgress"})),
        )
        .up_to_n_times(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/operations/op1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"status": "Succeeded"})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(RESOURCE))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"properties": {"provisioningState": "Succeeded"}})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let (arm, clock) = arm_client(&server);

    let poller = arm
        .begin_put(
            RESOURCE,
            API,
            &json!({"location": "westus"}),
            FinalStateVia::AzureAsyncOperation,
        )
        .await
        .unwrap();
    assert!(!poller.is_done());
    let body: Value = poller.wait_json().await.unwrap();

    assert_eq!(body["properties"]["provisioningState"], "Succeeded");
    assert_eq!(
        clock.sleeps(),
        vec![
            Duration::from_secs(2),
            Duration::from_secs(3),
            Duration::from_secs(3)
        ]
    );
}

#[tokio::test]
async fn put_done_at_once_does_not_poll() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"properties": {"provisioningState": "Succeeded"}})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let (arm, clock) = arm_client(&server);

    let poller = arm
        .begin_put(
            RESOURCE,
            API,
            &json!({}),
            FinalStateVia::AzureAsyncOperation,
        )
        .await
        .unwrap();
    assert!(poller.is_done());
    let body: Value = poller.wait_json().await.unwrap();

    assert_eq!(body["properties"]["provisioningState"], "Succeeded");
    assert!(clock.sleeps().is_empty());
}

#[tokio::test]
async fn put_201_without_header_polls_provisioning_state() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .respond_with(
            ResponseTemplate::new(201)
                .set_body_json(json!({"properties": {"provisioningState": "Creating"}})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(RESOURCE))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"properties": {"provisioningState": "Updating"}})),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(RESOURCE))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"properties": {"provisioningState": "Succeeded"}})),
        )
        .mount(&server)
        .await;
    let (arm, clock) = arm_client(&server);

    let body: Value = arm
        .begin_put(
            RESOURCE,
            API,
            &json!({}),
            FinalStateVia::AzureAsyncOperation,
        )
        .await
        .unwrap()
        .wait_json()
        .await
        .unwrap();

    assert_eq!(body["properties"]["provisioningState"], "Succeeded");
    assert_eq!(clock.sleeps().len(), 2);
}

#[tokio::test]
async fn async_operation_failure_is_reported() {
    let server = MockServer::start().await;
    let status_url = format!("{}/operations/op2", server.uri());
    Mock::given(method("DELETE"))
        .respond_with(
            ResponseTemplate::new(202).insert_header("Azure-AsyncOperation", status_url.as_str()),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/operations/op2"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("x-ms-request-id", "poll-1")
                .set_body_json(json!({
                    "status": "Failed",
                    "error": {"code": "InternalError", "message": "disk quota"}
                })),
        )
        .mount(&server)
        .await;
    let (arm, _) = arm_client(&server);

    let error = arm
        .begin_delete(RESOURCE, API, FinalStateVia::Location)
        .await
        .unwrap()
        .wait()
        .await
        .unwrap_err();

    match &error {
        ArmError::OperationFailed {
            status, request_id, ..
        } => {
            assert_eq!(status, "Failed");
            assert_eq!(request_id.as_deref(), Some("poll-1"));
        }
        other => panic!("expected OperationFailed, got {other:?}"),
    }
    assert_eq!(error.code(), Some("InternalError"));
}

#[tokio::test]
async fn operation_never_finishing_times_out_at_deadline() {
    let server = MockServer::start().await;
    let status_url = format!("{}/operations/op3", server.uri());
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(202)
                .insert_header("Azure-AsyncOperation", status_url.as_str())
                .insert_header("Retry-After", "25"),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/operations/op3"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("Retry-After", "25")
                .set_body_json(json!({"status": "Running"})),
        )
        .mount(&server)
        .await;
    let (arm, clock) = arm_client(&server);

    let error = arm
        .begin_post::<Value>(
            &format!("{RESOURCE}/run"),
            API,
            None,
            FinalStateVia::Location,
        )
        .await
        .unwrap()
        .wait()
        .await
        .unwrap_err();

    match &error {
        ArmError::Timeout {
            deadline,
            last_status,
            ..
        } => {
            assert_eq!(*deadline, Duration::from_secs(60));
            assert_eq!(last_status, "Running");
        }
        other => panic!("expected Timeout, got {other:?}"),
    }
    // 25 s + 25 s, then the last wait is cut to the 10 s left before the deadline.
    assert_eq!(
        clock.sleeps(),
        vec![
            Duration::from_secs(25),
            Duration::from_secs(25),
            Duration::from_secs(10)
        ]
    );
}

#[tokio::test]
async fn location_polling_returns_final_body() {
    let server = MockServer::start().await;
    let location = format!("{}/operationResults/r1", server.uri());
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(202).insert_header("Location", location.as_str()))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/operationResults/r1"))
        .respond_with(ResponseTemplate::new(202).insert_header("Location", location.as_str()))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/operationResults/r1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"done": true})))
        .mount(&server)
        .await;
    let (arm, clock) = arm_client(&server);

    let body: Value = arm
        .begin_post::<Value>(
            &format!("{RESOURCE}/run"),
            API,
            None,
            FinalStateVia::Location,
        )
        .await
        .unwrap()
        .wait_json()
        .await
        .unwrap();

    assert_eq!(body["done"], true);
    assert_eq!(clock.sleeps(), vec![Duration::from_secs(5); 2]);
}

#[tokio::test]
async fn location_polling_error_is_operation_failure() {
    let server = MockServer::start().await;
    let location = format!("{}/operationResults/r2", server.uri());
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(202).insert_header("Location", location.as_str()))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/operationResults/r2"))
        .respond_with(ResponseTemplate::new(400).set_body_json(
            json!({"error": {"code": "InvalidParameters", "message": "source image not found"}}),
        ))
        .mount(&server)
        .await;
    let (arm, _) = arm_client(&server);

    let error = arm
        .begin_post::<Value>(
            &format!("{RESOURCE}/run"),
            API,
            None,
            FinalStateVia::Location,
        )
        .await
        .unwrap()
        .wait()
        .await
        .unwrap_err();

    assert!(
        matches!(error, ArmError::OperationFailed { .. }),
        "{error:?}"
    );
    assert_eq!(error.code(), Some("InvalidParameters"));
}

#[tokio::test]
async fn poll_url_on_other_host_is_rejected() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .respond_with(
            ResponseTemplate::new(201)
                .insert_header("Azure-AsyncOperation", "https://other.example/operations/x"),
        )
        .mount(&server)
        .await;
    let (arm, _) = arm_client(&server);

    let error = arm
        .begin_put(
            RESOURCE,
            API,
            &json!({}),
            FinalStateVia::AzureAsyncOperation,
        )
        .await
        .unwrap()
        .wait()
        .await
        .unwrap_err();

    assert!(
        error.to_string().contains("https://other.example"),
        "{error}"
    );
}

#[tokio::test]
async fn list_follows_next_link_lazily() {
    let server = MockServer::start().await;
    let collection = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Test/things";
    let next = format!("{}/page2?token=abc", server.uri());
    Mock::given(method("GET"))
        .and(path(collection))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "value": [{"name": "a"}, {"name": "b"}],
            "nextLink": next
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/page2"))
        .and(query_param("token", "abc"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"value": [{"name": "c"}]})))
        .expect(1)
        .mount(&server)
        .await;
    let (arm, _) = arm_client(&server);

    let names: Vec<String> = arm
        .list_json::<Value>(collection, API)
        .map_ok(|item| item["name"].as_str().unwrap().to_owned())
        .try_collect()
        .await
        .unwrap();

    assert_eq!(names, ["a", "b", "c"]);
}

#[tokio::test]
async fn list_rejects_next_link_on_other_host() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "value": [{"name": "a"}],
            "nextLink": "https://other.example/page2"
        })))
        .mount(&server)
        .await;
    let (arm, _) = arm_client(&server);

    let items: Vec<Result<Value, ArmError>> =
        futures_util::StreamExt::collect(arm.list_json::<Value>("/subscriptions/s/things", API))
            .await;

    assert_eq!(items.len(), 2);
    assert!(items[0].is_ok());
    assert!(
        items[1]
            .as_ref()
            .unwrap_err()
            .to_string()
            .contains("other.example")
    );
}

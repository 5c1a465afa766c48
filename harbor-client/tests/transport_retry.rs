//! Retries: which failures are retried, how long the client waits, and when it stops.

mod transport_support;

use std::time::Duration;

use harbor_client::{Client, Error, RetryPolicy};
use serde_json::{Value, json};
use transport_support::{Sleeps, builder, get, post, server};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

fn list_projects() -> harbor_client::Request {
    get("listProjects", "/projects", "/projects")
}

/// Mounts a mock that responds to the first `times` GETs with `template`, then with 200 and `[]`.
async fn fail_then_succeed(server: &MockServer, template: ResponseTemplate, times: u64) {
    Mock::given(method("GET"))
        .respond_with(template)
        .up_to_n_times(times)
        .expect(times)
        .with_priority(1)
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .with_priority(2)
        .mount(server)
        .await;
}

fn retrying_client(server: &MockServer, sleeps: &Sleeps) -> Client {
    builder(server, sleeps).build().unwrap()
}

#[tokio::test]
async fn service_unavailable_twice_then_success() {
    let server = server().await;
    fail_then_succeed(&server, ResponseTemplate::new(503), 2).await;
    let sleeps = Sleeps::default();

    let projects: Vec<Value> = retrying_client(&server, &sleeps)
        .execute_json(list_projects())
        .await
        .unwrap();

    assert!(projects.is_empty());
    let delays = sleeps.recorded();
    assert_eq!(delays.len(), 2, "{delays:?}");
    // Default backoff: 200 ms then 400 ms ceilings, each at least half of its ceiling.
    assert!(delays[0] >= Duration::from_millis(100), "{delays:?}");
    assert!(delays[0] <= Duration::from_millis(200), "{delays:?}");
    assert!(delays[1] >= Duration::from_millis(200), "{delays:?}");
    assert!(delays[1] <= Duration::from_millis(400), "{delays:?}");
    let requests = server.received_requests().await.unwrap();
    let ids: Vec<_> = requests
        .iter()
        .map(|request| request.headers.get("x-request-id").unwrap().clone())
        .collect();
    assert_eq!(ids.len(), 3);
    assert!(ids.iter().all(|id| *id == ids[0]), "retries reuse the id");
}

#[tokio::test]
async fn retryable_statuses_are_retried() {
    for status in [429, 502, 504] {
        let server = server().await;
        fail_then_succeed(&server, ResponseTemplate::new(status), 1).await;
        let sleeps = Sleeps::default();

        let result: Result<Vec<Value>, Error> = retrying_client(&server, &sleeps)
            .execute_json(list_projects())
            .await;

        assert!(result.is_ok(), "status {status}: {result:?}");
        assert_eq!(sleeps.recorded().len(), 1, "status {status}");
    }
}

#[tokio::test]
async fn retry_after_seconds_is_honoured() {
    let server = server().await;
    let template = ResponseTemplate::new(429).append_header("retry-after", "7");
    fail_then_succeed(&server, template, 1).await;
    let sleeps = Sleeps::default();

    let _: Vec<Value> = retrying_client(&server, &sleeps)
        .execute_json(list_projects())
        .await
        .unwrap();

    assert_eq!(sleeps.recorded(), vec![Duration::from_secs(7)]);
}

#[tokio::test]
async fn retry_after_http_date_is_honoured() {
    let server = server().await;
    let in_ten_seconds = std::time::SystemTime::now() + Duration::from_secs(10);
    let template = ResponseTemplate::new(503).append_header(
        "retry-after",
        httpdate::fmt_http_date(in_ten_seconds).as_str(),
    );
    fail_then_succeed(&server, template, 1).await;
    let sleeps = Sleeps::default();

    let _: Vec<Value> = retrying_client(&server, &sleeps)
        .execute_json(list_projects())
        .await
        .unwrap();

    let delays = sleeps.recorded();
    assert_eq!(delays.len(), 1);
    // HTTP dates have whole seconds, so the delay is between 8 and 10 s.
    assert!(delays[0] >= Duration::from_secs(8), "{delays:?}");
    assert!(delays[0] <= Duration::from_secs(10), "{delays:?}");
}

#[tokio::test]
async fn attempts_are_bounded() {
    let server = server().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503))
        .expect(4)
        .mount(&server)
        .await;
    let sleeps = Sleeps::default();

    let error = retrying_client(&server, &sleeps)
        .execute_json::<Vec<Value>>(list_projects())
        .await
        .unwrap_err();

    assert_eq!(error.status(), Some(http::StatusCode::SERVICE_UNAVAILABLE));
    assert!(error.is_retryable());
    assert_eq!(sleeps.recorded().len(), 3);
    assert!(error.to_string().contains("after 4 attempts"), "{error}");
}

#[tokio::test]
async fn configured_attempts_are_used() {
    let server = server().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(502))
        .expect(2)
        .mount(&server)
        .await;
    let sleeps = Sleeps::default();
    let client = builder(&server, &sleeps)
        .retry_policy(RetryPolicy::default().with_max_attempts(2))
        .build()
        .unwrap();

    let error = client.execute_empty(list_projects()).await.unwrap_err();

    assert_eq!(error.status(), Some(http::StatusCode::BAD_GATEWAY));
    assert_eq!(sleeps.recorded().len(), 1);
}

#[tokio::test]
async fn retry_after_beyond_time_budget_stops() {
    let server = server().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503).append_header("retry-after", "40"))
        .expect(1)
        .mount(&server)
        .await;
    let sleeps = Sleeps::default();

    let error = retrying_client(&server, &sleeps)
        .execute_empty(list_projects())
        .await
        .unwrap_err();

    assert_eq!(error.status(), Some(http::StatusCode::SERVICE_UNAVAILABLE));
    assert!(sleeps.recorded().is_empty(), "40 s exceeds the 30 s budget");
}

#[tokio::test]
async fn time_budget_counts_delays() {
    let server = server().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503).append_header("retry-after", "20"))
        .expect(2)
        .mount(&server)
        .await;
    let sleeps = Sleeps::default();
    let client = builder(&server, &sleeps)
        .retry_policy(RetryPolicy::default().with_max_attempts(10))
        .build()
        .unwrap();

    let error = client.execute_empty(list_projects()).await.unwrap_err();

    assert!(error.is_retryable());
    assert_eq!(sleeps.recorded(), vec![Duration::from_secs(20)]);
}

#[tokio::test]
async fn post_is_not_retried_on_status() {
    let server = server().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503))
        .expect(1)
        .mount(&server)
        .await;
    let sleeps = Sleeps::default();

    let error = retrying_client(&server, &sleeps)
        .execute_created(post("createProject", "/projects", "/projects"))
        .await
        .unwrap_err();

    assert_eq!(error.status(), Some(http::StatusCode::SERVICE_UNAVAILABLE));
    assert!(sleeps.recorded().is_empty());
}

#[tokio::test]
async fn other_errors_are_not_retried() {
    for status in [400, 401, 404, 500] {
        let server = server().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(status))
            .expect(1)
            .mount(&server)
            .await;
        let sleeps = Sleeps::default();

        let error = retrying_client(&server, &sleeps)
            .execute_empty(list_projects())
            .await
            .unwrap_err();

        assert_eq!(error.status().map(|s| s.as_u16()), Some(status));
        assert!(sleeps.recorded().is_empty(), "status {status}");
    }
}

/// Returns the URL of a 127.0.0.1 port that nothing listens on.
fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

#[tokio::test]
async fn connect_error_is_retried() {
    let sleeps = Sleeps::default();
    let client = Client::builder(closed_port_url())
        .sleeper(sleeps.sleeper())
        .build()
        .unwrap();

    let error = client.execute_empty(list_projects()).await.unwrap_err();

    assert!(
        matches!(error, Error::Transport { attempts: 4, .. }),
        "{error:?}"
    );
    assert!(error.is_retryable());
    assert_eq!(sleeps.recorded().len(), 3);
    let message = error.to_string();
    assert!(
        message.contains("failed to connect to Harbor after 4 attempts"),
        "{message}"
    );
    assert!(
        message.contains("listProjects (GET /projects)"),
        "{message}"
    );
}

#[tokio::test]
async fn post_is_retried_on_connect_error() {
    let sleeps = Sleeps::default();
    let client = Client::builder(closed_port_url())
        .sleeper(sleeps.sleeper())
        .retry_policy(RetryPolicy::default().with_max_attempts(2))
        .build()
        .unwrap();

    let error = client
        .execute_created(post("createProject", "/projects", "/projects"))
        .await
        .unwrap_err();

    assert!(
        matches!(error, Error::Transport { attempts: 2, .. }),
        "{error:?}"
    );
    assert_eq!(sleeps.recorded().len(), 1);
}

#[tokio::test]
async fn disabled_policy_sends_once() {
    let server = server().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503))
        .expect(1)
        .mount(&server)
        .await;
    let sleeps = Sleeps::default();
    let client = builder(&server, &sleeps)
        .retry_policy(RetryPolicy::disabled())
        .build()
        .unwrap();

    let error = client.execute_empty(list_projects()).await.unwrap_err();

    assert_eq!(error.status(), Some(http::StatusCode::SERVICE_UNAVAILABLE));
    assert!(sleeps.recorded().is_empty());
}

//! `Client::execute_raw`: the last response of any status, with headers and body, after the
//! same retries as the typed `execute_*` methods.

mod transport_support;

use transport_support::{ROBOT_BASIC, Sleeps, builder, get, post, server};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, ResponseTemplate};

#[tokio::test]
async fn raw_error_status_keeps_headers_and_body() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path("/api/v2.0/projects/7"))
        .and(header("authorization", ROBOT_BASIC))
        .respond_with(
            ResponseTemplate::new(404)
                .insert_header("sl-violations", "[]")
                .set_body_string(r#"{"errors":[{"code":"NOT_FOUND"}]}"#),
        )
        .expect(1)
        .mount(&server)
        .await;
    let client = builder(&server, &Sleeps::default()).build().unwrap();

    let request = get(
        "getProject",
        "/projects/{project_name_or_id}",
        "/projects/7",
    );
    let response = client.execute_raw(request).await.unwrap();

    assert_eq!(response.status, http::StatusCode::NOT_FOUND);
    assert_eq!(response.headers.get("sl-violations").unwrap(), "[]");
    assert_eq!(&response.body[..], br#"{"errors":[{"code":"NOT_FOUND"}]}"#);
    assert_eq!(response.attempts, 1);
}

#[tokio::test]
async fn raw_get_is_retried_after_503() {
    let server = server().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_string("[]"))
        .expect(1)
        .mount(&server)
        .await;
    let sleeps = Sleeps::default();
    let client = builder(&server, &sleeps).build().unwrap();

    let response = client
        .execute_raw(get("listProjects", "/projects", "/projects"))
        .await
        .unwrap();

    assert_eq!(response.status, http::StatusCode::OK);
    assert_eq!(&response.body[..], b"[]");
    assert_eq!(response.attempts, 2);
    assert_eq!(sleeps.recorded().len(), 1);
}

#[tokio::test]
async fn raw_post_is_not_retried_after_503() {
    let server = server().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503))
        .expect(1)
        .mount(&server)
        .await;
    let sleeps = Sleeps::default();
    let client = builder(&server, &sleeps).build().unwrap();

    let response = client
        .execute_raw(post("createProject", "/projects", "/projects"))
        .await
        .unwrap();

    assert_eq!(response.status, http::StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.attempts, 1);
    assert!(sleeps.recorded().is_empty());
}

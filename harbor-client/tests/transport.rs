//! Transport tests against a wiremock server: URL, headers, auth, cookies, errors and Location.

mod transport_support;

use harbor_client::{Client, Credentials, Error, ProjectRef, Request};
use secrecy::SecretString;
use serde_json::{Value, json};
use transport_support::{ROBOT_BASIC, client, get, post, server};
use wiremock::matchers::{header, header_exists, method, path};
use wiremock::{Mock, ResponseTemplate};

fn list_projects() -> Request {
    get("listProjects", "/projects", "/projects")
}

#[tokio::test]
async fn base_url_without_prefix_gets_api_prefix() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path("/api/v2.0/projects"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .expect(1)
        .mount(&server)
        .await;

    let projects: Vec<Value> = client(&server).execute_json(list_projects()).await.unwrap();

    assert!(projects.is_empty());
}

#[tokio::test]
async fn base_url_path_prefix_is_kept() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path("/harbor/api/v2.0/projects"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .expect(2)
        .mount(&server)
        .await;

    for base in [
        format!("{}/harbor", server.uri()),
        format!("{}/harbor/", server.uri()),
    ] {
        let client = Client::builder(&base).build().unwrap();
        let result: Result<Vec<Value>, Error> = client.execute_json(list_projects()).await;
        assert!(result.is_ok(), "base {base}: {result:?}");
    }
}

#[tokio::test]
async fn robot_basic_auth_header_is_exact() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(header("authorization", ROBOT_BASIC))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .expect(1)
        .mount(&server)
        .await;

    let result: Result<Vec<Value>, Error> = client(&server).execute_json(list_projects()).await;

    assert!(result.is_ok(), "{result:?}");
}

#[tokio::test]
async fn bearer_token_is_sent() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(header("authorization", "Bearer tok-EXAMPLE"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .expect(1)
        .mount(&server)
        .await;
    let client = Client::builder(server.uri())
        .credentials(Credentials::bearer(SecretString::from(
            "tok-EXAMPLE".to_owned(),
        )))
        .build()
        .unwrap();

    let result: Result<Vec<Value>, Error> = client.execute_json(list_projects()).await;

    assert!(result.is_ok(), "{result:?}");
}

#[tokio::test]
async fn anonymous_client_sends_no_authorization() {
    let server = server().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .expect(1)
        .mount(&server)
        .await;
    let client = Client::builder(server.uri()).build().unwrap();

    let _: Vec<Value> = client.execute_json(list_projects()).await.unwrap();

    let requests = server.received_requests().await.unwrap();
    assert!(requests[0].headers.get("authorization").is_none());
}

#[tokio::test]
async fn request_id_and_user_agent_are_sent() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(header_exists("x-request-id"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .expect(2)
        .mount(&server)
        .await;
    let client = client(&server);

    let _: Vec<Value> = client.execute_json(list_projects()).await.unwrap();
    let _: Vec<Value> = client.execute_json(list_projects()).await.unwrap();

    let requests = server.received_requests().await.unwrap();
    let ids: Vec<uuid::Uuid> = requests
        .iter()
        .map(|request| {
            let value = request
                .headers
                .get("x-request-id")
                .unwrap()
                .to_str()
                .unwrap();
            uuid::Uuid::parse_str(value).expect("X-Request-Id is a UUID")
        })
        .collect();
    assert_eq!(ids[0].get_version_num(), 4);
    assert_ne!(ids[0], ids[1], "each call gets a fresh request id");
    let user_agent = requests[0].headers.get("user-agent").unwrap();
    assert_eq!(
        user_agent.to_str().unwrap(),
        format!("harbor-client/{}", env!("CARGO_PKG_VERSION"))
    );
    assert_eq!(
        requests[0].headers.get("accept").unwrap(),
        "application/json"
    );
}

#[tokio::test]
async fn session_cookies_are_not_replayed() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path("/api/v2.0/projects"))
        .respond_with(
            ResponseTemplate::new(200)
                .append_header("set-cookie", "sid=abc; Path=/")
                .append_header("set-cookie", "_gorilla_csrf=xyz; Path=/")
                .set_body_json(json!([])),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v2.0/projects"))
        .and(header("authorization", ROBOT_BASIC))
        .respond_with(ResponseTemplate::new(201).append_header("location", "/api/v2.0/projects/42"))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);

    let _: Vec<Value> = client.execute_json(list_projects()).await.unwrap();
    let mut create = post("createProject", "/projects", "/projects");
    create.body = harbor_client::Body::json(&json!({"project_name": "team-a"})).unwrap();
    let created = client.execute_created(create).await.unwrap();

    assert_eq!(created.id(), Some(42));
    let requests = server.received_requests().await.unwrap();
    let post = &requests[1];
    assert_eq!(post.method.as_str(), "POST");
    assert!(
        post.headers.get("cookie").is_none(),
        "the POST must not carry the session cookies"
    );
    assert_eq!(
        post.headers.get("content-type").unwrap(),
        "application/json"
    );
    let body: Value = serde_json::from_slice(&post.body).unwrap();
    assert_eq!(body, json!({"project_name": "team-a"}));
}

#[tokio::test]
async fn csrf_rejection_maps_to_csrf_error() {
    let server = server().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(403).set_body_json(json!({
            "errors": [{"code": "FORBIDDEN", "message": "CSRF token invalid"}]
        })))
        .expect(1)
        .mount(&server)
        .await;

    let error = client(&server)
        .execute_created(post("createProject", "/projects", "/projects"))
        .await
        .unwrap_err();

    assert!(matches!(error, Error::Csrf(_)), "{error:?}");
    assert_eq!(error.status(), Some(http::StatusCode::FORBIDDEN));
    let message = error.to_string();
    assert!(
        message.contains("createProject (POST /projects)"),
        "{message}"
    );
    assert!(
        message.contains("Do not send cookies with Basic auth"),
        "{message}"
    );
}

#[tokio::test]
async fn forbidden_without_csrf_message_is_status_error() {
    let server = server().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(403).set_body_json(json!({
            "errors": [{"code": "FORBIDDEN", "message": "forbidden"}]
        })))
        .mount(&server)
        .await;

    let error = client(&server)
        .execute_empty(post("createProject", "/projects", "/projects"))
        .await
        .unwrap_err();

    assert!(matches!(error, Error::Status(_)), "{error:?}");
}

#[tokio::test]
async fn harbor_error_body_is_decoded() {
    let server = server().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(404)
                .append_header("x-request-id", "harbor-echoed-id")
                .set_body_json(json!({
                    "errors": [
                        {"code": "NOT_FOUND", "message": "project 123 not found"},
                        {"code": "OTHER", "message": "second"}
                    ]
                })),
        )
        .mount(&server)
        .await;

    let error = client(&server)
        .execute_json::<Value>(get(
            "getProject",
            "/projects/{project_name_or_id}",
            "/projects/123",
        ))
        .await
        .unwrap_err();

    assert!(error.is_not_found());
    assert!(!error.is_conflict());
    assert!(!error.is_retryable());
    assert_eq!(error.request_id(), Some("harbor-echoed-id"));
    assert_eq!(error.operation_id(), Some("getProject"));
    assert_eq!(error.harbor_errors().len(), 2);
    assert_eq!(error.harbor_errors()[0].code, "NOT_FOUND");
    assert_eq!(error.harbor_errors()[0].message, "project 123 not found");
    assert_eq!(
        error.to_string(),
        "getProject (GET /projects/{project_name_or_id}) failed with HTTP 404 Not Found: \
         NOT_FOUND: project 123 not found (and 1 more errors), request id harbor-echoed-id"
    );
}

#[tokio::test]
async fn request_id_sent_is_reported_when_not_echoed() {
    let server = server().await;
    Mock::given(method("DELETE"))
        .respond_with(ResponseTemplate::new(409))
        .mount(&server)
        .await;
    let request = Request::new(
        "deleteProject",
        http::Method::DELETE,
        "/projects/{project_name_or_id}",
        "/projects/9".to_owned(),
    );

    let error = client(&server).execute_empty(request).await.unwrap_err();

    assert!(error.is_conflict());
    let requests = server.received_requests().await.unwrap();
    let sent = requests[0].headers.get("x-request-id").unwrap();
    assert_eq!(error.request_id(), Some(sent.to_str().unwrap()));
    assert!(error.harbor_errors().is_empty());
}

#[tokio::test]
async fn undeclared_status_is_an_error() {
    let server = server().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(418).set_body_string("short and stout"))
        .mount(&server)
        .await;

    let error = client(&server)
        .execute_json::<Value>(list_projects())
        .await
        .unwrap_err();

    assert_eq!(error.status(), Some(http::StatusCode::IM_A_TEAPOT));
    assert!(!error.is_retryable());
    assert!(error.to_string().contains("HTTP 418"), "{error}");
}

#[tokio::test]
async fn huge_error_body_is_not_copied() {
    let server = server().await;
    let huge_message = "x".repeat(100_000);
    Mock::given(method("GET"))
        .and(path("/api/v2.0/huge-message"))
        .respond_with(ResponseTemplate::new(500).set_body_json(json!({
            "errors": [{"code": "INTERNAL", "message": "y".repeat(5_000)}]
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v2.0/huge-body"))
        .respond_with(ResponseTemplate::new(500).set_body_json(json!({
            "errors": [{"code": "INTERNAL", "message": huge_message}]
        })))
        .mount(&server)
        .await;
    let client = client(&server);

    let long = client
        .execute_empty(get("x", "/huge-message", "/huge-message"))
        .await
        .unwrap_err();
    let huge = client
        .execute_empty(get("x", "/huge-body", "/huge-body"))
        .await
        .unwrap_err();

    let message = &long.harbor_errors()[0].message;
    assert_eq!(message.chars().count(), 301, "300 characters and a mark");
    assert!(long.to_string().len() < 500, "{}", long.to_string().len());
    assert!(
        huge.harbor_errors().is_empty(),
        "a body over 64 KiB is not decoded"
    );
    assert!(huge.to_string().len() < 200, "{huge}");
}

#[tokio::test]
async fn project_name_sends_resource_name_header() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path("/api/v2.0/projects/123"))
        .and(header("x-is-resource-name", "true"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"project_id": 7})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v2.0/projects/9"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"project_id": 9})))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);

    for project in [ProjectRef::name("123"), ProjectRef::id(9)] {
        // Built the way the generated operations build it.
        let mut request = get(
            "getProject",
            "/projects/{project_name_or_id}",
            &format!("/projects/{}", project.path_segment()),
        );
        if project.is_resource_name() {
            request
                .headers
                .push(("X-Is-Resource-Name", "true".to_owned()));
        }
        let _: Value = client.execute_json(request).await.unwrap();
    }

    let requests = server.received_requests().await.unwrap();
    assert!(requests[1].headers.get("x-is-resource-name").is_none());
}

#[tokio::test]
async fn request_headers_are_sent_byte_exact() {
    let accept_vulnerabilities = "application/vnd.security.vulnerability.report; version=1.1, \
                                  application/vnd.scanner.adapter.vuln.report.harbor+json; version=1.0";
    let server = server().await;
    // wiremock's header matcher splits values on commas, so the value is checked below.
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .expect(1)
        .mount(&server)
        .await;
    let mut request = get(
        "listArtifacts",
        "/projects/{project_name}/repositories/{repository_name}/artifacts",
        "/projects/library/repositories/team%252Fapp%252Fnginx/artifacts",
    );
    request.headers.push((
        "X-Accept-Vulnerabilities",
        accept_vulnerabilities.to_owned(),
    ));

    let _: Vec<Value> = client(&server).execute_json(request).await.unwrap();

    let requests = server.received_requests().await.unwrap();
    assert_eq!(
        requests[0].url.path(),
        "/api/v2.0/projects/library/repositories/team%252Fapp%252Fnginx/artifacts"
    );
    let sent = requests[0].headers.get("x-accept-vulnerabilities").unwrap();
    assert_eq!(sent.as_bytes(), accept_vulnerabilities.as_bytes());
}

#[tokio::test]
async fn invalid_header_value_is_rejected_before_sending() {
    let server = server().await;
    let mut request = list_projects();
    request.headers.push(("X-Custom", "line\nbreak".to_owned()));

    let error = client(&server).execute_empty(request).await.unwrap_err();

    assert!(
        matches!(
            error,
            Error::InvalidHeader {
                name: "X-Custom",
                ..
            }
        ),
        "{error:?}"
    );
    assert!(!error.to_string().contains("line"), "{error}");
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn created_location_gives_id_or_name() {
    let server = server().await;
    Mock::given(method("POST"))
        .and(path("/api/v2.0/labels"))
        .respond_with(ResponseTemplate::new(201).append_header("location", "/api/v2.0/labels/3"))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v2.0/registries"))
        .respond_with(ResponseTemplate::new(201).append_header(
            "location",
            "https://harbor.example.test/api/v2.0/registries/7",
        ))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v2.0/projects"))
        .and(header("x-resource-name-in-location", "true"))
        .respond_with(
            ResponseTemplate::new(201).append_header("location", "/api/v2.0/projects/team-a"),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v2.0/robots"))
        .respond_with(ResponseTemplate::new(201).append_header("location", "string"))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v2.0/webhooks"))
        .respond_with(ResponseTemplate::new(201))
        .mount(&server)
        .await;
    let client = client(&server);

    let label = client
        .execute_created(post("CreateLabel", "/labels", "/labels"))
        .await
        .unwrap();
    let registry = client
        .execute_created(post("CreateRegistry", "/registries", "/registries"))
        .await
        .unwrap();
    let mut by_name = post("createProject", "/projects", "/projects");
    by_name
        .headers
        .push(("X-Resource-Name-In-Location", "true".to_owned()));
    let project = client.execute_created(by_name).await.unwrap();
    let robot = client
        .execute_created(post("CreateRobot", "/robots", "/robots"))
        .await
        .unwrap();
    let missing = client
        .execute_created(post("x", "/webhooks", "/webhooks"))
        .await
        .unwrap();

    assert_eq!(label.id(), Some(3));
    assert_eq!(registry.id(), Some(7));
    assert_eq!(project.name().as_deref(), Some("team-a"));
    assert_eq!(project.id(), None);
    assert_eq!(robot.id(), None);
    assert_eq!(missing.location, None);
    assert_eq!(missing.id(), None);
}

#[tokio::test]
async fn callers_reqwest_client_is_used() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(header("user-agent", "caller-agent/1.0"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .expect(1)
        .mount(&server)
        .await;
    let http = reqwest::Client::builder()
        .user_agent("caller-agent/1.0")
        .build()
        .unwrap();
    let client = Client::builder(server.uri())
        .http_client(http)
        .build()
        .unwrap();

    let result: Result<Vec<Value>, Error> = client.execute_json(list_projects()).await;

    assert!(result.is_ok(), "{result:?}");
}

#[tokio::test]
async fn text_and_bytes_bodies_are_returned() {
    let server = server().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_string("build log line"))
        .mount(&server)
        .await;
    let client = client(&server);
    let request = || get("getBuildHistory", "/x", "/x");

    let text = client.execute_text(request()).await.unwrap();
    let bytes = client.execute_bytes(request()).await.unwrap();

    assert_eq!(text, "build log line");
    assert_eq!(&bytes[..], b"build log line");
}

#[tokio::test]
async fn invalid_json_is_a_decode_error() {
    let server = server().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_string("{not json"))
        .mount(&server)
        .await;

    let error = client(&server)
        .execute_json::<Vec<Value>>(list_projects())
        .await
        .unwrap_err();

    assert!(matches!(error, Error::Decode { .. }), "{error:?}");
    assert!(error.request_id().is_some());
    assert!(!error.to_string().contains("not json"), "{error}");
}

#[tokio::test]
async fn decode_error_names_path_without_value() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path("/api/v2.0/projects/1"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(r#"{"project_id":"s3cr3t-EXAMPLE"}"#, "application/json"),
        )
        .mount(&server)
        .await;
    let error = client(&server)
        .get_project(ProjectRef::id(1))
        .send()
        .await
        .unwrap_err();
    let Error::Decode { source, .. } = &error else {
        panic!("expected a decode error, got {error:?}");
    };
    assert_eq!(source.category, "data");
    assert_eq!(source.path.as_deref(), Some("project_id"));
    let chain = format!("{error} {source} {error:?}");
    assert!(!chain.contains("s3cr3t"), "{chain}");
}

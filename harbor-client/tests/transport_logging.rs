//! Log output of the transport: one global subscriber per test binary, because a thread-local
//! subscriber misses events when tests run in parallel.

mod transport_support;

use std::sync::OnceLock;

use harbor_client::Client;
use serde_json::{Value, json};
use transport_support::{Captured, SECRET, client, get, server};
use wiremock::matchers::method;
use wiremock::{Mock, ResponseTemplate};

/// Installs a global subscriber that captures every level, once, and returns its output.
fn captured() -> &'static Captured {
    static OUTPUT: OnceLock<Captured> = OnceLock::new();
    OUTPUT.get_or_init(|| {
        let output = Captured::default();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(output.clone())
            .with_ansi(false)
            .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
            .finish();
        tracing::subscriber::set_global_default(subscriber).unwrap();
        output
    })
}

#[tokio::test]
async fn request_span_has_ids_and_no_secrets() {
    let output = captured();
    let server = server().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!([{"secret": "body-value-EXAMPLE"}])),
        )
        .mount(&server)
        .await;

    let _: Vec<Value> = client(&server)
        .execute_json(get("listProjects", "/projects", "/projects"))
        .await
        .unwrap();

    let requests = server.received_requests().await.unwrap();
    let request_id = requests[0].headers.get("x-request-id").unwrap();
    let log = output.text();
    assert!(log.contains("harbor_request"), "{log}");
    assert!(log.contains("operation_id=\"listProjects\""), "{log}");
    assert!(log.contains("path_template=\"/projects\""), "{log}");
    assert!(log.contains(request_id.to_str().unwrap()), "{log}");
    assert!(log.contains("status=200"), "{log}");
    assert!(log.contains("attempt=1"), "{log}");
    assert!(!log.contains(SECRET), "{log}");
    assert!(
        !log.contains("cm9ib3Qk"),
        "the Basic credentials leaked: {log}"
    );
    assert!(!log.contains("body-value-EXAMPLE"), "a body leaked: {log}");
}

#[test]
fn insecure_switch_logs_a_warning() {
    let output = captured();
    let marker = "https://insecure-warning.example.test/";

    let client = Client::builder(marker)
        .danger_accept_invalid_certs(true)
        .build()
        .unwrap();

    assert!(client.accepts_invalid_certs());
    let log = output.text();
    let warnings: Vec<&str> = log
        .lines()
        .filter(|line| line.contains("WARN") && line.contains(marker))
        .collect();
    assert_eq!(warnings.len(), 1, "{log}");
    assert!(warnings[0].contains("TLS certificate verification is disabled"));
}

#[test]
fn secure_client_logs_no_warning() {
    let output = captured();
    let marker = "https://secure-client.example.test/";

    let client = Client::builder(marker).build().unwrap();

    assert!(!client.accepts_invalid_certs());
    assert!(!output.text().contains(marker));
}

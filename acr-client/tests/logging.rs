//! Logs at every level never contain passwords or tokens, and name normalisation warns.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use acr_client::{PasswordName, RegistryName, ScopeMapName, TokenName};
use serde_json::json;
use tracing_subscriber::fmt::MakeWriter;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use common::{AAD_TOKEN, acr_client};

/// Log output collected in memory.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

fn subscriber(captured: &Captured) -> impl tracing::Subscriber + Send + Sync {
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(captured.clone())
        .with_ansi(false)
        .finish()
}

#[test]
fn login_server_as_registry_name_warns() {
    let captured = Captured::default();

    let name = tracing::subscriber::with_default(subscriber(&captured), || {
        RegistryName::new("exampleacr.azurecr.io").unwrap()
    });

    assert_eq!(name.as_str(), "exampleacr");
    let logs = captured.text();
    assert!(logs.contains("WARN"), "{logs}");
    assert!(logs.contains("exampleacr.azurecr.io"), "{logs}");
}

#[test]
fn login_server_forms_warn_with_name() {
    let cases = [
        ("https://ExampleACR.azurecr.io/", "ExampleACR"),
        ("EXAMPLEACR.AZURECR.IO", "EXAMPLEACR"),
        ("exampleacr.azurecr.cn", "exampleacr"),
        ("http://exampleacr.azurecr.us", "exampleacr"),
    ];
    for (value, expected) in cases {
        let captured = Captured::default();

        let name = tracing::subscriber::with_default(subscriber(&captured), || {
            RegistryName::new(value).unwrap()
        });

        assert_eq!(name.as_str(), expected);
        let logs = captured.text();
        assert_eq!(logs.matches("WARN").count(), 1, "{value}: {logs}");
        assert!(logs.contains(&format!("value={value:?}")), "{logs}");
        assert!(logs.contains(&format!("name={expected:?}")), "{logs}");
    }
}

#[test]
fn plain_registry_name_logs_no_warning() {
    let captured = Captured::default();

    let name = tracing::subscriber::with_default(subscriber(&captured), || {
        RegistryName::new("ExampleACR").unwrap()
    });

    assert_eq!(name.login_server(), "exampleacr.azurecr.io");
    let logs = captured.text();
    assert!(!logs.contains("WARN"), "{logs}");
}

#[test]
fn rejected_login_server_logs_no_warning() {
    let captured = Captured::default();

    let result = tracing::subscriber::with_default(subscriber(&captured), || {
        RegistryName::new("exampleacr.privatelink.azurecr.io")
    });

    assert!(result.is_err());
    let logs = captured.text();
    assert!(!logs.contains("WARN"), "{logs}");
}

#[tokio::test]
async fn password_generation_logs_no_secrets() {
    let captured = Captured::default();
    let _guard = tracing::subscriber::set_default(subscriber(&captured));
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!(
            "{}/generateCredentials",
            common::REGISTRY_PATH
        )))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!(
            "{}/generateCredentials",
            common::REGISTRY_PATH
        )))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "username": "harbor-push",
            "passwords": [{"name": "password1", "value": "s3cr3t-EXAMPLE"}]
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(500).set_body_json(json!({
            "error": {"code": "InternalError", "message": "failure"}
        })))
        .mount(&server)
        .await;
    let (client, _) = acr_client(&server);
    let registry = RegistryName::new("myRegistry").unwrap();
    let token = TokenName::new("harbor-push").unwrap();

    // The first POST gets 503 and is not retried; the second succeeds.
    let first = client
        .generate_token_password(&registry, &token, PasswordName::Password1, None)
        .await;
    let second = client
        .generate_token_password(&registry, &token, PasswordName::Password1, None)
        .await
        .unwrap();
    let failed = client
        .get_scope_map(&registry, &ScopeMapName::new("harbor-push-map").unwrap())
        .await;

    assert!(first.is_err());
    assert!(failed.is_err());
    let logs = captured.text();
    assert!(logs.contains("arm_request"), "spans are logged: {logs}");
    assert!(!logs.contains("s3cr3t"), "{logs}");
    assert!(!logs.contains(AAD_TOKEN), "{logs}");
    assert!(!format!("{second:?}").contains("s3cr3t"));
    assert!(!format!("{failed:?}").contains(AAD_TOKEN));
}

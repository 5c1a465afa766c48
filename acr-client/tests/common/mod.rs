//! Shared helpers for the wiremock tests: a static Azure AD credential, clients wired to
//! a mock server and a virtual clock, and the Azure REST spec examples as fixtures.

#![allow(dead_code, unreachable_pub)]

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use acr_client::arm::{ArmClient, LroOptions, VirtualClock, default_retry_policy};
use azure_core::credentials::{AccessToken, TokenCredential, TokenRequestOptions};
use serde_json::Value;
use time::OffsetDateTime;
use wiremock::MockServer;

/// Bearer token the static credential hands out.
pub const AAD_TOKEN: &str = "aad.jwt";

/// Test double for Azure AD: returns a fixed token and records the scopes requested.
#[derive(Debug, Default)]
pub struct StaticCredential {
    pub scopes: std::sync::Mutex<Vec<String>>,
}

#[async_trait::async_trait]
impl TokenCredential for StaticCredential {
    async fn get_token(
        &self,
        scopes: &[&str],
        _options: Option<TokenRequestOptions<'_>>,
    ) -> azure_core::Result<AccessToken> {
        self.scopes
            .lock()
            .unwrap()
            .extend(scopes.iter().map(|scope| scope.to_string()));
        Ok(AccessToken::new(
            AAD_TOKEN.to_owned(),
            OffsetDateTime::now_utc() + Duration::from_secs(3600),
        ))
    }
}

/// Start time of every virtual clock in the tests.
pub fn start_time() -> OffsetDateTime {
    time::macros::datetime!(2026-01-01 00:00 UTC)
}

/// Builds an ARM client for `server` with a virtual clock and a 60 s deadline.
pub fn arm_client(server: &MockServer) -> (ArmClient, VirtualClock) {
    arm_client_at(server, start_time())
}

/// As [`arm_client`], with the virtual clock starting at `start`.
pub fn arm_client_at(server: &MockServer, start: OffsetDateTime) -> (ArmClient, VirtualClock) {
    let clock = VirtualClock::new(start);
    let arm = ArmClient::builder(Arc::new(StaticCredential::default()))
        .endpoint(server.uri())
        .clock(Arc::new(clock.clone()))
        .retry_policy(default_retry_policy())
        .lro_options(LroOptions {
            deadline: Duration::from_secs(60),
            default_poll_interval: Duration::from_secs(5),
        })
        .build()
        .expect("client builds");
    (arm, clock)
}

/// Folder of the Azure REST specs: `azure` inside `HARBOR_AZURE_SPECS`, or
/// `../shared/specs/azure` relative to the workspace root.
pub fn specs_dir() -> PathBuf {
    let specs = match std::env::var_os("HARBOR_AZURE_SPECS") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/specs"),
    };
    specs.join("azure")
}

/// Reads a management-plane example, such as `RegistryGet.json`.
pub fn mgmt_example(name: &str) -> Value {
    read_json(
        specs_dir()
            .join("containerregistry/2025-04-01/examples")
            .join(name),
    )
}

/// Reads a data-plane example, such as `PostRefreshToken.json`.
pub fn dataplane_example(name: &str) -> Value {
    read_json(
        specs_dir()
            .join("containerregistry-dataplane/2021-07-01/examples")
            .join(name),
    )
}

fn read_json(path: PathBuf) -> Value {
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("cannot read spec example {}: {error}", path.display()));
    serde_json::from_str(&text)
        .unwrap_or_else(|error| panic!("invalid JSON in {}: {error}", path.display()))
}

/// Replaces the scheme and host of an absolute URL from an example with the mock server.
pub fn on_server(server: &MockServer, url: &str) -> String {
    let parsed = url::Url::parse(url).expect("absolute URL in example");
    let mut rewritten = url::Url::parse(&server.uri()).unwrap();
    rewritten.set_path(parsed.path());
    rewritten.set_query(parsed.query());
    rewritten.to_string()
}

/// Management path of a registry in the examples' subscription and resource group.
pub const REGISTRY_PATH: &str = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/myResourceGroup/providers/Microsoft.ContainerRegistry/registries/myRegistry";

/// Builds a management client for the examples' subscription and resource group that
/// also sends data-plane requests to `server`.
pub fn acr_client(server: &MockServer) -> (acr_client::AcrManagementClient, VirtualClock) {
    acr_client_at(server, start_time())
}

/// As [`acr_client`], with the virtual clock starting at `start`.
pub fn acr_client_at(
    server: &MockServer,
    start: OffsetDateTime,
) -> (acr_client::AcrManagementClient, VirtualClock) {
    let (arm, clock) = arm_client_at(server, start);
    let client = acr_client::AcrManagementClient::new(
        arm,
        "00000000-0000-0000-0000-000000000000",
        "myResourceGroup",
    )
    .unwrap()
    .with_data_plane_endpoint(url::Url::parse(&server.uri()).unwrap());
    (client, clock)
}

/// Builds a JWT (unsigned) whose `exp` claim is `exp` seconds since the Unix epoch.
pub fn jwt_with_exp(exp: i64) -> String {
    use base64::Engine;
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    format!(
        "{}.{}.sig",
        engine.encode(br#"{"alg":"RS256","typ":"JWT"}"#),
        engine.encode(format!(r#"{{"exp":{exp}}}"#))
    )
}

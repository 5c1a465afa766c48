//! The credential steps of the main job's `apply` (`examples/harbor-on-aks/apply.rs`), run as
//! apply runs them against stateful stand-ins: the fake ARM of `support::fake_acr`, and
//! wiremock stand-ins for Harbor's robot API and for the Secrets of a Kubernetes API server.
//!
//! apply itself needs a kubeconfig, helm, an Azure CLI login and Harbor at the configured
//! host, so these tests call the same library functions with the same arguments.

mod support;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use acr_client::{PasswordName, RegistryName, TokenName};
use harbor_azure::workflows::stored_credentials::{
    ACR_PASSWORD_SECRET, CredentialChange, CredentialStore, KeptCredential, ROBOT_SECRET_SECRET,
    Replacement, endpoint_credential_works,
};
use harbor_client::tasks::{RobotLevel, RobotPermissionSpec, RobotSpec, ensure_robot};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use support::fake_acr::FakeAcr;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const NAMESPACE: &str = "harbor";
const ROBOT_LOGIN: &str = "robot$library+acr-import";

/// Secrets of one namespace: `GET` returns the stored object, a server-side apply stores the
/// request body. An apply without `force=true` gets 409, as when someone edited the Secret with
/// kubectl and owns its fields. Anything else returns 404.
#[derive(Clone, Default)]
struct FakeSecrets {
    state: Arc<Mutex<FakeSecretsState>>,
}

#[derive(Default)]
struct FakeSecretsState {
    secrets: BTreeMap<String, Value>,
    applies: Vec<String>,
    version: u64,
}

impl FakeSecrets {
    async fn start() -> (Self, MockServer) {
        let fake = Self::default();
        let server = MockServer::start().await;
        Mock::given(any())
            .respond_with(fake.clone())
            .mount(&server)
            .await;
        (fake, server)
    }

    fn applies(&self) -> Vec<String> {
        self.state.lock().unwrap().applies.clone()
    }

    /// Returns annotation `key` of Secret `name`.
    fn annotation(&self, name: &str, key: &str) -> Option<String> {
        let state = self.state.lock().unwrap();
        Some(
            state.secrets.get(name)?["metadata"]["annotations"][key]
                .as_str()?
                .to_owned(),
        )
    }

    /// Returns the value of `key` in Secret `name`, decoded.
    fn value(&self, name: &str, key: &str) -> Option<String> {
        let state = self.state.lock().unwrap();
        let encoded = state.secrets.get(name)?["data"][key].as_str()?.to_owned();
        Some(String::from_utf8(decode_base64(&encoded)).unwrap())
    }
}

impl Respond for FakeSecrets {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let prefix = format!("/api/v1/namespaces/{NAMESPACE}/secrets/");
        let Some(name) = request.url.path().strip_prefix(&prefix) else {
            return not_found();
        };
        let mut state = self.state.lock().unwrap();
        match request.method.as_str() {
            "GET" => match state.secrets.get(name) {
                Some(secret) => ResponseTemplate::new(200).set_body_json(secret),
                None => not_found(),
            },
            "PATCH" => {
                let forced = request
                    .url
                    .query_pairs()
                    .any(|(key, value)| key == "force" && value == "true");
                if !forced {
                    return ResponseTemplate::new(409).set_body_json(json!({
                        "kind": "Status", "apiVersion": "v1", "status": "Failure",
                        "reason": "Conflict", "code": 409,
                        "message": "Apply failed with 1 conflict: conflict with \"kubectl-edit\""
                    }));
                }
                let mut secret: Value = serde_json::from_slice(&request.body).unwrap();
                state.version += 1;
                secret["metadata"]["resourceVersion"] = json!(state.version.to_string());
                state.applies.push(name.to_owned());
                state.secrets.insert(name.to_owned(), secret.clone());
                ResponseTemplate::new(200).set_body_json(secret)
            }
            _ => not_found(),
        }
    }
}

fn not_found() -> ResponseTemplate {
    ResponseTemplate::new(404).set_body_json(json!({
        "kind": "Status", "apiVersion": "v1", "status": "Failure",
        "reason": "NotFound", "code": 404, "message": "not found"
    }))
}

/// Harbor's project `library` and its robot accounts: create, list, read, refresh, and
/// `GET /users/current`, which returns 412 to the robot with its current secret (it is no
/// user), 200 to the admin and 401 to anyone else.
#[derive(Clone, Default)]
struct FakeHarbor {
    state: Arc<Mutex<FakeHarborState>>,
}

#[derive(Default)]
struct FakeHarborState {
    robot: Option<Value>,
    secret: Option<String>,
    creates: usize,
    refreshes: usize,
    rejected_logins: usize,
    /// Status that `GET /users/current` returns to the robot instead of 412, when set.
    robot_login_status: Option<u16>,
}

impl FakeHarbor {
    async fn start() -> (Self, MockServer) {
        let fake = Self::default();
        let server = MockServer::start().await;
        Mock::given(any())
            .respond_with(fake.clone())
            .mount(&server)
            .await;
        (fake, server)
    }

    fn counts(&self) -> (usize, usize) {
        let state = self.state.lock().unwrap();
        (state.creates, state.refreshes)
    }

    /// Changes the robot's secret behind the store's back, as a refresh by someone else would.
    fn change_secret(&self, secret: &str) {
        self.state.lock().unwrap().secret = Some(secret.to_owned());
    }
}

impl Respond for FakeHarbor {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let mut state = self.state.lock().unwrap();
        let path = request.url.path().trim_start_matches("/api/v2.0");
        match (request.method.as_str(), path) {
            ("GET", "/projects/library") => ResponseTemplate::new(200)
                .set_body_json(json!({"project_id": 1, "name": "library"})),
            ("GET", "/robots") => {
                let robots: Vec<Value> = state.robot.iter().cloned().collect();
                ResponseTemplate::new(200)
                    .insert_header("X-Total-Count", robots.len().to_string())
                    .set_body_json(robots)
            }
            ("POST", "/robots") => {
                let mut robot: Value = serde_json::from_slice(&request.body).unwrap();
                robot["id"] = json!(7);
                robot["name"] = json!(ROBOT_LOGIN);
                state.creates += 1;
                let secret = format!("Created{}Secret", state.creates);
                state.secret = Some(secret.clone());
                state.robot = Some(robot);
                ResponseTemplate::new(201)
                    .insert_header("Location", "/api/v2.0/robots/7")
                    .set_body_json(json!({"id": 7, "name": ROBOT_LOGIN, "secret": secret}))
            }
            ("GET", "/robots/7") => match &state.robot {
                Some(robot) => ResponseTemplate::new(200).set_body_json(robot),
                None => ResponseTemplate::new(404),
            },
            ("PATCH", "/robots/7") => {
                state.refreshes += 1;
                let secret = format!("Refreshed{}Secret", state.refreshes);
                state.secret = Some(secret.clone());
                ResponseTemplate::new(200).set_body_json(json!({"secret": secret}))
            }
            ("GET", "/users/current") => {
                let sent = request
                    .headers
                    .get("authorization")
                    .and_then(|value| value.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                let robot = state
                    .secret
                    .as_ref()
                    .map(|secret| basic(ROBOT_LOGIN, secret));
                if sent == basic("admin", "Harbor12345-EXAMPLE") {
                    ResponseTemplate::new(200).set_body_json(json!({"username": "admin"}))
                } else if let (Some(status), true) =
                    (state.robot_login_status, Some(&sent) == robot.as_ref())
                {
                    ResponseTemplate::new(status)
                } else if Some(&sent) == robot.as_ref() {
                    ResponseTemplate::new(412).set_body_json(json!({"errors": [{
                        "code": "PRECONDITION",
                        "message": "get current user not available for a robot"
                    }]}))
                } else {
                    state.rejected_logins += 1;
                    ResponseTemplate::new(401).set_body_json(
                        json!({"errors": [{"code": "UNAUTHORIZED", "message": "unauthorized"}]}),
                    )
                }
            }
            _ => ResponseTemplate::new(404),
        }
    }
}

fn basic(username: &str, password: &str) -> String {
    format!(
        "Basic {}",
        encode_base64(format!("{username}:{password}").as_bytes())
    )
}

const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn encode_base64(bytes: &[u8]) -> String {
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let buffer = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let bits = u32::from_be_bytes([0, buffer[0], buffer[1], buffer[2]]);
        for index in 0..4 {
            if index <= chunk.len() {
                out.push(BASE64[(bits >> (18 - 6 * index) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn decode_base64(text: &str) -> Vec<u8> {
    let mut bits = 0u32;
    let mut count = 0;
    let mut out = Vec::new();
    for byte in text.bytes().filter(|byte| *byte != b'=') {
        let value = BASE64.iter().position(|entry| *entry == byte).unwrap() as u32;
        bits = bits << 6 | value;
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count & 0xff) as u8);
        }
    }
    out
}

fn kube_client(server: &MockServer) -> kube::Client {
    let config = kube::Config::new(server.uri().parse().unwrap());
    kube::Client::try_from(config).unwrap()
}

fn harbor_admin(server: &MockServer) -> harbor_client::Client {
    harbor_client::Client::builder(server.uri())
        .credentials(harbor_client::Credentials::basic(
            "admin",
            SecretString::from("Harbor12345-EXAMPLE"),
        ))
        .build()
        .unwrap()
}

fn import_robot() -> RobotSpec {
    RobotSpec::new("acr-import", RobotLevel::Project("library".to_owned()))
        .unwrap()
        .description("Pulls images for ACR importImage")
        .permission(RobotPermissionSpec::project(
            "library",
            [("repository", "pull")],
        ))
}

/// Runs apply's ACR password step: keep `password1` of token `harbor-push`.
async fn acr_password_step(
    store: &CredentialStore,
    acr: &acr_client::AcrManagementClient,
    rotate: bool,
) -> KeptCredential {
    store
        .keep_acr_password(
            acr,
            &RegistryName::new("exampleacr").unwrap(),
            &TokenName::new("harbor-push").unwrap(),
            PasswordName::Password1,
            rotate,
        )
        .await
        .unwrap()
}

/// Runs apply's robot step: ensure the robot, then keep its secret.
async fn robot_step(store: &CredentialStore, harbor: &MockServer, rotate: bool) -> KeptCredential {
    let admin = harbor_admin(harbor);
    let ensured = ensure_robot(&admin, &import_robot())
        .await
        .unwrap()
        .into_resource();
    store
        .keep_robot_secret(&admin, &harbor.uri(), &ensured, ROBOT_LOGIN, rotate)
        .await
        .unwrap()
}

#[tokio::test]
async fn acr_password_kept_across_runs() {
    let (acr, acr_server) = FakeAcr::start("exampleacr").await;
    acr.set_token("harbor-push", "harbor-push-scope-map");
    let client = support::acr_client(&acr_server.uri());
    let (secrets, kube_server) = FakeSecrets::start().await;
    let store = CredentialStore::new(kube_client(&kube_server), NAMESPACE);

    let first = acr_password_step(&store, &client, false).await;

    assert_eq!(first.change, CredentialChange::Created);
    assert_eq!(first.username, "harbor-push");
    assert_eq!(first.secret.expose_secret(), FakeAcr::password_value(1));
    assert_eq!(acr.generated_passwords(), 1);
    assert_eq!(secrets.applies(), [ACR_PASSWORD_SECRET]);
    assert_eq!(
        secrets.value(ACR_PASSWORD_SECRET, "password").as_deref(),
        Some(FakeAcr::password_value(1).as_str())
    );

    let second = acr_password_step(&store, &client, false).await;

    assert_eq!(second.change, CredentialChange::Kept);
    assert_eq!(second.secret.expose_secret(), FakeAcr::password_value(1));
    assert_eq!(
        acr.generated_passwords(),
        1,
        "the second run generates nothing"
    );
    assert_eq!(
        secrets.applies().len(),
        1,
        "the second run writes no Secret"
    );

    let rotated = acr_password_step(&store, &client, true).await;

    assert_eq!(
        rotated.change,
        CredentialChange::Replaced(Replacement::Rotation)
    );
    assert_eq!(rotated.secret.expose_secret(), FakeAcr::password_value(2));
    assert_eq!(acr.generated_passwords(), 2);
    assert_eq!(
        secrets.value(ACR_PASSWORD_SECRET, "password").as_deref(),
        Some(FakeAcr::password_value(2).as_str())
    );
    assert_eq!(
        acr.token_writes().last().map(String::as_str),
        Some("POST generateCredentials harbor-push password1")
    );
}

#[tokio::test]
async fn acr_password_regenerated_elsewhere_is_replaced() {
    let (acr, acr_server) = FakeAcr::start("exampleacr").await;
    acr.set_token("harbor-push", "harbor-push-scope-map");
    let client = support::acr_client(&acr_server.uri());
    let (secrets, kube_server) = FakeSecrets::start().await;
    let store = CredentialStore::new(kube_client(&kube_server), NAMESPACE);
    acr_password_step(&store, &client, false).await;
    assert!(
        secrets
            .annotation(ACR_PASSWORD_SECRET, "harbor-azure/password-created")
            .is_some(),
        "the creation time is kept, read from the token"
    );

    // Another tool regenerates the same slot, so the kept password no longer works.
    client
        .generate_token_password(
            &RegistryName::new("exampleacr").unwrap(),
            &TokenName::new("harbor-push").unwrap(),
            PasswordName::Password1,
            None,
        )
        .await
        .unwrap();
    let next = acr_password_step(&store, &client, false).await;

    assert!(
        matches!(
            next.change,
            CredentialChange::Replaced(Replacement::Regenerated { .. })
        ),
        "{:?}",
        next.change
    );
    assert_eq!(next.secret.expose_secret(), FakeAcr::password_value(3));
    assert_eq!(
        secrets.value(ACR_PASSWORD_SECRET, "password").as_deref(),
        Some(FakeAcr::password_value(3).as_str())
    );
}

#[tokio::test]
async fn acr_password_renewed_before_expiry() {
    let (acr, acr_server) = FakeAcr::start("exampleacr").await;
    acr.set_token("harbor-push", "harbor-push-scope-map");
    let client = support::acr_client(&acr_server.uri());
    let (_secrets, kube_server) = FakeSecrets::start().await;
    let store = CredentialStore::new(kube_client(&kube_server), NAMESPACE);
    acr_password_step(&store, &client, false).await;
    // The fake ARM's clock is set to 2026-01-01, so this expiry lies within the 7-day margin.
    acr.set_password_expiry("harbor-push", "password1", "2026-01-05T00:00:00Z");

    let renewed = acr_password_step(&store, &client, false).await;

    let CredentialChange::Replaced(Replacement::Renewal(renewal)) = &renewed.change else {
        panic!("expected a renewal, got {:?}", renewed.change);
    };
    assert_eq!(
        renewal.to_string(),
        "the password expires at 2026-01-05T00:00:00Z, within the renewal margin of 7 days"
    );
    assert_eq!(acr.generated_passwords(), 2);
}

#[tokio::test]
async fn robot_secret_kept_across_runs() {
    let (harbor, harbor_server) = FakeHarbor::start().await;
    let (secrets, kube_server) = FakeSecrets::start().await;
    let store = CredentialStore::new(kube_client(&kube_server), NAMESPACE);

    let first = robot_step(&store, &harbor_server, false).await;

    assert_eq!(first.change, CredentialChange::Created);
    assert_eq!(first.username, ROBOT_LOGIN);
    assert_eq!(first.secret.expose_secret(), "Created1Secret");
    assert_eq!(harbor.counts(), (1, 0));
    assert_eq!(
        secrets.value(ROBOT_SECRET_SECRET, "password").as_deref(),
        Some("Created1Secret")
    );

    let second = robot_step(&store, &harbor_server, false).await;

    assert_eq!(second.change, CredentialChange::Kept);
    assert_eq!(second.secret.expose_secret(), "Created1Secret");
    assert_eq!(harbor.counts(), (1, 0), "the second run refreshes nothing");
    assert_eq!(
        secrets.applies().len(),
        1,
        "the second run writes no Secret"
    );

    let rotated = robot_step(&store, &harbor_server, true).await;

    assert_eq!(
        rotated.change,
        CredentialChange::Replaced(Replacement::Rotation)
    );
    assert_eq!(rotated.secret.expose_secret(), "Refreshed1Secret");
    assert_eq!(harbor.counts(), (1, 1));
    assert_eq!(
        secrets.value(ROBOT_SECRET_SECRET, "password").as_deref(),
        Some("Refreshed1Secret")
    );
}

#[tokio::test]
async fn robot_secret_refreshed_when_rejected() {
    let (harbor, harbor_server) = FakeHarbor::start().await;
    let (secrets, kube_server) = FakeSecrets::start().await;
    let store = CredentialStore::new(kube_client(&kube_server), NAMESPACE);
    robot_step(&store, &harbor_server, false).await;
    harbor.change_secret("ChangedElsewhere-EXAMPLE");

    let after = robot_step(&store, &harbor_server, false).await;

    assert_eq!(
        after.change,
        CredentialChange::Replaced(Replacement::LoginRejected)
    );
    assert_eq!(after.secret.expose_secret(), "Refreshed1Secret");
    assert_eq!(harbor.state.lock().unwrap().rejected_logins, 1);
    assert_eq!(
        secrets.value(ROBOT_SECRET_SECRET, "password").as_deref(),
        Some("Refreshed1Secret")
    );
}

#[tokio::test]
async fn robot_login_server_error_keeps_secret() {
    let (harbor, harbor_server) = FakeHarbor::start().await;
    let (secrets, kube_server) = FakeSecrets::start().await;
    let store = CredentialStore::new(kube_client(&kube_server), NAMESPACE);
    let first = robot_step(&store, &harbor_server, false).await;
    harbor.state.lock().unwrap().robot_login_status = Some(500);

    let admin = harbor_admin(&harbor_server);
    let ensured = ensure_robot(&admin, &import_robot())
        .await
        .unwrap()
        .into_resource();
    let error = store
        .keep_robot_secret(&admin, &harbor_server.uri(), &ensured, ROBOT_LOGIN, false)
        .await
        .unwrap_err();

    let mut chain = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(next) = source {
        chain.push_str(&format!(": {next}"));
        source = next.source();
    }
    assert!(chain.contains("500"), "{chain}");
    assert_eq!(
        harbor.state.lock().unwrap().refreshes,
        0,
        "no refresh on a server error"
    );
    assert_eq!(
        secrets.value(ROBOT_SECRET_SECRET, "password").as_deref(),
        Some(first.secret.expose_secret())
    );
}

#[tokio::test]
async fn existing_robot_without_kept_secret_is_refreshed() {
    let (harbor, harbor_server) = FakeHarbor::start().await;
    let (_first_secrets, first_kube) = FakeSecrets::start().await;
    robot_step(
        &CredentialStore::new(kube_client(&first_kube), NAMESPACE),
        &harbor_server,
        false,
    )
    .await;
    // Another cluster, or a deleted Secret: the robot exists but no secret is kept.
    let (secrets, kube_server) = FakeSecrets::start().await;
    let store = CredentialStore::new(kube_client(&kube_server), NAMESPACE);

    let after = robot_step(&store, &harbor_server, false).await;

    assert_eq!(
        after.change,
        CredentialChange::Replaced(Replacement::NotStored)
    );
    assert_eq!(harbor.counts(), (1, 1));
    assert_eq!(secrets.applies(), [ROBOT_SECRET_SECRET]);
}

#[test]
fn base64_helpers_round_trip() {
    assert_eq!(encode_base64(b"user1:s3cr3t"), "dXNlcjE6czNjcjN0");
    assert_eq!(encode_base64(b"ab"), "YWI=");
    assert_eq!(decode_base64("YWI="), b"ab");
    assert_eq!(decode_base64(&encode_base64(b"robot$x:y")), b"robot$x:y");
}

/// Starts a Harbor stand-in with endpoint `exampleacr` (id 3) whose ping returns `ping_status`.
async fn harbor_with_endpoint(ping_status: u16) -> MockServer {
    use wiremock::matchers::{method, path};

    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v2.0/registries"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("X-Total-Count", "1")
                .set_body_json(json!([{
                    "id": 3, "name": "exampleacr", "type": "azure-acr",
                    "url": "https://exampleacr.azurecr.io",
                    "credential": {"type": "basic", "access_key": "harbor-push", "access_secret": "*****"}
                }])),
        )
        .mount(&server)
        .await;
    let ping = if ping_status == 200 {
        ResponseTemplate::new(200)
    } else {
        ResponseTemplate::new(ping_status).set_body_json(json!({"errors": [{
            "code": "BAD_REQUEST", "message": "failed to ping registry"
        }]}))
    };
    Mock::given(method("POST"))
        .and(path("/api/v2.0/registries/ping"))
        .and(wiremock::matchers::body_json(json!({"id": 3})))
        .respond_with(ping)
        .expect(1)
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn endpoint_credential_checked_by_ping() {
    let working = harbor_with_endpoint(200).await;
    let failing = harbor_with_endpoint(400).await;

    let works = endpoint_credential_works(&harbor_admin(&working), "exampleacr")
        .await
        .unwrap();
    let fails = endpoint_credential_works(&harbor_admin(&failing), "exampleacr")
        .await
        .unwrap();

    assert!(works, "a passing ping keeps the stored password");
    assert!(!fails, "a failing ping asks for the kept password");
}

#[tokio::test]
async fn missing_endpoint_needs_no_ping() {
    use wiremock::matchers::{method, path};

    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v2.0/registries"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("X-Total-Count", "0")
                .set_body_json(json!([])),
        )
        .mount(&server)
        .await;

    let works = endpoint_credential_works(&harbor_admin(&server), "exampleacr")
        .await
        .unwrap();

    assert!(works);
    let requests = server.received_requests().await.unwrap();
    assert!(
        requests
            .iter()
            .all(|request| request.method.as_str() == "GET"),
        "no ping without an endpoint"
    );
}

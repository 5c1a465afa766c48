//! ARM and the ACR data plane for one registry: registry GET, `importImage` with 202 and
//! `Azure-AsyncOperation` polling, the data-plane token exchange and manifest HEADs, and the
//! scope maps, tokens and `generateCredentials` of the registry.
//!
//! An import changes the target tags when its operation is polled and succeeds, so a
//! later HEAD sees the imported digest.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use super::{RESOURCE_GROUP, SUBSCRIPTION};

/// An unsigned JWT that expires in 2100, for the data-plane token exchange.
const DATA_PLANE_JWT: &str = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJleHAiOjQxMDI0NDQ4MDB9.sig";

/// One `importImage` request as received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedImport {
    /// `source.sourceImage`, such as `library/nginx@sha256:...`.
    pub source_image: String,
    /// `targetTags`.
    pub target_tags: Vec<String>,
    /// `mode`.
    pub mode: String,
    /// `source.resourceId`, set when the source is another ACR.
    pub resource_id: Option<String>,
    /// `source.registryUri`, set when the source is a registry address.
    pub registry_uri: Option<String>,
}

#[derive(Debug, Default)]
struct State {
    /// `repository:tag` to digest.
    tags: BTreeMap<String, String>,
    imports: Vec<ReceivedImport>,
    /// Operation id to the index of its import, until the operation is polled to its end.
    operations: BTreeMap<usize, usize>,
    /// Source repositories whose next import fails.
    failing: BTreeSet<String>,
    in_flight: usize,
    max_in_flight: usize,
    /// Scope map name to its action list.
    scope_maps: BTreeMap<String, Vec<String>>,
    /// Token name to its scope map id and status.
    tokens: BTreeMap<String, (String, String)>,
    /// Token name to its password slots, each with its expiry (RFC 3339) when it has one.
    passwords: BTreeMap<String, BTreeMap<String, Option<String>>>,
    /// Token name to the creation time (RFC 3339) of each password generated through the fake,
    /// which the token lists as ARM does and `generateCredentials` does not return.
    password_created: BTreeMap<String, BTreeMap<String, String>>,
    /// ARM writes to scope maps and tokens, and `generateCredentials` calls, as `METHOD name`.
    token_writes: Vec<String>,
}

/// The registry `name` in the fake ARM and its data plane.
#[derive(Debug, Clone)]
pub struct FakeAcr {
    name: String,
    /// URI of the server, because wiremock hands the responder a URL without the port.
    base: Arc<Mutex<String>>,
    state: Arc<Mutex<State>>,
}

impl FakeAcr {
    /// Starts ARM and the data plane of registry `name` on 127.0.0.1.
    pub async fn start(name: &str) -> (Self, MockServer) {
        let fake = Self {
            name: name.to_owned(),
            base: Arc::default(),
            state: Arc::default(),
        };
        let server = MockServer::start().await;
        *fake.base.lock().unwrap() = server.uri();
        Mock::given(any())
            .respond_with(fake.clone())
            .mount(&server)
            .await;
        (fake, server)
    }

    /// Points the target `image` (`repository:tag`) at `digest`.
    pub fn set_tag(&self, image: &str, digest: &str) {
        self.lock().tags.insert(image.to_owned(), digest.to_owned());
    }

    /// Returns the digest of the target `image`, when the tag exists.
    pub fn tag(&self, image: &str) -> Option<String> {
        self.lock().tags.get(image).cloned()
    }

    /// Makes the next import of `repository` fail with `InvalidParameters`.
    pub fn fail_next_import(&self, repository: &str) {
        self.lock().failing.insert(repository.to_owned());
    }

    /// Returns every `importImage` request received so far.
    pub fn imports(&self) -> Vec<ReceivedImport> {
        self.lock().imports.clone()
    }

    /// Returns the largest number of imports that were running at the same time.
    pub fn max_in_flight(&self) -> usize {
        self.lock().max_in_flight
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap()
    }

    fn registry_path(&self) -> String {
        format!(
            "/subscriptions/{SUBSCRIPTION}/resourceGroups/{RESOURCE_GROUP}/providers/Microsoft.ContainerRegistry/registries/{}",
            self.name
        )
    }

    fn registry_body(&self) -> Value {
        json!({
            "id": self.registry_path(),
            "name": self.name,
            "location": "westeurope",
            "sku": {"name": "Premium", "tier": "Premium"},
            "properties": {
                "loginServer": format!("{}.azurecr.io", self.name),
                "provisioningState": "Succeeded"
            }
        })
    }

    fn start_import(&self, request: &Request) -> ResponseTemplate {
        let body: Value = match serde_json::from_slice(&request.body) {
            Ok(body) => body,
            Err(_) => return ResponseTemplate::new(400),
        };
        let import = ReceivedImport {
            source_image: body["source"]["sourceImage"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            target_tags: body["targetTags"]
                .as_array()
                .map(|tags| {
                    tags.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default(),
            mode: body["mode"].as_str().unwrap_or_default().to_owned(),
            resource_id: body["source"]["resourceId"].as_str().map(str::to_owned),
            registry_uri: body["source"]["registryUri"].as_str().map(str::to_owned),
        };
        let mut state = self.lock();
        state.imports.push(import);
        let index = state.imports.len() - 1;
        let operation = index + 1;
        state.operations.insert(operation, index);
        state.in_flight += 1;
        state.max_in_flight = state.max_in_flight.max(state.in_flight);
        let location = format!(
            "{}/operations/import-{operation}",
            self.base.lock().unwrap()
        );
        ResponseTemplate::new(202)
            .insert_header("Azure-AsyncOperation", location.as_str())
            .insert_header("Retry-After", "1")
    }

    fn poll_import(&self, operation: &str) -> ResponseTemplate {
        let Some(operation) = operation.parse::<usize>().ok() else {
            return ResponseTemplate::new(404);
        };
        let mut state = self.lock();
        let Some(index) = state.operations.remove(&operation) else {
            return ResponseTemplate::new(404);
        };
        state.in_flight -= 1;
        let import = state.imports[index].clone();
        let (repository, digest) = import
            .source_image
            .split_once('@')
            .unwrap_or((import.source_image.as_str(), ""));
        if state.failing.remove(repository) {
            return ResponseTemplate::new(200).set_body_json(json!({
                "status": "Failed",
                "error": {"code": "InvalidParameters", "message": format!("fake failure importing {repository}")}
            }));
        }
        for tag in &import.target_tags {
            state.tags.insert(tag.clone(), digest.to_owned());
        }
        ResponseTemplate::new(200).set_body_json(json!({"status": "Succeeded"}))
    }

    fn head_manifest(&self, path: &str) -> ResponseTemplate {
        let image = path
            .strip_prefix("/v2/")
            .and_then(|rest| rest.split_once("/manifests/"));
        let Some((repository, reference)) = image else {
            return ResponseTemplate::new(404);
        };
        let state = self.lock();
        let digest = if reference.contains(':') {
            state
                .tags
                .iter()
                .find(|(image, digest)| {
                    image.starts_with(&format!("{repository}:")) && digest.as_str() == reference
                })
                .map(|(_, digest)| digest.clone())
        } else {
            state
                .tags
                .get(&format!("{repository}:{reference}"))
                .cloned()
        };
        match digest {
            Some(digest) => {
                ResponseTemplate::new(200).insert_header("Docker-Content-Digest", digest.as_str())
            }
            None => ResponseTemplate::new(404),
        }
    }
}

impl Respond for FakeAcr {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let path = request.url.path();
        let registry = self.registry_path();
        match (request.method.as_str(), path) {
            ("GET", path) if path == registry => {
                ResponseTemplate::new(200).set_body_json(self.registry_body())
            }
            ("POST", path) if path == format!("{registry}/importImage") => self.start_import(request),
            ("GET", path) if path.starts_with("/operations/import-") => {
                self.poll_import(&path["/operations/import-".len()..])
            }
            (_, path) if path.starts_with(&format!("{registry}/scopeMaps/")) => {
                self.scope_map_route(request, &path[registry.len() + "/scopeMaps/".len()..])
            }
            (_, path) if path.starts_with(&format!("{registry}/tokens/")) => {
                self.token_route(request, &path[registry.len() + "/tokens/".len()..])
            }
            ("POST", path) if path == format!("{registry}/generateCredentials") => {
                self.generate_credentials(request)
            }
            ("POST", "/oauth2/exchange") => {
                ResponseTemplate::new(200).set_body_json(json!({"refresh_token": DATA_PLANE_JWT}))
            }
            ("POST", "/oauth2/token") => {
                ResponseTemplate::new(200).set_body_json(json!({"access_token": DATA_PLANE_JWT}))
            }
            ("HEAD", path) => self.head_manifest(path),
            _ => ResponseTemplate::new(404).set_body_json(json!({
                "error": {"code": "NotFound", "message": format!("the fake has no route for {} {path}", request.method)}
            })),
        }
    }
}

/// Scope maps, tokens and `generateCredentials`. Writes return 200 with the resource in state
/// `Succeeded`, so the client's long-running operations finish without polling.
impl FakeAcr {
    /// Stores scope map `name` with `actions`, as if created earlier.
    pub fn set_scope_map(&self, name: &str, actions: &[&str]) {
        let actions = actions.iter().map(|action| (*action).to_owned()).collect();
        self.lock().scope_maps.insert(name.to_owned(), actions);
    }

    /// Returns the actions of scope map `name`, when it exists.
    pub fn scope_map_actions(&self, name: &str) -> Option<Vec<String>> {
        self.lock().scope_maps.get(name).cloned()
    }

    /// Stores an enabled token `name` bound to scope map `scope_map`, as if created earlier.
    pub fn set_token(&self, name: &str, scope_map: &str) {
        let scope_map_id = format!("{}/scopeMaps/{scope_map}", self.registry_path());
        self.lock()
            .tokens
            .insert(name.to_owned(), (scope_map_id, "enabled".to_owned()));
    }

    /// Stores a password in `slot` (`password1` or `password2`) of token `name` that expires
    /// at `expiry` (RFC 3339), as if generated earlier.
    pub fn set_password_expiry(&self, name: &str, slot: &str, expiry: &str) {
        self.lock()
            .passwords
            .entry(name.to_owned())
            .or_default()
            .insert(slot.to_owned(), Some(expiry.to_owned()));
    }

    /// Returns the scope map id and status of token `name`, when it exists.
    pub fn token_state(&self, name: &str) -> Option<(String, String)> {
        self.lock().tokens.get(name).cloned()
    }

    /// Returns the scope map and token writes and the `generateCredentials` calls received, as
    /// `PUT scopeMaps/NAME`, `PATCH tokens/NAME` or `POST generateCredentials NAME PASSWORD`.
    pub fn token_writes(&self) -> Vec<String> {
        self.lock().token_writes.clone()
    }

    /// Counts the passwords generated so far.
    pub fn generated_passwords(&self) -> usize {
        self.lock()
            .token_writes
            .iter()
            .filter(|write| write.starts_with("POST generateCredentials"))
            .count()
    }

    /// Returns the password value the fake generates as the `count`-th password (from 1).
    pub fn password_value(count: usize) -> String {
        format!("s3cr3t-generated-{count}")
    }

    fn scope_map_body(&self, name: &str, actions: &[String]) -> Value {
        json!({
            "id": format!("{}/scopeMaps/{name}", self.registry_path()),
            "name": name,
            "properties": {
                "type": "UserDefined",
                "actions": actions,
                "provisioningState": "Succeeded"
            }
        })
    }

    /// Returns the token as ARM does: its password list carries names and expiries, never
    /// values, and is left out while the token has no password.
    fn token_body(
        &self,
        name: &str,
        scope_map_id: &str,
        status: &str,
        passwords: Option<&BTreeMap<String, Option<String>>>,
        created: Option<&BTreeMap<String, String>>,
    ) -> Value {
        let mut body = json!({
            "id": format!("{}/tokens/{name}", self.registry_path()),
            "name": name,
            "properties": {
                "scopeMapId": scope_map_id,
                "status": status,
                "provisioningState": "Succeeded"
            }
        });
        if let Some(passwords) = passwords.filter(|passwords| !passwords.is_empty()) {
            let listed: Vec<Value> = passwords
                .iter()
                .map(|(slot, expiry)| {
                    let mut listed = json!({"name": slot});
                    if let Some(expiry) = expiry {
                        listed["expiry"] = json!(expiry);
                    }
                    if let Some(time) = created.and_then(|created| created.get(slot)) {
                        listed["creationTime"] = json!(time);
                    }
                    listed
                })
                .collect();
            body["properties"]["credentials"] = json!({"passwords": listed});
        }
        body
    }

    fn scope_map_route(&self, request: &Request, name: &str) -> ResponseTemplate {
        let method = request.method.as_str();
        let mut state = self.lock();
        if method != "GET" {
            let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
            let Some(actions) = body["properties"]["actions"].as_array() else {
                return ResponseTemplate::new(400);
            };
            let actions = actions
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect();
            state
                .token_writes
                .push(format!("{method} scopeMaps/{name}"));
            state.scope_maps.insert(name.to_owned(), actions);
        }
        match state.scope_maps.get(name) {
            Some(actions) => {
                ResponseTemplate::new(200).set_body_json(self.scope_map_body(name, actions))
            }
            None => not_found(&format!("scope map {name}")),
        }
    }

    fn token_route(&self, request: &Request, name: &str) -> ResponseTemplate {
        let method = request.method.as_str();
        let mut state = self.lock();
        if method != "GET" {
            let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
            let properties = &body["properties"];
            let current = state.tokens.get(name).cloned();
            let scope_map_id = properties["scopeMapId"]
                .as_str()
                .map(str::to_owned)
                .or(current.as_ref().map(|(id, _)| id.clone()));
            let status = properties["status"]
                .as_str()
                .map(str::to_owned)
                .or(current.map(|(_, status)| status))
                .unwrap_or_else(|| "enabled".to_owned());
            let Some(scope_map_id) = scope_map_id else {
                return ResponseTemplate::new(400);
            };
            state.token_writes.push(format!("{method} tokens/{name}"));
            state.tokens.insert(name.to_owned(), (scope_map_id, status));
        }
        match state.tokens.get(name) {
            Some((scope_map_id, status)) => {
                ResponseTemplate::new(200).set_body_json(self.token_body(
                    name,
                    scope_map_id,
                    status,
                    state.passwords.get(name),
                    state.password_created.get(name),
                ))
            }
            None => not_found(&format!("token {name}")),
        }
    }

    fn generate_credentials(&self, request: &Request) -> ResponseTemplate {
        let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
        let token_id = body["tokenId"].as_str().unwrap_or_default();
        let Some(name) = token_id.rsplit('/').next().filter(|name| !name.is_empty()) else {
            return ResponseTemplate::new(400);
        };
        let password = body["name"].as_str().unwrap_or("password1").to_owned();
        let mut state = self.lock();
        if !state.tokens.contains_key(name) {
            return not_found(&format!("token {name}"));
        }
        state
            .token_writes
            .push(format!("POST generateCredentials {name} {password}"));
        let expiry = body["expiry"].as_str().map(str::to_owned);
        state
            .passwords
            .entry(name.to_owned())
            .or_default()
            .insert(password.clone(), expiry);
        let count = state
            .token_writes
            .iter()
            .filter(|write| write.starts_with("POST generateCredentials"))
            .count();
        // One second apart per generated password, so each generation has its own time.
        state
            .password_created
            .entry(name.to_owned())
            .or_default()
            .insert(
                password.clone(),
                format!("2026-01-01T00:00:{:02}Z", count % 60),
            );
        ResponseTemplate::new(200).set_body_json(json!({
            "username": name,
            "passwords": [{"name": password, "value": Self::password_value(count)}]
        }))
    }
}

fn not_found(what: &str) -> ResponseTemplate {
    ResponseTemplate::new(404).set_body_json(json!({
        "error": {"code": "ResourceNotFound", "message": format!("{what} not found in the fake")}
    }))
}

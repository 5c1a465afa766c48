//! The Harbor endpoints that replication workflows call: registry endpoints with ping,
//! replication policies and executions. Every request is recorded.
//!
//! An execution reports `InProgress` on its first GET and `Succeed` from then on, or `Failed`
//! with one failed task when its policy is listed in [`HarborState::failing_policies`].

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use harbor_client::generated::models::{Registry, ReplicationExecution, ReplicationPolicy};
use harbor_client::{Client, RetryPolicy};
use serde_json::{Value, json};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const PREFIX: &str = "/api/v2.0";

/// Everything the fake stores.
#[derive(Debug, Default)]
pub struct HarborState {
    /// Requests received, as `METHOD path` below `/api/v2.0`.
    pub requests: Vec<String>,
    /// Last id handed out, shared by all resource kinds.
    pub last_id: i64,
    /// Endpoint URLs whose ping fails with 400.
    pub unreachable: BTreeSet<String>,
    pub registries: Vec<Registry>,
    pub policies: Vec<ReplicationPolicy>,
    /// Executions by id, with the number of GETs received.
    pub executions: BTreeMap<i64, (ReplicationExecution, usize)>,
    /// Names of policies whose executions end `Failed`, with one of two tasks failed.
    pub failing_policies: BTreeSet<String>,
    /// Whether `GET /replication/policies/{id}` leaves out the policy's `id`, as a malformed
    /// response would.
    pub policy_get_without_id: bool,
}

/// A running fake Harbor.
#[derive(Debug)]
pub struct FakeHarbor {
    pub server: MockServer,
    state: Arc<Mutex<HarborState>>,
}

impl FakeHarbor {
    /// Starts the fake on 127.0.0.1 with an empty state.
    pub async fn start() -> Self {
        let server = MockServer::start().await;
        let state = Arc::new(Mutex::new(HarborState::default()));
        Mock::given(any())
            .respond_with(Router(Arc::clone(&state)))
            .mount(&server)
            .await;
        Self { server, state }
    }

    /// Returns a client without retries whose sleeper returns at once.
    pub fn client(&self) -> Client {
        Client::builder(self.server.uri())
            .retry_policy(RetryPolicy::disabled())
            .sleeper(|_: Duration| std::future::ready(()))
            .build()
            .expect("the Harbor client builds")
    }

    /// Locks the state, for seeding and inspection.
    pub fn state(&self) -> MutexGuard<'_, HarborState> {
        self.state.lock().unwrap()
    }

    /// Returns the received requests that change state: every POST, PUT, PATCH and DELETE
    /// except the pings, which only test a connection.
    pub fn writes(&self) -> Vec<String> {
        self.state()
            .requests
            .iter()
            .filter(|request| {
                ["POST ", "PUT ", "PATCH ", "DELETE "]
                    .iter()
                    .any(|method| request.starts_with(method))
                    && *request != "POST /registries/ping"
            })
            .cloned()
            .collect()
    }

    /// Counts the received requests that match `line` exactly, such as `POST /registries`.
    pub fn count(&self, line: &str) -> usize {
        self.state()
            .requests
            .iter()
            .filter(|request| *request == line)
            .count()
    }
}

struct Router(Arc<Mutex<HarborState>>);

impl Respond for Router {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let mut state = self.0.lock().unwrap();
        let path = request
            .url
            .path()
            .strip_prefix(PREFIX)
            .unwrap_or(request.url.path());
        state.requests.push(format!("{} {path}", request.method));
        let segments: Vec<&str> = path
            .split('/')
            .filter(|segment| !segment.is_empty())
            .collect();
        let query: BTreeMap<String, String> = request.url.query_pairs().into_owned().collect();
        let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
        match (request.method.as_str(), segments.as_slice()) {
            (_, ["registries", rest @ ..]) => {
                registries(&mut state, request.method.as_str(), rest, &query, body)
            }
            (_, ["replication", "policies", rest @ ..]) => {
                policies(&mut state, request.method.as_str(), rest, &query, body)
            }
            (_, ["replication", "executions", rest @ ..]) => {
                executions(&mut state, request.method.as_str(), rest, body)
            }
            _ => error(
                501,
                "NOT_IMPLEMENTED",
                &format!("the fake has no route for {path}"),
            ),
        }
    }
}

fn ok_json(value: impl serde::Serialize) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(value)
}

fn page<T: serde::Serialize>(items: Vec<T>) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .insert_header("X-Total-Count", items.len().to_string().as_str())
        .set_body_json(items)
}

fn error(status: u16, code: &str, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .set_body_json(json!({"errors": [{"code": code, "message": message}]}))
}

fn created(location: String) -> ResponseTemplate {
    ResponseTemplate::new(201).insert_header("Location", format!("{PREFIX}{location}").as_str())
}

fn next_id(state: &mut HarborState) -> i64 {
    state.last_id += 1;
    state.last_id
}

fn registries(
    state: &mut HarborState,
    method: &str,
    rest: &[&str],
    query: &BTreeMap<String, String>,
    body: Value,
) -> ResponseTemplate {
    match (method, rest) {
        ("GET", []) => {
            let name = query.get("name").map(String::as_str).unwrap_or("");
            let items: Vec<Registry> = state
                .registries
                .iter()
                .filter(|registry| registry.name.as_deref().unwrap_or("").contains(name))
                .map(masked)
                .collect();
            page(items)
        }
        ("POST", ["ping"]) => {
            // A ping by id tests the stored endpoint, with the fields the request gives.
            let stored = body["id"].as_i64().and_then(|id| {
                state
                    .registries
                    .iter()
                    .find(|registry| registry.id == Some(id))
            });
            if body["id"].is_i64() && stored.is_none() {
                return error(404, "NOT_FOUND", "registry not found");
            }
            let url = body["url"]
                .as_str()
                .or_else(|| stored.and_then(|registry| registry.url.as_deref()))
                .unwrap_or_default()
                .to_owned();
            if state.unreachable.contains(&url) {
                error(
                    400,
                    "BAD_REQUEST",
                    &format!("failed to ping endpoint {url}"),
                )
            } else {
                ResponseTemplate::new(200)
            }
        }
        ("POST", []) => {
            let mut registry: Registry = serde_json::from_value(body).unwrap_or_default();
            let id = next_id(state);
            registry.id = Some(id);
            registry.status = Some("healthy".to_owned());
            state.registries.push(registry);
            created(format!("/registries/{id}"))
        }
        ("GET", [id]) => state
            .registries
            .iter()
            .find(|registry| registry.id.map(|i| i.to_string()).as_deref() == Some(*id))
            .map_or_else(
                || error(404, "NOT_FOUND", "registry not found"),
                |registry| ok_json(masked(registry)),
            ),
        ("PUT", [id]) => {
            let Some(registry) = state
                .registries
                .iter_mut()
                .find(|registry| registry.id.map(|i| i.to_string()).as_deref() == Some(*id))
            else {
                return error(404, "NOT_FOUND", "registry not found");
            };
            update_registry(registry, &body);
            ResponseTemplate::new(200)
        }
        _ => error(404, "NOT_FOUND", "no such registry route"),
    }
}

/// Applies the fields of a `RegistryUpdate` that are present, as Harbor does.
fn update_registry(registry: &mut Registry, body: &Value) {
    let text = |key: &str| body[key].as_str().map(str::to_owned);
    if let Some(url) = text("url") {
        registry.url = Some(url);
    }
    if let Some(description) = text("description") {
        registry.description = Some(description);
    }
    if let Some(insecure) = body["insecure"].as_bool() {
        registry.insecure = Some(insecure);
    }
    let credential = registry.credential.get_or_insert_with(Default::default);
    if let Some(kind) = text("credential_type") {
        credential.r#type = Some(kind);
    }
    if let Some(key) = text("access_key") {
        credential.access_key = Some(key);
    }
    if let Some(secret) = text("access_secret") {
        credential.access_secret = Some(harbor_client::generated::Secret::new(&secret));
    }
}

/// Returns the registry as Harbor shows it, without the access secret.
fn masked(registry: &Registry) -> Registry {
    let mut registry = registry.clone();
    if let Some(credential) = registry.credential.as_mut() {
        credential.access_secret = Some(harbor_client::generated::Secret::new("*****"));
    }
    registry
}

fn policies(
    state: &mut HarborState,
    method: &str,
    rest: &[&str],
    query: &BTreeMap<String, String>,
    body: Value,
) -> ResponseTemplate {
    match (method, rest) {
        ("GET", []) => {
            let name = query.get("name").map(String::as_str).unwrap_or("");
            let items: Vec<ReplicationPolicy> = state
                .policies
                .iter()
                .filter(|policy| policy.name.as_deref().unwrap_or("").contains(name))
                .cloned()
                .collect();
            page(items)
        }
        ("POST", []) => {
            let mut policy: ReplicationPolicy = serde_json::from_value(body).unwrap_or_default();
            let id = next_id(state);
            policy.id = Some(id);
            // Harbor stores a missing replace count as -1 and reads only `deletion`.
            policy.dest_namespace_replace_count.get_or_insert(-1);
            let deletion = policy.deletion.unwrap_or(false);
            policy.deletion = Some(deletion);
            policy.replicate_deletion = Some(deletion);
            if policy.src_registry.is_none() {
                policy.src_registry = Some(Registry {
                    id: Some(0),
                    name: Some("Local".to_owned()),
                    ..Registry::default()
                });
            }
            state.policies.push(policy);
            created(format!("/replication/policies/{id}"))
        }
        ("GET", [id]) => {
            let Some(policy) = state
                .policies
                .iter()
                .find(|policy| policy.id.map(|i| i.to_string()).as_deref() == Some(*id))
            else {
                return error(404, "NOT_FOUND", "policy not found");
            };
            let mut policy = policy.clone();
            if state.policy_get_without_id {
                policy.id = None;
            }
            ok_json(policy)
        }
        _ => error(404, "NOT_FOUND", "no such policy route"),
    }
}

fn executions(
    state: &mut HarborState,
    method: &str,
    rest: &[&str],
    body: Value,
) -> ResponseTemplate {
    match (method, rest) {
        ("POST", []) => {
            let id = next_id(state);
            let execution = ReplicationExecution {
                id: Some(id),
                policy_id: body["policy_id"].as_i64(),
                total: Some(2),
                ..ReplicationExecution::default()
            };
            state.executions.insert(id, (execution, 0));
            created(format!("/replication/executions/{id}"))
        }
        ("GET", [id]) => {
            let Some((execution, polls)) = id
                .parse::<i64>()
                .ok()
                .and_then(|id| state.executions.get_mut(&id))
            else {
                return error(404, "NOT_FOUND", "execution not found");
            };
            *polls += 1;
            let mut current = execution.clone();
            let polls = *polls;
            let fails = is_failing(&state.policies, &state.failing_policies, &current);
            if polls == 1 {
                current.status = Some("InProgress".to_owned());
                current.in_progress = Some(1);
                current.succeed = Some(1);
            } else if fails {
                current.status = Some("Failed".to_owned());
                current.in_progress = Some(0);
                current.succeed = Some(1);
                current.failed = Some(1);
            } else {
                current.status = Some("Succeed".to_owned());
                current.in_progress = Some(0);
                current.succeed = Some(2);
            }
            ok_json(current)
        }
        ("GET", [id, "tasks"]) => {
            let Some((execution, _)) = id
                .parse::<i64>()
                .ok()
                .and_then(|id| state.executions.get(&id))
            else {
                return error(404, "NOT_FOUND", "execution not found");
            };
            let execution_id = execution.id.unwrap_or_default();
            let tasks = if is_failing(&state.policies, &state.failing_policies, execution) {
                vec![json!({
                    "id": FAILED_TASK_OFFSET + execution_id,
                    "execution_id": execution_id,
                    "status": "Failed",
                    "src_resource": "library/nginx:1.25.3",
                    "dst_resource": "exampleacr.azurecr.io/mirror/nginx:1.25.3"
                })]
            } else {
                Vec::new()
            };
            page(tasks)
        }
        ("GET", [_, "tasks", _, "log"]) => ResponseTemplate::new(200)
            .insert_header("Content-Type", "text/plain")
            .set_body_string(FAILED_TASK_LOG),
        _ => error(404, "NOT_FOUND", "no such execution route"),
    }
}

/// Task ids of failed tasks are the execution id plus this offset.
pub const FAILED_TASK_OFFSET: i64 = 1000;

/// Log of every failed task.
pub const FAILED_TASK_LOG: &str = "copying library/nginx:1.25.3\npushing blob sha256:aaaa\nfailed: 401 unauthorized: token password expired\n";

/// Reports whether `execution` belongs to a policy listed in `failing`.
fn is_failing(
    policies: &[ReplicationPolicy],
    failing: &BTreeSet<String>,
    execution: &ReplicationExecution,
) -> bool {
    policies
        .iter()
        .find(|policy| policy.id.is_some() && policy.id == execution.policy_id)
        .and_then(|policy| policy.name.as_deref())
        .is_some_and(|name| failing.contains(name))
}

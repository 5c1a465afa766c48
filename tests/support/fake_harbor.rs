//! The Harbor endpoints that replication workflows call: registry endpoints with ping,
//! replication policies and executions. Every request is recorded.
//!
//! An execution reports `InProgress` on its first GET and `Succeed` from then on.

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
            let url = body["url"].as_str().unwrap_or_default();
            if state.unreachable.contains(url) {
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
        _ => error(404, "NOT_FOUND", "no such registry route"),
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
        ("GET", [id]) => state
            .policies
            .iter()
            .find(|policy| policy.id.map(|i| i.to_string()).as_deref() == Some(*id))
            .map_or_else(|| error(404, "NOT_FOUND", "policy not found"), ok_json),
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
            if *polls == 1 {
                current.status = Some("InProgress".to_owned());
                current.in_progress = Some(1);
                current.succeed = Some(1);
            } else {
                current.status = Some("Succeed".to_owned());
                current.in_progress = Some(0);
                current.succeed = Some(2);
            }
            ok_json(current)
        }
        _ => error(404, "NOT_FOUND", "no such execution route"),
    }
}

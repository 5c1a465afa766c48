//! Request routing of the fake Harbor: one handler per endpoint the task helpers call.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use harbor_client::generated::Secret;
use harbor_client::generated::models::{
    ExecHistory, GCHistory, ImmutableRule, Label, Project, ProjectMember, ProjectMemberEntity,
    ProjectMetadata, ProjectReq, QuotaUpdateReq, Registry, RegistryUpdate, ReplicationPolicy,
    RetentionPolicy, Robot, RobotCreate, RobotCreated, RobotSec, RoleRequest, ScannerRegistration,
    ScannerRegistrationReq, Schedule, UserCreationReq, UserProfile, UserResp, UserSysAdminFlag,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::json;
use wiremock::{Request, Respond, ResponseTemplate};

use super::Recorded;
use super::state::State;

const PREFIX: &str = "/api/v2.0";

pub struct Router {
    state: Arc<Mutex<State>>,
}

impl Router {
    pub fn new(state: Arc<Mutex<State>>) -> Self {
        Self { state }
    }
}

impl Respond for Router {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let mut state = self.state.lock().unwrap();
        let path = request
            .url
            .path()
            .strip_prefix(PREFIX)
            .unwrap_or(request.url.path())
            .to_owned();
        state.log.push(Recorded {
            method: request.method.to_string(),
            path: path.clone(),
            query: request.url.query().unwrap_or("").to_owned(),
            is_resource_name: request
                .headers
                .get("X-Is-Resource-Name")
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned),
            accept_vulnerabilities: request
                .headers
                .get("X-Accept-Vulnerabilities")
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned),
            body: serde_json::from_slice(&request.body).unwrap_or(serde_json::Value::Null),
        });
        let call = Call {
            method: request.method.as_str().to_owned(),
            segments: path
                .split('/')
                .filter(|segment| !segment.is_empty())
                .map(decode)
                .collect(),
            query: request.url.query_pairs().into_owned().collect(),
            by_name: request
                .headers
                .get("X-Is-Resource-Name")
                .is_some_and(|value| value == "true"),
            body: request.body.clone(),
        };
        route(&mut state, &call)
    }
}

/// Decodes one path segment until it is stable, because repository names arrive encoded twice.
fn decode(segment: &str) -> String {
    let mut current = segment.to_owned();
    loop {
        let next = percent_encoding::percent_decode_str(&current)
            .decode_utf8_lossy()
            .into_owned();
        if next == current {
            return current;
        }
        current = next;
    }
}

struct Call {
    method: String,
    segments: Vec<String>,
    query: BTreeMap<String, String>,
    by_name: bool,
    body: Vec<u8>,
}

impl Call {
    fn body<T: DeserializeOwned + Default>(&self) -> T {
        serde_json::from_slice(&self.body).unwrap_or_default()
    }

    fn query(&self, key: &str) -> Option<&str> {
        self.query.get(key).map(String::as_str)
    }
}

fn ok_json(value: impl Serialize) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(value)
}

fn page<T: Serialize>(items: Vec<T>) -> ResponseTemplate {
    let total = items.len();
    ResponseTemplate::new(200)
        .insert_header("X-Total-Count", total.to_string().as_str())
        .set_body_json(items)
}

/// Returns the value, or `200` with an empty body when there is none, as Harbor's schedule
/// reads do.
fn optional(value: Option<&impl Serialize>) -> ResponseTemplate {
    value.map_or_else(ok, ok_json)
}

fn ok() -> ResponseTemplate {
    ResponseTemplate::new(200)
}

fn error(status: u16, code: &str, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .set_body_json(json!({"errors": [{"code": code, "message": message}]}))
}

fn not_found() -> ResponseTemplate {
    error(404, "NOT_FOUND", "resource not found")
}

fn created(state: &State, location: String) -> ResponseTemplate {
    let response = ResponseTemplate::new(201);
    if state.omit_location {
        response
    } else {
        response.insert_header("Location", format!("{PREFIX}{location}").as_str())
    }
}

fn route(state: &mut State, call: &Call) -> ResponseTemplate {
    let segments: Vec<&str> = call.segments.iter().map(String::as_str).collect();
    match (call.method.as_str(), segments.as_slice()) {
        (_, ["projects", project, "members", rest @ ..]) => members(state, call, project, rest),
        (_, ["projects", project, "immutabletagrules", rest @ ..]) => {
            immutable(state, call, project, rest)
        }
        (
            _,
            [
                "projects",
                project,
                "repositories",
                repository,
                "artifacts",
                reference,
                rest @ ..,
            ],
        ) => artifacts(
            state,
            call,
            &format!("{project}/{repository}/{reference}"),
            rest,
        ),
        (_, ["projects", rest @ ..]) => projects(state, call, rest),
        (_, ["quotas", rest @ ..]) => quotas(state, call, rest),
        (_, ["users", rest @ ..]) => users(state, call, rest),
        (_, ["robots", rest @ ..]) => robots(state, call, rest),
        (_, ["registries", rest @ ..]) => registries(state, call, rest),
        (_, ["replication", "policies", rest @ ..]) => policies(state, call, rest),
        (_, ["replication", "executions", rest @ ..]) => executions(state, call, rest),
        (_, ["labels", rest @ ..]) => labels(state, call, rest),
        (_, ["retentions", rest @ ..]) => retentions(state, call, rest),
        (_, ["system", "gc", rest @ ..]) => gc(state, call, rest),
        (_, ["system", "purgeaudit", "schedule"]) => purge(state, call),
        (_, ["system", "scanAll", "schedule"]) => scan_all(state, call),
        (_, ["scanners", rest @ ..]) => scanners(state, call, rest),
        _ => error(
            501,
            "NOT_IMPLEMENTED",
            &format!("the fake has no route for {} {:?}", call.method, segments),
        ),
    }
}

fn find_project(state: &State, call: &Call, reference: &str) -> Option<Project> {
    let by_id = !call.by_name && reference.bytes().all(|byte| byte.is_ascii_digit());
    state
        .projects
        .iter()
        .find(|project| {
            if by_id {
                project.project_id.map(|id| id.to_string()).as_deref() == Some(reference)
            } else {
                project.name.as_deref() == Some(reference)
            }
        })
        .cloned()
}

fn projects(state: &mut State, call: &Call, rest: &[&str]) -> ResponseTemplate {
    match (call.method.as_str(), rest) {
        ("POST", []) => {
            let request: ProjectReq = call.body();
            let name = request.project_name.clone().unwrap_or_default();
            if state.project_id(&name).is_some() {
                return error(409, "CONFLICT", "project already exists");
            }
            let public = request
                .public
                .or_else(|| {
                    request
                        .metadata
                        .as_ref()
                        .and_then(|m| m.public.as_deref())
                        .map(|p| p == "true")
                })
                .unwrap_or(false);
            let id = state.add_project(&name, public);
            let limit = request.storage_limit.unwrap_or(-1);
            let project = state
                .projects
                .iter_mut()
                .find(|p| p.project_id == Some(id))
                .unwrap();
            project.registry_id = request.registry_id;
            if let Some(metadata) = request.metadata {
                let stored = project
                    .metadata
                    .get_or_insert_with(ProjectMetadata::default);
                if metadata.auto_scan.is_some() {
                    stored.auto_scan = metadata.auto_scan;
                }
            }
            state.quotas.last_mut().unwrap().hard =
                Some(BTreeMap::from([("storage".to_owned(), limit)]));
            created(state, format!("/projects/{id}"))
        }
        ("GET", [reference]) => {
            find_project(state, call, reference).map_or_else(not_found, ok_json)
        }
        ("PUT", [reference]) => {
            let Some(found) = find_project(state, call, reference) else {
                return not_found();
            };
            let request: ProjectReq = call.body();
            let project = state
                .projects
                .iter_mut()
                .find(|p| p.project_id == found.project_id)
                .unwrap();
            if let Some(metadata) = request.metadata {
                let stored = project
                    .metadata
                    .get_or_insert_with(ProjectMetadata::default);
                if metadata.public.is_some() {
                    stored.public = metadata.public;
                }
                if metadata.auto_scan.is_some() {
                    stored.auto_scan = metadata.auto_scan;
                }
            }
            ok()
        }
        _ => not_found(),
    }
}

fn quotas(state: &mut State, call: &Call, rest: &[&str]) -> ResponseTemplate {
    match (call.method.as_str(), rest) {
        ("GET", []) => {
            let reference_id = call.query("reference_id").unwrap_or("");
            let items: Vec<_> = state
                .quotas
                .iter()
                .filter(|quota| {
                    quota
                        .r#ref
                        .as_ref()
                        .and_then(|r| r.get("id"))
                        .map(|id| id.to_string())
                        .as_deref()
                        == Some(reference_id)
                })
                .cloned()
                .collect();
            page(items)
        }
        ("PUT", [id]) => {
            let request: QuotaUpdateReq = call.body();
            let Some(quota) = state
                .quotas
                .iter_mut()
                .find(|q| q.id.map(|i| i.to_string()).as_deref() == Some(id))
            else {
                return not_found();
            };
            quota.hard = request.hard;
            ok()
        }
        _ => not_found(),
    }
}

fn users(state: &mut State, call: &Call, rest: &[&str]) -> ResponseTemplate {
    let find = |state: &State, id: &str| {
        state
            .users
            .iter()
            .position(|user| user.user_id.map(|i| i.to_string()).as_deref() == Some(id))
    };
    match (call.method.as_str(), rest) {
        ("GET", []) => {
            let wanted = call
                .query("q")
                .and_then(|q| q.strip_prefix("username="))
                .unwrap_or("");
            let items: Vec<_> = state
                .users
                .iter()
                .filter(|user| user.username.as_deref() == Some(wanted))
                .cloned()
                .collect();
            page(items)
        }
        ("POST", []) => {
            let request: UserCreationReq = call.body();
            let id = state.next_id();
            state.passwords.insert(
                id,
                request
                    .password
                    .map(|p| p.expose_secret().to_owned())
                    .unwrap_or_default(),
            );
            state.users.push(UserResp {
                user_id: Some(id),
                username: request.username,
                email: request.email,
                realname: request.realname,
                comment: request.comment,
                sysadmin_flag: Some(false),
                ..UserResp::default()
            });
            created(state, format!("/users/{id}"))
        }
        ("GET", [id]) => {
            find(state, id).map_or_else(not_found, |index| ok_json(&state.users[index]))
        }
        ("PUT", [id]) => {
            let Some(index) = find(state, id) else {
                return not_found();
            };
            let profile: UserProfile = call.body();
            let user = &mut state.users[index];
            user.email = profile.email;
            user.realname = profile.realname;
            user.comment = profile.comment;
            ok()
        }
        ("PUT", [id, "sysadmin"]) => {
            let Some(index) = find(state, id) else {
                return not_found();
            };
            let flag: UserSysAdminFlag = call.body();
            state.users[index].sysadmin_flag = flag.sysadmin_flag;
            ok()
        }
        ("PUT", [id, "password"]) => {
            let Some(index) = find(state, id) else {
                return not_found();
            };
            let request: harbor_client::generated::models::PasswordReq = call.body();
            let user_id = state.users[index].user_id.unwrap();
            let password = request
                .new_password
                .map(|p| p.expose_secret().to_owned())
                .unwrap_or_default();
            state.passwords.insert(user_id, password);
            ok()
        }
        _ => not_found(),
    }
}

fn members(state: &mut State, call: &Call, project: &str, rest: &[&str]) -> ResponseTemplate {
    let Some(project) = find_project(state, call, project) else {
        return not_found();
    };
    let project_id = project.project_id.unwrap();
    match (call.method.as_str(), rest) {
        ("GET", []) => {
            let name = call.query("entityname").unwrap_or("");
            let items: Vec<_> = state
                .members
                .iter()
                .filter(|m| {
                    m.project_id == Some(project_id)
                        && m.entity_name.as_deref().unwrap_or("").contains(name)
                })
                .cloned()
                .collect();
            page(items)
        }
        ("POST", []) => {
            let request: ProjectMember = call.body();
            let (name, kind, entity_id) = if let Some(user) = request.member_user {
                let name = user.username.unwrap_or_default();
                let Some(found) = state
                    .users
                    .iter()
                    .find(|u| u.username.as_deref() == Some(name.as_str()))
                else {
                    return error(404, "NOT_FOUND", "user not found");
                };
                (name, "u", found.user_id.unwrap())
            } else if let Some(group) = request.member_group {
                (
                    group.group_name.or(group.ldap_group_dn).unwrap_or_default(),
                    "g",
                    900,
                )
            } else {
                return error(
                    400,
                    "BAD_REQUEST",
                    "member_user or member_group is required",
                );
            };
            let id = state.next_id();
            state.members.push(ProjectMemberEntity {
                id: Some(id),
                project_id: Some(project_id),
                entity_name: Some(name),
                role_id: request.role_id,
                entity_id: Some(entity_id),
                entity_type: Some(kind.to_owned()),
                ..ProjectMemberEntity::default()
            });
            created(state, format!("/projects/{project_id}/members/{id}"))
        }
        (method, [mid]) => {
            let Some(member) = state.members.iter_mut().find(|m| {
                m.project_id == Some(project_id)
                    && m.id.map(|i| i.to_string()).as_deref() == Some(*mid)
            }) else {
                return not_found();
            };
            match method {
                "GET" => ok_json(&*member),
                "PUT" => {
                    let role: RoleRequest = call.body();
                    member.role_id = role.role_id;
                    ok()
                }
                _ => not_found(),
            }
        }
        _ => not_found(),
    }
}

fn robots(state: &mut State, call: &Call, rest: &[&str]) -> ResponseTemplate {
    let find = |state: &State, id: &str| {
        state
            .robots
            .iter()
            .position(|robot| robot.id.map(|i| i.to_string()).as_deref() == Some(id))
    };
    match (call.method.as_str(), rest) {
        ("GET", []) => {
            let q = call.query("q").unwrap_or("");
            let level = if q.contains("Level=system") {
                "system"
            } else {
                "project"
            };
            let project_id = q
                .split(',')
                .find_map(|part| part.strip_prefix("ProjectID="))
                .and_then(|id| id.parse::<i64>().ok());
            let items: Vec<_> = state
                .robots
                .iter()
                .filter(|robot| robot.level.as_deref() == Some(level))
                .filter(|robot| {
                    level == "system" || project_id.is_some_and(|id| robot.creator_ref == Some(id))
                })
                .cloned()
                .collect();
            page(items)
        }
        ("POST", []) => {
            let request: RobotCreate = call.body();
            let level = request.level.clone().unwrap_or_default();
            let short = request.name.clone().unwrap_or_default();
            let namespace = request
                .permissions
                .as_ref()
                .and_then(|p| p.first())
                .and_then(|p| p.namespace.clone())
                .unwrap_or_default();
            let prefix = state
                .robot_name_prefix
                .clone()
                .unwrap_or_else(|| "robot$".to_owned());
            let (full, project_id) = if level == "project" {
                (
                    format!("{prefix}{namespace}+{short}"),
                    state.project_id(&namespace),
                )
            } else {
                (format!("{prefix}{short}"), None)
            };
            let id = state.next_id();
            let secret = format!("Generated{id}Secret");
            state.robots.push(Robot {
                id: Some(id),
                name: Some(full.clone()),
                description: request.description,
                level: Some(level),
                duration: request.duration,
                disable: request.disable,
                editable: Some(true),
                permissions: request.permissions,
                creator_ref: project_id,
                ..Robot::default()
            });
            // Harbor 2.2 and later return the robot in the body and no Location.
            let body = RobotCreated {
                id: (!state.robot_create_body_without_id).then_some(id),
                name: Some(full),
                secret: Some(Secret::new(secret)),
                ..RobotCreated::default()
            };
            if state.robot_create_body_without_id {
                created(state, format!("/robots/{id}")).set_body_json(body)
            } else {
                ResponseTemplate::new(201).set_body_json(body)
            }
        }
        ("GET", [id]) => {
            find(state, id).map_or_else(not_found, |index| ok_json(&state.robots[index]))
        }
        ("PUT", [id]) => {
            let Some(index) = find(state, id) else {
                return not_found();
            };
            let update: Robot = call.body();
            let robot = &mut state.robots[index];
            robot.description = update.description;
            robot.duration = update.duration;
            robot.disable = update.disable;
            robot.permissions = update.permissions;
            ok()
        }
        ("PATCH", [id]) => {
            if find(state, id).is_none() {
                return not_found();
            }
            let request: RobotSec = call.body();
            let secret = request
                .secret
                .unwrap_or_else(|| Secret::new("RefreshedSecret1"));
            ok_json(RobotSec {
                secret: Some(secret),
            })
        }
        _ => not_found(),
    }
}

fn registries(state: &mut State, call: &Call, rest: &[&str]) -> ResponseTemplate {
    let find = |state: &State, id: &str| {
        state
            .registries
            .iter()
            .position(|registry| registry.id.map(|i| i.to_string()).as_deref() == Some(id))
    };
    match (call.method.as_str(), rest) {
        ("GET", []) => {
            let name = call.query("name").unwrap_or("");
            let items: Vec<_> = state
                .registries
                .iter()
                .filter(|r| r.name.as_deref().unwrap_or("").contains(name))
                .map(masked)
                .collect();
            page(items)
        }
        ("POST", ["ping"]) => {
            if state.ping_fails {
                error(400, "BAD_REQUEST", "failed to ping endpoint")
            } else {
                ok()
            }
        }
        ("POST", []) => {
            let mut registry: Registry = call.body();
            let id = state.next_id();
            registry.id = Some(id);
            registry.status = Some("healthy".to_owned());
            state.registries.push(registry);
            created(state, format!("/registries/{id}"))
        }
        ("GET", [id]) => find(state, id)
            .map_or_else(not_found, |index| ok_json(masked(&state.registries[index]))),
        ("PUT", [id]) => {
            let Some(index) = find(state, id) else {
                return not_found();
            };
            let update: RegistryUpdate = call.body();
            let registry = &mut state.registries[index];
            registry.url = update.url.or(registry.url.take());
            registry.description = update.description.or(registry.description.take());
            registry.insecure = update.insecure.or(registry.insecure);
            let credential = registry.credential.get_or_insert_with(Default::default);
            credential.access_key = update.access_key;
            credential.access_secret = update.access_secret;
            credential.r#type = update.credential_type;
            ok()
        }
        _ => not_found(),
    }
}

/// Returns the registry as Harbor shows it: the access secret replaced by `*****`.
fn masked(registry: &Registry) -> Registry {
    let mut registry = registry.clone();
    if let Some(credential) = registry.credential.as_mut()
        && credential.access_secret.is_some()
    {
        credential.access_secret = Some(Secret::new("*****"));
    }
    registry
}

fn policies(state: &mut State, call: &Call, rest: &[&str]) -> ResponseTemplate {
    let find = |state: &State, id: &str| {
        state
            .policies
            .iter()
            .position(|policy| policy.id.map(|i| i.to_string()).as_deref() == Some(id))
    };
    match (call.method.as_str(), rest) {
        ("GET", []) => {
            let name = call.query("name").unwrap_or("");
            let items: Vec<_> = state
                .policies
                .iter()
                .filter(|p| p.name.as_deref().unwrap_or("").contains(name))
                .cloned()
                .collect();
            page(items)
        }
        ("POST", []) => {
            let mut policy: ReplicationPolicy = call.body();
            let id = state.next_id();
            policy.id = Some(id);
            store_policy(&mut policy);
            state.policies.push(policy);
            created(state, format!("/replication/policies/{id}"))
        }
        ("GET", [id]) => {
            find(state, id).map_or_else(not_found, |index| ok_json(&state.policies[index]))
        }
        ("PUT", [id]) => {
            let Some(index) = find(state, id) else {
                return not_found();
            };
            let mut policy: ReplicationPolicy = call.body();
            policy.id = state.policies[index].id;
            store_policy(&mut policy);
            state.policies[index] = policy;
            ok()
        }
        ("DELETE", [id]) => {
            let Some(index) = find(state, id) else {
                return not_found();
            };
            let policy_id = state.policies[index].id;
            let busy = state.executions.values().any(|script| {
                let current = script.front().unwrap();
                current.policy_id == policy_id && current.status.as_deref() == Some("InProgress")
            });
            if busy {
                return error(412, "PRECONDITION", "the policy has running executions");
            }
            state.policies.remove(index);
            ok()
        }
        _ => not_found(),
    }
}

/// Applies Harbor's storage rules: a missing replace count is stored as -1, and only
/// `deletion` is read, as the create and update handlers do.
fn store_policy(policy: &mut ReplicationPolicy) {
    if policy.dest_namespace_replace_count.is_none() {
        policy.dest_namespace_replace_count = Some(-1);
    }
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
}

fn executions(state: &mut State, call: &Call, rest: &[&str]) -> ResponseTemplate {
    match (call.method.as_str(), rest) {
        ("POST", []) => {
            let id = state.next_id();
            let policy_id = call.body::<serde_json::Value>()["policy_id"]
                .as_i64()
                .unwrap_or(0);
            state.script_execution(id, policy_id, &[("InProgress", 1), ("Succeed", 0)]);
            created(state, format!("/replication/executions/{id}"))
        }
        ("GET", []) => {
            let policy_id = call
                .query("policy_id")
                .and_then(|id| id.parse::<i64>().ok());
            let status = call.query("status");
            let items: Vec<_> = state
                .executions
                .values()
                .map(|script| script.front().unwrap().clone())
                .filter(|execution| policy_id.is_none() || execution.policy_id == policy_id)
                .filter(|execution| status.is_none() || execution.status.as_deref() == status)
                .collect();
            page(items)
        }
        ("GET", [id]) => {
            let Some(script) = id
                .parse::<i64>()
                .ok()
                .and_then(|id| state.executions.get_mut(&id))
            else {
                return not_found();
            };
            let current = if script.len() > 1 {
                script.pop_front().unwrap()
            } else {
                script[0].clone()
            };
            ok_json(current)
        }
        ("PUT", [id]) => {
            let Some(id) = id
                .parse::<i64>()
                .ok()
                .filter(|id| state.executions.contains_key(id))
            else {
                return not_found();
            };
            state.stopped.push(id);
            ok()
        }
        ("GET", [id, "tasks"]) => {
            let status = call.query("status");
            let items: Vec<_> = id
                .parse::<i64>()
                .ok()
                .and_then(|id| state.tasks.get(&id))
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .filter(|task| status.is_none() || task.status.as_deref() == status)
                .collect();
            page(items)
        }
        ("GET", [_, "tasks", task_id, "log"]) => {
            let log = task_id
                .parse::<i64>()
                .ok()
                .and_then(|id| state.task_logs.get(&id))
                .cloned();
            log.map_or_else(not_found, |log| {
                ResponseTemplate::new(200).set_body_string(log)
            })
        }
        _ => not_found(),
    }
}

fn labels(state: &mut State, call: &Call, rest: &[&str]) -> ResponseTemplate {
    let find = |state: &State, id: &str| {
        state
            .labels
            .iter()
            .position(|label| label.id.map(|i| i.to_string()).as_deref() == Some(id))
    };
    match (call.method.as_str(), rest) {
        ("GET", []) => {
            let name = call.query("name").unwrap_or("");
            let scope = call.query("scope").unwrap_or("g");
            let project_id = call
                .query("project_id")
                .and_then(|id| id.parse::<i64>().ok());
            let items: Vec<_> = state
                .labels
                .iter()
                .filter(|label| label.name.as_deref().unwrap_or("").contains(name))
                .filter(|label| label.scope.as_deref() == Some(scope))
                .filter(|label| scope == "g" || label.project_id == project_id)
                .cloned()
                .collect();
            page(items)
        }
        ("POST", []) => {
            let mut label: Label = call.body();
            let id = state.next_id();
            label.id = Some(id);
            state.labels.push(label);
            created(state, format!("/labels/{id}"))
        }
        ("GET", [id]) => {
            find(state, id).map_or_else(not_found, |index| ok_json(&state.labels[index]))
        }
        ("PUT", [id]) => {
            let Some(index) = find(state, id) else {
                return not_found();
            };
            let mut label: Label = call.body();
            label.id = state.labels[index].id;
            state.labels[index] = label;
            ok()
        }
        _ => not_found(),
    }
}

fn retentions(state: &mut State, call: &Call, rest: &[&str]) -> ResponseTemplate {
    let find = |state: &State, id: &str| {
        state
            .retentions
            .iter()
            .position(|policy| policy.id.map(|i| i.to_string()).as_deref() == Some(id))
    };
    match (call.method.as_str(), rest) {
        ("POST", []) => {
            let mut policy: RetentionPolicy = call.body();
            let id = state.next_id();
            policy.id = Some(id);
            let project_id = policy.scope.as_ref().and_then(|scope| scope.r#ref);
            if let Some(project) = state
                .projects
                .iter_mut()
                .find(|p| p.project_id == project_id)
            {
                project
                    .metadata
                    .get_or_insert_with(ProjectMetadata::default)
                    .retention_id = Some(id.to_string());
            }
            for (index, rule) in policy.rules.iter_mut().flatten().enumerate() {
                rule.id = Some(index as i64 + 1);
            }
            state.retentions.push(policy);
            created(state, format!("/retentions/{id}"))
        }
        ("GET", [id]) => {
            find(state, id).map_or_else(not_found, |index| ok_json(&state.retentions[index]))
        }
        ("PUT", [id]) => {
            let Some(index) = find(state, id) else {
                return not_found();
            };
            let mut policy: RetentionPolicy = call.body();
            policy.id = state.retentions[index].id;
            state.retentions[index] = policy;
            ok()
        }
        _ => not_found(),
    }
}

fn immutable(state: &mut State, call: &Call, project: &str, rest: &[&str]) -> ResponseTemplate {
    let Some(project) = find_project(state, call, project) else {
        return not_found();
    };
    let project_id = project.project_id.unwrap();
    match (call.method.as_str(), rest) {
        ("GET", []) => page(
            state
                .immutable_rules
                .iter()
                .filter(|(owner, _)| *owner == project_id)
                .map(|(_, rule)| rule.clone())
                .collect(),
        ),
        ("POST", []) => {
            let mut rule: ImmutableRule = call.body();
            let id = state.next_id();
            rule.id = Some(id);
            state.immutable_rules.push((project_id, rule));
            created(
                state,
                format!("/projects/{project_id}/immutabletagrules/{id}"),
            )
        }
        ("PUT", [id]) => {
            let Some((_, rule)) = state.immutable_rules.iter_mut().find(|(owner, rule)| {
                *owner == project_id && rule.id.map(|i| i.to_string()).as_deref() == Some(*id)
            }) else {
                return not_found();
            };
            let update: ImmutableRule = call.body();
            rule.disabled = update.disabled;
            ok()
        }
        _ => not_found(),
    }
}

fn gc(state: &mut State, call: &Call, rest: &[&str]) -> ResponseTemplate {
    match (call.method.as_str(), rest) {
        ("GET", ["schedule"]) => optional(state.gc_schedule.as_ref()),
        ("POST" | "PUT", ["schedule"]) => {
            let request: Schedule = call.body();
            let parameters =
                serde_json::to_string(&request.parameters.unwrap_or_default()).unwrap();
            state.gc_schedule = Some(GCHistory {
                id: Some(1),
                job_name: Some("GARBAGE_COLLECTION".to_owned()),
                job_parameters: Some(parameters),
                schedule: request.schedule,
                ..GCHistory::default()
            });
            if call.method == "POST" {
                created(state, "/system/gc/schedule".to_owned())
            } else {
                ok()
            }
        }
        ("GET", [id]) => {
            let Some(script) = id
                .parse::<i64>()
                .ok()
                .and_then(|id| state.gc_runs.get_mut(&id))
            else {
                return not_found();
            };
            let current = if script.len() > 1 {
                script.pop_front().unwrap()
            } else {
                script[0].clone()
            };
            ok_json(current)
        }
        ("GET", [id, "log"]) => {
            let log = id
                .parse::<i64>()
                .ok()
                .and_then(|id| state.gc_logs.get(&id))
                .cloned();
            log.map_or_else(not_found, |log| {
                ResponseTemplate::new(200).set_body_string(log)
            })
        }
        _ => not_found(),
    }
}

fn purge(state: &mut State, call: &Call) -> ResponseTemplate {
    match call.method.as_str() {
        "GET" => optional(state.purge_schedule.as_ref()),
        "POST" | "PUT" => {
            let request: Schedule = call.body();
            let parameters =
                serde_json::to_string(&request.parameters.unwrap_or_default()).unwrap();
            state.purge_schedule = Some(ExecHistory {
                id: Some(1),
                job_name: Some("PURGE_AUDIT_LOG".to_owned()),
                job_parameters: Some(parameters),
                schedule: request.schedule,
                ..ExecHistory::default()
            });
            if call.method == "POST" {
                created(state, "/system/purgeaudit/schedule".to_owned())
            } else {
                ok()
            }
        }
        _ => not_found(),
    }
}

fn scan_all(state: &mut State, call: &Call) -> ResponseTemplate {
    match call.method.as_str() {
        "GET" => optional(state.scan_all_schedule.as_ref()),
        "POST" | "PUT" => {
            let request: Schedule = call.body();
            state.scan_all_schedule = Some(Schedule {
                id: Some(1),
                schedule: request.schedule,
                ..Schedule::default()
            });
            if call.method == "POST" {
                created(state, "/system/scanAll/schedule".to_owned())
            } else {
                ok()
            }
        }
        _ => not_found(),
    }
}

fn scanners(state: &mut State, call: &Call, rest: &[&str]) -> ResponseTemplate {
    let find = |state: &State, uuid: &str| {
        state
            .scanners
            .iter()
            .position(|scanner| scanner.uuid.as_deref() == Some(uuid))
    };
    match (call.method.as_str(), rest) {
        ("GET", []) => page(state.scanners.clone()),
        ("POST", ["ping"]) => {
            if state.ping_fails {
                error(400, "BAD_REQUEST", "failed to ping scanner")
            } else {
                ok()
            }
        }
        ("POST", []) => {
            let request: ScannerRegistrationReq = call.body();
            let uuid = format!("uuid-{}", state.next_id());
            let first = state.scanners.is_empty();
            state.scanners.push(registration(request, &uuid, first));
            created(state, format!("/scanners/{uuid}"))
        }
        ("GET", [uuid]) => {
            find(state, uuid).map_or_else(not_found, |index| ok_json(&state.scanners[index]))
        }
        ("PUT", [uuid]) => {
            let Some(index) = find(state, uuid) else {
                return not_found();
            };
            let request: ScannerRegistrationReq = call.body();
            let is_default = state.scanners[index].is_default.unwrap_or(false);
            state.scanners[index] = registration(request, uuid, is_default);
            ok()
        }
        ("PATCH", [uuid]) => {
            if find(state, uuid).is_none() {
                return not_found();
            }
            for scanner in &mut state.scanners {
                scanner.is_default = Some(scanner.uuid.as_deref() == Some(*uuid));
            }
            ok()
        }
        _ => not_found(),
    }
}

fn registration(
    request: ScannerRegistrationReq,
    uuid: &str,
    is_default: bool,
) -> ScannerRegistration {
    ScannerRegistration {
        uuid: Some(uuid.to_owned()),
        name: request.name,
        description: request.description,
        url: request.url,
        disabled: request.disabled,
        is_default: Some(is_default),
        auth: request.auth,
        skip_cert_verify: request.skip_cert_verify,
        use_internal_addr: request.use_internal_addr,
        ..ScannerRegistration::default()
    }
}

fn artifacts(state: &mut State, call: &Call, key: &str, rest: &[&str]) -> ResponseTemplate {
    match (call.method.as_str(), rest) {
        ("GET", []) => {
            let Some(script) = state.artifacts.get_mut(key) else {
                return not_found();
            };
            let current = if script.len() > 1 {
                script.pop_front().unwrap()
            } else {
                script[0].clone()
            };
            ok_json(current)
        }
        ("POST", ["scan"]) => {
            if !state.artifacts.contains_key(key) {
                return not_found();
            }
            state.scans_requested.push(key.to_owned());
            ResponseTemplate::new(202)
        }
        ("GET", ["additions", "vulnerabilities"]) => state
            .vulnerability_reports
            .get(key)
            .cloned()
            .map_or_else(not_found, |body| {
                ResponseTemplate::new(200).set_body_raw(body, "application/json")
            }),
        _ => not_found(),
    }
}

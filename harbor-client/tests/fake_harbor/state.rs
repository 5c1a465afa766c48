//! The data the fake Harbor stores, and the scripts that drive waits.

use std::collections::{BTreeMap, VecDeque};

use harbor_client::generated::models::{
    Artifact, ExecHistory, GCHistory, ImmutableRule, Label, Project, ProjectMemberEntity, Quota,
    Registry, ReplicationExecution, ReplicationPolicy, ReplicationTask, RetentionPolicy, Robot,
    ScannerRegistration, Schedule, UserResp,
};

use super::Recorded;

/// Everything the fake stores. Tests seed and inspect it through [`super::FakeHarbor::state`].
#[derive(Default)]
pub struct State {
    /// Requests received, in order.
    pub log: Vec<Recorded>,
    /// Last id handed out; ids are shared by all resource kinds.
    pub last_id: i64,
    /// Omits `Location` from `201 Created` responses, as some Harbor versions do.
    pub omit_location: bool,
    /// Makes registry and scanner pings fail with 400.
    pub ping_fails: bool,
    /// Robot name prefix, as Harbor's `robot_name_prefix` setting; `robot$` when unset.
    pub robot_name_prefix: Option<String>,
    /// Leaves the id out of the body of `POST /robots` and sends it in `Location` instead.
    pub robot_create_body_without_id: bool,

    pub projects: Vec<Project>,
    pub quotas: Vec<Quota>,
    pub users: Vec<UserResp>,
    /// Passwords set through create or reset, by user id.
    pub passwords: BTreeMap<i64, String>,
    pub members: Vec<ProjectMemberEntity>,
    pub robots: Vec<Robot>,
    pub registries: Vec<Registry>,
    pub policies: Vec<ReplicationPolicy>,
    /// Executions by id. Each GET returns the front entry and removes it while more remain.
    pub executions: BTreeMap<i64, VecDeque<ReplicationExecution>>,
    pub tasks: BTreeMap<i64, Vec<ReplicationTask>>,
    /// Task logs by task id.
    pub task_logs: BTreeMap<i64, String>,
    /// Execution ids whose stop request was received.
    pub stopped: Vec<i64>,
    pub labels: Vec<Label>,
    pub retentions: Vec<RetentionPolicy>,
    /// Immutable rules with the id of their project.
    pub immutable_rules: Vec<(i64, ImmutableRule)>,
    pub gc_schedule: Option<GCHistory>,
    /// GC runs by id, scripted like executions.
    pub gc_runs: BTreeMap<i64, VecDeque<GCHistory>>,
    pub gc_logs: BTreeMap<i64, String>,
    pub purge_schedule: Option<ExecHistory>,
    pub scan_all_schedule: Option<Schedule>,
    pub scanners: Vec<ScannerRegistration>,
    /// Artifact states by `project/repository/reference`, scripted like executions.
    pub artifacts: BTreeMap<String, VecDeque<Artifact>>,
    /// Bodies of the `vulnerabilities` addition by `project/repository/reference`.
    pub vulnerability_reports: BTreeMap<String, String>,
    /// Artifacts whose scan was requested.
    pub scans_requested: Vec<String>,
}

impl State {
    /// Hands out the next id.
    pub fn next_id(&mut self) -> i64 {
        self.last_id += 1;
        self.last_id
    }

    /// Returns the project with `id`.
    pub fn project(&self, id: i64) -> Option<&Project> {
        self.projects
            .iter()
            .find(|project| project.project_id == Some(id))
    }

    /// Returns the id of the project named `name`.
    pub fn project_id(&self, name: &str) -> Option<i64> {
        self.projects
            .iter()
            .find(|project| project.name.as_deref() == Some(name))
            .and_then(|project| project.project_id)
    }

    /// Adds a project with its quota and returns its id.
    pub fn add_project(&mut self, name: &str, public: bool) -> i64 {
        let id = self.next_id();
        self.projects.push(Project {
            project_id: Some(id),
            name: Some(name.to_owned()),
            metadata: Some(harbor_client::generated::models::ProjectMetadata {
                public: Some(public.to_string()),
                ..Default::default()
            }),
            ..Project::default()
        });
        let quota_id = self.next_id();
        self.quotas.push(Quota {
            id: Some(quota_id),
            r#ref: Some(harbor_client::generated::models::QuotaRefObject::from([
                ("id".to_owned(), serde_json::json!(id)),
                ("name".to_owned(), serde_json::json!(name)),
            ])),
            hard: Some(BTreeMap::from([("storage".to_owned(), -1)])),
            ..Quota::default()
        });
        id
    }

    /// Scripts the statuses that successive GETs of execution `id` return.
    pub fn script_execution(&mut self, id: i64, policy_id: i64, states: &[(&str, i64)]) {
        let script = states
            .iter()
            .map(|(status, in_progress)| ReplicationExecution {
                id: Some(id),
                policy_id: Some(policy_id),
                status: Some((*status).to_owned()),
                in_progress: Some(*in_progress),
                total: Some(2),
                failed: Some(if *status == "Failed" { 1 } else { 0 }),
                succeed: Some(if *status == "Succeed" { 2 } else { 1 }),
                ..ReplicationExecution::default()
            })
            .collect();
        self.executions.insert(id, script);
    }
}

//! Harbor tasks as people do them: idempotent `ensure_*` calls, waits and scanning.
//!
//! Each `ensure_*` call reads the resource, compares the fields its desired-state type sets,
//! and then creates it, updates it, or leaves it alone, returning an [`Outcome`]. None of them
//! deletes anything. Desired-state types validate their input when they are built, before any
//! request is sent. The `wait_for_*` calls poll with backoff until a deadline, sleeping with
//! the client's [`Sleeper`](crate::Sleeper). Tasks return the crate's [`Error`](crate::Error),
//! whose task variants, such as [`Error::Timeout`](crate::Error::Timeout), name what a step found.
//!
//! ```no_run
//! use harbor_client::tasks::{ensure_project, ProjectSpec};
//!
//! # async fn run(client: harbor_client::Client) -> Result<(), harbor_client::Error> {
//! let spec = ProjectSpec::new("team-a")?.public(false).storage_limit(10 << 30)?;
//! let outcome = ensure_project(&client, &spec).await?;
//! println!("project team-a {}", outcome.verb());
//! # Ok(())
//! # }
//! ```

mod cron;
mod gate;
mod gc;
mod immutable;
mod label;
mod member;
mod outcome;
mod project;
mod purge;
mod registry;
pub mod replication;
mod retention;
mod robot;
mod scan;
mod scan_all;
mod scanner;
mod schedule;
mod selector;
mod severity;
mod user;
mod validate;
mod wait;

pub use cron::Cron;
pub use gate::{GateResult, GateRow, SeverityGate};
pub use gc::{GcScheduleSpec, ensure_gc_schedule, wait_for_gc};
pub use immutable::{ImmutableRuleSpec, ensure_immutable_rule};
pub use label::{LabelScope, LabelSpec, ensure_label};
pub use member::{GroupType, Member, MemberSpec, Role, ensure_project_member};
pub use outcome::Outcome;
pub use project::{ProjectSpec, ensure_project};
pub use purge::{PurgeScheduleSpec, ensure_purge_schedule};
pub use registry::{Provider, RegistrySpec, ensure_registry, find_registry};
pub use replication::{ReplicationPolicySpec, ensure_replication_policy};
pub use retention::{RetentionRuleSpec, RetentionSpec, RetentionTemplate, ensure_retention_policy};
pub use robot::{
    EnsuredRobot, RobotLevel, RobotPermissionSpec, RobotSecret, RobotSpec, ensure_robot,
    refresh_robot_secret,
};
pub use scan::{
    ArtifactRef, ArtifactScanExt, REPORT_V1_0, REPORT_V1_1, ScanSummary, Vulnerability,
    VulnerabilityReport, VulnerabilityReports, export_vulnerability_report, scan_artifact,
    wait_for_scan,
};
pub use scan_all::ensure_scan_all_schedule;
pub use scanner::{ScannerAuth, ScannerSpec, ensure_scanner};
pub use schedule::JobSchedule;
pub use selector::Selector;
pub use severity::Severity;
pub use user::{UserSpec, check_password, ensure_user, reset_user_password};
pub use wait::WaitOptions;

//! The task helpers (`ensure_*`, waits, replication, scanning) against a stateful fake Harbor.

mod fake_harbor;

#[path = "tasks/members_and_robots.rs"]
mod members_and_robots;
#[path = "tasks/policies.rs"]
mod policies;
#[path = "tasks/projects.rs"]
mod projects;
#[path = "tasks/registries.rs"]
mod registries;
#[path = "tasks/replication.rs"]
mod replication;
#[path = "tasks/robot_creation.rs"]
mod robot_creation;
#[path = "tasks/scanning.rs"]
mod scanning;
#[path = "tasks/system_jobs.rs"]
mod system_jobs;
#[path = "tasks/users.rs"]
mod users;

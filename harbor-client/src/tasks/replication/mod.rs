//! Replication: policies, filters, triggers, destination paths and executions.

mod destination;
mod execution;
mod filter;
mod policy;
mod trigger;

pub use destination::{Destination, preview_destination};
pub use execution::{
    DeletePolicyOptions, ExecutionStatus, FailedTask, delete_replication_policy, start_replication,
    wait_for_replication,
};
pub use filter::{DecoratedFilter, Decoration, Filter, ResourceKind};
pub use policy::{
    Direction, ReplicationPolicySpec, ensure_replication_policy, find_policy, replicates_deletion,
};
pub use trigger::Trigger;

//! AKS: the managed cluster spec and its ARM client.

mod client;
mod spec;

pub use client::{API_VERSION, AksClient, ManagedClusterInfo, ManagedClusterProperties};
pub use spec::{ClusterSpec, NodePool, PoolMode, ZONES, ZonePools};

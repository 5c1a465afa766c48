//! The chart's `redis` section: internal Redis or an external server.

use serde::Serialize;

/// Redis database indexes per Harbor component; the chart reads them as strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RedisIndexes {
    /// Index of core (external Redis only; the internal one always uses 0).
    pub core: u8,
    /// Index of jobservice.
    pub jobservice: u8,
    /// Index of registry.
    pub registry: u8,
    /// Index of the trivy adapter.
    pub trivy: u8,
}

impl Default for RedisIndexes {
    /// Returns the chart's defaults: 0, 1, 2 and 5.
    fn default() -> Self {
        RedisIndexes {
            core: 0,
            jobservice: 1,
            registry: 2,
            trivy: 5,
        }
    }
}

/// An external Redis, for example Azure Cache for Redis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalRedis {
    /// `host:port`; Azure Cache for Redis serves TLS on 6380.
    pub addr: String,
    /// Sentinel master set, for a Sentinel deployment.
    pub sentinel_master_set: Option<String>,
    /// Name of a Secret with key `REDIS_PASSWORD` (and optional `REDIS_USERNAME`); the chart
    /// reads it with `lookup` during install.
    pub existing_secret: String,
    /// Whether to connect over TLS (`rediss://`).
    pub tls: bool,
    /// Database indexes.
    pub indexes: RedisIndexes,
}

/// `redis`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(into = "serde_json::Value")]
pub enum Redis {
    /// The chart's Redis StatefulSet (one replica).
    Internal,
    /// An external server.
    External(ExternalRedis),
}

impl From<Redis> for serde_json::Value {
    fn from(redis: Redis) -> Self {
        match redis {
            Redis::Internal => serde_json::json!({"type": "internal"}),
            Redis::External(external) => {
                let mut fields = serde_json::json!({
                    "addr": external.addr,
                    "existingSecret": external.existing_secret,
                    "tlsOptions": {"enable": external.tls},
                    "coreDatabaseIndex": external.indexes.core.to_string(),
                    "jobserviceDatabaseIndex": external.indexes.jobservice.to_string(),
                    "registryDatabaseIndex": external.indexes.registry.to_string(),
                    "trivyAdapterIndex": external.indexes.trivy.to_string(),
                });
                if let Some(master_set) = external.sentinel_master_set {
                    fields["sentinelMasterSet"] = serde_json::Value::String(master_set);
                }
                serde_json::json!({"type": "external", "external": fields})
            }
        }
    }
}

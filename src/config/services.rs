//! The managed services of the managed-services preset: `[postgres]` and `[redis]`.

use serde::Deserialize;

use super::number;
use super::rules;
use super::secret::SecretRef;
use super::validate::Validator;

/// Azure Database for PostgreSQL flexible server used as Harbor's database.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostgresConfig {
    /// Server resource name.
    pub server: String,
    /// Hostname Harbor connects to, such as `psql-harbor.postgres.database.azure.com`.
    pub host: String,
    /// Port. Default: 5432.
    #[serde(default = "default_postgres_port", deserialize_with = "number::port")]
    pub port: u16,
    /// Database of Harbor core. Default: `registry`.
    #[serde(default = "default_database")]
    pub database: String,
    /// Login user.
    pub username: String,
    /// Login password.
    pub password: SecretRef,
    /// `sslmode` of the connection. Default: `require`.
    #[serde(default = "default_sslmode")]
    pub sslmode: String,
}

fn default_postgres_port() -> u16 {
    5432
}

fn default_database() -> String {
    "registry".into()
}

fn default_sslmode() -> String {
    "require".into()
}

impl PostgresConfig {
    pub(crate) fn validate(&self, v: &mut Validator) {
        v.check("postgres.server", &self.server, rules::service_name);
        v.check("postgres.host", &self.host, rules::hostname);
        if self.port == 0 {
            v.report_literal("postgres.port", 0, number::PORT_RULE);
        }
        v.check("postgres.database", &self.database, postgres_identifier);
        v.check("postgres.username", &self.username, postgres_identifier);
        v.check("postgres.sslmode", &self.sslmode, rules::postgres_sslmode);
    }
}

fn postgres_identifier(value: &str) -> Result<(), String> {
    let starts_well = value.starts_with(|c: char| c.is_ascii_lowercase() || c == '_');
    let valid_chars = value
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if value.len() <= 63 && starts_well && valid_chars {
        Ok(())
    } else {
        Err(
            "a PostgreSQL name has 1-63 lowercase letters, digits or `_`, \
             not starting with a digit"
                .into(),
        )
    }
}

/// Azure Cache for Redis used as Harbor's cache and job queue.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RedisConfig {
    /// Cache resource name.
    pub name: String,
    /// Hostname, such as `redis-harbor.redis.cache.windows.net`.
    pub host: String,
    /// Port. Default: 6380, the TLS port of Azure Cache for Redis.
    #[serde(default = "default_redis_port", deserialize_with = "number::port")]
    pub port: u16,
    /// Whether the connection uses TLS. Default: true.
    #[serde(default = "default_tls")]
    pub tls: bool,
    /// Access key.
    pub password: SecretRef,
}

fn default_redis_port() -> u16 {
    6380
}

fn default_tls() -> bool {
    true
}

impl RedisConfig {
    pub(crate) fn validate(&self, v: &mut Validator) {
        v.check("redis.name", &self.name, rules::service_name);
        v.check("redis.host", &self.host, rules::hostname);
        if !self.tls {
            v.report_literal(
                "redis.tls",
                false,
                "Azure Cache for Redis disables its non-TLS port 6379 by default: set tls = true",
            );
        }
        if self.tls && self.port == 6379 {
            v.report_literal(
                "redis.port",
                6379,
                "the TLS port of Azure Cache for Redis is 6380",
            );
        }
        if self.port == 0 {
            v.report_literal("redis.port", 0, number::PORT_RULE);
        }
    }
}

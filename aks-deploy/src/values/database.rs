//! The chart's `database` section: internal PostgreSQL or an external server.

use serde::Serialize;

/// PostgreSQL `sslmode` of the connection from Harbor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SslMode {
    /// No TLS.
    Disable,
    /// TLS without certificate verification (what Azure Database for PostgreSQL requires at least).
    Require,
    /// TLS with CA verification.
    VerifyCa,
    /// TLS with CA and host name verification.
    VerifyFull,
}

/// An external PostgreSQL server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalDatabase {
    /// Host name, for example `example.postgres.database.azure.com`.
    pub host: String,
    /// Port, usually 5432.
    pub port: u16,
    /// User name.
    pub username: String,
    /// Name of a Secret with key `password`.
    pub existing_secret: String,
    /// Database of Harbor core.
    pub core_database: String,
    /// TLS mode; the chart default (`disable`) is rejected by validation when unset.
    pub sslmode: Option<SslMode>,
}

/// `database`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(into = "serde_json::Value")]
pub enum Database {
    /// The chart's PostgreSQL StatefulSet (one replica).
    Internal,
    /// An external server.
    External(ExternalDatabase),
}

impl From<Database> for serde_json::Value {
    fn from(database: Database) -> Self {
        match database {
            Database::Internal => serde_json::json!({"type": "internal"}),
            Database::External(external) => {
                let mut fields = serde_json::json!({
                    "host": external.host,
                    // The chart reads the port as a string.
                    "port": external.port.to_string(),
                    "username": external.username,
                    "existingSecret": external.existing_secret,
                    "coreDatabase": external.core_database,
                });
                if let Some(sslmode) = external.sslmode {
                    fields["sslmode"] = serde_json::to_value(sslmode).unwrap_or_default();
                }
                serde_json::json!({"type": "external", "external": fields})
            }
        }
    }
}

//! The typed deployment configuration, read from TOML.
//!
//! The file replaces the shell variables file of the bash deployment scripts. Keys are checked:
//! an unknown or misspelled key is an error naming the key and its line, because this is our
//! own format and a silently ignored key would deploy something else than the reader expects.
//! Secrets are references to environment variables or files, never values.
//!
//! ```
//! use harbor_azure::config::Config;
//!
//! let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/harbor.toml"))?;
//! let config = Config::from_toml(&text)?;
//! assert_eq!(config.harbor.hostname, "harbor.example.test");
//! assert_eq!(config.harbor.admin_password.to_string(), "<from env HARBOR_ADMIN_PASSWORD>");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod acr;
mod app;
mod azure;
mod error;
mod harbor;
mod network;
mod number;
mod platform;
mod rules;
mod secret;
mod services;
mod validate;

use std::path::Path;

use serde::Deserialize;

pub use acr::{AcrConfig, AcrImport, AcrRepository};
pub use app::AppConfig;
pub use azure::AzureConfig;
pub use error::ConfigError;
pub use harbor::{HarborConfig, Replicas, StorageClassNames, VolumeSizes};
pub use network::NetworkConfig;
pub use platform::{CertManagerConfig, DnsConfig, IngressNginxConfig};
pub use secret::{SecretError, SecretRef};
pub use services::{PostgresConfig, RedisConfig};
pub use validate::Problem;

/// The whole deployment: the sections of the TOML file.
///
/// Optional sections switch their part of the plan off: without `[acr]` there are no ACR
/// steps, without `[cert_manager]` the TLS secret must exist already. `[postgres]` and
/// `[redis]` are required by the managed-services preset only.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Subscription, resource group, location and zones.
    pub azure: AzureConfig,
    /// Harbor's release and settings.
    pub harbor: HarborConfig,
    /// cert-manager and its ACME cluster issuer.
    pub cert_manager: Option<CertManagerConfig>,
    /// The NGINX ingress controller. Defaults apply when the section is missing.
    #[serde(default)]
    pub ingress_nginx: IngressNginxConfig,
    /// The DNS zone of Harbor's hostname.
    pub dns: Option<DnsConfig>,
    /// Virtual network and subnets.
    pub network: Option<NetworkConfig>,
    /// External PostgreSQL of the managed-services preset.
    pub postgres: Option<PostgresConfig>,
    /// External Redis of the managed-services preset.
    pub redis: Option<RedisConfig>,
    /// Azure Container Registry.
    pub acr: Option<AcrConfig>,
    /// The sample application.
    pub app: Option<AppConfig>,
    /// The file path, or `<input>` for text parsed from memory, for errors found after loading.
    #[serde(skip)]
    origin: String,
}

const MEMORY_ORIGIN: &str = "<input>";

impl Config {
    /// Reads, parses and validates the file at `path`.
    ///
    /// # Errors
    ///
    /// [`ConfigError::Read`] when the file cannot be read, [`ConfigError::Parse`] for TOML
    /// syntax, unknown keys, missing keys and wrong types, [`ConfigError::Invalid`] listing
    /// every value that breaks a rule.
    pub fn load(path: impl AsRef<Path>) -> Result<Config, ConfigError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        parse_and_validate(&text, &path.display().to_string())
    }

    /// Parses and validates TOML text.
    ///
    /// # Errors
    ///
    /// As [`Config::load`], without the read error.
    pub fn from_toml(text: &str) -> Result<Config, ConfigError> {
        parse_and_validate(text, MEMORY_ORIGIN)
    }

    /// Returns where the configuration was read from: the file path, or `<input>` for text
    /// parsed from memory.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// Checks every value and returns all problems found, in section order.
    pub fn problems(&self) -> Vec<Problem> {
        let mut validator = validate::Validator::default();
        self.azure.validate(&mut validator);
        self.harbor.validate(&mut validator);
        if let Some(cert_manager) = &self.cert_manager {
            cert_manager.validate(&mut validator);
        }
        self.ingress_nginx.validate(&mut validator);
        if let Some(dns) = &self.dns {
            dns.validate(&self.harbor.hostname, &mut validator);
        }
        if let Some(network) = &self.network {
            network.validate(&mut validator);
        }
        if let Some(postgres) = &self.postgres {
            postgres.validate(&mut validator);
        }
        if let Some(redis) = &self.redis {
            redis.validate(&mut validator);
        }
        if let Some(acr) = &self.acr {
            acr.validate(&mut validator);
        }
        if let Some(app) = &self.app {
            app.validate(&mut validator);
        }
        validator.into_problems()
    }
}

fn parse_and_validate(text: &str, origin: &str) -> Result<Config, ConfigError> {
    let mut config = parse(text, origin)?;
    config.origin = origin.to_owned();
    let problems = config.problems();
    if problems.is_empty() {
        Ok(config)
    } else {
        Err(ConfigError::Invalid {
            origin: origin.to_owned(),
            problems,
        })
    }
}

// The error keeps toml's message and position but not its `Display`, which quotes the source
// line: for a rejected inline secret that line holds the secret.
fn parse(text: &str, origin: &str) -> Result<Config, ConfigError> {
    let parse_error = |key: String, error: &toml::de::Error| {
        let (line, column) = match error.span() {
            Some(span) => {
                let (line, column) = line_and_column(text, span.start);
                (Some(line), Some(column))
            }
            None => (None, None),
        };
        ConfigError::Parse {
            origin: origin.to_owned(),
            message: with_secret_hint(&key, error.message()),
            key,
            line,
            column,
        }
    };

    let deserializer =
        toml::Deserializer::parse(text).map_err(|error| parse_error(".".to_owned(), &error))?;
    serde_path_to_error::deserialize(deserializer).map_err(|error| {
        let key = error.path().to_string();
        parse_error(key, error.inner())
    })
}

/// Secrets of `[harbor]` and the environment variable the sample configuration reads each from.
const HARBOR_SECRETS: [(&str, &str); 4] = [
    ("admin_password", "HARBOR_ADMIN_PASSWORD"),
    ("secret_key", "HARBOR_SECRET_KEY"),
    ("core_secret", "HARBOR_CORE_SECRET"),
    ("registry_password", "HARBOR_REGISTRY_PASSWORD"),
];

/// Adds how to fill a missing `[harbor]` secret to serde's "missing field" message, because
/// configurations written before a secret was added lack it.
fn with_secret_hint(key: &str, message: &str) -> String {
    if key != "harbor" {
        return message.to_owned();
    }
    let hint = HARBOR_SECRETS
        .iter()
        .find(|(field, _)| message.trim_end() == format!("missing field `{field}`"));
    match hint {
        Some((field, variable)) => format!(
            "{message}; add `{field} = {{ env = \"{variable}\" }}` or \
             `{field} = {{ file = \"PATH\" }}` to [harbor]"
        ),
        None => message.to_owned(),
    }
}

/// Converts a byte offset into a 1-based line and column (in characters).
fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |index| index + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

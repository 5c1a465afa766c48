//! Harbor's secret values for the plan (placeholders) or for apply (resolved).

use aks_deploy::manifests::{HARBOR_KEY_LENGTH, HarborSecrets, names};
use secrecy::{ExposeSecret, SecretString};

use super::PlanError;
use super::preset::{DATABASE_SECRET, REDIS_SECRET};
use crate::config::{Config, SecretRef};

/// Whether secret references are read (apply) or stood in for (plan).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretMode {
    /// Use placeholders; nothing is read from the environment or from files. The plan shows
    /// each secret's source, never a placeholder.
    Placeholder,
    /// Read every referenced secret.
    Resolve,
}

/// Stands in for secret values in plan mode. It is 16 characters long because Harbor's
/// secret key must be, and it never reaches the output: plans list Secret keys, not data.
const PLACEHOLDER: &str = "plan-placeholder";

/// A Kubernetes Secret key and the configuration reference its value comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretSource {
    /// Secret name.
    pub secret: String,
    /// Key inside the Secret.
    pub key: String,
    /// Dotted configuration key of the reference, such as `harbor.admin_password`.
    pub config_key: &'static str,
    /// The reference.
    pub reference: SecretRef,
}

/// Builds Harbor's secrets for `config` and lists where each value comes from.
pub(crate) fn harbor_secrets(
    config: &Config,
    mode: SecretMode,
    uses_external_services: bool,
) -> Result<(HarborSecrets, Vec<SecretSource>), PlanError> {
    let harbor = &config.harbor;
    let mut sources = vec![
        source(
            names::ADMIN,
            "HARBOR_ADMIN_PASSWORD",
            "harbor.admin_password",
            &harbor.admin_password,
        ),
        source(
            names::SECRET_KEY,
            "secretKey",
            "harbor.secret_key",
            &harbor.secret_key,
        ),
    ];
    let mut secrets = HarborSecrets::new(value(
        &harbor.admin_password,
        "harbor.admin_password",
        mode,
    )?);
    let secret_key = value(&harbor.secret_key, "harbor.secret_key", mode)?;
    check_secret_key(&secret_key, &harbor.secret_key)?;
    secrets.secret_key = Some(secret_key);

    if uses_external_services {
        if let Some(postgres) = &config.postgres {
            secrets.database_password = Some(value(&postgres.password, "postgres.password", mode)?);
            sources.push(source(
                DATABASE_SECRET,
                "password",
                "postgres.password",
                &postgres.password,
            ));
        }
        if let Some(redis) = &config.redis {
            secrets.redis_password = Some(value(&redis.password, "redis.password", mode)?);
            sources.push(source(
                REDIS_SECRET,
                "REDIS_PASSWORD",
                "redis.password",
                &redis.password,
            ));
        }
    }
    Ok((secrets, sources))
}

fn source(
    secret: &str,
    key: &str,
    config_key: &'static str,
    reference: &SecretRef,
) -> SecretSource {
    SecretSource {
        secret: secret.to_owned(),
        key: key.to_owned(),
        config_key,
        reference: reference.clone(),
    }
}

fn value(
    reference: &SecretRef,
    config_key: &'static str,
    mode: SecretMode,
) -> Result<SecretString, PlanError> {
    match mode {
        SecretMode::Placeholder => Ok(SecretString::from(PLACEHOLDER)),
        SecretMode::Resolve => reference.resolve().map_err(|source| PlanError::Secret {
            key: config_key,
            source,
        }),
    }
}

/// Checks that the secret key is 16 ASCII characters, as Harbor's AES encryption needs. The
/// error names the configuration key and the reference, which `aks-deploy`'s check cannot.
fn check_secret_key(key: &SecretString, reference: &SecretRef) -> Result<(), PlanError> {
    let key = key.expose_secret();
    if key.is_ascii() && key.len() == HARBOR_KEY_LENGTH {
        return Ok(());
    }
    let rule = format!(
        "the value has {} characters ({} bytes), but Harbor requires exactly \
         {HARBOR_KEY_LENGTH} ASCII characters: {}",
        key.chars().count(),
        key.len(),
        match reference {
            SecretRef::Env(name) =>
                format!("set {name} to a key of {HARBOR_KEY_LENGTH} ASCII characters"),
            SecretRef::File(path) => {
                format!(
                    "write a key of {HARBOR_KEY_LENGTH} ASCII characters to {}",
                    path.display()
                )
            }
        }
    );
    Err(PlanError::InvalidSecret {
        key: "harbor.secret_key",
        reference: reference.clone(),
        rule,
    })
}

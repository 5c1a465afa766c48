//! Harbor's secret values for the plan (placeholders) or for apply (resolved).

use aks_deploy::manifests::{HARBOR_KEY_LENGTH, HarborSecrets, RegistryCredentialSecret, names};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

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
    /// Derivation of the stored value from the referenced one, when it is not stored as read,
    /// such as the registry's bcrypt htpasswd line.
    pub derived: Option<&'static str>,
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
        source(
            names::CORE,
            "secret",
            "harbor.core_secret",
            &harbor.core_secret,
        ),
        source(
            names::REGISTRY,
            "REGISTRY_PASSWD",
            "harbor.registry_password",
            &harbor.registry_password,
        ),
        SecretSource {
            derived: Some(
                "the bcrypt htpasswd line of user harbor_registry_user, as \
                 `htpasswd -nbB harbor_registry_user PASSWORD` prints it, for",
            ),
            ..source(
                names::REGISTRY,
                "REGISTRY_HTPASSWD",
                "harbor.registry_password",
                &harbor.registry_password,
            )
        },
    ];
    let mut secrets = HarborSecrets::new(value(
        &harbor.admin_password,
        "harbor.admin_password",
        mode,
    )?);
    let secret_key = value(&harbor.secret_key, "harbor.secret_key", mode)?;
    check_harbor_key("harbor.secret_key", &secret_key, &harbor.secret_key)?;
    secrets.secret_key = Some(secret_key);
    let core_secret = value(&harbor.core_secret, "harbor.core_secret", mode)?;
    check_harbor_key("harbor.core_secret", &core_secret, &harbor.core_secret)?;
    secrets.core_secret = Some(core_secret);
    let registry_password = value(&harbor.registry_password, "harbor.registry_password", mode)?;
    secrets.registry = Some(RegistryCredentialSecret {
        htpasswd: registry_htpasswd(&registry_password, &harbor.registry_password)?,
        password: registry_password,
    });

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

/// User name the chart gives core and jobservice for the internal registry
/// (`registry.credentials.username`, left at the chart's default).
const REGISTRY_USER: &str = "harbor_registry_user";

/// bcrypt cost of the registry's htpasswd line; the chart's own `htpasswd` uses 10 too.
const BCRYPT_COST: u32 = 10;

/// Builds the registry's htpasswd line (`harbor_registry_user:$2y$10$…`) for `password`.
///
/// The salt comes from a SHA-256 of the password, so the same password always gives the same
/// line. Then a re-run or a GitOps render of the plan changes nothing, where a random salt would
/// change the Secret each time. A fixed salt costs nothing here, because the Secret that contains
/// the line also contains the password itself.
fn registry_htpasswd(
    password: &SecretString,
    reference: &SecretRef,
) -> Result<SecretString, PlanError> {
    let invalid = |rule: String| PlanError::InvalidSecret {
        key: "harbor.registry_password",
        reference: reference.clone(),
        rule,
    };
    let bytes = password.expose_secret().as_bytes();
    if bytes.len() > 72 {
        return Err(invalid(format!(
            "the value has {} bytes, but bcrypt reads at most 72 bytes: use a shorter password",
            bytes.len()
        )));
    }
    let mut hasher = Sha256::new();
    hasher.update(b"harbor-azure registry htpasswd salt\0");
    hasher.update(bytes);
    let mut salt = [0_u8; 16];
    salt.copy_from_slice(&hasher.finalize()[..16]);
    let hash = bcrypt::hash_with_salt(bytes, BCRYPT_COST, salt)
        .map_err(|error| invalid(format!("bcrypt could not hash the value: {error}")))?;
    Ok(SecretString::from(format!(
        "{REGISTRY_USER}:{}",
        hash.format_for_version(bcrypt::Version::TwoY)
    )))
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
        derived: None,
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

/// Checks that a Harbor key (the secret key or the core secret) is 16 ASCII characters, as
/// Harbor requires. The error names the configuration key and the reference, which
/// `aks-deploy`'s check cannot.
fn check_harbor_key(
    config_key: &'static str,
    key: &SecretString,
    reference: &SecretRef,
) -> Result<(), PlanError> {
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
        key: config_key,
        reference: reference.clone(),
        rule,
    })
}

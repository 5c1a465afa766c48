//! Kubernetes Secrets that hold Harbor's secret values, referenced from the chart values so the
//! values file and the helm release never contain them.

use std::collections::BTreeMap;

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use secrecy::{ExposeSecret, SecretString};

use crate::error::{Error, Result};
use crate::names::{check_dns_label, check_dns_subdomain};
use crate::redact::Redactor;
use crate::values::{Database, HarborValues, ImageStorage, Redis, RegistryCredentialsRef};

/// Length Harbor requires of `secretKey` and of the core secret.
pub const HARBOR_KEY_LENGTH: usize = 16;

/// The registry's internal credentials: the password and its htpasswd line.
#[derive(Clone)]
pub struct RegistryCredentialSecret {
    /// The password core and jobservice send to the registry.
    pub password: SecretString,
    /// The htpasswd line (`harbor_registry_user:$2y$...`, bcrypt) the registry checks.
    // NOTE: this crate computes no bcrypt hash, so the caller supplies the line, for example
    // from `htpasswd -nbB`. A line that does not match `password` breaks pushes and pulls.
    pub htpasswd: SecretString,
}

impl std::fmt::Debug for RegistryCredentialSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RegistryCredentialSecret { .. }")
    }
}

/// Secret values of a Harbor installation. `Debug` shows no value.
///
/// NOTE: the internal database password is not covered. Chart 1.19.2 reads it only from
/// `database.internal.password` (default `changeit`) and has no existing-Secret key for it, so
/// production setups should use an external database.
#[derive(Debug, Clone)]
pub struct HarborSecrets {
    /// Harbor admin password.
    pub admin_password: SecretString,
    /// Key that encrypts stored credentials, exactly 16 ASCII characters.
    pub secret_key: Option<SecretString>,
    /// Secret shared by core, jobservice and registry, exactly 16 ASCII characters.
    pub core_secret: Option<SecretString>,
    /// Registry credentials.
    pub registry: Option<RegistryCredentialSecret>,
    /// Password of the external database.
    pub database_password: Option<SecretString>,
    /// Password (access key) of the external Redis.
    pub redis_password: Option<SecretString>,
    /// Access key of the Azure Storage account of images.
    pub blob_account_key: Option<SecretString>,
}

/// Secret names the SDK uses in the Harbor namespace.
pub mod names {
    /// Admin password (key `HARBOR_ADMIN_PASSWORD`).
    pub const ADMIN: &str = "harbor-admin-password";
    /// Secret key (key `secretKey`).
    pub const SECRET_KEY: &str = "harbor-secret-key";
    /// Core secret (key `secret`).
    pub const CORE: &str = "harbor-core-secret";
    /// Registry credentials (keys `REGISTRY_PASSWD`, `REGISTRY_HTPASSWD`).
    pub const REGISTRY: &str = "harbor-registry-credentials";
}

impl HarborSecrets {
    /// Returns secrets with only the admin password.
    pub fn new(admin_password: SecretString) -> Self {
        HarborSecrets {
            admin_password,
            secret_key: None,
            core_secret: None,
            registry: None,
            database_password: None,
            redis_password: None,
            blob_account_key: None,
        }
    }

    /// Returns a redactor of every value, for helm errors and plans.
    pub fn redactor(&self) -> Redactor {
        let mut redactor = Redactor::new([&self.admin_password]);
        let optional = [
            &self.secret_key,
            &self.core_secret,
            &self.database_password,
            &self.redis_password,
            &self.blob_account_key,
        ];
        for secret in optional.into_iter().flatten() {
            redactor.add(secret);
        }
        if let Some(registry) = &self.registry {
            redactor.add(&registry.password);
            redactor.add(&registry.htpasswd);
        }
        redactor
    }

    /// Builds the Secrets for `values` in `namespace` and points `values` at them.
    ///
    /// # Errors
    ///
    /// Returns [`Error::InvalidInput`] when `namespace` is not an RFC 1123 DNS label or a Secret
    /// name from `values` is not an RFC 1123 DNS subdomain. Also when a key is not 16 ASCII
    /// characters, or the values use an external database, external Redis or Azure Blob storage
    /// whose secret value is missing.
    pub fn apply(&self, values: &mut HarborValues, namespace: &str) -> Result<Vec<Secret>> {
        check_dns_label("namespace", namespace)?;
        let mut secrets = Vec::new();
        values.admin_password_secret = names::ADMIN.to_string();
        values.admin_password_key = None;
        secrets.push(opaque(
            names::ADMIN,
            namespace,
            [("HARBOR_ADMIN_PASSWORD", &self.admin_password)],
        )?);

        if let Some(key) = &self.secret_key {
            check_length("secret_key", key)?;
            values.secret_key_secret = Some(names::SECRET_KEY.to_string());
            secrets.push(opaque(names::SECRET_KEY, namespace, [("secretKey", key)])?);
        }
        if let Some(core) = &self.core_secret {
            check_length("core_secret", core)?;
            values.core.existing_secret = Some(names::CORE.to_string());
            secrets.push(opaque(names::CORE, namespace, [("secret", core)])?);
        }
        if let Some(registry) = &self.registry {
            values.registry.credentials = Some(RegistryCredentialsRef {
                existing_secret: Some(names::REGISTRY.to_string()),
            });
            secrets.push(opaque(
                names::REGISTRY,
                namespace,
                [
                    ("REGISTRY_PASSWD", &registry.password),
                    ("REGISTRY_HTPASSWD", &registry.htpasswd),
                ],
            )?);
        }
        if let Database::External(external) = &values.database {
            let password = required(&self.database_password, "database_password")?;
            secrets.push(opaque(
                &external.existing_secret,
                namespace,
                [("password", password)],
            )?);
        }
        if let Redis::External(external) = &values.redis {
            let password = required(&self.redis_password, "redis_password")?;
            secrets.push(opaque(
                &external.existing_secret,
                namespace,
                [("REDIS_PASSWORD", password)],
            )?);
        }
        if let ImageStorage::AzureBlob {
            existing_secret, ..
        } = &values.persistence.image_chart_storage
        {
            let key = required(&self.blob_account_key, "blob_account_key")?;
            secrets.push(opaque(
                existing_secret,
                namespace,
                [("AZURE_STORAGE_ACCESS_KEY", key)],
            )?);
        }
        Ok(secrets)
    }
}

fn required<'a>(secret: &'a Option<SecretString>, field: &'static str) -> Result<&'a SecretString> {
    secret.as_ref().ok_or_else(|| Error::InvalidInput {
        field,
        value: "(unset)".into(),
        rule: "the values reference a Secret for this value: set it".into(),
    })
}

/// Checks that a key is 16 ASCII characters. Harbor passes the key's bytes to AES, so 16
/// characters that take more than 16 bytes in UTF-8 break encryption at runtime.
fn check_length(field: &'static str, secret: &SecretString) -> Result<()> {
    let value = secret.expose_secret();
    if value.is_ascii() && value.len() == HARBOR_KEY_LENGTH {
        return Ok(());
    }
    Err(Error::InvalidInput {
        field,
        value: format!(
            "({} characters, {} bytes)",
            value.chars().count(),
            value.len()
        ),
        rule: format!(
            "Harbor requires exactly {HARBOR_KEY_LENGTH} ASCII characters ({HARBOR_KEY_LENGTH} bytes)"
        ),
    })
}

fn opaque<const N: usize>(
    name: &str,
    namespace: &str,
    entries: [(&str, &SecretString); N],
) -> Result<Secret> {
    check_dns_subdomain("Secret name", name)?;
    Ok(Secret {
        metadata: ObjectMeta {
            name: Some(name.to_string()),
            namespace: Some(namespace.to_string()),
            ..ObjectMeta::default()
        },
        type_: Some("Opaque".to_string()),
        data: Some(
            entries
                .into_iter()
                .map(|(key, value)| {
                    (
                        key.to_string(),
                        ByteString(value.expose_secret().as_bytes().to_vec()),
                    )
                })
                .collect::<BTreeMap<_, _>>(),
        ),
        ..Secret::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secrets_with_key(key: &str) -> HarborSecrets {
        let mut secrets = HarborSecrets::new(SecretString::from("s3cr3t-EXAMPLE"));
        secrets.secret_key = Some(SecretString::from(key));
        secrets
    }

    #[test]
    fn ascii_secret_key_is_accepted() {
        let mut values = crate::presets::managed_disks(&crate::presets::PresetBase::new(
            "harbor.example.test",
            "nginx",
        ));
        let secrets = secrets_with_key("0123456789abcdef").apply(&mut values, "harbor");
        assert!(secrets.is_ok(), "{secrets:?}");
    }

    #[test]
    fn multibyte_secret_key_is_rejected() {
        // 16 characters but 19 bytes: Harbor passes the bytes to AES, which rejects 19.
        let key = "ééé4567890abcdef";
        let mut values = crate::presets::managed_disks(&crate::presets::PresetBase::new(
            "harbor.example.test",
            "nginx",
        ));
        let error = secrets_with_key(key)
            .apply(&mut values, "harbor")
            .unwrap_err()
            .to_string();
        assert!(error.contains("16 ASCII characters"), "{error}");
        assert!(!error.contains(key), "{error}");
    }

    #[test]
    fn apply_rejects_invalid_namespace() {
        let mut values = crate::presets::managed_disks(&crate::presets::PresetBase::new(
            "harbor.example.test",
            "nginx",
        ));
        let error = secrets_with_key("0123456789abcdef")
            .apply(&mut values, "Harbor_NS")
            .unwrap_err()
            .to_string();
        assert!(error.contains("namespace \"Harbor_NS\""), "{error}");
    }

    #[test]
    fn apply_rejects_invalid_external_secret_name() {
        let mut values = crate::presets::managed_disks(&crate::presets::PresetBase::new(
            "harbor.example.test",
            "nginx",
        ));
        values.persistence.image_chart_storage = ImageStorage::AzureBlob {
            account_name: "examplestorage".into(),
            container: "harbor".into(),
            existing_secret: "Harbor_Blob".into(),
        };
        let mut secrets = secrets_with_key("0123456789abcdef");
        secrets.blob_account_key = Some(SecretString::from("s3cr3t-EXAMPLE"));
        let error = secrets
            .apply(&mut values, "harbor")
            .unwrap_err()
            .to_string();
        assert!(error.contains("Secret name \"Harbor_Blob\""), "{error}");
    }
}

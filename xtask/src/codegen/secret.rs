//! Secret properties: which model fields hold credentials, and the `generated/secret.rs` file with
//! the `Secret` type they use.

use super::naming;
use super::{GENERATED_HEADER, GeneratedFile};

/// Last words of property names whose string values are credentials (`ldap_search_password`,
/// `oidc_client_secret`, `access_credential`).
const SECRET_LAST_WORDS: &[&str] = &["password", "secret", "credential"];

/// Whole property names whose string values are credentials: an `Authorization` header value.
const SECRET_NAMES: &[&str] = &["auth_header"];

/// Reports whether a string property named `json_name` contains a credential, so its field is a
/// `Secret` that `Debug` redacts.
///
/// The last word decides, so `access_secret` is a secret but `access_secret_type`, the name of a
/// credential's type, is not.
pub(crate) fn is_secret_property(json_name: &str) -> bool {
    let words = naming::words(json_name);
    let last_is_secret = words
        .last()
        .is_some_and(|last| SECRET_LAST_WORDS.contains(&last.as_str()));
    last_is_secret || SECRET_NAMES.contains(&words.join("_").as_str())
}

/// Rust source of the `Secret` type, without the generated marker.
const SECRET_SOURCE: &str = r#"//! The type of secret model properties: passwords, client secrets and robot secrets.

use secrecy::ExposeSecret;

/// A credential in a Harbor model. `Debug` prints `Secret([REDACTED])`, so logging a model does
/// not show it. Serde reads and writes it as a plain JSON string.
#[derive(Clone, Default)]
pub struct Secret(secrecy::SecretString);

impl Secret {
    /// Wraps `value`.
    pub fn new(value: impl Into<String>) -> Self {
        Self(secrecy::SecretString::from(value.into()))
    }

    /// Returns the secret value.
    pub fn expose_secret(&self) -> &str {
        self.0.expose_secret()
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("Secret([REDACTED])")
    }
}

impl PartialEq for Secret {
    fn eq(&self, other: &Self) -> bool {
        self.expose_secret() == other.expose_secret()
    }
}

impl Eq for Secret {}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self::new(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self::new(value)
    }
}

impl serde::Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.expose_secret())
    }
}

impl<'de> serde::Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = <String as serde::Deserialize>::deserialize(deserializer)?;
        Ok(Self::new(value))
    }
}
"#;

/// Returns `generated/secret.rs`.
pub(crate) fn secret_file() -> GeneratedFile {
    GeneratedFile {
        path: "secret.rs".to_owned(),
        content: format!("{GENERATED_HEADER}\n{SECRET_SOURCE}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_names_are_secret() {
        for name in [
            "password",
            "old_password",
            "ldap_search_password",
            "secret",
            "oidc_client_secret",
            "access_secret",
            "access_credential",
            "auth_header",
        ] {
            assert!(is_secret_property(name), "{name}");
        }
    }

    #[test]
    fn credential_metadata_is_not_secret() {
        for name in [
            "access_key",
            "access_secret_type",
            "access_secret_data",
            "credential_type",
            "auth_mode",
            "token_expiration",
        ] {
            assert!(!is_secret_property(name), "{name}");
        }
    }
}

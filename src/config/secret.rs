//! References to secrets that live outside the configuration file.

use std::fmt;
use std::path::{Path, PathBuf};

use secrecy::SecretString;
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};

/// Where a secret comes from: an environment variable or a file. Never the value itself.
///
/// In TOML: `{ env = "HARBOR_ADMIN_PASSWORD" }` or `{ file = "/run/secrets/harbor-admin" }`. A
/// plain string is rejected, so a password cannot end up committed with the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretRef {
    /// The value of this environment variable.
    Env(String),
    /// The contents of this file, without a trailing newline.
    File(PathBuf),
}

/// Errors of [`SecretRef::resolve`]; they name the variable or file, never the secret.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SecretError {
    /// The environment variable is not set or is not valid Unicode.
    #[error("environment variable {name} is not set: export it before running apply")]
    EnvMissing {
        /// The variable name.
        name: String,
    },
    /// The environment variable or file is empty.
    #[error("{source_name} is empty: put the secret there")]
    Empty {
        /// `environment variable NAME` or `file PATH`.
        source_name: String,
    },
    /// The file could not be read.
    #[error("failed to read secret file {path}")]
    FileRead {
        /// The file path.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

impl SecretRef {
    /// Reads the secret from its environment variable or file.
    ///
    /// A single trailing newline (`\n` or `\r\n`) of a file is dropped, because most tools that
    /// write secret files add one.
    ///
    /// # Errors
    ///
    /// [`SecretError`] when the variable is unset, the file is unreadable or the value is empty.
    pub fn resolve(&self) -> Result<SecretString, SecretError> {
        match self {
            SecretRef::Env(name) => {
                let value = std::env::var(name)
                    .map_err(|_| SecretError::EnvMissing { name: name.clone() })?;
                if value.is_empty() {
                    return Err(SecretError::Empty {
                        source_name: format!("environment variable {name}"),
                    });
                }
                Ok(SecretString::from(value))
            }
            SecretRef::File(path) => read_secret_file(path),
        }
    }
}

fn read_secret_file(path: &Path) -> Result<SecretString, SecretError> {
    let mut value = std::fs::read_to_string(path).map_err(|source| SecretError::FileRead {
        path: path.to_path_buf(),
        source,
    })?;
    if value.ends_with('\n') {
        value.pop();
        if value.ends_with('\r') {
            value.pop();
        }
    }
    if value.is_empty() {
        return Err(SecretError::Empty {
            source_name: format!("file {}", path.display()),
        });
    }
    Ok(SecretString::from(value))
}

/// Shows where the secret comes from, as `<from env NAME>` or `<from file PATH>`.
impl fmt::Display for SecretRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SecretRef::Env(name) => write!(f, "<from env {name}>"),
            SecretRef::File(path) => write!(f, "<from file {}>", path.display()),
        }
    }
}

const INLINE_REJECTED: &str = "inline secret values are not allowed: \
     use { env = \"VARIABLE\" } or { file = \"/path/to/file\" }";

impl<'de> Deserialize<'de> for SecretRef {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(SecretRefVisitor)
    }
}

struct SecretRefVisitor;

impl<'de> Visitor<'de> for SecretRefVisitor {
    type Value = SecretRef;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a table { env = \"VARIABLE\" } or { file = \"/path/to/file\" }")
    }

    // The inline value is never echoed: it is probably a real password.
    fn visit_str<E: de::Error>(self, _value: &str) -> Result<SecretRef, E> {
        Err(E::custom(INLINE_REJECTED))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<SecretRef, A::Error> {
        let mut found: Option<SecretRef> = None;
        while let Some(key) = map.next_key::<String>()? {
            let reference = match key.as_str() {
                "env" => SecretRef::Env(map.next_value::<String>()?),
                "file" => SecretRef::File(PathBuf::from(map.next_value::<String>()?)),
                other => return Err(de::Error::unknown_field(other, &["env", "file"])),
            };
            if found.is_some() {
                return Err(de::Error::custom(
                    "a secret reference has exactly one of `env` or `file`, not both",
                ));
            }
            found = Some(reference);
        }
        match found {
            Some(SecretRef::Env(name)) if !is_env_name(&name) => Err(de::Error::custom(format!(
                "`{name}` is not an environment variable name: \
                 use letters, digits and `_`, not starting with a digit"
            ))),
            Some(SecretRef::File(path)) if path.as_os_str().is_empty() => {
                Err(de::Error::custom("the secret file path is empty"))
            }
            Some(reference) => Ok(reference),
            None => Err(de::Error::custom(
                "a secret reference needs `env` or `file`, for example { env = \"VARIABLE\" }",
            )),
        }
    }
}

fn is_env_name(name: &str) -> bool {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) if first.is_ascii_alphabetic() || first == '_' => {}
        _ => return false,
    }
    chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;

    #[derive(Debug, Deserialize)]
    struct Holder {
        secret: SecretRef,
    }

    // `message()`, not `Display`: toml's Display quotes the source line, secret included.
    fn parse(text: &str) -> Result<SecretRef, String> {
        toml::from_str::<Holder>(text)
            .map(|holder| holder.secret)
            .map_err(|error| error.message().to_owned())
    }

    #[test]
    fn env_reference_parses() {
        let secret = parse(r#"secret = { env = "HARBOR_ADMIN_PASSWORD" }"#).unwrap();
        assert_eq!(secret, SecretRef::Env("HARBOR_ADMIN_PASSWORD".into()));
        assert_eq!(secret.to_string(), "<from env HARBOR_ADMIN_PASSWORD>");
    }

    #[test]
    fn file_reference_parses() {
        let secret = parse(r#"secret = { file = "/run/secrets/x" }"#).unwrap();
        assert_eq!(secret, SecretRef::File("/run/secrets/x".into()));
        assert_eq!(secret.to_string(), "<from file /run/secrets/x>");
    }

    #[test]
    fn inline_secret_rejected_without_echo() {
        let message = parse(r#"secret = "s3cr3t-EXAMPLE""#).unwrap_err();
        assert!(
            message.contains("inline secret values are not allowed"),
            "{message}"
        );
        assert!(!message.contains("s3cr3t-EXAMPLE"), "{message}");
    }

    #[test]
    fn both_env_and_file_rejected() {
        let message = parse(r#"secret = { env = "A", file = "/b" }"#).unwrap_err();
        assert!(
            message.contains("exactly one of `env` or `file`"),
            "{message}"
        );
    }

    #[test]
    fn unknown_reference_key_rejected() {
        let message = parse(r#"secret = { value = "x" }"#).unwrap_err();
        assert!(message.contains("unknown field `value`"), "{message}");
    }

    #[test]
    fn invalid_env_name_rejected() {
        let message = parse(r#"secret = { env = "1-BAD" }"#).unwrap_err();
        assert!(
            message.contains("`1-BAD` is not an environment variable name"),
            "{message}"
        );
    }

    #[test]
    fn file_secret_drops_trailing_newline() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret");
        std::fs::write(&path, "s3cr3t-EXAMPLE\r\n").unwrap();
        let secret = SecretRef::File(path).resolve().unwrap();
        assert_eq!(secret.expose_secret(), "s3cr3t-EXAMPLE");
    }

    #[test]
    fn empty_file_secret_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret");
        std::fs::write(&path, "\n").unwrap();
        let error = SecretRef::File(path).resolve().unwrap_err();
        assert!(error.to_string().contains("is empty"), "{error}");
    }

    #[test]
    fn missing_file_secret_names_path_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("absent");
        let error = SecretRef::File(path.clone()).resolve().unwrap_err();
        assert_eq!(
            error.to_string(),
            format!("failed to read secret file {}", path.display())
        );
        let cause = std::error::Error::source(&error).expect("the I/O error is the source");
        assert!(cause.to_string().contains("No such file"), "{cause}");
    }

    #[test]
    fn missing_env_secret_names_variable() {
        let name = "HARBOR_AZURE_TEST_SECRET_THAT_IS_NEVER_SET";
        let error = SecretRef::Env(name.into()).resolve().unwrap_err();
        assert_eq!(
            error.to_string(),
            format!("environment variable {name} is not set: export it before running apply")
        );
    }
}

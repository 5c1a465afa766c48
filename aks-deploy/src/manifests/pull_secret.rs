//! `kubernetes.io/dockerconfigjson` image pull Secrets.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;

use crate::error::{Error, Result};
use crate::names::{check_dns_label, check_dns_subdomain};

/// Registry key Docker uses for Docker Hub in config.json.
pub const DOCKER_HUB_KEY: &str = "https://index.docker.io/v1/";

/// Credentials of one registry.
#[derive(Debug, Clone)]
pub struct RegistryCredentials {
    /// Registry host or URL, for example `harbor.example.test` or `https://harbor.example.test/`.
    pub registry: String,
    /// User name: a Harbor robot such as `robot$proj1+pull`, or an ACR token name.
    pub username: String,
    /// Password or token secret.
    pub password: SecretString,
}

/// Returns the config.json key of a registry: the lower-case bare host (with port), or
/// [`DOCKER_HUB_KEY`] for Docker Hub. Surrounding spaces and an `http://` or `https://` scheme
/// in any letter case are dropped.
///
/// # Errors
///
/// Returns [`Error::InvalidInput`] for an empty host.
pub fn registry_key(registry: &str) -> Result<String> {
    let trimmed = registry.trim();
    let lower = trimmed.to_ascii_lowercase();
    let without_scheme = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))
        .unwrap_or(&lower);
    let host = without_scheme.split('/').next().unwrap_or_default();
    if host.is_empty() {
        return Err(Error::InvalidInput {
            field: "registry",
            value: registry.to_string(),
            rule: "a registry host such as harbor.example.test is required".into(),
        });
    }
    let docker_hub = ["docker.io", "index.docker.io", "registry-1.docker.io"];
    if docker_hub.contains(&host) {
        return Ok(DOCKER_HUB_KEY.to_string());
    }
    Ok(host.to_string())
}

/// Builds the docker config.json document for `credentials`.
///
/// Each entry carries `username`, `password` and `auth` (base64 of `user:password`) because
/// some consumers read only `auth` and others only the pair.
///
/// # Errors
///
/// Returns [`Error::InvalidInput`] for an empty registry host, an empty user name, a user name
/// containing `:` (which `auth` cannot represent, because readers split it at the first `:`), or
/// two entries for the same registry.
pub fn docker_config_json(credentials: &[RegistryCredentials]) -> Result<SecretString> {
    let mut auths = BTreeMap::new();
    for entry in credentials {
        if entry.username.is_empty() {
            return Err(Error::InvalidInput {
                field: "username",
                value: String::new(),
                rule: "a user name is required".into(),
            });
        }
        if entry.username.contains(':') {
            return Err(Error::InvalidInput {
                field: "username",
                value: entry.username.clone(),
                rule: "a user name must not contain ':', because the auth field splits user and password at the first ':'".into(),
            });
        }
        let key = registry_key(&entry.registry)?;
        if auths.contains_key(&key) {
            return Err(Error::InvalidInput {
                field: "registry",
                value: entry.registry.clone(),
                rule: format!(
                    "the registry {key} is given more than once; a pull Secret holds one entry per registry"
                ),
            });
        }
        let password = entry.password.expose_secret();
        let auth = STANDARD.encode(format!("{}:{password}", entry.username));
        let auth_entry = AuthEntry {
            username: &entry.username,
            password,
            auth,
        };
        auths.insert(key, auth_entry);
    }
    let document =
        serde_json::to_string(&DockerConfig { auths }).map_err(|error| Error::InvalidInput {
            field: "docker config.json",
            value: String::new(),
            rule: format!("serialization failed: {error}"),
        })?;
    Ok(SecretString::from(document))
}

/// One entry of `auths`; the fixed field order keeps the encoded Secret reproducible.
#[derive(serde::Serialize)]
struct AuthEntry<'a> {
    username: &'a str,
    password: &'a str,
    auth: String,
}

#[derive(serde::Serialize)]
struct DockerConfig<'a> {
    auths: BTreeMap<String, AuthEntry<'a>>,
}

/// Builds a pull Secret named `name` in `namespace` from credentials.
///
/// # Errors
///
/// Returns [`Error::InvalidInput`] when `name` is not an RFC 1123 DNS subdomain, `namespace` is
/// not an RFC 1123 DNS label, or as [`docker_config_json`] does.
pub fn pull_secret(
    name: &str,
    namespace: &str,
    credentials: &[RegistryCredentials],
) -> Result<Secret> {
    check_secret_names(name, namespace)?;
    let config = docker_config_json(credentials)?;
    Ok(pull_secret_from_config(name, namespace, &config))
}

/// Builds a pull Secret from an existing docker config.json, for example `~/.docker/config.json`.
///
/// # Errors
///
/// Returns [`Error::InvalidInput`] when `name` is not an RFC 1123 DNS subdomain, `namespace` is
/// not an RFC 1123 DNS label, or the document is not JSON with an `auths` object.
pub fn pull_secret_from_docker_config(
    name: &str,
    namespace: &str,
    config_json: &SecretString,
) -> Result<Secret> {
    check_secret_names(name, namespace)?;
    let parsed: Value =
        serde_json::from_str(config_json.expose_secret()).map_err(|error| Error::InvalidInput {
            field: "docker config.json",
            value: format!("(line {}, column {})", error.line(), error.column()),
            rule: "the document is not valid JSON".into(),
        })?;
    if !parsed.get("auths").is_some_and(Value::is_object) {
        return Err(Error::InvalidInput {
            field: "docker config.json",
            value: "(no auths)".into(),
            rule: "an `auths` object is required; credential helpers (credsStore) cannot be copied into a Secret".into(),
        });
    }
    Ok(pull_secret_from_config(name, namespace, config_json))
}

fn check_secret_names(name: &str, namespace: &str) -> Result<()> {
    check_dns_subdomain("Secret name", name)?;
    check_dns_label("namespace", namespace)
}

fn pull_secret_from_config(name: &str, namespace: &str, config: &SecretString) -> Secret {
    Secret {
        metadata: ObjectMeta {
            name: Some(name.to_string()),
            namespace: Some(namespace.to_string()),
            ..ObjectMeta::default()
        },
        type_: Some("kubernetes.io/dockerconfigjson".to_string()),
        data: Some(BTreeMap::from([(
            ".dockerconfigjson".to_string(),
            ByteString(config.expose_secret().as_bytes().to_vec()),
        )])),
        ..Secret::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn robot() -> RegistryCredentials {
        RegistryCredentials {
            registry: "https://harbor.example.test/".into(),
            username: "robot$proj1+pull".into(),
            password: SecretString::from("s3cr3t-EXAMPLE"),
        }
    }

    #[test]
    fn robot_secret_matches_docker_format() {
        let secret = pull_secret("harbor-pull", "default", &[robot()]).unwrap();
        assert_eq!(
            secret.type_.as_deref(),
            Some("kubernetes.io/dockerconfigjson")
        );
        let json = serde_json::to_value(&secret).unwrap();
        assert_eq!(
            json["data"][".dockerconfigjson"],
            "eyJhdXRocyI6eyJoYXJib3IuZXhhbXBsZS50ZXN0Ijp7InVzZXJuYW1lIjoicm9ib3QkcHJvajErcHVsbCIsInBhc3N3b3JkIjoiczNjcjN0LUVYQU1QTEUiLCJhdXRoIjoiY205aWIzUWtjSEp2YWpFcmNIVnNiRHB6TTJOeU0zUXRSVmhCVFZCTVJRPT0ifX19"
        );
    }

    #[test]
    fn config_json_decodes_to_expected_document() {
        let config = docker_config_json(&[robot()]).unwrap();
        assert_eq!(
            config.expose_secret(),
            r#"{"auths":{"harbor.example.test":{"username":"robot$proj1+pull","password":"s3cr3t-EXAMPLE","auth":"cm9ib3QkcHJvajErcHVsbDpzM2NyM3QtRVhBTVBMRQ=="}}}"#
        );
    }

    #[test]
    fn registry_key_normalises_hosts() {
        assert_eq!(
            registry_key("https://harbor.example.test/").unwrap(),
            "harbor.example.test"
        );
        assert_eq!(
            registry_key("harbor.example.test:8443").unwrap(),
            "harbor.example.test:8443"
        );
        assert_eq!(registry_key("docker.io").unwrap(), DOCKER_HUB_KEY);
        assert_eq!(
            registry_key("exampleacr.azurecr.io").unwrap(),
            "exampleacr.azurecr.io"
        );
    }

    #[test]
    fn registry_key_ignores_case_and_spaces() {
        assert_eq!(
            registry_key("HTTPS://Harbor.example.test/").unwrap(),
            "harbor.example.test"
        );
        assert_eq!(
            registry_key(" harbor.example.test ").unwrap(),
            "harbor.example.test"
        );
        assert_eq!(registry_key("Docker.io").unwrap(), DOCKER_HUB_KEY);
        assert_eq!(
            registry_key("https://index.docker.io/v1/").unwrap(),
            DOCKER_HUB_KEY
        );
    }

    #[test]
    fn duplicate_registry_is_rejected() {
        let mut other = robot();
        other.registry = "harbor.example.test".into();
        other.username = "robot$proj2+pull".into();

        let error = docker_config_json(&[robot(), other])
            .unwrap_err()
            .to_string();

        assert!(error.contains("harbor.example.test"), "{error}");
        assert!(error.contains("more than once"), "{error}");
        assert!(!error.contains("s3cr3t"), "{error}");
    }

    #[test]
    fn username_with_colon_is_rejected() {
        let mut entry = robot();
        entry.username = "user:1".into();

        let error = docker_config_json(&[entry]).unwrap_err().to_string();

        assert!(error.contains("\"user:1\""), "{error}");
        assert!(error.contains("':'"), "{error}");
    }

    #[test]
    fn registry_key_rejects_empty_host() {
        assert!(registry_key("https://").is_err());
    }

    #[test]
    fn existing_config_without_auths_is_rejected() {
        let config = SecretString::from(r#"{"credsStore":"desktop"}"#);
        let error = pull_secret_from_docker_config("p", "default", &config).unwrap_err();
        assert!(error.to_string().contains("auths"), "{error}");
    }

    #[test]
    fn existing_config_is_copied_verbatim() {
        let text = r#"{"auths":{"exampleacr.azurecr.io":{"auth":"dXNlcjE6cw=="}}}"#;
        let secret =
            pull_secret_from_docker_config("p", "default", &SecretString::from(text)).unwrap();
        let data = secret.data.unwrap();
        assert_eq!(data[".dockerconfigjson"].0, text.as_bytes());
    }

    #[test]
    fn invalid_json_error_has_no_content() {
        let config = SecretString::from("{s3cr3t-EXAMPLE");
        let error = pull_secret_from_docker_config("p", "default", &config).unwrap_err();
        assert!(!error.to_string().contains("s3cr3t"), "{error}");
    }

    #[test]
    fn pull_secret_rejects_invalid_names() {
        let error = pull_secret("harbor_pull", "default", &[robot()]).unwrap_err();
        assert!(
            error.to_string().contains("Secret name \"harbor_pull\""),
            "{error}"
        );

        let config = SecretString::from(r#"{"auths":{}}"#);
        let error = pull_secret_from_docker_config("p", "App_NS", &config).unwrap_err();
        assert!(
            error.to_string().contains("namespace \"App_NS\""),
            "{error}"
        );
    }
}

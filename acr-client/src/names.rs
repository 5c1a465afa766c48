//! Validated names of registries, scope maps, tokens and repositories.
//!
//! The length and character rules are the path-parameter rules of the
//! `Microsoft.ContainerRegistry` REST API, version 2025-04-01.

use std::fmt;

use crate::Error;

/// Login server suffixes of the public and sovereign clouds, stripped from registry names.
const LOGIN_SERVER_SUFFIXES: [&str; 3] = [".azurecr.io", ".azurecr.cn", ".azurecr.us"];

fn check(
    kind: &'static str,
    value: &str,
    rule: &'static str,
    allowed: impl Fn(char) -> bool,
) -> Result<(), Error> {
    let length = value.chars().count();
    if !(5..=50).contains(&length) || !value.chars().all(allowed) {
        return Err(Error::InvalidName {
            kind,
            value: value.to_owned(),
            rule,
        });
    }
    Ok(())
}

/// Returns what follows an `http://` or `https://` scheme in `value`, without one trailing `/`.
fn login_server_of_url(value: &str) -> Option<&str> {
    let (scheme, rest) = value.split_once("://")?;
    if !(scheme.eq_ignore_ascii_case("https") || scheme.eq_ignore_ascii_case("http")) {
        return None;
    }
    Some(rest.strip_suffix('/').unwrap_or(rest))
}

/// Registry name: 5 to 50 ASCII letters and digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RegistryName(String);

impl RegistryName {
    const RULE: &'static str = "5 to 50 letters and digits (a-z, A-Z, 0-9), no hyphens";

    /// Validates a registry name. A login server such as `exampleacr.azurecr.io`, also as
    /// a URL such as `https://exampleacr.azurecr.io/`, is accepted and reduced to
    /// `exampleacr`, with a warning in the log.
    ///
    /// # Errors
    /// [`Error::InvalidName`] with the value as given and the rule.
    pub fn new(value: &str) -> Result<Self, Error> {
        let trimmed = value.trim();
        let login_server = login_server_of_url(trimmed).unwrap_or(trimmed);
        let lower = login_server.to_ascii_lowercase();
        let name = LOGIN_SERVER_SUFFIXES
            .iter()
            .find(|suffix| lower.ends_with(*suffix))
            .map(|suffix| &login_server[..login_server.len() - suffix.len()]);
        let candidate = name.unwrap_or(trimmed);
        if check("registry name", candidate, Self::RULE, |c| {
            c.is_ascii_alphanumeric()
        })
        .is_err()
        {
            return Err(Error::InvalidName {
                kind: "registry name",
                value: value.to_owned(),
                rule: Self::RULE,
            });
        }
        if name.is_some() {
            tracing::warn!(
                value = trimmed,
                name = candidate,
                "registry login server given where a registry name is expected; using the name"
            );
        }
        Ok(Self(candidate.to_owned()))
    }

    /// Returns the name as given, without a login server suffix.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Login server in the public cloud: the lower-cased name plus `.azurecr.io`.
    pub fn login_server(&self) -> String {
        self.login_server_in(crate::arm::AzureCloud::Public)
    }

    /// Login server in `cloud`: the lower-cased name plus the cloud's suffix.
    pub fn login_server_in(&self, cloud: crate::arm::AzureCloud) -> String {
        format!(
            "{}{}",
            self.0.to_ascii_lowercase(),
            cloud.acr_login_server_suffix()
        )
    }
}

/// Scope map name: 5 to 50 of `a-z A-Z 0-9 - _`. Names starting with `_` are the
/// system scope maps, which are read-only.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ScopeMapName(String);

impl ScopeMapName {
    const RULE: &'static str = "5 to 50 characters of a-z, A-Z, 0-9, '-' and '_'";

    /// Validates a scope map name.
    ///
    /// # Errors
    /// [`Error::InvalidName`] with the value and the rule.
    pub fn new(value: &str) -> Result<Self, Error> {
        check("scope map name", value, Self::RULE, |c| {
            c.is_ascii_alphanumeric() || c == '-' || c == '_'
        })?;
        Ok(Self(value.to_owned()))
    }

    /// Returns the name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Checks whether this is a system scope map such as `_repositories_pull`.
    pub fn is_system(&self) -> bool {
        self.0.starts_with('_')
    }
}

/// Token name: 5 to 50 of `a-z A-Z 0-9 -`. The name is also the username of the token.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TokenName(String);

impl TokenName {
    const RULE: &'static str = "5 to 50 characters of a-z, A-Z, 0-9 and '-'";

    /// Validates a token name.
    ///
    /// # Errors
    /// [`Error::InvalidName`] with the value and the rule.
    pub fn new(value: &str) -> Result<Self, Error> {
        check("token name", value, Self::RULE, |c| {
            c.is_ascii_alphanumeric() || c == '-'
        })?;
        Ok(Self(value.to_owned()))
    }

    /// Returns the name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Repository name as the OCI distribution spec defines it: `/`-separated components of
/// lower-case letters and digits joined by `.`, `_`, `__` or runs of `-`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RepositoryName(String);

impl RepositoryName {
    const RULE: &'static str = "'/'-separated components of a-z and 0-9, joined inside a component by '.', '_', '__' or '-'";

    /// Validates a repository name.
    ///
    /// # Errors
    /// [`Error::InvalidName`] with the value and the rule.
    pub fn new(value: &str) -> Result<Self, Error> {
        if value.is_empty() || value.len() > 255 || !value.split('/').all(valid_component) {
            return Err(Error::InvalidName {
                kind: "repository name",
                value: value.to_owned(),
                rule: Self::RULE,
            });
        }
        Ok(Self(value.to_owned()))
    }

    /// Validates a repository name but accepts upper-case letters, which ACR's
    /// documented rule excludes.
    ///
    /// NOTE: used only for `importImage`, because the REST spec's own import examples
    /// use names such as `sourceRepository`; it is unverified whether ACR accepts them.
    pub(crate) fn new_ignoring_case(value: &str) -> Result<Self, Error> {
        Self::new(&value.to_ascii_lowercase()).map_err(|_| Error::InvalidName {
            kind: "repository name",
            value: value.to_owned(),
            rule: Self::RULE,
        })?;
        Ok(Self(value.to_owned()))
    }

    /// Returns the name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn valid_component(component: &str) -> bool {
    let bytes = component.as_bytes();
    let alphanumeric = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    if bytes.is_empty() || !alphanumeric(bytes[0]) || !alphanumeric(bytes[bytes.len() - 1]) {
        return false;
    }
    let mut index = 0;
    while index < bytes.len() {
        if alphanumeric(bytes[index]) {
            index += 1;
            continue;
        }
        let start = index;
        while index < bytes.len() && !alphanumeric(bytes[index]) {
            index += 1;
        }
        let separator = &component[start..index];
        let valid = matches!(separator, "." | "_" | "__") || separator.bytes().all(|b| b == b'-');
        if !valid {
            return false;
        }
    }
    true
}

macro_rules! display_as_str {
    ($($name:ty),*) => {$(
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    )*};
}

display_as_str!(RegistryName, ScopeMapName, TokenName, RepositoryName);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_name_rules() {
        assert_eq!(
            RegistryName::new("exampleacr").unwrap().as_str(),
            "exampleacr"
        );
        assert_eq!(
            RegistryName::new("exampleacr.azurecr.io").unwrap().as_str(),
            "exampleacr"
        );
        assert_eq!(
            RegistryName::new("ExampleACR.AzureCR.io").unwrap().as_str(),
            "ExampleACR"
        );

        for invalid in ["example-acr", "acr1", &"a".repeat(51), "exampleacr$", ""] {
            let error = RegistryName::new(invalid).unwrap_err();
            assert!(
                error.to_string().contains(&format!("{invalid:?}")),
                "{error}"
            );
            assert!(error.to_string().contains("5 to 50"), "{error}");
        }
        assert!(RegistryName::new(&"a".repeat(50)).is_ok());
    }

    #[test]
    fn registry_login_server_url_gives_name() {
        for value in [
            "https://exampleacr.azurecr.io",
            "https://exampleacr.azurecr.io/",
            "HTTPS://ExampleACR.azurecr.io/",
        ] {
            let name = RegistryName::new(value).unwrap();
            assert!(name.as_str().eq_ignore_ascii_case("exampleacr"), "{value}");
        }
    }

    #[test]
    fn registry_name_error_names_input() {
        for value in [
            "exampleacr.privatelink.azurecr.io",
            "https://example-acr.azurecr.io",
        ] {
            let error = RegistryName::new(value).unwrap_err().to_string();
            assert!(error.contains(&format!("{value:?}")), "{error}");
        }
    }

    #[test]
    fn registry_login_server_is_lower_case() {
        let name = RegistryName::new("ExampleACR").unwrap();

        assert_eq!(name.as_str(), "ExampleACR");
        assert_eq!(name.login_server(), "exampleacr.azurecr.io");
        assert_eq!(
            name.login_server_in(crate::arm::AzureCloud::China),
            "exampleacr.azurecr.cn"
        );
    }

    #[test]
    fn scope_map_name_rules() {
        assert!(ScopeMapName::new("harbor-push-scope-map").is_ok());
        assert!(ScopeMapName::new("my_scope_map").is_ok());
        assert!(ScopeMapName::new("_repositories_pull").unwrap().is_system());
        assert!(!ScopeMapName::new("user-map").unwrap().is_system());
        assert!(ScopeMapName::new("map").is_err());
        assert!(ScopeMapName::new("bad.map").is_err());
    }

    #[test]
    fn token_name_rules() {
        assert!(TokenName::new("harbor-push").is_ok());
        assert!(TokenName::new("harbor_push").is_err());
        assert!(TokenName::new("tok").is_err());
        assert!(TokenName::new(&"t".repeat(51)).is_err());
    }

    #[test]
    fn repository_name_rules() {
        for valid in ["mirror/nginx", "library/nginx", "a", "a.b_c__d---e/f0"] {
            assert!(RepositoryName::new(valid).is_ok(), "{valid}");
        }
        for invalid in [
            "",
            "Mirror/nginx",
            "mirror//nginx",
            "-a",
            "a-",
            "a...b",
            "a___b",
            "a/",
        ] {
            assert!(RepositoryName::new(invalid).is_err(), "{invalid}");
        }
    }
}

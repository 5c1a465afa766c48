//! Validated repository names and manifest references (tag or digest).

use std::fmt;
use std::str::FromStr;

use oci_spec::image::Digest;

use crate::Error;

/// A repository name such as `library/nginx`, checked against the distribution API's grammar:
/// lowercase alphanumeric components separated by `/`, each component joined internally by `.`,
/// `_`, `__` or runs of `-`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RepositoryName(String);

impl RepositoryName {
    /// Validates `name`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] naming the first component that breaks the grammar.
    pub fn new(name: impl Into<String>) -> Result<Self, Error> {
        let name = name.into();
        let invalid = |rule: String| Error::InvalidInput {
            what: "repository name",
            value: name.clone(),
            rule,
        };
        if name.is_empty() || name.len() > 255 {
            return Err(invalid("must have 1 to 255 characters".to_owned()));
        }
        for component in name.split('/') {
            if !is_valid_component(component) {
                return Err(invalid(format!(
                    "component {component:?} must be lowercase letters and digits, joined by \
                     '.', '_', '__' or runs of '-'"
                )));
            }
        }
        Ok(RepositoryName(name))
    }

    /// Returns the name as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn is_valid_component(component: &str) -> bool {
    let bytes = component.as_bytes();
    let alphanumeric = |byte: u8| byte.is_ascii_lowercase() || byte.is_ascii_digit();
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
        let valid = separator == "."
            || separator == "_"
            || separator == "__"
            || separator.bytes().all(|byte| byte == b'-');
        if !valid {
            return false;
        }
    }
    true
}

impl fmt::Display for RepositoryName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for RepositoryName {
    type Err = Error;

    fn from_str(value: &str) -> Result<Self, Error> {
        RepositoryName::new(value)
    }
}

/// The tag or digest of a manifest request.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ManifestReference {
    /// A tag: up to 128 characters of letters, digits, `_`, `.` and `-`, not starting with `.`
    /// or `-`.
    Tag(String),
    /// A content digest such as `sha256:…`.
    Digest(Digest),
}

impl ManifestReference {
    /// Validates a tag.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] when `tag` breaks the tag grammar.
    pub fn tag(tag: impl Into<String>) -> Result<Self, Error> {
        let tag = tag.into();
        let first_valid = tag
            .bytes()
            .next()
            .is_some_and(|byte| byte.is_ascii_alphanumeric() || byte == b'_');
        let rest_valid = tag
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'_' | b'.' | b'-'));
        if !first_valid || !rest_valid || tag.len() > 128 {
            return Err(Error::InvalidInput {
                what: "tag",
                value: tag,
                rule: "must be 1 to 128 letters, digits, '_', '.' or '-', not starting with '.' \
                       or '-'"
                    .to_owned(),
            });
        }
        Ok(ManifestReference::Tag(tag))
    }

    /// Returns the digest, when this reference is one.
    pub fn as_digest(&self) -> Option<&Digest> {
        match self {
            ManifestReference::Digest(digest) => Some(digest),
            ManifestReference::Tag(_) => None,
        }
    }
}

impl fmt::Display for ManifestReference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ManifestReference::Tag(tag) => f.write_str(tag),
            ManifestReference::Digest(digest) => write!(f, "{digest}"),
        }
    }
}

impl FromStr for ManifestReference {
    type Err = Error;

    /// Parses a digest when the value contains `:`, else a tag.
    fn from_str(value: &str) -> Result<Self, Error> {
        if value.contains(':') {
            let digest = value
                .parse::<Digest>()
                .map_err(|error| Error::InvalidInput {
                    what: "digest",
                    value: value.to_owned(),
                    rule: error.to_string(),
                })?;
            Ok(ManifestReference::Digest(digest))
        } else {
            ManifestReference::tag(value)
        }
    }
}

impl From<Digest> for ManifestReference {
    fn from(digest: Digest) -> Self {
        ManifestReference::Digest(digest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_repository_names() {
        for name in ["nginx", "library/nginx", "a/b-c/d__e", "x.y/z_1", "a---b"] {
            assert!(RepositoryName::new(name).is_ok(), "{name}");
        }
    }

    #[test]
    fn invalid_repository_names_show_value() {
        for name in [
            "", "Nginx", "a//b", "-a", "a.", "a..b", "a___b", "a/b/", "a:b",
        ] {
            let error = RepositoryName::new(name).unwrap_err();
            assert!(error.to_string().contains(&format!("{name:?}")), "{error}");
        }
    }

    #[test]
    fn tag_grammar() {
        assert!(ManifestReference::tag("v1.2_3-rc").is_ok());
        assert!(ManifestReference::tag("_x").is_ok());
        for tag in ["", ".x", "-x", "a/b", &"x".repeat(129)] {
            assert!(ManifestReference::tag(tag).is_err(), "{tag}");
        }
    }

    #[test]
    fn reference_parses_digest_or_tag() {
        let digest = "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";
        assert!(matches!(
            digest.parse::<ManifestReference>().unwrap(),
            ManifestReference::Digest(_)
        ));
        assert!(matches!(
            "latest".parse::<ManifestReference>().unwrap(),
            ManifestReference::Tag(_)
        ));
        assert!("sha256:xyz".parse::<ManifestReference>().is_err());
    }
}

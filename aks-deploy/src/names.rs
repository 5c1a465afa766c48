//! Kubernetes object names, checked by the rules the API server applies before it stores an
//! object.
//!
//! Namespaces and container names are DNS labels. Most other objects (Secrets, Deployments,
//! StorageClasses, ClusterIssuers) are DNS subdomains. The checks follow
//! `IsDNS1123Label` and `IsDNS1123Subdomain` of `k8s.io/apimachinery/pkg/util/validation`.

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, Result};

/// Rule of a DNS label, as error messages state it.
pub const DNS_LABEL_RULE: &str = "an RFC 1123 DNS label has 1-63 lowercase letters, digits or \
                                  '-', starting and ending with a letter or digit";

/// Rule of a DNS subdomain, as error messages state it.
pub const DNS_SUBDOMAIN_RULE: &str = "an RFC 1123 DNS subdomain has 1-253 characters, made of \
                                      DNS labels (lowercase letters, digits or '-', starting and \
                                      ending with a letter or digit) joined by '.'";

/// Longest DNS label.
pub const DNS_LABEL_MAX_LENGTH: usize = 63;
/// Longest DNS subdomain.
pub const DNS_SUBDOMAIN_MAX_LENGTH: usize = 253;

/// Returns true for an RFC 1123 DNS label: 1-63 lowercase letters, digits or `-`, starting and
/// ending with a letter or digit.
pub fn is_dns_label(value: &str) -> bool {
    value.len() <= DNS_LABEL_MAX_LENGTH && is_label_except_length(value)
}

/// Returns true for an RFC 1123 DNS subdomain: at most 253 characters of DNS labels joined by `.`.
///
/// Like the Kubernetes API server, this does not limit each label to 63 characters.
pub fn is_dns_subdomain(value: &str) -> bool {
    value.len() <= DNS_SUBDOMAIN_MAX_LENGTH && value.split('.').all(is_label_except_length)
}

fn is_label_except_length(value: &str) -> bool {
    let alphanumeric = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    value.starts_with(alphanumeric)
        && value.ends_with(alphanumeric)
        && value.chars().all(|c| alphanumeric(c) || c == '-')
}

/// Checks that `value`, the value of `field`, is a DNS label.
///
/// # Errors
///
/// Returns [`Error::InvalidInput`] naming `field`, the value and [`DNS_LABEL_RULE`].
pub fn check_dns_label(field: &'static str, value: &str) -> Result<()> {
    if is_dns_label(value) {
        Ok(())
    } else {
        Err(invalid(field, value, DNS_LABEL_RULE))
    }
}

/// Checks that `value`, the value of `field`, is a DNS subdomain.
///
/// # Errors
///
/// Returns [`Error::InvalidInput`] naming `field`, the value and [`DNS_SUBDOMAIN_RULE`].
pub fn check_dns_subdomain(field: &'static str, value: &str) -> Result<()> {
    if is_dns_subdomain(value) {
        Ok(())
    } else {
        Err(invalid(field, value, DNS_SUBDOMAIN_RULE))
    }
}

fn invalid(field: &'static str, value: &str, rule: &str) -> Error {
    Error::InvalidInput {
        field,
        value: value.to_owned(),
        rule: rule.to_owned(),
    }
}

/// Field name in the errors of [`DnsLabel::new`] and [`DnsSubdomain::new`].
const NAME_FIELD: &str = "Kubernetes name";

/// A name that is an RFC 1123 DNS label, such as a namespace.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DnsLabel(String);

impl DnsLabel {
    /// Checks `value` and wraps it.
    ///
    /// # Errors
    ///
    /// Returns [`Error::InvalidInput`] with the value and [`DNS_LABEL_RULE`].
    pub fn new(value: impl Into<String>) -> Result<Self> {
        let value = value.into();
        check_dns_label(NAME_FIELD, &value)?;
        Ok(DnsLabel(value))
    }

    /// Returns the name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A name that is an RFC 1123 DNS subdomain, such as a Secret or a StorageClass.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DnsSubdomain(String);

impl DnsSubdomain {
    /// Checks `value` and wraps it.
    ///
    /// # Errors
    ///
    /// Returns [`Error::InvalidInput`] with the value and [`DNS_SUBDOMAIN_RULE`].
    pub fn new(value: impl Into<String>) -> Result<Self> {
        let value = value.into();
        check_dns_subdomain(NAME_FIELD, &value)?;
        Ok(DnsSubdomain(value))
    }

    /// Returns the name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

macro_rules! name_traits {
    ($name:ident) => {
        impl FromStr for $name {
            type Err = Error;

            fn from_str(value: &str) -> Result<Self> {
                $name::new(value)
            }
        }

        impl TryFrom<String> for $name {
            type Error = Error;

            fn try_from(value: String) -> Result<Self> {
                $name::new(value)
            }
        }

        impl TryFrom<&str> for $name {
            type Error = Error;

            fn try_from(value: &str) -> Result<Self> {
                $name::new(value)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<$name> for String {
            fn from(name: $name) -> String {
                name.0
            }
        }
    };
}

name_traits!(DnsLabel);
name_traits!(DnsSubdomain);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_label_accepts_valid_names() {
        for name in ["app", "a", "harbor-1", "1abc", &"a".repeat(63)] {
            assert!(is_dns_label(name), "{name}");
        }
    }

    #[test]
    fn dns_label_rejects_invalid_names() {
        for name in [
            "",
            "App_NS",
            "App",
            "app_ns",
            "-app",
            "app-",
            "app.ns",
            "äpp",
            &"a".repeat(64),
        ] {
            assert!(!is_dns_label(name), "{name}");
        }
    }

    #[test]
    fn dns_subdomain_accepts_valid_names() {
        let long_label = "a".repeat(100);
        for name in [
            "harbor-pull",
            "managed-csi.premium",
            "a.b.c",
            "1.2",
            long_label.as_str(),
            &"a".repeat(253),
        ] {
            assert!(is_dns_subdomain(name), "{name}");
        }
    }

    #[test]
    fn dns_subdomain_rejects_invalid_names() {
        for name in [
            "",
            "harbor_tls",
            "Harbor",
            "managed..csi",
            ".harbor",
            "harbor.",
            "harbor.-pull",
            "harbor-.pull",
            &"a".repeat(254),
        ] {
            assert!(!is_dns_subdomain(name), "{name}");
        }
    }

    #[test]
    fn check_names_field_value_and_rule() {
        let error = check_dns_label("namespace", "App_NS").unwrap_err();
        assert_eq!(
            error.to_string(),
            format!("invalid namespace \"App_NS\": {DNS_LABEL_RULE}")
        );

        let error = check_dns_subdomain("Secret name", "harbor_pull").unwrap_err();
        assert_eq!(
            error.to_string(),
            format!("invalid Secret name \"harbor_pull\": {DNS_SUBDOMAIN_RULE}")
        );
    }

    #[test]
    fn newtypes_parse_and_display() {
        let label: DnsLabel = "app".parse().unwrap();
        assert_eq!(label.as_str(), "app");
        assert_eq!(label.to_string(), "app");

        let subdomain = DnsSubdomain::try_from("harbor.pull").unwrap();
        assert_eq!(String::from(subdomain), "harbor.pull");

        let error = DnsLabel::new("App_NS").unwrap_err();
        assert!(error.to_string().contains("\"App_NS\""), "{error}");
        assert!(error.to_string().contains(DNS_LABEL_RULE), "{error}");
        assert!(DnsSubdomain::new("a..b").is_err());
    }
}

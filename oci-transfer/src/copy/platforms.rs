//! Platform selection for indexes.

use std::fmt;
use std::str::FromStr;

use oci_spec::image::Platform;

use crate::Error;

/// A platform as `os/architecture[/variant]`, such as `linux/arm/v7`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PlatformSpec {
    /// Operating system, such as `linux`.
    pub os: String,
    /// CPU architecture, such as `amd64`.
    pub architecture: String,
    /// CPU variant, such as `v7`; `None` matches any variant.
    pub variant: Option<String>,
}

impl FromStr for PlatformSpec {
    type Err = Error;

    fn from_str(value: &str) -> Result<Self, Error> {
        let parts: Vec<&str> = value.split('/').collect();
        let valid_part = |part: &&str| {
            !part.is_empty()
                && part.bytes().all(|byte| {
                    byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'.' || byte == b'-'
                })
        };
        if !(2..=3).contains(&parts.len()) || !parts.iter().all(valid_part) {
            return Err(Error::InvalidInput {
                what: "platform",
                value: value.to_owned(),
                rule: "must be os/architecture or os/architecture/variant, such as linux/arm/v7"
                    .to_owned(),
            });
        }
        Ok(PlatformSpec {
            os: parts[0].to_owned(),
            architecture: parts[1].to_owned(),
            variant: parts.get(2).map(|variant| (*variant).to_owned()),
        })
    }
}

impl fmt::Display for PlatformSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(variant) = &self.variant {
            write!(f, "/{variant}")?;
        }
        Ok(())
    }
}

impl PlatformSpec {
    /// Whether an index entry's platform matches.
    pub fn matches(&self, platform: &Platform) -> bool {
        platform.os().to_string() == self.os
            && platform.architecture().to_string() == self.architecture
            && match &self.variant {
                Some(variant) => platform.variant().as_deref() == Some(variant.as_str()),
                None => true,
            }
    }
}

/// Which entries of an index to copy. There is deliberately no "host platform" choice, because
/// the machine running the copy says nothing about where the image will run.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum PlatformSelection {
    /// Every entry; the index is copied byte for byte and keeps its digest. The default.
    #[default]
    All,
    /// Only entries matching one of these platforms; a new index listing them is written.
    Only(Vec<PlatformSpec>),
}

impl PlatformSelection {
    /// Parses a list such as `["linux/amd64", "linux/arm64"]`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for an empty list (select [`PlatformSelection::All`] instead) or
    /// an invalid platform.
    pub fn only<I, S>(platforms: I) -> Result<Self, Error>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let specs = platforms
            .into_iter()
            .map(|platform| platform.as_ref().parse())
            .collect::<Result<Vec<PlatformSpec>, Error>>()?;
        if specs.is_empty() {
            return Err(Error::InvalidInput {
                what: "platform selection",
                value: "[]".to_owned(),
                rule: "name at least one platform such as linux/amd64, or select all platforms"
                    .to_owned(),
            });
        }
        Ok(PlatformSelection::Only(specs))
    }

    /// Whether an entry with this platform is selected. Entries without a platform are selected
    /// only by [`PlatformSelection::All`].
    pub fn selects(&self, platform: Option<&Platform>) -> bool {
        match self {
            PlatformSelection::All => true,
            PlatformSelection::Only(specs) => {
                platform.is_some_and(|platform| specs.iter().any(|spec| spec.matches(platform)))
            }
        }
    }
}

impl fmt::Display for PlatformSelection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlatformSelection::All => f.write_str("all"),
            PlatformSelection::Only(specs) => {
                let names: Vec<String> = specs.iter().map(ToString::to_string).collect();
                f.write_str(&names.join(", "))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use oci_spec::image::{Arch, Os, PlatformBuilder};

    use super::*;

    fn platform(architecture: Arch, variant: Option<&str>) -> Platform {
        let mut builder = PlatformBuilder::default()
            .os(Os::Linux)
            .architecture(architecture);
        if let Some(variant) = variant {
            builder = builder.variant(variant);
        }
        builder.build().unwrap()
    }

    #[test]
    fn spec_parses_and_matches_variant() {
        let arm_v7: PlatformSpec = "linux/arm/v7".parse().unwrap();
        assert!(arm_v7.matches(&platform(Arch::ARM, Some("v7"))));
        assert!(!arm_v7.matches(&platform(Arch::ARM, Some("v6"))));
        let arm: PlatformSpec = "linux/arm".parse().unwrap();
        assert!(arm.matches(&platform(Arch::ARM, Some("v6"))));
        let amd64: PlatformSpec = "linux/amd64".parse().unwrap();
        assert!(amd64.matches(&platform(Arch::Amd64, None)));
        assert!(!amd64.matches(&platform(Arch::ARM64, None)));
    }

    #[test]
    fn invalid_specs_are_rejected() {
        for value in ["linux", "linux/", "a/b/c/d", "linux/amd 64"] {
            assert!(value.parse::<PlatformSpec>().is_err(), "{value}");
        }
    }

    #[test]
    fn empty_selection_asks_for_explicit_platform() {
        let error = PlatformSelection::only(Vec::<String>::new()).unwrap_err();
        assert!(
            error.to_string().contains("select all platforms"),
            "{error}"
        );
    }

    #[test]
    fn only_skips_entries_without_platform() {
        let selection = PlatformSelection::only(["linux/amd64"]).unwrap();
        assert!(!selection.selects(None));
        assert!(PlatformSelection::All.selects(None));
    }
}

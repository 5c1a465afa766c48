//! Repository and tag selectors shared by tag retention and immutable tag rules.

use std::collections::BTreeMap;

use crate::Error;

/// A doublestar pattern that selects or excludes repositories or tags.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Selector {
    pattern: String,
    exclude: bool,
}

impl Selector {
    /// Selects what matches `pattern`, for example `**` or `release-*`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] for an empty pattern.
    pub fn matching(pattern: impl Into<String>) -> Result<Self, Error> {
        Self::new(pattern.into(), false)
    }

    /// Selects what does not match `pattern`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] for an empty pattern.
    pub fn excluding(pattern: impl Into<String>) -> Result<Self, Error> {
        Self::new(pattern.into(), true)
    }

    fn new(pattern: String, exclude: bool) -> Result<Self, Error> {
        if pattern.trim().is_empty() {
            return Err(Error::invalid(
                "selector pattern",
                pattern,
                "the pattern must not be empty; use ** for all",
            ));
        }
        Ok(Self { pattern, exclude })
    }

    /// Returns the pattern.
    pub fn pattern(&self) -> &str {
        &self.pattern
    }

    /// Returns Harbor's decoration for a repository selector.
    pub(crate) fn repository_decoration(&self) -> &'static str {
        if self.exclude {
            "repoExcludes"
        } else {
            "repoMatches"
        }
    }

    /// Returns Harbor's decoration for a tag selector.
    pub(crate) fn tag_decoration(&self) -> &'static str {
        if self.exclude { "excludes" } else { "matches" }
    }
}

/// The fields of a Harbor selector (`kind`, `decoration`, `pattern`, `extras`) used to compare a
/// stored rule with a desired one.
pub(crate) type SelectorKey = (String, String, String, String);

/// Builds a comparable key of a rule's tag selectors and repository scope selectors.
pub(crate) fn selectors_key<'a>(
    tags: impl IntoIterator<
        Item = (
            Option<&'a str>,
            Option<&'a str>,
            Option<&'a str>,
            Option<&'a str>,
        ),
    >,
    scopes: Option<BTreeMap<String, Vec<SelectorKey>>>,
) -> (Vec<SelectorKey>, BTreeMap<String, Vec<SelectorKey>>) {
    let mut tags: Vec<SelectorKey> = tags
        .into_iter()
        .map(|(kind, decoration, pattern, extras)| {
            (
                kind.unwrap_or_default().to_owned(),
                decoration.unwrap_or_default().to_owned(),
                pattern.unwrap_or_default().to_owned(),
                extras.unwrap_or_default().to_owned(),
            )
        })
        .collect();
    tags.sort();
    let mut scopes = scopes.unwrap_or_default();
    for selectors in scopes.values_mut() {
        selectors.sort();
    }
    (tags, scopes)
}

//! Destination namespace and flattening, with a pure preview of the destination path.

use crate::Error;

/// The destination of replicated repositories: a namespace, and how many leading path components of the
/// source repository it replaces (Harbor's `dest_namespace_replace_count`).
///
/// A count of `None` leaves the field out of the request, and Harbor then stores `-1`: the
/// legacy mode, which keeps only the last component. With an empty namespace Harbor ignores
/// the count and keeps the source path.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Destination {
    /// Destination namespace; `None` or empty keeps the source path.
    pub namespace: Option<String>,
    /// Number of leading components to replace: -1 (legacy), 0 (prefix only), or more.
    pub replace_count: Option<i64>,
}

impl Destination {
    /// Replaces `replace_count` leading components of the source path with `namespace`.
    pub fn new(namespace: impl Into<String>, replace_count: Option<i64>) -> Self {
        Self {
            namespace: Some(namespace.into()),
            replace_count,
        }
    }

    /// Checks that the count is from -1 to 127, the range of Harbor's 8-bit field.
    pub(crate) fn validate(&self) -> Result<(), Error> {
        match self.replace_count {
            Some(count) if !(-1..=127).contains(&count) => Err(Error::invalid(
                "destination namespace replace count",
                count.to_string(),
                "the count is -1 (legacy), 0 (add the namespace as a prefix) or a number of \
                 leading components up to 127",
            )),
            _ => Ok(()),
        }
    }

    /// Returns the repository path that `source` gets at the destination, as Harbor computes it.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] when the count exceeds the number of components before the last
    /// one (Harbor fails the task in that case), or is below -1.
    pub fn preview(&self, source: &str) -> Result<String, Error> {
        preview_destination(
            source,
            self.namespace.as_deref().unwrap_or(""),
            self.replace_count,
        )
    }
}

/// Returns the destination path of repository `source` for `namespace` and `replace_count`.
///
/// | count | `a/b/c/image` into `n` |
/// |---|---|
/// | `None` or -1 | `n/image` |
/// | 0 | `n/a/b/c/image` |
/// | 1 | `n/b/c/image` |
/// | 3 | `n/image` |
/// | 4 | error |
///
/// With an empty `namespace` the result is `source`, whatever the count.
///
/// # Errors
///
/// [`Error::InvalidArgument`] when the count exceeds the number of components before the last one,
/// or is below -1.
pub fn preview_destination(
    source: &str,
    namespace: &str,
    replace_count: Option<i64>,
) -> Result<String, Error> {
    let count = replace_count.unwrap_or(-1);
    if count < -1 {
        return Err(Error::invalid(
            "destination namespace replace count",
            count.to_string(),
            "the count is -1 or more",
        ));
    }
    if namespace.is_empty() {
        return Ok(source.to_owned());
    }
    let components: Vec<&str> = source.split('/').collect();
    let parents = components.len() - 1;
    if count == -1 {
        let last = components[parents];
        return Ok(format!("{namespace}/{last}"));
    }
    let count = usize::try_from(count).unwrap_or(usize::MAX);
    if count > parents {
        return Err(Error::invalid(
            "destination namespace replace count",
            count.to_string(),
            format!(
                "the source repository {source:?} has only {} components before the last one",
                parents
            ),
        ));
    }
    let kept = components[count..].join("/");
    Ok(format!("{namespace}/{kept}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flattening_preview_matches_harbor() {
        let cases: &[(Option<i64>, &str)] = &[
            (None, "n/image"),
            (Some(-1), "n/image"),
            (Some(0), "n/a/b/c/image"),
            (Some(1), "n/b/c/image"),
            (Some(2), "n/c/image"),
            (Some(3), "n/image"),
        ];
        for (count, expected) in cases {
            assert_eq!(
                preview_destination("a/b/c/image", "n", *count).unwrap(),
                *expected,
                "count {count:?}"
            );
        }
    }

    #[test]
    fn count_beyond_the_path_is_an_error() {
        let error = preview_destination("a/b/c/image", "n", Some(4))
            .unwrap_err()
            .to_string();
        assert!(error.contains("only 3 components"), "{error}");
        assert!(preview_destination("a/b/c/image", "n", Some(-2)).is_err());
    }

    #[test]
    fn empty_namespace_keeps_the_source() {
        for count in [None, Some(-1), Some(0), Some(2), Some(9)] {
            assert_eq!(
                preview_destination("a/b/c/image", "", count).unwrap(),
                "a/b/c/image"
            );
        }
    }

    #[test]
    fn replace_count_serialization() {
        use crate::generated::models::ReplicationPolicy;
        let absent = ReplicationPolicy::default();
        assert!(
            !serde_json::to_string(&absent)
                .unwrap()
                .contains("dest_namespace_replace_count")
        );
        let zero = ReplicationPolicy {
            dest_namespace_replace_count: Some(0),
            ..ReplicationPolicy::default()
        };
        assert!(
            serde_json::to_string(&zero)
                .unwrap()
                .contains("\"dest_namespace_replace_count\":0")
        );
    }
}

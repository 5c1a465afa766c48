//! The `q` query parameter of Harbor list operations.
//!
//! Harbor's query language (parsed by Harbor's `src/lib/q/builder.go`) has five patterns, joined
//! by `,`: exact `k=v`, fuzzy `k=~v`, range `k=[min~max]`, any-of `k={a b}` and all-of `k=(a b)`.
//! Harbor decodes the whole `q` value once more with Go's `url.QueryUnescape` after normal query
//! decoding, then splits keywords on `,` and list items on spaces with no escape mechanism. So
//! [`QueryBuilder`] percent-encodes each value once (the transport encodes the whole `q` again) and
//! rejects values that the split would cut.
//!
//! NOTE: the second decoding is read from Harbor's source, not checked against a running Harbor.
//! A value with `+` or `%` would show a wrong reading.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::Error;

/// Bytes of a value encoded by the builder: all but unreserved characters, `:` and `/`.
/// Harbor's second decoding pass restores them, including `+` and `%`.
const VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b':')
    .remove(b'/');

/// A value for the `q` query parameter, already encoded for Harbor's second decoding pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query(String);

impl Query {
    /// Starts building a query with [`QueryBuilder`].
    ///
    /// ```
    /// let q = harbor_client::query::Query::builder()
    ///     .exact("tags", "v1.0_rc")
    ///     .fuzzy("name", "nginx")
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(q.as_str(), "tags=v1.0_rc,name=~nginx");
    /// ```
    pub fn builder() -> QueryBuilder {
        QueryBuilder::default()
    }

    /// Wraps a `q` value that the caller has already written in Harbor's syntax.
    ///
    /// The value is sent unchanged except for the transport's normal query encoding, so the
    /// caller must apply the first encoding pass (for example `+` as `%2B`) itself.
    pub fn raw(q: impl Into<String>) -> Self {
        Self(q.into())
    }

    /// Returns the value sent as `q`, before the transport's own query encoding.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Builds a [`Query`] from keywords. Each key may appear once.
///
/// Validation happens in [`QueryBuilder::build`], which returns
/// [`Error::UnsupportedQueryValue`] for a value that Harbor would misread.
#[derive(Debug, Clone, Default)]
pub struct QueryBuilder {
    keywords: Vec<(String, Pattern)>,
}

#[derive(Debug, Clone)]
enum Pattern {
    Exact(String),
    Fuzzy(String),
    Range(String, String),
    AnyOf(Vec<String>),
    AllOf(Vec<String>),
}

impl QueryBuilder {
    /// Adds an exact match, `key=value`.
    pub fn exact(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.keywords
            .push((key.into(), Pattern::Exact(value.into())));
        self
    }

    /// Adds a fuzzy (substring) match, `key=~value`.
    pub fn fuzzy(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.keywords
            .push((key.into(), Pattern::Fuzzy(value.into())));
        self
    }

    /// Adds a range, `key=[min~max]`. One bound may be empty for an open range.
    pub fn range(
        mut self,
        key: impl Into<String>,
        min: impl Into<String>,
        max: impl Into<String>,
    ) -> Self {
        self.keywords
            .push((key.into(), Pattern::Range(min.into(), max.into())));
        self
    }

    /// Adds a match of any of `values`, `key={a b}`.
    pub fn any_of<I, S>(mut self, key: impl Into<String>, values: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let values = values.into_iter().map(Into::into).collect();
        self.keywords.push((key.into(), Pattern::AnyOf(values)));
        self
    }

    /// Adds a match of all of `values`, `key=(a b)`.
    pub fn all_of<I, S>(mut self, key: impl Into<String>, values: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let values = values.into_iter().map(Into::into).collect();
        self.keywords.push((key.into(), Pattern::AllOf(values)));
        self
    }

    /// Validates the keywords and encodes them into a `q` value.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] for an empty query, or a key that is empty, repeated, or not
    /// made of ASCII letters, digits, `_`, `.` and `-`. [`Error::UnsupportedQueryValue`] for a
    /// value that Harbor's parser would cut or misread; the error names the key, value and rule.
    pub fn build(self) -> Result<Query, Error> {
        if self.keywords.is_empty() {
            return Err(Error::InvalidArgument {
                name: "query",
                value: String::new(),
                rule: "a query needs at least one keyword".into(),
            });
        }
        let mut parts = Vec::with_capacity(self.keywords.len());
        for (index, (key, pattern)) in self.keywords.iter().enumerate() {
            check_key(key)?;
            if self.keywords[..index].iter().any(|(seen, _)| seen == key) {
                return Err(Error::InvalidArgument {
                    name: "query key",
                    value: key.clone(),
                    rule: "each key may appear once, because Harbor keeps only the last one".into(),
                });
            }
            parts.push(format!("{key}={}", encode_pattern(key, pattern)?));
        }
        Ok(Query(parts.join(",")))
    }
}

fn check_key(key: &str) -> Result<(), Error> {
    let valid = !key.is_empty()
        && key
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'_' | b'.' | b'-'));
    if valid {
        Ok(())
    } else {
        Err(Error::InvalidArgument {
            name: "query key",
            value: key.to_owned(),
            rule:
                "a key must be non-empty and contain only ASCII letters, digits, '_', '.' and '-'"
                    .into(),
        })
    }
}

fn encode_pattern(key: &str, pattern: &Pattern) -> Result<String, Error> {
    match pattern {
        Pattern::Exact(value) => {
            check_common(key, value)?;
            // Harbor reads a leading `~ [ { (` as another pattern and strips one leading `\`, so
            // such a value is escaped with `\`.
            // NOTE: the backslash escape is read from Harbor's source, not yet checked against a
            // live server.
            let escaped = if value.starts_with(['~', '[', '{', '(', '\\']) {
                format!("\\{value}")
            } else {
                value.clone()
            };
            Ok(encode(&escaped))
        }
        Pattern::Fuzzy(value) => {
            check_common(key, value)?;
            Ok(format!("~{}", encode(value)))
        }
        Pattern::Range(min, max) => {
            if min.is_empty() && max.is_empty() {
                return Err(unsupported(
                    key,
                    "",
                    "a range needs at least one bound; Harbor rejects [~]",
                ));
            }
            for bound in [min, max] {
                check_common_allow_empty(key, bound)?;
                if bound.contains('~') {
                    return Err(unsupported(
                        key,
                        bound,
                        "a range bound must not contain '~', which separates min and max",
                    ));
                }
                check_trimmed(key, bound)?;
            }
            Ok(format!("[{}~{}]", encode(min), encode(max)))
        }
        Pattern::AnyOf(values) => Ok(format!("{{{}}}", encode_list(key, values)?)),
        Pattern::AllOf(values) => Ok(format!("({})", encode_list(key, values)?)),
    }
}

fn encode_list(key: &str, values: &[String]) -> Result<String, Error> {
    if values.is_empty() {
        return Err(unsupported(key, "", "a list needs at least one item"));
    }
    let mut items = Vec::with_capacity(values.len());
    for value in values {
        check_common(key, value)?;
        if value.contains(' ') {
            return Err(unsupported(
                key,
                value,
                "a list item must not contain a space, which separates list items",
            ));
        }
        check_trimmed(key, value)?;
        items.push(encode(value));
    }
    Ok(items.join(" "))
}

fn check_common(key: &str, value: &str) -> Result<(), Error> {
    if value.is_empty() {
        return Err(unsupported(key, value, "the value must not be empty"));
    }
    check_common_allow_empty(key, value)
}

fn check_common_allow_empty(key: &str, value: &str) -> Result<(), Error> {
    if value.contains(',') {
        return Err(unsupported(
            key,
            value,
            "the value must not contain ',', which separates keywords and cannot be escaped",
        ));
    }
    Ok(())
}

/// Rejects list items and range bounds that Harbor would change: it trims surrounding
/// whitespace and then surrounding `"` and `'` from them.
fn check_trimmed(key: &str, value: &str) -> Result<(), Error> {
    if value.trim() != value {
        return Err(unsupported(
            key,
            value,
            "a list item or range bound must not start or end with whitespace, which Harbor trims",
        ));
    }
    if value.starts_with(['"', '\'']) || value.ends_with(['"', '\'']) {
        return Err(unsupported(
            key,
            value,
            "a list item or range bound must not start or end with a quote, which Harbor trims",
        ));
    }
    Ok(())
}

fn unsupported(key: &str, value: &str, rule: &'static str) -> Error {
    Error::UnsupportedQueryValue {
        key: key.to_owned(),
        value: value.to_owned(),
        rule,
    }
}

fn encode(value: &str) -> String {
    utf8_percent_encode(value, VALUE).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(builder: QueryBuilder) -> String {
        builder.build().unwrap().as_str().to_owned()
    }

    #[test]
    fn patterns_encode_values_once() {
        let cases = [
            (Query::builder().exact("tags", "v1.0_rc"), "tags=v1.0_rc"),
            (Query::builder().fuzzy("name", "a+b"), "name=~a%2Bb"),
            (
                Query::builder().any_of("operation", ["push", "pull"]),
                "operation={push pull}",
            ),
            (
                Query::builder().all_of("labels", ["a", "b"]),
                "labels=(a b)",
            ),
            (
                Query::builder().range("push_time", "2024-01-01T00:00:00", ""),
                "push_time=[2024-01-01T00:00:00~]",
            ),
            (Query::builder().range("size", "", "100"), "size=[~100]"),
            (
                Query::builder().exact("name", "robot$library+ci"),
                "name=robot%24library%2Bci",
            ),
            (Query::builder().exact("name", "a%b"), "name=a%25b"),
            (Query::builder().exact("name", "a b"), "name=a%20b"),
            (Query::builder().exact("name", "team/app"), "name=team/app"),
            (Query::builder().exact("name", "ü"), "name=%C3%BC"),
            (
                Query::builder().exact("name", "x").fuzzy("tags", "v1"),
                "name=x,tags=~v1",
            ),
        ];
        for (builder, expected) in cases {
            assert_eq!(q(builder), expected);
        }
    }

    #[test]
    fn exact_value_with_pattern_prefix_is_escaped() {
        let cases = [
            ("~x", "name=%5C~x"),
            ("[a~b]", "name=%5C%5Ba~b%5D"),
            ("{a}", "name=%5C%7Ba%7D"),
            ("(a)", "name=%5C%28a%29"),
            ("\\x", "name=%5C%5Cx"),
            ("a(b)", "name=a%28b%29"),
        ];
        for (value, expected) in cases {
            assert_eq!(
                q(Query::builder().exact("name", value)),
                expected,
                "{value}"
            );
        }
    }

    #[test]
    fn unsupported_values_are_rejected() {
        let cases = [
            (Query::builder().exact("name", "a,b"), "a,b", "','"),
            (Query::builder().fuzzy("name", "a,b"), "a,b", "','"),
            (Query::builder().exact("name", ""), "", "empty"),
            (Query::builder().fuzzy("name", ""), "", "empty"),
            (Query::builder().any_of("tags", ["a b"]), "a b", "space"),
            (Query::builder().all_of("tags", ["a", ""]), "", "empty"),
            (
                Query::builder().any_of("tags", Vec::<String>::new()),
                "",
                "at least one",
            ),
            (Query::builder().any_of("tags", ["\"a\""]), "\"a\"", "quote"),
            (
                Query::builder().any_of("tags", ["a\t"]),
                "a\t",
                "whitespace",
            ),
            (Query::builder().range("t", "a~b", ""), "a~b", "'~'"),
            (Query::builder().range("t", "", "a~b"), "a~b", "'~'"),
            (
                Query::builder().range("t", "", ""),
                "",
                "at least one bound",
            ),
            (Query::builder().range("t", " 1", ""), " 1", "whitespace"),
            (Query::builder().range("t", "1,2", ""), "1,2", "','"),
        ];
        for (builder, value, rule_word) in cases {
            match builder.build() {
                Err(Error::UnsupportedQueryValue {
                    key,
                    value: rejected,
                    rule,
                }) => {
                    assert!(!key.is_empty());
                    assert_eq!(rejected, value);
                    assert!(rule.contains(rule_word), "rule {rule:?} for {value:?}");
                }
                other => panic!("value {value:?}: expected UnsupportedQueryValue, got {other:?}"),
            }
        }
    }

    #[test]
    fn invalid_keys_are_rejected() {
        let cases = [
            Query::builder().exact("", "x"),
            Query::builder().exact("a=b", "x"),
            Query::builder().exact("a,b", "x"),
            Query::builder().exact("a b", "x"),
            Query::builder().exact("name", "x").exact("name", "y"),
            Query::builder(),
        ];
        for builder in cases {
            let error = builder.clone().build().unwrap_err();
            assert!(
                matches!(error, Error::InvalidArgument { .. }),
                "{builder:?}: {error}"
            );
        }
    }

    #[test]
    fn error_names_key_value_and_rule() {
        let error = Query::builder().exact("name", "a,b").build().unwrap_err();
        assert_eq!(
            error.to_string(),
            "unsupported value \"a,b\" for query key \"name\": the value must not contain ',', \
             which separates keywords and cannot be escaped"
        );
    }

    #[test]
    fn raw_is_kept_unchanged() {
        assert_eq!(
            Query::raw("name=~a%2Bb,tags=x").as_str(),
            "name=~a%2Bb,tags=x"
        );
    }
}

//! Percent-encoding of path parameters.
//!
//! Harbor decodes `repository_name` a second time after routing, so repository names are encoded
//! twice (`a/b` becomes `a%252Fb`). Every other path parameter is encoded once.

use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};

/// Bytes encoded in a path segment: everything but RFC 3986 `pchar` (unreserved, sub-delims, `:`
/// and `@`). `/` is encoded so a value stays one segment.
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// Encodes `value` as one path segment.
pub fn segment(value: &str) -> String {
    utf8_percent_encode(value, SEGMENT).to_string()
}

/// Encodes a repository name for `/projects/{project_name}/repositories/{repository_name}`.
///
/// A leading `{project}/` is removed first, because the repository list returns names with the
/// project prefix (`library/team/app`) while the path expects the name inside the project
/// (`team/app`). The rest is encoded twice.
///
/// So pass either the full name as Harbor lists it, or a name inside the project that does not
/// itself start with the project's name. In project `library`, the inner name `library/x` would
/// be read as the full name of `x`.
pub fn repository_segment(project: &str, repository: &str) -> String {
    let inner = repository
        .strip_prefix(project)
        .and_then(|rest| rest.strip_prefix('/'))
        .unwrap_or(repository);
    segment(&segment(inner))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_repository_is_encoded_twice() {
        assert_eq!(
            repository_segment("library", "library/team/app/nginx"),
            "team%252Fapp%252Fnginx"
        );
    }

    #[test]
    fn flat_repository_is_unchanged() {
        assert_eq!(repository_segment("library", "nginx"), "nginx");
    }

    #[test]
    fn percent_in_repository_is_encoded_twice() {
        assert_eq!(repository_segment("p", "a%b"), "a%2525b");
    }

    #[test]
    fn digest_reference_is_sent_as_is() {
        assert_eq!(segment("sha256:0123abcd"), "sha256:0123abcd");
    }
}

//! The result of a create operation: the new resource's `Location`.

/// Response of a create operation that returns no body.
///
/// For most create operations Harbor returns `201 Created`, an empty body and a relative
/// `Location` such as `/api/v2.0/projects/42`. Some Harbor versions omit the header. A caller
/// that needs the project id then looks the project up by name (with `X-Is-Resource-Name: true`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Created {
    /// Value of the `Location` header, if Harbor sent one.
    pub location: Option<String>,
    /// Whether the request asked for the name instead of the id in `Location`
    /// (`X-Resource-Name-In-Location: true`).
    pub name_in_location: bool,
}

impl Created {
    /// Returns the id of the created resource: the last path segment of `Location`.
    ///
    /// Accepts relative (`/api/v2.0/projects/42`) and absolute
    /// (`https://harbor.example.test/api/v2.0/registries/7`) locations. Returns `None` when there
    /// is no `Location`, when its last segment is not a positive integer, or when the request
    /// asked for the name in `Location`.
    pub fn id(&self) -> Option<i64> {
        if self.name_in_location {
            return None;
        }
        let segment = self.last_segment()?;
        if !segment.bytes().all(|byte| byte.is_ascii_digit()) {
            return None;
        }
        segment.parse::<i64>().ok().filter(|id| *id > 0)
    }

    /// Returns the name of the created resource when the request sent
    /// `X-Resource-Name-In-Location: true`, for example `team-a` from
    /// `/api/v2.0/projects/team-a`. Returns `None` otherwise.
    pub fn name(&self) -> Option<String> {
        if !self.name_in_location {
            return None;
        }
        let segment = self.last_segment()?;
        percent_encoding::percent_decode_str(segment)
            .decode_utf8()
            .ok()
            .map(|name| name.into_owned())
    }

    /// Returns the last non-empty path segment of `Location`, without query or fragment.
    fn last_segment(&self) -> Option<&str> {
        let location = self.location.as_deref()?.trim();
        let path = match location.find("://") {
            Some(scheme_end) => {
                let after_scheme = &location[scheme_end + 3..];
                &after_scheme[after_scheme.find('/')?..]
            }
            None => location,
        };
        let path = path.split(['?', '#']).next()?;
        path.trim_end_matches('/')
            .rsplit('/')
            .next()
            .filter(|segment| !segment.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn created(location: Option<&str>, name_in_location: bool) -> Created {
        Created {
            location: location.map(str::to_owned),
            name_in_location,
        }
    }

    #[test]
    fn id_from_location() {
        let cases: &[(Option<&str>, Option<i64>)] = &[
            (Some("/api/v2.0/projects/42"), Some(42)),
            (Some("/api/v2.0/labels/3"), Some(3)),
            (
                Some("https://harbor.example.test/api/v2.0/registries/7"),
                Some(7),
            ),
            (Some("/api/v2.0/robots/12/"), Some(12)),
            (Some("/api/v2.0/webhook/policies/5?x=1"), Some(5)),
            (Some("string"), None),
            (Some(""), None),
            (Some("/"), None),
            (Some("https://harbor.example.test"), None),
            (Some("/api/v2.0/projects/+5"), None),
            (Some("/api/v2.0/projects/-5"), None),
            (Some("/api/v2.0/projects/0"), None),
            (Some("/api/v2.0/projects/99999999999999999999"), None),
            (Some("/api/v2.0/projects/team-a"), None),
            (None, None),
        ];
        for (location, expected) in cases {
            assert_eq!(
                created(*location, false).id(),
                *expected,
                "location {location:?}"
            );
        }
    }

    #[test]
    fn name_from_location() {
        let cases: &[(Option<&str>, Option<&str>)] = &[
            (Some("/api/v2.0/projects/team-a"), Some("team-a")),
            (Some("/api/v2.0/projects/123"), Some("123")),
            (
                Some("https://harbor.example.test/api/v2.0/projects/team-b"),
                Some("team-b"),
            ),
            (Some("/api/v2.0/projects/a%20b"), Some("a b")),
            (Some("/api/v2.0/projects/%FF"), None),
            (Some("/"), None),
            (None, None),
        ];
        for (location, expected) in cases {
            assert_eq!(
                created(*location, true).name().as_deref(),
                *expected,
                "location {location:?}"
            );
        }
    }

    #[test]
    fn id_and_name_follow_the_request_header() {
        let by_name = created(Some("/api/v2.0/projects/123"), true);
        assert_eq!(by_name.id(), None);
        let by_id = created(Some("/api/v2.0/projects/123"), false);
        assert_eq!(by_id.name(), None);
        assert_eq!(by_id.id(), Some(123));
    }
}

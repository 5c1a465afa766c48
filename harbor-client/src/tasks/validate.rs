//! Name rules shared by the desired-state types.

use crate::Error;

/// Checks a Harbor project name: 1 to 255 characters from `a-z`, `0-9`, `.`, `_` and `-`,
/// starting with a letter or a digit.
pub(crate) fn project_name(name: &str) -> Result<(), Error> {
    const RULE: &str = "a project name has 1 to 255 characters from a-z, 0-9, '.', '_' and '-', \
                        and starts with a lower-case letter or a digit";
    let valid_chars = name
        .bytes()
        .all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || b"._-".contains(&byte));
    let valid_start = name
        .bytes()
        .next()
        .is_some_and(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit());
    if name.len() > 255 || !valid_chars || !valid_start {
        return Err(Error::invalid("project name", name, RULE));
    }
    Ok(())
}

/// Checks a name that must be non-empty and free of surrounding white space and control
/// characters, for labels, registries, users, scanners and replication policies.
pub(crate) fn plain_name(field: &'static str, name: &str, max_len: usize) -> Result<(), Error> {
    if name.trim().is_empty() {
        return Err(Error::invalid(field, name, "the name must not be empty"));
    }
    if name.trim() != name || name.chars().any(char::is_control) {
        return Err(Error::invalid(
            field,
            name,
            "the name must not start or end with white space or contain control characters",
        ));
    }
    if name.chars().count() > max_len {
        return Err(Error::invalid(
            field,
            name,
            format!("the name must have at most {max_len} characters"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_names() {
        for valid in ["library", "team-a", "0team", "a.b_c-d", "123"] {
            assert!(project_name(valid).is_ok(), "{valid}");
        }
        let too_long = "a".repeat(256);
        for invalid in [
            "",
            "Team",
            "-team",
            ".team",
            "_team",
            "team a",
            "team/a",
            too_long.as_str(),
        ] {
            assert!(project_name(invalid).is_err(), "{invalid}");
        }
    }

    #[test]
    fn plain_names() {
        assert!(plain_name("label name", "qa", 128).is_ok());
        assert!(plain_name("label name", " qa", 128).is_err());
        assert!(plain_name("label name", "", 128).is_err());
        assert!(plain_name("label name", "a\nb", 128).is_err());
        assert!(plain_name("label name", "abc", 2).is_err());
    }
}

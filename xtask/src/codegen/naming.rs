//! Rust names for swagger names: case conversion, keywords and reserved names.

/// Keywords of Rust 2024 (strict and reserved). A name in this list becomes a raw identifier.
const KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "do", "dyn",
    "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl", "in", "let",
    "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref", "return",
    "static", "struct", "trait", "true", "try", "type", "typeof", "unsafe", "unsized", "use",
    "virtual", "where", "while", "yield",
];

/// Keywords that cannot be raw identifiers; they get a trailing underscore instead.
const NON_RAW_KEYWORDS: &[&str] = &["crate", "self", "super", "Self"];

/// Type names that would shadow the prelude or a type of the `harbor-client` crate root.
const RESERVED_TYPE_NAMES: &[&str] = &[
    "Body",
    "Box",
    "Client",
    "Created",
    "Default",
    "Err",
    "Error",
    "None",
    "Ok",
    "Option",
    "Page",
    "ProjectRef",
    "Query",
    "Request",
    "Result",
    "Some",
    "String",
    "Vec",
];

/// Splits `name` into lower-case words.
///
/// Words end at any character that is not ASCII alphanumeric, at a lower-case letter or digit
/// followed by an upper-case letter (`cveIds`), and before the last capital of an acronym
/// followed by a lower-case letter (`GCHistory` is `gc`, `history`).
pub(crate) fn words(name: &str) -> Vec<String> {
    let chars: Vec<char> = name.chars().collect();
    let mut words = Vec::new();
    let mut current = String::new();

    for (index, &ch) in chars.iter().enumerate() {
        if !ch.is_ascii_alphanumeric() {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            continue;
        }

        if ch.is_ascii_uppercase() && !current.is_empty() {
            let previous = chars[index - 1];
            let next_is_lower = chars.get(index + 1).is_some_and(char::is_ascii_lowercase);
            let starts_word = previous.is_ascii_lowercase()
                || previous.is_ascii_digit()
                || (previous.is_ascii_uppercase() && next_is_lower);
            if starts_word {
                words.push(std::mem::take(&mut current));
            }
        }
        current.push(ch.to_ascii_lowercase());
    }

    if !current.is_empty() {
        words.push(current);
    }
    words
}

/// Converts `name` to snake_case: `listArtifacts` is `list_artifacts`, `os.version` is
/// `os_version`.
pub(crate) fn snake_case(name: &str) -> String {
    words(name).join("_")
}

/// Converts `name` to UpperCamelCase: `values.yaml` is `ValuesYaml`.
pub(crate) fn pascal_case(name: &str) -> String {
    words(name)
        .iter()
        .map(|word| {
            let mut chars = word.chars();
            match chars.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

/// Returns `name` as a usable Rust identifier: keywords become raw identifiers (`r#type`), names
/// starting with a digit get a leading `n`, and an empty name becomes `empty`.
pub(crate) fn identifier(name: &str) -> String {
    if name.is_empty() {
        return "empty".to_owned();
    }
    if name.starts_with(|ch: char| ch.is_ascii_digit()) {
        return format!("n{name}");
    }
    if NON_RAW_KEYWORDS.contains(&name) {
        return format!("{name}_");
    }
    if KEYWORDS.contains(&name) {
        return format!("r#{name}");
    }
    name.to_owned()
}

/// Returns the Rust field, parameter or method name for a swagger name.
pub(crate) fn field_name(name: &str) -> String {
    identifier(&snake_case(name))
}

/// Returns the Rust name of a module or file for a swagger name, without raw identifiers.
pub(crate) fn module_name(name: &str) -> String {
    let snake = snake_case(name);
    if KEYWORDS.contains(&snake.as_str()) || NON_RAW_KEYWORDS.contains(&snake.as_str()) {
        return format!("{snake}_");
    }
    identifier(&snake)
}

/// Returns the Rust type name of a swagger definition.
///
/// A definition name that is already a valid UpperCamelCase identifier is kept as written
/// (`CVEAllowlist`), so it can be found by its swagger name. Other names are converted, and a
/// name that would shadow a prelude or crate-root type gets the suffix `Item` (`Error` becomes
/// `ErrorItem`).
pub(crate) fn type_name(name: &str) -> String {
    let valid = name.starts_with(|ch: char| ch.is_ascii_uppercase())
        && name.chars().all(|ch| ch.is_ascii_alphanumeric());
    let converted = if valid {
        name.to_owned()
    } else {
        pascal_case(name)
    };
    let converted = if converted.is_empty() || converted.starts_with(|ch: char| ch.is_ascii_digit())
    {
        format!("N{converted}")
    } else {
        converted
    };
    if RESERVED_TYPE_NAMES.contains(&converted.as_str()) {
        format!("{converted}Item")
    } else {
        converted
    }
}

/// Returns the Rust name of an enum variant for a string value: `values.yaml` is `ValuesYaml`,
/// `""` is `Empty`.
pub(crate) fn variant_name(value: &str) -> String {
    let converted = pascal_case(value);
    if converted.is_empty() {
        "Empty".to_owned()
    } else if converted.starts_with(|ch: char| ch.is_ascii_digit()) {
        format!("V{converted}")
    } else {
        converted
    }
}

/// Removes the raw identifier prefix: `r#type` is `type`.
pub(crate) fn unraw(identifier: &str) -> &str {
    identifier.strip_prefix("r#").unwrap_or(identifier)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_case_splits_camel_case_and_acronyms() {
        assert_eq!(snake_case("listArtifacts"), "list_artifacts");
        assert_eq!(snake_case("getGCLog"), "get_gc_log");
        assert_eq!(snake_case("SystemCVEAllowlist"), "system_cve_allowlist");
        assert_eq!(
            snake_case("ListProvidersUnderProject"),
            "list_providers_under_project"
        );
        assert_eq!(snake_case("skip_certVerify"), "skip_cert_verify");
    }

    #[test]
    fn snake_case_replaces_separators() {
        assert_eq!(snake_case("os.version"), "os_version");
        assert_eq!(snake_case("content-type"), "content_type");
        assert_eq!(snake_case("scan data export"), "scan_data_export");
        assert_eq!(
            snake_case("X-Accept-Vulnerabilities"),
            "x_accept_vulnerabilities"
        );
    }

    #[test]
    fn snake_case_keeps_digits_in_words() {
        assert_eq!(snake_case("cvss_v3_score"), "cvss_v3_score");
        assert_eq!(snake_case("sha256"), "sha256");
    }

    #[test]
    fn keywords_become_raw_identifiers() {
        assert_eq!(field_name("type"), "r#type");
        assert_eq!(field_name("override"), "r#override");
        assert_eq!(field_name("ref"), "r#ref");
        assert_eq!(field_name("self"), "self_");
        assert_eq!(unraw("r#type"), "type");
    }

    #[test]
    fn module_names_avoid_raw_identifiers() {
        assert_eq!(module_name("type"), "type_");
        assert_eq!(module_name("Retention"), "retention");
    }

    #[test]
    fn type_name_keeps_valid_names_and_renames_reserved() {
        assert_eq!(type_name("CVEAllowlist"), "CVEAllowlist");
        assert_eq!(type_name("Error"), "ErrorItem");
        assert_eq!(type_name("scan-report"), "ScanReport");
    }

    #[test]
    fn variant_names_for_odd_values() {
        assert_eq!(variant_name("values.yaml"), "ValuesYaml");
        assert_eq!(variant_name("build_history"), "BuildHistory");
        assert_eq!(variant_name(""), "Empty");
        assert_eq!(variant_name("1.0"), "V10");
    }
}

//! Rewriting of image references in Kubernetes manifests and Helm values files, line by line,
//! so that comments and formatting of the GitOps checkout stay as they are.

use std::collections::BTreeSet;

/// One changed line: its number (from 1), the old text and the new text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Change {
    pub(crate) line: usize,
    pub(crate) old: String,
    pub(crate) new: String,
}

/// Checks that `digest` has the form `sha256:` and 64 lower-case hex digits.
pub(crate) fn check_digest(digest: &str) -> Result<(), String> {
    let hex = digest.strip_prefix("sha256:").unwrap_or_default();
    if hex.len() == 64
        && hex
            .bytes()
            .all(|byte| matches!(byte, b'0'..=b'9' | b'a'..=b'f'))
    {
        Ok(())
    } else {
        Err(format!(
            "digest {digest:?} is invalid; a digest is sha256: followed by 64 lower-case hex digits"
        ))
    }
}

/// Replaces every `IMAGE:tag`, `IMAGE@digest` and `IMAGE:tag@digest` in `text`, wherever it
/// appears: in a manifest's `image:` field or in any other string value. With `tag`, the tag of
/// `digest`, every reference becomes `IMAGE:tag@digest`, so the file still shows the version;
/// without it, every reference becomes `IMAGE@digest`.
pub(crate) fn pin_manifest(
    text: &str,
    image: &str,
    digest: &str,
    tag: Option<&str>,
) -> (String, Vec<Change>) {
    rewrite_lines(text, |line| pin_line(line, image, digest, tag))
}

/// Checks `tag` against the OCI distribution rule for tags: up to 128 characters of letters,
/// digits, `_`, `.` and `-`, not starting with `.` or `-`.
pub(crate) fn check_tag(tag: &str) -> Result<(), String> {
    let mut bytes = tag.bytes();
    let first_ok = bytes
        .next()
        .is_some_and(|byte| byte.is_ascii_alphanumeric() || byte == b'_');
    let rest_ok =
        bytes.all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'_' | b'.' | b'-'));
    if first_ok && rest_ok && tag.len() <= 128 {
        Ok(())
    } else {
        Err(format!(
            "tag {tag:?} is invalid: a tag has 1 to 128 letters, digits, `_`, `.` or `-` and does \
             not start with `.` or `-`"
        ))
    }
}

/// Returns the tags of the `IMAGE:tag` and `IMAGE:tag@digest` references in `text`.
pub(crate) fn manifest_tags(text: &str, image: &str) -> BTreeSet<String> {
    let mut tags = BTreeSet::new();
    for line in text.lines() {
        for_each_reference(line, image, |suffix| {
            if let Some(tag) = tag_of(suffix) {
                tags.insert(tag.to_owned());
            }
        });
    }
    tags
}

/// Returns the values of the `tag:` keys in the mappings whose `repository:` is `image`.
pub(crate) fn helm_tags(text: &str, image: &str) -> BTreeSet<String> {
    let lines: Vec<&str> = text.lines().collect();
    let mut tags = BTreeSet::new();
    for (index, line) in lines.iter().enumerate() {
        let Some(indent) = repository_indent(line, image) else {
            continue;
        };
        for key in mapping_keys(&lines, index + 1, indent) {
            if let Some(value) = lines[key].trim_start().strip_prefix("tag:") {
                let (value, _) = split_scalar(value);
                // An empty tag, as charts ship to mean "the app version", names no tag.
                if !value.is_empty() {
                    tags.insert(value.to_owned());
                }
            }
        }
    }
    tags
}

/// Sets `digest: "DIGEST"` in the YAML mapping whose `repository:` is `image`, the layout most
/// charts use (`image.repository`, `image.tag`, `image.digest`). A missing `digest` key is added
/// right after `repository`. With `tag`, an existing `tag:` key of the mapping is set to it too,
/// so tag and digest name the same image.
// NOTE: the mapping is found by indentation, so flow mappings such as `{repository: x}` are not
// recognised.
pub(crate) fn pin_helm_values(
    text: &str,
    image: &str,
    digest: &str,
    tag: Option<&str>,
) -> (String, Vec<Change>) {
    // The digest goes first because it may insert a line. The tag rewrite keeps the line count,
    // so the line numbers of both change lists match the final text.
    let (with_digest, mut changes) = set_helm_digest(text, image, digest);
    if let Some(tag) = tag {
        let (with_tag, mut tag_changes) = set_helm_tag(&with_digest, image, tag);
        changes.append(&mut tag_changes);
        changes.sort_by_key(|change| change.line);
        return (with_tag, changes);
    }
    (with_digest, changes)
}

/// Sets each existing `tag:` key of the mappings whose `repository:` is `image` to `tag`. The
/// line count stays the same, so line numbers of later changes still match.
fn set_helm_tag(text: &str, image: &str, tag: &str) -> (String, Vec<Change>) {
    let lines: Vec<&str> = text.lines().collect();
    let mut output: Vec<String> = lines.iter().map(|line| (*line).to_owned()).collect();
    let mut changes = Vec::new();
    for (index, line) in lines.iter().enumerate() {
        let Some(indent) = repository_indent(line, image) else {
            continue;
        };
        for key in mapping_keys(&lines, index + 1, indent) {
            let Some(value) = lines[key].trim_start().strip_prefix("tag:") else {
                continue;
            };
            let (current, comment) = split_scalar(value);
            if current == tag {
                continue;
            }
            let new = format!("{}tag: \"{tag}\"{comment}", " ".repeat(indent));
            changes.push(Change {
                line: key + 1,
                old: lines[key].to_owned(),
                new: new.clone(),
            });
            output[key] = new;
        }
    }
    (join(&output, text), changes)
}

/// Returns the indexes of the lines at `indent` that follow `start` in the same mapping.
fn mapping_keys(lines: &[&str], start: usize, indent: usize) -> Vec<usize> {
    let mut keys = Vec::new();
    for (index, line) in lines.iter().enumerate().skip(start) {
        if line.trim().is_empty() {
            continue;
        }
        let line_indent = line.len() - line.trim_start().len();
        if line_indent < indent {
            break;
        }
        if line_indent == indent {
            keys.push(index);
        }
    }
    keys
}

fn unquote(value: &str) -> &str {
    value.trim_matches(|c| c == '"' || c == '\'')
}

/// Splits the text after a YAML key into its scalar value, without quotes, and the trailing
/// comment with the blanks before it (empty when there is none).
fn split_scalar(rest: &str) -> (&str, &str) {
    let trimmed = rest.trim_start();
    let quote = trimmed.chars().next().filter(|c| *c == '"' || *c == '\'');
    let (value, after) = match quote {
        Some(quote) => match trimmed[1..].find(quote) {
            Some(end) => (&trimmed[1..1 + end], &trimmed[end + 2..]),
            None => (trimmed, ""),
        },
        None => match trimmed.find(" #").or_else(|| trimmed.find("\t#")) {
            Some(start) => (trimmed[..start].trim_end(), &trimmed[start..]),
            None => (trimmed.trim_end(), ""),
        },
    };
    let comment = if after.trim_start().starts_with('#') {
        after.trim_end()
    } else {
        ""
    };
    (value, comment)
}

fn set_helm_digest(text: &str, image: &str, digest: &str) -> (String, Vec<Change>) {
    let lines: Vec<&str> = text.lines().collect();
    let mut output: Vec<String> = Vec::with_capacity(lines.len() + 1);
    let mut changes = Vec::new();
    let mut index = 0;
    while index < lines.len() {
        let line = lines[index];
        output.push(line.to_owned());
        index += 1;
        let Some(indent) = repository_indent(line, image) else {
            continue;
        };
        let digest_line = format!("{}digest: \"{digest}\"", " ".repeat(indent));
        // Look for a `digest:` key among the following keys of the same mapping.
        let mut found = false;
        let mut scan = index;
        while scan < lines.len() {
            let next = lines[scan];
            let next_indent = next.len() - next.trim_start().len();
            if !next.trim().is_empty() && next_indent < indent {
                break;
            }
            if next_indent == indent && next.trim_start().starts_with("digest:") {
                found = true;
                break;
            }
            scan += 1;
        }
        if found {
            for kept in &lines[index..scan] {
                output.push((*kept).to_owned());
            }
            if lines[scan] != digest_line {
                changes.push(Change {
                    line: output.len() + 1,
                    old: lines[scan].to_owned(),
                    new: digest_line.clone(),
                });
            }
            output.push(digest_line);
            index = scan + 1;
        } else {
            changes.push(Change {
                line: output.len() + 1,
                old: String::new(),
                new: digest_line.clone(),
            });
            output.push(digest_line);
        }
    }
    (join(&output, text), changes)
}

/// Reports whether `text` has a `repository: IMAGE` line, the line [`pin_helm_values`] pins.
pub(crate) fn has_repository_line(text: &str, image: &str) -> bool {
    text.lines()
        .any(|line| repository_indent(line, image).is_some())
}

/// Returns the indentation of `line` when it is `repository: IMAGE`, quoted or not.
fn repository_indent(line: &str, image: &str) -> Option<usize> {
    let trimmed = line.trim_start();
    let value = unquote(trimmed.strip_prefix("repository:")?.trim());
    (value == image).then(|| line.len() - trimmed.len())
}

/// Calls `visit` with the part after `image` (such as `:1.4.2` or `@sha256:…`) of each whole
/// reference to `image` in `line`.
fn for_each_reference(line: &str, image: &str, mut visit: impl FnMut(&str)) {
    rewrite_references(line, image, |suffix| {
        visit(suffix);
        None
    });
}

/// Returns the tag of a reference suffix such as `:1.4.2` or `:1.4.2@sha256:…`.
fn tag_of(suffix: &str) -> Option<&str> {
    let tag = suffix.strip_prefix(':')?;
    let tag = tag.split('@').next().unwrap_or(tag);
    (!tag.is_empty()).then_some(tag)
}

fn pin_line(line: &str, image: &str, digest: &str, tag: Option<&str>) -> String {
    rewrite_references(line, image, |_| {
        Some(match tag {
            Some(tag) => format!(":{tag}@{digest}"),
            None => format!("@{digest}"),
        })
    })
}

/// Finds each whole reference to `image` in `line` and replaces its suffix (`:tag`, `@digest`
/// or `:tag@digest`) with what `replace` returns, or keeps it when `replace` returns `None`.
fn rewrite_references(
    line: &str,
    image: &str,
    mut replace: impl FnMut(&str) -> Option<String>,
) -> String {
    let mut result = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(start) = rest.find(image) {
        let before = &rest[..start];
        let after = &rest[start + image.len()..];
        // The match must be a whole reference: not inside a longer name on either side.
        let starts_clean = before
            .chars()
            .last()
            .is_none_or(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '/')));
        let reference_len = after
            .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | ',' | ']' | '}'))
            .unwrap_or(after.len());
        let suffix = &after[..reference_len];
        let is_reference = suffix.starts_with(':') || suffix.starts_with('@');
        result.push_str(before);
        result.push_str(image);
        if starts_clean && is_reference && !suffix.contains('/') {
            result.push_str(&replace(suffix).unwrap_or_else(|| suffix.to_owned()));
            rest = &after[reference_len..];
        } else {
            rest = after;
        }
    }
    result.push_str(rest);
    result
}

fn rewrite_lines(text: &str, rewrite: impl Fn(&str) -> String) -> (String, Vec<Change>) {
    let mut output = Vec::new();
    let mut changes = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let new = rewrite(line);
        if new != line {
            changes.push(Change {
                line: index + 1,
                old: line.to_owned(),
                new: new.clone(),
            });
        }
        output.push(new);
    }
    (join(&output, text), changes)
}

/// Joins lines with `\n`, ending with a newline when `original` did.
fn join(lines: &[String], original: &str) -> String {
    let mut text = lines.join("\n");
    if original.ends_with('\n') {
        text.push('\n');
    }
    text
}

//! Errors of loading a configuration file.

use std::path::PathBuf;

use super::validate::Problem;

/// Errors of [`Config::load`](super::Config::load) and [`Config::from_toml`](super::Config::from_toml).
///
/// Messages never contain a secret: the file holds only references to secrets.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file could not be read.
    #[error("failed to read configuration {path}")]
    Read {
        /// The file path.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },

    /// The file is not valid TOML, has an unknown key, lacks a required key or has a value of
    /// the wrong type.
    #[error("{origin}: `{key}`{}: {message}", location(*.line, *.column))]
    Parse {
        /// The file path, or `<input>` for text parsed from memory.
        origin: String,
        /// Dotted key path of the failing value; `.` when the error is in the document itself.
        key: String,
        /// 1-based line of the error, when known.
        line: Option<usize>,
        /// 1-based column of the error, when known.
        column: Option<usize>,
        /// The parser's message.
        message: String,
    },

    /// Values break validation rules; every problem found is listed.
    #[error("{origin}: invalid configuration:\n{}", list(.problems))]
    Invalid {
        /// The file path, or `<input>`.
        origin: String,
        /// The problems, in file order of the sections.
        problems: Vec<Problem>,
    },
}

fn location(line: Option<usize>, column: Option<usize>) -> String {
    match (line, column) {
        (Some(line), Some(column)) => format!(" at line {line}, column {column}"),
        (Some(line), None) => format!(" at line {line}"),
        _ => String::new(),
    }
}

fn list(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(|problem| format!("  - {problem}"))
        .collect::<Vec<_>>()
        .join("\n")
}

impl ConfigError {
    /// Returns the validation problems, or an empty slice for other errors.
    pub fn problems(&self) -> &[Problem] {
        match self {
            ConfigError::Invalid { problems, .. } => problems,
            _ => &[],
        }
    }
}

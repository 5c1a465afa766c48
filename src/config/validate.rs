//! Collection of validation problems, each naming the TOML key, the value and the rule.

use std::fmt;

/// One value that breaks a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Dotted TOML key path, for example `harbor.sizes.registry` or `acr.repositories[0].actions[1]`.
    pub key: String,
    /// The offending value (never a secret: secrets are references).
    pub value: String,
    /// The rule the value breaks, phrased as what a valid value looks like.
    pub rule: String,
    /// Whether the value is a TOML string. `Display` quotes strings and shows numbers, booleans
    /// and arrays as written.
    pub is_string: bool,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_string {
            write!(f, "{} = {:?}: {}", self.key, self.value, self.rule)
        } else {
            write!(f, "{} = {}: {}", self.key, self.value, self.rule)
        }
    }
}

/// Collects every problem of a configuration, so one run reports them all.
#[derive(Debug, Default)]
pub(crate) struct Validator {
    problems: Vec<Problem>,
}

impl Validator {
    /// Applies `rule` to `value` and records a problem under `key` when it returns an error.
    pub(crate) fn check(
        &mut self,
        key: impl Into<String>,
        value: &str,
        rule: impl FnOnce(&str) -> Result<(), String>,
    ) {
        if let Err(rule) = rule(value) {
            self.report(key, value, rule);
        }
    }

    /// Records a problem with a string value found by the caller.
    pub(crate) fn report(&mut self, key: impl Into<String>, value: &str, rule: impl Into<String>) {
        self.problems.push(Problem {
            key: key.into(),
            value: value.to_owned(),
            rule: rule.into(),
            is_string: true,
        });
    }

    /// Records a problem with a number, boolean or array, given as TOML writes it (`0`, `[]`).
    pub(crate) fn report_literal(
        &mut self,
        key: impl Into<String>,
        literal: impl fmt::Display,
        rule: impl Into<String>,
    ) {
        self.problems.push(Problem {
            key: key.into(),
            value: literal.to_string(),
            rule: rule.into(),
            is_string: false,
        });
    }

    pub(crate) fn into_problems(self) -> Vec<Problem> {
        self.problems
    }
}

//! Harbor's 6-field cron expressions, shared by replication, GC, scan-all, purge and retention
//! schedules.

use std::fmt;

use crate::Error;

/// A cron expression in Harbor's format: `second minute hour day-of-month month day-of-week`.
///
/// Harbor 2.9 and later reject an expression whose seconds field is not `0` or whose minutes field
/// is `*` (either would start a run every second or every minute). This type enforces those rules
/// for every Harbor version, and checks each field's values against its range.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Cron(String);

/// Name, minimum and maximum of each field, and the names a field accepts.
const FIELDS: [(&str, u32, u32, &[&str]); 6] = [
    ("seconds", 0, 59, &[]),
    ("minutes", 0, 59, &[]),
    ("hours", 0, 23, &[]),
    ("day of month", 1, 31, &[]),
    (
        "month",
        1,
        12,
        &[
            "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
        ],
    ),
    (
        "day of week",
        0,
        6,
        &["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"],
    ),
];

impl Cron {
    /// Parses and validates `expression`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] when the expression does not have 6 fields, when the seconds field
    /// is not `0`, when the minutes field is `*`, or when a field has a value outside its range.
    /// For a 5-field Unix expression the message suggests the 6-field form with `0` seconds.
    pub fn parse(expression: &str) -> Result<Self, Error> {
        let fields: Vec<&str> = expression.split_whitespace().collect();
        if fields.is_empty() {
            return Err(Error::invalid(
                "cron",
                expression,
                "the cron expression is empty",
            ));
        }
        if fields.len() == 5 {
            return Err(Error::invalid(
                "cron",
                expression,
                format!(
                    "Harbor cron has 6 fields with seconds first; did you mean \"0 {}\"?",
                    fields.join(" ")
                ),
            ));
        }
        if fields.len() != 6 {
            return Err(Error::invalid(
                "cron",
                expression,
                format!(
                    "Harbor cron has 6 fields (second minute hour day-of-month month \
                     day-of-week), found {}",
                    fields.len()
                ),
            ));
        }
        if fields[0] != "0" {
            return Err(Error::invalid(
                "cron",
                expression,
                "the seconds field must be 0 (Harbor 2.9 and later reject other values)",
            ));
        }
        if fields[1] == "*" {
            return Err(Error::invalid(
                "cron",
                expression,
                "the minutes field must not be * because that starts a run every minute; use a \
                 number such as 0",
            ));
        }
        for (field, (name, min, max, names)) in fields.iter().zip(FIELDS) {
            check_field(expression, field, name, min, max, names)?;
        }
        Ok(Self(fields.join(" ")))
    }

    /// Returns the expression with single spaces between fields.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Cron {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for Cron {
    type Err = Error;

    fn from_str(expression: &str) -> Result<Self, Self::Err> {
        Self::parse(expression)
    }
}

/// Checks one field: a comma-separated list of `*`, `?`, `value`, `low-high`, each optionally
/// followed by `/step`.
fn check_field(
    expression: &str,
    field: &str,
    name: &str,
    min: u32,
    max: u32,
    names: &[&str],
) -> Result<(), Error> {
    let invalid = |detail: String| {
        Error::invalid(
            "cron",
            expression,
            format!("the {name} field {field:?} {detail}"),
        )
    };
    for item in field.split(',') {
        let (range, step) = match item.split_once('/') {
            Some((range, step)) => (range, Some(step)),
            None => (item, None),
        };
        if let Some(step) = step {
            match step.parse::<u32>() {
                Ok(step) if step >= 1 && step <= max.max(1) => {}
                _ => return Err(invalid(format!("has an invalid step {step:?}"))),
            }
        }
        if range == "*" || range == "?" {
            continue;
        }
        let (low, high) = match range.split_once('-') {
            Some((low, high)) => (low, Some(high)),
            None => (range, None),
        };
        let low = field_value(low, min, max, names).ok_or_else(|| {
            invalid(format!(
                "has {low:?}, which is not a value from {min} to {max}"
            ))
        })?;
        if let Some(high) = high {
            let high = field_value(high, min, max, names).ok_or_else(|| {
                invalid(format!(
                    "has {high:?}, which is not a value from {min} to {max}"
                ))
            })?;
            if high < low {
                return Err(invalid(format!("has the decreasing range {range:?}")));
            }
        }
    }
    Ok(())
}

fn field_value(text: &str, min: u32, max: u32, names: &[&str]) -> Option<u32> {
    if let Some(index) = names
        .iter()
        .position(|name| name.eq_ignore_ascii_case(text))
    {
        return u32::try_from(index).ok().map(|index| index + min);
    }
    if text.is_empty() || !text.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    text.parse::<u32>()
        .ok()
        .filter(|value| (min..=max).contains(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_harbor_expressions() {
        for expression in [
            "0 0 2 * * *",
            "0 0 0 * * 0",
            "0 */15 * * * *",
            "0 30 1-5 1,15 JAN-MAR MON",
        ] {
            assert!(Cron::parse(expression).is_ok(), "{expression}");
        }
        assert_eq!(
            Cron::parse(" 0  0 2 * * * ").unwrap().as_str(),
            "0 0 2 * * *"
        );
    }

    #[test]
    fn five_fields_get_a_suggestion() {
        let error = Cron::parse("0 2 * * *").unwrap_err().to_string();
        assert!(error.contains("\"0 0 2 * * *\""), "{error}");
    }

    #[test]
    fn rejects_seconds_and_star_minutes() {
        for expression in [
            "15 0 2 * * *",
            "0 * 2 * * *",
            "* 0 19 * * *",
            "",
            "0 0 2 * * * *",
        ] {
            assert!(Cron::parse(expression).is_err(), "{expression}");
        }
    }

    #[test]
    fn rejects_values_out_of_range() {
        for expression in [
            "0 60 * * * *",
            "0 0 24 * * *",
            "0 0 0 0 * *",
            "0 0 0 * 13 *",
            "0 0 0 * * 7",
            "0 0 5-1 * * *",
            "0 */0 * * * *",
            "0 x * * * *",
        ] {
            assert!(Cron::parse(expression).is_err(), "{expression}");
        }
    }
}

//! Vulnerability severities, ordered from `None` to `Critical`.

use std::fmt;

/// A vulnerability severity as Harbor and its scanners report it.
///
/// The order is Harbor's: `None < Unknown < Negligible < Low < Medium < High < Critical`. An empty
/// string (Harbor's severity of a report without findings) decodes to `None`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// No finding, or `""`.
    None,
    /// A severity the scanner could not rate, or a value this crate does not know.
    Unknown,
    /// Negligible.
    Negligible,
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
    /// Critical.
    Critical,
}

impl Severity {
    /// Every severity from the highest to the lowest.
    pub const DESCENDING: [Self; 7] = [
        Self::Critical,
        Self::High,
        Self::Medium,
        Self::Low,
        Self::Negligible,
        Self::Unknown,
        Self::None,
    ];

    /// Parses a severity case-insensitively; unknown values become [`Severity::Unknown`].
    pub fn parse(value: &str) -> Self {
        match value.trim().to_ascii_lowercase().as_str() {
            "" | "none" => Self::None,
            "negligible" => Self::Negligible,
            "low" => Self::Low,
            "medium" => Self::Medium,
            "high" => Self::High,
            "critical" => Self::Critical,
            _ => Self::Unknown,
        }
    }

    /// Returns Harbor's spelling, for example `Critical`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "None",
            Self::Unknown => "Unknown",
            Self::Negligible => "Negligible",
            Self::Low => "Low",
            Self::Medium => "Medium",
            Self::High => "High",
            Self::Critical => "Critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for Severity {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = <Option<String> as serde::Deserialize>::deserialize(deserializer)?;
        Ok(Self::parse(value.as_deref().unwrap_or("")))
    }
}

impl serde::Serialize for Severity {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severities_parse_and_order() {
        assert_eq!(Severity::parse(""), Severity::None);
        assert_eq!(Severity::parse("CRITICAL"), Severity::Critical);
        assert_eq!(Severity::parse("moderate"), Severity::Unknown);
        assert!(Severity::Critical > Severity::High);
        assert!(Severity::Negligible > Severity::Unknown);
        let decoded: Severity = serde_json::from_str("\"\"").unwrap();
        assert_eq!(decoded, Severity::None);
    }
}

//! A CI gate over a vulnerability report: fail when too many findings reach a severity.

use std::fmt;

use crate::tasks::{Severity, VulnerabilityReport};

/// Fails when the number of findings at or above `threshold` (optionally only fixable ones) is
/// greater than `max_findings`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeverityGate {
    threshold: Severity,
    fixable_only: bool,
    max_findings: u64,
}

impl SeverityGate {
    /// Fails on any finding at or above `threshold`.
    pub fn new(threshold: Severity) -> Self {
        Self {
            threshold,
            fixable_only: false,
            max_findings: 0,
        }
    }

    /// Counts only findings that have a fixed version.
    pub fn fixable_only(mut self, fixable_only: bool) -> Self {
        self.fixable_only = fixable_only;
        self
    }

    /// Allows up to `max_findings` counted findings before failing (default 0).
    pub fn max_findings(mut self, max_findings: u64) -> Self {
        self.max_findings = max_findings;
        self
    }

    /// Counts the report's findings and decides.
    pub fn evaluate(&self, report: &VulnerabilityReport) -> GateResult {
        let rows = Severity::DESCENDING
            .into_iter()
            .filter(|severity| *severity != Severity::None)
            .map(|severity| {
                let findings = report
                    .vulnerabilities
                    .iter()
                    .filter(|finding| finding.severity == severity);
                let total = findings.clone().count() as u64;
                let fixable = findings.filter(|finding| finding.is_fixable()).count() as u64;
                GateRow {
                    severity,
                    total,
                    fixable,
                    counted: severity >= self.threshold,
                }
            })
            .collect::<Vec<_>>();
        let counted = rows
            .iter()
            .filter(|row| row.counted)
            .map(|row| {
                if self.fixable_only {
                    row.fixable
                } else {
                    row.total
                }
            })
            .sum::<u64>();
        GateResult {
            gate: *self,
            counted,
            passed: counted <= self.max_findings,
            rows,
        }
    }
}

/// One severity row of a [`GateResult`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GateRow {
    /// The severity.
    pub severity: Severity,
    /// Number of findings.
    pub total: u64,
    /// Number of findings with a fixed version.
    pub fixable: u64,
    /// Whether the gate counts this severity.
    pub counted: bool,
}

/// The decision of a [`SeverityGate`], with a table by severity. `Display` prints the table and
/// a verdict line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GateResult {
    /// The gate that decided.
    pub gate: SeverityGate,
    /// Number of counted findings.
    pub counted: u64,
    /// Whether the count is within the limit.
    pub passed: bool,
    /// Counts by severity, from `Critical` down to `Unknown`.
    pub rows: Vec<GateRow>,
}

impl fmt::Display for GateResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:<10} {:>7} {:>7}  counted",
            "severity", "total", "fixable"
        )?;
        for row in &self.rows {
            let counted = if row.counted { "yes" } else { "no" };
            writeln!(
                f,
                "{:<10} {:>7} {:>7}  {counted}",
                row.severity.as_str(),
                row.total,
                row.fixable
            )?;
        }
        let scope = if self.gate.fixable_only {
            "fixable findings"
        } else {
            "findings"
        };
        let verdict = if self.passed { "passed" } else { "failed" };
        write!(
            f,
            "{verdict}: {} {scope} at or above {}, limit {}",
            self.counted, self.gate.threshold, self.gate.max_findings
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tasks::Vulnerability;

    fn finding(severity: Severity, fix_version: &str) -> Vulnerability {
        Vulnerability {
            id: "CVE-2024-0001".to_owned(),
            severity,
            fix_version: fix_version.to_owned(),
            ..Vulnerability::default()
        }
    }

    fn report() -> VulnerabilityReport {
        VulnerabilityReport {
            vulnerabilities: vec![
                finding(Severity::Critical, ""),
                finding(Severity::High, "1.2.3"),
                finding(Severity::High, ""),
                finding(Severity::Low, "2.0"),
            ],
            ..VulnerabilityReport::default()
        }
    }

    #[test]
    fn gate_counts_at_or_above_threshold() {
        let result = SeverityGate::new(Severity::High).evaluate(&report());
        assert_eq!(result.counted, 3);
        assert!(!result.passed);
        assert!(
            SeverityGate::new(Severity::High)
                .max_findings(3)
                .evaluate(&report())
                .passed
        );
    }

    #[test]
    fn gate_can_count_only_fixable() {
        let result = SeverityGate::new(Severity::High)
            .fixable_only(true)
            .evaluate(&report());
        assert_eq!(result.counted, 1);
        let result = SeverityGate::new(Severity::Critical)
            .fixable_only(true)
            .evaluate(&report());
        assert!(result.passed);
    }

    #[test]
    fn gate_table_lists_each_severity() {
        let table = SeverityGate::new(Severity::High)
            .evaluate(&report())
            .to_string();
        assert!(table.contains("High             2       1  yes"), "{table}");
        assert!(table.contains("Low              1       1  no"), "{table}");
        assert!(
            table.ends_with("failed: 3 findings at or above High, limit 0"),
            "{table}"
        );
    }

    #[test]
    fn empty_report_passes() {
        assert!(
            SeverityGate::new(Severity::Low)
                .evaluate(&VulnerabilityReport::default())
                .passed
        );
    }
}

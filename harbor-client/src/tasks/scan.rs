//! Scanning: trigger a scan, wait for it, read the overview and export the report.

use std::collections::BTreeMap;
use std::fmt;

use crate::Client;
use crate::Error;
use crate::generated::models::{Artifact, NativeReportSummary};
use crate::tasks::wait::Poller;
use crate::tasks::{Severity, WaitOptions, validate};

/// MIME type of Harbor's vulnerability report version 1.1, which Trivy writes.
pub const REPORT_V1_1: &str = "application/vnd.security.vulnerability.report; version=1.1";

/// MIME type of the older native report, version 1.0.
pub const REPORT_V1_0: &str =
    "application/vnd.scanner.adapter.vuln.report.harbor+json; version=1.0";

/// Reads the vulnerability summary of an artifact's `scan_overview`.
pub trait ArtifactScanExt {
    /// Returns the overview entry of report version 1.1, else of version 1.0, else `None`.
    ///
    /// Entries under other MIME types stay in `scan_overview` and are not returned here.
    fn vuln_summary(&self) -> Option<&NativeReportSummary>;
}

impl ArtifactScanExt for Artifact {
    fn vuln_summary(&self) -> Option<&NativeReportSummary> {
        self.scan_overview.as_ref().and_then(preferred_entry)
    }
}

/// Returns the entry of `map` keyed by the 1.1 report MIME type, else by the 1.0 one. Keys are
/// compared without white space and case, because scanners differ in the spacing after `;`.
fn preferred_entry<T>(map: &BTreeMap<String, T>) -> Option<&T> {
    let normalize = |mime: &str| {
        mime.split_whitespace()
            .collect::<String>()
            .to_ascii_lowercase()
    };
    [REPORT_V1_1, REPORT_V1_0].into_iter().find_map(|wanted| {
        let wanted = normalize(wanted);
        map.iter()
            .find(|(key, _)| normalize(key) == wanted)
            .map(|(_, value)| value)
    })
}

/// An artifact by project, repository and tag or digest.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ArtifactRef {
    project: String,
    repository: String,
    reference: String,
}

impl ArtifactRef {
    /// Names an artifact: `repository` is the path below the project (`app/api`), `reference`
    /// a tag or a digest.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] for an invalid project name or an empty repository or reference.
    pub fn new(
        project: impl Into<String>,
        repository: impl Into<String>,
        reference: impl Into<String>,
    ) -> Result<Self, Error> {
        let project = project.into();
        let repository = repository.into();
        let reference = reference.into();
        validate::project_name(&project)?;
        validate::plain_name("repository", &repository, 255)?;
        validate::plain_name("artifact reference", &reference, 255)?;
        Ok(Self {
            project,
            repository,
            reference,
        })
    }
}

impl fmt::Display for ArtifactRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let separator = if self.reference.contains(':') {
            '@'
        } else {
            ':'
        };
        write!(
            f,
            "{}/{}{separator}{}",
            self.project, self.repository, self.reference
        )
    }
}

/// The typed result of a finished scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanSummary {
    /// Harbor's scan status, for example `Success`.
    pub scan_status: String,
    /// The highest severity found; [`Severity::None`] without findings.
    pub severity: Severity,
    /// Number of findings.
    pub total: i64,
    /// Number of findings with a fixed version.
    pub fixable: i64,
    /// Number of findings by severity.
    pub by_severity: BTreeMap<Severity, i64>,
}

impl From<&NativeReportSummary> for ScanSummary {
    fn from(summary: &NativeReportSummary) -> Self {
        let counts = summary.summary.clone().unwrap_or_default();
        let mut by_severity = BTreeMap::new();
        for (severity, count) in counts.summary.unwrap_or_default() {
            *by_severity.entry(Severity::parse(&severity)).or_insert(0) += count;
        }
        Self {
            scan_status: summary.scan_status.clone().unwrap_or_default(),
            severity: Severity::parse(summary.severity.as_deref().unwrap_or("")),
            total: counts.total.unwrap_or(0),
            fixable: counts.fixable.unwrap_or(0),
            by_severity,
        }
    }
}

/// Asks Harbor to scan the artifact with its project's scanner.
///
/// # Errors
///
/// Returns the request's [`Error`] when the request fails.
pub async fn scan_artifact(client: &Client, artifact: &ArtifactRef) -> Result<(), Error> {
    client
        .scan_artifact(
            artifact.project.clone(),
            artifact.repository.clone(),
            artifact.reference.clone(),
        )
        .send()
        .await?;
    Ok(())
}

/// Polls the artifact's scan overview until the scan finishes and returns its summary.
///
/// A missing overview, and any status other than `Success`, `Error` and `Stopped` (such as
/// `Pending`, `Running` or `Scheduled`), counts as pending.
///
/// # Errors
///
/// [`Error::ScanFailed`] when the scan ends with `Error` or `Stopped`, [`Error::Timeout`]
/// when the deadline passes, and the request's [`Error`] when a request fails.
///
/// # Example
///
/// A CI step that scans an image and fails on fixable findings of `High` or above:
///
/// ```no_run
/// use std::time::Duration;
///
/// use harbor_client::tasks::{
///     export_vulnerability_report, scan_artifact, wait_for_scan, ArtifactRef, Severity,
///     SeverityGate, WaitOptions,
/// };
///
/// # async fn run(client: harbor_client::Client) -> Result<(), Box<dyn std::error::Error>> {
/// let image = ArtifactRef::new("library", "app/api", "1.4.2")?;
/// scan_artifact(&client, &image).await?;
/// let summary = wait_for_scan(&client, &image, WaitOptions::with_timeout(Duration::from_secs(900))).await?;
/// println!("highest severity: {}", summary.severity);
///
/// let reports = export_vulnerability_report(&client, &image).await?;
/// let gate = SeverityGate::new(Severity::High).fixable_only(true);
/// if let Some(report) = reports.preferred() {
///     let result = gate.evaluate(report);
///     println!("{result}");
///     if !result.passed {
///         std::process::exit(1);
///     }
/// }
/// # Ok(())
/// # }
/// ```
pub async fn wait_for_scan(
    client: &Client,
    artifact: &ArtifactRef,
    options: WaitOptions,
) -> Result<ScanSummary, Error> {
    let mut poller = Poller::new(client, options);
    loop {
        let current = client
            .get_artifact(
                artifact.project.clone(),
                artifact.repository.clone(),
                artifact.reference.clone(),
            )
            .with_scan_overview(true)
            .send()
            .await?;
        let summary = current.vuln_summary();
        let status = summary
            .and_then(|summary| summary.scan_status.clone())
            .unwrap_or_default();
        tracing::debug!(%artifact, scan_status = status.as_str(), "polled scan overview");
        match (status.as_str(), summary) {
            ("Success", Some(summary)) => return Ok(ScanSummary::from(summary)),
            ("Error" | "Stopped", _) => {
                return Err(Error::ScanFailed {
                    artifact: artifact.to_string(),
                    status,
                });
            }
            _ => {}
        }
        if !poller.pause().await {
            return Err(Error::Timeout {
                what: format!("the scan of {artifact}"),
                waited: poller.elapsed(),
                last_state: if status.is_empty() {
                    "no scan overview".to_owned()
                } else {
                    status
                },
                pending_executions: Vec::new(),
            });
        }
    }
}

/// One finding of a vulnerability report.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(default)]
pub struct Vulnerability {
    /// The vulnerability id, for example `CVE-2024-1234`.
    pub id: String,
    /// The affected package.
    pub package: String,
    /// The installed version.
    pub version: String,
    /// The first fixed version; empty when there is no fix.
    pub fix_version: String,
    /// The severity.
    pub severity: Severity,
    /// The scanner's description.
    pub description: String,
    /// Links to advisories.
    pub links: Vec<String>,
}

impl Default for Vulnerability {
    fn default() -> Self {
        Self {
            id: String::new(),
            package: String::new(),
            version: String::new(),
            fix_version: String::new(),
            severity: Severity::Unknown,
            description: String::new(),
            links: Vec::new(),
        }
    }
}

impl Vulnerability {
    /// Reports whether a fixed version exists.
    pub fn is_fixable(&self) -> bool {
        !self.fix_version.trim().is_empty()
    }
}

/// One vulnerability report of an artifact.
#[derive(Debug, Clone, PartialEq, Default, serde::Deserialize, serde::Serialize)]
#[serde(default)]
pub struct VulnerabilityReport {
    /// When the scanner generated the report.
    pub generated_at: Option<String>,
    /// The highest severity; [`Severity::None`] for a report without findings (`""`).
    pub severity: Option<Severity>,
    /// The findings; Harbor sends `null` for none, which decodes as empty.
    #[serde(deserialize_with = "null_as_empty")]
    pub vulnerabilities: Vec<Vulnerability>,
}

fn null_as_empty<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<Vulnerability>, D::Error> {
    let value = <Option<Vec<Vulnerability>> as serde::Deserialize>::deserialize(deserializer)?;
    Ok(value.unwrap_or_default())
}

/// The vulnerability reports of an artifact, by MIME type. Unknown MIME types are kept.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct VulnerabilityReports {
    /// Reports by MIME type.
    pub reports: BTreeMap<String, VulnerabilityReport>,
}

impl VulnerabilityReports {
    /// Parses the body of the `vulnerabilities` addition.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] when the body is not a JSON object of reports. The body is not
    /// included in the message.
    pub fn parse(body: &str) -> Result<Self, Error> {
        let reports = serde_json::from_str::<Option<BTreeMap<String, VulnerabilityReport>>>(body)
            .map_err(|error| {
            Error::invalid(
                "vulnerability report",
                format!("{} bytes", body.len()),
                format!("the body is not a JSON object of reports by MIME type ({error})"),
            )
        })?;
        Ok(Self {
            reports: reports.unwrap_or_default(),
        })
    }

    /// Returns the report of version 1.1, else of version 1.0.
    pub fn preferred(&self) -> Option<&VulnerabilityReport> {
        preferred_entry(&self.reports)
    }
}

/// Reads the artifact's vulnerability reports as typed data.
///
/// # Errors
///
/// Returns the request's [`Error`] when the request fails and [`Error::InvalidArgument`] when the body does not
/// decode.
pub async fn export_vulnerability_report(
    client: &Client,
    artifact: &ArtifactRef,
) -> Result<VulnerabilityReports, Error> {
    let body = client
        .get_vulnerabilities_addition(
            artifact.project.clone(),
            artifact.repository.clone(),
            artifact.reference.clone(),
        )
        .send()
        .await?;
    VulnerabilityReports::parse(&body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overview_prefers_version_1_1() {
        let artifact: Artifact = serde_json::from_value(serde_json::json!({
            "scan_overview": {
                "application/vnd.scanner.adapter.vuln.report.harbor+json; version=1.0": {"scan_status": "Success", "severity": "Low"},
                "application/vnd.security.vulnerability.report; version=1.1": {
                    "report_id": "r-1", "scan_status": "Success", "severity": "Critical",
                    "summary": {"total": 3, "fixable": 1, "summary": {"Critical": 1, "High": 2}}
                },
                "application/vnd.example.unknown": {"scan_status": "Success"}
            }
        }))
        .unwrap();
        let summary = ScanSummary::from(artifact.vuln_summary().unwrap());
        assert_eq!(summary.severity, Severity::Critical);
        assert_eq!(summary.total, 3);
        assert_eq!(summary.fixable, 1);
        assert_eq!(summary.by_severity[&Severity::High], 2);
        assert_eq!(artifact.scan_overview.as_ref().unwrap().len(), 3);
    }

    #[test]
    fn overview_falls_back_to_version_1_0() {
        let artifact: Artifact = serde_json::from_value(serde_json::json!({
            "scan_overview": {
                "application/vnd.scanner.adapter.vuln.report.harbor+json; version=1.0": {"scan_status": "Success", "severity": "Low"},
                "application/vnd.example.unknown": {"scan_status": "Error"}
            }
        }))
        .unwrap();
        assert_eq!(
            artifact.vuln_summary().unwrap().severity.as_deref(),
            Some("Low")
        );
        let empty: Artifact =
            serde_json::from_value(serde_json::json!({"scan_overview": {"x/y": {}}})).unwrap();
        assert!(empty.vuln_summary().is_none());
    }

    #[test]
    fn empty_report_decodes_with_no_severity() {
        let body = r#"{"application/vnd.security.vulnerability.report; version=1.1":{"severity":"","vulnerabilities":[]}}"#;
        let reports = VulnerabilityReports::parse(body).unwrap();
        let report = reports.preferred().unwrap();
        assert_eq!(report.severity, Some(Severity::None));
        assert!(report.vulnerabilities.is_empty());
        let null_list = r#"{"application/vnd.security.vulnerability.report; version=1.1":{"severity":"","vulnerabilities":null}}"#;
        assert!(
            VulnerabilityReports::parse(null_list)
                .unwrap()
                .preferred()
                .unwrap()
                .vulnerabilities
                .is_empty()
        );
    }

    #[test]
    fn artifact_ref_displays_tag_and_digest() {
        assert_eq!(
            ArtifactRef::new("library", "app/api", "1.0")
                .unwrap()
                .to_string(),
            "library/app/api:1.0"
        );
        assert_eq!(
            ArtifactRef::new("library", "app", "sha256:ab")
                .unwrap()
                .to_string(),
            "library/app@sha256:ab"
        );
        assert!(ArtifactRef::new("Library", "app", "1.0").is_err());
    }
}

//! Scanning: trigger, wait, export the report and gate on severity.

use std::collections::VecDeque;
use std::time::Duration;

use harbor_client::Error;
use harbor_client::generated::models::Artifact;
use harbor_client::tasks::{
    ArtifactRef, REPORT_V1_0, REPORT_V1_1, Severity, SeverityGate, WaitOptions,
    export_vulnerability_report, scan_artifact, wait_for_scan,
};

use crate::fake_harbor::FakeHarbor;

const KEY: &str = "library/app/1.0";

fn artifact(overview: serde_json::Value) -> Artifact {
    serde_json::from_value(serde_json::json!({"digest": "sha256:ab", "scan_overview": overview}))
        .unwrap()
}

fn overview(status: &str) -> serde_json::Value {
    serde_json::json!({
        REPORT_V1_1: {
            "report_id": "r-1", "scan_status": status, "severity": "Critical",
            "summary": {"total": 3, "fixable": 1, "summary": {"Critical": 1, "High": 2}}
        }
    })
}

fn script(harbor: &FakeHarbor, states: Vec<Artifact>) {
    harbor
        .state()
        .artifacts
        .insert(KEY.to_owned(), VecDeque::from(states));
}

fn app() -> ArtifactRef {
    ArtifactRef::new("library", "app", "1.0").unwrap()
}

fn wait(seconds: u64) -> WaitOptions {
    WaitOptions::with_timeout(Duration::from_secs(seconds)).initial_interval(Duration::from_secs(1))
}

#[tokio::test]
async fn scan_waits_through_missing_and_queued() {
    let harbor = FakeHarbor::start().await;
    let missing: Artifact =
        serde_json::from_value(serde_json::json!({"digest": "sha256:ab"})).unwrap();
    script(
        &harbor,
        vec![
            missing,
            artifact(overview("Pending")),
            artifact(overview("Running")),
            artifact(overview("Success")),
        ],
    );
    let client = harbor.client();

    scan_artifact(&client, &app()).await.unwrap();
    assert_eq!(harbor.state().scans_requested, [KEY]);
    let summary = wait_for_scan(&client, &app(), wait(600)).await.unwrap();
    assert_eq!(summary.severity, Severity::Critical);
    assert_eq!(summary.total, 3);
    assert_eq!(summary.fixable, 1);
    assert_eq!(summary.by_severity[&Severity::High], 2);
    assert_eq!(harbor.sleeps().len(), 3);
}

#[tokio::test]
async fn scan_that_errors_fails() {
    let harbor = FakeHarbor::start().await;
    script(
        &harbor,
        vec![artifact(overview("Running")), artifact(overview("Error"))],
    );
    let client = harbor.client();

    let error = wait_for_scan(&client, &app(), wait(600)).await.unwrap_err();
    let Error::ScanFailed { artifact, status } = &error else {
        panic!("expected ScanFailed, got {error}");
    };
    assert_eq!(artifact, "library/app:1.0");
    assert_eq!(status, "Error");
}

#[tokio::test]
async fn scan_that_never_starts_times_out() {
    let harbor = FakeHarbor::start().await;
    let missing: Artifact =
        serde_json::from_value(serde_json::json!({"digest": "sha256:ab"})).unwrap();
    script(&harbor, vec![missing]);
    let client = harbor.client();

    let error = wait_for_scan(&client, &app(), wait(30)).await.unwrap_err();
    let Error::Timeout { last_state, .. } = &error else {
        panic!("expected Timeout, got {error}");
    };
    assert_eq!(last_state, "no scan overview");
}

#[tokio::test]
async fn scan_sends_both_report_types() {
    let harbor = FakeHarbor::start().await;
    script(&harbor, vec![artifact(overview("Success"))]);
    let client = harbor.client();

    wait_for_scan(&client, &app(), wait(600)).await.unwrap();
    let requests = harbor.take_requests();
    let get = requests.last().unwrap();
    assert!(
        get.query.contains("with_scan_overview=true"),
        "{}",
        get.query
    );
    let accepted = get.accept_vulnerabilities.as_deref().unwrap_or("");
    assert_eq!(accepted, format!("{REPORT_V1_1}, {REPORT_V1_0}"));
}

#[tokio::test]
async fn exported_report_feeds_the_gate() {
    let harbor = FakeHarbor::start().await;
    let report = serde_json::json!({
        REPORT_V1_1: {
            "generated_at": "2026-01-01T00:00:00Z",
            "severity": "Critical",
            "vulnerabilities": [
                {"id": "CVE-1", "package": "openssl", "version": "3.0.1", "fix_version": "3.0.2", "severity": "Critical"},
                {"id": "CVE-2", "package": "zlib", "version": "1.2", "fix_version": "", "severity": "High"},
                {"id": "CVE-3", "package": "bash", "version": "5.1", "severity": "Low"}
            ]
        },
        "application/vnd.example.other": {"severity": "Low", "vulnerabilities": []}
    });
    harbor
        .state()
        .vulnerability_reports
        .insert(KEY.to_owned(), report.to_string());
    let client = harbor.client();

    let reports = export_vulnerability_report(&client, &app()).await.unwrap();
    assert_eq!(reports.reports.len(), 2);
    let preferred = reports.preferred().unwrap();
    assert_eq!(preferred.vulnerabilities.len(), 3);
    assert_eq!(preferred.vulnerabilities[0].package, "openssl");

    let strict = SeverityGate::new(Severity::High).evaluate(preferred);
    assert!(!strict.passed);
    assert_eq!(strict.counted, 2);
    let fixable = SeverityGate::new(Severity::High)
        .fixable_only(true)
        .max_findings(1)
        .evaluate(preferred);
    assert!(fixable.passed);
    assert!(
        fixable
            .to_string()
            .contains("passed: 1 fixable findings at or above High, limit 1"),
        "{fixable}"
    );
}

#[tokio::test]
async fn empty_report_has_no_severity() {
    let harbor = FakeHarbor::start().await;
    let body = format!(r#"{{"{REPORT_V1_1}":{{"severity":"","vulnerabilities":[]}}}}"#);
    harbor
        .state()
        .vulnerability_reports
        .insert(KEY.to_owned(), body);
    let client = harbor.client();

    let reports = export_vulnerability_report(&client, &app()).await.unwrap();
    let report = reports.preferred().unwrap();
    assert_eq!(report.severity, Some(Severity::None));
    assert!(SeverityGate::new(Severity::Low).evaluate(report).passed);
}

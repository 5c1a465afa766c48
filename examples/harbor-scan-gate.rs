//! A CI step: scan an artifact in Harbor, wait for the scan, save the vulnerability report and
//! fail when too many findings reach a severity.
//!
//! ```sh
//! cargo run --example harbor-scan-gate -- --dry-run
//! HARBOR_PASSWORD=... cargo run --example harbor-scan-gate -- --url https://harbor.example.com \
//!     --project library --repository app/api --reference 1.4.2 \
//!     --severity high --fixable-only --report-out report.json
//! cargo run --example harbor-scan-gate -- --report-file report.json --severity critical
//! ```
//!
//! Exit status: 0 when the gate passes, 1 when it fails or a step fails.

#[path = "common/dry_run.rs"]
#[allow(dead_code)]
mod dry_run;
#[path = "common/harbor_args.rs"]
#[allow(dead_code)]
mod harbor_args;

use std::error::Error;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, ValueEnum};
use harbor_client::generated::operations::artifact::{GetArtifact, GetVulnerabilitiesAddition};
use harbor_client::generated::operations::scan::ScanArtifact;
use harbor_client::tasks::{
    ArtifactRef, Severity, SeverityGate, VulnerabilityReport, VulnerabilityReports, WaitOptions,
    export_vulnerability_report, scan_artifact, wait_for_scan,
};

use dry_run::{error_chain, print_request};
use harbor_args::HarborArgs;

#[derive(Debug, Parser)]
#[command(about = "Scan a Harbor artifact and fail on findings at or above a severity")]
struct Cli {
    #[command(flatten)]
    harbor: HarborArgs,
    /// Project of the artifact.
    #[arg(long, default_value = "library")]
    project: String,
    /// Repository below the project, for example `app/api`.
    #[arg(long, default_value = "app/api")]
    repository: String,
    /// Tag or digest of the artifact.
    #[arg(long, default_value = "1.4.2")]
    reference: String,
    /// Lowest severity the gate counts.
    #[arg(long, value_enum, default_value_t = SeverityArg::High)]
    severity: SeverityArg,
    /// Count only findings that have a fixed version.
    #[arg(long)]
    fixable_only: bool,
    /// Number of counted findings allowed before the gate fails.
    #[arg(long, default_value_t = 0)]
    max_findings: u64,
    /// Maximum time to wait for the scan, in seconds.
    #[arg(long, default_value_t = 900)]
    wait_seconds: u64,
    /// File to save the preferred vulnerability report to, as JSON.
    #[arg(long, value_name = "PATH")]
    report_out: Option<PathBuf>,
    /// Evaluate a report saved with --report-out instead of scanning. Sends no request.
    #[arg(long, value_name = "PATH", conflicts_with = "report_out")]
    report_file: Option<PathBuf>,
    /// Print the requests instead of sending them. Needs no environment variable.
    #[arg(long)]
    dry_run: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum SeverityArg {
    Critical,
    High,
    Medium,
    Low,
    Negligible,
    Unknown,
}

impl From<SeverityArg> for Severity {
    fn from(severity: SeverityArg) -> Self {
        match severity {
            SeverityArg::Critical => Severity::Critical,
            SeverityArg::High => Severity::High,
            SeverityArg::Medium => Severity::Medium,
            SeverityArg::Low => Severity::Low,
            SeverityArg::Negligible => Severity::Negligible,
            SeverityArg::Unknown => Severity::Unknown,
        }
    }
}

/// Result of a run that finished its steps: whether the gate passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Passed,
    Failed,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = if cli.dry_run {
        dry_run(&cli).map(|()| Verdict::Passed)
    } else if let Some(path) = &cli.report_file {
        evaluate_file(&cli, path)
    } else {
        scan_and_gate(&cli)
    };
    match result {
        Ok(Verdict::Passed) => ExitCode::SUCCESS,
        Ok(Verdict::Failed) => ExitCode::FAILURE,
        Err(error) => {
            eprintln!("error: {}", error_chain(error.as_ref()));
            ExitCode::FAILURE
        }
    }
}

fn gate(cli: &Cli) -> SeverityGate {
    SeverityGate::new(cli.severity.into())
        .fixable_only(cli.fixable_only)
        .max_findings(cli.max_findings)
}

/// Prints the scan request, the polled overview request and the report request.
fn dry_run(cli: &Cli) -> Result<(), Box<dyn Error>> {
    let artifact = ArtifactRef::new(&cli.project, &cli.repository, &cli.reference)?;
    let base = &cli.harbor.url;
    println!(
        "Dry run: scan {artifact} on {base} as {}",
        cli.harbor.username
    );

    println!("\n# start the scan");
    print_request(
        base,
        &ScanArtifact::new(&cli.project, &cli.repository, &cli.reference).build()?,
    );
    println!(
        "\n# poll the scan overview until Success, Error or Stopped (at most {} s)",
        cli.wait_seconds
    );
    print_request(
        base,
        &GetArtifact::new(&cli.project, &cli.repository, &cli.reference)
            .with_scan_overview(true)
            .build()?,
    );
    println!("\n# read the vulnerability reports");
    print_request(
        base,
        &GetVulnerabilitiesAddition::new(&cli.project, &cli.repository, &cli.reference).build()?,
    );
    let scope = if cli.fixable_only {
        "fixable findings"
    } else {
        "findings"
    };
    println!(
        "\n# gate: fail when more than {} {scope} are at or above {}",
        cli.max_findings,
        Severity::from(cli.severity)
    );
    if let Some(path) = &cli.report_out {
        println!("# save the preferred report to {}", path.display());
    }
    Ok(())
}

fn evaluate_file(cli: &Cli, path: &std::path::Path) -> Result<Verdict, Box<dyn Error>> {
    let text = std::fs::read_to_string(path)
        .map_err(|error| format!("failed to read the report {}: {error}", path.display()))?;
    let report: VulnerabilityReport = serde_json::from_str(&text).map_err(|error| {
        format!(
            "{} is not a vulnerability report saved with --report-out: {error}",
            path.display()
        )
    })?;
    Ok(print_verdict(cli, &report))
}

fn scan_and_gate(cli: &Cli) -> Result<Verdict, Box<dyn Error>> {
    let artifact = ArtifactRef::new(&cli.project, &cli.repository, &cli.reference)?;
    let client = cli.harbor.client()?;
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        scan_artifact(&client, &artifact).await?;
        println!("scan of {artifact} started");
        let options = WaitOptions::with_timeout(Duration::from_secs(cli.wait_seconds));
        let summary = wait_for_scan(&client, &artifact, options).await?;
        println!(
            "scan of {artifact} finished: {} findings, {} fixable, highest {}",
            summary.total, summary.fixable, summary.severity
        );
        let reports: VulnerabilityReports = export_vulnerability_report(&client, &artifact).await?;
        let report = reports.preferred().ok_or_else(|| {
            format!("Harbor returned no vulnerability report of version 1.0 or 1.1 for {artifact}")
        })?;
        if let Some(path) = &cli.report_out {
            std::fs::write(path, serde_json::to_vec_pretty(report)?)
                .map_err(|error| format!("failed to write {}: {error}", path.display()))?;
            println!("report saved to {}", path.display());
        }
        Ok(print_verdict(cli, report))
    })
}

fn print_verdict(cli: &Cli, report: &VulnerabilityReport) -> Verdict {
    let result = gate(cli).evaluate(report);
    println!("{result}");
    if result.passed {
        Verdict::Passed
    } else {
        Verdict::Failed
    }
}

//! The main job: deploy Harbor on AKS with ACR next to it, from one TOML configuration.
//!
//! ```sh
//! cargo run --example harbor-on-aks -- plan --preset across-zones
//! cargo run --example harbor-on-aks -- plan --preset managed-services --out gitops/harbor
//! cargo run --example harbor-on-aks -- apply --config my-harbor.toml --preset across-zones -v
//! ```
//!
//! `plan` needs no cloud account and reads no secret. It checks the Helm values against the
//! values.yaml of Harbor chart 1.19.2, from `--chart-values` or the specs folder
//! (`HARBOR_AZURE_SPECS`, by default `../shared/specs` next to the repository).
//!
//! `apply` reads the secrets the configuration references, then uses the current kubeconfig
//! context, helm (from `HELM` or `PATH`), the Azure CLI login and Harbor's admin account.

#[path = "harbor-on-aks/apply.rs"]
mod apply;
#[path = "harbor-on-aks/progress.rs"]
mod progress;

use std::error::Error;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use aks_deploy::chart_keys::CHART_VERSION;
use aks_deploy::chart_keys::ChartKeys;
use clap::{Args, Parser, Subcommand, ValueEnum};
use harbor_azure::config::Config;
use harbor_azure::plan::{
    Plan, PlanError, Preset, SecretMode, WrittenFiles, load_chart_keys, load_chart_keys_from,
};

/// The sample configuration, used when `--config` is not given.
const SAMPLE_CONFIG: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/harbor.toml");

#[derive(Debug, Parser)]
#[command(about = "Plan or apply a Harbor deployment on AKS with ACR")]
struct Cli {
    /// Log more: -v for info, -vv for debug (to stderr; off by default).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print everything apply would do, without any cloud account; optionally write it as files.
    Plan {
        #[command(flatten)]
        common: CommonArgs,
        /// Folder to write values.yaml, manifests/, helm-command.sh and plan.txt into. Manifests
        /// that an earlier plan wrote there and this one does not contain are removed and
        /// printed; other files are kept.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
    /// Carry the plan out against the real cluster, ACR and Harbor, reporting each step.
    Apply {
        #[command(flatten)]
        common: CommonArgs,
        /// Replace the ACR token password and the import robot's secret even when the kept ones
        /// still work. Anything else that uses them must then be given the new values.
        #[arg(long)]
        rotate_credentials: bool,
    },
}

#[derive(Debug, Args)]
struct CommonArgs {
    /// Deployment configuration (TOML). Default: examples/harbor.toml of this repository.
    #[arg(long, value_name = "PATH")]
    config: Option<PathBuf>,
    /// Deployment layout.
    #[arg(long, value_enum, default_value_t = PresetArg::ManagedDisks)]
    preset: PresetArg,
    /// values.yaml of Harbor chart 1.19.2, for example harbor/values.yaml after
    /// `helm pull harbor/harbor --version 1.19.2 --untar`. Default:
    /// harbor-helm/chart/values.yaml in HARBOR_AZURE_SPECS, or in ../shared/specs next to
    /// the repository.
    #[arg(long, value_name = "PATH")]
    chart_values: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum PresetArg {
    /// Every component once on Premium SSD managed disks.
    ManagedDisks,
    /// Azure Database for PostgreSQL and Azure Cache for Redis.
    ManagedServices,
    /// Zone-redundant storage; core, portal, registry, jobservice and Trivy spread across
    /// zones; internal PostgreSQL and Redis one pod each on a zone-redundant disk.
    AcrossZones,
}

impl CommonArgs {
    /// Loads the chart's keys from `--chart-values`, or from the default specs folder.
    fn chart_keys(&self) -> Result<ChartKeys, Box<dyn Error>> {
        match &self.chart_values {
            Some(path) => load_chart_keys_from(path),
            None => load_chart_keys(workspace_root()),
        }
        .map_err(chart_values_hint)
    }

    fn config_path(&self) -> &Path {
        self.config
            .as_deref()
            .unwrap_or_else(|| Path::new(SAMPLE_CONFIG))
    }
}

impl From<PresetArg> for Preset {
    fn from(preset: PresetArg) -> Self {
        match preset {
            PresetArg::ManagedDisks => Preset::ManagedDisks,
            PresetArg::ManagedServices => Preset::ManagedServices,
            PresetArg::AcrossZones => Preset::AcrossZones,
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(cli.verbose);
    let result = match cli.command {
        Command::Plan { common, out } => run_plan(&common, out.as_deref()),
        Command::Apply {
            common,
            rotate_credentials,
        } => common.chart_keys().and_then(|chart_keys| {
            apply::run(
                common.config_path(),
                common.preset.into(),
                &chart_keys,
                rotate_credentials,
            )
        }),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {}", error_chain(error.as_ref()));
            ExitCode::FAILURE
        }
    }
}

fn run_plan(common: &CommonArgs, out: Option<&Path>) -> Result<(), Box<dyn Error>> {
    let config = Config::load(common.config_path())?;
    let chart_keys = common.chart_keys()?;
    let plan = Plan::build(
        &config,
        common.preset.into(),
        &chart_keys,
        SecretMode::Placeholder,
    )?;
    print!("{}", plan.render_text());
    if let Some(dir) = out {
        let files = plan
            .write_files(dir)
            .map_err(|error| format!("failed to write the plan to {}: {error}", dir.display()))?;
        print_written(&files, dir);
    }
    Ok(())
}

fn print_written(files: &WrittenFiles, dir: &Path) {
    println!(
        "\nWrote {} files to {}:",
        files.written.len(),
        dir.display()
    );
    for path in &files.written {
        println!("  {}", path.display());
    }
    if !files.removed.is_empty() {
        println!(
            "Removed {} manifests that an earlier plan wrote and this one does not contain:",
            files.removed.len()
        );
        for path in &files.removed {
            println!("  {}", path.display());
        }
    }
}

/// Adds `--chart-values` to the fixes of a missing chart values file.
fn chart_values_hint(error: PlanError) -> Box<dyn Error> {
    match error {
        PlanError::ChartValuesNotFound { path } => format!(
            "Harbor chart {CHART_VERSION} values file not found at {}: pass --chart-values PATH \
             with the chart's values.yaml (`helm pull harbor/harbor --version {CHART_VERSION} \
             --untar` unpacks it to harbor/values.yaml), or set HARBOR_AZURE_SPECS to a folder \
             that contains harbor-helm/chart/values.yaml",
            path.display()
        )
        .into(),
        other => other.into(),
    }
}

/// Returns the workspace root, beside which the specs folder with the Harbor chart lies.
fn workspace_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Joins an error and its sources with `: `.
fn error_chain(error: &dyn Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}

/// Sends tracing events to stderr: none by default, info with -v, debug with -vv.
/// `RUST_LOG` overrides the level when set.
fn init_tracing(verbose: u8) {
    let level = match verbose {
        0 => return,
        1 => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

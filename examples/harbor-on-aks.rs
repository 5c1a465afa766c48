//! The main job: deploy Harbor on AKS with ACR next to it, from one TOML configuration.
//!
//! ```sh
//! cargo run --example harbor-on-aks -- plan --preset across-zones
//! cargo run --example harbor-on-aks -- plan --preset managed-services --out gitops/harbor
//! cargo run --example harbor-on-aks -- apply --config my-harbor.toml --preset across-zones -v
//! ```
//!
//! `plan` needs no cloud account and reads no secret. `apply` reads the secrets the configuration
//! references, then uses the current kubeconfig context, helm (from `HELM` or `PATH`), the Azure
//! CLI login and Harbor's admin account.

#[path = "harbor-on-aks/apply.rs"]
mod apply;
#[path = "harbor-on-aks/progress.rs"]
mod progress;

use std::error::Error;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
use harbor_azure::config::Config;
use harbor_azure::plan::{Plan, Preset, SecretMode, load_chart_keys};

const DEFAULT_CONFIG: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/harbor.toml");

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
        /// Folder to write values.yaml, manifests/, helm-command.sh and plan.txt into.
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
    /// Deployment configuration (TOML).
    #[arg(long, value_name = "PATH", default_value = DEFAULT_CONFIG)]
    config: PathBuf,
    /// Deployment layout.
    #[arg(long, value_enum, default_value_t = PresetArg::ManagedDisks)]
    preset: PresetArg,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum PresetArg {
    /// Every component once on Premium SSD managed disks.
    ManagedDisks,
    /// Azure Database for PostgreSQL and Azure Cache for Redis.
    ManagedServices,
    /// Zone-redundant storage, every component spread across zones.
    AcrossZones,
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
        } => apply::run(&common.config, common.preset.into(), rotate_credentials),
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
    let config = Config::load(&common.config)?;
    let chart_keys = load_chart_keys(workspace_root())?;
    let plan = Plan::build(
        &config,
        common.preset.into(),
        &chart_keys,
        SecretMode::Placeholder,
    )?;
    print!("{}", plan.render_text());
    if let Some(dir) = out {
        let written = plan
            .write_files(dir)
            .map_err(|error| format!("failed to write the plan to {}: {error}", dir.display()))?;
        println!("\nWrote {} files to {}:", written.len(), dir.display());
        for path in written {
            println!("  {}", path.display());
        }
    }
    Ok(())
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

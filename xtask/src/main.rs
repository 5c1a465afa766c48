//! Development tasks of the harbor-azure workspace: `cargo xtask <task>`.

mod bench;
mod ci;
mod codegen;
mod prism;
mod registry;
mod test;
mod tools;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(about = "Development tasks of the harbor-azure workspace")]
struct Cli {
    #[command(subcommand)]
    task: Task,
}

#[derive(Debug, Subcommand)]
enum Task {
    /// Run every test, installing and starting on 127.0.0.1 what the tests need.
    Test,
    /// Run the CI checks: fmt, clippy, codegen check, docs, then `test`.
    Ci,
    /// Generate harbor-client/src/generated/ from Harbor's swagger.
    Codegen(codegen::Args),
    /// Run the benchmarks recorded in BENCHMARKS.md.
    Bench {
        /// Which benchmark to run.
        #[arg(value_enum, default_value = "all")]
        which: bench::Which,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.task {
        Task::Test => test::run(),
        Task::Ci => ci::run(),
        Task::Codegen(args) => codegen::run(args),
        Task::Bench { which } => bench::run(which),
    }
}

/// Returns the workspace root (the parent of this crate's folder).
fn workspace_root() -> PathBuf {
    let manifest_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .parent()
        .expect("xtask lives one level below the workspace root")
        .to_path_buf()
}

/// Returns the folder of pinned upstream specs: `$HARBOR_AZURE_SPECS`, else `../shared/specs`
/// beside the workspace.
fn specs_dir() -> PathBuf {
    match std::env::var_os("HARBOR_AZURE_SPECS") {
        Some(dir) => PathBuf::from(dir),
        None => workspace_root().join("../shared/specs"),
    }
}

/// Runs `program` with `args` in the workspace root and fails when it exits non-zero.
fn run_command(program: &str, args: &[&str]) -> anyhow::Result<()> {
    eprintln!("xtask: running {program} {}", args.join(" "));
    let status = std::process::Command::new(program)
        .args(args)
        .current_dir(workspace_root())
        .status()
        .map_err(|error| anyhow::anyhow!("failed to start {program}: {error}"))?;
    if !status.success() {
        anyhow::bail!("{program} {} failed with {status}", args.join(" "));
    }
    Ok(())
}

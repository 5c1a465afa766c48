//! `cargo xtask ci`: every check CI runs, in order, stopping at the first failure.

use crate::run_command;

pub(crate) fn run() -> anyhow::Result<()> {
    run_command("cargo", &["fmt", "--all", "--check"])?;
    run_command(
        "cargo",
        &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ],
    )?;
    crate::codegen::run(crate::codegen::Args::check())?;
    run_command_with_env(
        "cargo",
        &["doc", "--workspace", "--no-deps"],
        &[("RUSTDOCFLAGS", "-D warnings")],
    )?;
    crate::test::run()
}

fn run_command_with_env(program: &str, args: &[&str], env: &[(&str, &str)]) -> anyhow::Result<()> {
    eprintln!("xtask: running {program} {}", args.join(" "));
    let status = std::process::Command::new(program)
        .args(args)
        .envs(env.iter().copied())
        .current_dir(crate::workspace_root())
        .status()
        .map_err(|error| anyhow::anyhow!("failed to start {program}: {error}"))?;
    if !status.success() {
        anyhow::bail!("{program} {} failed with {status}", args.join(" "));
    }
    Ok(())
}
